package notes_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/pdfdoc/pdftest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestOutcomeSummaryPDF: the therapist downloads patient A's outcome
// summary from the chart's link: a PDF (attachment, a file name without
// the patient's name, not cached) whose text holds the patient, their date
// of birth, each questionnaire's heading, baseline, latest, change and the
// response, remission and reliable change the chart page shows, and whose
// pages are drawn; one outcome_summary.export audit row per download,
// shown in words in the patient's access report. The
// prescriber on the team may download it too; a therapist off the team,
// the administrator and the patient get a 404 and no PDF, and no export
// row.
func TestOutcomeSummaryPDF(t *testing.T) {
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
	week := 7 * 24 * time.Hour
	f.Paper("phq9", 21, f.Now.Add(-8*week))
	f.Paper("phq9", 15, f.Now.Add(-5*week))
	f.Paper("phq9", 8, f.Now.Add(-2*week))
	f.Paper("phq9", 4, f.Now.Add(-time.Hour))
	f.Paper("gad7", 6, f.Now.Add(-8*week)) // below caseness: not rated
	f.Paper("gad7", 5, f.Now.Add(-time.Hour))
	f.InsertDosingSession(f.PA.ID, "discharged", f.Now.Add(-6*week))

	thea := f.SignIn("thea@example.org")
	path := "/patients/" + f.PA.ID + "/outcome-summary.pdf"
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, `href="`+path+`"`) {
		t.Fatal("the chart has no link to the outcome summary PDF")
	}
	r := f.Do("GET", path, nil, thea)
	if r.Status != http.StatusOK {
		t.Fatalf("download = %d, want 200: %s", r.Status, r.Body)
	}
	for h, want := range map[string]string{
		"Content-Type":        "application/pdf",
		"Content-Disposition": `attachment; filename="outcome-summary-2026-11-26.pdf"`,
		"Cache-Control":       "no-store",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if !strings.HasPrefix(r.Body, "%PDF-") {
		t.Fatalf("the body is not a PDF: %.40q", r.Body)
	}
	rows := f.AuditRows("outcome_summary.export")
	if len(rows) != 1 || rows[0].PatientID != f.PA.ID || rows[0].ActorID != f.Users["thea@example.org"].ID || rows[0].Outcome != "success" {
		t.Fatalf("export audit rows = %+v; want one, thea's, about patient A", rows)
	}

	text, pages := pdftest.Read(t, "outcome-summary", []byte(r.Body))
	flat := pdftest.Flat(text)
	for _, want := range []string{
		"Outcome summary", webtest.CanaryA, "April 2, 1980", "Thea Therapist",
		"Patient Health Questionnaire (PHQ-9)", "Baseline 21 on Oct 1, 2026 (Severe)", "Latest 4 on Nov 26, 2026 (Minimal)",
		"Change -17 points (-81% from the baseline)", "Response Yes", "Remission Yes", "Reliable change Reliable improvement",
		"Generalized Anxiety Disorder", "Not rated: the baseline, 6, is below 8 (not a clinical case)", "No reliable change",
		"PHQ-9 over time", "Dosing session", "Severe", "Scores", "Page 1 of 2", "America/Chicago",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
	for i, p := range pages {
		if n := pdftest.Ink(p); n < 8000 {
			t.Errorf("page %d has %d inked pixels; want the summary drawn", i+1, n)
		}
	}
	t.Logf("%d bytes, %d pages", len(r.Body), len(pages))

	if r := f.Do("GET", path, nil, f.SignIn("rex@example.org")); r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("the prescriber on the team gets %d %s; want the PDF", r.Status, r.Header.Get("Content-Type"))
	}
	for _, who := range []string{"theo@example.org", "admin@example.org", "pat@example.org"} {
		r := f.Do("GET", path, nil, f.SignIn(who))
		// (The patient's own name is on her own pages: the canary is checked
		// for the others.)
		if r.Status != http.StatusNotFound || strings.HasPrefix(r.Body, "%PDF") || who != "pat@example.org" && strings.Contains(r.Body, webtest.CanaryA) {
			t.Errorf("%s gets %d (%.20q); want a 404 without the summary", who, r.Status, r.Body)
		}
	}
	// The patient's own access report says so in words.
	if acc := f.Do("GET", "/portal/access", nil, f.SignIn("pat@example.org")); !strings.Contains(acc.Body, "Downloaded a summary of your scores as a PDF") {
		t.Error("the patient's access report does not show the download in words")
	}
	var done []string
	for _, e := range f.AuditRows("outcome_summary.export") {
		if e.Outcome == "success" {
			done = append(done, e.ActorID)
		}
	}
	if len(done) != 2 || done[1] != f.Users["rex@example.org"].ID {
		t.Errorf("successful export rows by %v after thea's and rex's downloads and three refusals; want thea's and rex's", done)
	}
}
