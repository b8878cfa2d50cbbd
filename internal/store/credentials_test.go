package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestCredentialsMigrationSplitsNames: migration 0026 moves a trailing
// ", CRED" of a staff name into the credentials column when CRED is a known
// licence or degree, in accounts and in unused invitations, and leaves other
// names (patients, unknown or lower-case suffixes, a bare credential) alone.
func TestCredentialsMigrationSplitsNames(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "0025_~")
	now := time.Now().UTC().Truncate(time.Second)
	users := []struct{ id, name, role, wantName, wantCred string }{
		{"u1", "Sam Whitaker, LCSW", "therapist", "Sam Whitaker", "LCSW"},
		{"u2", "Priya Natarajan, MD", "prescriber", "Priya Natarajan", "MD"},
		{"u3", "Ana Ruiz, PsyD", "therapist", "Ana Ruiz", "PsyD"},
		{"u4", "Morgan Reyes", "admin", "Morgan Reyes", ""},
		{"u5", "Lee, Jordan", "therapist", "Lee, Jordan", ""},       // a surname first, not credentials
		{"u6", "Kim Park, lcsw", "therapist", "Kim Park, lcsw", ""}, // compared with case
		{"u7", "Casey Morgan, MD", "patient", "Casey Morgan, MD", ""},
		{"u8", ", MD", "therapist", ", MD", ""}, // nothing would be left of the name
		{"u9", "Alex Kim, LPC-S", "therapist", "Alex Kim", "LPC-S"},
	}
	for _, u := range users {
		if err := store.ExecForTest(ctx, s, `INSERT INTO users (id, email, email_lower, display_name, role, password_hash, created_at, updated_at)
			VALUES ($1, $2, $2, $3, $4, 'h', $5, $5)`, u.id, u.id+"@example.org", u.name, u.role, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.ExecForTest(ctx, s, `INSERT INTO auth_tokens (token_hash, purpose, user_id, email, display_name, role, patient_id, created_by, created_at, expires_at)
		VALUES ('tok', 'invite', '', 'new@example.org', 'Rae Dunn, LMFT', 'therapist', '', 'u4', $1, $2)`, now, now.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM users WHERE id = $1 AND display_name = $2 AND credentials = $3`, u.id, u.wantName, u.wantCred)
		if err != nil || n != 1 {
			t.Errorf("%q after 0026: want name %q and credentials %q (%v)", u.name, u.wantName, u.wantCred, err)
		}
	}
	tok, err := s.FindToken(ctx, "tok", store.TokenInvite)
	if err != nil {
		t.Fatal(err)
	}
	if tok.DisplayName != "Rae Dunn" || tok.Credentials != "LMFT" {
		t.Errorf("invitation after 0026 = %q / %q, want Rae Dunn / LMFT", tok.DisplayName, tok.Credentials)
	}
	// The invitation makes an account with the credentials apart.
	u := &clinic.User{DisplayName: tok.DisplayName}
	if err := s.AcceptAccountToken(ctx, store.System, "tok", store.TokenInvite, u, "h"); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.FindUserByEmail(ctx, "new@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != "Rae Dunn" || got.Credentials != "LMFT" || got.FullName() != "Rae Dunn, LMFT" {
		t.Errorf("account from the invitation: %q / %q (%q), want Rae Dunn / LMFT", got.DisplayName, got.Credentials, got.FullName())
	}
}

// oldSchemaUser adds u to a database migrated only part of the way (an
// upgrade test's), with the columns every schema has; CreateUser writes the
// newest schema's.
func oldSchemaUser(t *testing.T, s *store.Store, u *clinic.User) {
	t.Helper()
	u.ID = "u-" + strings.ToLower(strings.ReplaceAll(u.Email, "@", "-"))
	now := time.Now().UTC().Truncate(time.Second)
	if err := store.ExecForTest(context.Background(), s, `INSERT INTO users (id, email, email_lower, display_name, role, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 'h', $6, $6)`, u.ID, u.Email, strings.ToLower(u.Email), u.DisplayName, string(u.Role), now); err != nil {
		t.Fatal(err)
	}
}

// TestProfileCredentialsAreTheAccounts: credentials saved on the website
// profile are the account's, so the staff app and the website show the same
// ones; a profile never saved shows the account's.
func TestProfileCredentialsAreTheAccounts(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	u := &clinic.User{Email: "sam@example.org", DisplayName: "Sam Whitaker", Credentials: "LCSW", Role: clinic.RoleTherapist}
	if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
		t.Fatal(err)
	}
	sam := store.Actor{UserID: u.ID, Role: u.Role}
	p, err := s.StaffProfile(ctx, sam, u.ID)
	if err != nil || p.Credentials != "LCSW" {
		t.Fatalf("unsaved profile = %+v, %v; want the account's LCSW", p, err)
	}
	if err := s.SaveStaffProfile(ctx, sam, &store.StaffProfile{UserID: u.ID, Credentials: "LCSW, CCTP"}); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.FindUserByEmail(ctx, u.Email)
	if err != nil || got.FullName() != "Sam Whitaker, LCSW, CCTP" {
		t.Errorf("account after the profile saved LCSW, CCTP: %q, %v", got.FullName(), err)
	}
}

// TestProfileCredentialsMigration: migration 0029 copies a staff profile's
// credentials into an account that has none, and leaves an account's own
// credentials, and an empty profile's, alone.
func TestProfileCredentialsMigration(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "0028_~")
	now := time.Now().UTC().Truncate(time.Second)
	users := []struct{ id, name, cred, profileCred, wantCred string }{
		{"u1", "Sam Whitaker", "", "LCSW", "LCSW"},       // only the profile had them
		{"u2", "Priya Natarajan", "MD", "MD, PhD", "MD"}, // the account's own stay
		{"u3", "Ana Ruiz", "", "", ""},                   // nothing to copy
		{"u4", "Lee Jordan", "", "  LMFT ", "LMFT"},      // trimmed
		{"u5", "Morgan Reyes", "", "-", "-"},             // whatever the profile says
		{"u6", "Noor Nowhere", "", "", ""},               // no profile at all (below)
	}
	for _, u := range users {
		if err := store.ExecForTest(ctx, s, `INSERT INTO users (id, email, email_lower, display_name, role, password_hash, credentials, created_at, updated_at)
			VALUES ($1, $2, $2, $3, 'therapist', 'h', $4, $5, $5)`, u.id, u.id+"@example.org", u.name, u.cred, now); err != nil {
			t.Fatal(err)
		}
		if u.id == "u6" {
			continue
		}
		if err := store.ExecForTest(ctx, s, `INSERT INTO staff_profiles (user_id, slug, credentials, bio, public, updated_at, updated_by)
			VALUES ($1, $2, $3, '', $4, $5, $1)`, u.id, "slug-"+u.id, u.profileCred, u.id != "u4", now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM users WHERE id = $1 AND credentials = $2`, u.id, u.wantCred)
		if err != nil || n != 1 {
			t.Errorf("%s (account %q, profile %q) after 0029: want credentials %q (%v)", u.name, u.cred, u.profileCred, u.wantCred, err)
		}
	}
}
