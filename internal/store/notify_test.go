package store_test

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// requirePostgres skips a test that needs two instances on one PostgreSQL
// when KAPSTONE_TEST_POSTGRES is not set: SQLite has one instance by
// design. CI always sets it, so these tests run there.
func requirePostgres(t *testing.T) {
	t.Helper()
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Skip("PostgreSQL only: two instances share a database only on PostgreSQL; runs when KAPSTONE_TEST_POSTGRES is set (make test's PostgreSQL pass, always in CI)")
	}
}

// listening starts s's change listener until the test ends and returns a
// counter of its onChange calls, once the first (it is listening) was made.
func listening(t *testing.T, s *store.Store) *atomic.Int64 {
	t.Helper()
	var calls atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.ListenPublicChanges(ctx, func() { calls.Add(1) }, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ListenPublicChanges = %v, want nil when its context ends", err)
		}
	})
	waitUntil(t, "the listener listens", func() bool { return calls.Load() >= 1 })
	return &calls
}

// waitUntil polls cond every 10 ms for up to 15 s (a bound, not a sleep:
// it returns as soon as cond holds).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestChangeAnnouncedToOtherInstances: a change announced by one instance
// reaches the other instances on the same database (which of them acts on
// it is forOtherInstance's, tested on its own).
func TestChangeAnnouncedToOtherInstances(t *testing.T) {
	requirePostgres(t)
	dsn := storetest.DSN(t)
	a, b := storetest.OpenDSN(t, dsn), storetest.OpenDSN(t, dsn)
	ca, cb := listening(t, a), listening(t, b)
	if err := a.AnnouncePublicChange(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "b hears a's change", func() bool { return cb.Load() == 2 })
	if err := b.AnnouncePublicChange(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a hears b's change", func() bool { return ca.Load() >= 2 })
}

// TestListenerReconnects: when the listener's connection is cut, it
// connects again by itself, empties the caches once (announcements made
// meanwhile are lost), and hears the next change.
func TestListenerReconnects(t *testing.T) {
	requirePostgres(t)
	dsn := storetest.DSN(t)
	a, b := storetest.OpenDSN(t, dsn), storetest.OpenDSN(t, dsn)
	cb := listening(t, b)
	db, err := sql.Open("pgx", os.Getenv(storetest.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var cut int
	if err := db.QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, b.ListenerName()).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("cut %d listener connections (%v), want 1", cut, err)
	}
	waitUntil(t, "the listener is back and empties the cache", func() bool { return cb.Load() == 2 })
	if err := a.AnnouncePublicChange(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the listener hears a change after reconnecting", func() bool { return cb.Load() == 3 })
}

// TestChangesOnSQLite: with one instance by design, announcing does
// nothing and listening returns at once (a SQLite file on either pass).
func TestChangesOnSQLite(t *testing.T) {
	s, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "one.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.AnnouncePublicChange(t.Context()); err != nil {
		t.Errorf("AnnouncePublicChange = %v", err)
	}
	called := false
	if err := s.ListenPublicChanges(t.Context(), func() { called = true }, nil); err != nil || called {
		t.Errorf("ListenPublicChanges = %v, called %v; want nil at once without a call", err, called)
	}
}
