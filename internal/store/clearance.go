package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/screening"
)

// Clearance decisions.
const (
	Cleared          = "cleared"
	NotCleared       = "not_cleared"
	NeedsInformation = "needs_information"
)

// Decisions lists the clearance decisions in display order.
var Decisions = []string{Cleared, NeedsInformation, NotCleared}

// Clearance is a prescriber's medical clearance decision.
type Clearance struct {
	Decision      string
	Reason        string
	Prescriber    string
	At            time.Time
	IntakeVersion int64
	Overrides     map[string]string // flag key -> written reason
	// Status compares the intake the decision was made on with the intake
	// as sent since (clinic.ClearanceCurrent); filled on the chart.
	Status clinic.ClearanceStatus
}

// FlagKey names one flag stably across recomputations: its rule and what
// triggered it.
func FlagKey(f screening.Flag) string {
	h := sha256.Sum256([]byte(f.Detail))
	return f.Rule + "." + hex.EncodeToString(h[:4])
}

// ScreeningInput builds the engine's input from a patient's details and intake.
func ScreeningInput(p *Patient, in *clinic.Intake, now time.Time) screening.Input {
	si := screening.Input{Age: p.Age(now), Yes: map[string]bool{}, Unsure: map[string]bool{}, Answered: map[string]bool{}}
	if in == nil {
		return si
	}
	for id, v := range in.Answers {
		switch v {
		case "yes":
			si.Yes[id] = true
		case "unsure":
			si.Unsure[id] = true
		}
		if v != "" {
			si.Answered[id] = true
		}
	}
	for _, m := range in.Medications {
		si.Medications = append(si.Medications, m.Text())
	}
	return si
}

// QuestionIDs lists the intake's question ids.
func QuestionIDs() []string {
	var ids []string
	for _, q := range screening.Questions() {
		ids = append(ids, q.ID)
	}
	return ids
}

// flagsFor screens patientID's latest submitted intake inside tx. It
// returns the intake (nil when none was submitted) and its flags.
func (s *Store) flagsFor(ctx context.Context, tx *Tx, patientID string) (*IntakeVersion, []screening.Flag, error) {
	p, err := scanPatient(tx.QueryRow(ctx, `SELECT `+patientColumns+` FROM patients p WHERE p.id = $1`, patientID))
	if err != nil {
		return nil, nil, err
	}
	return s.flagsOf(ctx, tx, p)
}

// flagsOf is flagsFor of patient p, already read in tx.
func (s *Store) flagsOf(ctx context.Context, tx *Tx, p *Patient) (*IntakeVersion, []screening.Flag, error) {
	iv, err := latestIntake(ctx, tx, p.ID, true)
	if err != nil || iv == nil {
		return iv, nil, err
	}
	return iv, screening.Screen(ScreeningInput(p, &iv.Intake, s.now())), nil
}

// RecordClearance records a prescriber's decision on patientID against the
// flags of the latest submitted intake, computed here, not taken from the
// form. Clearing a patient with an exclude flag needs a written override
// reason for each such flag (overrides, by FlagKey). Only a prescriber on
// the care team may. Audited, with one row per override.
func (s *Store) RecordClearance(ctx context.Context, actor Actor, patientID, decision, reason string, overrides map[string]string) error {
	if !auth.CanSome(actor.Role, auth.PermClearance) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	fe := clinic.FieldErrors{}
	known := false
	for _, d := range Decisions {
		known = known || decision == d
	}
	if !known {
		fe.Add("decision", "Choose cleared, needs information, or not cleared.")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		fe.Add("reason", "Give the reason for this decision.")
	} else if utf8.RuneCountInString(reason) > 4000 {
		fe.Add("reason", "Use at most 4000 characters.")
	}
	clinic.CheckText(fe, "reason", reason)
	return s.patientAccess(ctx, actor, patientID, auth.PermClearance, "clearance.record", func(tx *Tx, a Access, e *Entry) error {
		iv, flags, err := s.flagsFor(ctx, tx, patientID)
		if err != nil {
			return err
		}
		if iv == nil {
			fe.Add("decision", "The patient has not submitted an intake yet, so there is nothing to clear.")
		}
		kept := map[string]string{}
		for _, f := range flags {
			if f.Level != screening.Exclude {
				continue
			}
			k := FlagKey(f)
			why := strings.TrimSpace(overrides[k])
			if decision == Cleared && why == "" {
				fe.Add("override_"+k, "To clear this patient, write why this exclusion does not apply or is managed.")
			} else if utf8.RuneCountInString(why) > 2000 {
				fe.Add("override_"+k, "Use at most 2000 characters.")
			}
			clinic.CheckText(fe, "override_"+k, why)
			if why != "" && decision == Cleared {
				kept[k] = why
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		id := NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO clearances (id, patient_id, decision, reason, intake_version, prescriber_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id, patientID, decision, reason, iv.Version, actor.UserID, s.now()); err != nil {
			return err
		}
		for k, why := range kept {
			if _, err := tx.Exec(ctx, `INSERT INTO flag_overrides (clearance_id, flag_key, reason) VALUES ($1, $2, $3)`, id, k, why); err != nil {
				return err
			}
			if err := s.appendAudit(ctx, tx, actor, Entry{Action: "clearance.override", PatientID: patientID, ObjectType: "clearance", ObjectID: id, Detail: "flag=" + k}); err != nil {
				return err
			}
		}
		e.ObjectType, e.ObjectID, e.Detail = "clearance", id, decision
		return nil
	})
}

// latestClearance reads patientID's newest clearance decision, or nil.
func latestClearance(ctx context.Context, tx *Tx, patientID string) (*Clearance, error) {
	var c Clearance
	var id string
	err := tx.QueryRow(ctx, `SELECT c.id, c.decision, c.reason, c.intake_version, coalesce(u.display_name, ''), c.created_at
		FROM clearances c LEFT JOIN users u ON u.id = c.prescriber_id WHERE c.patient_id = $1 ORDER BY c.created_at DESC, c.id DESC LIMIT 1`, patientID).
		Scan(&id, &c.Decision, &c.Reason, &c.IntakeVersion, &c.Prescriber, &c.At)
	if err != nil {
		return nil, noRows(err)
	}
	c.At = c.At.UTC()
	c.Overrides, err = queryMap(ctx, tx, func(row scanner) (k, why string, err error) {
		err = row.Scan(&k, &why)
		return k, why, err
	}, `SELECT flag_key, reason FROM flag_overrides WHERE clearance_id = $1`, id)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// clearanceProblem says why patientID may not go on to preparation or
// dosing now, or "" when they may: the latest clearance must be "cleared",
// and still current on the latest submitted intake (clinic.ClearanceCurrent:
// an intake sent since that changes an answer, a medication, allergies or
// history notes makes it out of date until the prescriber clears again; a
// re-save that changes none of these does not), with a written override for every
// exclude flag the patient has now (flags are recomputed, so a change of
// date of birth or of the rules counts); the therapist's latest evaluation
// must recommend KAP; and no safety alert may be open.
func (s *Store) clearanceProblem(ctx context.Context, tx *Tx, patientID string) (string, error) {
	problem, _, err := s.clearanceGate(ctx, tx, patientID)
	return problem, err
}

// clearanceGate is clearanceProblem, and reports too whether the problem is
// a clearance the intake has moved past (the chart then spells out the
// changes under the clearance).
func (s *Store) clearanceGate(ctx context.Context, tx *Tx, patientID string) (string, bool, error) {
	return s.clearanceGateOf(ctx, tx, patientID, nil)
}

// gateReads is what the chart has read already in its transaction, so the
// gate need not read it again (FindChart): the latest evaluation and
// clearance (with its Status), and the latest submitted intake's flags.
type gateReads struct {
	evaluation *Evaluation
	clearance  *Clearance
	screened   *IntakeVersion
	flags      []screening.Flag
}

// clearanceGateOf is clearanceGate, reading only what known (nil: nothing)
// does not hold.
func (s *Store) clearanceGateOf(ctx context.Context, tx *Tx, patientID string, known *gateReads) (string, bool, error) {
	var open int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM safety_alerts WHERE patient_id = $1 AND acknowledged_at IS NULL`, patientID).Scan(&open); err != nil {
		return "", false, err
	}
	if open > 0 {
		return "A safety alert is open for this patient: a clinician must acknowledge it first.", false, nil
	}
	var ev *Evaluation
	var err error
	if known != nil {
		ev = known.evaluation
	} else if ev, err = latestEvaluation(ctx, tx, patientID); err != nil {
		return "", false, err
	}
	if ev == nil || ev.Recommendation != "suitable" {
		return "The therapist's evaluation does not yet recommend KAP.", false, nil
	}
	var c *Clearance
	if known != nil {
		c = known.clearance
	} else if c, err = latestClearance(ctx, tx, patientID); err != nil {
		return "", false, err
	}
	if c == nil || c.Decision != Cleared {
		return "The prescriber has not cleared this patient for ketamine yet.", false, nil
	}
	var iv *IntakeVersion
	var flags []screening.Flag
	if known != nil {
		iv, flags = known.screened, known.flags
	} else if iv, flags, err = s.flagsFor(ctx, tx, patientID); err != nil {
		return "", false, err
	}
	if iv == nil {
		return "The intake changed after the prescriber's clearance; the prescriber must review it again.", false, nil
	}
	if iv.Version != c.IntakeVersion {
		st := c.Status // read by the chart with the clearance
		if known == nil {
			if st, err = clearanceStatus(ctx, tx, patientID, c); err != nil {
				return "", false, err
			}
		}
		if !st.Current {
			return outOfDate(st, practiceLocation(ctx, tx)), true, nil
		}
	}
	for _, f := range flags {
		if f.Level == screening.Exclude {
			if _, ok := c.Overrides[FlagKey(f)]; !ok {
				return "A new exclusion appeared after the prescriber's clearance (" + f.Reason + "); the prescriber must review it again.", false, nil
			}
		}
	}
	return "", false, nil
}

// outOfDate is the gate's words for a clearance the intake has moved past,
// with the changes' times in loc.
func outOfDate(st clinic.ClearanceStatus, loc *time.Location) string {
	return "Clearance out of date: the intake changed after the prescriber's clearance: " + st.Describe(loc) + ". The prescriber must review the changes and clear the patient again."
}

// practiceLocation is the practice's time zone (UTC when unset or unknown).
func practiceLocation(ctx context.Context, tx *Tx) *time.Location {
	name, err := settingIn(ctx, tx, settingZone, "")
	if err != nil || name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// questionWords maps each intake question's id to its words, for
// describing a changed answer.
var questionWords = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for _, q := range screening.Questions() {
		out[q.ID] = q.Text
	}
	return out
})

// clearanceStatus compares the intake c was made on with the intake
// versions patientID has sent since (clinic.ClearanceCurrent).
func clearanceStatus(ctx context.Context, tx *Tx, patientID string, c *Clearance) (clinic.ClearanceStatus, error) {
	sent, err := queryAll(ctx, tx, func(row scanner) (in sentIntake, err error) {
		err = row.Scan(&in.version, &in.body, &in.at)
		return in, err
	}, `SELECT version, body, created_at FROM intakes
		WHERE patient_id = $1 AND version >= $2 AND (submitted OR version = $2) ORDER BY version`, patientID, c.IntakeVersion)
	if err != nil {
		return clinic.ClearanceStatus{}, err
	}
	var cs clearanceSince
	for _, in := range sent {
		if err := cs.add(c.IntakeVersion, in.version, in.body, in.at); err != nil {
			return clinic.ClearanceStatus{}, err
		}
	}
	return cs.status(), nil
}

// sentIntake is one intake version read to compare with a clearance.
type sentIntake struct {
	version int64
	body    string
	at      time.Time
}

// clearanceSince gathers, for one clearance, the intake it was made on and
// the versions sent since.
type clearanceSince struct {
	basis clinic.Intake
	later []clinic.SentIntake
}

// add takes one intake version (body as stored) into cs: the basis when it
// is the cleared version, else a later one.
func (cs *clearanceSince) add(cleared, version int64, body string, at time.Time) error {
	var in clinic.Intake
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		return err
	}
	if version == cleared {
		cs.basis = in
		return nil
	}
	cs.later = append(cs.later, clinic.SentIntake{Version: version, Intake: in, At: at.UTC()})
	return nil
}

func (cs *clearanceSince) status() clinic.ClearanceStatus {
	return clinic.ClearanceCurrent(cs.basis, cs.later, questionWords())
}

// OutOfDateClearances returns, for the patients on actor's care teams whose
// latest decision is "cleared", those whose clearance the intake has moved
// past (clinic.ClearanceCurrent), by patient id, for the caseload's badge.
// One query for the whole caseload: only clearances with an intake sent
// since are read. Empty for anyone but a therapist or prescriber.
func (s *Store) OutOfDateClearances(ctx context.Context, actor Actor) (map[string]clinic.ClearanceStatus, error) {
	return s.outOfDateClearances(ctx, actor, nil)
}

// OutOfDateClearancesOf is OutOfDateClearances for the patients
// patientIDs only (a caseload page's rows), so a page reads its own rows'
// clearances and intakes and not the whole caseload's: one statement per
// MaxCaseloadBatch patients, none for none.
func (s *Store) OutOfDateClearancesOf(ctx context.Context, actor Actor, patientIDs []string) (map[string]clinic.ClearanceStatus, error) {
	if len(patientIDs) == 0 {
		return map[string]clinic.ClearanceStatus{}, nil
	}
	return s.outOfDateClearances(ctx, actor, patientIDs)
}

// outOfDateClearances is OutOfDateClearances of patientIDs, or of the
// whole caseload when patientIDs is nil.
func (s *Store) outOfDateClearances(ctx context.Context, actor Actor, patientIDs []string) (map[string]clinic.ClearanceStatus, error) {
	out := map[string]clinic.ClearanceStatus{}
	if !actor.may(auth.PermCaseload) {
		return out, nil
	}
	batches := [][]string{nil}
	if patientIDs != nil {
		batches = slices.Collect(slices.Chunk(patientIDs, MaxCaseloadBatch))
	}
	err := s.read(ctx, func(tx *Tx) error {
		for _, ids := range batches {
			type clearedIntake struct {
				patientID string
				cleared   int64
				sentIntake
			}
			args, only := []any{actor.UserID}, ""
			if ids != nil {
				ph := make([]string, len(ids))
				for i, id := range ids {
					args = append(args, id)
					ph[i] = "$" + strconv.Itoa(len(args))
				}
				only = `AND c.patient_id IN (` + strings.Join(ph, ", ") + `)`
			}
			sent, err := queryAll(ctx, tx, func(row scanner) (in clearedIntake, err error) {
				err = row.Scan(&in.patientID, &in.cleared, &in.version, &in.body, &in.at)
				return in, err
			}, `SELECT c.patient_id, c.intake_version, i.version, i.body, i.created_at
			FROM clearances c
			JOIN care_team t ON t.patient_id = c.patient_id AND t.user_id = $1 AND t.removed_at IS NULL
			JOIN patients p ON p.id = c.patient_id AND p.archived_at IS NULL
			JOIN intakes i ON i.patient_id = c.patient_id AND i.version >= c.intake_version AND (i.submitted OR i.version = c.intake_version)
			WHERE c.decision = 'cleared'
			  AND NOT EXISTS (SELECT 1 FROM clearances n WHERE n.patient_id = c.patient_id
			      AND (n.created_at > c.created_at OR (n.created_at = c.created_at AND n.id > c.id)))
			  AND EXISTS (SELECT 1 FROM intakes l WHERE l.patient_id = c.patient_id AND l.submitted AND l.version > c.intake_version)
			`+only+`
			ORDER BY c.patient_id, i.version`, args...)
			if err != nil {
				return err
			}
			since := map[string]*clearanceSince{}
			for _, in := range sent {
				cs := since[in.patientID]
				if cs == nil {
					cs = &clearanceSince{}
					since[in.patientID] = cs
				}
				if err := cs.add(in.cleared, in.version, in.body, in.at); err != nil {
					return err
				}
			}
			for id, cs := range since {
				if st := cs.status(); !st.Current {
					out[id] = st
				}
			}
		}
		return nil
	})
	return out, err
}

// requireClearance returns nil when patientID may go on to preparation or
// dosing (see clearanceProblem), and otherwise an EInvalid error saying
// why. It is the gate, checked in the store whatever a page showed.
func (s *Store) requireClearance(ctx context.Context, tx *Tx, patientID string) error {
	msg, err := s.clearanceProblem(ctx, tx, patientID)
	if err != nil {
		return err
	}
	if msg != "" {
		return &clinic.Error{Code: clinic.EInvalid, Message: msg, Err: errGate}
	}
	return nil
}

// errGate marks a refusal by the clearance gate, so it can be audited.
var errGate = errors.New("clearance gate")

// auditGate records a refusal by the clearance gate (what was tried is in
// what). The refused change itself was rolled back.
func (s *Store) auditGate(ctx context.Context, actor Actor, patientID, what string, err error) error {
	if errors.Is(err, errGate) {
		if aerr := s.Audit(ctx, actor, Entry{Action: "gate.refused", Outcome: OutcomeDenied, PatientID: patientID, ObjectType: "patient", ObjectID: patientID, Detail: what}); aerr != nil {
			return aerr
		}
	}
	return err
}

// Chart is everything the chart page shows a clinician about one patient.
type Chart struct {
	Patient      *Patient
	Access       Access
	Intake       *IntakeVersion // the newest version, draft or submitted (nil: none)
	Screened     *IntakeVersion // the newest submitted version the flags come from
	Flags        []screening.Flag
	Evaluation   *Evaluation
	Clearance    *Clearance
	ClearanceNow bool   // the patient may go on to preparation and dosing
	GateProblem  string // why not, when not
	// ClearanceOutOfDate says the gate holds because the intake changed
	// after the prescriber's clearance (GateProblem then says what changed).
	ClearanceOutOfDate bool
	Timeline           []StageChange
	Consult            []ConsultMessage
	// Appointments are the booked ones (not cancelled), oldest first: every
	// one still waiting for an outcome and the latest ChartAppointmentWindow
	// with one (all of them with ChartOptions.AllAppointments).
	Appointments []Appointment
	// OlderAppointments counts the earlier ones with an outcome not read.
	OlderAppointments int
	// DosingAppointments are the start times of every booked dosing
	// appointment not recorded as a no-show, oldest first, in the window or
	// not: where the score charts mark a dosing day (a course has a handful).
	DosingAppointments []time.Time
	Alerts             []SafetyAlert
	// Overrides holds, by FlagKey, the newest written override of each
	// exclude flag the prescriber has overridden at a clearance.
	Overrides map[string]FlagOverride
}

// FlagOverride is a prescriber's written override of one exclude flag, as
// recorded with a clearance decision.
type FlagOverride struct {
	Reason     string
	Prescriber string
	At         time.Time
	Decision   string // the decision it was written with
	Current    bool   // written with the newest clearance decision
}

// OverrideOf is the newest override of flag f, or nil when it has none.
func (c *Chart) OverrideOf(f screening.Flag) *FlagOverride {
	if o, ok := c.Overrides[FlagKey(f)]; ok {
		return &o
	}
	return nil
}

// flagOverrides reads every override written for patientID, newest per
// flag key; those of the newest clearance (latestID) are marked Current.
func flagOverrides(ctx context.Context, tx *Tx, patientID string) (map[string]FlagOverride, error) {
	rows, err := tx.Query(ctx, `SELECT o.flag_key, o.reason, c.id, c.decision, c.created_at, coalesce(u.display_name, '')
		FROM flag_overrides o JOIN clearances c ON c.id = o.clearance_id LEFT JOIN users u ON u.id = c.prescriber_id
		WHERE c.patient_id = $1 ORDER BY c.created_at, c.id`, patientID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]FlagOverride{}
	ids := map[string]string{}
	for rows.Next() {
		var k, id string
		var o FlagOverride
		if err := rows.Scan(&k, &o.Reason, &id, &o.Decision, &o.At, &o.Prescriber); err != nil {
			return nil, err
		}
		o.At = o.At.UTC()
		out[k], ids[k] = o, id
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var latest string
	if err := tx.QueryRow(ctx, `SELECT id FROM clearances WHERE patient_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, patientID).Scan(&latest); err != nil {
		if err := noRows(err); err != nil {
			return nil, err
		}
	}
	for k, o := range out {
		o.Current = ids[k] == latest
		out[k] = o
	}
	return out, nil
}

// ChartAppointmentWindow is how many appointments with an outcome the
// chart reads and lists, the latest, beside every one still waiting for
// an outcome: a patient seen weekly for years has hundreds.
const ChartAppointmentWindow = 10

// ChartOptions are the chart's choices of what to read.
type ChartOptions struct {
	AllAppointments bool // every appointment, not the latest window
	// NoConsult leaves the consult thread out (Chart.Consult nil): nothing
	// is marked read, for a read that is not the chart page (the FHIR API's
	// $everything, a download).
	NoConsult bool
}

// FindChart reads patientID's chart, if actor may read clinical content
// (auth.PermChart), in one transaction audited as chart.read. Reading it
// marks the consult thread read for actor, unless o.NoConsult.
func (s *Store) FindChart(ctx context.Context, actor Actor, patientID string, o ChartOptions) (*Chart, error) {
	c := &Chart{}
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "chart.read", func(tx *Tx, a Access, e *Entry) error {
		var err error
		c.Access = a
		if c.Patient, err = scanPatient(tx.QueryRow(ctx, `SELECT `+patientColumns+` FROM patients p WHERE p.id = $1`, patientID)); err != nil {
			return err
		}
		if c.Intake, err = latestIntake(ctx, tx, patientID, false); err != nil {
			return err
		}
		if c.Screened, c.Flags, err = s.flagsOf(ctx, tx, c.Patient); err != nil {
			return err
		}
		if c.Evaluation, err = latestEvaluation(ctx, tx, patientID); err != nil {
			return err
		}
		if c.Clearance, err = latestClearance(ctx, tx, patientID); err != nil {
			return err
		}
		if c.Overrides, err = flagOverrides(ctx, tx, patientID); err != nil {
			return err
		}
		if c.Clearance != nil {
			if c.Clearance.Status, err = clearanceStatus(ctx, tx, patientID, c.Clearance); err != nil {
				return err
			}
		}
		// The gate, from what was read above (the same transaction).
		known := &gateReads{evaluation: c.Evaluation, clearance: c.Clearance, screened: c.Screened, flags: c.Flags}
		if c.GateProblem, c.ClearanceOutOfDate, err = s.clearanceGateOf(ctx, tx, patientID, known); err != nil {
			return err
		}
		c.ClearanceNow = c.GateProblem == ""
		if o.AllAppointments {
			c.Appointments, err = appointments(ctx, tx, patientID)
		} else {
			c.Appointments, c.OlderAppointments, err = appointmentWindow(ctx, tx, patientID, ChartAppointmentWindow)
		}
		if err != nil {
			return err
		}
		if c.DosingAppointments, err = dosingAppointments(ctx, tx, patientID); err != nil {
			return err
		}
		if c.Alerts, err = patientAlerts(ctx, tx, patientID); err != nil {
			return err
		}
		if a.Can(auth.PermClinicalRead) && !o.NoConsult {
			if c.Consult, err = s.consultThread(ctx, tx, patientID, actor.UserID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.Timeline, err = s.Timeline(ctx, actor, patientID)
	return c, err
}
