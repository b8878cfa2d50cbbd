package fhir_test

import (
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/store"
)

// m2 is a mapper with another base.
func m2(base string) fhir.Mapper { return fhir.Mapper{Base: base} }

func TestCarePlans(t *testing.T) {
	added := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	d := func(days int) time.Time { return added.AddDate(0, 0, days) }
	ch := func(from, to clinic.Stage, days int) store.StageChange {
		return store.StageChange{From: from, To: to, Reason: "CANARY reason", Actor: "Lena CANARY", At: d(days)}
	}
	p := &store.Patient{ID: pid, CreatedAt: added, Stage: clinic.StageDosing}
	timeline := []store.StageChange{
		ch(clinic.StageInquiry, clinic.StageScreening, 1), ch(clinic.StageScreening, clinic.StageClosed, 10),
		ch(clinic.StageClosed, clinic.StageScreening, 100), ch(clinic.StageScreening, clinic.StageMedical, 101),
		ch(clinic.StageMedical, clinic.StagePreparation, 110), ch(clinic.StagePreparation, clinic.StageDosing, 120),
	}
	plans, err := m.CarePlans(p, timeline)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 2 {
		t.Fatalf("%d plans, want 2 courses", len(plans))
	}
	never := []string{"CANARY", "Lena"}
	has(t, "closed first course", string(validate(t, "course 1", plans[0])), []string{`"id":"` + pid + `-course-1"`, "us-core-careplan", `"status":"completed"`, `"intent":"plan"`,
		`"category":[{"coding":[{"system":"http://hl7.org/fhir/us/core/CodeSystem/careplan-category","code":"assess-plan","display":"Assessment and Plan of Treatment"}]}]`,
		`"title":"Course 1 of ketamine-assisted psychotherapy"`, `"period":{"start":"2026-01-05T09:00:00Z","end":"2026-01-15T09:00:00Z"}`,
		`"careTeam":[{"reference":"CareTeam/` + pid + `-care-team"}]`, `"description":"Stage: Closed"`,
		`"text":{"status":"generated","div":"\u003cdiv xmlns=\"http://www.w3.org/1999/xhtml\"\u003e\u003cp\u003eCourse 1 of ketamine-assisted psychotherapy, from 2026-01-05 to 2026-01-15.\u003c/p\u003e\u003cul\u003e\u003cli\u003e2026-01-05: Inquiry\u003c/li\u003e\u003cli\u003e2026-01-06: Screening\u003c/li\u003e\u003cli\u003e2026-01-15: Closed\u003c/li\u003e\u003c/ul\u003e\u003c/div\u003e"}`,
	}, never)
	has(t, "open second course", string(validate(t, "course 2", plans[1])), []string{`"id":"` + pid + `-course-2"`, `"status":"active"`,
		`"period":{"start":"2026-04-15T09:00:00Z"}`, `"description":"Stage: Dosing"`, `2026-05-05: Dosing`}, append(never, `"end"`))
	if plans[0].ID != fhir.CourseID(pid, 1) {
		t.Errorf("first course id %s", plans[0].ID)
	}

	for _, tc := range []struct {
		last   clinic.Stage
		status string
	}{{clinic.StagePaused, "on-hold"}, {clinic.StageNotEligible, "revoked"}, {clinic.StageIntegration, "active"}} {
		pl, err := m.CarePlans(p, []store.StageChange{ch(clinic.StageInquiry, tc.last, 3)})
		if err != nil || len(pl) != 1 || pl[0].Status != tc.status {
			t.Errorf("at %s: %+v, %v, want %s", tc.last, pl, err, tc.status)
			continue
		}
		validate(t, string(tc.last), pl[0])
	}
	// No stage change yet: one course at the patient's stage.
	pl, err := m.CarePlans(&store.Patient{ID: pid, CreatedAt: added, Stage: clinic.StageInquiry}, nil)
	if err != nil || len(pl) != 1 || pl[0].Status != "active" || pl[0].Description != "Stage: Inquiry" {
		t.Errorf("no changes: %+v, %v", pl, err)
	} else {
		validate(t, "no changes", pl[0])
	}
	// The patient's first stage recorded as a change from no stage (as the
	// demo adds patients): it is the course's first stage, with no empty
	// one before it.
	pl, err = m.CarePlans(p, []store.StageChange{ch("", clinic.StageInquiry, 0), ch(clinic.StageInquiry, clinic.StageScreening, 2)})
	if err != nil || len(pl) != 1 || pl[0].Text.Div != `<div xmlns="http://www.w3.org/1999/xhtml"><p>Course 1 of ketamine-assisted psychotherapy, from 2026-01-05.</p><ul><li>2026-01-05: Inquiry</li><li>2026-01-07: Screening</li></ul></div>` {
		t.Errorf("first change from no stage: %+v, %v", pl, err)
	}
	if _, err := m.CarePlans(&store.Patient{ID: pid}, nil); err == nil {
		t.Error("no creation time: no error")
	}
	// A stage title is escaped in the narrative.
	odd := &store.Patient{ID: pid, CreatedAt: added, Stage: clinic.Stage("a<b&c")}
	pl, err = m.CarePlans(odd, nil)
	if err != nil || pl[0].Text.Div != `<div xmlns="http://www.w3.org/1999/xhtml"><p>Course 1 of ketamine-assisted psychotherapy, from 2026-01-05.</p><ul><li>2026-01-05: A&lt;b&amp;c</li></ul></div>` {
		t.Errorf("escaping: %+v, %v", pl, err)
	}
}
