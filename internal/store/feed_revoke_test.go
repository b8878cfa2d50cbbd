package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestDisableRevokesCalendarFeed: disabling a clinician's account revokes
// their calendar feed in the same change, so enabling the account again
// does not bring the old feed URL back to life.
func TestDisableRevokesCalendarFeed(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	admin := &clinic.User{Email: "admin@example.org", DisplayName: "Admin", Role: clinic.RoleAdmin}
	thea := &clinic.User{Email: "thea@example.org", DisplayName: "Thea Therapist", Role: clinic.RoleTherapist}
	for _, u := range []*clinic.User{admin, thea} {
		if err := s.CreateUser(ctx, store.System, u, "hash"); err != nil {
			t.Fatal(err)
		}
	}
	asAdmin := store.Actor{UserID: admin.ID, Role: clinic.RoleAdmin}
	asThea := store.Actor{UserID: thea.ID, Role: clinic.RoleTherapist}
	if err := s.CreateCalendarFeed(ctx, asThea, "feed-hash"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CalendarFeedEvents(ctx, "feed-hash"); err != nil {
		t.Fatalf("CalendarFeedEvents before the account was disabled: %v", err)
	}
	since := s.Now().Add(-time.Minute)

	if err := s.SetUserDisabled(ctx, asAdmin, thea.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserDisabled(ctx, asAdmin, thea.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CalendarFeedEvents(ctx, "feed-hash"); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("CalendarFeedEvents with the old token after disable and enable = %v, want %s", err, clinic.ENotFound)
	}
	if f, err := s.ActiveCalendarFeed(ctx, asThea); err != nil || f != nil {
		t.Errorf("ActiveCalendarFeed after disable and enable = %+v, %v; want none", f, err)
	}
	if n, _, err := s.CountAudit(ctx, "calendar.feed.revoke", thea.ID, "", since); err != nil || n != 1 {
		t.Errorf("calendar.feed.revoke audit rows for the account = %d, %v; want 1", n, err)
	}

	// A new feed works, and disabling an account with no live feed writes
	// no revocation row.
	if err := s.CreateCalendarFeed(ctx, asThea, "feed-hash-2"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CalendarFeedEvents(ctx, "feed-hash-2"); err != nil {
		t.Fatalf("CalendarFeedEvents with a new feed: %v", err)
	}
	if err := s.SetUserDisabled(ctx, asAdmin, admin.ID, true); err != nil {
		t.Fatal(err)
	}
	if n, _, err := s.CountAudit(ctx, "calendar.feed.revoke", admin.ID, "", since); err != nil || n != 0 {
		t.Errorf("calendar.feed.revoke audit rows for an account without a feed = %d, %v; want 0", n, err)
	}
}
