package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// checkKeyUse asserts that the key-use table (migration 0046, read by
// KeyUse and so by the start-up check) counts, by column and key, exactly
// what reading every sealed value counts (SealStatus), and that
// SealedKeyIDs agrees.
func checkKeyUse(t *testing.T, s *store.Store, when string) {
	t.Helper()
	ctx := context.Background()
	want, err := s.SealStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.KeyUse(ctx)
	if err != nil || !ok {
		t.Fatalf("%s: KeyUse = %v, %v", when, ok, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: the key-use table counts %+v; the values themselves %+v", when, got, want)
	}
	ids, err := s.SealedKeyIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := map[string]int{}
	for _, c := range want {
		for k, n := range c.ByKey {
			sum[k] += n
		}
	}
	if !reflect.DeepEqual(ids, sum) {
		t.Errorf("%s: SealedKeyIDs = %v, want %v", when, ids, sum)
	}
}

// TestKeyUseMatchesValues: the key-use table the start-up check reads
// instead of every sealed value stays equal to what the values say: after
// the migration's backfill of values an older release left (sealed ones,
// plain ones, and malformed ones the table must read as seal.KeyID does);
// after sealPlain seals the plain ones; and after every kind of write of a
// sealed column, in the writing transaction: a new user with a second
// factor, a pending secret, a psychotherapy note and its update, a secret
// cleared, a session and a user's secret deleted, a rotation (ResealAll)
// that moves every value to the new key, a refused write that leaves
// nothing behind.
func TestKeyUseMatchesValues(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "0045_~")
	now := time.Now()
	old := s.Keyring().Current()

	// As an older release left the database: one value of each form.
	th := &clinic.User{Email: "keyuse@example.org", DisplayName: "Key Use", Role: clinic.RoleTherapist}
	if err := s.CreateUserWithTOTP(ctx, store.System, th, "h", newSecret(t)); err != nil {
		t.Fatal(err)
	}
	forms := []string{
		"JBSWY3DPEHPK3PXP",     // plain
		"seal1:",               // no key id: plain
		"seal1::abc",           // empty key id: plain
		"seal1:kq:",            // no body: plain
		"SEAL1:kq:abc",         // not the prefix: plain
		"seal1:kq:abc",         // under kq, a key the file lacks
		"seal1:kq:abc:def",     // under kq
		"seal1:" + old + ":zz", // under the current key (does not open; left to it)
	}
	for i, v := range forms {
		u := mfaUser(t, s, fmt.Sprintf("form%d@example.org", i), "")
		if err := store.ExecForTest(ctx, s, `UPDATE users SET totp_secret = $1 WHERE id = $2`, v, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	sess := &store.Session{IDHash: "hash-ku", User: th, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.StartSession(ctx, store.System, "", sess, store.Entry{Action: "login.password"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPendingTOTP(ctx, sess, newSecret(t)); err != nil {
		t.Fatal(err)
	}
	p := &store.Patient{DisplayName: "Kay"}
	if err := s.CreatePatient(ctx, store.Actor{UserID: th.ID, Role: th.Role}, p, ""); err != nil {
		t.Fatal(err)
	}
	thea := store.Actor{UserID: th.ID, Role: th.Role}
	note := &store.PsychNote{Body: "before the table"}
	if err := s.CreatePsychNote(ctx, thea, p.ID, note); err != nil {
		t.Fatal(err)
	}

	// The migration counts them (not sealPlain yet: the plain ones stay).
	if err := store.MigrateThroughForTest(ctx, s, "0046_~"); err != nil {
		t.Fatal(err)
	}
	checkKeyUse(t, s, "after the backfill")
	if got, _, _ := s.KeyUse(ctx); got[0].Plain != 5 || got[0].ByKey["kq"] != 2 {
		t.Errorf("backfilled users.totp_secret = %+v; want 5 plain and 2 under kq", got[0])
	}
	// Migrate seals the plain values; the triggers count the change.
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	checkKeyUse(t, s, "after sealPlain")

	// Writes through the store.
	if err := s.CreateUserWithTOTP(ctx, store.System, &clinic.User{Email: "new@example.org", DisplayName: "New", Role: clinic.RoleTherapist}, "h", newSecret(t)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTOTP(ctx, store.System, th.ID, newSecret(t), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPendingTOTP(ctx, sess, newSecret(t)); err != nil {
		t.Fatal(err)
	}
	note.Body = "after the table"
	if err := s.UpdatePsychNote(ctx, thea, p.ID, note); err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePsychNote(ctx, thea, p.ID, &store.PsychNote{Body: "a second"}); err != nil {
		t.Fatal(err)
	}
	checkKeyUse(t, s, "after writes")
	// A refused write (too long a note) counts nothing.
	if err := s.CreatePsychNote(ctx, thea, p.ID, &store.PsychNote{Body: string(make([]byte, 1<<20))}); err == nil {
		t.Fatal("an overlong note was saved")
	}
	checkKeyUse(t, s, "after a refused write")

	// Rotation moves every value (but those that do not open) to the new key.
	id, err := s.Keyring().AddKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResealAll(ctx, store.System, nil); err != nil {
		t.Fatal(err)
	}
	checkKeyUse(t, s, "after rotation")
	if got, _ := s.SealedKeyIDs(ctx); got[old] != 1 || got["kq"] != 2 || got[id] == 0 {
		t.Errorf("after rotation SealedKeyIDs = %v; want only the 3 values that do not open left under %s and kq", got, old)
	}

	// Secrets cleared and rows deleted.
	for _, q := range []string{
		`UPDATE users SET totp_secret = '' WHERE email = 'new@example.org'`,
		`UPDATE users SET totp_secret = '' WHERE totp_secret LIKE 'seal1:kq:%'`,
		`DELETE FROM sessions WHERE id_hash = 'hash-ku'`,
	} {
		if err := store.ExecForTest(ctx, s, q); err != nil {
			t.Fatal(err)
		}
		checkKeyUse(t, s, q)
	}
	if got, _ := s.SealedKeyIDs(ctx); got["kq"] != 0 {
		t.Errorf("SealedKeyIDs = %v after the last value under kq was cleared; want kq gone", got)
	}
}
