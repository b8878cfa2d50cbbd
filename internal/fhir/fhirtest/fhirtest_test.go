package fhirtest

import (
	"strings"
	"testing"
)

// TestCheck: the validator passes valid resources and catches each kind of
// invalid one, the schema's own checks and the rules added to them.
func TestCheck(t *testing.T) {
	c := Validator(t)
	obs := `{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"44261-6"}]},"subject":{"reference":"Patient/p1"},"valueInteger":12}`
	capability := func(version string) string {
		return `{"resourceType":"CapabilityStatement","status":"active","date":"2026-12-05","kind":"instance","fhirVersion":"` + version + `","format":["json"],"implementation":{"description":"kapstone"}}`
	}
	valid := map[string]string{
		"patient":          `{"resourceType":"Patient","id":"p1","name":[{"text":"Jordan Lee"}],"gender":"unknown","birthDate":"1988-03-14"}`,
		"observation":      obs,
		"bundle":           `{"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"fullUrl":"https://example.org/fhir/Observation/o1","resource":` + obs + `,"search":{"mode":"match"}}]}`,
		"capability 4.0.1": capability("4.0.1"),
	}
	for name, js := range valid {
		if err := c.Check([]byte(js)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	invalid := []struct{ name, json, want string }{
		{"gender not in the value set", `{"resourceType":"Patient","gender":"F"}`, "gender"},
		{"unknown element", `{"resourceType":"Patient","nmae":[{"text":"x"}]}`, "nmae"},
		{"date pattern", `{"resourceType":"Patient","birthDate":"1980-2-29"}`, "birthDate"},
		{"observation without code", `{"resourceType":"Observation","status":"final"}`, "code"},
		{"integer as a string", strings.Replace(obs, `"valueInteger":12`, `"valueInteger":"12"`, 1), "valueInteger"},
		{"unknown resource type", `{"resourceType":"Patients"}`, "Patients"},
		{"no resource type", `{"id":"p1"}`, "resourceType"},
		{"null", `{"resourceType":"Patient","gender":null}`, "null"},
		{"empty string", `{"resourceType":"Patient","name":[{"text":""}]}`, `""`},
		{"empty array", `{"resourceType":"Patient","name":[]}`, "[]"},
		{"empty object", `{"resourceType":"Observation","status":"final","code":{}}`, "{}"},
		{"id too long", `{"resourceType":"Patient","id":"` + strings.Repeat("a", 65) + `"}`, "FHIR id"},
		{"id with an underscore", `{"resourceType":"Patient","id":"p_1"}`, "FHIR id"},
		{"reference without an id", strings.Replace(obs, `"Patient/p1"`, `"Patient/"`, 1), "Type/id"},
		{"invalid entry in a bundle", `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient","gender":"F"}}]}`, "entry[0].resource"},
		{"capability 4.0.0", capability("4.0.0"), "4.0.1"},
		{"capability 4.0.1 otherwise invalid", strings.Replace(capability("4.0.1"), `"kind":"instance"`, `"kind":"server"`, 1), "kind"},
		{"not json", `{"resourceType":`, "not JSON"},
		{"US Core patient without gender", `{"resourceType":"Patient","meta":{"profile":["` + usCore + `us-core-patient|6.1.0"]},"identifier":[{"system":"https://x.example/sid","value":"p1"}],"name":[{"family":"Lee"}]}`, "no gender"},
		{"US Core patient, name text only", `{"resourceType":"Patient","meta":{"profile":["` + usCore + `us-core-patient|6.1.0"]},"identifier":[{"system":"https://x.example/sid","value":"p1"}],"name":[{"text":"Jordan Lee"}],"gender":"unknown"}`, "us-core-6"},
		{"US Core blood pressure without diastolic", `{"resourceType":"Observation","meta":{"profile":["` + usCore + `us-core-blood-pressure|6.1.0"]},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-12-01T10:00:00Z","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`, "no component 8462-4"},
		{"US Core heart rate in the wrong unit", `{"resourceType":"Observation","meta":{"profile":["` + usCore + `us-core-heart-rate|6.1.0"]},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-12-01T10:00:00Z","valueQuantity":{"value":72,"system":"http://unitsofmeasure.org","code":"bpm"}}`, "want /min"},
		{"US Core pulse oximetry with one code", `{"resourceType":"Observation","meta":{"profile":["` + usCore + `us-core-pulse-oximetry|6.1.0"]},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"2708-6"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-12-01T10:00:00Z","valueQuantity":{"value":98,"system":"http://unitsofmeasure.org","code":"%"}}`, "no LOINC 59408-5"},
		{"screening observation about a group", `{"resourceType":"Observation","meta":{"profile":["` + usCore + `us-core-observation-screening-assessment|6.1.0"]},"status":"final","category":[{"coding":[{"code":"survey"}]}],"code":{"coding":[{"code":"44261-6"}]},"subject":{"reference":"Group/g1"}}`, "not a Patient"},
		{"a profile without rules", `{"resourceType":"Patient","meta":{"profile":["http://example.org/StructureDefinition/mine"]}}`, "no rules"},
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
