package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// ErrSchemaNewer is returned by Migrate when the database was written by a
// newer kapstone; the data is left untouched.
type ErrSchemaNewer struct{ Unknown []string }

func (e *ErrSchemaNewer) Error() string {
	return fmt.Sprintf("database schema is newer than this kapstone (unknown migrations %s): run a newer kapstone, or restore a backup made by this version", strings.Join(e.Unknown, ", "))
}

// Migrations lists the embedded migration files for an engine, in order.
func Migrations(engine string) ([]string, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations/"+engine)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// Migrate applies every embedded migration not yet applied, each in its own
// transaction, and returns the names it applied. It refuses, with
// *ErrSchemaNewer, a database that records a migration this binary does not
// know. Several instances may call it at once. Then, since SQL cannot
// encrypt, it seals any value of a sealed column still in plain text
// (sealPlain: TOTP secrets left by an older release), which needs the data
// keys (SetKeyring) when there is one; and it publishes kapstone's original
// consent documents of any kind the practice has none of
// (seedConsentOriginals).
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	names, err := Migrations(s.d.name)
	if err != nil {
		return nil, err
	}
	var applied []string
	for _, name := range names {
		done, err := s.applyMigration(ctx, name, names)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, name)
		}
	}
	if err := s.sealPlain(ctx); err != nil {
		return applied, fmt.Errorf("seal plain-text secrets: %w", err)
	}
	// A practice with no version of a kind of consent starts with
	// kapstone's original text (consent.go).
	return applied, s.seedConsentOriginals(ctx)
}

// applyMigration applies one migration file unless it is already recorded.
func (s *Store) applyMigration(ctx context.Context, name string, known []string) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if err := s.d.lockMigrations(ctx, tx); err != nil {
		return false, fmt.Errorf("lock migrations: %w", err)
	}
	// Under the lock, so two instances starting at once do not race to make it.
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at `+s.d.timestampType()+` NOT NULL)`); err != nil {
		return false, fmt.Errorf("create schema_migrations: %w", err)
	}
	t := &Tx{tx: tx, d: s.d, s: s}
	have, err := queryAll(ctx, t, func(row scanner) (v string, err error) {
		err = row.Scan(&v)
		return v, err
	}, `SELECT version FROM schema_migrations`)
	if err != nil {
		return false, err
	}
	var unknown []string
	for _, v := range have {
		if !slices.Contains(known, v) {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return false, &ErrSchemaNewer{Unknown: unknown}
	}
	if slices.Contains(have, name) {
		return false, nil
	}
	body, err := fs.ReadFile(migrationFS, path.Join(s.d.migrationDir(), name))
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return false, fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := t.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, name, s.now()); err != nil {
		return false, fmt.Errorf("record migration %s: %w", name, err)
	}
	return true, tx.Commit()
}
