package storetest

import (
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// ScanPDF is the smallest file the store takes as a paper signature's
// scan: a PDF's header and end marker.
var ScanPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// SignPaper records, as clinician, patientID's paper signature on the
// newest version of each kind given (the KAP informed consent when none
// is), with ScanPDF as its scan, signed with the patient's name and dated
// today (the store's clock), so a dosing gate's consent line passes.
func SignPaper(t testing.TB, s *store.Store, clinician store.Actor, patientID string, kinds ...string) {
	t.Helper()
	if len(kinds) == 0 {
		kinds = []string{clinic.ConsentKAP}
	}
	p, _, err := s.FindPatient(t.Context(), clinician, patientID)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := s.PatientConsents(t.Context(), clinician, patientID)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range kinds {
		for _, c := range cs {
			if c.Kind != kind {
				continue
			}
			if c.Latest == nil {
				t.Fatalf("no %s published", kind)
			}
			if _, err := s.RecordPaperConsent(t.Context(), clinician, patientID, store.PaperInput{DocumentID: c.Latest.ID, TypedName: p.DisplayName, SignedOn: PaperToday(t, s), Scan: ScanPDF}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// PaperToday is today's date in the practice's zone (the store's clock),
// as a paper signature's SignedOn.
func PaperToday(t testing.TB, s *store.Store) time.Time {
	t.Helper()
	ps, err := s.Practice(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation(ps.TimeZone)
	if err != nil || ps.TimeZone == "" {
		loc = time.UTC
	}
	y, m, d := s.Now().In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
