package superbill_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/pdfdoc/pdftest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

const (
	lenaEmail  = "lena.ortiz@willowcreek.example"
	samEmail   = "sam.whitaker@willowcreek.example"
	adminEmail = "admin@willowcreek.example"
	priyaEmail = "priya.natarajan@riverbend-medical.example"
	jordanMail = "jordan.lee@mail.example"
)

// allTime is a period that holds every demo session.
func allTime() string {
	now := time.Now()
	return "period=dates&from=" + now.AddDate(-2, 0, 0).Format("2006-01-02") + "&to=" + now.AddDate(0, 0, 1).Format("2006-01-02")
}

// TestSuperbillOnDemo: the demo patient Jordan Lee's superbill (read with
// pdftotext) holds every field a superbill needs (issue 21): the
// practice's name, address, tax id and NPI; the clinician's name,
// credentials and NPI; the patient's name, date of birth and address;
// the ICD-10-CM codes with their text; dates of service; CPT codes; fees
// and payments; with the labels superbills use. The statement adds up;
// the patient downloads their own from the portal.
func TestSuperbillOnDemo(t *testing.T) {
	d := webtest.NewDemoSite(t)
	lena := d.Session(lenaEmail)
	jordan := d.PatientID(lenaEmail, "Jordan")

	page := d.Do(lena, "GET", "/patients/"+jordan+"/statements", nil)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "Send the superbill") {
		t.Fatalf("statements page = %d", page.Code)
	}
	audited := func() int {
		n := 0
		for _, a := range []string{"billing.superbill", "billing.documents", "billing.statement"} {
			rows, _, err := d.St.FindAudit(context.Background(), d.Actor(adminEmail), store.AuditFilter{Action: a, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			n += len(rows)
		}
		return n
	}
	before := audited()
	res := d.Do(lena, "GET", "/patients/"+jordan+"/statements/superbill.pdf?"+allTime(), nil)
	if n := audited() - before; n != 1 {
		t.Errorf("a download wrote %d audit rows, want 1", n)
	}
	if res.Code != http.StatusOK || res.Header().Get("Content-Type") != "application/pdf" {
		t.Fatalf("superbill.pdf = %d %s", res.Code, res.Body.String())
	}
	if cd := res.Header().Get("Content-Disposition"); strings.Contains(cd, "Jordan") || !strings.Contains(cd, "superbill-") {
		t.Errorf("file name %q", cd)
	}
	text, pages := pdftest.Read(t, "superbill", res.Body.Bytes())
	if len(pages) == 0 {
		t.Fatal("no page")
	}
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{
		"Superbill", demo.PracticeName, "2100 North Example Avenue", "Chicago, IL 60614", "(312) 555-0142", "Tax ID (EIN)", "12-3456789", "NPI (practice)", "2555014200",
		"Rendering provider", "Lena Ortiz", "LMFT", "1555014202",
		"Jordan Lee", "Date of birth", "03/14/1988", "West Example Street",
		"ICD-10-CM", "F33.1", "Major depressive disorder, recurrent, moderate", "F41.1", "Generalized anxiety disorder",
		"CPT", "90834", "Fee", "Paid", "$200.00", "Total paid",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the superbill lacks %q:\n%s", want, text)
		}
	}
	// A table's header wraps within its column: its words on two lines.
	for _, label := range []string{"Date of service", "Place of service", "Diagnosis pointer"} {
		words := strings.Fields(label)
		if !regexp.MustCompile(strings.Join(words[:len(words)-1], ` `)+`[\s\S]{0,300}`+words[len(words)-1]).MatchString(text) && !strings.Contains(flat, label) {
			t.Errorf("the superbill lacks the label %q:\n%s", label, text)
		}
	}
	if !regexp.MustCompile(`\d\d/\d\d/\d{4}`).MatchString(text) {
		t.Errorf("no date of service (MM/DD/YYYY on Letter paper):\n%s", text)
	}

	st := d.Do(lena, "GET", "/patients/"+jordan+"/statements/statement.pdf?"+allTime(), nil)
	if st.Code != http.StatusOK {
		t.Fatalf("statement.pdf = %d", st.Code)
	}
	stText, _ := pdftest.Read(t, "statement", st.Body.Bytes())
	flat = strings.Join(strings.Fields(stText), " ")
	for _, want := range []string{"Statement", "Balance before the period $0.00", "Charges $200.00", "Payments $200.00", "Balance at the end of the period $0.00", "Card (terminal)", "Today you owe nothing."} {
		if !strings.Contains(flat, want) {
			t.Errorf("the statement lacks %q:\n%s", want, stText)
		}
	}

	// The patient: their page and their own downloads.
	pat := d.Session(jordanMail)
	portal := d.Do(pat, "GET", "/portal/billing", nil)
	if portal.Code != http.StatusOK || !strings.Contains(portal.Body.String(), "Today you owe nothing.") || !strings.Contains(portal.Body.String(), "Card (terminal)") {
		t.Fatalf("portal billing = %d", portal.Code)
	}
	own := d.Do(pat, "GET", "/portal/billing/superbill.pdf?"+allTime(), nil)
	if own.Code != http.StatusOK {
		t.Fatalf("own superbill = %d", own.Code)
	}
	ownText, _ := pdftest.Read(t, "portal-superbill", own.Body.Bytes())
	if !strings.Contains(ownText, "F33.1") || !strings.Contains(ownText, "1555014202") {
		t.Errorf("the patient's own superbill:\n%s", ownText)
	}
	if r := d.Do(pat, "GET", "/portal/billing?period=dates&from=2026-13-01&to=x", nil); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), "Enter the first day, as a date.") {
		t.Errorf("a bad date = %d", r.Code)
	}
}

// TestSuperbillAccess: the patient sees only their own (another's id on
// the staff routes is refused, and the portal reads only their own); a
// therapist off the care team and a prescriber are refused; admins and
// the care team's therapist are let in.
func TestSuperbillAccess(t *testing.T) {
	d := webtest.NewDemoSite(t)
	jordan := d.PatientID(lenaEmail, "Jordan")
	riley := d.PatientID(samEmail, "Riley")
	paths := []string{"/statements", "/statements/superbill.pdf", "/statements/statement.pdf"}
	for _, c := range []struct {
		who     string
		email   string
		patient string
		ok      bool
	}{
		{"the care team's therapist", lenaEmail, jordan, true},
		{"an admin", adminEmail, jordan, true},
		{"a therapist off the team", samEmail, jordan, false},
		{"the prescriber on the team", priyaEmail, jordan, false},
		{"the patient on the staff routes", jordanMail, jordan, false},
		{"the patient, another patient's id", jordanMail, riley, false},
	} {
		tok := d.Session(c.email)
		for _, p := range paths {
			r := d.Do(tok, "GET", "/patients/"+c.patient+p, nil)
			if c.ok && r.Code != http.StatusOK {
				t.Errorf("%s: GET %s = %d", c.who, p, r.Code)
			}
			if !c.ok && r.Code != http.StatusNotFound && r.Code != http.StatusForbidden {
				t.Errorf("%s: GET %s = %d, want refused", c.who, p, r.Code)
			}
			if !c.ok && strings.Contains(r.Body.String(), "%PDF") {
				t.Errorf("%s: GET %s sent a PDF", c.who, p)
			}
		}
		r := d.Do(tok, "POST", "/patients/"+c.patient+"/statements/send", url.Values{"kind": {"statement"}, "period": {"this-year"}})
		if c.ok != (r.Code == http.StatusSeeOther) {
			t.Errorf("%s: send = %d", c.who, r.Code)
		}
	}
	// The portal has no patient in its address: Riley's download is
	// Riley's, whatever is asked.
	riley2 := d.Session("riley.chen@mail.example")
	r := d.Do(riley2, "GET", "/portal/billing/superbill.pdf?"+allTime()+"&patient="+jordan, nil)
	text, _ := pdftest.Read(t, "riley", r.Body.Bytes())
	if r.Code != http.StatusOK || strings.Contains(text, "Jordan") || !strings.Contains(text, "Riley Chen") {
		t.Errorf("Riley's portal superbill = %d:\n%s", r.Code, text)
	}
	// Staff cannot use the portal's.
	if r := d.Do(d.Session(lenaEmail), "GET", "/portal/billing", nil); r.Code == http.StatusOK {
		t.Errorf("a therapist reads /portal/billing = %d", r.Code)
	}
}

// TestSendToPatient: send records and queues one email job and the page
// says "queued" (the email is a job); a patient without a portal account
// is told so, and nothing is queued.
func TestSendToPatient(t *testing.T) {
	d := webtest.NewDemoSite(t)
	ctx := context.Background()
	lena := d.Session(lenaEmail)
	jordan := d.PatientID(lenaEmail, "Jordan")
	dana := d.PatientID(lenaEmail, "Dana")
	jobs := func() int {
		list, err := d.St.ListJobs(ctx, "pending", 500)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, j := range list {
			if j.Kind == store.JobStatementEmail {
				n++
			}
		}
		return n
	}
	r := d.Do(lena, "POST", "/patients/"+jordan+"/statements/send", url.Values{"kind": {"superbill"}, "period": {"last-3-months"}})
	if r.Code != http.StatusSeeOther || !strings.Contains(r.Header().Get("Location"), "done=queued") {
		t.Fatalf("send = %d %s", r.Code, r.Header().Get("Location"))
	}
	if jobs() != 1 {
		t.Errorf("%d jobs, want 1", jobs())
	}
	loc, _, _ := strings.Cut(r.Header().Get("Location"), "#") // a browser sends no fragment
	page := d.Do(lena, "GET", loc, nil).Body.String()
	// The demo has no mail server: the email is kept in the outbox, and
	// the page never says it was sent or goes out (issue 21, the walk).
	for _, want := range []string{"no email was sent: no mail server is set up, so the email is kept in the email outbox", "<strong>Superbill</strong>", "Sent by Lena Ortiz",
		"Not emailed: no mail server is set up, so the email will be kept in the email outbox", "No mail server is set up, so no email goes out"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page after sending (%s) lacks %q", r.Header().Get("Location"), want)
		}
	}
	for _, never := range []string{"Email sent", "goes out shortly"} {
		if strings.Contains(page, never) {
			t.Errorf("without a mail server the page says %q", never)
		}
	}
	// With a mail server: queued, then the job's outcome.
	d.Srv.OutboxOnly = false
	page = d.Do(lena, "GET", loc, nil).Body.String()
	for _, want := range []string{"Queued: the email to the patient goes out shortly.", "Queued: the email goes out shortly"} {
		if !strings.Contains(page, want) {
			t.Errorf("with a mail server, the page after sending lacks %q", want)
		}
	}
	if strings.Contains(page, "Email sent") || strings.Contains(page, "outbox") {
		t.Error("with a mail server, the page says sent before the job ran, or speaks of the outbox")
	}
	d.Srv.OutboxOnly = true
	// Dana has no portal account.
	danaPage := d.Do(lena, "GET", "/patients/"+dana+"/statements", nil).Body.String()
	if !strings.Contains(danaPage, "has no portal account, so nothing can be sent") || strings.Contains(danaPage, "Send the superbill") {
		t.Error("the page of a patient without a portal account offers to send")
	}
	r = d.Do(lena, "POST", "/patients/"+dana+"/statements/send", url.Values{"kind": {"statement"}, "period": {"this-year"}})
	if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), "no portal account yet, so nothing can be sent") {
		t.Errorf("send to Dana = %d", r.Code)
	}
	if jobs() != 1 {
		t.Errorf("%d jobs after the refused send, want 1", jobs())
	}
	// A bad period is a field error, not a 500.
	r = d.Do(lena, "POST", "/patients/"+jordan+"/statements/send", url.Values{"kind": {"statement"}, "period": {"dates"}, "from": {"2026-05-01"}, "to": {"2026-04-01"}})
	if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), "Enter a last day on or after the first day.") {
		t.Errorf("a backwards period = %d", r.Code)
	}
	// The patient sees it listed in the portal.
	portal := d.Do(d.Session(jordanMail), "GET", "/portal/billing", nil).Body.String()
	if !strings.Contains(portal, "Sent to you by the practice") {
		t.Error("the portal does not list the send")
	}
}

// TestDownloadLinksKeepThePeriod: the download links the statements page
// and the portal offer carry the period chosen, so the file covers what
// the page says (html/template once escaped the query's "=" and the
// download fell back to this year).
func TestDownloadLinksKeepThePeriod(t *testing.T) {
	d := webtest.NewDemoSite(t)
	jordan := d.PatientID(lenaEmail, "Jordan")
	lastYear := strconv.Itoa(time.Now().Year() - 1)
	href := regexp.MustCompile(`href="([^"]*superbill\.pdf\?[^"]*)"`)
	for _, c := range []struct{ who, page string }{
		{d.Session(lenaEmail), "/patients/" + jordan + "/statements?period=last-year"},
		{d.Session(jordanMail), "/portal/billing?period=last-year"},
	} {
		page := d.Do(c.who, "GET", c.page, nil)
		m := href.FindStringSubmatch(page.Body.String())
		if page.Code != http.StatusOK || m == nil {
			t.Fatalf("%s = %d, no superbill link", c.page, page.Code)
		}
		link := html.UnescapeString(m[1])
		got := d.Do(c.who, "GET", link, nil)
		if cd := got.Header().Get("Content-Disposition"); got.Code != http.StatusOK || !strings.Contains(cd, lastYear+"-01-01-to-"+lastYear+"-12-31") {
			t.Errorf("%s: its link %q downloads %d %q, want last year's", c.page, link, got.Code, cd)
		}
	}
}
