package fhir_test

import (
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

func TestIntakeMedications(t *testing.T) {
	at := time.Date(2026, 10, 2, 12, 0, 0, 0, time.UTC)
	p := &store.Patient{ID: pid, UserID: "pu1"}
	iv := &store.IntakeVersion{Version: 3, Submitted: true, AuthorID: "pu1", At: at, Intake: clinic.Intake{
		Medications:  []clinic.MedicationLine{{Name: " Lexapro ", Dose: "10 mg", Frequency: "daily"}, {}, {Name: "Vitamin D"}, {Dose: "5 mg", Frequency: "at night"}},
		HistoryNotes: "CANARY history", Goals: "CANARY goals", Allergies: "CANARY allergy"}}
	meds, err := m.IntakeMedications(p, iv)
	if err != nil {
		t.Fatal(err)
	}
	if len(meds) != 3 {
		t.Fatalf("%d statements, want 3 (the empty line is skipped)", len(meds))
	}
	wants := [][]string{
		{`"id":"` + pid + `-intake-3-med-1"`, `"status":"active"`, `"code":"patientspecified"`, `"medicationCodeableConcept":{"text":"Lexapro"}`,
			`"dosage":[{"text":"10 mg daily"}]`, `"dateAsserted":"2026-10-02T12:00:00Z"`, `"informationSource":{"reference":"Patient/` + pid + `"}`},
		{`"id":"` + pid + `-intake-3-med-3"`, `"medicationCodeableConcept":{"text":"Vitamin D"}`},
		{`"id":"` + pid + `-intake-3-med-4"`, `"medicationCodeableConcept":{"text":"5 mg at night"}`},
	}
	for i, ms := range meds {
		has(t, ms.ID, string(validate(t, ms.ID, ms)), wants[i], []string{"CANARY", "rxnorm", `"medicationCodeableConcept":{"coding"`})
	}
	if meds[2].Dosage == nil {
		t.Error("a line with only dose and frequency has no dosage")
	}
	// Entered by a clinician: they are the source.
	byStaff := *iv
	byStaff.AuthorID, byStaff.Author = "u1", "Lena Ortiz"
	meds, err = m.IntakeMedications(p, &byStaff)
	if err != nil || meds[0].InformationSource.Reference != "Practitioner/u1" {
		t.Errorf("entered by staff: %+v, %v", meds, err)
	}
	draft := *iv
	draft.Submitted = false
	if _, err := m.IntakeMedications(p, &draft); err == nil {
		t.Error("a draft's medications are written")
	}
	if _, err := m.IntakeMedications(p, nil); err == nil {
		t.Error("no intake: no error")
	}
}

func TestPrescription(t *testing.T) {
	at := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	ended := at.AddDate(0, 2, 0)
	rx := store.Prescription{ID: "rx1", Drug: "ketamine (racemic)", Route: clinic.RouteOral, Strength: "100 mg RDT", Dose: "200 mg", SessionsAuthorised: 6,
		PrescriberName: "Priya Natarajan", At: at, Adjustments: []store.DoseAdjustment{{Dose: "200 mg", Reason: "CANARY adjust"}}}
	ms, err := m.Prescription(pid, rx)
	if err != nil {
		t.Fatal(err)
	}
	has(t, "current", string(validate(t, "current", ms)), []string{`"id":"rx1"`, `"status":"active"`, `"code":"outpatient"`,
		`"medicationCodeableConcept":{"text":"ketamine (racemic), 100 mg RDT"}`, `"dosage":[{"text":"200 mg per session, Oral, 6 sessions authorised"}]`,
		`"effectivePeriod":{"start":"2026-09-01T12:00:00Z"}`, `"informationSource":{"display":"Priya Natarajan"}`}, []string{"CANARY", "coding\":[{\"system\":\"http://www.nlm"})
	rx.EndedAt, rx.EndReason = &ended, "CANARY end"
	ms, err = m.Prescription(pid, rx)
	if err != nil {
		t.Fatal(err)
	}
	has(t, "ended", string(validate(t, "ended", ms)), []string{`"status":"stopped"`, `"end":"2026-11-01T12:00:00Z"`}, []string{"CANARY"})
	rx.Drug = ""
	if _, err := m.Prescription(pid, rx); err == nil {
		t.Error("no drug: no error")
	}
}
