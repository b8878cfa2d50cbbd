package bearer_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/bearer"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestToken: every form of Authorization header, and a token in the URL,
// gets the token or the precise refusal.
func TestToken(t *testing.T) {
	good := store.NewAPIToken()
	for _, tt := range []struct {
		name   string
		target string
		header []string // Authorization values, each its own header line
		want   error    // nil: the token good
	}{
		{"bearer", "/fhir/Patient", []string{"Bearer " + good}, nil},
		{"scheme in any case", "/fhir/Patient", []string{"bEARER " + good}, nil},
		{"several spaces", "/fhir/Patient", []string{"Bearer   " + good}, nil},
		{"no header", "/fhir/Patient", nil, bearer.ErrMissing},
		{"empty header", "/fhir/Patient", []string{""}, bearer.ErrMalformed},
		{"basic scheme", "/fhir/Patient", []string{"Basic dXNlcjpwYXNz"}, bearer.ErrMalformed},
		{"scheme only", "/fhir/Patient", []string{"Bearer"}, bearer.ErrMalformed},
		{"scheme and space", "/fhir/Patient", []string{"Bearer "}, bearer.ErrMalformed},
		{"no space", "/fhir/Patient", []string{"Bearer" + good}, bearer.ErrMalformed},
		{"tab", "/fhir/Patient", []string{"Bearer\t" + good}, bearer.ErrMalformed},
		{"token only", "/fhir/Patient", []string{good}, bearer.ErrMalformed},
		{"two tokens", "/fhir/Patient", []string{"Bearer " + good + " " + good}, bearer.ErrMalformed},
		{"trailing space", "/fhir/Patient", []string{"Bearer " + good + " "}, bearer.ErrMalformed},
		{"two headers", "/fhir/Patient", []string{"Bearer " + good, "Bearer " + good}, bearer.ErrMalformed},
		{"no prefix", "/fhir/Patient", []string{"Bearer " + strings.TrimPrefix(good, store.APITokenPrefix)}, bearer.ErrMalformed},
		{"short", "/fhir/Patient", []string{"Bearer " + good[:30]}, bearer.ErrMalformed},
		{"not base64url", "/fhir/Patient", []string{"Bearer " + good[:len(good)-1] + "+"}, bearer.ErrMalformed},
		{"token in the URL", "/fhir/Patient?access_token=" + good, nil, bearer.ErrMalformed},
		{"token in the URL beside the header", "/fhir/Patient?access_token=" + good, []string{"Bearer " + good}, bearer.ErrMalformed},
	} {
		r := httptest.NewRequest("GET", tt.target, nil)
		for _, v := range tt.header {
			r.Header.Add("Authorization", v)
		}
		got, err := bearer.Token(r)
		switch {
		case tt.want == nil && (err != nil || got != good):
			t.Errorf("%s: %q, %v; want the token", tt.name, got, err)
		case tt.want != nil && (!errors.Is(err, tt.want) || got != ""):
			t.Errorf("%s: %q, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

// TestErrorAnswers: each refusal's status and WWW-Authenticate challenge
// (RFC 6750 section 3).
func TestErrorAnswers(t *testing.T) {
	for _, tt := range []struct {
		err       *bearer.Error
		status    int
		challenge string
	}{
		{bearer.ErrMissing, 401, `Bearer realm="kapstone"`},
		{bearer.ErrMalformed, 400, `Bearer realm="kapstone", error="invalid_request"`},
		{bearer.ErrInvalid, 401, `Bearer realm="kapstone", error="invalid_token"`},
	} {
		if got := tt.err.Status(); got != tt.status {
			t.Errorf("%v: status %d, want %d", tt.err, got, tt.status)
		}
		if got := tt.err.Challenge("kapstone"); got != tt.challenge {
			t.Errorf("%v: challenge %q, want %q", tt.err, got, tt.challenge)
		}
		if tt.err.Message == "" || strings.Contains(tt.err.Error(), "%") {
			t.Errorf("%v: no message", tt.err)
		}
	}
	if got := bearer.ErrInvalid.Challenge(`Dr "Q" \ Co`); got != `Bearer realm="Dr \"Q\" \\ Co", error="invalid_token"` {
		t.Errorf("challenge with quotes in the realm = %q", got)
	}
}

// TestAuthenticate: through a real store, a live token gives its
// account and scope; one that does not work, whatever the reason, gives
// ErrInvalid; a refused header never reaches the store; a store that
// cannot answer gives its own error, not ErrInvalid.
func TestAuthenticate(t *testing.T) {
	s := storetest.Open(t)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	ctx := context.Background()
	pat := &clinic.User{Email: "pat@example.org", DisplayName: "Pat", Role: clinic.RolePatient}
	admin := &clinic.User{Email: "ada@example.org", DisplayName: "Ada", Role: clinic.RoleAdmin}
	for _, u := range []*clinic.User{pat, admin} {
		if err := s.CreateUserWithTOTP(ctx, store.System, u, "h", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"); err != nil {
			t.Fatal(err)
		}
	}
	patActor := store.Actor{UserID: pat.ID, Role: pat.Role}
	read, _, err := s.CreateAPIToken(ctx, patActor, store.APITokenInput{Label: "Reader", Scope: store.ScopeRead, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	write, _, err := s.CreateAPIToken(ctx, patActor, store.APITokenInput{Label: "Writer", Scope: store.ScopeWrite, TTL: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	revoked, rec, err := s.CreateAPIToken(ctx, patActor, store.APITokenInput{Label: "Gone", Scope: store.ScopeRead, TTL: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIToken(ctx, patActor, rec.ID); err != nil {
		t.Fatal(err)
	}
	req := func(ctx context.Context, auth string) *http.Request {
		r := httptest.NewRequestWithContext(ctx, "GET", "/fhir/Patient", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return r
	}
	for _, tt := range []struct {
		name  string
		auth  string
		scope store.TokenScope
		want  error
	}{
		{"read token", "Bearer " + read, store.ScopeRead, nil},
		{"write token", "Bearer " + write, store.ScopeWrite, nil},
		{"revoked", "Bearer " + revoked, "", bearer.ErrInvalid},
		{"unknown", "Bearer " + store.NewAPIToken(), "", bearer.ErrInvalid},
		{"missing", "", "", bearer.ErrMissing},
		{"malformed", "Bearer " + read + "x", "", bearer.ErrMalformed},
	} {
		c, err := bearer.Authenticate(req(ctx, tt.auth), s)
		if tt.want != nil {
			if !errors.Is(err, tt.want) || c != nil {
				t.Errorf("%s: %+v, %v; want %v", tt.name, c, err, tt.want)
			}
			continue
		}
		if err != nil || c.Actor.UserID != pat.ID || c.Actor.Role != clinic.RolePatient || c.Scope != tt.scope {
			t.Errorf("%s: %+v, %v; want pat with %s", tt.name, c, err, tt.scope)
		}
	}
	// Expired: an hour on, the read token has ended, the write token not.
	now = now.Add(time.Hour)
	if _, err := bearer.Authenticate(req(ctx, "Bearer "+read), s); !errors.Is(err, bearer.ErrInvalid) {
		t.Errorf("expired: %v, want ErrInvalid", err)
	}
	// A disabled account.
	if err := s.SetUserDisabled(ctx, store.Actor{UserID: admin.ID, Role: admin.Role}, pat.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := bearer.Authenticate(req(ctx, "Bearer "+write), s); !errors.Is(err, bearer.ErrInvalid) {
		t.Errorf("disabled account: %v, want ErrInvalid", err)
	}
	// The store cannot answer (here: the request was given up): its error,
	// not a refusal of the token.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	_, err = bearer.Authenticate(req(gone, "Bearer "+write), s)
	var be *bearer.Error
	if err == nil || errors.As(err, &be) {
		t.Errorf("store failure: %v, want the store's error", err)
	}
}
