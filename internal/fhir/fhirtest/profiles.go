package fhirtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The JSON schema cannot see profiles. A resource that names a profile in
// meta.profile is checked here for the elements that profile requires
// (US Core 6.1.0, the must-haves a client relies on; not every invariant),
// and naming a profile this file has no rules for is itself a problem, so
// kapstone claims nothing unchecked.
const usCore = "http://hl7.org/fhir/us/core/StructureDefinition/"

const (
	loinc       = "http://loinc.org"
	ucum        = "http://unitsofmeasure.org"
	obsCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	dar         = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
)

var profileRules = map[string]func(r map[string]any) []string{
	usCore + "us-core-patient|6.1.0": func(r map[string]any) []string {
		p := need(r, "identifier.system", "identifier.value", "name", "gender")
		for i, n := range values(r, "name") {
			if len(values(n, "family"))+len(values(n, "given")) == 0 && !hasExtension(n, dar) {
				p = append(p, fmt.Sprintf("name[%d] has no family or given name and no data-absent-reason (us-core-6)", i))
			}
		}
		return p
	},
	usCore + "us-core-questionnaireresponse|6.1.0": func(r map[string]any) []string {
		return append(need(r, "questionnaire", "status", "authored"), patientSubject(r)...)
	},
	usCore + "us-core-observation-screening-assessment|6.1.0": func(r map[string]any) []string {
		return append(need(r, "status", "category.coding.code", "code.coding.code"), patientSubject(r)...)
	},
	usCore + "us-core-blood-pressure|6.1.0": func(r map[string]any) []string {
		p := vitalSign(r, "85354-9")
		for _, c := range []string{"8480-6", "8462-4"} {
			comp := component(r, c)
			switch {
			case comp == nil:
				p = append(p, "no component "+c)
			case len(values(comp, "dataAbsentReason")) == 0:
				p = append(p, quantity(comp, c, "mm[Hg]")...)
			}
		}
		return p
	},
	usCore + "us-core-heart-rate|6.1.0": func(r map[string]any) []string {
		return append(vitalSign(r, "8867-4"), valueOrAbsent(r, "/min")...)
	},
	usCore + "us-core-pulse-oximetry|6.1.0": func(r map[string]any) []string {
		return append(vitalSign(r, "2708-6", "59408-5"), valueOrAbsent(r, "%")...)
	},
}

// profiles returns the problems of every profile r claims.
func profiles(r map[string]any) []string {
	var problems []string
	for _, p := range values(r, "meta.profile") {
		name, _ := p.(string)
		rule, ok := profileRules[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("claims profile %s, which fhirtest has no rules for", name))
			continue
		}
		for _, msg := range rule(r) {
			problems = append(problems, name+": "+msg)
		}
	}
	return problems
}

// values follows a dotted path through objects and arrays and returns
// every value at its end.
func values(v any, path string) []any {
	cur := []any{v}
	for _, step := range strings.Split(path, ".") {
		var next []any
		for _, c := range cur {
			obj, ok := c.(map[string]any)
			if !ok {
				continue
			}
			switch x := obj[step].(type) {
			case nil:
			case []any:
				next = append(next, x...)
			default:
				next = append(next, x)
			}
		}
		cur = next
	}
	return cur
}

func need(r map[string]any, paths ...string) []string {
	var p []string
	for _, path := range paths {
		if len(values(r, path)) == 0 {
			p = append(p, "no "+path)
		}
	}
	return p
}

func hasExtension(v any, url string) bool {
	return slices.Contains(values(v, "extension.url"), any(url))
}

func patientSubject(r map[string]any) []string {
	for _, ref := range values(r, "subject.reference") {
		if s, _ := ref.(string); strings.HasPrefix(s, "Patient/") {
			return nil
		}
	}
	return []string{"subject is not a Patient"}
}

func codes(v any, system string) []string {
	var out []string
	for _, c := range values(v, "coding") {
		if values(c, "system") != nil && values(c, "system")[0] == system {
			for _, code := range values(c, "code") {
				s, _ := code.(string)
				out = append(out, s)
			}
		}
	}
	return out
}

// vitalSign checks what every vital-sign profile requires: status, the
// vital-signs category, the LOINC codes given, a Patient subject and an
// effective time.
func vitalSign(r map[string]any, loincCodes ...string) []string {
	p := append(need(r, "status"), patientSubject(r)...)
	if len(values(r, "effectiveDateTime"))+len(values(r, "effectivePeriod")) == 0 {
		p = append(p, "no effective[x]")
	}
	cat := false
	for _, c := range values(r, "category") {
		cat = cat || slices.Contains(codes(c, obsCategory), "vital-signs")
	}
	if !cat {
		p = append(p, "no vital-signs category")
	}
	have := []string{}
	for _, c := range values(r, "code") {
		have = append(have, codes(c, loinc)...)
	}
	for _, want := range loincCodes {
		if !slices.Contains(have, want) {
			p = append(p, "code has no LOINC "+want)
		}
	}
	return p
}

func component(r map[string]any, code string) map[string]any {
	for _, c := range values(r, "component") {
		for _, cc := range values(c, "code") {
			if slices.Contains(codes(cc, loinc), code) {
				obj, _ := c.(map[string]any)
				return obj
			}
		}
	}
	return nil
}

func quantity(v any, what, unit string) []string {
	q := values(v, "valueQuantity")
	if len(q) != 1 || len(values(q[0], "value")) != 1 {
		return []string{what + " has no valueQuantity.value"}
	}
	if s := values(q[0], "system"); len(s) != 1 || s[0] != ucum {
		return []string{what + " is not in UCUM"}
	}
	if c := values(q[0], "code"); len(c) != 1 || c[0] != unit {
		return []string{fmt.Sprintf("%s unit is %v, want %s", what, c, unit)}
	}
	return nil
}

func valueOrAbsent(r map[string]any, unit string) []string {
	if len(values(r, "dataAbsentReason")) > 0 {
		return nil
	}
	return quantity(r, "value", unit)
}

// References returns every relative reference ("Type/id") in a resource's
// JSON, for tests that check references resolve.
func References(resource []byte) ([]string, error) {
	var v any
	if err := json.Unmarshal(resource, &v); err != nil {
		return nil, err
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			if ref, ok := v["reference"].(string); ok && !strings.HasPrefix(ref, "#") && !strings.Contains(ref, ":") {
				out = append(out, ref)
			}
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out, nil
}
