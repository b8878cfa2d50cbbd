package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/seal"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// newSecret is a fresh TOTP secret, so finding it anywhere means it leaked.
func newSecret(t *testing.T) string {
	t.Helper()
	s, err := auth.NewTOTPSecret("Test Practice", "x@example.org")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawValue reads one column of one row as stored.
func rawValue(t *testing.T, s *store.Store, q, id string) string {
	t.Helper()
	v, err := store.StringForTest(context.Background(), s, q, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// mfaUser makes a therapist with secret as their second factor.
func mfaUser(t *testing.T, s *store.Store, email, secret string) *clinic.User {
	t.Helper()
	u := &clinic.User{Email: email, DisplayName: "Mfa " + email, Role: clinic.RoleTherapist}
	if err := s.CreateUserWithTOTP(context.Background(), store.System, u, "h", secret); err != nil {
		t.Fatal(err)
	}
	return u
}

// checkCode asserts that userID's current code from secret matches, through
// the store (the one place the sealed secret is opened).
func checkCode(t *testing.T, s *store.Store, userID, secret string, at time.Time) {
	t.Helper()
	code, _ := auth.TOTPCode(secret, at)
	if _, ok, err := s.MatchTOTP(context.Background(), userID, code, at); err != nil || !ok {
		t.Fatalf("MatchTOTP(%s, right code) = %v, %v; want a match", userID, ok, err)
	}
}

// TestTOTPSecretsSealedAtRest: after enrolment (SetTOTP) and during it
// (a session's pending secret), the database holds no TOTP secret in plain
// text: the columns hold sealed values, and on SQLite the raw bytes of the
// database file and its WAL hold no trace of the base32 secrets. A code is
// still checked right, and a wrong one refused.
func TestTOTPSecretsSealedAtRest(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	s := storetest.OpenDSN(t, dsn)
	now := time.Now()
	u := &clinic.User{Email: "ena@example.org", DisplayName: "Ena Enrol", Role: clinic.RoleTherapist}
	if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
		t.Fatal(err)
	}
	sess := &store.Session{IDHash: "hash-ena", User: u, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.StartSession(ctx, store.System, "", sess, store.Entry{Action: "login.password"}); err != nil {
		t.Fatal(err)
	}
	pending := newSecret(t)
	if err := s.SetPendingTOTP(ctx, sess, pending); err != nil {
		t.Fatal(err)
	}
	got, err := s.TouchSession(ctx, sess.IDHash, func(clinic.Role) time.Duration { return time.Hour })
	if err != nil {
		t.Fatal(err)
	}
	if !got.HasPendingTOTP() {
		t.Fatal("the session lost its pending secret")
	}
	if open, err := s.OpenPendingTOTP(got); err != nil || open != pending {
		t.Fatalf("OpenPendingTOTP = %q, %v; want the pending secret", open, err)
	}
	enrolled := newSecret(t)
	if err := s.SetTOTP(ctx, store.System, u.ID, enrolled, nil); err != nil {
		t.Fatal(err)
	}
	created := newSecret(t)
	other := mfaUser(t, s, "cre@example.org", created)

	for _, c := range []struct{ q, id, secret string }{
		{`SELECT totp_secret FROM users WHERE id = $1`, u.ID, enrolled},
		{`SELECT totp_secret FROM users WHERE id = $1`, other.ID, created},
	} {
		v := rawValue(t, s, c.q, c.id)
		if !seal.IsSealed(v) || strings.Contains(v, c.secret) {
			t.Errorf("users.totp_secret of %s = %q, want a sealed value", c.id, v)
		}
	}
	// The pending secret went with the sessions SetTOTP ended; seal another.
	sess2 := &store.Session{IDHash: "hash-ena-2", User: u, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.StartSession(ctx, store.System, "", sess2, store.Entry{Action: "login.password"}); err != nil {
		t.Fatal(err)
	}
	pending2 := newSecret(t)
	if err := s.SetPendingTOTP(ctx, sess2, pending2); err != nil {
		t.Fatal(err)
	}
	if v := rawValue(t, s, `SELECT pending_totp FROM sessions WHERE id_hash = $1`, sess2.IDHash); !seal.IsSealed(v) || strings.Contains(v, pending2) {
		t.Errorf("sessions.pending_totp = %q, want a sealed value", v)
	}
	checkCode(t, s, u.ID, enrolled, now)
	checkCode(t, s, other.ID, created, now)
	wrong, _ := auth.TOTPCode(created, now.Add(-10*time.Minute))
	if _, ok, err := s.MatchTOTP(ctx, other.ID, wrong, now); ok || err != nil {
		t.Errorf("MatchTOTP(an old code) = %v, %v; want no match and no error", ok, err)
	}

	if s.Engine() != store.EngineSQLite {
		return
	}
	files := 0
	for _, f := range []string{dsn, dsn + "-wal"} {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		files++
		for _, secret := range []string{pending, enrolled, created, pending2} {
			if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(strings.ToLower(secret))) {
				t.Errorf("%s holds a TOTP secret in plain text", filepath.Base(f))
			}
		}
	}
	if files == 0 {
		t.Fatal("no database file to search")
	}
	t.Logf("searched %d database files for 4 secrets", files)
}

// TestSealedSecretBoundToItsRow: a sealed TOTP secret copied into another
// user's row does not open there, so the other user's codes do not verify
// with it (and the sign-in fails with an error, not a match); the same for a
// pending secret copied to another session.
func TestSealedSecretBoundToItsRow(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	now := time.Now()
	secretA, secretB := newSecret(t), newSecret(t)
	a := mfaUser(t, s, "a@example.org", secretA)
	b := mfaUser(t, s, "b@example.org", secretB)
	if err := store.ExecForTest(ctx, s, `UPDATE users SET totp_secret = (SELECT totp_secret FROM users WHERE id = $1) WHERE id = $2`, a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	code, _ := auth.TOTPCode(secretA, now)
	if _, ok, err := s.MatchTOTP(ctx, b.ID, code, now); ok || !errors.Is(err, seal.ErrOpen) {
		t.Errorf("MatchTOTP(b, a's code) with a's ciphertext in b's row = %v, %v; want no match and %v", ok, err, seal.ErrOpen)
	} else if strings.Contains(err.Error(), secretA) {
		t.Errorf("the error names the secret: %v", err)
	}
	checkCode(t, s, a.ID, secretA, now)

	sa := &store.Session{IDHash: "hash-a", User: a, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	sb := &store.Session{IDHash: "hash-b", User: b, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, x := range []*store.Session{sa, sb} {
		if err := s.StartSession(ctx, store.System, "", x, store.Entry{Action: "login.password"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetPendingTOTP(ctx, sa, newSecret(t)); err != nil {
		t.Fatal(err)
	}
	if err := store.ExecForTest(ctx, s, `UPDATE sessions SET pending_totp = (SELECT pending_totp FROM sessions WHERE id_hash = 'hash-a') WHERE id_hash = 'hash-b'`); err != nil {
		t.Fatal(err)
	}
	got, err := s.TouchSession(ctx, "hash-b", func(clinic.Role) time.Duration { return time.Hour })
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.OpenPendingTOTP(got); !errors.Is(err, seal.ErrOpen) || v != "" {
		t.Errorf("OpenPendingTOTP with another session's ciphertext = %q, %v; want %v", v, err, seal.ErrOpen)
	}
}

// fileKeys is a key file in a temporary directory and a keyring loaded
// from it, as kapstone loads one.
func fileKeys(t *testing.T) (string, *seal.Keyring) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data-key")
	k, err := seal.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, k
}

// openWithKeys opens dsn as another instance would, with its own keyring
// loaded from path.
func openWithKeys(t *testing.T, dsn, path string) *store.Store {
	t.Helper()
	s := storetest.OpenDSN(t, dsn)
	k, err := seal.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	s.SetKeyring(k)
	return s
}

// TestRotateResealsEverything: rotation re-seals every sealed value
// (several batches of users, and a pending secret) under the new key, which
// it saved to the key file first; status then shows every value under the
// new key; codes still verify; the audit log records the counts.
func TestRotateResealsEverything(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	path, _ := fileKeys(t)
	s := openWithKeys(t, dsn, path)
	now := time.Now()
	const users = 230 // more than two batches
	secrets := map[string]string{}
	first := ""
	for i := range users {
		secret := newSecret(t)
		u := mfaUser(t, s, "u"+string(rune('a'+i%26))+strings.Repeat("x", i/26)+"@example.org", secret)
		secrets[u.ID] = secret
		if first == "" {
			first = u.ID
		}
	}
	sess := &store.Session{IDHash: "hash-p", User: &clinic.User{ID: first}, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.StartSession(ctx, store.System, "", sess, store.Entry{Action: "login.password"}); err != nil {
		t.Fatal(err)
	}
	pending := newSecret(t)
	if err := s.SetPendingTOTP(ctx, sess, pending); err != nil {
		t.Fatal(err)
	}
	old := s.Keyring().Current()
	before, err := s.SealedKeyIDs(ctx)
	if err != nil || before[old] != users+1 || len(before) != 1 {
		t.Fatalf("before rotation: %v, %v; want %d values under %s", before, err, users+1, old)
	}

	keys := s.Keyring()
	id, err := keys.AddKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Save(path); err != nil {
		t.Fatal(err)
	}
	res, err := s.ResealAll(ctx, store.System, func(c, id string, err error) { t.Errorf("%s of %s did not open: %v", c, id, err) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Key != id || res.Resealed["users.totp_secret"] != users || res.Resealed["sessions.pending_totp"] != 1 || res.Left != 0 {
		t.Errorf("ResealAll = %+v; want %d users and 1 session under %s, none left", res, users, id)
	}
	status, err := s.SealStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range status {
		for k, n := range c.ByKey {
			if k != id {
				t.Errorf("%s: %d values still under %s after rotating to %s", c.Column, n, k, id)
			}
		}
		if c.Plain != 0 {
			t.Errorf("%s: %d plain values", c.Column, c.Plain)
		}
	}
	for uid, secret := range secrets {
		checkCode(t, s, uid, secret, now)
	}
	got, err := s.TouchSession(ctx, sess.IDHash, func(clinic.Role) time.Duration { return time.Hour })
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.OpenPendingTOTP(got); err != nil || v != pending {
		t.Errorf("pending secret after rotation = %q, %v", v, err)
	}
	// A store that loads the key file now opens it all: the new key was saved.
	fresh := openWithKeys(t, dsn, path)
	checkCode(t, fresh, first, secrets[first], now)
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'data.key.rotate' AND object_id = $1 AND detail LIKE $2`,
		id, "%users.totp_secret=230 sessions.pending_totp=1%"); err != nil || n != 1 {
		t.Errorf("audit rows of the rotation with its counts: %d, %v; want 1", n, err)
	}
	t.Logf("rotated %d values from %s to %s", users+1, old, id)
}

// TestRunningStoreFollowsRotation: a store that is running (its keyring
// loaded from the key file before) while another process rotates opens the
// values re-sealed under the new key (it re-reads the file on meeting the
// unknown key id), and seals what it writes next under the new key.
func TestRunningStoreFollowsRotation(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	path, _ := fileKeys(t)
	server := openWithKeys(t, dsn, path)
	now := time.Now()
	secret := newSecret(t)
	u := mfaUser(t, server, "run@example.org", secret)
	checkCode(t, server, u.ID, secret, now)

	rotator := openWithKeys(t, dsn, path)
	id, err := rotator.Keyring().AddKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := rotator.Keyring().Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := rotator.ResealAll(ctx, store.System, nil); err != nil {
		t.Fatal(err)
	}
	if server.Keyring().Current() == id {
		t.Fatal("the running store knew the new key before meeting it")
	}
	checkCode(t, server, u.ID, secret, now.Add(30*time.Second))

	// The next write of the running store is under the new key too (it
	// refreshes before sealing, not only on opening).
	v := newSecret(t)
	other := mfaUser(t, server, "next@example.org", v)
	raw := rawValue(t, server, `SELECT totp_secret FROM users WHERE id = $1`, other.ID)
	if k, _ := seal.KeyID(raw); k != id {
		t.Errorf("a secret the running store sealed after the rotation is under %s, want the new key %s", k, id)
	}
}

// TestRunningStoreSealsUnderRotatedKey: a running store that has met no
// re-sealed value yet still seals its next write under the key another
// process added (Refresh before sealing).
func TestRunningStoreSealsUnderRotatedKey(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	path, _ := fileKeys(t)
	server := openWithKeys(t, dsn, path)
	rotator := openWithKeys(t, dsn, path)
	id, err := rotator.Keyring().AddKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := rotator.Keyring().Save(path); err != nil {
		t.Fatal(err)
	}
	u := mfaUser(t, server, "late@example.org", newSecret(t))
	raw := rawValue(t, server, `SELECT totp_secret FROM users WHERE id = $1`, u.ID)
	if k, _ := seal.KeyID(raw); k != id {
		t.Errorf("a secret sealed after another process added key %s is under %s", id, k)
	}
	if _, err := rotator.ResealAll(ctx, store.System, nil); err != nil {
		t.Fatal(err)
	}
}

// TestPlainSecretsSealedOnMigrate: TOTP secrets an older release stored in
// plain text are sealed when the database is next migrated (at start),
// with one system audit row; codes still verify; migrating again changes
// nothing and writes no second row.
func TestPlainSecretsSealedOnMigrate(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	now := time.Now()
	secretA, secretB := newSecret(t), newSecret(t)
	a := mfaUser(t, s, "olda@example.org", "")
	b := mfaUser(t, s, "oldb@example.org", "")
	c := mfaUser(t, s, "none@example.org", "")
	for id, secret := range map[string]string{a.ID: secretA, b.ID: secretB} {
		if err := store.ExecForTest(ctx, s, `UPDATE users SET totp_secret = $1 WHERE id = $2`, secret, id); err != nil {
			t.Fatal(err)
		}
	}
	sess := &store.Session{IDHash: "hash-old", User: a, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.StartSession(ctx, store.System, "", sess, store.Entry{Action: "login.password"}); err != nil {
		t.Fatal(err)
	}
	pending := newSecret(t)
	if err := store.ExecForTest(ctx, s, `UPDATE sessions SET pending_totp = $1 WHERE id_hash = 'hash-old'`, pending); err != nil {
		t.Fatal(err)
	}
	status, err := s.SealStatus(ctx)
	if err != nil || status[0].Plain != 2 || status[1].Plain != 1 {
		t.Fatalf("status before = %+v, %v; want 2 and 1 plain", status, err)
	}
	for range 2 {
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{a.ID, b.ID} {
		if v := rawValue(t, s, `SELECT totp_secret FROM users WHERE id = $1`, id); !seal.IsSealed(v) {
			t.Errorf("users.totp_secret of %s after Migrate = %q, want sealed", id, v)
		}
	}
	if v := rawValue(t, s, `SELECT totp_secret FROM users WHERE id = $1`, c.ID); v != "" {
		t.Errorf("a user without a second factor has %q after Migrate, want none", v)
	}
	if v := rawValue(t, s, `SELECT pending_totp FROM sessions WHERE id_hash = $1`, "hash-old"); !seal.IsSealed(v) {
		t.Errorf("sessions.pending_totp after Migrate = %q, want sealed", v)
	}
	checkCode(t, s, a.ID, secretA, now)
	checkCode(t, s, b.ID, secretB, now)
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'data.seal' AND actor_role = 'system' AND detail = $1`,
		"sealed users.totp_secret=2 sessions.pending_totp=1"); err != nil || n != 1 {
		t.Errorf("data.seal audit rows = %d, %v; want exactly 1 with the counts", n, err)
	}
	if n, _ := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE detail LIKE $1 OR detail LIKE $2`, "%"+secretA+"%", "%"+pending+"%"); n != 0 {
		t.Errorf("%d audit rows name a secret", n)
	}
}

// TestNoKeyringNoSecret: a store without data keys refuses to store a
// secret rather than store it in plain text.
func TestNoKeyringNoSecret(t *testing.T) {
	s := storetest.Open(t)
	s.SetKeyring(nil)
	u := &clinic.User{Email: "nokey@example.org", DisplayName: "No Key", Role: clinic.RoleTherapist}
	if err := s.CreateUserWithTOTP(context.Background(), store.System, u, "h", newSecret(t)); err == nil {
		t.Fatal("a TOTP secret was stored with no data key loaded")
	}
	if n, _ := store.CountForTest(context.Background(), s, `SELECT count(*) FROM users WHERE email = 'nokey@example.org'`); n != 0 {
		t.Errorf("%d users stored", n)
	}
}

// TestSealedColumnsRegistry: every column in the registry exists in a
// migrated database, so rotation and status cover it (a misspelt entry
// fails here, not at a practice).
func TestSealedColumnsRegistry(t *testing.T) {
	s := storetest.Open(t)
	status, err := s.SealStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range status {
		got = append(got, c.Column)
	}
	if want := store.SealedColumnsForTest(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("columns counted = %v, want every registered one %v", got, want)
	}
}
