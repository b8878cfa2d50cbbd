package billing_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
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

// TestPackageSessionNotCounted: the billing page tells a package session
// that still uses its package's session from one that no longer does (its
// appointment put right as missed, then attended again after a later
// session took its place, and so charged at the fee).
func TestPackageSessionNotCounted(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	admin, thea := f.As("admin@example.org"), f.As("thea@example.org")
	if err := f.St.SetFee(ctx, admin, &store.FeeEntry{Kind: "integration", Code: "90837", Description: "Psychotherapy, 53 minutes or more", Cents: 20000}); err != nil {
		t.Fatal(err)
	}
	pkg := &store.Package{Name: "One integration session", Kind: "integration", Sessions: 1, Cents: 15000}
	if err := f.St.AddPackage(ctx, admin, pkg); err != nil {
		t.Fatal(err)
	}
	if _, err := f.St.SellPackage(ctx, admin, f.PA.ID, pkg.ID); err != nil {
		t.Fatal(err)
	}
	outcome := func(ap *store.Appointment, o string, at time.Time) {
		t.Helper()
		f.Now = at
		if err := f.St.RecordAppointmentOutcome(ctx, thea, f.PA.ID, ap.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2026, 11, 10, 15, 0, 0, 0, time.UTC)
	var aps []*store.Appointment
	for i := range 2 {
		f.Now = day.AddDate(0, 0, 7*i).Add(-time.Hour)
		ap := &store.Appointment{Kind: "integration", StartsAt: day.AddDate(0, 0, 7*i), Minutes: 50}
		if err := f.St.CreateAppointment(ctx, thea, f.PA.ID, ap); err != nil {
			t.Fatal(err)
		}
		aps = append(aps, ap)
	}
	outcome(aps[0], "attended", day.Add(time.Hour))
	outcome(aps[0], "no_show", day.Add(2*time.Hour))
	outcome(aps[1], "attended", day.AddDate(0, 0, 7).Add(time.Hour))
	outcome(aps[0], "attended", day.AddDate(0, 0, 7).Add(2*time.Hour))
	f.Now = day.AddDate(0, 0, 8)
	page := f.Do("GET", "/patients/"+f.PA.ID+"/billing", nil, f.SignIn("thea@example.org"))
	if page.Status != http.StatusOK {
		t.Fatalf("GET = %d", page.Status)
	}
	for _, want := range []string{"(session 1 of the package)", "(no longer counted against the package)", `<td data-label="Amount">$200.00</td>`} {
		if strings.Count(page.Body, want) != 1 {
			t.Errorf("the page shows %q %d times, want once", want, strings.Count(page.Body, want))
		}
	}
}
