package staff_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestDosingGateNeedsEveryItem: the dose cannot be recorded while any one
// line of the pre-dose gate is missing, whatever the page showed; the
// server says which.
func TestDosingGateNeedsEveryItem(t *testing.T) {
	for _, tc := range []struct {
		item  string
		setup func(f *webtest.Fixture) // instead of dosingReady
		drop  []string                 // form fields left out
		want  string
	}{
		{item: "clearance", setup: func(f *webtest.Fixture) { f.PrescribeA(); f.SignConsentA() }, want: "clearance"},
		{item: "prescription", setup: func(f *webtest.Fixture) { f.ClearA("sertraline 50 mg"); f.SignConsentA() }, want: "no current prescription"},
		// The consent line is the signed consent's, never attested.
		{item: "consent", setup: func(f *webtest.Fixture) { f.ClearA("sertraline 50 mg"); f.PrescribeA() }, want: "has not signed the KAP informed consent"},
		{item: "medications", drop: []string{"medications", "meds_reviewed"}, want: "current medications"},
		{item: "fasting", drop: []string{"fasting"}, want: "fasted"},
		{item: "pregnancy", drop: []string{"pregnancy"}, want: "not pregnant"},
		{item: "escort", drop: []string{"escort_ok"}, want: "takes the patient home"},
		{item: "vitals", drop: []string{"bp", "heart_rate", "spo2"}, want: "blood pressure, pulse and SpO₂ before the dose"},
	} {
		t.Run(tc.item, func(t *testing.T) {
			f := webtest.NewFixture(t)
			if tc.setup != nil {
				tc.setup(f)
			} else {
				f.DosingReady("sertraline 50 mg")
			}
			path := f.StartDosing("thea@example.org")
			thea := f.SignIn("thea@example.org")
			form := webtest.FullGate("sertraline 50 mg")
			for _, k := range tc.drop {
				form.Del(k)
			}
			r := f.Do("POST", path+"/gate", form, thea)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "The gate has not passed yet") || !strings.Contains(strings.ToLower(r.Body), strings.ToLower(tc.want)) {
				t.Fatalf("gate without %s = %d, want 422 naming it", tc.item, r.Status)
			}
			d := f.Session(path)
			if d.Status != clinic.SessionGate || d.Problems[tc.item] == "" {
				t.Fatalf("status %s, problems %v: want the gate closed on %s", d.Status, d.Problems, tc.item)
			}
			if len(d.Problems) != 1 {
				t.Errorf("problems %v, want only %s", d.Problems, tc.item)
			}
			dose := f.Do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea)
			if dose.Status != http.StatusUnprocessableEntity || !strings.Contains(dose.Body, "pre-dose gate has not passed") {
				t.Errorf("dose with the gate closed = %d, want 422", dose.Status)
			}
			if d := f.Session(path); d.Status != clinic.SessionGate || d.DoseAt != nil {
				t.Errorf("after the refused dose: status %s, dose %v", d.Status, d.DoseAt)
			}
			if len(f.AuditRows("gate.refused")) == 0 {
				t.Error("the refused dose is not audited")
			}
		})
	}
}

// TestDosingBloodPressureHold: 165/105 holds the session; a therapist
// cannot override; the prescriber can, with a reason, audited; then the
// dose goes ahead.
func TestDosingBloodPressureHold(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady("sertraline 50 mg")
	path := f.StartDosing("thea@example.org")
	thea := f.SignIn("thea@example.org")
	form := webtest.FullGate("sertraline 50 mg")
	form.Set("bp", "165/105")
	r := f.Do("POST", path+"/gate", form, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "165/105 is above the hold threshold (160/100)") {
		t.Fatalf("165/105 = %d, want a hold", r.Status)
	}
	if d := f.Session(path); d.Status != clinic.SessionGate || d.Problems["vitals"] == "" {
		t.Fatalf("165/105: status %s problems %v", d.Status, d.Problems)
	}
	// The therapist tries to override: refused at the field.
	over := webtest.FullGate("sertraline 50 mg")
	over.Del("bp")
	over.Del("heart_rate")
	over.Del("spo2")
	over.Set("override", "I think it is fine.")
	r = f.Do("POST", path+"/gate", over, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Only a prescriber can override") {
		t.Fatalf("therapist override = %d, want refused", r.Status)
	}
	if _, err := f.St.RecordGate(t.Context(), f.As("thea@example.org"), f.PA.ID, f.Session(path).ID, store.GateInput{Override: "x"}); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("store: therapist override = %v, want refused", err)
	}
	if d := f.Session(path); d.Status != clinic.SessionGate {
		t.Fatalf("after the therapist's override: status %s", d.Status)
	}
	if dose := f.Do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea); dose.Status != http.StatusUnprocessableEntity {
		t.Fatalf("dose on hold = %d, want 422", dose.Status)
	}
	// The prescriber, from their own sign-in, with a reason.
	rex := f.SignIn("rex@example.org")
	page := f.Do("GET", path, nil, rex)
	if !strings.Contains(page.Body, `name="override"`) {
		t.Fatal("the prescriber is not offered the override")
	}
	over.Set("override", "Baseline hypertension, 160s at every visit; cardiology letter on file.")
	if r := f.Do("POST", path+"/gate", over, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("prescriber override = %d: %s", r.Status, r.Body[:min(len(r.Body), 300)])
	}
	d := f.Session(path)
	if d.Status != clinic.SessionReady || d.Items["override"].ByRole != clinic.RolePrescriber {
		t.Fatalf("after the override: status %s, override %+v", d.Status, d.Items["override"])
	}
	rows := f.AuditRows("dosing.override")
	if len(rows) != 1 || rows[0].ActorID != f.Users["rex@example.org"].ID || rows[0].PatientID != f.PA.ID {
		t.Errorf("override audit rows = %+v", rows)
	}
	if dose := f.Do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}, "lot": {"K-2291"}}, thea); dose.Status != http.StatusSeeOther {
		t.Fatalf("dose after the override = %d", dose.Status)
	}
	// A reading taken again later that is fine does not need an override;
	// a new hold after the override needs a new one (covered by the store
	// comparing times): the session is now dosed.
	if d := f.Session(path); d.Status != clinic.SessionDosed || d.DoseLot != "K-2291" {
		t.Errorf("after the dose: %s %q", d.Status, d.DoseLot)
	}
}

// TestDosingNewInteractingMedication: a benzodiazepine added since the
// intake blocks the gate until the prescriber reviews it; a therapist
// cannot clear it.
func TestDosingNewInteractingMedication(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady("sertraline 50 mg")
	path := f.StartDosing("thea@example.org")
	thea := f.SignIn("thea@example.org")
	meds := "sertraline 50 mg\nXanax 0.5 mg at night"
	r := f.Do("POST", path+"/gate", webtest.FullGate(meds), thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Xanax 0.5 mg at night (benzodiazepine)") || !strings.Contains(r.Body, "The prescriber must review it") {
		t.Fatalf("new benzodiazepine = %d, want blocked naming it", r.Status)
	}
	ack := webtest.FullGate(meds)
	ack.Set("meds_prescriber", "yes")
	if r := f.Do("POST", path+"/gate", ack, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Only a prescriber can clear") {
		t.Fatalf("therapist clears new medication = %d", r.Status)
	}
	if d := f.Session(path); d.Status != clinic.SessionGate || !strings.Contains(d.Problems["medications"], "Xanax") {
		t.Fatalf("still blocked? status %s problems %v", d.Status, d.Problems)
	}
	// The medication already on the intake alone does not block.
	if d := f.Session(path); len(d.NewInteracting) != 1 || d.NewInteracting[0].Generic != "alprazolam" {
		t.Errorf("new interacting = %+v, want alprazolam only", d.NewInteracting)
	}
	rex := f.SignIn("rex@example.org")
	ack.Set("meds_note", "Low dose at night; hold the evening before; discussed.")
	if r := f.Do("POST", path+"/gate", ack, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("prescriber review = %d: %s", r.Status, r.Body[:min(len(r.Body), 300)])
	}
	if d := f.Session(path); d.Status != clinic.SessionReady || d.Items["meds_prescriber"].Note == "" {
		t.Errorf("after review: %s %+v", d.Status, d.Items["meds_prescriber"])
	}
}

// TestDosingSessionRecord: gate → dose → three sets of vitals (one out of
// range) → an adverse event → a note → discharge; a retried entry is kept
// once; the record shows it all, and the outcome chart marks the session.
func TestDosingSessionRecord(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	f.DosingReady("sertraline 50 mg")
	if err := f.St.SavePreparation(ctx, f.As("thea@example.org"), f.PA.ID, store.Preparation{
		Intentions: "To feel less stuck.", Music: "Low ambient", EyeShades: "yes", Touch: clinic.TouchSafety, SupportName: "Sam Lee", RideHome: "Sam drives"}); err != nil {
		t.Fatal(err)
	}
	path := f.StartDosing("thea@example.org")
	thea := f.SignIn("thea@example.org")
	if again := f.Do("POST", "/patients/"+f.PA.ID+"/dosing", nil, thea); again.Header.Get("Location") != path {
		t.Errorf("starting again opens %q, want the open session %q", again.Header.Get("Location"), path)
	}
	gate := f.Do("GET", path, nil, thea)
	for _, want := range []string{"Touch:", "Safety touch", "Low ambient", "To feel less stuck.", `value="Sam Lee"`, "sertraline 50 mg", "200 mg per session"} {
		if !strings.Contains(gate.Body, want) {
			t.Errorf("the gate page lacks %q", want)
		}
	}
	if r := f.Do("POST", path+"/gate", webtest.FullGate("sertraline 50 mg"), thea); r.Status != http.StatusSeeOther {
		t.Fatalf("gate = %d: %s", r.Status, r.Body[:min(len(r.Body), 400)])
	}
	ready := f.Do("GET", path, nil, thea)
	if !strings.Contains(ready.Body, `name="amount" type="text" inputmode="decimal" maxlength="12" value="200"`) || !strings.Contains(ready.Body, `<option value="mg" selected>`) || !strings.Contains(ready.Body, `<option value="sublingual" selected>`) {
		t.Error("the dose form is not filled from the prescription")
	}
	if r := f.Do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}, "lot": {"K-2291"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("dose = %d", r.Status)
	}
	doseAt := f.Now
	post := func(what, suffix string, form url.Values, want int) webtest.Response {
		t.Helper()
		r := f.Do("POST", path+suffix, form, thea)
		if r.Status != want {
			t.Fatalf("%s = %d, want %d: %s", what, r.Status, want, r.Body[:min(len(r.Body), 300)])
		}
		return r
	}
	f.Now = doseAt.Add(40 * time.Minute)
	thea = f.SignIn("thea@example.org")
	after := url.Values{"client_id": {"v1"}, "phase": {"after_dose"}, "bp": {"150/95"}, "heart_rate": {"88"}, "spo2": {"97"}}
	post("vitals at 40 min", "/vitals", after, http.StatusSeeOther)
	post("the same vitals again (a retry)", "/vitals", after, http.StatusSeeOther)
	post("adverse event", "/events", url.Values{"client_id": {"a1"}, "kind": {"adverse"}, "adverse": {"nausea"}, "severity": {"mild"}, "action": {"Ginger tea, rested"}}, http.StatusSeeOther)
	bad := post("adverse event without severity", "/events", url.Values{"client_id": {"a2"}, "kind": {"adverse"}, "adverse": {"anxiety"}, "action": {"Talked through it"}}, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.Body, "Choose how severe") || !strings.Contains(bad.Body, "Talked through it") {
		t.Error("a refused adverse event loses what was typed or says nothing")
	}
	post("note", "/events", url.Values{"client_id": {"n1"}, "kind": {"note"}, "body": {"Eyes closed, breathing slow, smiled at the music."}}, http.StatusSeeOther)
	post("vitals check", "/vitals", url.Values{"client_id": {"v2"}, "phase": {"check"}, "bp": {"138/88"}, "heart_rate": {"80"}}, http.StatusSeeOther)
	f.Now = doseAt.Add(110 * time.Minute)
	thea = f.SignIn("thea@example.org")
	early := post("discharge before the observation time", "/discharge", url.Values{"criteria": {"vitals", "oriented", "gait", "nausea", "escort", "aftercare"}}, http.StatusUnprocessableEntity)
	if !strings.Contains(early.Body, "dosed 110 minutes ago: the minimum observation time is 120 minutes") {
		t.Error("a discharge 110 minutes after the dose is not refused with the observation time")
	}
	f.Now = doseAt.Add(125 * time.Minute)
	thea = f.SignIn("thea@example.org")
	post("discharge without pre-discharge vitals", "/discharge", url.Values{"criteria": {"vitals", "oriented", "gait", "nausea", "escort", "aftercare"}}, http.StatusUnprocessableEntity)
	post("pre-discharge vitals", "/vitals", url.Values{"client_id": {"v3"}, "phase": {"pre_discharge"}, "moaas": {"5"}, "bp": {"126/80"}, "heart_rate": {"70"}, "spo2": {"97"}}, http.StatusSeeOther)
	missing := post("discharge with a criterion unmet", "/discharge", url.Values{"criteria": {"vitals", "oriented", "gait", "escort", "aftercare"}}, http.StatusUnprocessableEntity)
	if !strings.Contains(missing.Body, "nausea settled is not ticked") {
		t.Error("the unmet criterion is not named")
	}
	post("discharge", "/discharge", url.Values{"criteria": {"vitals", "oriented", "gait", "nausea", "escort", "aftercare"}}, http.StatusSeeOther)

	d := f.Session(path)
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
	rec := f.Do("GET", path, nil, thea)
	for _, want := range []string{"Session record", "125 minutes after the dose", "40-minute reading (40 min after the dose)", "200 mg per session, sublingual lozenge / troche; the dose given matches it, amount and route", "Going home with</strong> Sam Lee", "KAP consent current</strong> signed consent, version 1, portal, signed ", "Adverse event: Nausea (mild)", "Ginger tea, rested", "150/95", "above the caution threshold (140/90)", "Book the integration session", "kind=integration"} {
		if !strings.Contains(rec.Body, want) {
			t.Errorf("the record lacks %q", want)
		}
	}
	// The suggested integration session: the chart's booking form opens
	// filled in, three days after the dose at the same time.
	suggest := doseAt.AddDate(0, 0, 3).Format("2006-01-02T15:04")
	if c := f.Do("GET", "/patients/"+f.PA.ID+"?kind=integration&starts_at="+suggest, nil, thea); !strings.Contains(c.Body, `<option value="integration" data-minutes="50" selected>`) || !strings.Contains(c.Body, `value="`+suggest+`"`) {
		t.Error("the suggested integration session does not fill the booking form")
	}
	if r := f.Do("POST", path+"/events", url.Values{"client_id": {"n2"}, "kind": {"note"}, "body": {"late"}}, thea); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a note after discharge = %d, want refused", r.Status)
	}
	// The outcome chart marks the session.
	at, err := f.St.DosedAt(ctx, f.As("thea@example.org"), f.PA.ID)
	if err != nil || len(at) != 1 || !at[0].Equal(doseAt) {
		t.Fatalf("DosedAt = %v, %v", at, err)
	}
	for _, a := range []string{"dosing.start", "dosing.gate", "dosing.dose", "dosing.vitals", "dosing.event", "dosing.discharge"} {
		if len(f.AuditRows(a)) == 0 {
			t.Errorf("no %s audit row", a)
		}
	}
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, "discharged 125 min after the dose") {
		t.Error("the chart does not list the session")
	}
}

// TestDosingChartMarker: a completed session is marked on the patient's
// outcome chart, on the staff chart and in the portal.
func TestDosingChartMarker(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady()
	thea := f.SignIn("thea@example.org")
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/measures", url.Values{"instrument": {"phq9"}, "cadence": {"weekly"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("assign PHQ-9 = %d", r.Status)
	}
	if r := f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 2, 0), f.SignIn("pat@example.org")); r.Status != http.StatusSeeOther && r.Status != http.StatusOK {
		t.Fatalf("PHQ-9 = %d", r.Status)
	}
	f.Now = f.Now.Add(24 * time.Hour)
	path := f.StartDosing("thea@example.org")
	thea = f.SignIn("thea@example.org")
	if r := f.Do("POST", path+"/gate", webtest.FullGate(""), thea); r.Status != http.StatusSeeOther {
		t.Fatalf("gate = %d", r.Status)
	}
	f.Do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea)
	dosed := f.Now
	f.Now = dosed.Add(40 * time.Minute)
	thea = f.SignIn("thea@example.org")
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"v40"}, "phase": {"after_dose"}, "bp": {"130/84"}}, thea)
	f.Now = dosed.Add(2 * time.Hour)
	thea = f.SignIn("thea@example.org")
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"v"}, "phase": {"pre_discharge"}, "moaas": {"5"}, "bp": {"120/80"}, "heart_rate": {"70"}, "spo2": {"97"}}, thea)
	if r := f.Do("POST", path+"/discharge", url.Values{"criteria": {"vitals", "oriented", "gait", "nausea", "escort", "aftercare"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("discharge = %d", r.Status)
	}
	want := "<title>Dosing session (" + dosed.Format("Jan 2, 2006") + ")</title>"
	if chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea); !strings.Contains(chart.Body, `class="chart-marker"`) || !strings.Contains(chart.Body, want) {
		t.Error("the staff outcome chart does not mark the session")
	}
	if p := f.Do("GET", "/portal/progress", nil, f.SignIn("pat@example.org")); !strings.Contains(p.Body, want) {
		t.Error("the patient's progress chart does not mark the session")
	}
}

// TestDosingGateGoesStale: the gate is about the moment of the dose.
// Answers older than four hours and a blood pressure older than an hour no
// longer count; a session left at the gate overnight is closed when the
// next one starts.
func TestDosingGateGoesStale(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady("sertraline 50 mg")
	path := f.PassGate("sertraline 50 mg")
	f.Now = f.Now.Add(61 * time.Minute)
	thea := f.SignIn("thea@example.org")
	r := f.Do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "more than an hour old") {
		t.Fatalf("dose with a 61-minute-old blood pressure = %d", r.Status)
	}
	f.Now = f.Now.Add(4 * time.Hour)
	thea = f.SignIn("thea@example.org")
	d := f.Session(path)
	if !strings.Contains(d.Problems["fasting"], "more than 4 hours old") || d.Problems["consent"] != "" {
		t.Errorf("after 5 hours, problems = %v, want the answers to need confirming again (not the signed consent)", d.Problems)
	}
	// Confirming the same answers again records them again and passes.
	form := webtest.FullGate("sertraline 50 mg")
	form.Set("client_id", "gate-2")
	if r := f.Do("POST", path+"/gate", form, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("gate confirmed again = %d", r.Status)
	}
	// Left at the gate overnight: the next Start closes it and opens anew.
	f.Now = f.Now.Add(13 * time.Hour)
	next := f.StartDosing("thea@example.org")
	if next == path {
		t.Fatal("a session left open overnight was carried into today")
	}
	if old := f.Session(path); old.Status != clinic.SessionStopped || !strings.Contains(old.StopReason, "new session") {
		t.Errorf("the old session: %s %q", old.Status, old.StopReason)
	}
}

// TestDosingOneOpenSessionAtOnce: two clinicians pressing Start at once
// get the same session (a unique index holds on both engines).
func TestDosingOneOpenSessionAtOnce(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	ids := make([]string, 8)
	errs := make([]error, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := []string{"thea@example.org", "rex@example.org"}[i%2]
			ids[i], errs[i] = f.St.StartDosingSession(ctx, f.As(who), f.PA.ID)
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Errorf("start %d = %q, %v; want %q", i, ids[i], errs[i], ids[0])
		}
	}
	list, err := f.St.DosingSessions(ctx, f.As("thea@example.org"), f.PA.ID)
	if err != nil || len(list) != 1 {
		t.Errorf("%d sessions (%v), want 1", len(list), err)
	}
}

// TestDosingMedicationReview: a new drug on a combination line, and a new
// line kapstone does not recognise, need the prescriber; the prescriber
// can review again after the list changes, even with the same note.
func TestDosingMedicationReview(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady("oxycodone 5 mg")
	path := f.StartDosing("thea@example.org")
	thea, rex := f.SignIn("thea@example.org"), f.SignIn("rex@example.org")
	r := f.Do("POST", path+"/gate", webtest.FullGate("oxycodone 5 mg + zolpidem 10 mg\nblorptex 10 mg"), thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "(z-drug") && !strings.Contains(strings.ToLower(r.Body), "zolpidem") {
		t.Fatalf("new zolpidem on a combination line = %d, want it named", r.Status)
	}
	d := f.Session(path)
	var names []string
	for _, m := range d.NewInteracting {
		names = append(names, m.Generic+"|"+m.ClassName)
	}
	if len(d.NewInteracting) != 2 || d.NewInteracting[0].Generic != "zolpidem" || !strings.Contains(d.NewInteracting[1].ClassName, "not recognised") {
		t.Fatalf("new medication needing review = %v, want zolpidem and the unrecognised line", names)
	}
	ack := webtest.FullGate("oxycodone 5 mg + zolpidem 10 mg\nblorptex 10 mg")
	ack.Set("meds_prescriber", "yes")
	if r := f.Do("POST", path+"/gate", ack, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("prescriber review = %d", r.Status)
	}
	// The list grows; the same review with the same (empty) note is
	// recorded again and passes.
	more := webtest.FullGate("oxycodone 5 mg + zolpidem 10 mg\nblorptex 10 mg\nXanax 0.5 mg")
	if r := f.Do("POST", path+"/gate", more, thea); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a further new benzodiazepine = %d, want blocked", r.Status)
	}
	// A new benzodiazepine would exclude the patient at intake: as there,
	// the prescriber clears it only with a written reason.
	more.Set("meds_prescriber", "yes")
	if r := f.Do("POST", path+"/gate", more, rex); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Xanax 0.5 mg (benzodiazepine) is new and would exclude the patient at intake: write your reason") {
		t.Fatalf("second prescriber review without a reason = %d, want refused at the field", r.Status)
	}
	if d := f.Session(path); d.Status != clinic.SessionGate {
		t.Fatalf("status after a review without a reason: %s", d.Status)
	}
	more.Set("meds_note", "Short-term for flights; not on the session day. Reviewed with the patient.")
	if r := f.Do("POST", path+"/gate", more, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("second prescriber review = %d: %s", r.Status, f.Session(path).Problems)
	}
	if rec := f.Session(path).Items["meds_prescriber"]; rec.Note == "" {
		t.Errorf("the prescriber's reason is not kept: %+v", rec)
	}
}

// TestDosingOverrideIsForOneReading: an override covers the reading the
// prescriber saw; a later reading at the hold level needs a new one; an
// override with no hold on screen is refused.
func TestDosingOverrideIsForOneReading(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady()
	path := f.StartDosing("thea@example.org")
	thea, rex := f.SignIn("thea@example.org"), f.SignIn("rex@example.org")
	form := webtest.FullGate("")
	form.Set("override", "Going ahead.")
	if r := f.Do("POST", path+"/gate", form, rex); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "no vitals hold to override") {
		t.Fatalf("override with no hold = %d", r.Status)
	}
	held := webtest.FullGate("")
	held.Set("bp", "170/104")
	held.Set("client_id", "r1")
	f.Do("POST", path+"/gate", held, thea)
	over := webtest.FullGate("")
	over.Del("bp")
	over.Del("heart_rate")
	over.Del("spo2")
	over.Set("override", "Known hypertension; cardiology letter on file.")
	if r := f.Do("POST", path+"/gate", over, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("override = %d", r.Status)
	}
	again := webtest.FullGate("")
	again.Set("bp", "190/115")
	again.Set("client_id", "r2")
	if r := f.Do("POST", path+"/gate", again, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "190/115 is above the hold threshold") {
		t.Fatalf("a new hold after the override = %d, want held again", r.Status)
	}
	if d := f.Session(path); d.Status != clinic.SessionGate {
		t.Errorf("status %s, want back at the gate", d.Status)
	}
}

// TestDosingDischargeAndLateClose: discharge needs the 40-minute reading
// and is blocked by a hold-level reading of any kind; a session left open
// can be closed without the checklist only hours after the dose; an
// adverse event noticed later can still be added.
func TestDosingDischargeAndLateClose(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady()
	path := f.PassGate("")
	thea := f.SignIn("thea@example.org")
	f.Do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea)
	dosed := f.Now
	all := url.Values{"criteria": {"vitals", "oriented", "gait", "nausea", "escort", "aftercare"}}
	// Entered as the 40-minute reading, but taken 20 minutes after the dose:
	// it is labelled by its real time and does not count.
	f.Now = dosed.Add(20 * time.Minute)
	thea = f.SignIn("thea@example.org")
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"a20"}, "phase": {"after_dose"}, "bp": {"134/86"}}, thea)
	f.Now = dosed.Add(125 * time.Minute)
	thea = f.SignIn("thea@example.org")
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"pd"}, "phase": {"pre_discharge"}, "moaas": {"5"}, "bp": {"128/80"}}, thea)
	r := f.Do("POST", path+"/discharge", all, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "no blood pressure taken 30–60 minutes after the dose") {
		t.Fatalf("discharge without the 40-minute reading = %d", r.Status)
	}
	if !strings.Contains(r.Body, "Reading 20 min after the dose (entered as the 40-minute reading, but not taken 30–60 minutes after the dose)") {
		t.Error("a reading called the 40-minute one but taken at 20 minutes is not labelled by its real time")
	}
	// The reading taken at 40 minutes, sent late from the device, counts.
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"a40"}, "phase": {"check"}, "bp": {"134/86"}, "taken_at": {dosed.Add(40 * time.Minute).Format(time.RFC3339)}}, thea)
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"chk"}, "phase": {"check"}, "bp": {"185/112"}}, thea)
	if r := f.Do("POST", path+"/discharge", all, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "185/112") {
		t.Fatalf("discharge after a hold-level check = %d", r.Status)
	}
	// Too soon to close it without the checklist.
	if r := f.Do("POST", path+"/stop", url.Values{"stop_reason": {"Forgot to discharge"}}, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "ends with discharge") {
		t.Fatalf("closing a fresh dosed session = %d", r.Status)
	}
	f.Now = f.Now.Add(7 * time.Hour)
	thea = f.SignIn("thea@example.org")
	if page := f.Do("GET", path, nil, thea); !strings.Contains(page.Body, "close without the discharge checklist") {
		t.Error("a session left open is not offered a late close")
	}
	if r := f.Do("POST", path+"/stop", url.Values{"stop_reason": {"Patient left with partner at 15:10; discharge not recorded at the time."}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("late close = %d", r.Status)
	}
	d := f.Session(path)
	if d.Status != clinic.SessionDischarged || len(d.Discharge) != 0 || len(f.AuditRows("dosing.close_late")) != 1 {
		t.Fatalf("after the late close: %s %v", d.Status, d.Discharge)
	}
	if rec := f.Do("GET", path, nil, thea); !strings.Contains(rec.Body, "Closed without the discharge checklist") || !strings.Contains(rec.Body, "closed late") {
		t.Error("the record does not say the session was closed late")
	}
	if r := f.Do("POST", path+"/events", url.Values{"client_id": {"late-ae"}, "kind": {"adverse"}, "adverse": {"headache"}, "severity": {"mild"}, "action": {"Phoned next day; settled"}}, thea); r.Status != http.StatusSeeOther {
		t.Errorf("an adverse event after discharge = %d, want kept", r.Status)
	}
}

// TestDosingEntriesKeepTheirTimeAndComeOnce: an entry sent late keeps the
// time it was made (if believable); the same client id twice, even at
// once, is one entry; bad bytes are refused at the field, not a 500.
func TestDosingEntriesKeepTheirTimeAndComeOnce(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	f.DosingReady()
	path := f.PassGate("")
	thea := f.SignIn("thea@example.org")
	f.Do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea)
	dosed := f.Now
	f.Now = dosed.Add(70 * time.Minute)
	thea = f.SignIn("thea@example.org")
	taken := dosed.Add(41 * time.Minute)
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"late"}, "phase": {"after_dose"}, "bp": {"130/84"}, "taken_at": {taken.Format(time.RFC3339)}}, thea)
	f.Do("POST", path+"/events", url.Values{"client_id": {"future"}, "kind": {"note"}, "body": {"x"}, "taken_at": {f.Now.Add(time.Hour).Format(time.RFC3339)}}, thea)
	d := f.Session(path)
	if len(d.Vitals) < 2 || !d.Vitals[len(d.Vitals)-1].At.Equal(taken) {
		t.Errorf("the late reading's time = %v, want %v", d.Vitals[len(d.Vitals)-1].At, taken)
	}
	if len(d.Events) != 1 || !d.Events[0].At.Equal(f.Now) {
		t.Errorf("a note claiming a future time kept %v, want the server's %v", d.Events[0].At, f.Now)
	}
	var wg sync.WaitGroup
	id := f.Session(path).ID
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 76
			if _, err := f.St.RecordVitals(ctx, f.As("thea@example.org"), f.PA.ID, id, store.Vitals{ClientID: "same", Phase: clinic.PhaseCheck, HeartRate: &n}); err != nil {
				t.Errorf("a concurrent retry failed: %v", err)
			}
		}()
	}
	wg.Wait()
	count := 0
	for _, v := range f.Session(path).Vitals {
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
		if r := f.Do("POST", path+"/events", bad, thea); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("bad bytes = %d, want 422", r.Status)
		}
	}
	if r := f.Do("POST", path+"/stop", url.Values{"stop_reason": {"\xff"}}, thea); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad bytes in a reason = %d, want 422", r.Status)
	}
}

// TestDosingKeepAlive: the session page keeps a clinician's sign-in fresh
// only for a session they may see that is dosed and recent.
func TestDosingKeepAlive(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady()
	path := f.PassGate("")
	thea, theo := f.SignIn("thea@example.org"), f.SignIn("theo@example.org")
	if r := f.Do("GET", path+"?alive=1", nil, thea); r.Status != http.StatusGone {
		t.Errorf("keep-alive before the dose = %d, want 410", r.Status)
	}
	f.Do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea)
	if r := f.Do("GET", path+"?alive=1", nil, thea); r.Status != http.StatusNoContent {
		t.Errorf("keep-alive while dosed = %d, want 204", r.Status)
	}
	if r := f.Do("GET", path+"?alive=1", nil, theo); r.Status == http.StatusNoContent {
		t.Error("a therapist off the care team is kept signed in")
	}
	if r := f.Do("GET", "/patients/"+f.PA.ID+"/dosing/no-such-session?alive=1", nil, thea); r.Status != http.StatusGone {
		t.Errorf("keep-alive on a made-up session = %d, want 410", r.Status)
	}
	f.Now = f.Now.Add(5 * time.Hour)
	thea = f.SignIn("thea@example.org")
	if r := f.Do("GET", path+"?alive=1", nil, thea); r.Status != http.StatusGone {
		t.Errorf("keep-alive 5 hours after the dose = %d, want 410", r.Status)
	}
}

// TestDosingNewMixedLineNeedsPrescriber: on dosing day a new vague item
// ("water pill") or an unread word ("MB") on a line with a known drug is
// new since the last session and needs the prescriber, like a new
// interacting drug (issue 12, defect 8, through screening.NewSince).
func TestDosingNewMixedLineNeedsPrescriber(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady("sertraline 50 mg")
	path := f.StartDosing("thea@example.org")
	thea := f.SignIn("thea@example.org")
	r := f.Do("POST", path+"/gate", webtest.FullGate("sertraline 50 mg, water pill\nsertraline, MB"), thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "The prescriber must review it") {
		t.Fatalf("new vague item = %d, want blocked", r.Status)
	}
	d := f.Session(path)
	if len(d.NewInteracting) != 2 || !strings.Contains(d.NewInteracting[0].ClassName, `"water pill"`) || !strings.Contains(d.NewInteracting[1].ClassName, `"mb"`) {
		t.Errorf("new since = %+v, want the water pill and mb", d.NewInteracting)
	}
}
