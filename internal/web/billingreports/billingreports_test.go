package billingreports_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/billingreports"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// ledger gives the fixture a fee (intake $250), an intake attended by
// patient A (Thea's) on November 10 paid $100 in cash on November 12,
// and an intake attended by a patient named "=cmd" (Theo's), unpaid.
// It returns that patient.
func ledger(t *testing.T, f *webtest.Fixture) *store.Patient {
	t.Helper()
	ctx := context.Background()
	admin := f.As("admin@example.org")
	if err := f.St.SetFee(ctx, admin, &store.FeeEntry{Kind: "intake", Code: "90791", Description: "Psychiatric diagnostic evaluation", Cents: 25000}); err != nil {
		t.Fatal(err)
	}
	cmd := f.AddPatient("=cmd", "cmd@example.org", "theo@example.org")
	for _, x := range []struct {
		who     string
		patient *store.Patient
		at      time.Time
	}{{"thea@example.org", f.PA, time.Date(2026, 11, 10, 15, 0, 0, 0, time.UTC)}, {"theo@example.org", cmd, time.Date(2026, 11, 11, 15, 0, 0, 0, time.UTC)}} {
		f.Now = x.at.Add(-time.Hour)
		ap := &store.Appointment{Kind: "intake", StartsAt: x.at, Minutes: 50}
		if err := f.St.CreateAppointment(ctx, f.As(x.who), x.patient.ID, ap); err != nil {
			t.Fatal(err)
		}
		f.Now = x.at.Add(time.Hour)
		if err := f.St.RecordAppointmentOutcome(ctx, f.As(x.who), x.patient.ID, ap.ID, "attended"); err != nil {
			t.Fatal(err)
		}
	}
	f.Now = time.Date(2026, 11, 12, 10, 0, 0, 0, time.UTC)
	if _, err := f.St.RecordPayment(ctx, f.As("thea@example.org"), f.PA.ID, store.PaymentInput{Cents: 10000, Method: billing.MethodCash}); err != nil {
		t.Fatal(err)
	}
	f.Now = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	return cmd
}

// TestBillingReportsPage: an administrator sees, for this month (the
// default), the ledger's totals with the check said plainly, income by
// month (a chart and its table), by clinician and by service code, and
// the outstanding balances by name linking to each patient's billing;
// every number hand-worked from the ledger above.
func TestBillingReportsPage(t *testing.T) {
	f := webtest.NewFixture(t)
	cmd := ledger(t, f)
	admin := f.SignIn("admin@example.org")
	page := f.Do("GET", "/billing/reports", nil, admin)
	if page.Status != http.StatusOK {
		t.Fatalf("GET /billing/reports = %d\n%s", page.Status, page.Body)
	}
	webtest.CheckShell(t, "billing reports", page)
	for _, want := range []string{
		`value="2026-11-01"`, `value="2026-11-30"`,
		"Charges $500.00 − payments applied to them $100.00 − write-offs $0.00 = <strong>$400.00 outstanding</strong>",
		"Payments received $100.00 − applied to charges $100.00 − refunds $0.00 = <strong>$0.00 held as patients' credit</strong>",
		"The ledger balances",
		`role="img"`, "<title>Nov: $100.00</title>",
		`<th scope="row">November 2026</th><td>$100.00</td><td>1</td>`,
		`<th scope="row">Thea Therapist</th><td>$100.00</td><td>1</td>`,
		`<th scope="row">90791</th><td>$100.00</td><td>1</td>`,
		"2 patients",
		`<a href="/patients/` + cmd.ID + `/billing">=cmd</a></th><td data-label="Open charges">$250.00</td>`,
		`<a href="/patients/` + f.PA.ID + `/billing">Alice Canary-Alpha</a></th><td data-label="Open charges">$150.00</td>`,
		`href="/billing/reports/csv/ledger?from=2026-11-01&amp;to=2026-11-30"`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the page lacks %q", want)

		}
	}
	if strings.Index(page.Body, ">=cmd<") > strings.Index(page.Body, ">Alice Canary-Alpha<") {
		t.Error("the balances are not in name order")
	}
	if !strings.Contains(page.Body, `href="/billing/reports">Billing reports</a>`) && !strings.Contains(page.Body, `href="/billing/reports" aria-current="page">Billing reports</a>`) {
		t.Error("the navigation has no Billing reports link")
	}
	// Last month had nothing.
	last := f.Do("GET", "/billing/reports?preset=last-month", nil, admin)
	if last.Status != http.StatusOK || !strings.Contains(last.Body, "No payments or refunds in this range.") || !strings.Contains(last.Body, `value="2026-10-31"`) {
		t.Errorf("last month = %d", last.Status)
	}
}

// TestBillingReportsRange: dates are checked at their fields, what was
// typed kept; the page and the CSV files answer 422 and never a 500.
func TestBillingReportsRange(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	for _, c := range []struct {
		q, field, msg, kept string
	}{
		{"from=2026-13-01&to=2026-11-30", "from", "Enter the first day as a date", `value="2026-13-01"`},
		{"from=2026-11-01&to=soon", "to", "Enter the last day as a date", `value="soon"`},
		{"from=2026-11-30&to=2026-11-01", "to", "Enter a last day on or after the first day.", `value="2026-11-30"`},
		{"from=2000-01-01&to=2026-11-01", "to", "Choose at most 10 years.", `value="2000-01-01"`},
		{"preset=forever", "preset", "Choose one of the ranges", ""},
	} {
		for _, path := range []string{"/billing/reports?", "/billing/reports/csv/ledger?", "/billing/reports/csv/month?"} {
			r := f.Do("GET", path+c.q, nil, admin)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, c.msg) || !strings.Contains(r.Body, c.kept) || !strings.Contains(r.Body, `href="#r-`+c.field+`"`) {
				t.Errorf("%s%s = %d, want 422 with %q at %s and %s kept", path, c.q, r.Status, c.msg, c.field, c.kept)
			}
		}
	}
	if r := f.Do("GET", "/billing/reports?from=2026-11-01&to=2026-11-01", nil, admin); r.Status != http.StatusOK {
		t.Errorf("a one-day range = %d", r.Status)
	}
	if r := f.Do("GET", "/billing/reports/csv/everything", nil, admin); r.Status != http.StatusNotFound {
		t.Errorf("an unknown report = %d, want 404", r.Status)
	}
}

const ledgerHeader = "Date,Patient,Kind,Service code,Amount,Currency,Method,Clinician,Reference,Reason,\"Charge (code, date of service, amount applied)\"\n"

// TestBillingReportsCSV: each CSV file holds the report's rows, money
// written from cents with two decimals, and a patient named "=cmd" comes
// out quoted as text ('=cmd), never a formula; the ledger export lists
// every entry of the range with its date, patient, kind, code, amount and
// method. The files are read a row at a time here, so each streams over
// several pages.
func TestBillingReportsCSV(t *testing.T) {
	defer billingreports.SetCSVPageSizeForTest(1)()
	f := webtest.NewFixture(t)
	ledger(t, f)
	admin := f.SignIn("admin@example.org")
	rng := "?" + url.Values{"from": {"2026-11-01"}, "to": {"2026-11-30"}}.Encode()
	for _, c := range []struct {
		report, want string
	}{
		{"month", "Month,Received less refunds,Currency,Payments\n2026-11,100.00,USD,1\n"},
		{"clinician", "Clinician,Paid,Currency,Charges paid on\nThea Therapist,100.00,USD,1\n"},
		{"service", "Service code,Paid,Currency,Charges paid on\n90791,100.00,USD,1\n"},
		{"outstanding", "Patient,Open charges,Credit,Balance,Currency\n'=cmd,250.00,0.00,250.00,USD\nAlice Canary-Alpha,150.00,0.00,150.00,USD\n"},
		// The ledger gives each entry's clinician, reference, reason and
		// the charges it concerns (issue 21, the walk).
		{"ledger", ledgerHeader + "2026-11-10,Alice Canary-Alpha,Charge,90791,250.00,USD,,Thea Therapist,,,\n2026-11-11,'=cmd,Charge,90791,250.00,USD,,Theo Therapist,,,\n" +
			"2026-11-12,Alice Canary-Alpha,Payment,,100.00,USD,Cash,,,,90791 of 2026-11-10: 100.00\n"},
	} {
		r := f.Do("GET", "/billing/reports/csv/"+c.report+rng, nil, admin)
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), `attachment; filename="billing-`+c.report) {
			t.Errorf("%s = %d %v", c.report, r.Status, r.Header)
		}
		if r.Body != c.want {
			t.Errorf("%s:\n%s\nwant\n%s", c.report, r.Body, c.want)
		}
	}
	if r := f.Do("GET", "/billing/reports/csv/ledger?preset=last-year", nil, admin); r.Body != ledgerHeader {
		t.Errorf("an empty range:\n%s", r.Body)
	}
}

// TestBillingReportsAccess: only administrators reach the reports and
// their CSV files; therapists, prescribers and patients are told the page
// does not exist, and see no link to it.
func TestBillingReportsAccess(t *testing.T) {
	f := webtest.NewFixture(t)
	ledger(t, f)
	for _, who := range []string{"thea@example.org", "rex@example.org", "pat@example.org"} {
		c := f.SignIn(who)
		for _, path := range []string{"/billing/reports", "/billing/reports/csv/outstanding", "/billing/reports/csv/ledger?preset=this-year"} {
			if r := f.Do("GET", path, nil, c); r.Status != http.StatusNotFound || strings.Contains(r.Body, "=cmd") || who != "pat@example.org" && strings.Contains(r.Body, webtest.CanaryA) {
				t.Errorf("GET %s as %s = %d, want 404 and no patient", path, who, r.Status)
			}
		}
		home := f.Do("GET", "/account", nil, c)
		if strings.Contains(home.Body, "/billing/reports") {
			t.Errorf("%s sees a link to the billing reports", who)
		}
	}
	if r := f.Do("GET", "/billing/reports/csv/outstanding", nil, f.SignIn("admin@example.org")); r.Status != http.StatusOK {
		t.Errorf("admin = %d", r.Status)
	}
}

// TestMonthChartZone: the month chart counts the practice's months, so a
// year is twelve bars in a zone west of UTC, east of it and at it (the
// months were counted in UTC: New York's year had a thirteenth bar); the
// chart's title names a range's one year and the bars the months alone
// (every month's label shown); a range over a new year writes the year at
// the first bar and at its January.
func TestMonthChartZone(t *testing.T) {
	for _, zone := range []string{"America/New_York", "UTC", "Europe/Berlin", "Pacific/Auckland", "America/Los_Angeles"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			from, to time.Time
			bars     int
			ticks    []string
		}{
			{time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc), 12, []string{">Income by month, 2026<", ">Jan<", ">Feb<", ">Dec<"}},
			{time.Date(2026, 11, 1, 0, 0, 0, 0, loc), time.Date(2026, 12, 1, 0, 0, 0, 0, loc), 1, []string{">Income by month, 2026<", ">Nov<"}},
			{time.Date(2025, 11, 15, 0, 0, 0, 0, loc), time.Date(2026, 2, 11, 0, 0, 0, 0, loc), 4, []string{">Nov 2025<", ">Dec<", ">Jan 2026<", ">Feb<"}},
		} {
			svg := billingreports.MonthChartForTest(c.from, c.to)
			if n := strings.Count(svg, `class="chart-bar"`); n != c.bars {
				t.Errorf("%s, %s to %s: %d bars, want %d", zone, c.from.Format("2006-01-02"), c.to.Format("2006-01-02"), n, c.bars)
			}
			for _, tick := range c.ticks {
				if !strings.Contains(svg, tick) {
					t.Errorf("%s, %s to %s: no tick %q", zone, c.from.Format("2006-01-02"), c.to.Format("2006-01-02"), tick)
				}
			}
			if strings.Contains(svg, "2027") {
				t.Errorf("%s: a month of 2027 is drawn", zone)
			}
		}
	}
}

// TestBillingReportsPackages: what paid a package's price is listed by
// clinician as the packages' row, on the page and in the CSV file, not as
// "No clinician".
func TestBillingReportsPackages(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	admin := f.As("admin@example.org")
	pkg := &store.Package{Name: "Three integration sessions", Kind: "integration", Sessions: 3, Cents: 45000}
	if err := f.St.AddPackage(ctx, admin, pkg); err != nil {
		t.Fatal(err)
	}
	if _, err := f.St.SellPackage(ctx, admin, f.PA.ID, pkg.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.St.RecordPayment(ctx, admin, f.PA.ID, store.PaymentInput{Cents: 45000, Method: billing.MethodCheck}); err != nil {
		t.Fatal(err)
	}
	cookie := f.SignIn("admin@example.org")
	page := f.Do("GET", "/billing/reports", nil, cookie)
	row := `<th scope="row">Packages (sold, not tied to one session)</th><td>$450.00</td>`
	if !strings.Contains(page.Body, row) || strings.Contains(page.Body, "No clinician") {
		t.Errorf("the clinician report lacks %q:\n%s", row, between(page.Body, `id="clinician"`, `id="service"`))
	}
	csv := f.Do("GET", "/billing/reports/csv/clinician", nil, cookie)
	if !strings.Contains(csv.Body, `"Packages (sold, not tied to one session)",450.00,USD,1`) {
		t.Errorf("the clinician CSV:\n%s", csv.Body)
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}
