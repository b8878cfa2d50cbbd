package store

import (
	"context"
	"strings"
)

// QueryStringForTest reads one text value in a read transaction.
func QueryStringForTest(ctx context.Context, s *Store, q string, args ...any) (string, error) {
	var v string
	err := s.read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&v) })
	return v, err
}

// VacuumIntoForTest copies a SQLite database to path with VACUUM INTO, as
// a backup would (it cannot run inside a transaction).
func VacuumIntoForTest(ctx context.Context, s *Store, path string) error {
	_, err := s.w.ExecContext(ctx, `VACUUM INTO '`+strings.ReplaceAll(path, "'", "''")+`'`)
	return err
}
