package fhir

import (
	"errors"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// CourseID is the id of course n (from 1) of patientID: the store's id of
// a first course (patientID-course-1) and the same form for later ones.
func CourseID(patientID string, n int) string { return patientID + "-course-" + strconv.Itoa(n) }

// step is one stage of a course, from when.
type step struct {
	stage clinic.Stage
	at    time.Time
}

// CarePlans maps patient p's courses of treatment, oldest first, from the
// stage timeline (store.Timeline, oldest first): the first course starts
// when the patient was added, each later one when the patient returns
// after a closed course (clinic.StartsCourse), and a course ends when it
// is closed. Each is a CarePlan of intent plan and category assess-plan,
// over the course's period, with the stages it went through (the stage
// and the day, never the reasons written for a move, which are typed
// text) as generated narrative. A closed course is completed; the open
// one is active, on-hold while paused and revoked when the patient was
// found not eligible. They meet US Core CarePlan (text, status, intent,
// category, subject) and name the patient's CareTeam.
func (m Mapper) CarePlans(p *store.Patient, timeline []store.StageChange) ([]CarePlan, error) {
	if err := checkIDs(p.ID, CourseID(p.ID, 1000)); err != nil {
		return nil, err
	}
	if p.CreatedAt.IsZero() {
		return nil, errors.New("fhir: a patient without a creation time")
	}
	// A course: when it started and closed (zero while open), and the
	// stages it went through. A change from no stage (the patient's first,
	// as they were added) is the first course's first stage.
	type course struct {
		start, closed time.Time
		steps         []step
	}
	courses := []*course{{start: p.CreatedAt}}
	for _, c := range timeline {
		cur := courses[len(courses)-1]
		if clinic.StartsCourse(c.From, c.To) {
			courses = append(courses, &course{start: c.At, steps: []step{{c.To, c.At}}})
			continue
		}
		if len(cur.steps) == 0 && c.From != "" {
			cur.steps = append(cur.steps, step{c.From, cur.start})
		}
		cur.steps = append(cur.steps, step{c.To, c.At})
		if c.To == clinic.StageClosed {
			cur.closed = c.At
		}
	}
	if first := courses[0]; len(first.steps) == 0 {
		first.steps = []step{{p.Stage, first.start}}
	}
	var out []CarePlan
	for i, c := range courses {
		n, steps := i+1, c.steps
		last := steps[len(steps)-1].stage
		status := "active"
		switch {
		case !c.closed.IsZero():
			status = "completed"
		case last == clinic.StagePaused:
			status = "on-hold"
		case last == clinic.StageNotEligible:
			status = "revoked"
		}
		title := "Course " + strconv.Itoa(n) + " of ketamine-assisted psychotherapy"
		var div strings.Builder
		div.WriteString(`<div xmlns="http://www.w3.org/1999/xhtml"><p>` + html.EscapeString(title) + `, from ` + day(c.start))
		if !c.closed.IsZero() {
			div.WriteString(` to ` + day(c.closed))
		}
		div.WriteString(`.</p><ul>`)
		for _, s := range steps {
			div.WriteString(`<li>` + day(s.at) + `: ` + html.EscapeString(s.stage.Title()) + `</li>`)
		}
		div.WriteString(`</ul></div>`)
		cp := CarePlan{
			ID: CourseID(p.ID, n), Meta: &Meta{Profile: []string{ProfileCarePlan}},
			Text:   &Narrative{Status: "generated", Div: div.String()},
			Status: status, Intent: "plan",
			Category:    []CodeableConcept{*Concept(SystemCarePlanCategory, "assess-plan", "Assessment and Plan of Treatment", "")},
			Title:       title,
			Description: "Stage: " + last.Title(),
			Subject:     Ref("Patient", p.ID, ""),
			Period:      &Period{Start: Instant(c.start)},
			Created:     Instant(c.start),
			CareTeam:    []Reference{*Ref("CareTeam", CareTeamID(p.ID), "")},
		}
		if !c.closed.IsZero() {
			cp.Period.End = Instant(c.closed)
		}
		out = append(out, cp)
	}
	return out, nil
}
