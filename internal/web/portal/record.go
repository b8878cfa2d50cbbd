package portal

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/pdfdoc"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// The patient's copy of their record (issue 19): the whole record as a
// FHIR R4 Bundle their other apps can read, and a readable PDF summary of
// the same Bundle. Both are of the signed-in patient's own record only
// (there is no id in the path), gathered by fhir.Everything in one view:
// one read transaction and one audit row, written before anything is
// sent. Psychotherapy notes are never part of it (the gatherer reads none).

// recordBundle gathers the signed-in patient's record in one view audited
// as action. ok false means it has answered (no patient record: a calm
// not-found page; a store error: the error page). The caller finishes the
// view before sending.
func (s *Handlers) recordBundle(w http.ResponseWriter, r *http.Request, action string) (*http.Request, *store.View, *store.Patient, *fhir.Bundle, bool) {
	ctx, view, own, err := s.Store.BeginOwnView(r.Context(), s.Actor(r), action)
	if clinic.ErrorCode(err) == clinic.ENotFound {
		err = clinic.Errorf(clinic.ENotFound, "There is no record to download yet: your practice has not opened one for you. Ask your care team if you expected one.")
	}
	if err != nil {
		s.Error(w, r, err)
		return r, nil, nil, nil, false
	}
	r = r.WithContext(ctx)
	base := strings.TrimSuffix(s.LinkBase(r), "/") + "/fhir"
	b, err := fhir.Everything(r.Context(), s.Store, s.Actor(r), own.ID, fhir.Mapper{Base: base})
	if err != nil {
		view.Close()
		s.Error(w, r, err)
		return r, nil, nil, nil, false
	}
	return r, view, own, b, true
}

// sendDownload finishes view (its one audit row committed) and then sends
// body as an attachment named name: nothing read is sent unaudited.
func (s *Handlers) sendDownload(w http.ResponseWriter, r *http.Request, view *store.View, contentType, name string, body []byte) {
	if err := view.Finish(r.Context()); err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SendAttachment(w, contentType, name, body)
}

// RecordJSON sends the patient's whole record as a FHIR R4 Bundle
// (application/fhir+json). The file's name carries the date only, no
// name: a downloads folder is no place for PHI in file names.
func (s *Handlers) RecordJSON(w http.ResponseWriter, r *http.Request) {
	r, view, own, b, ok := s.recordBundle(w, r, "record.export")
	if !ok {
		return
	}
	defer view.Close()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(b); err != nil {
		s.Error(w, r, err)
		return
	}
	loc, _ := s.PatientZone(r, own)
	s.sendDownload(w, r, view, "application/fhir+json", "health-record-"+s.Now().In(loc).Format("2006-01-02")+".json", buf.Bytes())
}

// RecordPDF sends a readable summary of the same Bundle: who the record is
// about, the care team, the appointments, the questionnaire scores over
// time with their charts, medications and consents.
func (s *Handlers) RecordPDF(w http.ResponseWriter, r *http.Request) {
	r, view, own, b, ok := s.recordBundle(w, r, "record_summary.export")
	if !ok {
		return
	}
	defer view.Close()
	loc, _ := s.PatientZone(r, own)
	dosed, err := s.Store.DosedAt(r.Context(), s.Actor(r), own.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	ps, err := s.Store.Practice(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	now := s.Now()
	d := RecordDoc(b, ps.Name, dosed, now, loc)
	d.Paper = pdfdoc.PaperFor(ps.TimeZone)
	pdf, err := pdfdoc.Render(d)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.sendDownload(w, r, view, "application/pdf", "health-record-summary-"+now.In(loc).Format("2006-01-02")+".pdf", pdf)
}

// RecordDoc lays out the readable summary of a patient's record Bundle b
// (fhir.Everything) in loc. It reads only the Bundle, so the summary holds
// nothing the download does not.
func RecordDoc(b *fhir.Bundle, practice string, dosed []time.Time, now time.Time, loc *time.Location) pdfdoc.Document {
	var (
		patient      fhir.Patient
		team         fhir.CareTeam
		roles        = map[string]string{} // practitioner id -> role
		appointments []fhir.Appointment
		meds         []fhir.MedicationStatement
		consents     []fhir.Consent
		plans        []fhir.CarePlan
		checkins     []store.Checkin
	)
	totals := map[string]string{} // LOINC total code -> instrument
	for _, in := range measure.All() {
		if inst, ok := fhir.Shipped(in.ID); ok {
			totals[inst.LOINCTotal] = inst.ID
		}
	}
	for _, e := range b.Entry {
		switch x := e.Resource.(type) {
		case fhir.Patient:
			patient = x
		case fhir.CareTeam:
			team = x
		case fhir.PractitionerRole:
			if len(x.Code) > 0 {
				roles[x.ID] = x.Code[0].Text
			}
		case fhir.Appointment:
			appointments = append(appointments, x)
		case fhir.MedicationStatement:
			meds = append(meds, x)
		case fhir.Consent:
			consents = append(consents, x)
		case fhir.CarePlan:
			plans = append(plans, x)
		case fhir.Observation:
			if c, ok := totalCheckin(x, totals); ok {
				checkins = append(checkins, c)
			}
		}
	}
	name, other := "", ""
	for _, n := range patient.Name {
		switch n.Use {
		case "official":
			other = n.Text
		default:
			name = n.Text
		}
	}
	if other != "" {
		name = other + " (goes by " + name + ")"
	}
	head, dob := "Health record summary · "+name, patient.BirthDate
	if dob == "" {
		dob = "not recorded"
	} else {
		head += " · born " + dob
	}
	d := pdfdoc.Document{
		Title:       "Your health record",
		Subtitle:    "A readable summary of your record at " + practice,
		Meta:        []pdfdoc.Field{{Label: "Patient", Value: name}, {Label: "Date of birth", Value: dob}, {Label: "Practice", Value: practice}},
		RunningHead: head,
		GeneratedAt: now,
		Zone:        loc,
	}
	add := func(bs ...pdfdoc.Block) { d.Blocks = append(d.Blocks, bs...) }
	add(pdfdoc.Paragraph{Text: "This summary shows your care team, appointments, questionnaire scores, medications and consents. " +
		"The download of your record in FHIR, the standard format for health data, holds the same record in full for other apps. " +
		"A therapist's private psychotherapy notes are not part of it: the law keeps them apart from your record."})

	add(pdfdoc.Heading{Text: "Your care team"})
	var members []string
	for _, p := range team.Participant {
		if p.Member == nil {
			continue
		}
		who := p.Member.Display
		id, _ := strings.CutPrefix(p.Member.Reference, "Practitioner/")
		if role := roles[id]; role != "" {
			who += ", " + role
		}
		members = append(members, who)
	}
	if len(members) == 0 {
		add(pdfdoc.Paragraph{Text: "No one is on your care team right now."})
	} else {
		add(pdfdoc.List{Items: members})
	}

	add(pdfdoc.Heading{Text: "Appointments"})
	sort.SliceStable(appointments, func(i, j int) bool { return appointments[i].Start < appointments[j].Start })
	if len(appointments) == 0 {
		add(pdfdoc.Paragraph{Text: "No appointments yet."})
	} else {
		rows := make([][]string, 0, len(appointments))
		for _, a := range appointments {
			kind := ""
			if a.AppointmentType != nil {
				kind = a.AppointmentType.Text
				if kind == "" && len(a.AppointmentType.Coding) > 0 {
					kind = a.AppointmentType.Coding[0].Display
				}
			}
			with := ""
			for _, p := range a.Participant {
				if p.Actor != nil && strings.HasPrefix(p.Actor.Reference, "Practitioner/") {
					with = p.Actor.Display
				}
			}
			rows = append(rows, []string{when(a.Start, loc), kind, with, appointmentStatus(a.Status)})
		}
		add(pdfdoc.Table{Columns: []pdfdoc.Column{{Title: "When", Weight: 2}, {Title: "Kind", Weight: 1.6}, {Title: "With", Weight: 1.6}, {Title: "Status", Weight: 1}}, Rows: rows})
	}

	add(pdfdoc.Heading{Text: "Questionnaire scores"})
	views := shell.ProgressViews(checkins, dosed, loc, 640)
	if len(views) == 0 {
		add(pdfdoc.Paragraph{Text: "No questionnaire has been completed yet."})
	}
	for _, v := range views {
		add(pdfdoc.Heading{Text: v.Instrument.Title, Level: 2})
		spec := v.Chart
		spec.Loc = loc
		add(pdfdoc.Chart{Spec: spec})
		rows := make([][]string, 0, len(v.Rows))
		for _, row := range v.Rows {
			rows = append(rows, []string{row.At.In(loc).Format("Jan 2, 2006, 3:04 PM"), strconv.Itoa(row.Total), row.Band})
		}
		add(pdfdoc.Table{Columns: []pdfdoc.Column{{Title: "Date", Weight: 2.2}, {Title: "Score", Weight: 0.8, Right: true}, {Title: "Range", Weight: 2}}, Rows: rows})
	}
	if len(views) > 0 {
		add(pdfdoc.Paragraph{Small: true, Text: "Scores are your own answers to standard questionnaires; lower scores mean fewer symptoms. They are not a diagnosis."})
	}

	add(pdfdoc.Heading{Text: "Medications"})
	if len(meds) == 0 {
		add(pdfdoc.Paragraph{Text: "No medications recorded."})
	} else {
		rows := make([][]string, 0, len(meds))
		for _, ms := range meds {
			med, dose := "", ""
			if ms.MedicationCodeableConcept != nil {
				med = ms.MedicationCodeableConcept.Text
			}
			if len(ms.Dosage) > 0 {
				dose = ms.Dosage[0].Text
			}
			rows = append(rows, []string{med, dose, ms.Status})
		}
		add(pdfdoc.Table{Columns: []pdfdoc.Column{{Title: "Medication", Weight: 2}, {Title: "How taken", Weight: 2}, {Title: "Status", Weight: 1}}, Rows: rows})
	}

	if len(plans) > 0 {
		add(pdfdoc.Heading{Text: "Courses of treatment"})
		rows := make([][]string, 0, len(plans))
		for _, pl := range plans {
			from, to := "", ""
			if pl.Period != nil {
				from, to = day(pl.Period.Start, loc), day(pl.Period.End, loc)
			}
			rows = append(rows, []string{pl.Title, from, to, planStatus(pl.Status)})
		}
		add(pdfdoc.Table{Columns: []pdfdoc.Column{{Title: "Course", Weight: 2}, {Title: "From", Weight: 1.2}, {Title: "Until", Weight: 1.2}, {Title: "Status", Weight: 1}}, Rows: rows})
	}

	add(pdfdoc.Heading{Text: "Consents"})
	if len(consents) == 0 {
		add(pdfdoc.Paragraph{Text: "No consents signed yet."})
	} else {
		rows := make([][]string, 0, len(consents))
		for _, c := range consents {
			title := ""
			if len(c.Category) > 0 {
				title = c.Category[0].Text
			}
			state := "In effect"
			switch {
			case c.Provision != nil && c.Provision.Period != nil && c.Provision.Period.End != "":
				state = "Withdrawn " + day(c.Provision.Period.End, loc)
			case c.Status != "active":
				state = "Replaced by a later signature"
			}
			rows = append(rows, []string{title, day(c.DateTime, loc), state})
		}
		add(pdfdoc.Table{Columns: []pdfdoc.Column{{Title: "Consent", Weight: 2}, {Title: "Signed", Weight: 1.2}, {Title: "Now", Weight: 1.6}}, Rows: rows})
	}
	add(pdfdoc.Rule{}, pdfdoc.Paragraph{Small: true, Text: "Times are in " + loc.String() + ". Ask your care team if anything here looks wrong."})
	return d
}

// totalCheckin reads a questionnaire's total score Observation back as
// the check-in the progress charts draw.
func totalCheckin(o fhir.Observation, totals map[string]string) (store.Checkin, bool) {
	if o.Code == nil || len(o.Code.Coding) == 0 || o.ValueQuantity == nil || o.ValueQuantity.Value == nil {
		return store.Checkin{}, false
	}
	inst, ok := totals[o.Code.Coding[0].Code]
	if !ok || o.Code.Coding[0].System != fhir.SystemLOINC {
		return store.Checkin{}, false
	}
	at, err := time.Parse(time.RFC3339, o.EffectiveDateTime)
	if err != nil {
		return store.Checkin{}, false
	}
	c := store.Checkin{ID: o.ID, Instrument: inst, Complete: true, Total: int(*o.ValueQuantity.Value), CompletedAt: at}
	if len(o.Interpretation) > 0 {
		c.Band = o.Interpretation[0].Text
	}
	return c, true
}

// when writes a FHIR instant in loc, "" when there is none.
func when(instant string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339, instant)
	if err != nil {
		return instant
	}
	return t.In(loc).Format("Mon Jan 2, 2006, 3:04 PM")
}

// day writes a FHIR instant's date in loc, "" when there is none.
func day(instant string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339, instant)
	if err != nil {
		return instant
	}
	return t.In(loc).Format("Jan 2, 2006")
}

// appointmentStatus says an Appointment's status in words.
func appointmentStatus(s string) string {
	switch s {
	case "booked":
		return "Booked"
	case "fulfilled":
		return "Took place"
	case "cancelled":
		return "Cancelled"
	case "noshow":
		return "Missed"
	}
	return s
}

// planStatus says a CarePlan's status in words.
func planStatus(s string) string {
	switch s {
	case "active":
		return "Under way"
	case "completed":
		return "Finished"
	case "revoked":
		return "Stopped"
	case "on-hold":
		return "Paused"
	}
	return s
}
