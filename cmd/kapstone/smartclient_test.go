package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/smart"
	"github.com/kapstone/kapstone/internal/store"
)

// TestSMARTClientCommand: `kapstone smart-client create` registers a
// public app and a backend service (its JWKS from a file) and prints the
// client_id alone; revoke withdraws it; bad input is one line naming the
// flag; audited as the system.
func TestSMARTClientCommand(t *testing.T) {
	ctx := context.Background()
	db := dbArgs(t)
	st := tokenTestStore(t, db)
	sync := &clinic.User{Email: "sync@example.org", DisplayName: "Sync Account", Role: clinic.RoleTherapist}
	if err := st.CreateUserWithTOTP(ctx, store.System, sync, "not-a-real-password-hash", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(jwks, smart.PublicJWKS([]string{"k1"}, []crypto.Signer{ec}), 0o600); err != nil {
		t.Fatal(err)
	}
	args := func(a ...string) []string { return append(append([]string{"smart-client"}, a...), db...) }
	code, out, errOut := kapstone(t, args("create", "-name", "Mood Diary", "-kind", "public", "-redirect-uri", "https://app.example/cb,http://localhost:9000/cb", "-scopes", "launch/patient patient/*.read")...)
	id := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(id, "app_") || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "launch/patient patient/*.rs") {
		t.Fatalf("create public = %d %q %q", code, out, errOut)
	}
	code, out, errOut = kapstone(t, args("create", "-name", "Outcomes sync", "-kind", "backend", "-jwks", jwks, "-email", "sync@example.org", "-scopes", "system/*.rs")...)
	backend := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(backend, "app_") {
		t.Fatalf("create backend = %d %q %q", code, out, errOut)
	}
	if code, _, errOut := kapstone(t, args("revoke", "-id", id)...); code != 0 {
		t.Fatalf("revoke = %d %q", code, errOut)
	}
	st = tokenTestStore(t, db)
	if _, err := st.SMARTClientByID(ctx, id); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("the revoked app = %v, want not found", err)
	}
	if c, err := st.SMARTClientByID(ctx, backend); err != nil || c.UserID != sync.ID || c.Scopes != "system/*.rs" {
		t.Errorf("the backend = %+v, %v", c, err)
	}
	for _, action := range []string{"smartclient.create", "smartclient.revoke"} {
		rows, _, err := st.FindAudit(ctx, store.Actor{UserID: "auditor", Role: clinic.RoleAdmin}, store.AuditFilter{Action: action, Limit: 10})
		if err != nil || len(rows) == 0 || rows[0].ActorRole != "system" {
			t.Errorf("%s rows = %d, %v; want the system's", action, len(rows), err)
		}
	}
	st.Close()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{args("create", "-name", "X", "-kind", "public", "-redirect-uri", "http://app.example/cb", "-scopes", "patient/*.rs"), "-redirect-uri"},
		{args("create", "-name", "X", "-kind", "backend", "-jwks", jwks, "-email", "nobody@example.org", "-scopes", "system/*.rs"), "-email"},
		{args("create", "-name", "X", "-kind", "weird", "-scopes", "patient/*.rs"), "-kind"},
		{args("create", "-name", "X", "-kind", "backend", "-jwks", filepath.Join(t.TempDir(), "none.json")), "-jwks"},
		{args("revoke"), "-id is required"},
		{args("revoke", "-id", "app_nope"), "could not find"},
		{args("list"), "unknown action"},
		{[]string{"smart-client"}, "name an action"},
	} {
		code, out, errOut := kapstone(t, tt.args...)
		if code == 0 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("kapstone %q = exit %d, stdout %q, stderr %q; want non-zero, one line with %q", tt.args, code, out, errOut, tt.want)
		}
	}
}
