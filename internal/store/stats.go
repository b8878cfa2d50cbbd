package store

import (
	"context"
	"database/sql"
)

// PoolStats returns the statistics of the store's two connection pools:
// the writer's and the readers'. On PostgreSQL they are one pool, and
// shared is true.
func (s *Store) PoolStats() (write, read sql.DBStats, shared bool) {
	return s.w.Stats(), s.r.Stats(), s.r == s.w
}

// AuditAppends is how many audit rows this process has appended in
// transactions that committed (rows rolled back with their change are not
// counted), since it started.
func (s *Store) AuditAppends() uint64 { return s.auditAppends.Load() }

// JobDepth counts the jobs that are pending, running or failed for good, by
// status (an index range count on jobs_due; done jobs are not counted).
func (s *Store) JobDepth(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{JobPending: 0, JobRunning: 0, JobFailed: 0}
	err := s.read(ctx, func(tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT status, COUNT(*) FROM jobs WHERE status IN ('pending', 'running', 'failed') GROUP BY status`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var n int64
			if err := rows.Scan(&st, &n); err != nil {
				return err
			}
			out[st] = n
		}
		return rows.Err()
	})
	return out, err
}

// OpenAlertCount is the number of safety alerts not yet acknowledged, in
// the whole practice: a count for monitoring, naming no patient.
func (s *Store) OpenAlertCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.read(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM safety_alerts WHERE acknowledged_at IS NULL`).Scan(&n)
	})
	return n, err
}
