package account_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestOwnNPI: a clinician sets their own NPI on their account page; a
// wrong one is a message at the field and nothing is saved; a patient's
// account page has no NPI and cannot post one.
func TestOwnNPI(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	page := f.Do("GET", "/account", nil, thea)
	if !strings.Contains(page.Body, `<label for="npi-input">NPI</label>`) {
		t.Fatalf("the account page lacks the NPI field:\n%s", page.Body)
	}
	bad := f.Do("POST", "/account/npi", url.Values{"npi": {"2000000002"}}, thea)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `id="npi-error"`) || !strings.Contains(bad.Body, `value="2000000002"`) {
		t.Fatalf("an organization's NPI = %d, want 422 at the field:\n%s", bad.Status, bad.Body)
	}
	if r := f.Do("POST", "/account/npi", url.Values{"npi": {"1234567893"}}, thea); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account?done=npi#npi" {
		t.Fatalf("save = %d %q", r.Status, r.Header.Get("Location"))
	}
	if page := f.Do("GET", "/account?done=npi", nil, thea); !strings.Contains(page.Body, `value="1234567893"`) || !strings.Contains(page.Body, "Your NPI is saved.") {
		t.Errorf("the account page does not show the saved NPI")
	}
	id := f.Users["thea@example.org"].ID
	if got, err := f.St.StaffNPI(t.Context(), f.As("thea@example.org"), id); err != nil || got != "1234567893" {
		t.Errorf("saved %q, %v", got, err)
	}
	pat := f.SignIn("pat@example.org")
	if page := f.Do("GET", "/account", nil, pat); strings.Contains(page.Body, "npi-input") {
		t.Errorf("a patient's account page shows an NPI field")
	}
	if r := f.Do("POST", "/account/npi", url.Values{"npi": {"1234567893"}}, pat); r.Status != http.StatusNotFound {
		t.Errorf("a patient posts an NPI = %d, want 404", r.Status)
	}
}
