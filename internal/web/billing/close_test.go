package billing_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestClosePackage: the patient's billing page offers each open package
// to close, with the sessions used; closing needs a reason (kept with the
// error at the field), then the package leaves the list and the notice
// says what it means. The prescriber on the team is told the page does
// not exist.
func TestClosePackage(t *testing.T) {
	f := webtest.NewFixture(t)
	admin, thea := f.SignIn("admin@example.org"), f.SignIn("thea@example.org")
	base := "/patients/" + f.PA.ID + "/billing"
	if r := f.Do("POST", "/admin/fees/packages", url.Values{"name": {"Two integration sessions"}, "kind": {"integration"}, "sessions": {"2"}, "price": {"250"}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("add package = %d", r.Status)
	}
	page := f.Do("GET", base, nil, thea)
	if strings.Contains(page.Body, `id="close-package"`) {
		t.Errorf("a close form with no package sold")
	}
	pkg := between(between(page.Body, `<select id="pk-package" name="package"`, `</select>`), `</option><option value="`, `"`)
	if r := f.Do("POST", base+"/packages", url.Values{"package": {pkg}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("sell package = %d:\n%s", r.Status, r.Body)
	}
	page = f.Do("GET", base, nil, thea)
	sel := between(page.Body, `<select id="cp-purchase" name="purchase"`, `</select>`)
	if !strings.Contains(sel, "Two integration sessions: 0 of 2 sessions used, $250.00") {
		t.Fatalf("the close form's packages:\n%s", sel)
	}
	purchase := between(sel, `</option><option value="`, `"`)
	rex := f.SignIn("rex@example.org")
	if r := f.Do("POST", base+"/packages/close", url.Values{"purchase": {purchase}, "reason": {"Refunded"}}, rex); r.Status != http.StatusNotFound {
		t.Errorf("close as the prescriber = %d, want 404", r.Status)
	}
	bad := f.Do("POST", base+"/packages/close", url.Values{"purchase": {purchase}, "reason": {" "}}, thea)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `id="cp-reason-error"`) || !strings.Contains(bad.Body, "Say why the package is closed") {
		t.Fatalf("close without a reason = %d, want 422 with the error at the field:\n%s", bad.Status, between(bad.Body, `id="close-package"`, `</form>`))
	}
	done := f.Do("POST", base+"/packages/close", url.Values{"purchase": {purchase}, "reason": {"Refunded: not used"}}, thea)
	if done.Status != http.StatusSeeOther || !strings.HasPrefix(done.Header.Get("Location"), base+"?done=close-package") {
		t.Fatalf("close = %d %q:\n%s", done.Status, done.Header.Get("Location"), done.Body)
	}
	loc, _, _ := strings.Cut(done.Header.Get("Location"), "#")
	after := f.Do("GET", loc, nil, thea)
	if !strings.Contains(after.Body, "Package closed: the patient&#39;s sessions are charged at the fee from now on.") || strings.Contains(after.Body, `id="cp-purchase"`) {
		t.Errorf("after closing:\n%s", after.Body)
	}
}
