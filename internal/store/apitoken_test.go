package store_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

const tokenTestTOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// tokenPractice is a store with an admin, two therapists with a second
// factor (thea, theo), one without (nomi), and a patient's account (pat,
// no second factor), on a clock the test moves.
type tokenPractice struct {
	s                            *store.Store
	now                          time.Time
	admin, thea, theo, nomi, pat store.Actor
	adminU, theaU, theoU, nomiU  *clinic.User
	patU                         *clinic.User
	ctx                          context.Context
	started                      time.Time
}

func newTokenPractice(t *testing.T) *tokenPractice {
	t.Helper()
	tp := &tokenPractice{s: storetest.Open(t), now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), ctx: context.Background()}
	tp.s.Now = func() time.Time { return tp.now }
	tp.started = tp.now
	mk := func(email, name string, role clinic.Role, totp string) (*clinic.User, store.Actor) {
		u := &clinic.User{Email: email, DisplayName: name, Role: role}
		if err := tp.s.CreateUserWithTOTP(tp.ctx, store.System, u, "h", totp); err != nil {
			t.Fatal(err)
		}
		return u, store.Actor{UserID: u.ID, Role: role}
	}
	tp.adminU, tp.admin = mk("ada@example.org", "Ada Admin", clinic.RoleAdmin, tokenTestTOTP)
	tp.theaU, tp.thea = mk("thea@example.org", "Thea Therapist", clinic.RoleTherapist, tokenTestTOTP)
	tp.theoU, tp.theo = mk("theo@example.org", "Theo Therapist", clinic.RoleTherapist, tokenTestTOTP)
	tp.nomiU, tp.nomi = mk("nomi@example.org", "Nomi Newhire", clinic.RoleTherapist, "")
	tp.patU, tp.pat = mk("pat@example.org", "Pat Patient", clinic.RolePatient, "")
	return tp
}

func (tp *tokenPractice) create(t *testing.T, actor store.Actor, scope store.TokenScope, ttl time.Duration) (string, *store.APIToken) {
	t.Helper()
	tok, rec, err := tp.s.CreateAPIToken(tp.ctx, actor, store.APITokenInput{Label: "My script", Scope: scope, TTL: ttl})
	if err != nil {
		t.Fatalf("CreateAPIToken as %s: %v", actor.Role, err)
	}
	return tok, rec
}

// auditCount counts the audit rows of action on object since the practice
// was made.
func (tp *tokenPractice) auditCount(t *testing.T, action, object string) int {
	t.Helper()
	n, _, err := tp.s.CountAudit(tp.ctx, action, object, "", tp.started)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAPITokenLifecycle: a token is made (shown once, stored hashed),
// listed for its owner only, speaks for its owner with its scope, and stops
// at once when revoked; making and revoking are audited.
func TestAPITokenLifecycle(t *testing.T) {
	tp := newTokenPractice(t)
	tok, rec := tp.create(t, tp.thea, store.ScopeWrite, 0)
	if !store.WellFormedAPIToken(tok) || !strings.HasPrefix(tok, "kap_") {
		t.Fatalf("token %q is not well formed", tok)
	}
	if got, want := rec.ExpiresAt.Sub(rec.CreatedAt), store.APITokenDefaultTTL; got != want {
		t.Errorf("default lifetime = %v, want %v", got, want)
	}
	// Only the hash is stored.
	var n int
	if err := rawDB(t, tp.s).QueryRow(`SELECT count(*) FROM api_tokens WHERE token_hash = $1 OR label = $1`, tok).Scan(&n); err != nil || n != 0 {
		t.Errorf("the plain token is in the table (%d rows, %v)", n, err)
	}

	c, err := tp.s.AuthenticateAPIToken(tp.ctx, tok)
	if err != nil {
		t.Fatalf("AuthenticateAPIToken: %v", err)
	}
	if c.Actor.UserID != tp.thea.UserID || c.Actor.Role != clinic.RoleTherapist || c.Scope != store.ScopeWrite || c.TokenID != rec.ID || !c.Scope.Writes() {
		t.Errorf("caller = %+v, want thea with write scope and token %s", c, rec.ID)
	}

	list, err := tp.s.ListAPITokens(tp.ctx, tp.thea, 50)
	if err != nil || len(list) != 1 || list[0].ID != rec.ID || list[0].Label != "My script" || list[0].Scope != store.ScopeWrite {
		t.Fatalf("thea's tokens = %+v, %v", list, err)
	}
	if !list[0].LastUsedAt.Equal(tp.now) {
		t.Errorf("last used = %v, want %v (just used)", list[0].LastUsedAt, tp.now)
	}
	for _, other := range []store.Actor{tp.theo, tp.admin, tp.pat} {
		if l, err := tp.s.ListAPITokens(tp.ctx, other, 50); err != nil || len(l) != 0 {
			t.Errorf("%s's tokens = %d, %v; want none of thea's", other.Role, len(l), err)
		}
	}

	// Nobody else but an administrator may revoke it; the answer is the
	// one for a token that does not exist.
	for _, other := range []store.Actor{tp.theo, tp.pat, tp.nomi} {
		if err := tp.s.RevokeAPIToken(tp.ctx, other, rec.ID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("revoke thea's token as %s = %v, want ENotFound", other.Role, err)
		}
	}
	if err := tp.s.RevokeAPIToken(tp.ctx, tp.thea, store.NewID()); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("revoke a missing token = %v, want ENotFound", err)
	}
	if _, err := tp.s.AuthenticateAPIToken(tp.ctx, tok); err != nil {
		t.Fatalf("thea's token after others tried to revoke it: %v", err)
	}

	if err := tp.s.RevokeAPIToken(tp.ctx, tp.thea, rec.ID); err != nil {
		t.Fatalf("revoke own token: %v", err)
	}
	if _, err := tp.s.AuthenticateAPIToken(tp.ctx, tok); !store.ErrAPITokenNotValid(err) || clinic.ErrorCode(err) != clinic.EUnauthorized {
		t.Errorf("revoked token = %v, want not valid", err)
	}
	if l, _ := tp.s.ListAPITokens(tp.ctx, tp.thea, 50); len(l) != 0 {
		t.Errorf("a revoked token is still listed: %+v", l)
	}
	if err := tp.s.RevokeAPIToken(tp.ctx, tp.thea, rec.ID); err != nil {
		t.Errorf("revoking it again = %v, want no error", err)
	}
	if got := tp.auditCount(t, "apitoken.create", rec.ID); got != 1 {
		t.Errorf("apitoken.create rows = %d, want 1", got)
	}
	if got := tp.auditCount(t, "apitoken.revoke", rec.ID); got != 1 {
		t.Errorf("apitoken.revoke rows = %d, want 1 (a second revoke changes nothing)", got)
	}

	// An administrator may revoke anyone's.
	tok2, rec2 := tp.create(t, tp.theo, store.ScopeRead, time.Hour)
	if err := tp.s.RevokeAPIToken(tp.ctx, tp.admin, rec2.ID); err != nil {
		t.Fatalf("admin revokes theo's token: %v", err)
	}
	if _, err := tp.s.AuthenticateAPIToken(tp.ctx, tok2); !store.ErrAPITokenNotValid(err) {
		t.Errorf("theo's token after an admin revoked it = %v", err)
	}
}

// TestAPITokenNotValid: every token that does not work gets the same
// answer, whatever the reason.
func TestAPITokenNotValid(t *testing.T) {
	tp := newTokenPractice(t)
	expired, _ := tp.create(t, tp.thea, store.ScopeRead, store.APITokenMinTTL)
	revoked, rec := tp.create(t, tp.theo, store.ScopeRead, time.Hour)
	if err := tp.s.RevokeAPIToken(tp.ctx, tp.theo, rec.ID); err != nil {
		t.Fatal(err)
	}
	disabled, _ := tp.create(t, tp.pat, store.ScopeRead, time.Hour)
	if err := tp.s.SetUserDisabled(tp.ctx, tp.admin, tp.patU.ID, true); err != nil {
		t.Fatal(err)
	}
	live, _ := tp.create(t, tp.admin, store.ScopeRead, time.Hour)
	tp.now = tp.now.Add(store.APITokenMinTTL) // the expired one's last moment has passed
	var want string
	for _, tt := range []struct{ name, tok string }{
		{"expired", expired},
		{"revoked", revoked},
		{"disabled account", disabled},
		{"unknown", store.NewAPIToken()},
		{"live token with a changed character", live[:len(live)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(live, "A")]},
		{"no prefix", strings.TrimPrefix(live, "kap_")},
		{"too short", live[:20]},
		{"bad character", live[:len(live)-1] + "="},
		{"empty", ""},
	} {
		_, err := tp.s.AuthenticateAPIToken(tp.ctx, tt.tok)
		if !store.ErrAPITokenNotValid(err) {
			t.Errorf("%s: %v, want not valid", tt.name, err)
			continue
		}
		if want == "" {
			want = clinic.ErrorMessage(err)
		}
		if clinic.ErrorMessage(err) != want {
			t.Errorf("%s: message %q, want the same as the others %q", tt.name, clinic.ErrorMessage(err), want)
		}
	}
	if _, err := tp.s.AuthenticateAPIToken(tp.ctx, live); err != nil {
		t.Errorf("a live token = %v", err)
	}
	// Enabling the account again does not bring its tokens back.
	if err := tp.s.SetUserDisabled(tp.ctx, tp.admin, tp.patU.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := tp.s.AuthenticateAPIToken(tp.ctx, disabled); !store.ErrAPITokenNotValid(err) {
		t.Errorf("token of an account disabled and enabled again = %v, want not valid", err)
	}
	if got := tp.auditCount(t, "apitoken.revoke", tp.patU.ID); got != 1 {
		t.Errorf("apitoken.revoke rows for the disabled account = %d, want 1", got)
	}
}

// TestAPITokenExpiry: a token works until its expiry and not at it; the
// lifetime is required, defaults to 30 days and is at most a year.
func TestAPITokenExpiry(t *testing.T) {
	tp := newTokenPractice(t)
	tok, rec := tp.create(t, tp.pat, store.ScopeRead, 24*time.Hour)
	if !rec.ExpiresAt.Equal(tp.now.Add(24 * time.Hour)) {
		t.Errorf("expires %v, want a day on", rec.ExpiresAt)
	}
	tp.now = rec.ExpiresAt.Add(-time.Microsecond)
	if _, err := tp.s.AuthenticateAPIToken(tp.ctx, tok); err != nil {
		t.Errorf("just before expiry: %v", err)
	}
	tp.now = rec.ExpiresAt
	if _, err := tp.s.AuthenticateAPIToken(tp.ctx, tok); !store.ErrAPITokenNotValid(err) {
		t.Errorf("at expiry: %v, want not valid", err)
	}
	if l, _ := tp.s.ListAPITokens(tp.ctx, tp.pat, 50); len(l) != 0 {
		t.Errorf("an expired token is still listed")
	}
	if err := tp.s.RevokeAPIToken(tp.ctx, tp.pat, rec.ID); err != nil {
		t.Errorf("revoking an expired token = %v, want no error", err)
	}
	if _, rec := tp.create(t, tp.pat, store.ScopeRead, store.APITokenMaxTTL); !rec.ExpiresAt.Equal(tp.now.Add(365 * 24 * time.Hour)) {
		t.Errorf("a year's token expires %v", rec.ExpiresAt)
	}
}

// TestAPITokenInputRefused: bad input gets a message at its field and
// makes nothing.
func TestAPITokenInputRefused(t *testing.T) {
	tp := newTokenPractice(t)
	for _, tt := range []struct {
		name, field string
		in          store.APITokenInput
	}{
		{"no label", "label", store.APITokenInput{Label: "  ", Scope: store.ScopeRead}},
		{"long label", "label", store.APITokenInput{Label: strings.Repeat("x", 101), Scope: store.ScopeRead}},
		{"line break", "label", store.APITokenInput{Label: "A\r\nB", Scope: store.ScopeRead}},
		{"bidi override", "label", store.APITokenInput{Label: "Dr. \u202eanA", Scope: store.ScopeRead}},
		{"no scope", "scope", store.APITokenInput{Label: "x"}},
		{"unknown scope", "scope", store.APITokenInput{Label: "x", Scope: "admin"}},
		{"too long", "ttl", store.APITokenInput{Label: "x", Scope: store.ScopeRead, TTL: store.APITokenMaxTTL + time.Second}},
		{"too short", "ttl", store.APITokenInput{Label: "x", Scope: store.ScopeRead, TTL: time.Minute}},
		{"negative", "ttl", store.APITokenInput{Label: "x", Scope: store.ScopeRead, TTL: -time.Hour}},
	} {
		tok, _, err := tp.s.CreateAPIToken(tp.ctx, tp.thea, tt.in)
		var ce *clinic.Error
		if tok != "" || clinic.ErrorCode(err) != clinic.EInvalid || !asClinic(err, &ce) || ce.Fields[tt.field] == "" {
			t.Errorf("%s: %q, %v; want a message at %s", tt.name, tok, err, tt.field)
		}
	}
	if l, _ := tp.s.ListAPITokens(tp.ctx, tp.thea, 50); len(l) != 0 {
		t.Errorf("refused input made %d tokens", len(l))
	}
	// A label of exactly 100 characters (not bytes) is fine.
	if _, _, err := tp.s.CreateAPIToken(tp.ctx, tp.thea, store.APITokenInput{Label: strings.Repeat("é", 100), Scope: store.ScopeRead}); err != nil {
		t.Errorf("a 100-character label: %v", err)
	}
}

func asClinic(err error, ce **clinic.Error) bool {
	e, ok := err.(*clinic.Error)
	*ce = e
	return ok
}

// TestAPITokenWho: staff need a second factor to make a token, patients
// do not; a disabled or unknown account gets none; an account holds at
// most APITokenLimit live tokens.
func TestAPITokenWho(t *testing.T) {
	tp := newTokenPractice(t)
	in := store.APITokenInput{Label: "x", Scope: store.ScopeRead}
	if _, _, err := tp.s.CreateAPIToken(tp.ctx, tp.nomi, in); clinic.ErrorCode(err) != clinic.EForbidden || !strings.Contains(clinic.ErrorMessage(err), "two-step verification") {
		t.Errorf("a therapist without a second factor = %v, want EForbidden naming two-step verification", err)
	}
	if _, _, err := tp.s.CreateAPITokenFor(tp.ctx, tp.nomiU.ID, in); clinic.ErrorCode(err) != clinic.EForbidden {
		t.Errorf("for a therapist without a second factor from the command line = %v, want EForbidden", err)
	}
	if _, _, err := tp.s.CreateAPIToken(tp.ctx, tp.pat, in); err != nil {
		t.Errorf("a patient without a second factor = %v, want a token", err)
	}
	if _, _, err := tp.s.CreateAPITokenFor(tp.ctx, store.NewID(), in); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("for an unknown account = %v, want ENotFound", err)
	}
	if _, _, err := tp.s.CreateAPIToken(tp.ctx, store.System, in); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("for the system itself = %v, want ENotFound", err)
	}
	if err := tp.s.SetUserDisabled(tp.ctx, tp.admin, tp.theoU.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tp.s.CreateAPITokenFor(tp.ctx, tp.theoU.ID, in); clinic.ErrorCode(err) != clinic.EForbidden {
		t.Errorf("for a disabled account = %v, want EForbidden", err)
	}

	// From the command line: audited as the system, acting for thea.
	tok, rec, err := tp.s.CreateAPITokenFor(tp.ctx, tp.theaU.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := tp.s.AuthenticateAPIToken(tp.ctx, tok); err != nil || c.Actor.UserID != tp.theaU.ID {
		t.Errorf("the command line's token = %+v, %v; want thea", c, err)
	}
	rows, _, err := tp.s.FindAudit(tp.ctx, tp.admin, store.AuditFilter{Action: "apitoken.create", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, r := range rows {
		if r.ObjectID == rec.ID {
			found = true
			if r.ActorRole != "system" || r.ActorID != "" || !strings.Contains(r.Detail, "user="+tp.theaU.ID) {
				t.Errorf("the command line's audit row = %+v, want the system acting for thea", r)
			}
		}
	}
	if !found {
		t.Error("no audit row for the command line's token")
	}

	// The limit: thea has one; nineteen more fit, the twenty-first does not.
	for i := 1; i < store.APITokenLimit; i++ {
		tp.create(t, tp.thea, store.ScopeRead, time.Hour)
	}
	_, _, err = tp.s.CreateAPIToken(tp.ctx, tp.thea, in)
	var ce *clinic.Error
	if clinic.ErrorCode(err) != clinic.EInvalid || !asClinic(err, &ce) || ce.Fields["label"] == "" {
		t.Errorf("token %d = %v, want refused at the label", store.APITokenLimit+1, err)
	}
	l, err := tp.s.ListAPITokens(tp.ctx, tp.thea, 1000)
	if err != nil || len(l) != store.APITokenLimit {
		t.Errorf("thea's list = %d, %v; want %d", len(l), err, store.APITokenLimit)
	}
	// Once one expires, there is room again.
	tp.now = tp.now.Add(time.Hour)
	if _, _, err := tp.s.CreateAPIToken(tp.ctx, tp.thea, in); err != nil {
		t.Errorf("after the hour's tokens expired: %v", err)
	}
}

// TestAPITokenUseWritesOncePerMinute: using a token moves its last use at
// most once a minute; other uses only read.
func TestAPITokenUseWritesOncePerMinute(t *testing.T) {
	tp := newTokenPractice(t)
	tok, _ := tp.create(t, tp.thea, store.ScopeRead, time.Hour)
	writes := func() int64 { _, w := tp.s.Transactions(); return w }
	use := func() {
		t.Helper()
		if _, err := tp.s.AuthenticateAPIToken(tp.ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	lastUsed := func() time.Time {
		l, err := tp.s.ListAPITokens(tp.ctx, tp.thea, 5)
		if err != nil || len(l) != 1 {
			t.Fatalf("list: %v, %v", l, err)
		}
		return l[0].LastUsedAt
	}
	if !lastUsed().IsZero() {
		t.Error("a new token has a last use")
	}
	w0 := writes()
	use()
	if got := writes() - w0; got != 1 {
		t.Errorf("first use: %d writes, want 1", got)
	}
	first := tp.now
	for i := 0; i < 5; i++ {
		tp.now = tp.now.Add(10 * time.Second)
		w := writes()
		use()
		if got := writes() - w; got != 0 {
			t.Errorf("use %ds after the first: %d writes, want none", (i+1)*10, got)
		}
	}
	if !lastUsed().Equal(first) {
		t.Errorf("last used = %v, want the first use %v", lastUsed(), first)
	}
	tp.now = first.Add(time.Minute)
	w := writes()
	use()
	if got := writes() - w; got != 1 || !lastUsed().Equal(tp.now) {
		t.Errorf("a minute on: %d writes, last used %v; want 1 and %v", got, lastUsed(), tp.now)
	}
}

// rawDB opens s's database beside it, to look at what is stored.
func rawDB(t *testing.T, s *store.Store) *sql.DB {
	t.Helper()
	dsn := storetest.StoreDSN(t, s)
	driver, name := "sqlite3", "file:"+dsn+"?_pragma=busy_timeout(10000)"
	if os.Getenv(storetest.PostgresEnv) != "" {
		driver, name = "pgx", dsn
	}
	db, err := sql.Open(driver, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
