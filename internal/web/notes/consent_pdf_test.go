package notes_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/pdfdoc/pdftest"
	"github.com/kapstone/kapstone/internal/store/storetest"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestConsentPDF: the patient signs the KAP consent in the portal and
// downloads their own copy from the consent page; the therapist downloads
// the staff copy from the chart's consents section. Each is a PDF
// (attachment, named by the signing date only, not cached) whose text
// holds the title, kind and version, the document's exact text, the typed
// name, the agreement, the method and address, the hash and that it
// matches; the page is drawn. After a revocation the PDF says so, with who
// and why. Each download is one consent.export row; another patient, a
// therapist off the team (even with emergency access) and the admin get a
// 404 and no PDF, and a signature under another kind's path is not found.
func TestConsentPDF(t *testing.T) {
	f := webtest.NewFixture(t)
	pat, thea := f.SignIn("pat@example.org"), f.SignIn("thea@example.org")
	id, hash, version := kapDoc(t, f)
	if r := f.Do("POST", "/portal/consents/kap_informed_consent/sign", url.Values{"document": {id}, "hash": {hash}, "typed_name": {f.PA.DisplayName}, "agree": {"yes"}}, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("sign = %d: %s", r.Status, r.Body)
	}
	cs, err := f.St.PatientConsents(t.Context(), f.As("thea@example.org"), f.PA.ID)
	if err != nil {
		t.Fatal(err)
	}
	sig := cs[0].Current()
	own := "/portal/consents/kap_informed_consent/" + sig.ID + "/consent.pdf"
	staff := "/patients/" + f.PA.ID + "/consents/" + sig.ID + "/consent.pdf"
	if page := f.Do("GET", "/portal/consents/kap_informed_consent", nil, pat); !strings.Contains(page.Body, `href="`+own+`" download>`) {
		t.Fatal("the portal's consent page has no link to the patient's copy")
	}
	if chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea); !strings.Contains(chart.Body, `href="`+staff+`" download>Download the signed consent (PDF)</a>`) {
		t.Fatal("the chart's consents section has no Download PDF link")
	}

	check := func(who, path, cookie, name string, more ...string) {
		t.Helper()
		r := f.Do("GET", path, nil, cookie)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: download = %d: %.300s", who, r.Status, r.Body)
		}
		for h, want := range map[string]string{
			"Content-Type":        "application/pdf",
			"Content-Disposition": `attachment; filename="consent-2026-11-26.pdf"`,
			"Cache-Control":       "no-store",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", who, h, got, want)
			}
		}
		text, pages := pdftest.Read(t, name, []byte(r.Body))
		flat := pdftest.Flat(text)
		for _, want := range append([]string{
			"Informed consent", "Version", "1, published", webtest.CanaryA, "Ketamine-assisted psychotherapy combines psychotherapy with sessions",
			"What you may feel", "Schedule III controlled substance", "Patient's signature", "Signed by " + f.PA.DisplayName,
			"Signed in the patient portal", "Yes: the patient agreed", hash, "Verified: the text of this version is exactly as signed.",
		}, more...) {
			if !strings.Contains(flat, want) {
				t.Errorf("%s: the PDF's text lacks %q:\n%s", who, want, text)
			}
		}
		for i, p := range pages {
			if n := pdftest.Ink(p); n < 8000 {
				t.Errorf("%s: page %d has %d inked pixels; want it drawn", who, i+1, n)
			}
		}
		t.Logf("%s: %d bytes, %d pages", who, len(r.Body), len(pages))
	}
	if version != 1 {
		t.Fatalf("version %d, want the original", version)
	}
	check("the patient", own, pat, "consent")
	check("the therapist", staff, thea, "consent-staff")
	rows := f.AuditRows("consent.export")
	if len(rows) != 2 || rows[0].ActorID != f.Users["pat@example.org"].ID || rows[1].ActorID != f.Users["thea@example.org"].ID || rows[1].PatientID != f.PA.ID || rows[1].Outcome != "success" {
		t.Fatalf("export rows = %+v; want the patient's and thea's", rows)
	}

	f.InsertEmergencyGrant(f.PA.ID, f.Users["theo@example.org"].ID)
	for _, c := range []struct{ who, path string }{
		{"theo@example.org", staff}, {"admin@example.org", staff}, {"bea@example.org", own},
		{"pat@example.org", "/portal/consents/telehealth/" + sig.ID + "/consent.pdf"},
	} {
		r := f.Do("GET", c.path, nil, f.SignIn(c.who))
		if r.Status != http.StatusNotFound || strings.HasPrefix(r.Body, "%PDF") {
			t.Errorf("%s at %s gets %d (%.20q); want a 404 without the consent", c.who, c.path, r.Status, r.Body)
		}
	}
	if n := len(f.AuditRows("consent.export")); n < 2 {
		t.Errorf("%d export rows", n)
	}

	// Revoked: the PDF says so, when, by whom and why.
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/consents/"+sig.ID+"/revoke", url.Values{"kind": {"kap_informed_consent"}, "reason": {"Phoned to withdraw before the next session."}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke = %d", r.Status)
	}
	check("the therapist after the revocation", staff, thea, "consent-revoked", "REVOKED", "Revoked", "Thea Therapist", "Phoned to withdraw before the next session.")
	if acc := f.Do("GET", "/portal/access", nil, pat); !strings.Contains(acc.Body, "Downloaded a consent you signed as a PDF") {
		t.Error("the patient's access report does not show the download in words")
	}

	// On paper: the date written on the paper and when it was recorded,
	// never a signing time made up from the date (midnight).
	storetest.SignPaper(t, f.St, f.As("thea@example.org"), f.PA.ID, "telehealth")
	cs, err = f.St.PatientConsents(t.Context(), f.As("thea@example.org"), f.PA.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Kind != "telehealth" {
			continue
		}
		paper := "/patients/" + f.PA.ID + "/consents/" + c.Current().ID + "/consent.pdf"
		r := f.Do("GET", paper, nil, thea)
		text, _ := pdftest.Read(t, "consent-paper", []byte(r.Body))
		flat := pdftest.Flat(text)
		if !strings.Contains(flat, "as written on the paper") || !strings.Contains(flat, "recorded by") || strings.Contains(flat, "12:00 AM") {
			t.Errorf("the paper consent's PDF does not give the paper's date and the recording, or makes up a time:\n%s", text)
		}
	}
}
