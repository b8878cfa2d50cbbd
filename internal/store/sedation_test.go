package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

func sedationAlert(t *testing.T, pr *rxPractice) string {
	t.Helper()
	alerts, err := pr.s.OpenSafetyAlerts(context.Background(), pr.rex)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.PatientID == pr.p.ID && a.Source == store.AlertSourceSedation {
			return a.Signal
		}
	}
	return ""
}

// TestSedationMonitoring (issue 20, part 2) on both engines: MOAA/S,
// dissociation and respiratory depression are kept with each reading and
// read back; a MOAA/S of 2 raises a safety alert for the prescriber and
// holds discharge; a return to 5 lets the patient go; bad input is a
// field error and keeps nothing.
func TestSedationMonitoring(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	n := func(v int) *int { return &v }
	yes, no := true, false
	id, err := pr.s.StartDosingSession(ctx, pr.thea, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	dosed := pr.now
	if err := store.ExecForTest(ctx, pr.s, `UPDATE dosing_sessions SET status = 'dosed', dose_at = $1, dose_amount = '200 mg' WHERE id = $2`, dosed, id); err != nil {
		t.Fatal(err)
	}
	// Bad input: a field error, nothing kept.
	pr.now = dosed.Add(10 * time.Minute)
	_, err = pr.s.RecordVitals(ctx, pr.thea, pr.p.ID, id, store.Vitals{ClientID: "bad", Phase: clinic.PhaseCheck, MOAAS: n(7), Dissociation: &no, DissociationIntensity: n(3)})
	if e, ok := err.(*clinic.Error); !ok || e.Fields["moaas"] == "" || e.Fields["dissociation_intensity"] == "" {
		t.Fatalf("bad sedation = %v, want field errors", err)
	}
	if sedationAlert(t, pr) != "" {
		t.Error("an alert before any reading")
	}
	// The 40-minute reading: MOAA/S 2, dissociation 7/10 with a note.
	pr.now = dosed.Add(40 * time.Minute)
	level, err := pr.s.RecordVitals(ctx, pr.thea, pr.p.ID, id, store.Vitals{ClientID: "m40", Phase: clinic.PhaseAfterDose,
		Systolic: n(132), Diastolic: n(84), HeartRate: n(80), SpO2: n(97),
		MOAAS: n(2), Dissociation: &yes, DissociationIntensity: n(7), DissociationNote: "Says the room is far away.", RespDepression: &no})
	if err != nil || level != clinic.VitalsHold {
		t.Fatalf("MOAA/S 2 = %s, %v; want hold", level, err)
	}
	if a := sedationAlert(t, pr); !strings.Contains(a, "MOAA/S at the hold level") {
		t.Errorf("alert = %q, want the MOAA/S alert", a)
	}
	d, err := pr.s.DosingSessionFor(ctx, pr.thea, pr.p.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	v := d.Vitals[len(d.Vitals)-1]
	if v.MOAAS == nil || *v.MOAAS != 2 || v.Dissociation == nil || !*v.Dissociation || v.DissociationIntensity == nil || *v.DissociationIntensity != 7 ||
		v.DissociationNote != "Says the room is far away." || v.RespDepression == nil || *v.RespDepression || len(v.RespSigns) != 0 {
		t.Errorf("read back %+v", v)
	}
	if len(d.Holds) != 1 || d.Holds[0].Finding.Measure != clinic.MeasureSedation {
		t.Errorf("holds = %+v, want the sedation hold", d.Holds)
	}
	var timeline bool
	for _, e := range d.Events {
		timeline = timeline || (e.Kind == "vitals" && strings.Contains(e.Body, "MOAA/S 2"))
	}
	if !timeline {
		t.Errorf("the hold is not on the timeline: %+v", d.Events)
	}
	// Before discharge, still 2: refused. Back to 4: sedation not resolved. Back to 5: discharged.
	var all []string
	for _, c := range clinic.DischargeCriteria {
		all = append(all, c.Key)
	}
	pre := func(client string, moaas int) {
		t.Helper()
		pr.now = pr.now.Add(time.Minute)
		if _, err := pr.s.RecordVitals(ctx, pr.thea, pr.p.ID, id, store.Vitals{ClientID: client, Phase: clinic.PhasePreDischarge,
			Systolic: n(124), Diastolic: n(78), HeartRate: n(70), SpO2: n(98), MOAAS: n(moaas), Dissociation: &no}); err != nil {
			t.Fatal(err)
		}
	}
	pr.now = dosed.Add(120 * time.Minute)
	pre("p2", 2)
	if err := pr.s.DischargeSession(ctx, pr.thea, pr.p.ID, id, all, ""); err == nil || !strings.Contains(err.Error()+fieldsOf(err), "MOAA/S 2") {
		t.Fatalf("discharge at MOAA/S 2 = %v, want refused", err)
	}
	pre("p4", 4)
	if err := pr.s.DischargeSession(ctx, pr.thea, pr.p.ID, id, all, ""); err == nil || !strings.Contains(fieldsOf(err), "Sedation has not resolved") {
		t.Fatalf("discharge at MOAA/S 4 = %v, want refused", err)
	}
	pre("p5", 5)
	if err := pr.s.DischargeSession(ctx, pr.thea, pr.p.ID, id, all, ""); err != nil {
		t.Fatalf("discharge at MOAA/S 5 = %v", err)
	}
}

// TestSedationRespiratoryAlert: respiratory depression signs hold and
// alert; the signs are read back.
func TestSedationRespiratoryAlert(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	n := func(v int) *int { return &v }
	id, err := pr.s.StartDosingSession(ctx, pr.thea, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.ExecForTest(ctx, pr.s, `UPDATE dosing_sessions SET status = 'dosed', dose_at = $1, dose_amount = '200 mg' WHERE id = $2`, pr.now, id); err != nil {
		t.Fatal(err)
	}
	pr.now = pr.now.Add(20 * time.Minute)
	if level, err := pr.s.RecordVitals(ctx, pr.thea, pr.p.ID, id, store.Vitals{ClientID: "r", Phase: clinic.PhaseCheck, SpO2: n(95), MOAAS: n(4),
		RespSigns: []string{"slow_shallow", "pauses"}}); err != nil || level != clinic.VitalsHold {
		t.Fatalf("respiratory signs = %s, %v; want hold", level, err)
	}
	if a := sedationAlert(t, pr); !strings.Contains(a, "respiratory depression") {
		t.Errorf("alert = %q", a)
	}
	d, err := pr.s.DosingSessionFor(ctx, pr.thea, pr.p.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	v := d.Vitals[len(d.Vitals)-1]
	if v.RespDepression == nil || !*v.RespDepression || strings.Join(v.RespSigns, ",") != "slow_shallow,pauses" {
		t.Errorf("read back %+v", v)
	}
}

func fieldsOf(err error) string {
	e, ok := err.(*clinic.Error)
	if !ok {
		return ""
	}
	var out []string
	for _, v := range e.Fields {
		out = append(out, v)
	}
	return strings.Join(out, " ")
}
