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
	first := p.Stage
	if len(timeline) > 0 {
		first = timeline[0].From
	}
	courses := [][]step{{{first, p.CreatedAt}}}
	closed := []time.Time{{}}
	for _, c := range timeline {
		n := len(courses) - 1
		if clinic.StartsCourse(c.From, c.To) {
			courses, closed = append(courses, []step{{c.To, c.At}}), append(closed, time.Time{})
			continue
		}
		courses[n] = append(courses[n], step{c.To, c.At})
		if c.To == clinic.StageClosed {
			closed[n] = c.At
		}
	}
	var out []CarePlan
	for i, steps := range courses {
		n := i + 1
		last := steps[len(steps)-1].stage
		status := "active"
		switch {
		case !closed[i].IsZero():
			status = "completed"
		case last == clinic.StagePaused:
			status = "on-hold"
		case last == clinic.StageNotEligible:
			status = "revoked"
		}
		title := "Course " + strconv.Itoa(n) + " of ketamine-assisted psychotherapy"
		var div strings.Builder
		div.WriteString(`<div xmlns="http://www.w3.org/1999/xhtml"><p>` + html.EscapeString(title) + `, from ` + day(steps[0].at))
		if !closed[i].IsZero() {
			div.WriteString(` to ` + day(closed[i]))
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
			Period:      &Period{Start: Instant(steps[0].at)},
			Created:     Instant(steps[0].at),
			CareTeam:    []Reference{*Ref("CareTeam", CareTeamID(p.ID), "")},
		}
		if !closed[i].IsZero() {
			cp.Period.End = Instant(closed[i])
		}
		out = append(out, cp)
	}
	return out, nil
}
