package storetest

import (
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// ScanPDF is the smallest file the store takes as a paper signature's
// scan: a PDF's header and end marker.
var ScanPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// SignPaper records, as clinician, patientID's paper signature on the
// newest version of each kind given (the KAP informed consent when none
// is), with ScanPDF as its scan, so a dosing gate's consent line passes.
func SignPaper(t testing.TB, s *store.Store, clinician store.Actor, patientID string, kinds ...string) {
	t.Helper()
	if len(kinds) == 0 {
		kinds = []string{clinic.ConsentKAP}
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
			if _, err := s.RecordPaperConsent(t.Context(), clinician, patientID, store.PaperInput{DocumentID: c.Latest.ID, TypedName: "Signed on paper", Scan: ScanPDF}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
