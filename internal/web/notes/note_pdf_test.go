package notes_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/pdfdoc/pdftest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestNotePDF: a signed dosing note downloads from its page's link as a
// PDF (attachment, named by the appointment's date only, not cached)
// whose text holds the practice, the patient and date of birth, the
// appointment in the practice's zone, each section's heading and text,
// the signer with credentials, the content hash verified, the addendum
// with its kind, text and own signature, and the session record labelled
// as read from it; its page is drawn. One note.export row per download,
// shown in words to the patient. A draft is refused in words (409), with
// no PDF and no export row; the admin, a therapist off the team (even with
// emergency access) and the patient get a 404.
func TestNotePDF(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	if err := f.St.SetSetting(ctx, store.System, "time_zone", "America/Chicago"); err != nil {
		t.Fatal(err)
	}
	pa := *f.PA
	pa.BirthDate = "1980-04-02"
	if err := f.St.UpdatePatientDetails(ctx, f.As("thea@example.org"), &pa); err != nil {
		t.Fatal(err)
	}
	if _, err := f.RawDB().Exec(`UPDATE users SET credentials = 'LMFT' WHERE id = $1`, f.Users["thea@example.org"].ID); err != nil {
		t.Fatal(err)
	}
	page := pastAppointment(t, f, "dosing")
	apptID := strings.Split(page, "/")[4]
	session := f.InsertDosingSession(f.PA.ID, "discharged", f.Now.Add(-time.Hour))
	if _, err := f.RawDB().Exec(`UPDATE dosing_sessions SET appointment_id = $1, dose_amount = '175 mg', dose_route = 'sublingual' WHERE id = $2`, apptID, session); err != nil {
		t.Fatal(err)
	}
	thea := f.SignIn("thea@example.org")
	path := page + ".pdf"

	// A draft has no PDF.
	in := store.NoteInput{Format: clinic.NoteSOAP, Sections: map[string]string{
		"subjective": "Felt calm and ready; slept well the night before.", "objective": "Settled, oriented, vitals steady throughout.",
		"assessment": "Tolerated the session well.", "plan": "Integration session on Tuesday."}}
	if _, err := f.St.SaveNoteDraft(ctx, f.As("thea@example.org"), f.PA.ID, apptID, in); err != nil {
		t.Fatal(err)
	}
	if r := f.Do("GET", page, nil, thea); strings.Contains(r.Body, `href="`+path+`"`) {
		t.Error("the draft's page links to a PDF")
	}
	r := f.Do("GET", path, nil, thea)
	if r.Status != http.StatusConflict || strings.HasPrefix(r.Body, "%PDF") || !strings.Contains(r.Body, "This note is not signed yet, so there is no PDF of it.") {
		t.Errorf("a draft's PDF = %d (%.20q); want 409 saying it is not signed", r.Status, r.Body)
	}
	if rows := f.AuditRows("note.export"); len(rows) != 0 {
		t.Errorf("a refused draft left export rows %+v", rows)
	}

	in.Version, in.Attest = 1, true
	n, err := f.St.SignNote(ctx, f.As("thea@example.org"), f.PA.ID, apptID, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.St.AddNoteAddendum(ctx, f.As("rex@example.org"), f.PA.ID, apptID, clinic.AddendumClarification, "Dose confirmed against the prescription after the session."); err != nil {
		t.Fatal(err)
	}
	if r := f.Do("GET", page, nil, thea); !strings.Contains(r.Body, `href="`+path+`" download>Download PDF</a>`) {
		t.Fatal("the signed note's page has no Download PDF link")
	}
	r = f.Do("GET", path, nil, thea)
	if r.Status != http.StatusOK {
		t.Fatalf("download = %d, want 200: %s", r.Status, r.Body)
	}
	for h, want := range map[string]string{
		"Content-Type":        "application/pdf",
		"Content-Disposition": `attachment; filename="note-2026-11-26.pdf"`,
		"Cache-Control":       "no-store",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	rows := f.AuditRows("note.export")
	if len(rows) != 1 || rows[0].PatientID != f.PA.ID || rows[0].ActorID != f.Users["thea@example.org"].ID || rows[0].Outcome != "success" || !strings.Contains(rows[0].Detail, n.ContentHash) {
		t.Fatalf("export audit rows = %+v; want one, thea's, about patient A, with the hash", rows)
	}
	text, pages := pdftest.Read(t, "note", []byte(r.Body))
	flat := pdftest.Flat(text)
	for _, want := range []string{
		"Dosing session note", "Your practice", webtest.CanaryA, "April 2, 1980", "Format", "SOAP", "CST",
		"Subjective", "Felt calm and ready; slept well the night before.", "Plan", "Integration session on Tuesday.",
		"Signed by Thea Therapist, LMFT", n.ContentHash, "Verified: the note is exactly as signed.",
		"Addendum 1 of 1: Clarification", "Dose confirmed against the prescription after the session.", "Addendum signed",
		"Session record", "From the dosing session record", "175 mg", "Duration", "America/Chicago",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(flat, "Dosing session, "+f.Now.Add(-time.Hour).In(mustZone(t, "America/Chicago")).Format("Mon Jan 2, 2006, 3:04 PM")) {
		t.Errorf("the PDF does not give the appointment in the practice's zone:\n%s", text)
	}
	for i, p := range pages {
		if n := pdftest.Ink(p); n < 8000 {
			t.Errorf("page %d has %d inked pixels; want the note drawn", i+1, n)
		}
	}
	t.Logf("%d bytes, %d pages", len(r.Body), len(pages))

	if r := f.Do("GET", path, nil, f.SignIn("rex@example.org")); r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("the prescriber on the team gets %d %s; want the PDF", r.Status, r.Header.Get("Content-Type"))
	}
	f.InsertEmergencyGrant(f.PA.ID, f.Users["theo@example.org"].ID)
	for _, who := range []string{"theo@example.org", "admin@example.org", "pat@example.org"} {
		r := f.Do("GET", path, nil, f.SignIn(who))
		if r.Status != http.StatusNotFound || strings.HasPrefix(r.Body, "%PDF") || strings.Contains(r.Body, "Felt calm") {
			t.Errorf("%s gets %d (%.20q); want a 404 without the note", who, r.Status, r.Body)
		}
	}
	var done []string
	for _, e := range f.AuditRows("note.export") {
		if e.Outcome == "success" {
			done = append(done, e.ActorID)
		}
	}
	if len(done) != 2 {
		t.Errorf("successful export rows by %v; want thea's and rex's", done)
	}
	if acc := f.Do("GET", "/portal/access", nil, f.SignIn("pat@example.org")); !strings.Contains(acc.Body, "Downloaded a signed clinical note as a PDF") {
		t.Error("the patient's access report does not show the download in words")
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
