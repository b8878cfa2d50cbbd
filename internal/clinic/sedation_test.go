package clinic

import (
	"strings"
	"testing"
	"time"
)

func bp(b bool) *bool { return &b }

func TestMOAASLevels(t *testing.T) {
	if len(MOAASLevels) != 6 {
		t.Fatalf("%d levels, want 6", len(MOAASLevels))
	}
	for i, l := range MOAASLevels {
		if l.Score != 5-i || MOAASWords(l.Score) != l.Words || l.Words == "" {
			t.Errorf("level %d = %+v", i, l)
		}
	}
	if MOAASWords(6) != "" || MOAASWords(-1) != "" {
		t.Error("words for a score off the scale")
	}
	if !strings.Contains(MOAASWords(2), "prodding") || !strings.Contains(MOAASWords(1), "trapezius") {
		t.Error("wording is not the published one (REFERENCE §7.2)")
	}
}

func TestSedationLevel(t *testing.T) {
	th := DefaultThresholds
	strict := DefaultThresholds
	strict.SedationCaution, strict.SedationHold = 4, 3
	for _, tc := range []struct {
		score int
		t     Thresholds
		want  string
	}{
		{5, th, VitalsOK}, {4, th, VitalsCaution}, {3, th, VitalsCaution}, {2, th, VitalsHold}, {1, th, VitalsHold}, {0, th, VitalsHold},
		{3, strict, VitalsHold}, {4, strict, VitalsCaution},
	} {
		if got := SedationLevel(tc.score, tc.t); got != tc.want {
			t.Errorf("SedationLevel(%d, hold %d) = %s, want %s", tc.score, tc.t.SedationHold, got, tc.want)
		}
	}
	// Through VitalsLevel and ActiveHolds: a hold stays until a later score is not at hold.
	dose := time.Date(2026, 5, 1, 14, 0, 0, 0, time.UTC)
	v := Vitals{MOAAS: ip(2), At: dose.Add(30 * time.Minute)}
	if l, fs := VitalsLevel(v, th); l != VitalsHold || len(fs) != 1 || fs[0].Measure != MeasureSedation || !strings.Contains(fs[0].Words, "MOAA/S 2") {
		t.Errorf("VitalsLevel = %s %+v", l, fs)
	}
	if l, _ := VitalsLevel(Vitals{MOAAS: ip(4), RespDepression: bp(false)}, th); l != VitalsCaution {
		t.Errorf("MOAA/S 4 = %s, want caution", l)
	}
	if l, fs := VitalsLevel(Vitals{RespDepression: bp(true), RespSigns: []string{"pauses"}}, th); l != VitalsHold || !strings.Contains(fs[0].Words, "pauses in breathing") {
		t.Errorf("respiratory depression = %s %+v", l, fs)
	}
	if h := ActiveHolds([]Vitals{v}, dose, th); len(h) != 1 || h[0].Finding.Measure != MeasureSedation {
		t.Errorf("ActiveHolds = %+v", h)
	}
	later := Vitals{MOAAS: ip(4), At: dose.Add(60 * time.Minute)}
	if h := ActiveHolds([]Vitals{later, v}, dose, th); len(h) != 0 {
		t.Errorf("ActiveHolds after MOAA/S 4 = %+v", h)
	}
}

func TestCheckSedation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		v     Vitals
		field string // "" ok
	}{
		{"nothing assessed", Vitals{}, ""},
		{"all fine", Vitals{MOAAS: ip(5), Dissociation: bp(true), DissociationIntensity: ip(6), DissociationNote: " floating ", RespDepression: bp(false)}, ""},
		{"moaas 0", Vitals{MOAAS: ip(0)}, ""},
		{"moaas 6", Vitals{MOAAS: ip(6)}, "moaas"},
		{"moaas -1", Vitals{MOAAS: ip(-1)}, "moaas"},
		{"intensity 11", Vitals{Dissociation: bp(true), DissociationIntensity: ip(11)}, "dissociation_intensity"},
		{"intensity -1", Vitals{Dissociation: bp(true), DissociationIntensity: ip(-1)}, "dissociation_intensity"},
		{"intensity with absent", Vitals{Dissociation: bp(false), DissociationIntensity: ip(3)}, "dissociation_intensity"},
		{"intensity unanswered", Vitals{DissociationIntensity: ip(3)}, "dissociation_intensity"},
		{"note with control", Vitals{DissociationNote: "a\x00b"}, "dissociation_note"},
		{"note too long", Vitals{DissociationNote: strings.Repeat("x", DissociationNoteMax+1)}, "dissociation_note"},
		{"unknown sign", Vitals{RespSigns: []string{"gasping"}}, "resp_depression"},
		{"signs with absent", Vitals{RespDepression: bp(false), RespSigns: []string{"pauses"}}, "resp_depression"},
		{"signs mark present", Vitals{RespSigns: []string{"slow_shallow"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.v
			fe := CheckSedation(&v)
			if (tc.field == "") != (len(fe) == 0) || (tc.field != "" && fe[tc.field] == "") {
				t.Errorf("CheckSedation = %v, want %q", fe, tc.field)
			}
		})
	}
	v := Vitals{RespSigns: []string{"slow_shallow"}, DissociationNote: "  x "}
	CheckSedation(&v)
	if v.RespDepression == nil || !*v.RespDepression || v.DissociationNote != "x" {
		t.Errorf("after check: %+v", v)
	}
}

func TestSedationTargetAndSigns(t *testing.T) {
	dose := time.Date(2026, 5, 1, 14, 0, 0, 0, time.UTC)
	at := func(min int, v Vitals) Vitals { v.At = dose.Add(time.Duration(min) * time.Minute); return v }
	for _, tc := range []struct {
		name   string
		vitals []Vitals
		target int
		unres  string
	}{
		{"none", nil, 5, "No MOAA/S"},
		{"only before the dose", []Vitals{at(-5, Vitals{MOAAS: ip(5)})}, 5, "No MOAA/S"},
		{"baseline 3, none after", []Vitals{at(-5, Vitals{MOAAS: ip(3)}), at(60, reading(120, 80, 70, 98))}, 3, "needs a score of 3, the patient's score before"},
		{"none after, readings without moaas", []Vitals{at(60, reading(120, 80, 70, 98)), at(125, reading(118, 78, 70, 98))}, 5, "No MOAA/S"},
		{"at the dose counts", []Vitals{at(0, Vitals{MOAAS: ip(5)})}, 5, ""},
		{"baseline 5, now 5", []Vitals{at(-5, Vitals{MOAAS: ip(5)}), at(60, Vitals{MOAAS: ip(5)})}, 5, ""},
		{"no baseline, now 4", []Vitals{at(60, Vitals{MOAAS: ip(4)})}, 5, "MOAA/S is 4"},
		{"baseline 3, now 3", []Vitals{at(-5, Vitals{MOAAS: ip(3)}), at(60, Vitals{MOAAS: ip(3)})}, 3, ""},
		{"latest baseline counts", []Vitals{at(-30, Vitals{MOAAS: ip(3)}), at(-5, Vitals{MOAAS: ip(5)}), at(60, Vitals{MOAAS: ip(4)})}, 5, "MOAA/S is 4"},
		{"latest after dose counts, in time order", []Vitals{at(90, Vitals{MOAAS: ip(5)}), at(60, Vitals{MOAAS: ip(1)})}, 5, ""},
		{"a reading without moaas does not resolve", []Vitals{at(60, Vitals{MOAAS: ip(3)}), at(90, reading(120, 80, 70, 98))}, 5, "MOAA/S is 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SedationTarget(dose, tc.vitals); got != tc.target {
				t.Errorf("target = %d, want %d", got, tc.target)
			}
			got := SedationUnresolved(dose, tc.vitals)
			if (tc.unres == "") != (got == "") || !strings.Contains(got, tc.unres) {
				t.Errorf("unresolved = %q, want %q", got, tc.unres)
			}
		})
	}
	vs := []Vitals{at(-5, Vitals{MOAAS: ip(3), Dissociation: bp(true), RespDepression: bp(true)}), at(30, Vitals{MOAAS: ip(5), Dissociation: bp(false)})}
	if s, d, r := HasSedationSigns(vs, dose); s || d || r {
		t.Errorf("before the dose counted: %v %v %v", s, d, r)
	}
	vs = append(vs, at(40, Vitals{MOAAS: ip(4)}), at(50, Vitals{Dissociation: bp(true)}), at(60, Vitals{RespSigns: []string{"pauses"}}))
	if s, d, r := HasSedationSigns(vs, dose); !s || !d || !r {
		t.Errorf("signs = %v %v %v, want all", s, d, r)
	}
	sum := Vitals{MOAAS: ip(3), Dissociation: bp(true), DissociationIntensity: ip(7), RespDepression: bp(true), RespSigns: []string{"pauses"}}.Summary()
	if sum != "MOAA/S 3 · dissociation present 7/10 · respiratory depression: pauses in breathing" {
		t.Errorf("Summary = %q", sum)
	}
	if sum := (Vitals{Dissociation: bp(false), RespDepression: bp(false)}).Summary(); sum != "dissociation absent · no respiratory depression" {
		t.Errorf("Summary = %q", sum)
	}
}

func TestReadSedation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		form  map[string]string
		signs []string
		field string
	}{
		{"blank", nil, nil, ""},
		{"full", map[string]string{"moaas": "4", "dissociation": "yes", "dissociation_intensity": "5", "dissociation_note": "x", "resp_depression": "no"}, nil, ""},
		{"moaas words", map[string]string{"moaas": "five"}, nil, "moaas"},
		{"dissociation maybe", map[string]string{"dissociation": "maybe"}, nil, "dissociation"},
		{"intensity words", map[string]string{"dissociation": "yes", "dissociation_intensity": "lots"}, nil, "dissociation_intensity"},
		{"resp maybe", map[string]string{"resp_depression": "maybe"}, nil, "resp_depression"},
		{"checked after reading", map[string]string{"moaas": "9"}, nil, "moaas"},
		{"signs with no", map[string]string{"resp_depression": "no"}, []string{"pauses"}, "resp_depression"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, fe := Vitals{}, FieldErrors{}
			ReadSedation(func(k string) string { return tc.form[k] }, tc.signs, &v, fe)
			if (tc.field == "") != (len(fe) == 0) || (tc.field != "" && fe[tc.field] == "") {
				t.Errorf("ReadSedation = %v, want %q", fe, tc.field)
			}
		})
	}
}
