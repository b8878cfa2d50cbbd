package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

func TestEngine(t *testing.T) {
	s := storetest.Open(t)
	want := store.EngineSQLite
	if os.Getenv(storetest.PostgresEnv) != "" {
		want = store.EnginePostgres
	}
	if got := s.Engine(); got != want {
		t.Fatalf("Engine() = %q, want %q", got, want)
	}
	t.Logf("store tests ran on %s", s.Engine())
}

func TestMigrationNamesMatch(t *testing.T) {
	lite, err := store.Migrations(store.EngineSQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Migrations(store.EnginePostgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 {
		t.Fatal("no SQLite migrations embedded")
	}
	if diff := cmp.Diff(lite, pg); diff != "" {
		t.Fatalf("migration files differ between engines (-sqlite +postgres):\n%s", diff)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	s := storetest.Open(t)
	applied, err := s.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second Migrate applied %v, want nothing", applied)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	dsn := storetest.DSN(t)
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store.ExecForTest(ctx, s, `INSERT INTO schema_migrations (version, applied_at) VALUES ('9999_from_the_future.sql', $1)`, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err = s.Migrate(ctx)
	var newer *store.ErrSchemaNewer
	if !errors.As(err, &newer) {
		t.Fatalf("Migrate on a newer schema = %v, want *ErrSchemaNewer", err)
	}
	if !slices.Contains(newer.Unknown, "9999_from_the_future.sql") {
		t.Fatalf("ErrSchemaNewer.Unknown = %v, want the future migration", newer.Unknown)
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	_, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "nope", "kapstone.db"))
	if err == nil {
		t.Fatal("Open in a missing directory succeeded, want an error")
	}
}

func TestUserAndSession(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 123456789, time.FixedZone("EST", -5*3600))
	s.Now = func() time.Time { return now }

	u := &clinic.User{Email: " Ada@Example.org ", DisplayName: "Ada", Role: clinic.RoleTherapist}
	if err := s.CreateUserWithTOTP(ctx, store.System, u, "hash", "JBSWY3DPEHPK3PXP"); err != nil {
		t.Fatal(err)
	}
	dup := &clinic.User{Email: "ada@example.ORG", DisplayName: "Other", Role: clinic.RolePatient}
	if err := s.CreateUser(ctx, store.System, dup, "hash"); clinic.ErrorCode(err) != clinic.EConflict {
		t.Fatalf("CreateUser with a taken email (other case) = %v, want %s", err, clinic.EConflict)
	}
	got, hash, err := s.FindUserByEmail(ctx, "ADA@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if hash != "hash" {
		t.Fatalf("password hash = %q, want %q", hash, "hash")
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Fatalf("FindUserByEmail (-created +found):\n%s", diff)
	}
	if want := now.UTC().Truncate(time.Microsecond); !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("CreatedAt = %v, want %v in UTC at microsecond precision", got.CreatedAt, now.UTC().Truncate(time.Microsecond))
	}
	if _, _, err := s.FindUserByID(ctx, "missing"); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Fatalf("FindUserByID(missing) = %v, want %s", err, clinic.ENotFound)
	}

	idle15 := func(clinic.Role) time.Duration { return 15 * time.Minute }
	sess := &store.Session{IDHash: "h1", User: u, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(12 * time.Hour)}
	if err := s.StartSession(ctx, store.System, "", sess, store.Entry{Action: "login.success"}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Minute)
	live, err := s.TouchSession(ctx, "h1", idle15)
	if err != nil {
		t.Fatalf("TouchSession within idle limit: %v", err)
	}
	if live.User.ID != u.ID || live.MFADone {
		t.Fatalf("TouchSession = user %s mfa %v, want user %s mfa false", live.User.ID, live.MFADone, u.ID)
	}
	now = now.Add(14 * time.Minute) // 14 min after the last touch: still live
	if _, err := s.TouchSession(ctx, "h1", idle15); err != nil {
		t.Fatalf("TouchSession 14 min after last use: %v", err)
	}
	now = now.Add(15 * time.Minute)
	if _, err := s.TouchSession(ctx, "h1", idle15); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Fatalf("TouchSession after idle timeout = %v, want %s", err, clinic.ENotFound)
	}
	now = now.Add(-15 * time.Minute) // even back in time, the idle-expired row is gone
	if _, err := s.TouchSession(ctx, "h1", idle15); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Fatalf("TouchSession of a deleted session = %v, want %s", err, clinic.ENotFound)
	}

	ok, err := s.UseTOTPStep(ctx, u.ID, 100)
	if err != nil || !ok {
		t.Fatalf("UseTOTPStep(100) = %v, %v; want true", ok, err)
	}
	for _, step := range []int64{100, 99} {
		if ok, err := s.UseTOTPStep(ctx, u.ID, step); err != nil || ok {
			t.Fatalf("UseTOTPStep(%d) after 100 = %v, %v; want false (replay)", step, ok, err)
		}
	}
}

func TestSettings(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if v, err := s.Setting(ctx, "practice_name", "default"); err != nil || v != "default" {
		t.Fatalf("Setting(unset) = %q, %v; want default", v, err)
	}
	for _, v := range []string{"Willow", "Willow & Oak"} {
		if err := s.SetSetting(ctx, store.System, "practice_name", v); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Setting(ctx, "practice_name", ""); err != nil || got != v {
			t.Fatalf("Setting = %q, %v; want %q", got, err, v)
		}
	}
}

// TestConcurrentWrites checks that many writers at once all succeed: the
// single SQLite writer queues them rather than failing with SQLITE_BUSY.
func TestConcurrentWrites(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.SetSetting(ctx, store.System, fmt.Sprintf("k%03d", i), "v")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent write: %v", err)
		}
	}
	for i := range 100 {
		if v, _ := s.Setting(ctx, fmt.Sprintf("k%03d", i), ""); v != "v" {
			t.Fatalf("k%03d = %q after concurrent writes, want v", i, v)
		}
	}
}

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{`SELECT $1`, `SELECT ?1`},
		{`SELECT $2, $1, $10`, `SELECT ?2, ?1, ?10`},
		{`SELECT '$1', "a$1", $1`, `SELECT '$1', "a$1", ?1`},
		{"SELECT 1 -- costs $5\n, $1", "SELECT 1 -- costs $5\n, ?1"},
		{`SELECT /* $9 */ $1`, `SELECT /* $9 */ ?1`},
		{`SELECT 'it''s $1', $2`, `SELECT 'it''s $1', ?2`},
	}
	for _, tt := range tests {
		if got := store.RebindForTest(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSQLiteDurability checks the settings that make an acknowledged write
// survive a crash or power loss: WAL, synchronous=FULL, and foreign keys on,
// on the writer and on readers.
func TestSQLiteDurability(t *testing.T) {
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000"}
	for name, w := range want {
		for _, read := range []func(context.Context, *store.Store, string) (string, error){store.WriterPragma, store.ReaderPragma} {
			got, err := read(ctx, s, name)
			if err != nil {
				t.Fatal(err)
			}
			if got != w {
				t.Errorf("PRAGMA %s = %s, want %s", name, got, w)
			}
		}
	}
}

func TestPurgeSessions(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	u := &clinic.User{Email: "p@example.org", DisplayName: "P", Role: clinic.RolePatient}
	if err := s.CreateUser(ctx, store.System, u, "hash"); err != nil {
		t.Fatal(err)
	}
	for i, seen := range []time.Duration{0, -20 * time.Minute, -40 * time.Minute} {
		sess := &store.Session{IDHash: fmt.Sprint("h", i), User: u, CreatedAt: now.Add(seen), LastSeenAt: now.Add(seen), ExpiresAt: now.Add(12 * time.Hour)}
		if err := s.StartSession(ctx, store.System, "", sess, store.Entry{Action: "login.success"}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PurgeSessions(ctx, 30*time.Minute)
	if err != nil || n != 1 {
		t.Fatalf("PurgeSessions = %d, %v; want 1 (the one unused for 40 minutes)", n, err)
	}
	list, _ := s.ListSessions(ctx, u.ID)
	if len(list) != 2 {
		t.Fatalf("%d sessions left, want 2", len(list))
	}
}

// TestUserNames: the map of account ids to names (read with queryMap) is
// empty, not nil, with no accounts, and holds the accounts asked about
// after (an id twice, an empty one and an unknown one are harmless; more
// than one batch of ids is read).
func TestUserNames(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	names, err := s.UserNames(ctx, []string{"nobody", ""})
	if err != nil || names == nil || len(names) != 0 {
		t.Fatalf("UserNames with no accounts = %v (nil %v), %v; want an empty map", names, names == nil, err)
	}
	want := map[string]string{}
	for _, u := range []*clinic.User{
		{Email: "a@example.org", DisplayName: "Ada", Role: clinic.RoleAdmin},
		{Email: "t@example.org", DisplayName: "Theo", Role: clinic.RoleTherapist},
	} {
		if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
		want[u.ID] = u.DisplayName
	}
	ask := []string{"", "nobody"}
	for i := range 150 { // the accounts come after the first batch
		ask = append(ask, fmt.Sprintf("unknown%d", i))
	}
	for id := range want {
		ask = append(ask, id, id)
	}
	names, err = s.UserNames(ctx, ask)
	if err != nil || !cmp.Equal(names, want) {
		t.Errorf("UserNames = %v, %v; want %v", names, err, want)
	}
}
