package fhir

import (
	"fmt"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// appointmentKind codes an appointment's kind (intake, dosing ...) in
// kapstone's code system, with its title as the text; by video says so.
func appointmentKind(kind string, remote bool) (*CodeableConcept, error) {
	title := clinic.AppointmentTitle(kind)
	if title == "" {
		return nil, fmt.Errorf("fhir: %q is not an appointment kind", kind)
	}
	text := title
	if remote {
		text += " (by video)"
	}
	return &CodeableConcept{Coding: []Coding{{System: SystemAppointmentKind, Code: kind, Display: title}}, Text: text}, nil
}

// appointmentStatus is an appointment's FHIR status from its outcome: one
// waiting for an outcome is booked (even once its time has passed), one
// attended fulfilled, a no-show noshow.
var appointmentStatus = map[string]string{"": "booked", "attended": "fulfilled", "no_show": "noshow"}

// Appointment maps one of patientID's booked appointments: its status from
// the outcome, its kind, start, end and length, the patient and the
// clinician taking part. clinicianID is the clinician's user id when the
// caller knows it (the store's Appointment keeps the name only); without
// it the clinician is named, not referenced.
//
// The video link is left out: it is the patient's way into the call,
// a bearer link anyone holding it can join with, and no EHR or app
// reading the schedule needs it. The room and the chaperone are left out
// too (kapstone writes no Location or RelatedPerson). Cancelled
// appointments are never read by the store's appointment reads, so no
// cancelled status is written.
func (m Mapper) Appointment(patientID string, ap store.Appointment, clinicianID string) (Appointment, error) {
	if err := checkIDs(patientID, ap.ID); err != nil {
		return Appointment{}, err
	}
	status, ok := appointmentStatus[ap.Outcome]
	if !ok {
		return Appointment{}, fmt.Errorf("fhir: appointment %s has outcome %q", ap.ID, ap.Outcome)
	}
	if ap.StartsAt.IsZero() || ap.Minutes <= 0 {
		return Appointment{}, fmt.Errorf("fhir: appointment %s has no time", ap.ID)
	}
	kind, err := appointmentKind(ap.Kind, ap.Remote)
	if err != nil {
		return Appointment{}, err
	}
	out := Appointment{
		ID: ap.ID, Status: status, AppointmentType: kind, ServiceType: []CodeableConcept{*kind},
		Start: Instant(ap.StartsAt), End: Instant(ap.StartsAt.Add(time.Duration(ap.Minutes) * time.Minute)), MinutesDuration: ap.Minutes,
		Participant: []AppointmentParticipant{{Actor: Ref("Patient", patientID, ""), Required: "required", Status: "accepted"}},
	}
	if !ap.ChangedAt.IsZero() {
		out.Meta = &Meta{LastUpdated: Instant(ap.ChangedAt)}
	}
	if who := practitioner(clinicianID, ap.Clinician); who != nil {
		out.Participant = append(out.Participant, AppointmentParticipant{
			Type:  []CodeableConcept{*Concept(SystemParticipationType, "PPRF", "primary performer", "")},
			Actor: who, Required: "required", Status: "accepted"})
	}
	return out, nil
}

// encounterStatus is a dosing session's FHIR status: running sessions are
// in progress, discharged ones finished; a stopped one is finished when
// the dose had been given and cancelled otherwise.
func encounterStatus(d store.DosingSession) (string, error) {
	switch d.Status {
	case clinic.SessionGate, clinic.SessionReady, clinic.SessionDosed:
		return "in-progress", nil
	case clinic.SessionDischarged:
		return "finished", nil
	case clinic.SessionStopped:
		if d.DoseAt != nil {
			return "finished", nil
		}
		return "cancelled", nil
	}
	return "", fmt.Errorf("fhir: dosing session %s has status %q", d.ID, d.Status)
}

// Encounter maps one of patientID's dosing sessions: class AMB (in
// person) or VR (by video), the kind "dosing" as its type, the period from
// when the session was opened to its discharge or stop, the clinician who
// started it (clinicianID as for Appointment) and its appointment. It
// meets US Core Encounter (status, class, type, subject). Nothing typed
// during the session (the stop and early-discharge reasons, events'
// notes) is written, nor the dose: the record's free text stays in the
// chart.
func (m Mapper) Encounter(patientID string, d store.DosingSession, clinicianID string) (Encounter, error) {
	if err := checkIDs(patientID, d.ID); err != nil {
		return Encounter{}, err
	}
	if d.CreatedAt.IsZero() {
		return Encounter{}, fmt.Errorf("fhir: dosing session %s has no time", d.ID)
	}
	status, err := encounterStatus(d)
	if err != nil {
		return Encounter{}, err
	}
	class := Coding{System: SystemActCode, Code: "AMB", Display: "ambulatory"}
	if d.Remote {
		class = Coding{System: SystemActCode, Code: "VR", Display: "virtual"}
	}
	kind, err := appointmentKind("dosing", d.Remote)
	if err != nil {
		return Encounter{}, err
	}
	out := Encounter{
		ID: d.ID, Meta: &Meta{Profile: []string{ProfileEncounter}}, Status: status, Class: &class,
		Type: []CodeableConcept{*kind}, Subject: Ref("Patient", patientID, ""),
		Period: &Period{Start: Instant(d.CreatedAt)},
	}
	switch {
	case d.DischargedAt != nil:
		out.Period.End = Instant(*d.DischargedAt)
	case d.StoppedAt != nil:
		out.Period.End = Instant(*d.StoppedAt)
	}
	if who := practitioner(clinicianID, d.Clinician); who != nil {
		out.Participant = []EncounterParticipant{{
			Type:       []CodeableConcept{*Concept(SystemParticipationType, "PPRF", "primary performer", "")},
			Individual: who}}
	}
	if d.AppointmentID != "" {
		if err := checkIDs(d.AppointmentID); err != nil {
			return Encounter{}, err
		}
		out.Appointment = []Reference{*Ref("Appointment", d.AppointmentID, "")}
	}
	return out, nil
}
