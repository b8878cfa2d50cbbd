package store

import "context"

// QueryRowsForTest runs a query and calls fn with each row's Scan.
func QueryRowsForTest(ctx context.Context, s *Store, q string, fn func(scan func(...any) error) error, args ...any) error {
	return s.read(ctx, func(tx *Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows.Scan); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
