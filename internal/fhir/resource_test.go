package fhir_test

import (
	"encoding/json"
	"testing"

	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/fhir/fhirtest"
)

// TestEmptyResources: a resource with nothing set writes its resourceType
// and nothing else (no empty element, no null), whatever its type; so does
// an element of a resource, required ones included.
func TestEmptyResources(t *testing.T) {
	for _, r := range []fhir.Resource{fhir.Patient{}, fhir.Practitioner{}, fhir.PractitionerRole{}, fhir.CareTeam{},
		fhir.Questionnaire{}, fhir.QuestionnaireResponse{}, fhir.Observation{}, fhir.Appointment{}, fhir.Encounter{},
		fhir.MedicationStatement{}, fhir.Flag{}, fhir.Consent{}, fhir.CarePlan{}, fhir.DocumentReference{},
		fhir.Provenance{}, fhir.Bundle{}, fhir.OperationOutcome{}, fhir.CapabilityStatement{}} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"resourceType":"` + r.ResourceType() + `"}`; string(b) != want {
			t.Errorf("empty %s = %s, want %s", r.ResourceType(), b, want)
		}
		// A pointer writes the same.
		if b2, _ := json.Marshal(&r); string(b2) != string(b) {
			t.Errorf("*%s = %s, want %s", r.ResourceType(), b2, b)
		}
	}
	for _, e := range []any{fhir.QuestionnaireItem{}, fhir.QuestionnaireResponseItem{}, fhir.ObservationComponent{}, fhir.AppointmentParticipant{},
		fhir.EncounterLocation{}, fhir.DocumentReferenceContent{}, fhir.ProvenanceAgent{}, fhir.ProvenanceEntity{}, fhir.BundleLink{}, fhir.BundleEntry{},
		fhir.OutcomeIssue{}, fhir.PractitionerQualification{}, fhir.Annotation{}, fhir.Extension{}, fhir.CapabilityRest{}, fhir.CapabilityResource{},
		fhir.CapabilitySearchParam{}, fhir.CapabilityOperation{}, fhir.CapabilitySoftware{}, fhir.CapabilityImplementation{}, fhir.Coding{}, fhir.Quantity{}} {
		if b, _ := json.Marshal(e); string(b) != "{}" {
			t.Errorf("empty %T = %s, want {}", e, b)
		}
	}
}

// TestResourceExamples: one example of every resource type, with the
// elements kapstone fills, validates against the official R4 schema, so
// each struct's element names and shapes are R4's (a wrong JSON name fails
// as an unknown property).
func TestResourceExamples(t *testing.T) {
	pt := fhir.Ref("Patient", "p1", "Jordan Lee")
	pr := fhir.Ref("Practitioner", "u1", "Lena Ortiz, LMFT")
	when, end := "2026-12-01T15:00:00Z", "2026-12-01T18:00:00Z"
	concept := fhir.Concept("http://snomed.info/sct", "225337009", "Suicide risk assessment", "")
	pdf := fhir.Attachment{ContentType: "application/pdf", URL: "https://clinic.example/fhir/Binary/n1", Title: "Session note", Creation: when, Size: 2048}
	list := []fhir.Resource{
		fhir.Patient{ID: "p1", Meta: &fhir.Meta{Profile: []string{fhir.ProfilePatient}}, Identifier: []fhir.Identifier{{System: "https://clinic.example/fhir/sid/patient", Value: "p1"}},
			Active: fhir.Bool(true), Name: []fhir.HumanName{{Use: "usual", Family: "Lee", Given: []string{"Jordan"}}}, Gender: "unknown", BirthDate: "1988-03-14",
			Telecom: []fhir.ContactPoint{{System: "email", Value: "jordan@example.org"}},
			Contact: []fhir.PatientContact{{Relationship: []fhir.CodeableConcept{*fhir.Concept(fhir.SystemContactRole, "C", "Emergency Contact", "")}, Name: &fhir.HumanName{Text: "Sam"}}}},
		fhir.Practitioner{ID: "u1", Active: fhir.Bool(true), Name: []fhir.HumanName{{Text: "Lena Ortiz", Suffix: []string{"LMFT"}}},
			Qualification: []fhir.PractitionerQualification{{Code: fhir.CodeableConcept{Text: "LMFT"}}}},
		fhir.PractitionerRole{ID: "u1-therapist", Active: fhir.Bool(true), Practitioner: pr, Code: []fhir.CodeableConcept{{Text: "Therapist"}}},
		fhir.CareTeam{ID: "ct1", Status: "active", Subject: pt, Participant: []fhir.CareTeamParticipant{{Member: pr, Role: []fhir.CodeableConcept{{Text: "Therapist"}}}}},
		fhir.Questionnaire{ID: "phq9", URL: fhir.Kapstone + "/Questionnaire/phq9", Status: "active", Item: []fhir.QuestionnaireItem{{LinkID: "q1", Type: "choice", Text: "Q",
			AnswerOption: []fhir.QuestionnaireAnswerOption{{ValueCoding: &fhir.Coding{System: fhir.SystemLOINC, Code: "LA6568-5"}}}}}},
		fhir.QuestionnaireResponse{ID: "c1", Questionnaire: fhir.Kapstone + "/Questionnaire/phq9", Status: "completed", Subject: pt, Authored: when,
			Item: []fhir.QuestionnaireResponseItem{{LinkID: "q1", Answer: []fhir.QuestionnaireResponseAnswer{{ValueInteger: fhir.Int(0)}}}}},
		fhir.Observation{ID: "o1", Status: "final", Code: concept, Subject: pt, EffectiveDateTime: when, ValueInteger: fhir.Int(0),
			Component: []fhir.ObservationComponent{{Code: *concept, DataAbsentReason: fhir.Concept(fhir.SystemDataAbsentReason, "unknown", "Unknown", "")}}},
		fhir.Appointment{ID: "a1", Status: "booked", Start: when, End: end, MinutesDuration: 180,
			Participant: []fhir.AppointmentParticipant{{Actor: pt, Status: "accepted"}, {Actor: pr, Status: "accepted"}}},
		fhir.Encounter{ID: "e1", Status: "finished", Class: &fhir.Coding{System: "http://terminology.hl7.org/CodeSystem/v3-ActCode", Code: "AMB"}, Subject: pt,
			Period: &fhir.Period{Start: when, End: end}, Participant: []fhir.EncounterParticipant{{Individual: pr}}, Appointment: []fhir.Reference{*fhir.Ref("Appointment", "a1", "")}},
		fhir.MedicationStatement{ID: "m1", Status: "active", MedicationCodeableConcept: &fhir.CodeableConcept{Text: "Sertraline 100 mg daily"}, Subject: pt,
			EffectiveDateTime: when, Dosage: []fhir.Dosage{{Text: "100 mg daily"}}},
		fhir.Flag{ID: "f1", Status: "active", Code: &fhir.CodeableConcept{Text: "Safety alert"}, Subject: pt, Period: &fhir.Period{Start: when}},
		fhir.Consent{ID: "k1", Status: "active", Scope: fhir.Concept("http://terminology.hl7.org/CodeSystem/consentscope", "treatment", "Treatment", ""),
			Category: []fhir.CodeableConcept{{Text: "KAP informed consent"}}, Patient: pt, DateTime: when, SourceAttachment: &pdf,
			PolicyRule: &fhir.CodeableConcept{Text: "Practice policy"}, Provision: &fhir.ConsentProvision{Type: "permit", Period: &fhir.Period{Start: when}}},
		fhir.CarePlan{ID: "cp1", Status: "active", Intent: "plan", Subject: pt, Title: "KAP course", Period: &fhir.Period{Start: when}},
		fhir.DocumentReference{ID: "d1", Status: "current", DocStatus: "final", Type: &fhir.CodeableConcept{Text: "Session note"}, Subject: pt, Date: when,
			Author: []fhir.Reference{*pr}, Content: []fhir.DocumentReferenceContent{{Attachment: pdf}}},
		fhir.Provenance{ID: "pv1", Target: []fhir.Reference{*fhir.Ref("DocumentReference", "d1", "")}, Recorded: when,
			Agent: []fhir.ProvenanceAgent{{Who: *pr}}, Entity: []fhir.ProvenanceEntity{{Role: "source", What: *fhir.Ref("Encounter", "e1", "")}}},
		fhir.Bundle{Type: "searchset", Total: fhir.Int(1), Link: []fhir.BundleLink{{Relation: "self", URL: "https://clinic.example/fhir/Patient"}},
			Entry: []fhir.BundleEntry{{FullURL: "https://clinic.example/fhir/Patient/p1", Resource: fhir.Patient{ID: "p1"}, Search: &fhir.BundleSearch{Mode: "match"}}}},
		fhir.OperationOutcome{Issue: []fhir.OutcomeIssue{{Severity: "error", Code: "not-found", Diagnostics: "No such patient."}}},
		fhir.CapabilityStatement{Status: "active", Date: "2026-12-05", Kind: "instance", FHIRVersion: "4.0.1", Format: []string{"json"},
			Software: &fhir.CapabilitySoftware{Name: "kapstone"}, Implementation: &fhir.CapabilityImplementation{Description: "kapstone FHIR API"},
			Rest: []fhir.CapabilityRest{{Mode: "server", Resource: []fhir.CapabilityResource{{Type: "Patient", Interaction: []fhir.CapabilityInteraction{{Code: "read"}},
				SearchParam: []fhir.CapabilitySearchParam{{Name: "_id", Type: "token"}}}}}}},
	}
	for _, r := range list {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		fhirtest.Validate(t, r.ResourceType(), b)
	}
}
