package remsform_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/pdfdoc/pdftest"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestREMSFormOnDemo: the demo's esketamine session (Robin Alvarez, 9
// days ago) is in the prescriber's list of forms not yet submitted,
// overdue; its form is filled from the session (dose, lot, the three blood
// pressures, the minutes) and renders, and its PDF (pdftotext) shows the
// same; the therapist reads it without the prescriber's forms and cannot
// reach the list; the prescriber's answers are saved and a bad one is a
// field error.
func TestREMSFormOnDemo(t *testing.T) {
	d := webtest.NewDemoSite(t)
	session, do := d.Session, d.Do
	priya := session("priya.natarajan@riverbend-medical.example")
	lena := session("lena.ortiz@willowcreek.example")

	list := do(priya, "GET", "/rems", nil)
	if list.Code != http.StatusOK || !strings.Contains(list.Body.String(), demo.RemsDemoPatient) || !regexp.MustCompile(`<strong>overdue by \d days</strong>`).MatchString(list.Body.String()) {
		t.Fatalf("GET /rems = %d", list.Code)
	}
	m := regexp.MustCompile(`href="(/patients/[^"/]+/dosing/[^"/]+)/rems"`).FindStringSubmatch(list.Body.String())
	if m == nil {
		t.Fatal("no form linked from the list")
	}
	base := m[1]
	if r := do(lena, "GET", "/rems", nil); r.Code == http.StatusOK {
		t.Errorf("a therapist reaches the list")
	}
	if r := do(priya, "GET", base, nil); !strings.Contains(r.Body.String(), `href="`+base+`/rems">REMS monitoring form</a>`) {
		t.Errorf("the session page has no link to its REMS form (%d)", r.Code)
	}

	page := do(priya, "GET", base+"/rems", nil)
	body := page.Body.String()
	if !strings.Contains(body, "<dt>Monitoring clinician</dt><dd>") || strings.Contains(body, "<dt>Monitoring clinician</dt><dd>—") {
		t.Errorf("the form does not name the monitoring clinician")
	}
	for _, want := range []string{"56 mg", demo.RemsDemoLot, "124/78", "136/86", "122/78", "125 minutes", `name="sedation" value="no" checked`, "Before it can be signed", "Confirm whether there was respiratory depression."} {
		if !strings.Contains(body, want) {
			t.Errorf("the form (%d) lacks %q", page.Code, want)
		}
	}
	if page.Code != http.StatusOK {
		t.Fatalf("GET form = %d", page.Code)
	}
	if r := do(lena, "GET", base+"/rems", nil); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "56 mg") || strings.Contains(r.Body.String(), "Sign the form") || strings.Contains(r.Body.String(), `name="sedation"`) {
		t.Errorf("the therapist's read-only form = %d", r.Code)
	}
	if r := do(lena, "POST", base+"/rems/sign", url.Values{}); r.Code == http.StatusSeeOther {
		t.Errorf("a therapist signs")
	}

	pdf := do(priya, "GET", base+"/rems.pdf", nil)
	if pdf.Code != http.StatusOK || pdf.Header().Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF = %d", pdf.Code)
	}
	text := pdftest.Flat(pdftest.Text(t, pdf.Body.Bytes()))
	for _, want := range []string{"REMS patient monitoring form", "56 mg", demo.RemsDemoLot, "124/78", "136/86", "122/78", "125 minutes", "Dissociation Yes; resolved: Yes", "kapstone does not send it", "Monitoring clinician"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q: %s", want, text)
		}
	}

	// The prescriber's answers (the ready-to-leave time as prefilled).
	ready := regexp.MustCompile(`name="ready_at" type="datetime-local" value="([^"]+)"`).FindStringSubmatch(body)
	if ready == nil {
		t.Fatal("no ready-to-leave time prefilled")
	}
	bad := url.Values{"sedation": {"perhaps"}}
	if r := do(priya, "POST", base+"/rems", bad); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), "Choose yes or no.") {
		t.Errorf("a bad answer = %d", r.Code)
	}
	payload := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	withSAE := url.Values{"sedation": {"no"}, "sae": {"yes"}, "sae_text": {payload}, "ready_at": {ready[1]}}
	if r := do(priya, "POST", base+"/rems", withSAE); r.Code != http.StatusSeeOther {
		t.Fatalf("save with an event = %d", r.Code)
	}
	for _, who := range []string{priya, lena} {
		if r := do(who, "GET", base+"/rems", nil); strings.Contains(r.Body.String(), payload) || strings.Contains(r.Body.String(), "<img src=x") || !strings.Contains(r.Body.String(), "&lt;script&gt;") {
			t.Errorf("the event's description is not escaped")
		}
	}
	good := url.Values{"sedation": {"no"}, "dissociation": {"yes"}, "dissociation_resolved": {"yes"}, "resp_depression": {"no"}, "spo2": {"97"}, "sae": {"no"}, "ready_at": {ready[1]}}
	if r := do(priya, "POST", base+"/rems", good); r.Code != http.StatusSeeOther {
		t.Fatalf("save = %d: %s", r.Code, r.Body.String())
	}
	if r := do(priya, "GET", base+"/rems", nil); !strings.Contains(r.Body.String(), `name="resp_depression" value="no" checked`) || !strings.Contains(r.Body.String(), "Sign the form") {
		t.Errorf("the answer was not kept, or the complete form cannot be signed")
	}
	if r := do(priya, "POST", base+"/rems/sign", url.Values{}); r.Code != http.StatusSeeOther {
		t.Fatalf("sign = %d", r.Code)
	}
	if r := do(priya, "POST", base+"/rems", good); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), "signed and never changes") {
		t.Errorf("saving a signed form = %d", r.Code)
	}
	if r := do(priya, "POST", base+"/rems/submitted", url.Values{"how": {"fax"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("submitted = %d", r.Code)
	}
	if r := do(priya, "GET", "/rems", nil); strings.Contains(r.Body.String(), base) {
		t.Errorf("a submitted form is still listed")
	}
	if text := pdftest.Flat(pdftest.Text(t, do(priya, "GET", base+"/rems.pdf", nil).Body.Bytes())); !strings.Contains(text, "Submitted by the practice (fax)") || !strings.Contains(text, "Signed by") {
		t.Errorf("the signed PDF: %s", text)
	}
}
