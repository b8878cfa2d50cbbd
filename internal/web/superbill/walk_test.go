package superbill_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/pdfdoc"
	"github.com/kapstone/kapstone/internal/pdfdoc/pdftest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/superbill"
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
