package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/screening"
)

// The FHIR API's reads of the rest of a patient's record (issue 19): the
// rows that grow with time (appointments, dosing sessions, signed notes) a
// page at a time by key, filtered in SQL; the screening part of the chart
// without the chart's other reads; and which patient a row belongs to, so
// a read by id can open a view of that patient.

// Kinds of row FHIROwner finds the patient of.
const (
	OwnerAppointment  = "appointment"
	OwnerSession      = "dosing_session"
	OwnerNote         = "note"
	OwnerSignature    = "consent_signature"
	OwnerAlert        = "safety_alert"
	OwnerPrescription = "prescription"
)

var ownerQuery = map[string]string{
	OwnerAppointment:  `SELECT patient_id FROM appointments WHERE id = $1 AND cancelled_at IS NULL`,
	OwnerSession:      `SELECT patient_id FROM dosing_sessions WHERE id = $1`,
	OwnerNote:         `SELECT patient_id FROM notes WHERE id = $1`,
	OwnerSignature:    `SELECT patient_id FROM consent_signatures WHERE id = $1`,
	OwnerAlert:        `SELECT patient_id FROM safety_alerts WHERE id = $1`,
	OwnerPrescription: `SELECT patient_id FROM prescriptions WHERE id = $1`,
}

// FHIROwner returns the id of the patient whose row of kind id is, or
// ENotFound. It reads no record and decides nothing: the caller then
// reads the row through a view of that patient, where the one policy
// decides (a refusal is ENotFound too, so the two answers are one).
func (s *Store) FHIROwner(ctx context.Context, kind, id string) (string, error) {
	q, ok := ownerQuery[kind]
	notFound := clinic.Errorf(clinic.ENotFound, "We could not find that resource.")
	if !ok {
		return "", notFound
	}
	var pid string
	err := s.read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, q, id).Scan(&pid) })
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound
	}
	return pid, err
}

// FHIRFilter says which of a patient's rows of one list to read.
type FHIRFilter struct {
	PatientID string
	ID        string     // only this row ("" for all)
	When      []TimeCond // on the list's time; each must hold
	Outcomes  []string   // appointments: only these outcomes ("" waiting); nil for all
	Desc      bool       // newest first
}

// timeWhere is f.When as SQL conditions on col, its arguments appended to
// ks.Args.
func (f FHIRFilter) scope(ks *keyset, idCol, col string) {
	arg := func(v any) string {
		ks.Args = append(ks.Args, v)
		return fmt.Sprintf("$%d", len(ks.Args))
	}
	if f.ID != "" {
		ks.Scope += " AND " + idCol + " = " + arg(f.ID)
	}
	for _, c := range f.When {
		var conds []string
		if c.From != nil {
			conds = append(conds, col+" >= "+arg(c.From.UTC()))
		}
		if c.To != nil {
			conds = append(conds, col+" < "+arg(c.To.UTC()))
		}
		if len(conds) == 0 {
			continue
		}
		cond := "(" + strings.Join(conds, " AND ") + ")"
		if c.Not {
			cond = "NOT " + cond
		}
		ks.Scope += " AND " + cond
	}
	ks.Desc = f.Desc
}

// FHIRAppointments reads one page of f.PatientID's booked appointments
// (not cancelled), by start time, for whoever may read the chart (the
// patient, the care team). Audited as appointments.read (within an open
// view, named in its one row).
func (s *Store) FHIRAppointments(ctx context.Context, actor Actor, f FHIRFilter, k PageKey) (*Page[Appointment], error) {
	var out *Page[Appointment]
	err := s.viewAccess(ctx, actor, f.PatientID, auth.PermChart, "appointments.read", func(tx *Tx, _ Access, e *Entry) error {
		e.Detail = "fhir"
		ks := keyset{Scope: appointmentFrom + ` WHERE a.patient_id = $1 AND a.cancelled_at IS NULL`, Args: []any{f.PatientID},
			Table: "appointments", Alias: "a", Order: []string{"starts_at", "id"}}
		if f.Outcomes != nil {
			in := make([]string, len(f.Outcomes))
			for i, o := range f.Outcomes {
				ks.Args = append(ks.Args, o)
				in[i] = fmt.Sprintf("$%d", len(ks.Args))
			}
			if len(in) == 0 {
				in = []string{"NULL"}
			}
			ks.Scope += ` AND a.outcome IN (` + strings.Join(in, ", ") + `)`
		}
		f.scope(&ks, "a.id", "a.starts_at")
		var err error
		out, err = readPage(ctx, tx, ks, appointmentColumns, k, scanAppointment, func(a Appointment) string { return a.ID })
		return err
	})
	return out, err
}

// dosingCols and dosingFrom are dosingSelect's columns and FROM.
var dosingCols, dosingFrom = func() (string, string) {
	i := strings.Index(dosingSelect, "FROM dosing_sessions d")
	return strings.TrimPrefix(dosingSelect[:i], "SELECT "), " " + dosingSelect[i:]
}()

// FHIRSessions reads one page of f.PatientID's dosing sessions by when
// they were opened, for a clinician who may read the chart (nobody else
// reads a dosing record: ENotFound). Audited as dosing.list.
func (s *Store) FHIRSessions(ctx context.Context, actor Actor, f FHIRFilter, k PageKey) (*Page[DosingSession], error) {
	if err := clinicianOnly(actor); err != nil {
		return nil, err
	}
	var out *Page[DosingSession]
	err := s.viewAccess(ctx, actor, f.PatientID, auth.PermChart, "dosing.list", func(tx *Tx, _ Access, e *Entry) error {
		e.Detail = "fhir"
		ks := keyset{Scope: dosingFrom + ` WHERE d.patient_id = $1`, Args: []any{f.PatientID},
			Table: "dosing_sessions", Alias: "d", Order: []string{"created_at", "id"}}
		f.scope(&ks, "d.id", "d.created_at")
		var err error
		out, err = readPage(ctx, tx, ks, dosingCols, k, scanDosing, func(d DosingSession) string { return d.ID })
		return err
	})
	return out, err
}

// SignedNote is a signed note (signed, or signed and awaiting its
// co-signature) with the dosing session of its appointment, if any.
type SignedNote struct {
	Note      *Note
	SessionID string
}

// FHIRNotes reads one page of f.PatientID's signed notes (drafts are not
// part of the record yet) by when they were signed, with their addenda,
// for a clinician who may read the patient's notes (anyone else:
// ENotFound). Psychotherapy notes are another table, never read here.
// Audited as note.list.
func (s *Store) FHIRNotes(ctx context.Context, actor Actor, f FHIRFilter, k PageKey) (*Page[SignedNote], error) {
	var out *Page[SignedNote]
	err := s.noteRead(ctx, actor, f.PatientID, auth.PermNoteRead, "note.list", func(tx *Tx, e *Entry) error {
		e.Detail = "fhir"
		ks := keyset{Scope: ` FROM notes n JOIN appointments a ON a.id = n.appointment_id
			WHERE n.patient_id = $1 AND a.patient_id = $1 AND a.cancelled_at IS NULL AND n.status IN ('signed', 'awaiting_cosign') AND n.signed_at IS NOT NULL`,
			Args: []any{f.PatientID}, Table: "notes", Alias: "n", Order: []string{"signed_at", "id"}}
		f.scope(&ks, "n.id", "n.signed_at")
		type key struct{ id, appointment, session string }
		page, err := readPage(ctx, tx, ks, `n.id, n.appointment_id, coalesce((SELECT d.id FROM dosing_sessions d
			WHERE d.patient_id = $1 AND d.appointment_id = n.appointment_id ORDER BY d.created_at DESC, d.id DESC LIMIT 1), '')`, k,
			func(r scanner) (kk key, err error) {
				err = r.Scan(&kk.id, &kk.appointment, &kk.session)
				return kk, err
			}, func(kk key) string { return kk.id })
		if err != nil {
			return err
		}
		out = &Page[SignedNote]{Total: page.Total, Next: page.Next, Prev: page.Prev}
		for _, kk := range page.Rows {
			n, err := noteIn(ctx, tx, f.PatientID, kk.appointment, false)
			if err != nil {
				return err
			}
			out.Rows = append(out.Rows, SignedNote{Note: n, SessionID: kk.session})
		}
		return nil
	})
	return out, err
}

// Screening is the screening part of a patient's chart: the newest
// submitted intake, the flags the screening rules raise on it, and the
// safety alerts (the latest 20, as the chart shows them).
type Screening struct {
	Patient  *Patient
	Screened *IntakeVersion
	Flags    []screening.Flag
	Alerts   []SafetyAlert
}

// FHIRScreening reads patientID's Screening, for whoever may read the
// chart, without the rest of the chart (nothing is marked read). Audited
// as screening.read.
func (s *Store) FHIRScreening(ctx context.Context, actor Actor, patientID string) (*Screening, error) {
	out := &Screening{}
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "screening.read", func(tx *Tx, _ Access, e *Entry) error {
		var err error
		if out.Patient, err = scanPatient(tx.QueryRow(ctx, `SELECT `+patientColumns+` FROM patients p WHERE p.id = $1`, patientID)); err != nil {
			return err
		}
		if out.Screened, out.Flags, err = s.flagsOf(ctx, tx, out.Patient); err != nil {
			return err
		}
		out.Alerts, err = patientAlerts(ctx, tx, patientID)
		return err
	})
	return out, err
}
