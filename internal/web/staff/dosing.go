package staff

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// dosingChart is the chart's dosing section.
type dosingChart struct {
	Sessions []store.DosingSession
	Open     *store.DosingSession
}

// dosingSection is what the chart's dosing section shows for the patient.
func (s *Handlers) dosingSection(r *http.Request, patientID string) (any, error) {
	list, err := s.Store.DosingSessions(r.Context(), s.Actor(r), patientID)
	if err != nil {
		return nil, err
	}
	d := dosingChart{Sessions: list}
	for i := range list {
		if list[i].Open() {
			d.Open = &list[i]
			break
		}
	}
	return d, nil
}

func (s *Handlers) DosingStart(w http.ResponseWriter, r *http.Request) {
	id, err := s.Store.StartDosingSession(r.Context(), s.Actor(r), r.PathValue("patient"))
	if err != nil {
		s.chartForm(w, r, err, "dosing", "dosing")
		return
	}
	http.Redirect(w, r, "/patients/"+r.PathValue("patient")+"/dosing/"+id, http.StatusSeeOther)
}

// dueItem is something the session view reminds the clinician of.
type dueItem struct {
	What string
	At   time.Time
	Done bool
	Late bool
}

// dosingPage is the gate, the session view and the record of one session.
type dosingPage struct {
	S      *store.DosingSession
	Form   url.Values
	Errors map[string]string
	Notice string
	// Posted is the id of the section whose form was posted: its notice
	// and error summary show there, where the browser lands.
	Posted       string
	ClientID     string
	Loc          *time.Location
	Zone         string
	Now          time.Time
	Due          []dueItem
	Next         *dueItem // what is due next, for the session bar
	IsPrescriber bool
	LateClose    bool   // dosed long ago and never discharged: may be closed without the checklist
	Integration  string // after discharge: the suggested integration time, as the booking form takes it
}

// The lists the templates offer.
func (dosingPage) Adverse() []struct{ Key, Title string } {
	return clinic.AdverseEvents
}

func (dosingPage) Criteria() []struct{ Key, Title string } { return clinic.DischargeCriteria }

func (dosingPage) Routes() []clinic.Route { return clinic.Routes }

func (dosingPage) Severities() []string { return clinic.Severities }

// ReadingLabel names a reading by its real time after the dose.
func (p dosingPage) ReadingLabel(v clinic.Vitals) string { return clinic.ReadingLabel(v, p.S.DoseAt) }

// DoseUnits are the units the dose form offers.
func (dosingPage) DoseUnits() []string { return clinic.DoseUnits }

// DoseAmountValue is the dose form's amount: as typed after a failed
// submit, else the prescription's, when it is one amount.
func (p dosingPage) DoseAmountValue() string {
	if p.Form != nil {
		return p.Form.Get("amount")
	}
	if rx := p.S.Prescription; rx != nil {
		if d, ok := clinic.ParseDose(rx.Dose, ""); ok {
			return strconv.FormatFloat(d.Amount, 'f', -1, 64)
		}
	}
	return ""
}

// DoseUnitValue is the dose form's unit, chosen like DoseAmountValue.
func (p dosingPage) DoseUnitValue() string {
	if p.Form != nil {
		return p.Form.Get("unit")
	}
	if rx := p.S.Prescription; rx != nil {
		if d, ok := clinic.ParseDose(rx.Dose, ""); ok {
			return d.Unit
		}
	}
	return "mg"
}

// ObservationEnds is when the minimum observation time after the dose
// ends (zero before the dose).
func (p dosingPage) ObservationEnds() time.Time {
	if p.S.DoseAt == nil {
		return time.Time{}
	}
	return p.S.DoseAt.Add(time.Duration(p.S.Thresholds.ObservationMinutes) * time.Minute)
}

// ProblemClass is how the gate shows what a line still needs: as a hint
// until the gate has been saved once, then as an error.
func (p dosingPage) ProblemClass() string {
	if len(p.S.Items) == 0 && len(p.S.Vitals) == 0 && p.Errors == nil {
		return "meta gate-needs"
	}
	return "field-error"
}

// Checked says whether a gate line is ticked: as typed after a failed
// submit, else as recorded.
func (p dosingPage) Checked(item string) bool {
	if p.Form != nil {
		return p.Form.Get(item) == "yes"
	}
	return p.S.Items[item].Value == "yes"
}

// Value is a gate field's value: as typed after a failed submit, else as
// recorded.
func (p dosingPage) Value(item string) string {
	if p.Form != nil {
		return p.Form.Get(item)
	}
	return p.S.Items[item].Value
}

// MedsText is the medication list as the textarea shows it.
func (p dosingPage) MedsText() string {
	if p.Form != nil {
		return p.Form.Get("medications")
	}
	return strings.Join(p.S.Medications, "\n")
}

// timelineItem is one line of the session's timeline: a reading or an
// event.
type timelineItem struct {
	At    time.Time
	Title string
	Text  string
	Level string // ok, caution, hold; or an adverse event's severity
	By    string
}

// Timeline merges the readings and events after the gate, oldest first.
func (p dosingPage) Timeline() []timelineItem {
	var out []timelineItem
	if p.S.DoseAt != nil {
		out = append(out, timelineItem{At: *p.S.DoseAt, Title: "Dose given", Text: p.S.DoseAmount + ", " + strings.ToLower(clinic.RouteTitle(p.S.DoseRoute)) + lotWords(p.S.DoseLot), By: p.S.DosedBy})
	}
	for _, v := range p.S.Vitals {
		level, _ := clinic.VitalsLevel(v, p.S.Thresholds)
		text := v.Summary()
		if v.DissociationNote != "" {
			text += " · dissociation note (non-validated): " + v.DissociationNote
		}
		out = append(out, timelineItem{At: v.At, Title: "Vitals: " + p.ReadingLabel(v), Text: text, Level: level, By: v.ByName})
	}
	for _, e := range p.S.Events {
		it := timelineItem{At: e.At, Text: e.Body, By: e.ByName}
		switch e.Kind {
		case "note":
			it.Title = "Note"
		case "check":
			it.Title, it.Level, it.By = chaperoneTitle(e) // chaperone.go
		case "vitals":
			it.Title, it.Level = "Out of range", map[string]string{"moderate": clinic.VitalsCaution, "severe": clinic.VitalsHold}[e.Severity]
		case "adverse":
			it.Title, it.Level = "Adverse event: "+clinic.AdverseTitle(e.Adverse)+" ("+e.Severity+")", "adverse"
			if e.Action != "" {
				it.Text = strings.TrimSpace(it.Text + " Action: " + e.Action)
			}
		}
		out = append(out, it)
	}
	if p.S.DischargedAt != nil {
		it := timelineItem{At: *p.S.DischargedAt, Title: "Discharged", Text: strconv.Itoa(p.S.Minutes()) + " minutes after the dose", By: p.S.DischargedBy}
		if p.S.EarlyReason != "" {
			it.Text += "; earlier discharge allowed by the prescriber (" + p.S.EarlyReasonBy + "): " + p.S.EarlyReason
		}
		if len(p.S.Discharge) == 0 {
			it.Title, it.Text = "Closed without the discharge checklist", p.S.StopReason
		}
		out = append(out, it)
	}
	slices.SortStableFunc(out, func(a, b timelineItem) int { return a.At.Compare(b.At) })
	return out
}

// gateLine is one recorded line of the pre-dose gate, for the record.
type gateLine struct {
	Title, Value, By string
	At               time.Time
}

// GateRecord lists what was recorded at the gate, in the screen's order.
func (p dosingPage) GateRecord() []gateLine {
	var out []gateLine
	add := func(item, title, value string) {
		if rec, ok := p.S.Items[item]; ok && rec.Value != "" {
			if value == "" {
				value = rec.Value
			}
			if rec.Note != "" {
				value += ": " + rec.Note
			}
			out = append(out, gateLine{Title: title, Value: value, By: rec.ByName, At: rec.At})
		}
	}
	// The gate records the signature it passed on ("signature:" and its
	// id, with its version and time); sessions before signed consents were
	// kept record an attestation.
	if rec, ok := p.S.Items["consent"]; ok && strings.HasPrefix(rec.Value, "signature:") {
		out = append(out, gateLine{Title: "KAP consent current", Value: "signed consent, " + rec.Note, By: rec.ByName, At: rec.At})
	} else {
		add("consent", "KAP consent current", "attested (before signed consents were kept)")
	}
	add("medications", "Medications", strings.Join(p.S.Medications, "; "))
	add("meds_reviewed", "Medication changes reviewed", "yes")
	add("meds_prescriber", "Prescriber's review of new medication", "cleared")
	add("fasting", "Fasted as instructed", "attested")
	add("pregnancy", "Pregnancy", map[string]string{clinic.PregnancyNo: "not pregnant", clinic.PregnancyNotApplicable: "does not apply"}[p.S.Items["pregnancy"].Value])
	add("escort", "Going home with", "")
	add("escort_ok", "Ride home confirmed", "yes")
	add("override", "Vitals hold overridden", "by the prescriber")
	if p.S.GatePassedAt != nil {
		out = append(out, gateLine{Title: "Gate passed", Value: "clearance current, prescription in force", By: p.S.GatePassedBy, At: *p.S.GatePassedAt})
	}
	return out
}

func lotWords(lot string) string {
	if lot == "" {
		return ""
	}
	return ", lot " + lot
}

// DosingSession shows the session. ?alive=1 is the session view's
// keep-alive while the dose runs: for a clinician who may see the chart, on
// a session dosed less than clinic.KeepAliveHours ago, it answers 204 (the
// request itself keeps the sign-in fresh) and reads nothing; otherwise 410,
// and the page stops asking.
func (s *Handlers) DosingSession(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("alive") == "1" {
		// 204 keeps pinging; anything else tells the page to stop.
		ok, err := s.Store.KeepDosingAlive(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"))
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if !ok {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	// One read transaction and one audit row for the page (store.View),
	// naming the session.
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "dosing.read")
	if !ok {
		return
	}
	defer view.Close()
	s.dosingPage(w, r, view, http.StatusOK, nil, nil)
}

// dosingPage renders the session with form (what was typed) and errors,
// in view when there is one.
func (s *Handlers) dosingPage(w http.ResponseWriter, r *http.Request, view *store.View, status int, form url.Values, errs map[string]string) {
	d, err := s.Store.DosingSessionFor(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	loc, zone := s.PracticeZone(r)
	p := dosingPage{S: d, Form: form, Errors: errs, ClientID: auth.NewToken()[:22], Loc: loc, Zone: zone, Now: s.Now(),
		IsPrescriber: auth.CanSome(s.Actor(r).Role, auth.PermPrescriberCall)}
	if errs != nil {
		p.Posted = dosingSectionOf(r)
	} else if n, ok := dosingNotices[r.URL.Query().Get("done")]; ok {
		p.Posted, p.Notice = n.Section, n.Text
	}
	if d.DoseAt != nil {
		forty := clinic.HasFortyMinuteReading(*d.DoseAt, d.Vitals)
		at := d.DoseAt.Add(clinic.AfterDoseMinutes * time.Minute)
		p.Due = append(p.Due, dueItem{What: "Blood pressure about 40 minutes after the dose (counts when taken 30–60 minutes after it)", At: at, Done: forty, Late: !forty && p.Now.After(at.Add(10*time.Minute))})
		if d.Remote {
			last := *d.DoseAt
			for _, e := range d.Events {
				if e.Kind == "check" && !clinic.ChaperoneAlarm(e.Action) && e.At.After(last) {
					last = e.At
				}
			}
			next := last.Add(clinic.ChaperoneCheckMinutes * time.Minute)
			p.Due = append(p.Due, dueItem{What: "Chaperone's check on the patient (every 15 minutes)", At: next, Late: d.Status == clinic.SessionDosed && p.Now.After(next)})
		}
		p.Due = append(p.Due, dueItem{What: "Minimum observation time (" + strconv.Itoa(d.Thresholds.ObservationMinutes) + " minutes) ends", At: p.ObservationEnds(), Done: !p.Now.Before(p.ObservationEnds())})
		_, recent := clinic.PreDischargeReading(*d.DoseAt, d.Vitals, p.Now)
		p.Due = append(p.Due, dueItem{What: "Vitals before discharge (within " + strconv.Itoa(clinic.PreDischargeMaxMinutes) + " minutes of it)", Done: recent})
	}
	for i := range p.Due {
		// What is due next: the first late item, else the first not done.
		if it := &p.Due[i]; !it.Done && (p.Next == nil || (it.Late && !p.Next.Late)) {
			p.Next = it
		}
	}
	p.LateClose = d.Status == clinic.SessionDosed && d.DoseAt.Before(p.Now.Add(-clinic.LateCloseHours*time.Hour))
	if d.Status == clinic.SessionDischarged && d.DoseAt != nil {
		// REFERENCE §3: an integration session between doses; suggest one
		// a few days after, at the same time of day.
		p.Integration = d.DoseAt.In(loc).AddDate(0, 0, 3).Format("2006-01-02T15:04")
	}
	s.RenderView(w, r, view, status, "dosing", "Dosing session: "+d.PatientName, p)
}

// dosingDone answers a dosing form: field errors re-render the page with
// what was typed (the browser lands at the form, by its action's
// fragment); otherwise back to the session, at the section posted, with
// the notice done there (dosingNotices).
func (s *Handlers) dosingDone(w http.ResponseWriter, r *http.Request, err error, done string) {
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid && len(e.Fields) > 0 {
		s.dosingPage(w, r, nil, http.StatusUnprocessableEntity, r.PostForm, e.Fields)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/patients/"+r.PathValue("patient")+"/dosing/"+r.PathValue("session")+"?done="+done, dosingNotices[done].Section)
}

// dosingNotice is the notice after a dosing form was saved, and the
// section of the page it shows in (where the browser lands).
type dosingNotice struct{ Section, Text string }

// dosingNotices are the session page's notices by the redirect's done=.
var dosingNotices = map[string]dosingNotice{
	"gate":       {"dose", "Gate passed. Record the dose when it is given."},
	"dose":       {"session", "Dose recorded. The session has started."},
	"vitals":     {"vitals", "Vitals saved."},
	"note":       {"note", "Note saved."},
	"adverse":    {"adverse", "Adverse event recorded."},
	"check":      {"check", "Chaperone's check recorded."},
	"chaperone":  {"chaperone", "Chaperone link revoked: it no longer works."},
	"saved":      {"record", "Saved."},
	"discharged": {"record", "Discharged. The patient is asked to write in their integration journal."},
}

// dosingSectionOf is the id of the session page's section whose form r
// posted, from the route it was posted to.
func dosingSectionOf(r *http.Request) string {
	last := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	switch last {
	case "gate", "dose", "vitals", "discharge":
		return last
	case "stop":
		return "stop"
	case "events":
		if k := r.PostFormValue("kind"); k == "note" || k == "adverse" || k == "check" {
			return k
		}
	}
	return ""
}

// takenAtOf reads the time the device says an entry was made (sent by the
// page's script, so an entry kept while offline keeps its time); the store
// checks it is believable. Zero when absent.
func takenAtOf(f url.Values) time.Time {
	t, err := time.Parse(time.RFC3339Nano, f.Get("taken_at"))
	if err != nil {
		return time.Time{}
	}
	return t
}

// optInt reads an optional whole number: nil when empty; ok false when
// not a number.
func optInt(v string) (*int, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, false
	}
	return &n, true
}

// vitalsFrom reads a vitals form: blood pressure as "128/82" (or two
// fields), heart rate, SpO2.
func vitalsFrom(f url.Values) (*store.Vitals, clinic.FieldErrors) {
	fe := clinic.FieldErrors{}
	v := &store.Vitals{ClientID: f.Get("client_id"), Phase: f.Get("phase"), At: takenAtOf(f)}
	if bp := strings.TrimSpace(f.Get("bp")); bp != "" {
		a, b, ok := strings.Cut(bp, "/")
		sys, ok1 := optInt(a)
		dia, ok2 := optInt(b)
		if !ok || !ok1 || !ok2 || sys == nil || dia == nil {
			fe.Add("bp", "Enter the blood pressure as two numbers, like 128/82.")
		}
		v.Systolic, v.Diastolic = sys, dia
	}
	var ok bool
	if v.HeartRate, ok = optInt(f.Get("heart_rate")); !ok {
		fe.Add("heart_rate", "Enter the heart rate as a number.")
	}
	if v.SpO2, ok = optInt(strings.TrimSuffix(strings.TrimSpace(f.Get("spo2")), "%")); !ok {
		fe.Add("spo2", "Enter the oxygen saturation as a number.")
	}
	clinic.ReadSedation(f.Get, f["resp_sign"], v, fe)
	return v, fe
}

// The vitals form's sedation part (clinic sedation.go); PostedValue keeps a radio or checkbox after a failed submit.
func (dosingPage) MOAASLevels() []clinic.MOAASLevel                { return clinic.MOAASLevels }
func (dosingPage) RespiratorySigns() []struct{ Key, Title string } { return clinic.RespiratorySigns }
func (dosingPage) DissociationNote() string                        { return clinic.DissociationNote }
func (p dosingPage) PostedValue(key, v string) bool                { return slices.Contains(p.Form[key], v) }

func (s *Handlers) DosingGate(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f := r.PostForm
	in := store.GateInput{
		Fasting: f.Get("fasting") == "yes", Pregnancy: f.Get("pregnancy"),
		Escort: f.Get("escort"), EscortOK: f.Get("escort_ok") == "yes",
		MedsGiven: f.Has("medications"), Medications: strings.Split(f.Get("medications"), "\n"), MedsReviewed: f.Get("meds_reviewed") == "yes",
		PrescriberAck: f.Get("meds_prescriber") == "yes", MedsNote: f.Get("meds_note"), Override: f.Get("override"),
	}
	if strings.TrimSpace(f.Get("bp")) != "" || strings.TrimSpace(f.Get("heart_rate")) != "" || strings.TrimSpace(f.Get("spo2")) != "" {
		v, fe := vitalsFrom(f)
		if len(fe) > 0 {
			s.dosingPage(w, r, nil, http.StatusUnprocessableEntity, f, fe)
			return
		}
		in.Vitals = v
	}
	d, err := s.Store.RecordGate(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"), in)
	if err != nil {
		s.dosingDone(w, r, err, "")
		return
	}
	if len(d.Problems) > 0 {
		// Saved, but the gate has not passed: show what it still needs.
		s.dosingPage(w, r, nil, http.StatusUnprocessableEntity, nil, map[string]string{"gate": "Saved. The gate has not passed yet: see what is missing below."})
		return
	}
	shell.SeeOther(w, r, "/patients/"+r.PathValue("patient")+"/dosing/"+r.PathValue("session")+"?done=gate", "dose")
}

func (s *Handlers) DosingDose(w http.ResponseWriter, r *http.Request) {
	dose := store.Dose{Amount: r.PostFormValue("amount"), Unit: r.PostFormValue("unit"), Route: r.PostFormValue("route"), Lot: r.PostFormValue("lot"), CSLot: r.PostFormValue("cs_lot"), Reason: r.PostFormValue("dose_reason")}
	if hm := strings.TrimSpace(r.PostFormValue("given_at")); hm != "" {
		loc, _ := s.PracticeZone(r)
		now := s.Now().In(loc)
		t, err := time.ParseInLocation("15:04", hm, loc)
		if err != nil {
			s.dosingPage(w, r, nil, http.StatusUnprocessableEntity, r.PostForm, map[string]string{"at": "Enter the time it was given, like 14:05, or leave it empty for now."})
			return
		}
		dose.At = clinic.LocalTime(loc, now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), 0)
		if dose.At.After(now.Add(time.Hour)) { // 23:50 entered at 00:10: yesterday
			dose.At = clinic.LocalTime(loc, now.Year(), now.Month(), now.Day()-1, t.Hour(), t.Minute(), 0)
		}
	}
	err := s.Store.RecordDose(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"), dose)
	s.dosingDone(w, r, err, "dose")
}

func (s *Handlers) DosingVitals(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	v, fe := vitalsFrom(r.PostForm)
	if len(fe) > 0 {
		s.dosingPage(w, r, nil, http.StatusUnprocessableEntity, r.PostForm, fe)
		return
	}
	_, err := s.Store.RecordVitals(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"), *v)
	s.dosingDone(w, r, err, "vitals")
}

func (s *Handlers) DosingEvent(w http.ResponseWriter, r *http.Request) {
	ev := store.DosingEvent{ClientID: r.PostFormValue("client_id"), Kind: r.PostFormValue("kind"), Adverse: r.PostFormValue("adverse"),
		Severity: r.PostFormValue("severity"), Action: r.PostFormValue("action"), Body: r.PostFormValue("body"), At: takenAtOf(r.PostForm)}
	err := s.Store.RecordDosingEvent(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"), ev)
	done := ev.Kind
	if _, ok := dosingNotices[done]; !ok || done == "gate" || done == "dose" {
		done = "saved"
	}
	s.dosingDone(w, r, err, done)
}

func (s *Handlers) DosingDischarge(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	err := s.Store.DischargeSession(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"), r.PostForm["criteria"], r.PostFormValue("early_reason"))
	s.dosingDone(w, r, err, "discharged")
}

func (s *Handlers) DosingStop(w http.ResponseWriter, r *http.Request) {
	err := s.Store.StopDosingSession(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"), r.PostFormValue("stop_reason"))
	s.dosingDone(w, r, err, "saved")
}
