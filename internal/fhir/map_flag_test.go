package fhir_test

import (
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/screening"
	"github.com/kapstone/kapstone/internal/store"
)

func TestScreeningFlags(t *testing.T) {
	screened := &store.IntakeVersion{Version: 2, Submitted: true, At: time.Date(2026, 10, 2, 12, 0, 0, 0, time.UTC)}
	flags := []screening.Flag{
		{Rule: "psychosis-history", Level: screening.Exclude, Reason: "History of psychosis.", Source: "Label", Detail: "CANARY intake words"},
		{Rule: "med-benzodiazepine", Level: screening.Caution, Reason: "Current benzodiazepine.", Detail: "Xanax CANARY 1 mg"},
		{Rule: "ketamine-before", Level: screening.Info, Reason: "Has used ketamine before."},
	}
	out, err := m.ScreeningFlags(pid, screened, flags)
	if err != nil {
		t.Fatal(err)
	}
	wants := [][]string{
		{`"id":"` + fhir.ScreeningFlagID(pid, flags[0]) + `"`, `"status":"active"`, `"code":"clinical"`,
			`{"coding":[{"system":"https://github.com/kapstone/kapstone/fhir/CodeSystem/screening-level","code":"exclude","display":"Exclude"}]}`,
			`"code":{"coding":[{"system":"https://github.com/kapstone/kapstone/fhir/CodeSystem/screening-rule","code":"psychosis-history"}],"text":"Exclude: History of psychosis."}`,
			`"period":{"start":"2026-10-02T12:00:00Z"}`},
		{`"code":"drug"`, `"code":"caution"`, `"text":"Caution: Current benzodiazepine."`},
		{`"code":"info"`},
	}
	if len(out) != 3 {
		t.Fatalf("%d flags", len(out))
	}
	for i, f := range out {
		has(t, f.ID, string(validate(t, f.ID, f)), wants[i], []string{"CANARY", "Xanax", "Label"})
	}
	if out[0].ID != pid+"-"+store.FlagKey(flags[0]) || out[0].ID == out[1].ID {
		t.Errorf("ids %s %s", out[0].ID, out[1].ID)
	}
	// The same finding keeps its id; another detail is another finding.
	again, _ := m.ScreeningFlags(pid, screened, flags[:1])
	other := flags[0]
	other.Detail = "something else"
	moved, _ := m.ScreeningFlags(pid, screened, []screening.Flag{other})
	if again[0].ID != out[0].ID || moved[0].ID == out[0].ID {
		t.Errorf("ids: %s, %s, %s", out[0].ID, again[0].ID, moved[0].ID)
	}
	for name, fl := range map[string][]screening.Flag{"unknown level": {{Rule: "x", Level: "severe"}}, "no rule": {{Level: screening.Info}}} {
		if _, err := m.ScreeningFlags(pid, screened, fl); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := m.ScreeningFlags(pid, nil, flags); err == nil {
		t.Error("flags without their intake: no error")
	}
	// Every rule's flag has a FHIR id, for a patient id as long as
	// kapstone's (26 characters).
	for _, r := range screening.Rules() {
		f := screening.Flag{Rule: r.ID, Level: r.Level, Reason: r.Reason, Detail: "x"}
		if got, err := m.ScreeningFlags(pid, screened, []screening.Flag{f}); err != nil || !fhir.ValidID(got[0].ID) {
			t.Errorf("rule %s: %v, %v", r.ID, got, err)
		}
	}
	if none, err := m.ScreeningFlags(pid, nil, nil); err != nil || len(none) != 0 {
		t.Errorf("no flags: %v, %v", none, err)
	}
}

func TestSafetyAlert(t *testing.T) {
	raised := time.Date(2026, 11, 30, 15, 4, 5, 0, time.UTC)
	ack := raised.Add(2 * time.Hour)
	open := store.SafetyAlert{ID: "al1", PatientID: pid, PatientName: "Jordan CANARY", Source: "phq9", Signal: "PHQ-9 item 9: More than half the days",
		Urgency: measure.UrgencyUrgent, RaisedAt: raised, LastSignal: raised}
	f, err := m.SafetyAlert(open)
	if err != nil {
		t.Fatal(err)
	}
	has(t, "open", string(validate(t, "open", f)), []string{`"id":"al1"`, `"status":"active"`,
		`"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/flag-category","code":"safety","display":"Safety"}]}]`,
		`"code":{"coding":[{"system":"https://github.com/kapstone/kapstone/fhir/CodeSystem/alert-urgency","code":"urgent","display":"urgent: review today"}],"text":"Suicide risk signal: PHQ-9 item 9: More than half the days (phq9)"}`,
		`"period":{"start":"2026-11-30T15:04:05Z"}`}, []string{"CANARY", `"end"`})
	closed := open
	closed.AckAt, closed.AckBy, closed.AckNote, closed.Urgency = &ack, "Lena", "CANARY: called the patient, who said ...", measure.UrgencyWorkingDay
	f, err = m.SafetyAlert(closed)
	if err != nil {
		t.Fatal(err)
	}
	has(t, "acknowledged", string(validate(t, "acknowledged", f)), []string{`"status":"inactive"`, `"end":"2026-11-30T17:04:05Z"`, `"code":"working_day"`},
		[]string{"CANARY", "Lena"})
	closed.RaisedAt = time.Time{}
	if _, err := m.SafetyAlert(closed); err == nil {
		t.Error("no time: no error")
	}
}
