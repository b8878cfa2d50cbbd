package staff_test

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

// TestOutcomeNoticeCharge (issue 21 walk F6): the notice after an
// appointment's outcome is recorded says the charge it made, or that
// nothing was charged and why; a prescriber on the team, who may not read
// billing, reads the notice without it.
func TestOutcomeNoticeCharge(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	if err := f.St.SetFee(ctx, f.As("admin@example.org"), &store.FeeEntry{Kind: "intake", Code: "90791", Description: "Intake evaluation", Cents: 25000}); err != nil {
		t.Fatal(err)
	}
	base := "/patients/" + f.PA.ID + "/appointments/"
	start := f.Now.Add(24 * time.Hour).Truncate(time.Hour)
	var last string
	for i, c := range []struct {
		kind, outcome, want string
	}{
		{"intake", "attended", "Recorded what happened at the appointment. Charged $250.00 for Intake evaluation."},
		{"integration", "attended", "Recorded what happened at the appointment. Nothing was charged: the fee schedule has no fee for this kind of appointment."},
		{"follow_up", "no_show", "Recorded what happened at the appointment. Nothing was charged: the charge policy sets no fee for a missed appointment."},
	} {
		at := start.Add(time.Duration(i) * 24 * time.Hour)
		ap := &store.Appointment{Kind: c.kind, StartsAt: at, Minutes: 50}
		if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, ap); err != nil {
			t.Fatal(err)
		}
		f.Now = at.Add(time.Hour)
		thea := f.SignIn("thea@example.org")
		r := f.Do("POST", base+ap.ID+"/outcome", url.Values{"outcome": {c.outcome}}, thea)
		loc, frag, _ := strings.Cut(r.Header.Get("Location"), "#")
		if r.Status != http.StatusSeeOther || frag != "appointments" {
			t.Fatalf("%s %s = %d %q", c.kind, c.outcome, r.Status, r.Header.Get("Location"))
		}
		page := f.Do("GET", loc, nil, thea)
		if !strings.Contains(page.Body, ">"+c.want+"</p>") {
			_, notice, _ := strings.Cut(page.Body, "Recorded what happened")
			t.Errorf("%s %s: the notice says %q, want %q", c.kind, c.outcome, notice[:min(len(notice), 200)], c.want)
		}
		last = loc
	}
	rex := f.SignIn("rex@example.org")
	page := f.Do("GET", last, nil, rex)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "Recorded what happened at the appointment.") || strings.Contains(page.Body, "charged") {
		t.Errorf("the prescriber's notice = %d, want it without the charge", page.Status)
	}
}
