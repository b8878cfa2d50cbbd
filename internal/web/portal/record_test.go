package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/fhir/fhirtest"
	"github.com/kapstone/kapstone/internal/pdfdoc/pdftest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

const recordPsychCanary = "PSYCH-CANARY-9e3a-never-in-the-patients-copy"

// TestPortalRecordDownload (issue 19): the portal home offers the
// patient's copy of their record; /portal/record.json is their whole
// record as a FHIR R4 Bundle (valid against the official schema, every
// reference resolved inside it), /portal/record.pdf a readable summary
// with their scores; both are of the signed-in patient's own record only
// (a query naming another patient changes nothing), attachments with a
// file name without PHI, never cached, each audited in one row, and
// neither holds a psychotherapy note.
func TestPortalRecordDownload(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	f.SignConsentA()
	f.Assign("phq9", "weekly")
	pat := f.SignIn("pat@example.org")
	if r := f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 1, 0), pat); r.Status != http.StatusSeeOther {
		t.Fatalf("PHQ-9 = %d: %s", r.Status, r.Body)
	}
	if err := f.St.CreatePsychNote(ctx, f.As("thea@example.org"), f.PA.ID, &store.PsychNote{Body: recordPsychCanary}); err != nil {
		t.Fatal(err)
	}

	home := f.Do("GET", "/portal", nil, pat)
	for _, want := range []string{`href="/portal/record.json"`, `href="/portal/record.pdf"`, "psychotherapy notes are not included", "FHIR"} {
		if !strings.Contains(home.Body, want) {
			t.Errorf("the portal home lacks %q", want)
		}
	}

	before := len(f.AuditRows("record.export"))
	r := f.Do("GET", "/portal/record.json?patient="+f.PB.ID, nil, pat)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /portal/record.json = %d: %s", r.Status, r.Body)
	}
	checkDownload(t, r, "application/fhir+json", ".json")
	if n := len(f.AuditRows("record.export")) - before; n != 1 {
		t.Errorf("the download wrote %d record.export rows, want 1", n)
	}
	rows := f.AuditRows("record.export")
	if last := rows[len(rows)-1]; last.PatientID != f.PA.ID {
		t.Errorf("the download's audit row is about %q, want patient A", last.PatientID)
	}
	for _, bad := range []string{recordPsychCanary, webtest.CanaryB, f.PB.ID} {
		if strings.Contains(r.Body, bad) {
			t.Errorf("patient A's record carries %q", bad)
		}
	}
	if !strings.Contains(r.Body, webtest.CanaryA) {
		t.Error("patient A's record does not name them")
	}
	check := fhirtest.Validator(t)
	if err := check.Check([]byte(r.Body)); err != nil {
		t.Errorf("the record is not a valid FHIR R4 Bundle: %v", err)
	}
	var b struct {
		ResourceType, Type string
		Entry              []struct {
			FullURL  string
			Resource json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
		t.Fatal(err)
	}
	if b.ResourceType != "Bundle" || b.Type != "collection" {
		t.Errorf("the record is a %s of type %s, want a collection Bundle", b.ResourceType, b.Type)
	}
	have, types := map[string]bool{}, map[string]int{}
	for _, e := range b.Entry {
		var h struct{ ResourceType, ID string }
		if err := json.Unmarshal(e.Resource, &h); err != nil {
			t.Fatal(err)
		}
		have[h.ResourceType+"/"+h.ID] = true
		types[h.ResourceType]++
		if err := check.Check(e.Resource); err != nil {
			t.Errorf("%s/%s is not valid: %v", h.ResourceType, h.ID, err)
		}
	}
	for _, e := range b.Entry {
		refs, err := fhirtest.References(e.Resource)
		if err != nil {
			t.Fatal(err)
		}
		for _, ref := range refs {
			if !have[ref] {
				t.Errorf("%s refers to %s, which is not in the download", e.FullURL, ref)
			}
		}
	}
	for _, rt := range []string{"Patient", "CareTeam", "Practitioner", "QuestionnaireResponse", "Observation", "Consent"} {
		if types[rt] == 0 {
			t.Errorf("the download has no %s: %v", rt, types)
		}
	}

	before = len(f.AuditRows("record_summary.export"))
	r = f.Do("GET", "/portal/record.pdf", nil, pat)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /portal/record.pdf = %d: %s", r.Status, r.Body)
	}
	checkDownload(t, r, "application/pdf", ".pdf")
	if n := len(f.AuditRows("record_summary.export")) - before; n != 1 {
		t.Errorf("the summary wrote %d record_summary.export rows, want 1", n)
	}
	text := pdftest.Flat(pdftest.Text(t, []byte(r.Body)))
	for _, want := range []string{webtest.CanaryA, "Thea Therapist", "PHQ-9", "Consents", "psychotherapy notes are not part of it"} {
		if !strings.Contains(text, want) {
			t.Errorf("the summary lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{recordPsychCanary, webtest.CanaryB} {
		if strings.Contains(text, bad) {
			t.Errorf("the summary carries %q", bad)
		}
	}

	// Patient B's download is B's alone.
	r = f.Do("GET", "/portal/record.json", nil, f.SignIn("bea@example.org"))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, webtest.CanaryB) || strings.Contains(r.Body, webtest.CanaryA) || strings.Contains(r.Body, f.PA.ID) {
		t.Errorf("patient B's download = %d, B's alone: %v", r.Status, !strings.Contains(r.Body, webtest.CanaryA))
	}
	// Staff have no portal: not found.
	for _, path := range []string{"/portal/record.json", "/portal/record.pdf"} {
		if r := f.Do("GET", path, nil, f.SignIn("thea@example.org")); r.Status != http.StatusNotFound || strings.Contains(r.Body, webtest.CanaryA) {
			t.Errorf("GET %s as a therapist = %d, want 404 and nothing", path, r.Status)
		}
		if r := f.Do("GET", path, nil, ""); r.Status == http.StatusOK {
			t.Errorf("GET %s signed out = %d", path, r.Status)
		}
	}
}

// checkDownload checks a download's headers: its type, an attachment whose
// file name names no one, never cached.
func checkDownload(t *testing.T, r webtest.Response, contentType, ext string) {
	t.Helper()
	if got := r.Header.Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type %q, want %q", got, contentType)
	}
	cd := r.Header.Get("Content-Disposition")
	if !strings.HasPrefix(cd, `attachment; filename="health-record`) || !strings.HasSuffix(cd, ext+`"`) || strings.Contains(cd, "Canary") || strings.Contains(cd, "Alice") {
		t.Errorf("Content-Disposition %q: want an attachment named without PHI", cd)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
}

// TestPortalRecordWithoutRecord: a patient account without a patient
// record gets a calm not-found page for either download, never a 500.
func TestPortalRecordWithoutRecord(t *testing.T) {
	f := webtest.NewFixture(t)
	hash, _ := auth.HashPassword(webtest.TestPassword, webtest.Cheap)
	u := &clinic.User{Email: "lone@example.org", DisplayName: "Lone Patient", Role: clinic.RolePatient}
	if err := f.St.CreateUser(context.Background(), store.System, u, hash); err != nil {
		t.Fatal(err)
	}
	f.Users[u.Email] = u
	lone := f.SignIn(u.Email)
	for _, path := range []string{"/portal/record.json", "/portal/record.pdf"} {
		r := f.Do("GET", path, nil, lone)
		if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "There is no record to download yet") {
			t.Errorf("GET %s without a record = %d, want 404 with a calm word:\n%s", path, r.Status, r.Body)
		}
	}
}
