package web

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// dosingReady makes patient A ready for a dosing session: an intake listing
// meds, the evaluation, the prescriber's clearance and a prescription.
func (f *fixture) dosingReady(meds ...string) {
	f.t.Helper()
	f.clearA(meds...)
	f.prescribeA()
}

func (f *fixture) prescribeA() {
	f.t.Helper()
	if _, err := f.st.RecordPrescription(f.t.Context(), f.as("rex@example.org"), f.pA.ID, clinic.PrescriptionInput{
		Drug: clinic.DefaultDrug, Route: clinic.RouteSublingual, Strength: "100 mg RDT", Dose: "200 mg", SessionsAuthorised: 6}); err != nil {
		f.t.Fatal(err)
	}
}

// startDosing opens a session for patient A as who and returns its path.
func (f *fixture) startDosing(who string) string {
	f.t.Helper()
	r := f.do("POST", "/patients/"+f.pA.ID+"/dosing", nil, f.signIn(who))
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/patients/"+f.pA.ID+"/dosing/") {
		f.t.Fatalf("start dosing = %d %q", r.status, loc)
	}
	return loc
}

// fullGate is a gate form with every line answered and a normal blood
// pressure.
func fullGate(meds string) url.Values {
	return url.Values{
		"consent": {"yes"}, "medications": {meds}, "meds_reviewed": {"yes"}, "fasting": {"yes"},
		"pregnancy": {clinic.PregnancyNotApplicable}, "escort": {"Sam Lee"}, "escort_ok": {"yes"},
		"bp": {"128/82"}, "heart_rate": {"72"}, "spo2": {"98"}, "client_id": {"gate-1"},
	}
}

func (f *fixture) session(path string) *store.DosingSession {
	f.t.Helper()
	id := path[strings.LastIndex(path, "/")+1:]
	d, err := f.st.DosingSessionFor(f.t.Context(), f.as("thea@example.org"), f.pA.ID, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// TestDosingGateNeedsEveryItem: the dose cannot be recorded while any one
// line of the pre-dose gate is missing, whatever the page showed; the
// server says which.
func TestDosingGateNeedsEveryItem(t *testing.T) {
	for _, tc := range []struct {
		item  string
		setup func(f *fixture) // instead of dosingReady
		drop  []string         // form fields left out
		want  string
	}{
		{item: "clearance", setup: func(f *fixture) { f.prescribeA() }, want: "clearance"},
		{item: "prescription", setup: func(f *fixture) { f.clearA("sertraline 50 mg") }, want: "no current prescription"},
		{item: "consent", drop: []string{"consent"}, want: "consent is current"},
		{item: "medications", drop: []string{"medications", "meds_reviewed"}, want: "current medications"},
		{item: "fasting", drop: []string{"fasting"}, want: "fasted"},
		{item: "pregnancy", drop: []string{"pregnancy"}, want: "not pregnant"},
		{item: "escort", drop: []string{"escort_ok"}, want: "takes the patient home"},
		{item: "vitals", drop: []string{"bp", "heart_rate", "spo2"}, want: "blood pressure, pulse and SpO₂ before the dose"},
	} {
		t.Run(tc.item, func(t *testing.T) {
			f := newFixture(t)
			if tc.setup != nil {
				tc.setup(f)
			} else {
				f.dosingReady("sertraline 50 mg")
			}
			path := f.startDosing("thea@example.org")
			thea := f.signIn("thea@example.org")
			form := fullGate("sertraline 50 mg")
			for _, k := range tc.drop {
				form.Del(k)
			}
			r := f.do("POST", path+"/gate", form, thea)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "The gate has not passed yet") || !strings.Contains(strings.ToLower(r.body), strings.ToLower(tc.want)) {
				t.Fatalf("gate without %s = %d, want 422 naming it", tc.item, r.status)
			}
			d := f.session(path)
			if d.Status != clinic.SessionGate || d.Problems[tc.item] == "" {
				t.Fatalf("status %s, problems %v: want the gate closed on %s", d.Status, d.Problems, tc.item)
			}
			if len(d.Problems) != 1 {
				t.Errorf("problems %v, want only %s", d.Problems, tc.item)
			}
			dose := f.do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea)
			if dose.status != http.StatusUnprocessableEntity || !strings.Contains(dose.body, "pre-dose gate has not passed") {
				t.Errorf("dose with the gate closed = %d, want 422", dose.status)
			}
			if d := f.session(path); d.Status != clinic.SessionGate || d.DoseAt != nil {
				t.Errorf("after the refused dose: status %s, dose %v", d.Status, d.DoseAt)
			}
			if len(f.auditRows("gate.refused")) == 0 {
				t.Error("the refused dose is not audited")
			}
		})
	}
}

// TestDosingBloodPressureHold: 165/105 holds the session; a therapist
// cannot override; the prescriber can, with a reason, audited; then the
// dose goes ahead.
func TestDosingBloodPressureHold(t *testing.T) {
	f := newFixture(t)
	f.dosingReady("sertraline 50 mg")
	path := f.startDosing("thea@example.org")
	thea := f.signIn("thea@example.org")
	form := fullGate("sertraline 50 mg")
	form.Set("bp", "165/105")
	r := f.do("POST", path+"/gate", form, thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "165/105 is above the hold threshold (160/100)") {
		t.Fatalf("165/105 = %d, want a hold", r.status)
	}
	if d := f.session(path); d.Status != clinic.SessionGate || d.Problems["vitals"] == "" {
		t.Fatalf("165/105: status %s problems %v", d.Status, d.Problems)
	}
	// The therapist tries to override: refused at the field.
	over := fullGate("sertraline 50 mg")
	over.Del("bp")
	over.Del("heart_rate")
	over.Del("spo2")
	over.Set("override", "I think it is fine.")
	r = f.do("POST", path+"/gate", over, thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Only a prescriber can override") {
		t.Fatalf("therapist override = %d, want refused", r.status)
	}
	if _, err := f.st.RecordGate(t.Context(), f.as("thea@example.org"), f.pA.ID, f.session(path).ID, store.GateInput{Override: "x"}); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("store: therapist override = %v, want refused", err)
	}
	if d := f.session(path); d.Status != clinic.SessionGate {
		t.Fatalf("after the therapist's override: status %s", d.Status)
	}
	if dose := f.do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea); dose.status != http.StatusUnprocessableEntity {
		t.Fatalf("dose on hold = %d, want 422", dose.status)
	}
	// The prescriber, from their own sign-in, with a reason.
	rex := f.signIn("rex@example.org")
	page := f.do("GET", path, nil, rex)
	if !strings.Contains(page.body, `name="override"`) {
		t.Fatal("the prescriber is not offered the override")
	}
	over.Set("override", "Baseline hypertension, 160s at every visit; cardiology letter on file.")
	if r := f.do("POST", path+"/gate", over, rex); r.status != http.StatusSeeOther {
		t.Fatalf("prescriber override = %d: %s", r.status, r.body[:min(len(r.body), 300)])
	}
	d := f.session(path)
	if d.Status != clinic.SessionReady || d.Items["override"].ByRole != clinic.RolePrescriber {
		t.Fatalf("after the override: status %s, override %+v", d.Status, d.Items["override"])
	}
	rows := f.auditRows("dosing.override")
	if len(rows) != 1 || rows[0].ActorID != f.users["rex@example.org"].ID || rows[0].PatientID != f.pA.ID {
		t.Errorf("override audit rows = %+v", rows)
	}
	if dose := f.do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}, "lot": {"K-2291"}}, thea); dose.status != http.StatusSeeOther {
		t.Fatalf("dose after the override = %d", dose.status)
	}
	// A reading taken again later that is fine does not need an override;
	// a new hold after the override needs a new one (covered by the store
	// comparing times): the session is now dosed.
	if d := f.session(path); d.Status != clinic.SessionDosed || d.DoseLot != "K-2291" {
		t.Errorf("after the dose: %s %q", d.Status, d.DoseLot)
	}
}

// TestDosingNewInteractingMedication: a benzodiazepine added since the
// intake blocks the gate until the prescriber reviews it; a therapist
// cannot clear it.
func TestDosingNewInteractingMedication(t *testing.T) {
	f := newFixture(t)
	f.dosingReady("sertraline 50 mg")
	path := f.startDosing("thea@example.org")
	thea := f.signIn("thea@example.org")
	meds := "sertraline 50 mg\nXanax 0.5 mg at night"
	r := f.do("POST", path+"/gate", fullGate(meds), thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Xanax 0.5 mg at night (benzodiazepine)") || !strings.Contains(r.body, "The prescriber must review it") {
		t.Fatalf("new benzodiazepine = %d, want blocked naming it", r.status)
	}
	ack := fullGate(meds)
	ack.Set("meds_prescriber", "yes")
	if r := f.do("POST", path+"/gate", ack, thea); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Only a prescriber can clear") {
		t.Fatalf("therapist clears new medication = %d", r.status)
	}
	if d := f.session(path); d.Status != clinic.SessionGate || !strings.Contains(d.Problems["medications"], "Xanax") {
		t.Fatalf("still blocked? status %s problems %v", d.Status, d.Problems)
	}
	// The medication already on the intake alone does not block.
	if d := f.session(path); len(d.NewInteracting) != 1 || d.NewInteracting[0].Generic != "alprazolam" {
		t.Errorf("new interacting = %+v, want alprazolam only", d.NewInteracting)
	}
	rex := f.signIn("rex@example.org")
	ack.Set("meds_note", "Low dose at night; hold the evening before; discussed.")
	if r := f.do("POST", path+"/gate", ack, rex); r.status != http.StatusSeeOther {
		t.Fatalf("prescriber review = %d: %s", r.status, r.body[:min(len(r.body), 300)])
	}
	if d := f.session(path); d.Status != clinic.SessionReady || d.Items["meds_prescriber"].Note == "" {
		t.Errorf("after review: %s %+v", d.Status, d.Items["meds_prescriber"])
	}
}

// TestDosingSessionRecord: gate → dose → three sets of vitals (one out of
// range) → an adverse event → a note → discharge; a retried entry is kept
// once; the record shows it all, and the outcome chart marks the session.
func TestDosingSessionRecord(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.dosingReady("sertraline 50 mg")
	if err := f.st.SavePreparation(ctx, f.as("thea@example.org"), f.pA.ID, store.Preparation{
		Intentions: "To feel less stuck.", Music: "Low ambient", EyeShades: "yes", Touch: clinic.TouchSafety, SupportName: "Sam Lee", RideHome: "Sam drives"}); err != nil {
		t.Fatal(err)
	}
	path := f.startDosing("thea@example.org")
	thea := f.signIn("thea@example.org")
	if again := f.do("POST", "/patients/"+f.pA.ID+"/dosing", nil, thea); again.header.Get("Location") != path {
		t.Errorf("starting again opens %q, want the open session %q", again.header.Get("Location"), path)
	}
	gate := f.do("GET", path, nil, thea)
	for _, want := range []string{"Touch:", "Safety touch", "Low ambient", "To feel less stuck.", `value="Sam Lee"`, "sertraline 50 mg", "200 mg per session"} {
		if !strings.Contains(gate.body, want) {
			t.Errorf("the gate page lacks %q", want)
		}
	}
	if r := f.do("POST", path+"/gate", fullGate("sertraline 50 mg"), thea); r.status != http.StatusSeeOther {
		t.Fatalf("gate = %d: %s", r.status, r.body[:min(len(r.body), 400)])
	}
	ready := f.do("GET", path, nil, thea)
	if !strings.Contains(ready.body, `name="amount" type="text" inputmode="decimal" maxlength="12" value="200"`) || !strings.Contains(ready.body, `<option value="mg" selected>`) || !strings.Contains(ready.body, `<option value="sublingual" selected>`) {
		t.Error("the dose form is not filled from the prescription")
	}
	if r := f.do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}, "lot": {"K-2291"}}, thea); r.status != http.StatusSeeOther {
		t.Fatalf("dose = %d", r.status)
	}
	doseAt := f.now
	post := func(what, suffix string, form url.Values, want int) response {
		t.Helper()
		r := f.do("POST", path+suffix, form, thea)
		if r.status != want {
			t.Fatalf("%s = %d, want %d: %s", what, r.status, want, r.body[:min(len(r.body), 300)])
		}
		return r
	}
	f.now = doseAt.Add(40 * time.Minute)
	thea = f.signIn("thea@example.org")
	after := url.Values{"client_id": {"v1"}, "phase": {"after_dose"}, "bp": {"150/95"}, "heart_rate": {"88"}, "spo2": {"97"}}
	post("vitals at 40 min", "/vitals", after, http.StatusSeeOther)
	post("the same vitals again (a retry)", "/vitals", after, http.StatusSeeOther)
	post("adverse event", "/events", url.Values{"client_id": {"a1"}, "kind": {"adverse"}, "adverse": {"nausea"}, "severity": {"mild"}, "action": {"Ginger tea, rested"}}, http.StatusSeeOther)
	bad := post("adverse event without severity", "/events", url.Values{"client_id": {"a2"}, "kind": {"adverse"}, "adverse": {"anxiety"}, "action": {"Talked through it"}}, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.body, "Choose how severe") || !strings.Contains(bad.body, "Talked through it") {
		t.Error("a refused adverse event loses what was typed or says nothing")
	}
	post("note", "/events", url.Values{"client_id": {"n1"}, "kind": {"note"}, "body": {"Eyes closed, breathing slow, smiled at the music."}}, http.StatusSeeOther)
	post("vitals check", "/vitals", url.Values{"client_id": {"v2"}, "phase": {"check"}, "bp": {"138/88"}, "heart_rate": {"80"}}, http.StatusSeeOther)
	f.now = doseAt.Add(110 * time.Minute)
	thea = f.signIn("thea@example.org")
	early := post("discharge before the observation time", "/discharge", url.Values{"criteria": {"vitals", "oriented", "gait", "nausea", "escort", "aftercare"}}, http.StatusUnprocessableEntity)
	if !strings.Contains(early.body, "dosed 110 minutes ago: the minimum observation time is 120 minutes") {
		t.Error("a discharge 110 minutes after the dose is not refused with the observation time")
	}
	f.now = doseAt.Add(125 * time.Minute)
	thea = f.signIn("thea@example.org")
	post("discharge without pre-discharge vitals", "/discharge", url.Values{"criteria": {"vitals", "oriented", "gait", "nausea", "escort", "aftercare"}}, http.StatusUnprocessableEntity)
	post("pre-discharge vitals", "/vitals", url.Values{"client_id": {"v3"}, "phase": {"pre_discharge"}, "bp": {"126/80"}, "heart_rate": {"70"}, "spo2": {"97"}}, http.StatusSeeOther)
	missing := post("discharge with a criterion unmet", "/discharge", url.Values{"criteria": {"vitals", "oriented", "gait", "escort", "aftercare"}}, http.StatusUnprocessableEntity)
	if !strings.Contains(missing.body, "nausea settled is not ticked") {
		t.Error("the unmet criterion is not named")
	}
	post("discharge", "/discharge", url.Values{"criteria": {"vitals", "oriented", "gait", "nausea", "escort", "aftercare"}}, http.StatusSeeOther)

	d := f.session(path)
	if d.Status != clinic.SessionDischarged || d.Minutes() != 125 || len(d.Vitals) != 4 {
		t.Fatalf("record: status %s, %d minutes, %d vitals (want discharged, 125, 4: the retry kept once)", d.Status, d.Minutes(), len(d.Vitals))
	}
	kinds := map[string]int{}
	for _, e := range d.Events {
		kinds[e.Kind]++
	}
	if kinds["adverse"] != 1 || kinds["note"] != 1 || kinds["vitals"] != 1 {
		t.Errorf("events %v, want one adverse, one note, one out-of-range reading", kinds)
	}
	rec := f.do("GET", path, nil, thea)
	for _, want := range []string{"Session record", "125 minutes after the dose", "40-minute reading (40 min after the dose)", "200 mg per session, sublingual lozenge / troche; the dose given matches it, amount and route", "Going home with</strong> Sam Lee", "KAP consent current</strong> attested", "Adverse event: Nausea (mild)", "Ginger tea, rested", "150/95", "above the caution threshold (140/90)", "Book the integration session", "kind=integration"} {
		if !strings.Contains(rec.body, want) {
			t.Errorf("the record lacks %q", want)
		}
	}
	// The suggested integration session: the chart's booking form opens
	// filled in, three days after the dose at the same time.
	suggest := doseAt.AddDate(0, 0, 3).Format("2006-01-02T15:04")
	if c := f.do("GET", "/patients/"+f.pA.ID+"?kind=integration&starts_at="+suggest, nil, thea); !strings.Contains(c.body, `<option value="integration" data-minutes="50" selected>`) || !strings.Contains(c.body, `value="`+suggest+`"`) {
		t.Error("the suggested integration session does not fill the booking form")
	}
	if r := f.do("POST", path+"/events", url.Values{"client_id": {"n2"}, "kind": {"note"}, "body": {"late"}}, thea); r.status != http.StatusUnprocessableEntity {
		t.Errorf("a note after discharge = %d, want refused", r.status)
	}
	// The outcome chart marks the session.
	at, err := f.st.DosedAt(ctx, f.as("thea@example.org"), f.pA.ID)
	if err != nil || len(at) != 1 || !at[0].Equal(doseAt) {
		t.Fatalf("DosedAt = %v, %v", at, err)
	}
	for _, a := range []string{"dosing.start", "dosing.gate", "dosing.dose", "dosing.vitals", "dosing.event", "dosing.discharge"} {
		if len(f.auditRows(a)) == 0 {
			t.Errorf("no %s audit row", a)
		}
	}
	chart := f.do("GET", "/patients/"+f.pA.ID, nil, thea)
	if !strings.Contains(chart.body, "discharged 125 min after the dose") {
		t.Error("the chart does not list the session")
	}
}

// TestDosingChartMarker: a completed session is marked on the patient's
// outcome chart, on the staff chart and in the portal.
func TestDosingChartMarker(t *testing.T) {
	f := newFixture(t)
	f.dosingReady()
	thea := f.signIn("thea@example.org")
	if r := f.do("POST", "/patients/"+f.pA.ID+"/measures", url.Values{"instrument": {"phq9"}, "cadence": {"weekly"}}, thea); r.status != http.StatusSeeOther {
		t.Fatalf("assign PHQ-9 = %d", r.status)
	}
	if r := f.do("POST", "/portal/checkins/phq9", phq9Form("complete", 2, 0), f.signIn("pat@example.org")); r.status != http.StatusSeeOther && r.status != http.StatusOK {
		t.Fatalf("PHQ-9 = %d", r.status)
	}
	f.now = f.now.Add(24 * time.Hour)
	path := f.startDosing("thea@example.org")
	thea = f.signIn("thea@example.org")
	if r := f.do("POST", path+"/gate", fullGate(""), thea); r.status != http.StatusSeeOther {
		t.Fatalf("gate = %d", r.status)
	}
	f.do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea)
	dosed := f.now
	f.now = dosed.Add(40 * time.Minute)
	thea = f.signIn("thea@example.org")
	f.do("POST", path+"/vitals", url.Values{"client_id": {"v40"}, "phase": {"after_dose"}, "bp": {"130/84"}}, thea)
	f.now = dosed.Add(2 * time.Hour)
	thea = f.signIn("thea@example.org")
	f.do("POST", path+"/vitals", url.Values{"client_id": {"v"}, "phase": {"pre_discharge"}, "bp": {"120/80"}, "heart_rate": {"70"}, "spo2": {"97"}}, thea)
	if r := f.do("POST", path+"/discharge", url.Values{"criteria": {"vitals", "oriented", "gait", "nausea", "escort", "aftercare"}}, thea); r.status != http.StatusSeeOther {
		t.Fatalf("discharge = %d", r.status)
	}
	want := "<title>Dosing session (" + dosed.Format("Jan 2, 2006") + ")</title>"
	if chart := f.do("GET", "/patients/"+f.pA.ID, nil, thea); !strings.Contains(chart.body, `class="chart-marker"`) || !strings.Contains(chart.body, want) {
		t.Error("the staff outcome chart does not mark the session")
	}
	if p := f.do("GET", "/portal/progress", nil, f.signIn("pat@example.org")); !strings.Contains(p.body, want) {
		t.Error("the patient's progress chart does not mark the session")
	}
}

// passGate starts a session for patient A and passes its gate as thea; it
// returns the session's path.
func (f *fixture) passGate(meds string) string {
	f.t.Helper()
	path := f.startDosing("thea@example.org")
	if r := f.do("POST", path+"/gate", fullGate(meds), f.signIn("thea@example.org")); r.status != http.StatusSeeOther {
		f.t.Fatalf("gate = %d: %s", r.status, r.body[:min(len(r.body), 300)])
	}
	return path
}

// TestDosingGateGoesStale: the gate is about the moment of the dose.
// Answers older than four hours and a blood pressure older than an hour no
// longer count; a session left at the gate overnight is closed when the
// next one starts.
func TestDosingGateGoesStale(t *testing.T) {
	f := newFixture(t)
	f.dosingReady("sertraline 50 mg")
	path := f.passGate("sertraline 50 mg")
	f.now = f.now.Add(61 * time.Minute)
	thea := f.signIn("thea@example.org")
	r := f.do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "more than an hour old") {
		t.Fatalf("dose with a 61-minute-old blood pressure = %d", r.status)
	}
	f.now = f.now.Add(4 * time.Hour)
	thea = f.signIn("thea@example.org")
	d := f.session(path)
	if !strings.Contains(d.Problems["consent"], "more than 4 hours old") || d.Problems["fasting"] == "" {
		t.Errorf("after 5 hours, problems = %v, want the answers to need confirming again", d.Problems)
	}
	// Confirming the same answers again records them again and passes.
	form := fullGate("sertraline 50 mg")
	form.Set("client_id", "gate-2")
	if r := f.do("POST", path+"/gate", form, thea); r.status != http.StatusSeeOther {
		t.Fatalf("gate confirmed again = %d", r.status)
	}
	// Left at the gate overnight: the next Start closes it and opens anew.
	f.now = f.now.Add(13 * time.Hour)
	next := f.startDosing("thea@example.org")
	if next == path {
		t.Fatal("a session left open overnight was carried into today")
	}
	if old := f.session(path); old.Status != clinic.SessionStopped || !strings.Contains(old.StopReason, "new session") {
		t.Errorf("the old session: %s %q", old.Status, old.StopReason)
	}
}

// TestDosingOneOpenSessionAtOnce: two clinicians pressing Start at once
// get the same session (a unique index holds on both engines).
func TestDosingOneOpenSessionAtOnce(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	ids := make([]string, 8)
	errs := make([]error, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := []string{"thea@example.org", "rex@example.org"}[i%2]
			ids[i], errs[i] = f.st.StartDosingSession(ctx, f.as(who), f.pA.ID)
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Errorf("start %d = %q, %v; want %q", i, ids[i], errs[i], ids[0])
		}
	}
	list, err := f.st.DosingSessions(ctx, f.as("thea@example.org"), f.pA.ID)
	if err != nil || len(list) != 1 {
		t.Errorf("%d sessions (%v), want 1", len(list), err)
	}
}

// TestDosingMedicationReview: a new drug on a combination line, and a new
// line kapstone does not recognise, need the prescriber; the prescriber
// can review again after the list changes, even with the same note.
func TestDosingMedicationReview(t *testing.T) {
	f := newFixture(t)
	f.dosingReady("oxycodone 5 mg")
	path := f.startDosing("thea@example.org")
	thea, rex := f.signIn("thea@example.org"), f.signIn("rex@example.org")
	r := f.do("POST", path+"/gate", fullGate("oxycodone 5 mg + zolpidem 10 mg\nblorptex 10 mg"), thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "(z-drug") && !strings.Contains(strings.ToLower(r.body), "zolpidem") {
		t.Fatalf("new zolpidem on a combination line = %d, want it named", r.status)
	}
	d := f.session(path)
	var names []string
	for _, m := range d.NewInteracting {
		names = append(names, m.Generic+"|"+m.ClassName)
	}
	if len(d.NewInteracting) != 2 || d.NewInteracting[0].Generic != "zolpidem" || !strings.Contains(d.NewInteracting[1].ClassName, "not recognised") {
		t.Fatalf("new medication needing review = %v, want zolpidem and the unrecognised line", names)
	}
	ack := fullGate("oxycodone 5 mg + zolpidem 10 mg\nblorptex 10 mg")
	ack.Set("meds_prescriber", "yes")
	if r := f.do("POST", path+"/gate", ack, rex); r.status != http.StatusSeeOther {
		t.Fatalf("prescriber review = %d", r.status)
	}
	// The list grows; the same review with the same (empty) note is
	// recorded again and passes.
	more := fullGate("oxycodone 5 mg + zolpidem 10 mg\nblorptex 10 mg\nXanax 0.5 mg")
	if r := f.do("POST", path+"/gate", more, thea); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("a further new benzodiazepine = %d, want blocked", r.status)
	}
	// A new benzodiazepine would exclude the patient at intake: as there,
	// the prescriber clears it only with a written reason.
	more.Set("meds_prescriber", "yes")
	if r := f.do("POST", path+"/gate", more, rex); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Xanax 0.5 mg (benzodiazepine) is new and would exclude the patient at intake: write your reason") {
		t.Fatalf("second prescriber review without a reason = %d, want refused at the field", r.status)
	}
	if d := f.session(path); d.Status != clinic.SessionGate {
		t.Fatalf("status after a review without a reason: %s", d.Status)
	}
	more.Set("meds_note", "Short-term for flights; not on the session day. Reviewed with the patient.")
	if r := f.do("POST", path+"/gate", more, rex); r.status != http.StatusSeeOther {
		t.Fatalf("second prescriber review = %d: %s", r.status, f.session(path).Problems)
	}
	if rec := f.session(path).Items["meds_prescriber"]; rec.Note == "" {
		t.Errorf("the prescriber's reason is not kept: %+v", rec)
	}
}

// TestDosingOverrideIsForOneReading: an override covers the reading the
// prescriber saw; a later reading at the hold level needs a new one; an
// override with no hold on screen is refused.
func TestDosingOverrideIsForOneReading(t *testing.T) {
	f := newFixture(t)
	f.dosingReady()
	path := f.startDosing("thea@example.org")
	thea, rex := f.signIn("thea@example.org"), f.signIn("rex@example.org")
	form := fullGate("")
	form.Set("override", "Going ahead.")
	if r := f.do("POST", path+"/gate", form, rex); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "no vitals hold to override") {
		t.Fatalf("override with no hold = %d", r.status)
	}
	held := fullGate("")
	held.Set("bp", "170/104")
	held.Set("client_id", "r1")
	f.do("POST", path+"/gate", held, thea)
	over := fullGate("")
	over.Del("bp")
	over.Del("heart_rate")
	over.Del("spo2")
	over.Set("override", "Known hypertension; cardiology letter on file.")
	if r := f.do("POST", path+"/gate", over, rex); r.status != http.StatusSeeOther {
		t.Fatalf("override = %d", r.status)
	}
	again := fullGate("")
	again.Set("bp", "190/115")
	again.Set("client_id", "r2")
	if r := f.do("POST", path+"/gate", again, thea); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "190/115 is above the hold threshold") {
		t.Fatalf("a new hold after the override = %d, want held again", r.status)
	}
	if d := f.session(path); d.Status != clinic.SessionGate {
		t.Errorf("status %s, want back at the gate", d.Status)
	}
}

// TestDosingDischargeAndLateClose: discharge needs the 40-minute reading
// and is blocked by a hold-level reading of any kind; a session left open
// can be closed without the checklist only hours after the dose; an
// adverse event noticed later can still be added.
func TestDosingDischargeAndLateClose(t *testing.T) {
	f := newFixture(t)
	f.dosingReady()
	path := f.passGate("")
	thea := f.signIn("thea@example.org")
	f.do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea)
	dosed := f.now
	all := url.Values{"criteria": {"vitals", "oriented", "gait", "nausea", "escort", "aftercare"}}
	// Entered as the 40-minute reading, but taken 20 minutes after the dose:
	// it is labelled by its real time and does not count.
	f.now = dosed.Add(20 * time.Minute)
	thea = f.signIn("thea@example.org")
	f.do("POST", path+"/vitals", url.Values{"client_id": {"a20"}, "phase": {"after_dose"}, "bp": {"134/86"}}, thea)
	f.now = dosed.Add(125 * time.Minute)
	thea = f.signIn("thea@example.org")
	f.do("POST", path+"/vitals", url.Values{"client_id": {"pd"}, "phase": {"pre_discharge"}, "bp": {"128/80"}}, thea)
	r := f.do("POST", path+"/discharge", all, thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "no blood pressure taken 30–60 minutes after the dose") {
		t.Fatalf("discharge without the 40-minute reading = %d", r.status)
	}
	if !strings.Contains(r.body, "Reading 20 min after the dose (entered as the 40-minute reading, but not taken 30–60 minutes after the dose)") {
		t.Error("a reading called the 40-minute one but taken at 20 minutes is not labelled by its real time")
	}
	// The reading taken at 40 minutes, sent late from the device, counts.
	f.do("POST", path+"/vitals", url.Values{"client_id": {"a40"}, "phase": {"check"}, "bp": {"134/86"}, "taken_at": {dosed.Add(40 * time.Minute).Format(time.RFC3339)}}, thea)
	f.do("POST", path+"/vitals", url.Values{"client_id": {"chk"}, "phase": {"check"}, "bp": {"185/112"}}, thea)
	if r := f.do("POST", path+"/discharge", all, thea); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "185/112") {
		t.Fatalf("discharge after a hold-level check = %d", r.status)
	}
	// Too soon to close it without the checklist.
	if r := f.do("POST", path+"/stop", url.Values{"stop_reason": {"Forgot to discharge"}}, thea); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "ends with discharge") {
		t.Fatalf("closing a fresh dosed session = %d", r.status)
	}
	f.now = f.now.Add(7 * time.Hour)
	thea = f.signIn("thea@example.org")
	if page := f.do("GET", path, nil, thea); !strings.Contains(page.body, "close without the discharge checklist") {
		t.Error("a session left open is not offered a late close")
	}
	if r := f.do("POST", path+"/stop", url.Values{"stop_reason": {"Patient left with partner at 15:10; discharge not recorded at the time."}}, thea); r.status != http.StatusSeeOther {
		t.Fatalf("late close = %d", r.status)
	}
	d := f.session(path)
	if d.Status != clinic.SessionDischarged || len(d.Discharge) != 0 || len(f.auditRows("dosing.close_late")) != 1 {
		t.Fatalf("after the late close: %s %v", d.Status, d.Discharge)
	}
	if rec := f.do("GET", path, nil, thea); !strings.Contains(rec.body, "Closed without the discharge checklist") || !strings.Contains(rec.body, "closed late") {
		t.Error("the record does not say the session was closed late")
	}
	if r := f.do("POST", path+"/events", url.Values{"client_id": {"late-ae"}, "kind": {"adverse"}, "adverse": {"headache"}, "severity": {"mild"}, "action": {"Phoned next day; settled"}}, thea); r.status != http.StatusSeeOther {
		t.Errorf("an adverse event after discharge = %d, want kept", r.status)
	}
}

// TestDosingEntriesKeepTheirTimeAndComeOnce: an entry sent late keeps the
// time it was made (if believable); the same client id twice, even at
// once, is one entry; bad bytes are refused at the field, not a 500.
func TestDosingEntriesKeepTheirTimeAndComeOnce(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.dosingReady()
	path := f.passGate("")
	thea := f.signIn("thea@example.org")
	f.do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea)
	dosed := f.now
	f.now = dosed.Add(70 * time.Minute)
	thea = f.signIn("thea@example.org")
	taken := dosed.Add(41 * time.Minute)
	f.do("POST", path+"/vitals", url.Values{"client_id": {"late"}, "phase": {"after_dose"}, "bp": {"130/84"}, "taken_at": {taken.Format(time.RFC3339)}}, thea)
	f.do("POST", path+"/events", url.Values{"client_id": {"future"}, "kind": {"note"}, "body": {"x"}, "taken_at": {f.now.Add(time.Hour).Format(time.RFC3339)}}, thea)
	d := f.session(path)
	if len(d.Vitals) < 2 || !d.Vitals[len(d.Vitals)-1].At.Equal(taken) {
		t.Errorf("the late reading's time = %v, want %v", d.Vitals[len(d.Vitals)-1].At, taken)
	}
	if len(d.Events) != 1 || !d.Events[0].At.Equal(f.now) {
		t.Errorf("a note claiming a future time kept %v, want the server's %v", d.Events[0].At, f.now)
	}
	var wg sync.WaitGroup
	id := f.session(path).ID
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 76
			if _, err := f.st.RecordVitals(ctx, f.as("thea@example.org"), f.pA.ID, id, store.Vitals{ClientID: "same", Phase: clinic.PhaseCheck, HeartRate: &n}); err != nil {
				t.Errorf("a concurrent retry failed: %v", err)
			}
		}()
	}
	wg.Wait()
	count := 0
	for _, v := range f.session(path).Vitals {
		if v.ClientID == "same" {
			count++
		}
	}
	if count != 1 {
		t.Errorf("the same entry kept %d times, want once", count)
	}
	for _, bad := range []url.Values{
		{"client_id": {"b1"}, "kind": {"note"}, "body": {"ok \xff\xfe"}},
		{"client_id": {"b2"}, "kind": {"adverse"}, "adverse": {"nausea"}, "severity": {"mild"}, "action": {"\xc3\x28"}},
	} {
		if r := f.do("POST", path+"/events", bad, thea); r.status != http.StatusUnprocessableEntity {
			t.Errorf("bad bytes = %d, want 422", r.status)
		}
	}
	if r := f.do("POST", path+"/stop", url.Values{"stop_reason": {"\xff"}}, thea); r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad bytes in a reason = %d, want 422", r.status)
	}
}

// TestDosingKeepAlive: the session page keeps a clinician's sign-in fresh
// only for a session they may see that is dosed and recent.
func TestDosingKeepAlive(t *testing.T) {
	f := newFixture(t)
	f.dosingReady()
	path := f.passGate("")
	thea, theo := f.signIn("thea@example.org"), f.signIn("theo@example.org")
	if r := f.do("GET", path+"?alive=1", nil, thea); r.status != http.StatusGone {
		t.Errorf("keep-alive before the dose = %d, want 410", r.status)
	}
	f.do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea)
	if r := f.do("GET", path+"?alive=1", nil, thea); r.status != http.StatusNoContent {
		t.Errorf("keep-alive while dosed = %d, want 204", r.status)
	}
	if r := f.do("GET", path+"?alive=1", nil, theo); r.status == http.StatusNoContent {
		t.Error("a therapist off the care team is kept signed in")
	}
	if r := f.do("GET", "/patients/"+f.pA.ID+"/dosing/no-such-session?alive=1", nil, thea); r.status != http.StatusGone {
		t.Errorf("keep-alive on a made-up session = %d, want 410", r.status)
	}
	f.now = f.now.Add(5 * time.Hour)
	thea = f.signIn("thea@example.org")
	if r := f.do("GET", path+"?alive=1", nil, thea); r.status != http.StatusGone {
		t.Errorf("keep-alive 5 hours after the dose = %d, want 410", r.status)
	}
}

// TestDosingNewMixedLineNeedsPrescriber: on dosing day a new vague item
// ("water pill") or an unread word ("MB") on a line with a known drug is
// new since the last session and needs the prescriber, like a new
// interacting drug (issue 12, defect 8, through screening.NewSince).
func TestDosingNewMixedLineNeedsPrescriber(t *testing.T) {
	f := newFixture(t)
	f.dosingReady("sertraline 50 mg")
	path := f.startDosing("thea@example.org")
	thea := f.signIn("thea@example.org")
	r := f.do("POST", path+"/gate", fullGate("sertraline 50 mg, water pill\nsertraline, MB"), thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "The prescriber must review it") {
		t.Fatalf("new vague item = %d, want blocked", r.status)
	}
	d := f.session(path)
	if len(d.NewInteracting) != 2 || !strings.Contains(d.NewInteracting[0].ClassName, `"water pill"`) || !strings.Contains(d.NewInteracting[1].ClassName, `"mb"`) {
		t.Errorf("new since = %+v, want the water pill and mb", d.NewInteracting)
	}
}
