package staff

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// TestOutcomeTableFromCounts: the dashboard's table from courses counted
// in groups (store.OutcomeCounts: one row per therapist, quarter, status
// and pair of totals, with how many) is the table counted course by
// course, as the page did before the outcome summary: the same rows,
// rates, mean changes and suppression, shown or hidden.
func TestOutcomeTableFromCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 6))
	start := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	now := start.Add(300 * 24 * time.Hour)
	for run := range 40 {
		var single []store.OutcomeCount
		grouped := map[string]*store.OutcomeCount{}
		var order []string
		for range 1 + rng.IntN(120) {
			var pts []measure.Point
			b := start.Add(time.Duration(rng.IntN(280)) * 24 * time.Hour)
			for range 1 + rng.IntN(6) {
				pts = append(pts, measure.Point{At: b.Add(time.Duration(rng.IntN(100)) * 24 * time.Hour), Total: rng.IntN(28)})
			}
			pts[0].At = b
			o, _ := measure.FollowUp("phq9", pts, measure.DefaultWindow, now)
			therapist := []string{"Ada", "Bo", ""}[rng.IntN(3)]
			period := o.Period()
			if o.Status == measure.FollowUpPending {
				period = ""
			}
			// As counted in SQL: only the status and the totals are known.
			r, _ := measure.Rate("phq9", o.Status, measure.Point{Total: o.Baseline.Total}, measure.Point{Total: o.FollowUp.Total})
			single = append(single, store.OutcomeCount{Instrument: "phq9", Therapist: therapist, Period: period, Outcome: o, N: 1})
			k := fmt.Sprint(therapist, period, r)
			if grouped[k] == nil {
				grouped[k] = &store.OutcomeCount{Instrument: "phq9", Therapist: therapist, Period: period, Outcome: r}
				order = append(order, k)
			}
			grouped[k].N++
		}
		var counts []store.OutcomeCount
		for _, k := range order {
			counts = append(counts, *grouped[k])
		}
		for _, suppressed := range []bool{false, true} {
			wt, wAll, wITT, wTher, wPer := outcomeTable(single, suppressed)
			gt, gAll, gITT, gTher, gPer := outcomeTable(counts, suppressed)
			want := fmt.Sprintf("%+v\n%+v\n%+v\n%+v\n%+v", wt, wAll, wITT, wTher, wPer)
			got := fmt.Sprintf("%+v\n%+v\n%+v\n%+v\n%+v", gt, gAll, gITT, gTher, gPer)
			if got != want {
				t.Fatalf("run %d (suppressed %v): from groups\n%s\ncourse by course\n%s", run, suppressed, got, want)
			}
		}
	}
}
