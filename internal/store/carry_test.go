package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestEndedSessionsAndCarryUses (issue 16, review of the carried draft): a
// session that ends by its limits, on use or in the purge, is remembered
// for its user for EndedSessionKeep; signing in again from that browser or
// a new password forgets it; a carried draft's nonce is claimed once.
func TestEndedSessionsAndCarryUses(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	u := &clinic.User{Email: "t@example.org", DisplayName: "T", Role: clinic.RoleTherapist}
	if err := s.CreateUser(ctx, store.System, u, "hash"); err != nil {
		t.Fatal(err)
	}
	start := func(h string) {
		t.Helper()
		sess := &store.Session{IDHash: h, User: u, MFADone: true, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(12 * time.Hour)}
		if err := s.StartSession(ctx, store.System, "", sess, store.Entry{Action: "login.success"}); err != nil {
			t.Fatal(err)
		}
	}
	ended := func(h string) string {
		t.Helper()
		uid, err := s.EndedSession(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		return uid
	}
	idle := func(clinic.Role) time.Duration { return 15 * time.Minute }
	start("used")
	start("purged")
	start("live")
	if ended("used") != "" || ended("nothing") != "" {
		t.Fatal("a live or unknown session counts as ended")
	}
	now = now.Add(20 * time.Minute)
	if _, err := s.TouchSession(ctx, "used", idle); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Fatalf("TouchSession after the idle limit = %v", err)
	}
	if n, err := s.PurgeSessions(ctx, 15*time.Minute); err != nil || n != 2 {
		t.Fatalf("PurgeSessions = %d, %v", n, err)
	}
	if ended("used") != u.ID || ended("purged") != u.ID {
		t.Errorf("ended sessions: used %q, purged %q; want %q", ended("used"), ended("purged"), u.ID)
	}
	// Signing in again from the browser of "used" forgets it.
	sess := &store.Session{IDHash: "again", User: u, MFADone: true, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(12 * time.Hour)}
	if err := s.StartSession(ctx, store.System, "used", sess, store.Entry{Action: "login.success"}); err != nil {
		t.Fatal(err)
	}
	if ended("used") != "" {
		t.Error("an ended session is still remembered after signing in again from its browser")
	}
	// A new password forgets them all.
	if err := s.SetPassword(ctx, store.System, u.ID, "hash2", "password.reset"); err != nil {
		t.Fatal(err)
	}
	if ended("purged") != "" {
		t.Error("an ended session is still remembered after a new password")
	}
	// Remembered for EndedSessionKeep only.
	start("late")
	now = now.Add(time.Hour)
	s.PurgeSessions(ctx, 15*time.Minute)
	now = now.Add(store.EndedSessionKeep + time.Minute)
	if ended("late") != "" {
		t.Error("an ended session is remembered past EndedSessionKeep")
	}
	// A nonce is claimed once.
	actor := store.Actor{UserID: u.ID, Role: u.Role}
	for i, want := range []bool{true, false} {
		if fresh, err := s.ClaimCarry(ctx, actor, "nonce-1"); err != nil || fresh != want {
			t.Errorf("claim %d = %v, %v; want %v", i, fresh, err, want)
		}
	}
}
