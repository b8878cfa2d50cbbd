package store_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/screening"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// fullIntake is a complete intake: every question "no" but those given
// "yes", with meds.
func fullIntake(yes []string, meds ...clinic.MedicationLine) clinic.Intake {
	in := clinic.Intake{Answers: map[string]string{}, Medications: meds, Goals: "Feel less stuck."}
	for _, q := range screening.Questions() {
		in.Answers[q.ID] = "no"
	}
	for _, id := range yes {
		in.Answers[id] = "yes"
	}
	return in
}

// chartClearance reads p's chart as who and returns its clearance and the
// gate's problem.
func (pr *rxPractice) chartClearance(t *testing.T, who store.Actor) (*store.Clearance, string) {
	t.Helper()
	c, err := pr.s.FindChart(context.Background(), who, pr.p.ID, store.ChartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Clearance == nil {
		t.Fatal("chart has no clearance")
	}
	return c.Clearance, c.GateProblem
}

// chartStale reads p's chart as who and returns whether its gate holds on
// an out-of-date clearance.
func (pr *rxPractice) chartStale(t *testing.T, who store.Actor) bool {
	t.Helper()
	c, err := pr.s.FindChart(context.Background(), who, pr.p.ID, store.ChartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c.ClearanceOutOfDate
}

// gate records a complete pre-dose gate for p with meds and returns the
// session as it then stands.
func (pr *rxPractice) gate(t *testing.T, meds ...string) *store.DosingSession {
	t.Helper()
	ctx := context.Background()
	if cs, err := pr.s.PatientConsents(ctx, pr.thea, pr.p.ID); err != nil {
		t.Fatal(err)
	} else if cs[0].Status() != clinic.ConsentCurrent {
		storetest.SignPaper(t, pr.s, pr.thea, pr.p.ID)
	}
	id, err := pr.s.StartDosingSession(ctx, pr.thea, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	sys, dia, hr, spo2 := 124, 80, 70, 98
	d, err := pr.s.RecordGate(ctx, pr.thea, pr.p.ID, id, store.GateInput{
		Medications: meds, MedsGiven: true, MedsReviewed: true, Fasting: true,
		Pregnancy: clinic.PregnancyNotApplicable, Escort: "Sam Lee", EscortOK: true,
		Vitals: &store.Vitals{ClientID: store.NewID(), Phase: clinic.PhasePreDose, Systolic: &sys, Diastolic: &dia, HeartRate: &hr, SpO2: &spo2},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestClearanceOutOfDate: an intake sent after the prescriber's clearance
// that changes a medication or an answer makes the clearance out of date at
// once: the chart says what changed and when, the caseload of everyone on
// the care team marks it, and the dosing gate holds on it. A re-save that
// changes nothing, a draft, and a medication list recorded at a session's
// gate do not. Clearing again makes it current.
func TestClearanceOutOfDate(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	sertraline := clinic.MedicationLine{Name: "Sertraline", Dose: "50 mg", Frequency: "daily"}
	vitD := clinic.MedicationLine{Name: "Vitamin D", Dose: "2000 IU"}
	if _, err := s.SaveIntake(ctx, pr.patient, pr.p.ID, fullIntake(nil, sertraline, vitD), true, store.QuestionIDs()); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveEvaluation(ctx, pr.thea, pr.p.ID, store.Evaluation{Recommendation: "suitable", Summary: "Suitable."}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordClearance(ctx, pr.rex, pr.p.ID, store.Cleared, "BP 118/76; fit.", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordPrescription(ctx, pr.rex, pr.p.ID, rxInput(6)); err != nil {
		t.Fatal(err)
	}
	stale := func(who store.Actor) map[string]clinic.ClearanceStatus {
		t.Helper()
		m, err := s.OutOfDateClearances(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		// A caseload page asks about its own rows only: the patient's
		// page says the same, a page without them says nothing.
		page, err := s.OutOfDateClearancesOf(ctx, who, []string{store.NewID(), pr.p.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(page, m) {
			t.Errorf("the page's out-of-date clearances = %v, the caseload's %v", page, m)
		}
		if other, err := s.OutOfDateClearancesOf(ctx, who, []string{store.NewID()}); err != nil || len(other) != 0 {
			t.Errorf("a page without the patient: out-of-date clearances = %v, %v; want none", other, err)
		}
		return m
	}
	if c, problem := pr.chartClearance(t, pr.rex); !c.Status.Current || len(c.Status.Changes) != 0 || problem != "" {
		t.Fatalf("just cleared: status %+v, gate problem %q; want current, no problem", c.Status, problem)
	}

	// The patient sends the same intake again, re-typed: nothing a
	// clearance rests on has changed.
	pr.now = pr.now.Add(time.Hour)
	retyped := fullIntake(nil, clinic.MedicationLine{Name: "vitamin d", Dose: "2000 iu"}, clinic.MedicationLine{Name: " sertraline", Dose: "50  mg", Frequency: "Daily"})
	retyped.Goals = "Feel less stuck, and sleep."
	if _, err := s.SaveIntake(ctx, pr.patient, pr.p.ID, retyped, true, store.QuestionIDs()); err != nil {
		t.Fatal(err)
	}
	if c, problem := pr.chartClearance(t, pr.rex); !c.Status.Current || problem != "" {
		t.Fatalf("after a re-save with no change: status %+v, gate problem %q; want current and no hold", c.Status, problem)
	}
	if m := stale(pr.rex); len(m) != 0 {
		t.Fatalf("caseload after a re-save with no change = %v, want no badge", m)
	}

	// Then a new medication and a changed answer.
	pr.now = pr.now.Add(time.Hour)
	changedAt := pr.now
	changed := fullIntake([]string{"high_blood_pressure"}, sertraline, vitD, clinic.MedicationLine{Name: "Lexapro", Dose: "10 mg"})
	if _, err := s.SaveIntake(ctx, pr.patient, pr.p.ID, changed, true, store.QuestionIDs()); err != nil {
		t.Fatal(err)
	}
	// A draft after it is not what the patient sent: it changes nothing yet.
	pr.now = pr.now.Add(time.Minute)
	if _, err := s.SaveIntake(ctx, pr.patient, pr.p.ID, fullIntake([]string{"glaucoma"}), false, store.QuestionIDs()); err != nil {
		t.Fatal(err)
	}
	c, problem := pr.chartClearance(t, pr.thea)
	if c.Status.Current || len(c.Status.Changes) != 2 {
		t.Fatalf("after a changed intake: status %+v, want out of date with 2 changes", c.Status)
	}
	for _, ch := range c.Status.Changes {
		if !ch.At.Equal(changedAt) {
			t.Errorf("change %q dated %v, want %v (when the intake was sent)", ch.What, ch.At, changedAt)
		}
	}
	if got, want := c.Status.Changes[0].What, "answer to “Have you been told you have high blood pressure?” changed from no to yes"; got != want {
		t.Errorf("first change = %q, want %q", got, want)
	}
	if got := c.Status.Changes[1].What; got != "new medication: Lexapro 10 mg" {
		t.Errorf("second change = %q, want the new medication", got)
	}
	wantWhen := changedAt.Format("Mon Jan 2, 2006, 15:04 MST")
	if !strings.HasPrefix(problem, "Clearance out of date:") || !strings.Contains(problem, "new medication: Lexapro 10 mg (intake sent "+wantWhen+")") || strings.Contains(problem, "glaucoma") {
		t.Errorf("gate problem = %q, want the clearance out of date with the new medication at %s, and nothing from the draft", problem, wantWhen)
	}
	if !pr.chartStale(t, pr.thea) {
		t.Error("chart.ClearanceOutOfDate = false with an out-of-date clearance, want true")
	}
	for name, who := range map[string]store.Actor{"prescriber": pr.rex, "therapist": pr.thea} {
		if st, ok := stale(who)[pr.p.ID]; !ok || len(st.Changes) != 2 {
			t.Errorf("%s's caseload: %v, want patient p marked with 2 changes", name, stale(who))
		}
	}
	for name, who := range map[string]store.Actor{"therapist off the team": pr.theo, "prescriber off the team": pr.rita, "admin": pr.admin, "patient": pr.patient} {
		if m := stale(who); len(m) != 0 {
			t.Errorf("%s's caseload marks %v, want nothing", name, m)
		}
	}

	// The dosing gate holds on it.
	d := pr.gate(t, "Sertraline 50 mg daily", "Vitamin D 2000 IU", "Lexapro 10 mg")
	if d.Status != clinic.SessionGate || !strings.HasPrefix(d.Problems["clearance"], "Clearance out of date:") {
		t.Fatalf("gate with an out-of-date clearance: status %s, problems %v; want held on the clearance", d.Status, d.Problems)
	}

	// The prescriber reviews and clears again: current, and the gate passes.
	pr.now = pr.now.Add(time.Hour)
	if err := s.RecordClearance(ctx, pr.rex, pr.p.ID, store.Cleared, "Lexapro fine; BP controlled.", nil); err != nil {
		t.Fatal(err)
	}
	if c, problem := pr.chartClearance(t, pr.rex); !c.Status.Current || problem != "" {
		t.Fatalf("after clearing again: status %+v, gate problem %q; want current", c.Status, problem)
	}
	if pr.chartStale(t, pr.rex) {
		t.Error("chart.ClearanceOutOfDate = true after clearing again, want false")
	}
	if m := stale(pr.rex); len(m) != 0 {
		t.Fatalf("caseload after clearing again = %v, want no badge", m)
	}
	if d := pr.gate(t, "Sertraline 50 mg daily", "Vitamin D 2000 IU", "Lexapro 10 mg"); d.Status != clinic.SessionReady {
		t.Fatalf("gate after clearing again: status %s, problems %v; want ready", d.Status, d.Problems)
	}

	// A medication list recorded at the gate is reviewed there (by the
	// prescriber when it needs one); it does not make the clearance stale.
	if d := pr.gate(t, "Sertraline 100 mg daily", "Lexapro 10 mg"); d.Problems["clearance"] != "" {
		t.Errorf("gate after a changed list at the gate: clearance problem %q, want none", d.Problems["clearance"])
	}
	if c, _ := pr.chartClearance(t, pr.rex); !c.Status.Current {
		t.Errorf("clearance after a changed list at the gate: %+v, want current", c.Status)
	}

	// A decision other than "cleared" is never badged as out of date.
	pr.now = pr.now.Add(time.Hour)
	if err := s.RecordClearance(ctx, pr.rex, pr.p.ID, store.NeedsInformation, "Need the cardiology letter.", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveIntake(ctx, pr.thea, pr.p.ID, fullIntake([]string{"heart_disease"}), true, store.QuestionIDs()); err != nil {
		t.Fatal(err)
	}
	if m := stale(pr.rex); len(m) != 0 {
		t.Errorf("caseload with a needs-information decision = %v, want no out-of-date badge", m)
	}
	if c, problem := pr.chartClearance(t, pr.rex); len(c.Status.Changes) == 0 || !strings.Contains(problem, "not cleared") {
		t.Errorf("chart with needs information and a new intake: changes %v, gate %q; want the changes listed and the gate on the decision", c.Status.Changes, problem)
	}
	if pr.chartStale(t, pr.rex) {
		t.Error("chart.ClearanceOutOfDate = true with a needs-information decision, want false (the gate holds on the decision)")
	}
}

// TestIntakeScreensFrequency: the intake screens each medication's
// frequency as well as its name and dose (H4): a Xanax typed in the
// frequency field is flagged; an ordinary frequency raises nothing.
func TestIntakeScreensFrequency(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	meds := []clinic.MedicationLine{
		{Name: "Lexapro", Dose: "10 mg", Frequency: "daily, and Xanax at night"},
		{Name: "Sertraline", Dose: "50 mg", Frequency: "twice a day with food"},
		{Name: "Vitamin D", Dose: "2000 IU", Frequency: "as needed, about twice a week"},
		{Name: "Lamictal", Dose: "25 mg", Frequency: "every other day"},
		{Name: "Zoloft", Frequency: "each morning"},
	}
	if _, err := s.SaveIntake(ctx, pr.patient, pr.p.ID, fullIntake(nil, meds...), true, store.QuestionIDs()); err != nil {
		t.Fatal(err)
	}
	c, err := s.FindChart(ctx, pr.rex, pr.p.ID, store.ChartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range c.Flags {
		if strings.HasPrefix(f.Rule, "med-") {
			got = append(got, f.Rule+": "+f.Detail)
		}
	}
	want := []string{
		`med-benzodiazepine: "Lexapro 10 mg daily, and Xanax at night" is alprazolam (N05BA12), a benzodiazepine`,
		`med-lamotrigine: "Lamictal 25 mg every other day" is lamotrigine (N03AX09)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("medication flags =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestClearanceOverridesOnChart: the override a prescriber writes for an
// exclude flag at clearance is on the chart with the flag afterwards (who,
// when, the reason), and stays there, marked as earlier, when a later
// decision is recorded without it; a flag never overridden has none.
func TestClearanceOverridesOnChart(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	if _, err := s.SaveIntake(ctx, pr.patient, pr.p.ID, fullIntake([]string{"mania_history"}), true, store.QuestionIDs()); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveEvaluation(ctx, pr.thea, pr.p.ID, store.Evaluation{Recommendation: "suitable", Summary: "Suitable."}); err != nil {
		t.Fatal(err)
	}
	chart := func() *store.Chart {
		t.Helper()
		c, err := s.FindChart(ctx, pr.thea, pr.p.ID, store.ChartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var mania *screening.Flag
	for _, f := range chart().Flags {
		if f.Level == screening.Exclude {
			mania = &f
		}
	}
	if mania == nil {
		t.Fatal("no exclude flag for a history of mania")
	}
	if o := chart().OverrideOf(*mania); o != nil {
		t.Fatalf("override before any clearance = %+v, want none", o)
	}
	clearedAt := pr.now
	why := "Bipolar II, euthymic since 2021 on lamotrigine; psychiatrist agrees."
	if err := s.RecordClearance(ctx, pr.rex, pr.p.ID, store.Cleared, "Fit.", map[string]string{store.FlagKey(*mania): why}); err != nil {
		t.Fatal(err)
	}
	o := chart().OverrideOf(*mania)
	if o == nil || o.Reason != why || o.Prescriber != "rex@" || !o.At.Equal(clearedAt) || o.Decision != store.Cleared || !o.Current {
		t.Fatalf("override after clearing = %+v, want %q by rex@ at %v, current", o, why, clearedAt)
	}
	pr.now = pr.now.Add(time.Hour)
	if err := s.RecordClearance(ctx, pr.rex, pr.p.ID, store.NeedsInformation, "Need the psychiatrist's letter.", nil); err != nil {
		t.Fatal(err)
	}
	if o := chart().OverrideOf(*mania); o == nil || o.Reason != why || !o.At.Equal(clearedAt) || o.Current {
		t.Fatalf("override after a later decision without it = %+v, want the earlier one, not current", o)
	}
	if o := chart().OverrideOf(screening.Flag{Rule: "other", Detail: "x"}); o != nil {
		t.Errorf("a flag never overridden has %+v, want none", o)
	}
}
