package account_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestTOTPEnrolSealedAndRotated: a secret enrolled through the set-up page
// is stored sealed (the store counts it under the current key, none in
// plain text, and the page's HTML after enrolment no longer shows it); after
// the data key is rotated, staff still sign in with their codes, the one
// just enrolled included.
func TestTOTPEnrolSealedAndRotated(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	half := f.SessionCookie(f.Login("nomfa@example.org", webtest.TestPassword, ""))
	setup := f.Do("GET", "/login/mfa/setup", nil, half)
	m := regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`).FindStringSubmatch(setup.Body)
	if m == nil {
		t.Fatalf("set-up page = %d without the key", setup.Status)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	code, _ := auth.TOTPCode(secret, f.Now)
	done := f.Do("POST", "/login/mfa/setup", url.Values{"code": {code}}, half)
	if done.Status != http.StatusOK || strings.Contains(done.Body, m[1]) || strings.Contains(done.Body, secret) {
		t.Fatalf("enrolment = %d; want 200 without the key on the page", done.Status)
	}
	count := func() (under map[string]int, plain int) {
		t.Helper()
		status, err := f.St.SealStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range status {
			if c.Column == "users.totp_secret" {
				return c.ByKey, c.Plain
			}
		}
		t.Fatal("no users.totp_secret in the status")
		return nil, 0
	}
	keys := f.St.Keyring()
	under, plain := count()
	if plain != 0 || under[keys.Current()] != 5 {
		t.Fatalf("after enrolment: %v under keys, %d plain; want the 4 fixture staff and nomfa under %s", under, plain, keys.Current())
	}

	id, err := keys.AddKey() // the test keyring lives in memory: nothing to save
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.St.ResealAll(ctx, store.System, nil)
	if err != nil || res.Resealed["users.totp_secret"] != 5 {
		t.Fatalf("ResealAll = %+v, %v; want 5 secrets re-sealed", res, err)
	}
	if under, _ := count(); under[id] != 5 || len(under) != 1 {
		t.Fatalf("after rotation: %v; want all 5 under %s", under, id)
	}
	f.SignIn("thea@example.org") // fails the test unless the code is accepted
	f.Now = f.Now.Add(31 * time.Second)
	half = f.SessionCookie(f.Login("nomfa@example.org", webtest.TestPassword, ""))
	code, _ = auth.TOTPCode(secret, f.Now)
	if r := f.Do("POST", "/login/mfa", url.Values{"code": {code}}, half); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/patients" {
		t.Fatalf("sign-in of the newly enrolled therapist after rotation = %d to %q, want 303 to /patients", r.Status, r.Header.Get("Location"))
	}
}
