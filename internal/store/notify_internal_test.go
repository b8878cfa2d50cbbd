package store

import (
	"context"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// TestForOtherInstance: a listener acts on announcements about its own
// schema made by another instance, never on its own, another practice's
// (another schema on the same server: channels span the database) or a
// payload it cannot read.
func TestForOtherInstance(t *testing.T) {
	for _, c := range []struct {
		payload string
		want    bool
	}{
		{"public B", true},
		{"public A", false},  // its own
		{"t_other B", false}, // another schema
		{"public", false},    // no instance id
		{"", false},          // empty
		{" B", false},        // no schema, while the listener has one
	} {
		if got := forOtherInstance(c.payload, "public", "A"); got != c.want {
			t.Errorf("forOtherInstance(%q, public, A) = %v, want %v", c.payload, got, c.want)
		}
	}
}

// TestListenerSurvivesQuiet: a listener that hears nothing for a while
// checks its connection (listenIdleCheck, shortened here) and keeps it:
// no reconnection, so no needless emptying of the cache, and it still
// hears the next change.
func TestListenerSurvivesQuiet(t *testing.T) {
	dsn := os.Getenv("KAPSTONE_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("PostgreSQL only: announcements exist only on PostgreSQL; runs when KAPSTONE_TEST_POSTGRES is set (make test's PostgreSQL pass, always in CI)")
	}
	// Announcing and listening use no table: two stores on the database's
	// own schema, not migrated, stand for two instances.
	a, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	old := listenIdleCheck
	listenIdleCheck = 20 * time.Millisecond
	defer func() { listenIdleCheck = old }()
	var calls atomic.Int64
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.ListenPublicChanges(ctx, func() { calls.Add(1) }, slog.New(slog.DiscardHandler))
	}()
	defer func() { cancel(); <-done }()
	wait := func(what string, n int64) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); calls.Load() < n; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting until %s", what)
			}
		}
	}
	wait("the listener listens", 1)
	time.Sleep(300 * time.Millisecond) // quiet: about 15 idle checks
	if got := calls.Load(); got != 1 {
		t.Fatalf("after a quiet spell the listener was called %d times, want 1: it reconnected", got)
	}
	if err := a.AnnouncePublicChange(t.Context()); err != nil {
		t.Fatal(err)
	}
	wait("the listener hears a change after the quiet spell", 2)
}
