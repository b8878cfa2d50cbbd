package fhirtest

import (
	"strings"
	"testing"
)

// TestMoreProfiles: each US Core profile the map_*.go mappers claim is
// checked for its must-haves: a resource meeting it passes, one missing a
// must-have is reported.
func TestMoreProfiles(t *testing.T) {
	c := Validator(t)
	prof := func(name string) string { return `"meta":{"profile":["` + usCore + name + `|6.1.0"]}` }
	careTeam := `{"resourceType":"CareTeam",` + prof("us-core-careteam") + `,"status":"active","subject":{"reference":"Patient/p1"},"participant":[{"role":[{"text":"Therapist"}],"member":{"reference":"Practitioner/u1"}}]}`
	encounter := `{"resourceType":"Encounter",` + prof("us-core-encounter") + `,"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"type":[{"text":"Dosing session"}],"subject":{"reference":"Patient/p1"}}`
	carePlan := `{"resourceType":"CarePlan",` + prof("us-core-careplan") + `,"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Course 1</p></div>"},"status":"active","intent":"plan","category":[{"coding":[{"system":"http://hl7.org/fhir/us/core/CodeSystem/careplan-category","code":"assess-plan"}]}],"subject":{"reference":"Patient/p1"}}`
	docRef := `{"resourceType":"DocumentReference",` + prof("us-core-documentreference") + `,"status":"current","type":{"text":"Progress note"},"category":[{"text":"Clinical Note"}],"subject":{"reference":"Patient/p1"},"content":[{"attachment":{"contentType":"application/pdf","url":"https://x.example/n.pdf"}}]}`
	provenance := `{"resourceType":"Provenance",` + prof("us-core-provenance") + `,"target":[{"reference":"QuestionnaireResponse/q1"}],"recorded":"2026-12-01T10:00:00Z","agent":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/provenance-participant-type","code":"author"}]},"who":{"reference":"Patient/p1"}}]}`
	for name, js := range map[string]string{"care team": careTeam, "encounter": encounter, "care plan": carePlan, "document": docRef, "provenance": provenance} {
		if err := c.Check([]byte(js)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	invalid := []struct{ name, json, want string }{
		{"care team member without a role", strings.Replace(careTeam, `"role":[{"text":"Therapist"}],`, "", 1), "has no role"},
		{"care team without members", strings.Replace(careTeam, `,"participant":[{"role":[{"text":"Therapist"}],"member":{"reference":"Practitioner/u1"}}]`, "", 1), "no participant"},
		{"encounter without a type", strings.Replace(encounter, `"type":[{"text":"Dosing session"}],`, "", 1), "no type"},
		{"encounter about a group", strings.Replace(encounter, "Patient/p1", "Group/g1", 1), "not a Patient"},
		{"care plan without narrative", strings.Replace(carePlan, `"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Course 1</p></div>"},`, "", 1), "no text.div"},
		{"care plan whose div is not XHTML", strings.Replace(carePlan, ` xmlns=\"http://www.w3.org/1999/xhtml\"`, "", 1), "not an XHTML div"},
		{"care plan without assess-plan", strings.Replace(carePlan, `"code":"assess-plan"`, `"code":"other"`, 1), "assess-plan"},
		{"document without url or data", strings.Replace(docRef, `,"url":"https://x.example/n.pdf"`, "", 1), "us-core-6"},
		{"document without contentType", strings.Replace(docRef, `"contentType":"application/pdf",`, "", 1), "no contentType"},
		{"provenance by a practitioner for no one", strings.Replace(provenance, "Patient/p1", "Practitioner/u1", 1), "provenance-1"},
		{"provenance without an author", strings.Replace(provenance, `"code":"author"`, `"code":"enterer"`, 1), "no author"},
	}
	for _, tc := range invalid {
		err := c.Check([]byte(tc.json))
		if err == nil {
			t.Errorf("%s: passes", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not mention %q", tc.name, err, tc.want)
		}
	}
}
