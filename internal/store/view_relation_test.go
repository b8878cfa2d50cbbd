package store_test

import (
	"context"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
)

// TestViewReadsTheRelationOnce: a chart view's sections each ask for a
// permission of their own (the chart, the measures, the consents, the
// care team, the notes); the actor's relation to the patient is read once
// in the view (its one snapshot gives one answer), and every section is
// still allowed.
func TestViewReadsTheRelationOnce(t *testing.T) {
	f := newOutcomeFixture(t)
	p := f.patient(t, "Pat Viewed")
	ctx, view, err := f.s.BeginView(context.Background(), f.therapist, p.ID, "chart.read")
	if err != nil {
		t.Fatal(err)
	}
	defer view.Close()
	if _, err := f.s.FindChart(ctx, f.therapist, p.ID, store.ChartOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.FindChartMeasures(ctx, f.therapist, p.ID, store.ChartScoreWindow); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PatientConsents(ctx, f.therapist, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CareTeam(ctx, f.therapist, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ChartNotes(ctx, f.therapist, p.ID, store.ChartNoteWindow); err != nil {
		t.Fatal(err)
	}
	if n := store.ViewRelationReadsForTest(view); n != 1 {
		t.Errorf("the view read the relation %d times, want once", n)
	}
	if err := view.Finish(ctx); err != nil {
		t.Fatal(err)
	}
}
