package clinic

import (
	"strings"
	"time"
)

// Stage is where a course of treatment stands on the KAP pathway.
type Stage string

// The pathway, in order, and its two exits.
const (
	StageInquiry     Stage = "inquiry"
	StageScreening   Stage = "screening"
	StageMedical     Stage = "medical_evaluation"
	StagePreparation Stage = "preparation"
	StageDosing      Stage = "dosing"
	StageIntegration Stage = "integration"
	StageFollowUp    Stage = "follow_up"
	StageClosed      Stage = "closed"
	StageNotEligible Stage = "not_eligible"
	StagePaused      Stage = "paused"
)

// Stages lists every stage in pathway order, exits last.
var Stages = []Stage{StageInquiry, StageScreening, StageMedical, StagePreparation, StageDosing, StageIntegration, StageFollowUp, StageClosed, StageNotEligible, StagePaused}

// Title is the stage's name for people.
func (s Stage) Title() string {
	switch s {
	case StageMedical:
		return "Medical evaluation"
	case StageFollowUp:
		return "Follow-up"
	case StageNotEligible:
		return "Not eligible"
	}
	t := string(s)
	if t == "" {
		return ""
	}
	return strings.ToUpper(t[:1]) + t[1:]
}

// Valid reports whether s is one of Stages.
func (s Stage) Valid() bool {
	for _, x := range Stages {
		if s == x {
			return true
		}
	}
	return false
}

// transitions lists where each stage may go next. Paused may resume to any
// active stage; not eligible may be screened again or closed; a closed
// course stays closed, and a patient who comes back starts a new course at
// inquiry or screening (see StartsCourse).
var transitions = map[Stage][]Stage{
	StageInquiry:     {StageScreening, StageNotEligible, StagePaused, StageClosed},
	StageScreening:   {StageMedical, StageNotEligible, StagePaused, StageClosed},
	StageMedical:     {StagePreparation, StageScreening, StageNotEligible, StagePaused, StageClosed},
	StagePreparation: {StageDosing, StageMedical, StageNotEligible, StagePaused, StageClosed},
	StageDosing:      {StageIntegration, StageFollowUp, StagePaused, StageNotEligible, StageClosed},
	StageIntegration: {StageDosing, StageFollowUp, StagePaused, StageClosed},
	StageFollowUp:    {StageDosing, StageClosed, StagePaused},
	StagePaused:      {StageInquiry, StageScreening, StageMedical, StagePreparation, StageDosing, StageIntegration, StageFollowUp, StageNotEligible, StageClosed},
	StageNotEligible: {StageScreening, StageClosed},
	StageClosed:      {StageInquiry, StageScreening},
}

// NextStages lists the stages a course at s may move to.
func NextStages(s Stage) []Stage { return transitions[s] }

// NeedsClearance reports whether entering s needs the prescriber's medical
// clearance: preparation and dosing do.
func NeedsClearance(s Stage) bool { return s == StagePreparation || s == StageDosing }

// NeedsReason reports whether moving from one stage to another needs a
// written reason: exits (not eligible, paused, closed) and moves backwards
// (but not the next dose after integration).
func NeedsReason(from, to Stage) bool {
	if to == StageNotEligible || to == StagePaused || to == StageClosed {
		return true
	}
	if from == StageIntegration && to == StageDosing { // the dosing ⇄ integration cycle
		return false
	}
	return order(to) < order(from) && from != StagePaused && from != StageNotEligible
}

func order(s Stage) int {
	for i, x := range Stages {
		if x == s {
			return i
		}
	}
	return -1
}

// CheckTransition returns nil when a course may move from one stage to
// another with reason, and otherwise an EInvalid error whose message says
// why, at the field "stage" or "reason".
func CheckTransition(from, to Stage, reason string) error {
	if !to.Valid() {
		return &Error{Code: EInvalid, Message: "Choose a stage.", Fields: map[string]string{"stage": "Choose a stage."}}
	}
	allowed := false
	for _, x := range transitions[from] {
		allowed = allowed || x == to
	}
	if !allowed {
		msg := "A course at " + from.Title() + " cannot move to " + to.Title() + "."
		return &Error{Code: EInvalid, Message: msg, Fields: map[string]string{"stage": msg}}
	}
	reason = strings.TrimSpace(reason)
	if NeedsReason(from, to) && reason == "" {
		msg := "Say why (for example what the patient or the prescriber decided)."
		return &Error{Code: EInvalid, Message: msg, Fields: map[string]string{"reason": msg}}
	}
	if len(reason) > 2000 {
		return &Error{Code: EInvalid, Message: "Use at most 2000 characters.", Fields: map[string]string{"reason": "Use at most 2000 characters."}}
	}
	return nil
}

// StartsCourse reports whether moving from one stage to another starts a
// new course of treatment: leaving closed does (a patient who returns after
// their course was closed). Every patient's first course starts when they
// are added. Outcomes are measured per course, each from its own baseline,
// as TherapyNotes sets the baseline per episode of care, the first score
// after the last termination (REFERENCE.md 1.3).
func StartsCourse(from, to Stage) bool { return from == StageClosed && to != StageClosed }

// Course is one course of treatment of a patient: the first starts when the
// patient is added, each later one when they return after a closed course.
type Course struct {
	ID      string
	Number  int       // 1 for the first course, then 2, 3...
	Started time.Time // when it started
	Closed  time.Time // when it was closed; zero while open
}

// CourseAt returns the course a score completed at t belongs to: the
// latest course that had started by t, or the first course when t is
// before every start (a paper questionnaire from before the patient was
// added, such as the referral's baseline). A score after a course was
// closed and before the next one starts belongs to the closed course: it
// is that course's follow-up. ok is false when there are no courses.
func CourseAt(courses []Course, t time.Time) (Course, bool) {
	if len(courses) == 0 {
		return Course{}, false
	}
	best := courses[0]
	for _, c := range courses {
		if c.Started.Before(best.Started) || (c.Started.Equal(best.Started) && c.Number < best.Number) {
			best = c // the first course
		}
	}
	found := false
	for _, c := range courses {
		if !c.Started.After(t) && (!found || c.Started.After(best.Started) || (c.Started.Equal(best.Started) && c.Number > best.Number)) {
			best, found = c, true
		}
	}
	return best, true
}
