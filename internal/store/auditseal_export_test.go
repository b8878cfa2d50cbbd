package store

import "context"

// PendingAuditForTest counts the audit rows not yet sealed, without
// sealing them (unlike CountForTest).
func PendingAuditForTest(ctx context.Context, s *Store) (int, error) {
	var n int
	err := s.read(ctx, func(tx *Tx) error {
		if !s.pendingAudit(ctx, tx) {
			return nil
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM audit_pending`).Scan(&n)
	})
	return n, err
}
