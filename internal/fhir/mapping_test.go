package fhir_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/fhir/fhirtest"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

var m = fhir.Mapper{Base: "https://clinic.example/fhir"}

const pid = "01jd0000000000000000000000"

func validate(t *testing.T, what string, r fhir.Resource) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	fhirtest.Validate(t, what, b)
	return b
}

func TestPatient(t *testing.T) {
	full := &store.Patient{ID: pid, DisplayName: "Jordan Lee", LegalName: "Jordan A. Lee", Email: "jordan@mail.example", Phone: "+1 555 010 2345",
		BirthDate: "1988-03-14", EmergencyName: "Sam Lee", EmergencyPhone: "+1 555 010 9999", EmergencyRelation: "Brother",
		Pronouns: "he/him", SupportName: "A friend", SupportPhone: "+1 555 010 0199", TimeZone: "America/Chicago"}
	cases := []struct {
		name    string
		p       *store.Patient
		base    string
		want    []string // substrings of the JSON
		wantNot []string
		err     bool
	}{
		{"full record", full, m.Base, []string{
			`"profile":["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient|6.1.0"]`,
			`"identifier":[{"system":"https://clinic.example/fhir/sid/patient","value":"` + pid + `"}]`,
			`"use":"usual","text":"Jordan Lee"`, `"use":"official","text":"Jordan A. Lee"`, `"gender":"unknown"`, `"birthDate":"1988-03-14"`,
			`{"system":"email","value":"jordan@mail.example"}`, `{"system":"phone","value":"+1 555 010 2345"}`,
			`"code":"C","display":"Emergency Contact"`, `{"text":"Brother"}`, `"text":"Sam Lee"`, `"valueCode":"unsupported"`,
		}, []string{"he/him", "A friend", "0199", "Chicago"}, false},
		{"name only", &store.Patient{ID: pid, DisplayName: "Avery Brooks"}, m.Base,
			[]string{`"text":"Avery Brooks"`, "us-core-patient"}, []string{"telecom", "contact", "birthDate", "official"}, false},
		{"legal name same as display name", &store.Patient{ID: pid, DisplayName: "Avery Brooks", LegalName: "Avery Brooks"}, m.Base,
			nil, []string{"official"}, false},
		{"emergency phone without a name", &store.Patient{ID: pid, DisplayName: "A", EmergencyPhone: "+1 555 010 1111"}, m.Base,
			[]string{`"contact":[{"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0131","code":"C","display":"Emergency Contact"}]}],"telecom":[{"system":"phone","value":"+1 555 010 1111"}]}]`}, nil, false},
		{"no name: US Core Patient not met, not claimed", &store.Patient{ID: pid}, m.Base,
			[]string{`"gender":"unknown"`}, []string{"us-core", "name"}, false},
		{"base with a trailing slash", full, m.Base + "/", nil, nil, true},
		{"relative base", full, "/fhir", nil, nil, true},
		{"id not a FHIR id", &store.Patient{ID: "p_1", DisplayName: "A"}, m.Base, nil, nil, true},
	}
	for _, tc := range cases {
		p, err := fhir.Mapper{Base: tc.base}.Patient(tc.p)
		if (err != nil) != tc.err {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		js := string(validate(t, tc.name, p))
		for _, w := range tc.want {
			if !strings.Contains(js, w) {
				t.Errorf("%s: no %s in\n%s", tc.name, w, js)
			}
		}
		for _, w := range tc.wantNot {
			if strings.Contains(js, w) {
				t.Errorf("%s: %s in\n%s", tc.name, w, js)
			}
		}
	}
}

func TestPractitioner(t *testing.T) {
	off := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		u    clinic.User
		want []string
		err  bool
	}{
		{"therapist", clinic.User{ID: "u1", DisplayName: "Lena Ortiz", Credentials: "LMFT", Email: "lena@clinic.example", Role: clinic.RoleTherapist},
			[]string{`"active":true`, `"text":"Lena Ortiz","suffix":["LMFT"]`, `"qualification":[{"code":{"text":"LMFT"}}]`, `"use":"work"`}, false},
		{"two credentials", clinic.User{ID: "u2", DisplayName: "Priya Natarajan", Credentials: "MD, PhD", Role: clinic.RolePrescriber},
			[]string{`"suffix":["MD","PhD"]`}, false},
		{"disabled admin", clinic.User{ID: "u3", DisplayName: "Morgan Reyes", Role: clinic.RoleAdmin, DisabledAt: &off},
			[]string{`"active":false`}, false},
		{"patient", clinic.User{ID: "u4", DisplayName: "Jordan Lee", Role: clinic.RolePatient}, nil, true},
	}
	for _, tc := range cases {
		p, err := m.Practitioner(&tc.u)
		if (err != nil) != tc.err {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		js := string(validate(t, tc.name, p))
		if strings.Contains(js, "us-core") {
			t.Errorf("%s claims a US Core profile it does not meet: %s", tc.name, js)
		}
		for _, w := range tc.want {
			if !strings.Contains(js, w) {
				t.Errorf("%s: no %s in\n%s", tc.name, w, js)
			}
		}
	}
}

// TestQuestionnaire: the PHQ-9 and GAD-7 Questionnaires are built from
// internal/measure: every item's wording and LOINC code as measure has
// them, the frequency answers with their LOINC answer codes and scores.
// Instruments whose wording the practice supplies have none.
func TestQuestionnaire(t *testing.T) {
	for _, id := range []string{"phq9", "gad7"} {
		q, err := m.Questionnaire(id)
		if err != nil {
			t.Fatal(err)
		}
		validate(t, id, q)
		inst, _ := measure.Get(id)
		if q.URL != fhir.Kapstone+"/Questionnaire/"+id || q.ID != id || q.Code[0].Code != inst.LOINCPanel || q.Copyright != inst.Notice {
			t.Errorf("%s: url %s id %s code %v copyright %q", id, q.URL, q.ID, q.Code, q.Copyright)
		}
		if q.Item[0].Type != "display" || q.Item[0].Text != inst.Instructions {
			t.Errorf("%s: first item %+v, want the stem", id, q.Item[0])
		}
		if len(q.Item) != len(inst.Items)+1 {
			t.Fatalf("%s: %d items, want %d", id, len(q.Item), len(inst.Items)+1)
		}
		for i, it := range inst.Items {
			qi := q.Item[i+1]
			if qi.LinkID != it.ID || qi.Text != it.Text || len(qi.Code) != 1 || qi.Code[0].Code != it.LOINC || *qi.Required != it.Scored {
				t.Errorf("%s item %d = %+v, want %s %q %s", id, i, qi, it.ID, it.Text, it.LOINC)
			}
			if len(qi.AnswerOption) != len(it.Options) {
				t.Errorf("%s: %d answers, want %d", it.ID, len(qi.AnswerOption), len(it.Options))
			}
		}
		first := q.Item[1].AnswerOption
		var codes []string
		for _, a := range first {
			codes = append(codes, a.ValueCoding.Code+"="+a.ValueCoding.Display)
		}
		if want := []string{"LA6568-5=Not at all", "LA6569-3=Several days", "LA6570-1=More than half the days", "LA6571-9=Nearly every day"}; !slices.Equal(codes, want) {
			t.Errorf("%s answers = %v, want %v", id, codes, want)
		}
		if *first[3].ValueCoding.Extension[0].ValueDecimal != 3 {
			t.Errorf("%s: ordinal of the last answer = %v", id, *first[3].ValueCoding.Extension[0].ValueDecimal)
		}
	}
	q, _ := m.Questionnaire("phq9")
	diff := q.Item[len(q.Item)-1]
	if diff.LinkID != "phq9_difficulty" || *diff.Required || diff.AnswerOption[2].ValueCoding.System != fhir.SystemAnswerValue || diff.AnswerOption[2].ValueCoding.Code != "2" {
		t.Errorf("difficulty item = %+v", diff)
	}
	// PHQ-2 ships its wording and codes its total: it has one too, without
	// a panel code. GAD-2's codes are unconfirmed; PCL-5's and the risk
	// screen's wording is the practice's, under its own licence.
	if q, err := m.Questionnaire("phq2"); err != nil || len(q.Code) != 0 || len(q.Item) != 3 {
		t.Errorf("phq2 = %+v, %v", q, err)
	} else {
		validate(t, "phq2", q)
	}
	for _, id := range []string{"gad2", "pcl5", "risk", "nope"} {
		if _, err := m.Questionnaire(id); err == nil {
			t.Errorf("%s has a Questionnaire", id)
		}
		if _, ok := fhir.Shipped(id); ok {
			t.Errorf("%s is shipped", id)
		}
	}
}

var done = time.Date(2026, 11, 30, 15, 4, 5, 0, time.UTC)

func phq9Checkin(total, item9 int, extra measure.Answers) store.Checkin {
	inst, _ := measure.Get("phq9")
	a := measure.Answers{}
	left := total - item9
	for _, it := range inst.Items {
		if !it.Scored {
			continue
		}
		a[it.ID] = 0
		if it.Risk {
			a[it.ID] = item9
			continue
		}
		n := min(left, 3)
		a[it.ID], left = n, left-n
	}
	for k, v := range extra {
		a[k] = v
	}
	r, err := measure.Score(inst, a)
	if err != nil {
		panic(err)
	}
	return store.Checkin{ID: "01jdcheckin000000000000000", Instrument: "phq9", Complete: true, Answers: a, Total: r.Total, Band: r.Band.Label, CompletedAt: done}
}

func TestQuestionnaireResponse(t *testing.T) {
	c := phq9Checkin(12, 1, measure.Answers{"phq9_difficulty": 2})
	qr, err := m.QuestionnaireResponse(pid, c)
	if err != nil {
		t.Fatal(err)
	}
	js := string(validate(t, "PHQ-9 response", qr))
	for _, w := range []string{`"questionnaire":"https://github.com/kapstone/kapstone/fhir/Questionnaire/phq9"`, `"status":"completed"`,
		`"subject":{"reference":"Patient/` + pid + `"}`, `"authored":"2026-11-30T15:04:05Z"`,
		`{"linkId":"phq9_9","text":"Thoughts that you would be better off dead or of hurting yourself in some way","answer":[{"valueCoding":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/ordinalValue","valueDecimal":1}],"system":"http://loinc.org","code":"LA6569-3","display":"Several days"}}]}`,
		`"linkId":"phq9_difficulty"`, "us-core-questionnaireresponse"} {
		if !strings.Contains(js, w) {
			t.Errorf("no %s in\n%s", w, js)
		}
	}
	if len(qr.Item) != 10 {
		t.Errorf("%d items, want 10", len(qr.Item))
	}
	bad := []struct {
		name string
		c    store.Checkin
	}{
		{"in progress", func() store.Checkin { c := c; c.Complete = false; return c }()},
		{"answer not a choice", func() store.Checkin {
			c := c
			c.Answers = measure.Answers{"phq9_1": 7}
			return c
		}()},
		{"licensed instrument", func() store.Checkin { c := c; c.Instrument = "risk"; return c }()},
		{"id not a FHIR id", func() store.Checkin { c := c; c.ID = "a/b"; return c }()},
	}
	for _, tc := range bad {
		if _, err := m.QuestionnaireResponse(pid, tc.c); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
		if _, err := m.CheckinObservations(pid, tc.c); err == nil {
			t.Errorf("%s: observations without an error", tc.name)
		}
	}
}

// TestCheckinObservations: a completed check-in gives the panel, the total
// interpreted by its band and each answered item, LOINC-coded from
// measure, category survey, derived from the QuestionnaireResponse; the
// band of every total at each band's edges is the one measure gives.
func TestCheckinObservations(t *testing.T) {
	c := phq9Checkin(12, 1, measure.Answers{"phq9_difficulty": 2})
	obs, err := m.CheckinObservations(pid, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 12 { // panel, total, 9 items, difficulty
		t.Fatalf("%d observations, want 12", len(obs))
	}
	inst, _ := measure.Get("phq9")
	panel, total := obs[0], obs[1]
	if panel.ID != c.ID+"-44249-1" || panel.Code.Coding[0].Code != inst.LOINCPanel || len(panel.HasMember) != 11 || panel.ValueQuantity != nil {
		t.Errorf("panel = %+v", panel)
	}
	if total.ID != c.ID+"-44261-6" || total.Code.Coding[0].Code != inst.LOINCTotal || *total.ValueQuantity.Value != 12 ||
		total.ValueQuantity.Code != "{score}" || total.Interpretation[0].Coding[0].Code != "moderate" || total.Interpretation[0].Text != "Moderate" {
		t.Errorf("total = %+v", total)
	}
	for i, o := range obs {
		js := string(validate(t, o.ID, o))
		if !fhir.ValidID(o.ID) || o.DerivedFrom[0].Reference != "QuestionnaireResponse/"+c.ID || o.Category[0].Coding[0].Code != "survey" ||
			o.Meta.Profile[0] != fhir.ProfileScreeningAssessment || o.EffectiveDateTime != "2026-11-30T15:04:05Z" || o.Status != "final" {
			t.Errorf("observation %d = %s", i, js)
		}
		if i >= 2 {
			it := inst.Items[i-2]
			if o.Code.Coding[0].Code != it.LOINC || o.Code.Text != it.Text || o.ValueCodeableConcept == nil {
				t.Errorf("item %s = %s", it.ID, js)
			}
			if panel.HasMember[i-1].Reference != "Observation/"+o.ID {
				t.Errorf("panel member %d = %s, want %s", i-1, panel.HasMember[i-1].Reference, o.ID)
			}
		}
	}
	if item9 := obs[10]; item9.ID != c.ID+"-44260-8" || item9.ValueCodeableConcept.Coding[0].Code != "LA6569-3" {
		t.Errorf("item 9 = %+v", item9)
	}
	// PHQ-2: no panel, the total and both items.
	phq2 := store.Checkin{ID: "c2", Instrument: "phq2", Complete: true, Answers: measure.Answers{"phq2_1": 1, "phq2_2": 2}, Total: 3, CompletedAt: done}
	obs2, err := m.CheckinObservations(pid, phq2)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range obs2 {
		ids = append(ids, o.ID)
		validate(t, o.ID, o)
	}
	if want := []string{"c2-55758-7", "c2-44250-9", "c2-44255-8"}; !slices.Equal(ids, want) {
		t.Errorf("PHQ-2 observations %v, want %v", ids, want)
	}
	if got := obs2[0].Interpretation[0].Coding[0]; got.Code != "positive-screen-give-the-phq-9" || got.Display != "Positive screen: give the PHQ-9" {
		t.Errorf("PHQ-2 band = %+v", got)
	}
	// Every band edge of the PHQ-9 and GAD-7.
	slug := map[string]string{"Minimal": "minimal", "Mild": "mild", "Moderate": "moderate", "Moderately severe": "moderately-severe", "Severe": "severe"}
	for _, id := range []string{"phq9", "gad7"} {
		inst, _ := measure.Get(id)
		for _, b := range inst.Bands {
			for _, tot := range []int{b.Min, b.Max} {
				a := measure.Answers{}
				left := tot
				for _, it := range inst.Items {
					if it.Scored {
						n := min(left, 3)
						a[it.ID], left = n, left-n
					}
				}
				r, err := measure.Score(inst, a)
				if err != nil {
					t.Fatal(err)
				}
				c := store.Checkin{ID: "c1", Instrument: id, Complete: true, Answers: a, Total: r.Total, Band: r.Band.Label, CompletedAt: done}
				obs, err := m.CheckinObservations(pid, c)
				if err != nil {
					t.Fatal(err)
				}
				var got *fhir.Observation
				for i := range obs {
					if obs[i].Code.Coding[0].Code == inst.LOINCTotal {
						got = &obs[i]
					}
				}
				want := slug[r.Band.Label]
				if got == nil || *got.ValueQuantity.Value != float64(tot) || got.Interpretation[0].Coding[0].Code != want || got.Interpretation[0].Coding[0].Display != r.Band.Label {
					t.Errorf("%s total %d: %+v, want band %s", id, tot, got, want)
				}
			}
		}
	}
}

func TestVitalsObservations(t *testing.T) {
	n := func(v int) *int { return &v }
	at := time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		v    store.Vitals
		ids  []string
		want []string
		err  bool
	}{
		{"all readings", store.Vitals{ID: "v1", Systolic: n(124), Diastolic: n(78), HeartRate: n(72), SpO2: n(98), At: at, RecordedAt: at.Add(time.Minute)},
			[]string{"v1-bp", "v1-hr", "v1-spo2"}, []string{
				`"code":"85354-9"`, `{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6","display":"Systolic blood pressure"}],"text":"Systolic blood pressure"},"valueQuantity":{"value":124,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}`,
				`"code":"8462-4"`, `"value":78`, `"code":"8867-4"`, `"value":72,"unit":"beats/minute","system":"http://unitsofmeasure.org","code":"/min"`,
				`"code":"2708-6"`, `"code":"59408-5"`, `"value":98,"unit":"%","system":"http://unitsofmeasure.org","code":"%"`,
				`"code":"vital-signs"`, `"effectiveDateTime":"2026-11-30T16:00:00Z"`, `"issued":"2026-11-30T16:01:00Z"`,
				"us-core-blood-pressure", "us-core-heart-rate", "us-core-pulse-oximetry"}, false},
		{"heart rate only", store.Vitals{ID: "v2", HeartRate: n(80), At: at}, []string{"v2-hr"}, nil, false},
		{"systolic only", store.Vitals{ID: "v3", Systolic: n(136), At: at}, []string{"v3-bp"},
			[]string{`"dataAbsentReason":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/data-absent-reason","code":"not-performed","display":"Not Performed"}]}`}, false},
		{"nothing taken", store.Vitals{ID: "v4", At: at}, nil, nil, false},
		{"no time", store.Vitals{ID: "v5", HeartRate: n(80)}, nil, nil, true},
		{"no id", store.Vitals{HeartRate: n(80), At: at}, nil, nil, true},
	}
	for _, tc := range cases {
		obs, err := m.VitalsObservations(pid, tc.v)
		if (err != nil) != tc.err {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.err)
			continue
		}
		var ids []string
		var all strings.Builder
		for _, o := range obs {
			ids = append(ids, o.ID)
			all.Write(validate(t, tc.name, o))
		}
		if !slices.Equal(ids, tc.ids) {
			t.Errorf("%s: ids %v, want %v", tc.name, ids, tc.ids)
		}
		for _, w := range tc.want {
			if !strings.Contains(all.String(), w) {
				t.Errorf("%s: no %s in\n%s", tc.name, w, all.String())
			}
		}
	}
}

// TestNoPsychotherapyNotes: no code of the package (tests aside) names
// anything of psychotherapy notes, so no mapper can be handed one.
func TestNoPsychotherapyNotes(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && strings.Contains(strings.ToLower(id.Name), "psych") {
				t.Errorf("%s: %s", name, id.Name)
			}
			return true
		})
	}
	if files < 4 {
		t.Errorf("read %d files", files)
	}
}
