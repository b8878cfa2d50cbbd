package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/screening"
)

// DosingSession is one dosing session: its pre-dose gate, the dose, the
// vitals and events recorded while it ran, and discharge. Everything in it
// is recorded with who and when and never changed.
type DosingSession struct {
	ID             string
	PatientID      string
	PatientName    string
	AppointmentID  string
	Clinician      string // who started it
	Remote         bool
	Chaperone      string
	Status         string // clinic.Session*
	CreatedAt      time.Time
	GatePassedAt   *time.Time
	GatePassedBy   string // names, not ids
	DoseAt         *time.Time
	DoseAmount     string
	DoseRoute      string
	DoseLot        string
	DosedBy        string
	DischargedAt   *time.Time
	DischargedBy   string
	Discharge      []string // discharge criteria met
	StoppedAt      *time.Time
	StopReason     string
	EarlyReason    string // the prescriber's reason to discharge before the observation time (or without the 40-minute reading)
	EarlyReasonBy  string
	DosePrescribed string // the prescription's dose per session and route when the dose was given (clinic.PrescribedWords; the dose alone before routes were compared)
	DoseReason     string // the prescriber's reason for a dose that differs from it
	DoseReasonBy   string

	Preparation  *Preparation  // the patient's preferences and consent to touch (nil: none recorded)
	KAPConsent   *Consent      // the patient's KAP informed consent: the gate's consent line
	TouchConsent *Consent      // the patient's signed consent to touch: the preparation's touch counts only while it is current
	Prescription *Prescription // the current prescription (nil: none)

	Items  map[string]GateRecord // the latest record of each gate item
	Vitals []Vitals              // oldest first
	Events []DosingEvent         // oldest first

	// Worked out when read, for the gate screen.
	Problems       map[string]string // gate item → what is missing; empty when the gate passes
	Medications    []string          // the current list (this session's, else the last one known)
	NewInteracting []screening.Match // new since the last session, of a class that interacts
	Thresholds     clinic.Thresholds // the prescriber's vitals thresholds and observation time
	Holds          []clinic.Hold     // measures whose latest reading since the dose is at the hold level
	ChaperoneLink  *ChaperoneLink    // a remote session's latest chaperone link (chaperone.go); nil: none
	// For the dose form (read by DosingSessionFor while the session is
	// ready): whether the practice keeps the controlled-substance log, and
	// the lots with stock the reader may draw the dose from (cslog.go).
	CSKept bool
	CSLots []CSLot
	// REMS: the session needs a REMS monitoring form (rems.go; read by
	// DosingSessionFor once dosed).
	REMS bool
}

// Open reports whether the session is still running (not discharged or
// stopped).
func (d *DosingSession) Open() bool {
	return d.Status == clinic.SessionGate || d.Status == clinic.SessionReady || d.Status == clinic.SessionDosed
}

// Touch is the consent to touch that holds in the session
// (clinic.TouchAgreed): the preparation record's choice while the patient's
// consent-to-touch document is current, no touch otherwise; "" when
// nothing is agreed (no touch either).
func (d *DosingSession) Touch() string {
	if d.Preparation == nil {
		return ""
	}
	return clinic.TouchAgreed(d.Preparation.Touch, d.TouchConsent != nil && d.TouchConsent.Status() == clinic.ConsentCurrent)
}

// TouchUnsigned reports whether the preparation record agrees some touch
// that does not hold because the consent-to-touch document is not current.
func (d *DosingSession) TouchUnsigned() bool {
	return d.Preparation != nil && d.Preparation.Touch != "" && d.Preparation.Touch != clinic.TouchNone && d.Touch() == clinic.TouchNone
}

// PrescribedLine is what the record says was prescribed when the dose was
// given: "200 mg per session, sublingual lozenge / troche"; a session
// recorded before the route was compared says so.
func (d *DosingSession) PrescribedLine() string {
	if d.DosePrescribed == "" || strings.Contains(d.DosePrescribed, " per session") {
		return d.DosePrescribed
	}
	return d.DosePrescribed + " per session (the route was not compared when this dose was recorded)"
}

// RouteCompared reports whether the dose's route was compared with the
// prescription's when it was recorded (sessions recorded since routes
// were compared).
func (d *DosingSession) RouteCompared() bool {
	return strings.Contains(d.DosePrescribed, " per session")
}

// Minutes is how long from the dose to discharge (0 before discharge).
func (d *DosingSession) Minutes() int {
	if d.DoseAt == nil || d.DischargedAt == nil {
		return 0
	}
	return int(d.DischargedAt.Sub(*d.DoseAt) / time.Minute)
}

// LatestVitals is the newest reading of phase, or nil.
func (d *DosingSession) LatestVitals(phase string) *Vitals {
	for i := len(d.Vitals) - 1; i >= 0; i-- {
		if d.Vitals[i].Phase == phase {
			return &d.Vitals[i]
		}
	}
	return nil
}

// PreDoseVitals are the readings entered as before the dose, oldest
// first.
func (d *DosingSession) PreDoseVitals() []Vitals {
	var out []Vitals
	for _, v := range d.Vitals {
		if v.Phase == clinic.PhasePreDose {
			out = append(out, v)
		}
	}
	return out
}

// LevelOf is a reading's level by the thresholds as they stand now (the
// rule the gate, the banner and discharge judge by), not as they stood
// when it was recorded.
func (d *DosingSession) LevelOf(v Vitals) string {
	level, _ := clinic.VitalsLevel(v, d.Thresholds)
	return level
}

// GateRecord is one recording of a gate item.
type GateRecord = clinic.GateRecord

// Vitals is one set of readings. Missing readings are nil.
type Vitals = clinic.Vitals

// DosingEvent is a note, an adverse event, a chaperone's check, or a
// vitals reading out of range, on the session's timeline.
type DosingEvent struct {
	ID         string
	ClientID   string
	Kind       string // note, adverse, check, vitals
	Adverse    string // clinic.AdverseEvents key
	Severity   string // mild, moderate, severe
	Action     string // what was done
	Body       string
	ByName     string
	At         time.Time // when it happened (as the device said, if believable)
	RecordedAt time.Time // when the server kept it
}

// GateInput is what the gate screen sends: the state of every attested
// line as the clinician left it, and the readings taken.
type GateInput struct {
	Medications   []string // one per line; empty with MedsGiven: none
	MedsGiven     bool     // the list was on the form
	MedsReviewed  bool
	MedsNote      string // the prescriber's review of new interacting medication
	Fasting       bool
	Pregnancy     string // clinic.Pregnancy*
	Escort        string // who takes them home
	EscortOK      bool
	Vitals        *Vitals // pre-dose readings, when entered
	Override      string  // a prescriber's reason to go ahead despite a vitals hold
	PrescriberAck bool    // the prescriber reviewed the new interacting medication
}

// Dose is the dose given.
type Dose struct {
	Amount string // the amount, like "200" (or with its unit, "200 mg", when Unit is empty)
	Unit   string // one of clinic.DoseUnits
	Route  string
	Lot    string
	CSLot  string    // the controlled-substance log's lot it was drawn from (required while the practice keeps the log; then Lot is its number)
	Reason string    // the prescriber's reason for a dose that differs from the prescription
	At     time.Time // zero: now
}

// onlyPrescriberOverride is the answer to anyone else who tries.
const onlyPrescriberOverride = "Only a prescriber can override a vitals hold."

// dosingWrite runs fn for a change to session id of patientID: by a
// clinician on the care team (not through emergency access, which reads
// but does not record), with the session's row locked for the transaction
// (so two devices recording at once take turns) and read fresh, after the
// patient's consent lock (lockPatientConsent), so the consent the gate and
// the dose check cannot be revoked under them.
func (s *Store) dosingWrite(ctx context.Context, actor Actor, patientID, id, action string, fn func(tx *Tx, d *DosingSession, e *Entry) error) error {
	if err := clinicianOnly(actor); err != nil {
		return err
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermDosing, action, func(tx *Tx, a Access, e *Entry) error {
		if err := s.d.lockPatientConsent(ctx, tx.tx, patientID); err != nil { // the gate and the dose read the consent
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE dosing_sessions SET updated_at = updated_at WHERE id = $1 AND patient_id = $2`, id, patientID); err != nil {
			return err
		}
		d, err := s.dosingSession(ctx, tx, patientID, id)
		if err != nil {
			return err
		}
		e.ObjectType, e.ObjectID = "dosing_session", id
		return fn(tx, d, e)
	})
}

// StartDosingSession opens a dosing session for patientID, run by actor (a
// clinician on the care team), linked to the patient's first dosing
// appointment within 12 hours either side of now when there is one, which
// says whether it is remote and who the chaperone is. A patient has at most
// one open session (a unique index holds even when two clinicians press
// Start at once): starting again returns the open one, except that a
// session left at the gate for more than clinic.StaleGateHours is closed
// first, with a reason, so yesterday's answers are never carried into
// today. Audited.
func (s *Store) StartDosingSession(ctx context.Context, actor Actor, patientID string) (string, error) {
	if err := clinicianOnly(actor); err != nil {
		return "", err
	}
	var id string
	err := s.patientAccess(ctx, actor, patientID, auth.PermDosing, "dosing.start", func(tx *Tx, a Access, e *Entry) error {
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE dosing_sessions SET status = 'stopped', stopped_at = $1, stop_reason = $2, updated_at = $1
			WHERE patient_id = $3 AND status IN ('gate', 'ready') AND created_at < $4`,
			now, "Not dosed; closed when a new session was started.", patientID, now.Add(-clinic.StaleGateHours*time.Hour)); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT id FROM dosing_sessions WHERE patient_id = $1 AND status IN ('gate', 'ready', 'dosed') ORDER BY created_at DESC LIMIT 1`, patientID).Scan(&id)
		if err == nil {
			e.Action, e.ObjectType, e.ObjectID = "dosing.read", "dosing_session", id
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var appt, chaperone string
		var remote bool
		err = tx.QueryRow(ctx, `SELECT id, remote, chaperone FROM appointments WHERE patient_id = $1 AND kind = 'dosing' AND cancelled_at IS NULL
			AND starts_at > $2 AND starts_at < $3 ORDER BY starts_at LIMIT 1`, patientID, now.Add(-12*time.Hour), now.Add(12*time.Hour)).Scan(&appt, &remote, &chaperone)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		id = NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO dosing_sessions (id, patient_id, appointment_id, clinician_id, remote, chaperone, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'gate', $7, $7)`, id, patientID, appt, actor.UserID, remote, chaperone, now); err != nil {
			return err
		}
		e.ObjectType, e.ObjectID = "dosing_session", id
		return nil
	})
	if err != nil && s.d.isUniqueViolation(err) {
		// Someone else opened one at the same moment: that is the session.
		return s.StartDosingSession(ctx, actor, patientID)
	}
	return id, err
}

// DosingSessionFor reads one session of patientID with everything in it,
// and what its gate still needs. Audited.
func (s *Store) DosingSessionFor(ctx context.Context, actor Actor, patientID, id string) (*DosingSession, error) {
	if err := clinicianOnly(actor); err != nil {
		return nil, err
	}
	var out *DosingSession
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "dosing.read", func(tx *Tx, a Access, e *Entry) error {
		var err error
		out, err = s.dosingSession(ctx, tx, patientID, id)
		e.ObjectType, e.ObjectID = "dosing_session", id
		if err == nil && out.Status == clinic.SessionReady {
			err = csDoseChoices(ctx, tx, actor, out)
		}
		if err == nil && out.DoseAt != nil {
			out.REMS, err = remsSession(ctx, tx, out)
		}
		return err
	})
	return out, err
}

// KeepDosingAlive reports whether a session page's keep-alive should keep
// actor's sign-in fresh: actor may see the patient's chart and the session
// is dosed, with the dose less than clinic.KeepAliveHours ago. It reads no
// patient information, so it is not audited.
func (s *Store) KeepDosingAlive(ctx context.Context, actor Actor, patientID, id string) (bool, error) {
	if clinicianOnly(actor) != nil {
		return false, nil
	}
	ok := false
	err := s.read(ctx, func(tx *Tx) error {
		if _, err := s.authorize(ctx, tx, actor, patientID, auth.PermChart); err != nil {
			if clinic.ErrorCode(err) == clinic.ENotFound {
				return nil
			}
			var denied errDenied
			if errors.As(err, &denied) {
				return nil
			}
			return err
		}
		var n int
		err := tx.QueryRow(ctx, `SELECT count(*) FROM dosing_sessions WHERE id = $1 AND patient_id = $2 AND status = 'dosed' AND dose_at > $3`,
			id, patientID, s.now().Add(-clinic.KeepAliveHours*time.Hour)).Scan(&n)
		ok = n == 1
		return err
	})
	return ok, err
}

// DosingSessions lists patientID's sessions, newest first, without their
// vitals and events. Audited.
func (s *Store) DosingSessions(ctx context.Context, actor Actor, patientID string) ([]DosingSession, error) {
	if err := clinicianOnly(actor); err != nil {
		return nil, err
	}
	var out []DosingSession
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "dosing.list", func(tx *Tx, a Access, e *Entry) error {
		var err error
		out, err = queryAll(ctx, tx, scanDosing, dosingSelect+` WHERE d.patient_id = $1 ORDER BY d.created_at DESC LIMIT 100`, patientID)
		return err
	})
	return out, err
}

// DosedAt lists when patientID's completed sessions were dosed, oldest
// first, for the outcome charts' markers, if actor may read the chart
// (auth.PermChart). For pages that have read the patient's measures
// (audited there): a refusal is audited as denied, a read is not audited
// again.
func (s *Store) DosedAt(ctx context.Context, actor Actor, patientID string) ([]time.Time, error) {
	var out []time.Time
	err := s.patientRead(ctx, actor, patientID, auth.PermChart, "dosing.dates", func(tx *Tx, _ Access) error {
		var err error
		out, err = queryAll(ctx, tx, func(r scanner) (t time.Time, err error) {
			err = r.Scan(&t)
			return t.UTC(), err
		}, `SELECT dose_at FROM dosing_sessions WHERE patient_id = $1 AND status = 'discharged' AND dose_at IS NOT NULL ORDER BY dose_at`, patientID)
		return err
	})
	return out, err
}

const dosingSelect = `SELECT d.id, d.patient_id, p.display_name, d.appointment_id, coalesce(u.display_name, ''), d.remote, d.chaperone, d.status, d.created_at,
	d.gate_passed_at, coalesce((SELECT display_name FROM users WHERE id = d.gate_passed_by), ''), d.dose_at, d.dose_amount, d.dose_route, d.dose_lot,
	coalesce((SELECT display_name FROM users WHERE id = d.dosed_by), ''),
	d.discharged_at, coalesce((SELECT display_name FROM users WHERE id = d.discharged_by), ''), d.discharge, d.stopped_at, d.stop_reason,
	d.early_reason, coalesce((SELECT display_name FROM users WHERE id = d.early_reason_by), ''),
	d.dose_prescribed, d.dose_reason, coalesce((SELECT display_name FROM users WHERE id = d.dose_reason_by), '')
	FROM dosing_sessions d JOIN patients p ON p.id = d.patient_id LEFT JOIN users u ON u.id = d.clinician_id`

func scanDosing(r scanner) (d DosingSession, err error) {
	var gate, dose, discharged, stopped sql.NullTime
	var criteria string
	err = r.Scan(&d.ID, &d.PatientID, &d.PatientName, &d.AppointmentID, &d.Clinician, &d.Remote, &d.Chaperone, &d.Status, &d.CreatedAt,
		&gate, &d.GatePassedBy, &dose, &d.DoseAmount, &d.DoseRoute, &d.DoseLot, &d.DosedBy,
		&discharged, &d.DischargedBy, &criteria, &stopped, &d.StopReason,
		&d.EarlyReason, &d.EarlyReasonBy, &d.DosePrescribed, &d.DoseReason, &d.DoseReasonBy)
	d.CreatedAt = d.CreatedAt.UTC()
	d.GatePassedAt, d.DoseAt, d.DischargedAt, d.StoppedAt = utcPtr(gate), utcPtr(dose), utcPtr(discharged), utcPtr(stopped)
	if criteria != "" {
		d.Discharge = strings.Split(criteria, ",")
	}
	return d, err
}

func utcPtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// dosingSession reads session id of patientID inside tx, with its gate
// records, vitals and events, and works out its gate.
func (s *Store) dosingSession(ctx context.Context, tx *Tx, patientID, id string) (*DosingSession, error) {
	d, err := scanDosing(tx.QueryRow(ctx, dosingSelect+` WHERE d.id = $1 AND d.patient_id = $2`, id, patientID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that dosing session.")
	}
	if err != nil {
		return nil, err
	}
	records, err := queryAll(ctx, tx, func(r scanner) (g struct {
		item string
		rec  GateRecord
	}, err error) {
		err = r.Scan(&g.rec.ID, &g.item, &g.rec.Value, &g.rec.Note, &g.rec.ByName, &g.rec.ByRole, &g.rec.At)
		g.rec.At = g.rec.At.UTC()
		return g, err
	}, `SELECT g.id, g.item, g.value, g.note, coalesce(u.display_name, ''), coalesce(u.role, ''), g.recorded_at
		FROM dosing_gate_items g LEFT JOIN users u ON u.id = g.recorded_by WHERE g.session_id = $1 ORDER BY g.recorded_at, g.id`, id)
	if err != nil {
		return nil, err
	}
	d.Items = map[string]GateRecord{}
	for _, g := range records {
		d.Items[g.item] = g.rec
	}
	if d.Vitals, err = queryAll(ctx, tx, scanVitals, `SELECT `+vitalsColumns+`
		FROM dosing_vitals v LEFT JOIN users u ON u.id = v.recorded_by WHERE v.session_id = $1 ORDER BY v.recorded_at, v.id`, id); err != nil {
		return nil, err
	}
	if d.Events, err = queryAll(ctx, tx, func(r scanner) (e DosingEvent, err error) {
		var taken sql.NullTime
		err = r.Scan(&e.ID, &e.ClientID, &e.Kind, &e.Adverse, &e.Severity, &e.Action, &e.Body, &e.ByName, &e.RecordedAt, &taken)
		e.RecordedAt = e.RecordedAt.UTC()
		e.At = e.RecordedAt
		if taken.Valid {
			e.At = taken.Time.UTC()
		}
		return e, err
	}, `SELECT e.id, e.client_id, e.kind, e.adverse, e.severity, e.action, e.body, coalesce(u.display_name, ''), e.recorded_at, e.taken_at
		FROM dosing_events e LEFT JOIN users u ON u.id = e.recorded_by WHERE e.session_id = $1 ORDER BY e.recorded_at, e.id`, id); err != nil {
		return nil, err
	}
	if d.Thresholds, err = thresholdsIn(ctx, tx); err != nil {
		return nil, err
	}
	if d.Status == clinic.SessionDosed && d.DoseAt != nil {
		d.Holds = clinic.ActiveHolds(d.Vitals, *d.DoseAt, d.Thresholds)
	}
	if d.Preparation, err = preparationIn(ctx, tx, patientID); err != nil {
		return nil, err
	}
	if d.Remote {
		if d.ChaperoneLink, err = s.chaperoneLinkIn(ctx, tx, &d); err != nil {
			return nil, err
		}
	}
	if err := s.workOutGate(ctx, tx, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

// workOutGate fills d's medication list and the gate's problems. An
// attested line recorded more than clinic.GateFreshHours ago, or a
// pre-dose reading older than clinic.PreDoseVitalsMinutes, no longer
// counts: the gate is about today, at the moment of the dose.
func (s *Store) workOutGate(ctx context.Context, tx *Tx, d *DosingSession) error {
	previous, err := previousMedications(ctx, tx, d.PatientID, d.ID)
	if err != nil {
		return err
	}
	d.Medications = previous
	if rec, ok := d.Items["medications"]; ok {
		d.Medications = nil
		if json.Unmarshal([]byte(rec.Value), &d.Medications) != nil {
			d.Medications = nil
		}
		d.NewInteracting = screening.NewSince(previous, d.Medications)
	}
	if d.Prescription, err = currentPrescriptionIn(ctx, tx, d.PatientID); err != nil {
		return err
	}
	if d.KAPConsent, err = consentIn(ctx, tx, d.PatientID, clinic.ConsentKAP); err != nil {
		return err
	}
	if d.TouchConsent, err = consentIn(ctx, tx, d.PatientID, clinic.ConsentTouch); err != nil {
		return err
	}
	f := clinic.GateFacts{Status: d.Status, Items: d.Items, PreDose: d.PreDoseVitals(), Thresholds: d.Thresholds}
	if d.Status == clinic.SessionGate || d.Status == clinic.SessionReady {
		if f.ClearanceProblem, err = s.clearanceProblem(ctx, tx, d.PatientID); err != nil {
			return err
		}
		f.ConsentProblem = clinic.ConsentGateProblem(d.KAPConsent.Standing)
	}
	if rx := d.Prescription; rx != nil {
		f.HasPrescription, f.SessionsAuthorised, f.SessionsUsed = true, rx.SessionsAuthorised, rx.SessionsUsed
	}
	for _, m := range d.NewInteracting {
		f.NewInteracting = append(f.NewInteracting, m.Input+" ("+strings.ToLower(m.ClassName)+")")
	}
	d.Problems = clinic.Gate(f, s.now())
	return nil
}

// previousMedications is the patient's medication list before session id:
// the one recorded at their last completed session, else the one in their
// latest sent intake.
func previousMedications(ctx context.Context, tx *Tx, patientID, sessionID string) ([]string, error) {
	var raw string
	err := tx.QueryRow(ctx, `SELECT g.value FROM dosing_gate_items g JOIN dosing_sessions d ON d.id = g.session_id
		WHERE d.patient_id = $1 AND d.id <> $2 AND d.status IN ('dosed', 'discharged') AND g.item = 'medications'
		ORDER BY d.created_at DESC, g.recorded_at DESC LIMIT 1`, patientID, sessionID).Scan(&raw)
	if err == nil {
		var list []string
		if json.Unmarshal([]byte(raw), &list) == nil {
			return list, nil
		}
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	iv, err := latestIntake(ctx, tx, patientID, true)
	if err != nil || iv == nil {
		return nil, err
	}
	var list []string
	for _, m := range iv.Intake.Medications {
		list = append(list, m.Text())
	}
	return list, nil
}

// RecordGate records the gate screen as the clinician left it: each line
// whose value changed, or whose last record has gone stale, is recorded
// with who and when, and pre-dose vitals are kept. Then, if nothing is
// missing, the gate passes and the session is ready for the dose. It
// returns the session as it now stands; its Problems say what the gate
// still needs. A vitals hold can be overridden only by a prescriber, with a
// reason, and the override names the readings on hold it is for
// (clinic.PreDoseHolds); new medication needing review only passes with
// the prescriber's review, and one the intake would exclude only with
// their written reason. Pre-dose readings need blood pressure, pulse and
// SpO₂.
// Audited.
func (s *Store) RecordGate(ctx context.Context, actor Actor, patientID, id string, in GateInput) (*DosingSession, error) {
	if err := clinicianOnly(actor); err != nil {
		return nil, err
	}
	fe := clinic.FieldErrors{}
	in.Override, in.MedsNote, in.Escort = strings.TrimSpace(in.Override), strings.TrimSpace(in.MedsNote), strings.TrimSpace(in.Escort)
	if in.Override != "" && !auth.CanSome(actor.Role, auth.PermPrescriberCall) {
		fe.Add("override", onlyPrescriberOverride)
	}
	if in.PrescriberAck && !auth.CanSome(actor.Role, auth.PermPrescriberCall) {
		fe.Add("meds_prescriber", "Only a prescriber can clear new medication for the session.")
	}
	if in.Pregnancy != "" && in.Pregnancy != clinic.PregnancyNo && in.Pregnancy != clinic.PregnancyNotApplicable {
		fe.Add("pregnancy", "Choose one of the answers.")
	}
	if utf8.RuneCountInString(in.Escort) > 120 || !plainText(in.Escort) {
		fe.Add("escort", "Use at most 120 characters on one line.")
	}
	if utf8.RuneCountInString(in.Override) > 1000 || !clinic.MultiLine(in.Override) {
		fe.Add("override", "Use at most 1,000 characters.")
	}
	if utf8.RuneCountInString(in.MedsNote) > 1000 || !plainText(in.MedsNote) {
		fe.Add("meds_prescriber", "Use at most 1,000 characters, on one line.")
	}
	var meds []string
	if in.MedsGiven {
		for _, line := range in.Medications {
			line = strings.TrimSpace(line)
			if line == "" || screening.SaysNone(line) {
				continue
			}
			if utf8.RuneCountInString(line) > screening.MaxInput || !plainText(line) {
				fe.Add("medications", "Keep each medication to one short line.")
			}
			meds = append(meds, line)
		}
		if len(meds) > clinic.MaxMedications {
			fe.Add("medications", "List at most "+strconv.Itoa(clinic.MaxMedications)+" medications.")
		}
	}
	if in.Vitals != nil {
		in.Vitals.Phase = clinic.PhasePreDose
		for k, v := range checkVitals(in.Vitals) {
			fe.Add(k, v)
		}
	}
	if len(fe) > 0 {
		return nil, fe.Err()
	}
	var out *DosingSession
	err := s.dosingWrite(ctx, actor, patientID, id, "dosing.gate", func(tx *Tx, d *DosingSession, e *Entry) error {
		if d.Status != clinic.SessionGate && d.Status != clinic.SessionReady {
			return clinic.FieldErrors{"gate": "The gate is closed: this session is already " + d.Status + "."}.Err()
		}
		now := s.now()
		insert := func(item, value, note string) error {
			rid := NewID()
			_, err := tx.Exec(ctx, `INSERT INTO dosing_gate_items (id, session_id, item, value, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				rid, id, item, value, note, actor.UserID, now)
			d.Items[item] = GateRecord{ID: rid, Value: value, Note: note, At: now}
			return err
		}
		// A line is recorded again when it changed, or when its last record
		// is too old to count (confirming it again is the point).
		record := func(item, value string) error {
			cur, ok := d.Items[item]
			if !ok && value == "" {
				return nil
			}
			if ok && cur.Value == value && (value == "" || !cur.At.Before(now.Add(-clinic.GateFreshHours*time.Hour))) {
				return nil
			}
			return insert(item, value, "")
		}
		yes := func(b bool) string {
			if b {
				return "yes"
			}
			return ""
		}
		if in.MedsGiven {
			b, _ := json.Marshal(append([]string{}, meds...))
			if err := record("medications", string(b)); err != nil {
				return err
			}
		}
		for _, st := range [][2]string{
			{"fasting", yes(in.Fasting)},
			{"pregnancy", in.Pregnancy},
			{"escort", in.Escort},
			{"escort_ok", yes(in.EscortOK && in.Escort != "")},
			{"meds_reviewed", yes(in.MedsReviewed)},
		} {
			if err := record(st[0], st[1]); err != nil {
				return err
			}
		}
		if in.PrescriberAck { // a review is recorded each time it is given, for the list as it now stands
			// A new medication the intake would exclude (a new
			// benzodiazepine) is cleared only with the prescriber's written
			// reason, as at intake (clearance override).
			previous, err := previousMedications(ctx, tx, patientID, id)
			if err != nil {
				return err
			}
			list := d.Medications
			if in.MedsGiven {
				list = meds
			}
			if in.MedsNote == "" {
				for _, m := range screening.NewSince(previous, list) {
					if m.Level == screening.Exclude {
						return clinic.FieldErrors{"meds_prescriber": m.Input + " (" + strings.ToLower(m.ClassName) + ") is new and would exclude the patient at intake: write your reason for going ahead."}.Err()
					}
				}
			}
			if err := insert("meds_prescriber", "list:"+d.Items["medications"].ID, in.MedsNote); err != nil {
				return err
			}
		}
		if in.Override != "" {
			// The override is for the readings on hold on the screen the
			// prescriber saw: as they stood before this submission.
			holds := clinic.PreDoseHolds(d.PreDoseVitals(), d.Thresholds, now)
			if len(holds) == 0 {
				return clinic.FieldErrors{"override": "There is no vitals hold to override."}.Err()
			}
			var seen []string
			for _, h := range holds {
				if !slices.Contains(seen, h.Reading.Summary()) {
					seen = append(seen, h.Reading.Summary())
				}
			}
			if err := insert("override", clinic.OverrideValue(holds), in.Override); err != nil {
				return err
			}
			if err := s.appendAudit(ctx, tx, actor, Entry{Action: "dosing.override", PatientID: patientID, ObjectType: "dosing_session", ObjectID: id, Detail: "reading=" + strings.Join(seen, "; ")}); err != nil {
				return err
			}
		}
		if in.Vitals != nil {
			if _, err := s.insertVitals(ctx, tx, actor, d, *in.Vitals); err != nil {
				return err
			}
		}
		d, err := s.dosingSession(ctx, tx, patientID, id)
		if err != nil {
			return err
		}
		status := clinic.SessionGate
		if len(d.Problems) == 0 {
			status = clinic.SessionReady
		}
		if status != d.Status {
			if status == clinic.SessionReady {
				// The record keeps which signed consent the gate passed on.
				cur := d.KAPConsent.Current()
				if err := insert("consent", "signature:"+cur.ID, "version "+strconv.Itoa(cur.Version)+", "+cur.Method+", signed "+cur.SignedAt.Format("2006-01-02 15:04 UTC")); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE dosing_sessions SET status = $1, gate_passed_at = $2, gate_passed_by = $3, updated_at = $4 WHERE id = $5 AND status IN ('gate', 'ready')`,
				status, nullTimeIf(status == clinic.SessionReady, now), map[bool]string{true: actor.UserID}[status == clinic.SessionReady], now, id); err != nil {
				return err
			}
			if d, err = s.dosingSession(ctx, tx, patientID, id); err != nil {
				return err
			}
			if status == clinic.SessionReady {
				e.Detail = "passed"
			}
		}
		out = d
		return nil
	})
	return out, err
}

// plainText reports whether s is one line of text (clinic.SingleLine).
func plainText(s string) bool { return clinic.SingleLine(s) }

func nullTimeIf(ok bool, t time.Time) any {
	if !ok {
		return nil
	}
	return t
}

// checkVitals says what is wrong with a set of readings, by field.
func checkVitals(v *Vitals) clinic.FieldErrors {
	fe := clinic.FieldErrors{}
	in := func(p *int, lo, hi int) bool { return p == nil || (*p >= lo && *p <= hi) }
	if v.Phase != clinic.PhaseCheck && (v.Systolic == nil || v.Diastolic == nil) {
		fe.Add("bp", "Enter the blood pressure, like 128/82.")
	}
	if !in(v.Systolic, 60, 260) || !in(v.Diastolic, 30, 160) || (v.Systolic != nil && v.Diastolic != nil && *v.Diastolic >= *v.Systolic) {
		fe.Add("bp", "That blood pressure cannot be right: check it, like 128/82.")
	}
	if v.Phase == clinic.PhasePreDose || v.Phase == clinic.PhasePreDischarge {
		// REFERENCE §3 and §7.3: a pulse oximeter before the dose and
		// before discharge; the gate and discharge judge every measure.
		when := map[string]string{clinic.PhasePreDose: "before the dose", clinic.PhasePreDischarge: "before discharge"}[v.Phase]
		if v.HeartRate == nil {
			fe.Add("heart_rate", "Enter the pulse in beats a minute: it is needed "+when+".")
		}
		if v.SpO2 == nil {
			fe.Add("spo2", "Enter the oxygen saturation (SpO₂ %) from the pulse oximeter: it is needed "+when+".")
		}
	}
	if !in(v.HeartRate, 25, 250) {
		fe.Add("heart_rate", "Enter the heart rate in beats a minute, from 25 to 250.")
	}
	if !in(v.SpO2, 50, 100) {
		fe.Add("spo2", "Enter the oxygen saturation in percent, from 50 to 100.")
	}
	for k, msg := range clinic.CheckSedation(v) {
		fe.Add(k, msg)
	}
	if utf8.RuneCountInString(v.ClientID) > 64 || !plainText(v.ClientID) {
		fe.Add("bp", "This entry cannot be saved; reload the page.")
	}
	return fe
}

// takenAt is when an entry was made, as its device says, if that is
// believable: after the session began and not in the future (a minute of
// clock difference allowed). An entry made while the connection was down
// reaches the server late; it keeps the time it was taken. Otherwise now.
func takenAt(t time.Time, d *DosingSession, now time.Time) time.Time {
	if t.IsZero() || t.Before(d.CreatedAt) || t.After(now.Add(time.Minute)) {
		return now
	}
	return t.UTC().Truncate(time.Microsecond)
}

// insertVitals keeps one set of readings for session d, once per client
// id, and returns its level. Readings after the dose that are out of range
// also go on the timeline as an event.
func (s *Store) insertVitals(ctx context.Context, tx *Tx, actor Actor, d *DosingSession, v Vitals) (string, error) {
	level, findings := clinic.VitalsLevel(v, d.Thresholds)
	v.Level = level
	if v.ClientID == "" {
		v.ClientID = NewID()
	}
	now := s.now()
	at := takenAt(v.At, d, now)
	res, err := tx.Exec(ctx, `INSERT INTO dosing_vitals (id, session_id, client_id, phase, systolic, diastolic, heart_rate, spo2, level, recorded_by, recorded_at, taken_at,
		moaas, dissociation, dissociation_intensity, dissociation_note, resp_depression, resp_signs)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT (session_id, client_id) DO NOTHING`,
		NewID(), d.ID, v.ClientID, v.Phase, v.Systolic, v.Diastolic, v.HeartRate, v.SpO2, v.Level, actor.UserID, now, at,
		v.MOAAS, v.Dissociation, v.DissociationIntensity, v.DissociationNote, v.RespDepression, strings.Join(v.RespSigns, ","))
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n == 0 { // a retry of an entry already kept
		return v.Level, nil
	}
	if v.Level != clinic.VitalsOK && d.Status == clinic.SessionDosed {
		v.At = at
		body := clinic.ReadingLabel(v, d.DoseAt) + ": " + clinic.FindingWords(findings) + "."
		if _, err := tx.Exec(ctx, `INSERT INTO dosing_events (id, session_id, client_id, kind, severity, body, recorded_by, recorded_at, taken_at) VALUES ($1, $2, $3, 'vitals', $4, $5, $6, $7, $8)`,
			NewID(), d.ID, "vitals:"+v.ClientID, map[string]string{clinic.VitalsCaution: "moderate", clinic.VitalsHold: "severe"}[v.Level], body, actor.UserID, now, at); err != nil {
			return "", err
		}
	}
	if err := s.alertSedation(ctx, tx, actor, d, findings); err != nil {
		return "", err
	}
	return v.Level, nil
}

// RecordDose records the dose and starts the session. The gate is checked
// again, on the server, at this moment: the dose is refused while anything
// is missing or stale (a safety alert raised since the gate passed, a
// blood pressure more than an hour old). The dose is an amount and a unit,
// compared with the current prescription's dose per session
// (clinic.DoseDifference): a different dose is recorded only from a
// prescriber, with a written reason, kept with the dose and audited.
// Audited.
func (s *Store) RecordDose(ctx context.Context, actor Actor, patientID, id string, dose Dose) error {
	dose.Amount, dose.Route, dose.Lot, dose.Reason = strings.TrimSpace(dose.Amount), strings.TrimSpace(dose.Route), strings.TrimSpace(dose.Lot), strings.TrimSpace(dose.Reason)
	fe := clinic.FieldErrors{}
	given, ok := clinic.ParseDose(dose.Amount, dose.Unit)
	if !ok {
		fe.Add("amount", "Enter the dose given as a number and choose its unit, like 200 mg.")
	}
	if dose.Reason != "" && !auth.CanSome(actor.Role, auth.PermPrescriberCall) {
		fe.Add("dose_reason", "Only a prescriber can give a reason for a different dose.")
	} else if msg := clinic.CheckReason(dose.Reason, ""); dose.Reason != "" && msg != "" {
		fe.Add("dose_reason", msg)
	}
	if clinic.RouteTitle(dose.Route) == "" {
		fe.Add("route", "Choose how it was given.")
	}
	if utf8.RuneCountInString(dose.Lot) > 60 || !plainText(dose.Lot) {
		fe.Add("lot", "Use at most 60 characters on one line.")
	}
	if len(fe) > 0 {
		return fe.Err()
	}
	err := s.dosingWrite(ctx, actor, patientID, id, "dosing.dose", func(tx *Tx, d *DosingSession, e *Entry) error {
		switch {
		case d.Status == clinic.SessionGate || (d.Status == clinic.SessionReady && len(d.Problems) > 0):
			msg := "The pre-dose gate has not passed: " + firstProblem(d.Problems)
			return &clinic.Error{Code: clinic.EInvalid, Message: msg, Fields: map[string]string{"amount": msg}, Err: errGate}
		case d.Status != clinic.SessionReady:
			return clinic.FieldErrors{"amount": "The dose is already recorded for this session."}.Err()
		}
		now := s.now()
		at := dose.At
		if at.IsZero() {
			at = now
		}
		if at.After(now.Add(5*time.Minute)) || at.Before(d.GatePassedAt.Add(-time.Minute)) {
			return clinic.FieldErrors{"at": "The dose time must be after the gate passed and not in the future."}.Err()
		}
		prescribed, rxRoute := "", ""
		if d.Prescription != nil {
			prescribed, rxRoute = d.Prescription.Dose, d.Prescription.Route
		}
		reason, reasonBy := "", ""
		if diff := clinic.DoseDifference(given, dose.Route, prescribed, rxRoute); diff != "" {
			field := "amount"
			if clinic.DoseDifference(given, rxRoute, prescribed, rxRoute) == "" {
				field = "route" // the amount matches: the route is what differs
			}
			switch {
			case !auth.CanSome(actor.Role, auth.PermPrescriberCall):
				return clinic.FieldErrors{field: diff + " Only the prescriber can give a dose other than the prescribed one (amount or route), with a written reason: ask them, or give it as prescribed."}.Err()
			case dose.Reason == "":
				return clinic.FieldErrors{"dose_reason": diff + " Write your reason for giving it differently from the prescription."}.Err()
			}
			reason, reasonBy = dose.Reason, actor.UserID
			if err := s.appendAudit(ctx, tx, actor, Entry{Action: "dosing.dose_differs", PatientID: patientID, ObjectType: "dosing_session", ObjectID: id,
				Detail: given.String() + " " + dose.Route + " (prescribed " + prescribed + " " + rxRoute + ")"}); err != nil {
				return err
			}
		}
		// The controlled-substance log: the dose is drawn from a lot in
		// this transaction (cslog.go).
		kept, err := csKept(ctx, tx)
		if err != nil {
			return err
		}
		if kept || dose.CSLot != "" {
			if dose.Lot, err = s.csAdminister(ctx, tx, actor, d, dose.CSLot, given, at); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `UPDATE dosing_sessions SET status = 'dosed', dose_at = $1, dose_amount = $2, dose_route = $3, dose_lot = $4, dosed_by = $5, updated_at = $6,
			dose_prescribed = $7, dose_reason = $8, dose_reason_by = $9 WHERE id = $10 AND status = 'ready'`,
			at, given.String(), dose.Route, dose.Lot, actor.UserID, now, clinic.PrescribedWords(prescribed, rxRoute), reason, reasonBy, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.FieldErrors{"amount": "The session changed while you were recording the dose: check it and try again."}.Err()
		}
		e.Detail = dose.Route
		return nil
	})
	return s.auditGate(ctx, actor, patientID, "dose", err)
}

// firstProblem is the gate's first missing item, in the screen's order.
func firstProblem(p map[string]string) string {
	for _, it := range clinic.GateItems {
		if msg, ok := p[it.Key]; ok {
			return msg
		}
	}
	return ""
}

// RecordVitals keeps a set of readings taken during the session (after
// the dose, before discharge, or a check), once per client id, and returns
// its level. Audited.
func (s *Store) RecordVitals(ctx context.Context, actor Actor, patientID, id string, v Vitals) (string, error) {
	if v.Phase != clinic.PhaseAfterDose && v.Phase != clinic.PhasePreDischarge && v.Phase != clinic.PhaseCheck {
		return "", clinic.FieldErrors{"phase": "Choose when these were taken."}.Err()
	}
	if fe := checkVitals(&v); len(fe) > 0 {
		return "", fe.Err()
	}
	var level string
	err := s.dosingWrite(ctx, actor, patientID, id, "dosing.vitals", func(tx *Tx, d *DosingSession, e *Entry) error {
		if d.Status != clinic.SessionDosed {
			return clinic.FieldErrors{"bp": "Vitals during the session are recorded between the dose and discharge."}.Err()
		}
		var err error
		level, err = s.insertVitals(ctx, tx, actor, d, v)
		e.Detail = v.Phase + ":" + level
		return err
	})
	return level, err
}

// RecordDosingEvent puts a note, an adverse event or a chaperone's check
// on the session's timeline, once per client id. Notes can be written
// until discharge; adverse events and checks once the dose is given; an
// adverse event noticed later can still be added to a discharged session.
// Audited.
func (s *Store) RecordDosingEvent(ctx context.Context, actor Actor, patientID, id string, ev DosingEvent) error {
	ev.Body, ev.Action = strings.TrimSpace(ev.Body), strings.TrimSpace(ev.Action)
	fe := clinic.FieldErrors{}
	switch ev.Kind {
	case "note":
		if ev.Body == "" {
			fe.Add("body", "Write the note first.")
		}
		ev.Adverse, ev.Severity, ev.Action = "", "", ""
	case "adverse":
		if clinic.AdverseTitle(ev.Adverse) == "" {
			fe.Add("adverse", "Choose what happened.")
		}
		if !slices.Contains(clinic.Severities, ev.Severity) {
			fe.Add("severity", "Choose how severe it was.")
		}
		if ev.Adverse == "other" && ev.Body == "" {
			fe.Add("body", "Say what happened.")
		}
	case "check":
		ev.Adverse, ev.Severity = "", ""
	default:
		fe.Add("kind", "Choose what to record.")
	}
	if utf8.RuneCountInString(ev.Body) > 2000 || !clinic.MultiLine(ev.Body) {
		fe.Add("body", "Use at most 2,000 characters.")
	}
	if utf8.RuneCountInString(ev.Action) > 500 || !plainText(ev.Action) {
		fe.Add("action", "Use at most 500 characters, on one line.")
	}
	if utf8.RuneCountInString(ev.ClientID) > 64 || !plainText(ev.ClientID) {
		fe.Add("body", "This entry cannot be saved; reload the page.")
	}
	if len(fe) > 0 {
		return fe.Err()
	}
	return s.dosingWrite(ctx, actor, patientID, id, "dosing.event", func(tx *Tx, d *DosingSession, e *Entry) error {
		e.Detail = ev.Kind
		switch {
		case ev.Kind == "adverse" && (d.Status == clinic.SessionDosed || d.Status == clinic.SessionDischarged):
		case ev.Kind == "note" && d.Open():
		case ev.Kind == "check" && d.Status == clinic.SessionDosed:
		default:
			return clinic.FieldErrors{"body": "This can be recorded between the dose and discharge."}.Err()
		}
		if ev.ClientID == "" {
			ev.ClientID = NewID()
		}
		now := s.now()
		_, err := tx.Exec(ctx, `INSERT INTO dosing_events (id, session_id, client_id, kind, adverse, severity, action, body, recorded_by, recorded_at, taken_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (session_id, client_id) DO NOTHING`,
			NewID(), id, ev.ClientID, ev.Kind, ev.Adverse, ev.Severity, ev.Action, ev.Body, actor.UserID, now, takenAt(ev.At, d, now))
		return err
	})
}

// DischargeSession ends a dosed session when clinic.Discharge allows it
// now: every criterion met, the minimum observation time since the dose
// passed, the 40-minute reading taken, a recent reading before discharge,
// no reading at the hold level. earlyReason is a prescriber's written
// reason to discharge before the observation time or without the
// 40-minute reading; it is kept (and audited) only when it was needed, and
// anyone else who gives one is refused. Audited.
func (s *Store) DischargeSession(ctx context.Context, actor Actor, patientID, id string, met []string, earlyReason string) error {
	earlyReason = strings.TrimSpace(earlyReason)
	if earlyReason != "" && !auth.CanSome(actor.Role, auth.PermPrescriberCall) {
		return clinic.FieldErrors{"early_reason": "Only a prescriber can allow an earlier discharge."}.Err()
	}
	if msg := clinic.CheckReason(earlyReason, ""); earlyReason != "" && msg != "" {
		return clinic.FieldErrors{"early_reason": msg}.Err()
	}
	var keys []string
	for _, c := range clinic.DischargeCriteria {
		if slices.Contains(met, c.Key) {
			keys = append(keys, c.Key)
		}
	}
	return s.dosingWrite(ctx, actor, patientID, id, "dosing.discharge", func(tx *Tx, d *DosingSession, e *Entry) error {
		now := s.now()
		f := clinic.DischargeFacts{Status: d.Status, Met: keys, Vitals: d.Vitals, Thresholds: d.Thresholds}
		if d.DoseAt != nil {
			f.DoseAt = *d.DoseAt
		}
		msg := clinic.Discharge(f, now)
		early := false
		if msg != "" && earlyReason != "" {
			f.EarlyReason = true
			if msg = clinic.Discharge(f, now); msg == "" {
				early = true
			}
		}
		if msg != "" {
			return clinic.FieldErrors{"criteria": msg}.Err()
		}
		reason, by := "", ""
		if early {
			reason, by = earlyReason, actor.UserID
			e.Detail = "early:" + strconv.Itoa(clinic.MinutesAfter(f.DoseAt, now)) + "min"
			if err := s.appendAudit(ctx, tx, actor, Entry{Action: "dosing.discharge_early", PatientID: patientID, ObjectType: "dosing_session", ObjectID: id,
				Detail: strconv.Itoa(clinic.MinutesAfter(f.DoseAt, now)) + " min after the dose"}); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `UPDATE dosing_sessions SET status = 'discharged', discharged_at = $1, discharged_by = $2, discharge = $3, early_reason = $4, early_reason_by = $5, updated_at = $1
			WHERE id = $6 AND status = 'dosed'`, now, actor.UserID, strings.Join(keys, ","), reason, by, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.FieldErrors{"criteria": "The session changed while you were discharging: check it and try again."}.Err()
		}
		return nil
	})
}

// StopDosingSession ends a session before the dose, with a reason (the
// gate held, the patient chose not to go ahead). A dosed session left open
// long after the dose (clinic.LateCloseHours) can be closed the same way,
// without the discharge checklist; the record says so. Audited.
func (s *Store) StopDosingSession(ctx context.Context, actor Actor, patientID, id, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 || !plainText(reason) {
		return clinic.FieldErrors{"stop_reason": "Say why, on one line (at most 500 characters)."}.Err()
	}
	return s.dosingWrite(ctx, actor, patientID, id, "dosing.stop", func(tx *Tx, d *DosingSession, e *Entry) error {
		now := s.now()
		switch {
		case d.Status == clinic.SessionGate || d.Status == clinic.SessionReady:
			_, err := tx.Exec(ctx, `UPDATE dosing_sessions SET status = 'stopped', stopped_at = $1, stop_reason = $2, updated_at = $1 WHERE id = $3 AND status IN ('gate', 'ready')`,
				now, reason, id)
			return err
		case d.Status == clinic.SessionDosed && d.DoseAt.Before(now.Add(-clinic.LateCloseHours*time.Hour)):
			e.Action = "dosing.close_late"
			_, err := tx.Exec(ctx, `UPDATE dosing_sessions SET status = 'discharged', discharged_at = $1, discharged_by = $2, discharge = '', stop_reason = $3, updated_at = $1 WHERE id = $4 AND status = 'dosed'`,
				now, actor.UserID, reason, id)
			return err
		case d.Status == clinic.SessionDosed:
			return clinic.FieldErrors{"stop_reason": "A dosed session ends with discharge. (One left open can be closed without it " + strconv.Itoa(clinic.LateCloseHours) + " hours after the dose.)"}.Err()
		}
		return clinic.FieldErrors{"stop_reason": "This session has already ended."}.Err()
	})
}

// vitalsColumns are the columns scanVitals reads, of dosing_vitals v
// LEFT JOIN users u (who recorded them).
const vitalsColumns = `v.id, v.client_id, v.phase, v.systolic, v.diastolic, v.heart_rate, v.spo2, v.level, coalesce(u.display_name, ''), v.recorded_at, v.taken_at,
	v.moaas, v.dissociation, v.dissociation_intensity, v.dissociation_note, v.resp_depression, v.resp_signs`

func scanVitals(r scanner) (v Vitals, err error) {
	var sys, dia, hr, spo2, moaas, intensity sql.NullInt64
	var dissociation, resp sql.NullBool
	var signs string
	var taken sql.NullTime
	err = r.Scan(&v.ID, &v.ClientID, &v.Phase, &sys, &dia, &hr, &spo2, &v.Level, &v.ByName, &v.RecordedAt, &taken,
		&moaas, &dissociation, &intensity, &v.DissociationNote, &resp, &signs)
	v.Systolic, v.Diastolic, v.HeartRate, v.SpO2 = intPtr(sys), intPtr(dia), intPtr(hr), intPtr(spo2)
	v.MOAAS, v.DissociationIntensity = intPtr(moaas), intPtr(intensity)
	v.Dissociation, v.RespDepression = boolPtr(dissociation), boolPtr(resp)
	if signs != "" {
		v.RespSigns = strings.Split(signs, ",")
	}
	v.RecordedAt = v.RecordedAt.UTC()
	v.At = v.RecordedAt
	if taken.Valid {
		v.At = taken.Time.UTC()
	}
	return v, err
}
