package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// TestDosingSafetyRules (issue 12, defects 6 and 7) runs the store's
// dosing paths on both engines: pulse 150 and SpO₂ 85 hold the gate; a
// discharge 6 minutes after the dose is refused with the reason, a
// therapist cannot give the earlier-discharge reason, and the hold-level
// readings of the session are its active holds.
func TestDosingSafetyRules(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	n := func(v int) *int { return &v }
	id, err := pr.s.StartDosingSession(ctx, pr.thea, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		client string
		v      store.Vitals
		want   string
	}{
		{"g1", store.Vitals{Systolic: n(128), Diastolic: n(82), HeartRate: n(150), SpO2: n(98)}, "pulse 150 is above the hold threshold (130)"},
		{"g2", store.Vitals{Systolic: n(128), Diastolic: n(82), HeartRate: n(72), SpO2: n(85)}, "SpO₂ 85% is below the hold threshold (90%)"},
	} {
		tc.v.ClientID = tc.client
		// A minute apart, as readings are: two at one instant have no
		// order (rows sort by time, then by random id), so "the latest"
		// would be either.
		pr.now = pr.now.Add(time.Minute)
		d, err := pr.s.RecordGate(ctx, pr.thea, pr.p.ID, id, store.GateInput{Vitals: &tc.v})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(d.Problems["vitals"], tc.want) {
			t.Errorf("gate problem = %q, want %q", d.Problems["vitals"], tc.want)
		}
		if v := d.LatestVitals(clinic.PhasePreDose); v == nil || v.Level != clinic.VitalsHold {
			t.Errorf("the reading is kept at level %v, want hold", v)
		}
	}
	// The session as if dosed now (the gate's other lines are tested
	// elsewhere).
	dosed := pr.now
	if err := store.ExecForTest(ctx, pr.s, `UPDATE dosing_sessions SET status = 'dosed', dose_at = $1, dose_amount = '200 mg' WHERE id = $2`, dosed, id); err != nil {
		t.Fatal(err)
	}
	pr.now = dosed.Add(5 * time.Minute)
	if level, err := pr.s.RecordVitals(ctx, pr.thea, pr.p.ID, id, store.Vitals{ClientID: "pd", Phase: clinic.PhasePreDischarge,
		Systolic: n(158), Diastolic: n(99), HeartRate: n(138), SpO2: n(82)}); err != nil || level != clinic.VitalsHold {
		t.Fatalf("the reported reading = %s, %v; want hold", level, err)
	}
	pr.now = dosed.Add(6 * time.Minute)
	var all []string
	for _, c := range clinic.DischargeCriteria {
		all = append(all, c.Key)
	}
	err = pr.s.DischargeSession(ctx, pr.thea, pr.p.ID, id, all, "")
	if e, ok := err.(*clinic.Error); !ok || !strings.Contains(e.Fields["criteria"], "dosed 6 minutes ago: the minimum observation time is 120 minutes") {
		t.Fatalf("discharge 6 minutes after the dose = %v, want refused with the reason", err)
	}
	err = pr.s.DischargeSession(ctx, pr.thea, pr.p.ID, id, all, "Needs to go.")
	if e, ok := err.(*clinic.Error); !ok || e.Fields["early_reason"] == "" {
		t.Errorf("a therapist's early reason = %v, want refused", err)
	}
	d, err := pr.s.DosingSessionFor(ctx, pr.thea, pr.p.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	var holds []string
	for _, h := range d.Holds {
		holds = append(holds, h.Finding.Measure)
	}
	if d.Status != clinic.SessionDosed || strings.Join(holds, ",") != "pulse,spo2" {
		t.Errorf("status %s, holds %v; want dosed with pulse and SpO₂ on hold (the pre-dose readings do not count)", d.Status, holds)
	}
}
