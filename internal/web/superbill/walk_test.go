package superbill_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/pdfdoc"
	"github.com/kapstone/kapstone/internal/pdfdoc/pdftest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/superbill"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// walkPeriod is November 2026, as a period of dates.
func walkPeriod() superbill.Period {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	return superbill.Period{Preset: "dates", From: from, Last: last, To: last.AddDate(0, 0, 1)}
}

// walkSuperbill is a superbill of one $230 service, $200 paid and $30
// written off (the walk's, issue 21).
func walkSuperbill() *store.SuperbillDoc {
	return &store.SuperbillDoc{
		Practice: store.PracticeSettings{Name: "Example KAP"},
		Patient:  store.BillingPatient{DisplayName: "Jordan", LegalName: "Jordan Lee", BirthDate: "1988-03-14"},
		NPI:      map[string]string{},
		Superbill: &store.Superbill{Currency: "USD", TotalFee: 23000, TotalPaid: 20000, TotalWrittenOff: 3000,
			Lines: []store.SuperbillLine{{ServiceDate: time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC), Code: "90834", Description: "Psychotherapy",
				PlaceOfService: "11", Fee: 23000, Paid: 20000, WrittenOff: 3000}}},
	}
}

func renderText(t *testing.T, name string, d pdfdoc.Document) string {
	t.Helper()
	pdf, err := pdfdoc.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := pdftest.Read(t, name, pdf)
	return text
}

// TestSuperbillPDFWrittenOff: the superbill shows what was written off
// each service and in all, and its balance is net of it ($0.00, as the
// statement says), not $30.00.
func TestSuperbillPDFWrittenOff(t *testing.T) {
	text := renderText(t, "superbill-written-off", superbill.SuperbillPDF(walkSuperbill(), walkPeriod(), time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC), time.UTC, pdfdoc.Letter))
	flat := pdftest.Flat(text)
	for _, want := range []string{"$230.00 $200.00 $30.00", "Total written off by the practice $30.00", "Balance on these services $0.00"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the superbill lacks %q:\n%s", want, text)
		}
	}
}

// TestEmptySuperbillPeriod (issue 21, the walk): a period with no
// service says so on the statements page and the portal, does not offer
// to send the superbill, and a send of it is a field error with nothing
// queued; the statement can still be sent.
func TestEmptySuperbillPeriod(t *testing.T) {
	d := webtest.NewDemoSite(t)
	lena := d.Session(lenaEmail)
	jordan := d.PatientID(lenaEmail, "Jordan")
	empty := url.Values{"period": {"dates"}, "from": {"2001-01-01"}, "to": {"2001-01-31"}}
	page := d.Do(lena, "GET", "/patients/"+jordan+"/statements?"+empty.Encode(), nil).Body.String()
	if !strings.Contains(page, "No service in this period") || strings.Contains(page, "Send the superbill") || !strings.Contains(page, "Send the statement") {
		t.Errorf("the statements page of an empty period does not say so, or offers to send the superbill")
	}
	if full := d.Do(lena, "GET", "/patients/"+jordan+"/statements?"+allTime(), nil).Body.String(); strings.Contains(full, "No service in this period") || !strings.Contains(full, "Send the superbill") {
		t.Errorf("a period with services says it has none")
	}
	form := url.Values{"kind": {"superbill"}}
	for k, v := range empty {
		form[k] = v
	}
	r := d.Do(lena, "POST", "/patients/"+jordan+"/statements/send", form)
	if r.Code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(r.Body.String()), store.EmptySuperbillMessage) {
		t.Errorf("sending an empty superbill = %d, want 422 and %q", r.Code, store.EmptySuperbillMessage)
	}
	form.Set("kind", "statement")
	if r := d.Do(lena, "POST", "/patients/"+jordan+"/statements/send", form); r.Code != http.StatusSeeOther {
		t.Errorf("sending the statement of an empty period = %d, want 303", r.Code)
	}
	portal := d.Do(d.Session(jordanMail), "GET", "/portal/billing?"+empty.Encode(), nil).Body.String()
	if !strings.Contains(portal, "You had no session in this period") {
		t.Error("the portal does not say the period has no session")
	}
	// The sent list: the kind and its period in one phrase, no comma
	// after the bold kind (read aloud or copied, it came out as
	// "Statement , Jan 1…").
	staff := d.Do(lena, "GET", "/patients/"+jordan+"/statements", nil).Body.String()
	for name, page := range map[string]string{"statements page": staff, "portal": portal} {
		if !strings.Contains(page, "<strong>Statement</strong> covering Jan 1, 2001 to Jan 31, 2001 (PDF)") || strings.Contains(page, "</strong>, ") {
			t.Errorf("the %s lists the send as something else than \"Statement covering Jan 1, 2001 to Jan 31, 2001 (PDF)\"", name)
		}
	}
}

// TestOneDateFormat (issue 21, the walk): a superbill and a statement
// write every date one way: MM/DD/YYYY on Letter (the US claim forms'
// way), YYYY-MM-DD on A4: the date of birth, the period, the dates of
// service (the footer's time stamp aside). They used to mix 1988-03-14,
// 11/26/2026 and Jan 1, 2026.
func TestOneDateFormat(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	st := &store.Statement{Currency: "USD", Patient: store.BillingPatient{LegalName: "Jordan Lee"},
		Lines: []store.StatementLine{{Date: time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC), Kind: "charge", Code: "90834", Description: "Psychotherapy", Cents: 23000}}}
	dates := regexp.MustCompile(`\d{4}-\d\d-\d\d|\d\d/\d\d/\d{4}|(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}, \d{4}`)
	for _, c := range []struct {
		paper pdfdoc.Paper
		want  *regexp.Regexp
	}{{pdfdoc.Letter, regexp.MustCompile(`^\d\d/\d\d/\d{4}$`)}, {pdfdoc.A4, regexp.MustCompile(`^\d{4}-\d\d-\d\d$`)}} {
		for name, d := range map[string]pdfdoc.Document{
			"superbill-" + string(c.paper): superbill.SuperbillPDF(walkSuperbill(), walkPeriod(), now, time.UTC, c.paper),
			"statement-" + string(c.paper): superbill.StatementPDF(st, walkPeriod(), now, time.UTC, c.paper),
		} {
			var found []string
			text := renderText(t, name, d)
			// Codes and amounts fit their columns on both papers.
			service := map[pdfdoc.Paper]string{pdfdoc.Letter: "11/26/2026", pdfdoc.A4: "2026-11-26"}[c.paper]
			if strings.HasPrefix(name, "superbill") && !strings.Contains(pdftest.Flat(text), service+" 11 90834 Psychotherapy") || !strings.Contains(pdftest.Flat(text), "$230.00") {
				t.Errorf("%s: a code or an amount wraps in its column:\n%s", name, text)
			}
			for _, line := range strings.Split(text, "\n") {
				if strings.Contains(line, "Generated ") {
					continue // the footer's time stamp
				}
				found = append(found, dates.FindAllString(line, -1)...)
			}
			if len(found) < 3 {
				t.Errorf("%s: dates %q, want the period's and the services'", name, found)
			}
			for _, x := range found {
				if !c.want.MatchString(x) {
					t.Errorf("%s on %s: the date %q is not written like the others (%q)", name, c.paper, x, found)
				}
			}
		}
	}
}

// TestPackageWords: the portal says a package's sessions used and left,
// or that it was closed (issue 21, the walk: the patient never saw how
// many were left, nor that one was closed). Table.
func TestPackageWords(t *testing.T) {
	sold := time.Date(2026, 10, 1, 15, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		p    store.PatientPackage
		want string
	}{
		{store.PatientPackage{Name: "Six integration sessions", SoldAt: sold, Sessions: 6, Used: 2}, "Six integration sessions, bought Oct 1, 2026: 2 of 6 sessions used, 4 sessions left."},
		{store.PatientPackage{Name: "Six", SoldAt: sold, Sessions: 6, Used: 5}, "Six, bought Oct 1, 2026: 5 of 6 sessions used, 1 session left."},
		{store.PatientPackage{Name: "Six", SoldAt: sold, Sessions: 6, Used: 6}, "Six, bought Oct 1, 2026: all 6 sessions used."},
		{store.PatientPackage{Name: "Six", SoldAt: sold, Sessions: 6, Used: 1, Closed: true, ClosedAt: sold.AddDate(0, 1, 0)},
			"Six, bought Oct 1, 2026: closed on Nov 1, 2026 (1 of 6 sessions used). It is no longer used for your sessions: later sessions are charged at the fee."},
	} {
		if got := superbill.PackageWords(c.p, time.UTC); got != c.want {
			t.Errorf("PackageWords(%+v) = %q, want %q", c.p, got, c.want)
		}
	}
}

// TestPDFBlocksKeptTogether (issue 21, the walk): whatever the number of
// entries, the statement's Totals block is on one page (with what it
// means), and the superbill's notes are never a page of their own: they
// are on the page of its totals. The statement names the practice once.
func TestPDFBlocksKeptTogether(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	day := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	splitSeen := false
	for n := 18; n <= 40; n++ {
		st := &store.Statement{Currency: "USD", Practice: store.PracticeSettings{Name: "Willow Creek KAP"}, Patient: store.BillingPatient{LegalName: "Jordan Lee"}}
		sb := walkSuperbill()
		sb.Lines = nil
		for i := range n {
			st.Lines = append(st.Lines, store.StatementLine{Date: day, Kind: "charge", Code: "90834", Description: "Psychotherapy " + strconv.Itoa(i), Cents: 100})
			sb.Lines = append(sb.Lines, store.SuperbillLine{ServiceDate: day, Code: "90834", Description: "Psychotherapy", PlaceOfService: "11", Fee: 100})
		}
		pages := strings.Split(pdftest.Text(t, mustRender(t, superbill.StatementPDF(st, walkPeriod(), now, time.UTC, pdfdoc.Letter))), "\f")
		if len(pages) > 2 {
			splitSeen = true
		}
		for _, p := range pages {
			if strings.Contains(p, "Totals") != strings.Contains(p, "Balance at the end of the period") || strings.Contains(p, "Totals") != strings.Contains(p, "Today you owe") {
				t.Errorf("statement of %d entries: the Totals block is split across pages:\n%s", n, strings.Join(pages, "\n---page---\n"))
			}
		}
		if got := strings.Count(strings.Join(pages, ""), "Willow Creek KAP"); got != 1 {
			t.Errorf("statement of %d entries names the practice %d times, want once", n, got)
		}
		pages = strings.Split(pdftest.Text(t, mustRender(t, superbill.SuperbillPDF(sb, walkPeriod(), now, time.UTC, pdfdoc.Letter))), "\f")
		for _, p := range pages {
			if strings.Contains(p, "Place of service codes") && !strings.Contains(p, "Balance on these services") {
				t.Errorf("superbill of %d services: its notes are on a page without its totals:\n%s", n, p)
			}
		}
	}
	if !splitSeen {
		t.Error("no statement ran onto a second page: the test shows nothing")
	}
}

func mustRender(t *testing.T, d pdfdoc.Document) []byte {
	t.Helper()
	b, err := pdfdoc.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
