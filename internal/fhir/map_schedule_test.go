package fhir_test

import (
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

func TestAppointment(t *testing.T) {
	at := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	dosing := store.Appointment{ID: "a1", Kind: "dosing", StartsAt: at, Minutes: 180, Clinician: "Lena Ortiz", Remote: true,
		VideoLink: "https://video.example/room/SECRET-TOKEN", Chaperone: "Alex Chaperone", Room: "Room Canary", ChangedAt: at.Add(-time.Hour)}
	with := func(f func(*store.Appointment)) store.Appointment { a := dosing; f(&a); return a }
	cases := []struct {
		name        string
		ap          store.Appointment
		clinicianID string
		want        []string
		wantNot     []string
		err         bool
	}{
		{"booked dosing by video", dosing, "u1", []string{`"id":"a1"`, `"status":"booked"`, `"start":"2026-12-01T15:00:00Z"`, `"end":"2026-12-01T18:00:00Z"`, `"minutesDuration":180`,
			`"appointmentType":{"coding":[{"system":"https://github.com/kapstone/kapstone/fhir/CodeSystem/appointment-kind","code":"dosing","display":"Dosing session"}],"text":"Dosing session (by video)"}`,
			`{"actor":{"reference":"Patient/` + pid + `"},"required":"required","status":"accepted"}`,
			`"actor":{"reference":"Practitioner/u1","display":"Lena Ortiz"}`, `"lastUpdated":"2026-12-01T14:00:00Z"`},
			[]string{"SECRET", "video.example", "Chaperone", "Canary"}, false},
		{"attended", with(func(a *store.Appointment) { a.Outcome = "attended"; a.Remote = false }), "u1", []string{`"status":"fulfilled"`, `"text":"Dosing session"}`}, []string{"by video"}, false},
		{"no-show", with(func(a *store.Appointment) { a.Outcome = "no_show" }), "u1", []string{`"status":"noshow"`}, nil, false},
		{"clinician known by name only", dosing, "", []string{`"actor":{"display":"Lena Ortiz"}`}, []string{"Practitioner/"}, false},
		{"unknown outcome", with(func(a *store.Appointment) { a.Outcome = "late" }), "u1", nil, nil, true},
		{"unknown kind", with(func(a *store.Appointment) { a.Kind = "spa" }), "u1", nil, nil, true},
		{"no length", with(func(a *store.Appointment) { a.Minutes = 0 }), "u1", nil, nil, true},
		{"id not a FHIR id", with(func(a *store.Appointment) { a.ID = "a 1" }), "u1", nil, nil, true},
	}
	for _, tc := range cases {
		ap, err := m.Appointment(pid, tc.ap, tc.clinicianID)
		if (err != nil) != tc.err {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		has(t, tc.name, string(validate(t, tc.name, ap)), tc.want, tc.wantNot)
	}
}

func TestEncounter(t *testing.T) {
	opened := time.Date(2026, 12, 1, 15, 2, 0, 0, time.UTC)
	dose, out := opened.Add(30*time.Minute), opened.Add(150*time.Minute)
	base := store.DosingSession{ID: "s1", AppointmentID: "a1", Clinician: "Lena Ortiz", Status: clinic.SessionDischarged, CreatedAt: opened,
		DoseAt: &dose, DischargedAt: &out, StopReason: "CANARY stop", EarlyReason: "CANARY early", DoseAmount: "200 mg", DoseLot: "LOT-CANARY"}
	with := func(f func(*store.DosingSession)) store.DosingSession { d := base; f(&d); return d }
	cases := []struct {
		name    string
		d       store.DosingSession
		want    []string
		wantNot []string
		err     bool
	}{
		{"discharged, in person", base, []string{`"id":"s1"`, "us-core-encounter", `"status":"finished"`,
			`"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB","display":"ambulatory"}`,
			`"type":[{"coding":[{"system":"https://github.com/kapstone/kapstone/fhir/CodeSystem/appointment-kind","code":"dosing","display":"Dosing session"}],"text":"Dosing session"}]`,
			`"period":{"start":"2026-12-01T15:02:00Z","end":"2026-12-01T17:32:00Z"}`, `"appointment":[{"reference":"Appointment/a1"}]`,
			`"individual":{"reference":"Practitioner/u1","display":"Lena Ortiz"}`, `"code":"PPRF"`}, []string{"CANARY", "200 mg"}, false},
		{"by video, running", with(func(d *store.DosingSession) { d.Remote, d.Status, d.DischargedAt = true, clinic.SessionDosed, nil }),
			[]string{`"status":"in-progress"`, `"code":"VR"`, `"text":"Dosing session (by video)"`, `"period":{"start":"2026-12-01T15:02:00Z"}`}, []string{`"end"`}, false},
		{"at the gate", with(func(d *store.DosingSession) { d.Status, d.DoseAt, d.DischargedAt = clinic.SessionGate, nil, nil }), []string{`"status":"in-progress"`}, nil, false},
		{"stopped before the dose", with(func(d *store.DosingSession) {
			d.Status, d.DoseAt, d.DischargedAt, d.StoppedAt = clinic.SessionStopped, nil, nil, &dose
		}), []string{`"status":"cancelled"`, `"end":"2026-12-01T15:32:00Z"`}, []string{"CANARY"}, false},
		{"stopped after the dose", with(func(d *store.DosingSession) { d.Status, d.DischargedAt, d.StoppedAt = clinic.SessionStopped, nil, &out }),
			[]string{`"status":"finished"`}, nil, false},
		{"no appointment", with(func(d *store.DosingSession) { d.AppointmentID = "" }), nil, []string{`"appointment":[`}, false},
		{"unknown status", with(func(d *store.DosingSession) { d.Status = "paused" }), nil, nil, true},
		{"no time", with(func(d *store.DosingSession) { d.CreatedAt = time.Time{} }), nil, nil, true},
	}
	for _, tc := range cases {
		e, err := m.Encounter(pid, tc.d, "u1")
		if (err != nil) != tc.err {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		has(t, tc.name, string(validate(t, tc.name, e)), tc.want, tc.wantNot)
	}
}
