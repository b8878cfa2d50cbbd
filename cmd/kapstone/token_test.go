package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// tokenTestStore opens the store kapstone's commands use with args (as
// `kapstone token` would), closed when the test ends.
func tokenTestStore(t *testing.T, args []string) *store.Store {
	t.Helper()
	cfg, err := parseConfig("token", args, func(string) string { return "" }, io.Discard, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStore(context.Background(), &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestTokenCommand: `kapstone token create` prints a working token for
// the account named, alone on standard output, audited as the system
// acting for that account; it refuses an unknown or disabled account, a
// staff account without two-step verification, and bad flags, each with
// a one-line message.
func TestTokenCommand(t *testing.T) {
	ctx := context.Background()
	db := dbArgs(t)
	st := tokenTestStore(t, db)
	hash := "not-a-real-password-hash"
	pat := &clinic.User{Email: "pat@example.org", DisplayName: "Pat Patient", Role: clinic.RolePatient}
	thea := &clinic.User{Email: "thea@example.org", DisplayName: "Thea Therapist", Role: clinic.RoleTherapist}
	nomi := &clinic.User{Email: "nomi@example.org", DisplayName: "Nomi Newhire", Role: clinic.RoleTherapist}
	gone := &clinic.User{Email: "gone@example.org", DisplayName: "Gone Away", Role: clinic.RoleTherapist}
	for _, u := range []*clinic.User{pat, thea, nomi, gone} {
		secret := ""
		if u != pat && u != nomi {
			secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
		}
		if err := st.CreateUserWithTOTP(ctx, store.System, u, hash, secret); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetUserDisabled(ctx, store.System, gone.ID, true); err != nil {
		t.Fatal(err)
	}
	st.Close()

	args := func(a ...string) []string { return append(append([]string{"token"}, a...), db...) }
	code, out, errOut := kapstone(t, args("create", "--email", "PAT@example.org", "--scope", "read", "--ttl", "24h", "--label", "Nightly export")...)
	if code != 0 {
		t.Fatalf("token create = %d, stderr %q", code, errOut)
	}
	tok := strings.TrimSuffix(out, "\n")
	if !store.WellFormedAPIToken(tok) || strings.Count(out, "\n") != 1 {
		t.Fatalf("stdout = %q, want the token alone on one line", out)
	}
	if !strings.Contains(errOut, "pat@example.org") || !strings.Contains(errOut, "read only") || strings.Contains(errOut, tok) {
		t.Errorf("stderr = %q, want what the token is, without it", errOut)
	}
	code, out2, _ := kapstone(t, args("create", "-email", "thea@example.org", "-scope", "write")...)
	if code != 0 || !store.WellFormedAPIToken(strings.TrimSpace(out2)) {
		t.Fatalf("token create for a therapist with two-step verification = %d %q", code, out2)
	}

	st = tokenTestStore(t, db)
	c, err := st.AuthenticateAPIToken(ctx, tok)
	if err != nil || c.Actor.UserID != pat.ID || c.Scope != store.ScopeRead {
		t.Fatalf("the printed token = %+v, %v; want pat's, read", c, err)
	}
	list, err := st.ListAPITokens(ctx, store.Actor{UserID: pat.ID, Role: pat.Role}, 10)
	if err != nil || len(list) != 1 || list[0].Label != "Nightly export" || list[0].ExpiresAt.Sub(list[0].CreatedAt) != 24*time.Hour {
		t.Fatalf("pat's tokens = %+v, %v; want one labelled, for 24h", list, err)
	}
	theaTokens, err := st.ListAPITokens(ctx, store.Actor{UserID: thea.ID, Role: thea.Role}, 10)
	if err != nil || len(theaTokens) != 1 || theaTokens[0].Scope != store.ScopeWrite || theaTokens[0].ExpiresAt.Sub(theaTokens[0].CreatedAt) != store.APITokenDefaultTTL {
		t.Errorf("thea's tokens = %+v, %v; want one, write, for the default 30 days", theaTokens, err)
	}
	rows, _, err := st.FindAudit(ctx, store.Actor{UserID: "auditor", Role: clinic.RoleAdmin}, store.AuditFilter{Action: "apitoken.create", Limit: 10})
	if err != nil || len(rows) != 2 {
		t.Fatalf("apitoken.create rows = %d, %v; want 2", len(rows), err)
	}
	for _, r := range rows {
		if r.ActorRole != "system" || r.ActorID != "" || !strings.Contains(r.Detail, "user=") {
			t.Errorf("audit row %+v, want the system acting for the account", r)
		}
	}
	st.Close()

	for _, tt := range []struct {
		args []string
		want string // in the one line of stderr
	}{
		{args("create", "-email", "nobody@example.org", "-scope", "read"), "no account with email nobody@example.org"},
		{args("create", "-email", "gone@example.org", "-scope", "read"), "disabled"},
		{args("create", "-email", "nomi@example.org", "-scope", "read"), "two-step verification"},
		{args("create", "-email", "pat@example.org", "-scope", "admin"), "-scope"},
		{args("create", "-email", "pat@example.org"), "-scope"},
		{args("create", "-scope", "read"), "-email is required"},
		{args("create", "-email", "pat@example.org", "-scope", "read", "-ttl", "9000h"), "-ttl"},
		{args("create", "-email", "pat@example.org", "-scope", "read", "-ttl", "1m"), "-ttl"},
		{args("create", "-email", "pat@example.org", "-scope", "read", "-label", "two\nlines"), "-label"},
		{args("create", "-email", "pat@example.org", "-scope", "read", "extra"), "unexpected argument"},
		{args("revoke", "-email", "pat@example.org"), "unknown action"},
		{[]string{"token"}, "name an action"},
	} {
		code, out, errOut := kapstone(t, tt.args...)
		if code == 0 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("kapstone %q = exit %d, stdout %q, stderr %q; want non-zero, nothing printed, one line with %q", tt.args, code, out, errOut, tt.want)
		}
	}
	if code, out, _ := kapstone(t, append([]string{"token", "create", "-h"}, db...)...); code != 0 || !strings.Contains(out, "-scope") || !strings.Contains(out, "-ttl") {
		t.Errorf("token create -h = %d %q", code, out)
	}
	if code, out, _ := kapstone(t, append([]string{"audit", "verify"}, db...)...); code != 0 {
		t.Errorf("audit verify after token commands = %d %q", code, out)
	}
}
