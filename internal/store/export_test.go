package store

import (
	"context"

	"github.com/kapstone/kapstone/internal/auth"
)

// RebindForTest exposes the SQLite placeholder rewrite to tests.
func RebindForTest(q string) string { return rebindNumbered(q) }

// ExecForTest runs one statement in a write transaction.
func ExecForTest(ctx context.Context, s *Store, q string, args ...any) error {
	return s.write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	})
}

// WriterPragma reads a PRAGMA on the writer connection.
func WriterPragma(ctx context.Context, s *Store, name string) (string, error) {
	var v string
	err := s.w.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}

// ReaderPragma reads a PRAGMA on a reader connection.
func ReaderPragma(ctx context.Context, s *Store, name string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}

// MigrateThroughForTest applies the embedded migrations up to and including
// last, as an older kapstone would have left the database.
func MigrateThroughForTest(ctx context.Context, s *Store, last string) error {
	names, err := Migrations(s.d.name)
	if err != nil {
		return err
	}
	for _, name := range names {
		if name > last {
			break
		}
		if _, err := s.applyMigration(ctx, name, names); err != nil {
			return err
		}
	}
	return nil
}

// StringForTest runs a query that returns one text value.
func StringForTest(ctx context.Context, s *Store, q string, args ...any) (string, error) {
	var v string
	if _, err := s.sealAudit(ctx, true); err != nil { // audit rows pending on PostgreSQL are read sealed
		return v, err
	}
	err := s.read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&v) })
	return v, err
}

// CountForTest runs a SELECT count(*) query and returns the count.
func CountForTest(ctx context.Context, s *Store, q string, args ...any) (int, error) {
	var n int
	if _, err := s.sealAudit(ctx, true); err != nil { // audit rows pending on PostgreSQL are counted sealed
		return n, err
	}
	err := s.read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&n) })
	return n, err
}

// PatientAccessForTest runs patientAccess with fn, which may do anything to
// the audit entry (as a careless store function could).
func PatientAccessForTest(ctx context.Context, s *Store, actor Actor, patientID string, fn func(e *Entry)) error {
	return s.patientAccess(ctx, actor, patientID, auth.PermChart, "test.read", func(tx *Tx, a Access, e *Entry) error {
		fn(e)
		return nil
	})
}

// SealedColumnsForTest names every registered sealed column ("table.column").
func SealedColumnsForTest() []string {
	var out []string
	for _, c := range sealedColumns {
		out = append(out, c.name())
	}
	return out
}

// HoldConsentLockForTest takes patientID's consent lock (lockPatientConsent)
// in a write transaction and holds it until release is called: held is
// closed once it is taken, done receives the transaction's outcome.
func HoldConsentLockForTest(ctx context.Context, s *Store, patientID string) (held <-chan struct{}, release func(), done <-chan error) {
	h, rel, d := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		d <- s.write(ctx, func(tx *Tx) error {
			if err := s.d.lockPatientConsent(ctx, tx.tx, patientID); err != nil {
				close(h)
				return err
			}
			close(h)
			<-rel
			return nil
		})
	}()
	return h, func() { close(rel) }, d
}

// OneConnectionForTest limits the store's pools to one connection each (on
// PostgreSQL reads and writes share one pool: one connection in all).
func OneConnectionForTest(s *Store) {
	s.r.SetMaxOpenConns(1)
	s.w.SetMaxOpenConns(1)
}

// ViewRelationReadsForTest is how many times v read its actor's relation
// to its patient.
func ViewRelationReadsForTest(v *View) int { return v.relReads }
