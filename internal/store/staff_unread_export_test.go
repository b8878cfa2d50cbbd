package store

import "context"

// StaffUnreadCountForTest counts, as StaffUnreadMessages did before
// migration 0051 (staffUnreadCount), the clinician userID's unread
// messages from message_unread, care_team and patients.
func StaffUnreadCountForTest(ctx context.Context, s *Store, userID string) (int, error) {
	var n int
	err := s.read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, staffUnreadCount, userID).Scan(&n) })
	return n, err
}

// StaffUnreadTotalForTest reads the clinician userID's kept total
// (staff_unread_totals), without the current view's adjustment.
func StaffUnreadTotalForTest(ctx context.Context, s *Store, userID string) (int, error) {
	var n int
	err := s.read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, staffUnreadTotal, userID).Scan(&n) })
	return n, err
}
