package webtest

import (
	"context"
	"time"

	"github.com/kapstone/kapstone/internal/measure"
)

// Paper enters a paper questionnaire of total for patient A, as thea, at.
func (f *Fixture) Paper(instrument string, total int, at time.Time) {
	f.T.Helper()
	f.PaperFor("thea@example.org", f.PA.ID, instrument, total, at)
}

// PaperFor enters a paper questionnaire of total for a patient, as the
// staff member with email, at.
func (f *Fixture) PaperFor(email, patientID, instrument string, total int, at time.Time) {
	f.T.Helper()
	inst, _ := measure.Get(instrument)
	a := measure.Answers{}
	var scored []string
	for _, it := range inst.Items {
		if it.Scored {
			a[it.ID] = 0
			if !it.Risk {
				scored = append(scored, it.ID)
			}
		}
	}
	for i := 0; total > 0; i = (i + 1) % len(scored) {
		if a[scored[i]] < 3 {
			a[scored[i]]++
			total--
		}
	}
	if _, err := f.St.EnterPaperCheckin(context.Background(), f.As(email), patientID, instrument, a, at); err != nil {
		f.T.Fatal(err)
	}
}
