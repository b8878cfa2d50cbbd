package store_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/smart"
	"github.com/kapstone/kapstone/internal/store"
)

// TestSMARTClients: only administrators register and withdraw apps; every
// bad field is refused at that field; what an app may be granted is what
// it asked for as far as kapstone grants it; audited.
func TestSMARTClients(t *testing.T) {
	tp := newTokenPractice(t)
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks := string(smart.PublicJWKS([]string{"k1"}, []crypto.Signer{ec}))
	public := store.SMARTClientInput{Name: "Mood Diary", Kind: store.SMARTPublic, RedirectURIs: "https://app.example/cb\nhttp://localhost:8080/cb", Scopes: "launch/patient patient/*.cruds user/Observation.read system/*.rs"}
	backend := store.SMARTClientInput{Name: "Sync", Kind: store.SMARTBackend, JWKS: jwks, Scopes: "system/*.rs patient/*.rs", UserEmail: "thea@example.org"}
	if _, err := tp.s.RegisterSMARTClient(tp.ctx, tp.thea, public); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist registering an app = %v, want ENotFound", err)
	}
	for _, tc := range []struct {
		name, field string
		mod         func(in *store.SMARTClientInput)
	}{
		{"no name", "name", func(in *store.SMARTClientInput) { in.Name = " " }},
		{"unknown kind", "kind", func(in *store.SMARTClientInput) { in.Kind = "confidential-symmetric" }},
		{"no redirect", "redirect_uris", func(in *store.SMARTClientInput) { in.RedirectURIs = "" }},
		{"http redirect", "redirect_uris", func(in *store.SMARTClientInput) { in.RedirectURIs = "http://app.example/cb" }},
		{"redirect with fragment", "redirect_uris", func(in *store.SMARTClientInput) { in.RedirectURIs = "https://app.example/cb#x" }},
		{"relative redirect", "redirect_uris", func(in *store.SMARTClientInput) { in.RedirectURIs = "/cb" }},
		{"malformed scope", "scopes", func(in *store.SMARTClientInput) { in.Scopes = "patient/*.sr" }},
		{"nothing grantable", "scopes", func(in *store.SMARTClientInput) { in.Scopes = "patient/*.d system/*.rs" }},
	} {
		in := public
		tc.mod(&in)
		_, err := tp.s.RegisterSMARTClient(tp.ctx, tp.admin, in)
		var e *clinic.Error
		if !errors.As(err, &e) || e.Code != clinic.EInvalid || e.Fields[tc.field] == "" {
			t.Errorf("%s: %v, want EInvalid at %s", tc.name, err, tc.field)
		}
	}
	for _, tc := range []struct {
		name, field string
		mod         func(in *store.SMARTClientInput)
	}{
		{"bad key set", "jwks", func(in *store.SMARTClientInput) { in.JWKS = `{"keys":[{"kty":"oct","kid":"a"}]}` }},
		{"no account", "user_email", func(in *store.SMARTClientInput) { in.UserEmail = "" }},
		{"unknown account", "user_email", func(in *store.SMARTClientInput) { in.UserEmail = "nobody@example.org" }},
		{"only patient scopes", "scopes", func(in *store.SMARTClientInput) { in.Scopes = "patient/*.rs" }},
	} {
		in := backend
		tc.mod(&in)
		_, err := tp.s.RegisterSMARTClient(tp.ctx, tp.admin, in)
		var e *clinic.Error
		if !errors.As(err, &e) || e.Code != clinic.EInvalid || e.Fields[tc.field] == "" {
			t.Errorf("backend %s: %v, want EInvalid at %s", tc.name, err, tc.field)
		}
	}
	pc, err := tp.s.RegisterSMARTClient(tp.ctx, tp.admin, public)
	if err != nil {
		t.Fatal(err)
	}
	if want := "launch/patient patient/*.rs patient/QuestionnaireResponse.c user/Observation.rs"; pc.Scopes != want || len(pc.RedirectURIs) != 2 {
		t.Errorf("registered scopes %q (want %q), redirects %v", pc.Scopes, want, pc.RedirectURIs)
	}
	bc, err := tp.s.RegisterSMARTClient(tp.ctx, tp.admin, backend)
	if err != nil {
		t.Fatal(err)
	}
	if bc.Scopes != "system/*.rs" || bc.UserID != tp.theaU.ID {
		t.Errorf("backend registered as %q for %q", bc.Scopes, bc.UserID)
	}
	list, err := tp.s.ListSMARTClients(tp.ctx, tp.admin)
	if err != nil || len(list) != 2 || list[0].UserEmail == "" && list[1].UserEmail == "" {
		t.Fatalf("ListSMARTClients = %d, %v", len(list), err)
	}
	if got, err := tp.s.SMARTClientByID(tp.ctx, pc.ID); err != nil || !got.HasRedirect("https://app.example/cb") || got.HasRedirect("https://app.example/cb/") {
		t.Errorf("SMARTClientByID = %v, %v; redirects match exactly", got, err)
	}

	// A therapist (no patient record of their own) gets user/ scopes
	// only: no patient context.
	req, _ := smart.Parse("launch/patient patient/*.rs user/*.rs")
	g, err := tp.s.GrantSMART(tp.ctx, tp.thea, pc, req)
	if err != nil || g.Scopes.String() != "user/Observation.rs" || g.PatientID != "" {
		t.Errorf("GrantSMART for a therapist = %v, %v", g, err)
	}
	onlyPatient, _ := smart.Parse("launch/patient patient/*.rs")
	var oe *smart.OAuthError
	if _, err := tp.s.GrantSMART(tp.ctx, tp.thea, pc, onlyPatient); !errors.As(err, &oe) || oe.Code != "invalid_scope" {
		t.Errorf("patient scopes for a therapist = %v, want invalid_scope", err)
	}
	verifier := strings.Repeat("x", 50)
	in := store.AuthCodeInput{ClientID: pc.ID, RedirectURI: "https://app.example/cb", Challenge: smart.Challenge(verifier), Scopes: req}
	for _, tc := range []struct {
		name string
		mod  func(in *store.AuthCodeInput)
	}{
		{"another redirect", func(in *store.AuthCodeInput) { in.RedirectURI = "https://app.example/cb2" }},
		{"plain challenge", func(in *store.AuthCodeInput) { in.Challenge = verifier }},
		{"no challenge", func(in *store.AuthCodeInput) { in.Challenge = "" }},
	} {
		bad := in
		tc.mod(&bad)
		if _, _, err := tp.s.CreateSMARTCode(tp.ctx, tp.thea, bad); clinic.ErrorCode(err) != clinic.EInvalid {
			t.Errorf("%s: %v, want EInvalid", tc.name, err)
		}
	}
	code, _, err := tp.s.CreateSMARTCode(tp.ctx, tp.thea, in)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tp.s.ExchangeSMARTCode(tp.ctx, store.Actor{}, pc.ID, code, in.RedirectURI, verifier)
	if err != nil {
		t.Fatal(err)
	}
	// Two exchanges of one code at once: one token.
	code2, _, err := tp.s.CreateSMARTCode(tp.ctx, tp.thea, in)
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := tp.s.ExchangeSMARTCode(tp.ctx, store.Actor{}, pc.ID, code2, in.RedirectURI, verifier)
			results <- err
		}()
	}
	won := 0
	for range 2 {
		if err := <-results; err == nil {
			won++
		} else if !errors.As(err, &oe) || oe.Code != "invalid_grant" {
			t.Errorf("a racing exchange = %v, want invalid_grant", err)
		}
	}
	if won != 1 {
		t.Errorf("two exchanges of one code at once gave %d tokens, want 1", won)
	}
	caller, err := tp.s.AuthenticateAPIToken(tp.ctx, tok.AccessToken)
	if err != nil || caller.SMART == nil || caller.SMART.String() != "user/Observation.rs" || caller.ClientID != pc.ID || caller.Actor.UserID != tp.theaU.ID || caller.Scope != store.ScopeRead {
		t.Fatalf("AuthenticateAPIToken = %+v, %v", caller, err)
	}
	// A personal token has no SMART scopes.
	personal, _ := tp.create(t, tp.thea, store.ScopeRead, time.Hour)
	if c, err := tp.s.AuthenticateAPIToken(tp.ctx, personal); err != nil || c.SMART != nil || c.ClientID != "" {
		t.Errorf("a personal token = %+v, %v", c, err)
	}
	// The SMART token is listed on the account, and ends with its app.
	mine, _ := tp.s.ListAPITokens(tp.ctx, tp.thea, 20)
	if len(mine) != 2 {
		t.Errorf("thea's tokens = %d, want the personal one and the app's", len(mine))
	}
	if err := tp.s.RevokeSMARTClient(tp.ctx, tp.thea, pc.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist withdrawing an app = %v", err)
	}
	if err := tp.s.RevokeSMARTClient(tp.ctx, tp.admin, pc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tp.s.AuthenticateAPIToken(tp.ctx, tok.AccessToken); !store.ErrAPITokenNotValid(err) {
		t.Errorf("a withdrawn app's token = %v, want not valid", err)
	}
	if _, err := tp.s.SMARTClientByID(tp.ctx, pc.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a withdrawn app = %v, want ENotFound", err)
	}

	// A backend client whose account is disabled gets no token.
	if err := tp.s.SetUserDisabled(tp.ctx, tp.admin, tp.theaU.ID, true); err != nil {
		t.Fatal(err)
	}
	const tokenURL = "https://clinic.example/fhir/token"
	a, _ := smart.Sign(ec, "k1", map[string]any{"iss": bc.ID, "sub": bc.ID, "aud": tokenURL, "exp": tp.now.Add(time.Minute).Unix(), "jti": "one"})
	if _, err := tp.s.SMARTClientCredentials(tp.ctx, store.Actor{}, a, tokenURL, "system/*.rs"); !errors.As(err, &oe) || oe.Code != "invalid_client" {
		t.Errorf("a disabled account's backend = %v, want invalid_client", err)
	}
	// Two tokens, and the race's loser audited as a code used twice when
	// it came second (SQLite, or PostgreSQL when the first had committed).
	if n := tp.auditCount(t, "smart.token", ""); n != 2 && n != 3 {
		t.Errorf("smart.token rows = %d, want 2 or 3", n)
	}
	for action, want := range map[string]int{"smartclient.create": 2, "smartclient.revoke": 1, "smart.authorize": 2} {
		if n := tp.auditCount(t, action, ""); n != want {
			t.Errorf("%s rows = %d, want %d", action, n, want)
		}
	}
}
