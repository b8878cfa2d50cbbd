package store

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Evaluation is the therapist's psychological evaluation.
type Evaluation struct {
	Recommendation string // suitable, not_suitable, needs_information
	Summary        string
	Author         string
	At             time.Time
}

// Recommendations a therapist may give, in display order.
var Recommendations = []string{"suitable", "needs_information", "not_suitable"}

// SaveEvaluation records a therapist's evaluation of patientID (a new row;
// the latest counts). Only a therapist on the care team may. Audited.
func (s *Store) SaveEvaluation(ctx context.Context, actor Actor, patientID string, ev Evaluation) error {
	if !auth.CanSome(actor.Role, auth.PermEvaluation) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermEvaluation, "evaluation.save", func(tx *Tx, a Access, e *Entry) error {
		if err := ev.validate(); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO evaluations (id, patient_id, recommendation, summary, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			NewID(), patientID, ev.Recommendation, ev.Summary, actor.UserID, s.now())
		e.Detail = ev.Recommendation
		return err
	})
}

func (ev *Evaluation) validate() error {
	fe := clinic.FieldErrors{}
	ok := false
	for _, r := range Recommendations {
		ok = ok || ev.Recommendation == r
	}
	if !ok {
		fe.Add("recommendation", "Choose suitable, needs more information, or not suitable.")
	}
	ev.Summary = strings.TrimSpace(ev.Summary)
	if ev.Summary == "" {
		fe.Add("summary", "Summarise the evaluation: what you assessed and why you recommend this.")
	} else if utf8.RuneCountInString(ev.Summary) > 8000 {
		fe.Add("summary", "Use at most 8000 characters.")
	}
	clinic.CheckText(fe, "summary", ev.Summary)
	return fe.Err()
}

// latestEvaluation reads the newest evaluation of patientID, or nil.
func latestEvaluation(ctx context.Context, tx *Tx, patientID string) (*Evaluation, error) {
	var ev Evaluation
	err := tx.QueryRow(ctx, `SELECT e.recommendation, e.summary, coalesce(u.display_name, ''), e.created_at
		FROM evaluations e LEFT JOIN users u ON u.id = e.author_id WHERE e.patient_id = $1 ORDER BY e.created_at DESC, e.id DESC LIMIT 1`, patientID).
		Scan(&ev.Recommendation, &ev.Summary, &ev.Author, &ev.At)
	if err != nil {
		return nil, noRows(err)
	}
	ev.At = ev.At.UTC()
	return &ev, nil
}

// ConsultMessage is one message in a patient's therapist-prescriber thread.
type ConsultMessage struct {
	Author     string
	AuthorRole clinic.Role
	Body       string
	At         time.Time
	Mine       bool
}

// PostConsult adds a message to patientID's consult thread. Only
// clinicians on the care team (or with emergency access) may. Audited.
func (s *Store) PostConsult(ctx context.Context, actor Actor, patientID, body string) error {
	if !auth.CanSome(actor.Role, auth.PermClinical) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermClinical, "consult.post", func(tx *Tx, a Access, e *Entry) error {
		body = strings.TrimSpace(body)
		if body == "" {
			return &clinic.Error{Code: clinic.EInvalid, Message: "Write a message first.", Fields: map[string]string{"body": "Write a message first."}}
		}
		if utf8.RuneCountInString(body) > 8000 {
			return &clinic.Error{Code: clinic.EInvalid, Message: "Use at most 8000 characters.", Fields: map[string]string{"body": "Use at most 8000 characters."}}
		}
		if !clinic.MultiLine(body) {
			return clinic.FieldErrors{"body": clinic.TextProblem}.Err()
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO consult_messages (id, patient_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5)`,
			NewID(), patientID, actor.UserID, body, now); err != nil {
			return err
		}
		return markRead(ctx, tx, patientID, actor.UserID, now)
	})
}

func markRead(ctx context.Context, tx *Tx, patientID, userID string, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO consult_reads (patient_id, user_id, last_read_at) VALUES ($1, $2, $3)
		ON CONFLICT (patient_id, user_id) DO UPDATE SET last_read_at = excluded.last_read_at`, patientID, userID, at)
	return err
}

// consultThread reads patientID's thread, oldest first, and marks it read
// for viewerID.
func (s *Store) consultThread(ctx context.Context, tx *Tx, patientID, viewerID string) ([]ConsultMessage, error) {
	out, err := queryAll(ctx, tx, func(row scanner) (ConsultMessage, error) {
		var m ConsultMessage
		var authorID, role string
		err := row.Scan(&authorID, &m.Author, &role, &m.Body, &m.At)
		m.AuthorRole, m.At, m.Mine = clinic.Role(role), m.At.UTC(), authorID == viewerID
		return m, err
	}, `SELECT m.author_id, coalesce(u.display_name, ''), coalesce(u.role, ''), m.body, m.created_at
		FROM consult_messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.patient_id = $1 ORDER BY m.created_at, m.id`, patientID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	return out, tx.afterView(ctx, func(ctx context.Context, tx *Tx) error { return markRead(ctx, tx, patientID, viewerID, now) })
}

// UnreadConsults counts, per patient on actor's care teams, the consult
// messages others wrote since actor last read the thread.
func (s *Store) UnreadConsults(ctx context.Context, actor Actor) (map[string]int, error) {
	return s.unreadConsults(ctx, actor, nil)
}

// UnreadConsultsOf is UnreadConsults for the patients patientIDs only (a
// caseload page's rows), so a page reads its own rows' consult threads and
// not the whole caseload's; nothing for none.
func (s *Store) UnreadConsultsOf(ctx context.Context, actor Actor, patientIDs []string) (map[string]int, error) {
	if len(patientIDs) == 0 {
		return map[string]int{}, nil
	}
	return s.unreadConsults(ctx, actor, patientIDs)
}

// unreadConsults is UnreadConsults of patientIDs, or of the whole caseload
// when patientIDs is nil.
func (s *Store) unreadConsults(ctx context.Context, actor Actor, patientIDs []string) (map[string]int, error) {
	out := map[string]int{}
	batches := [][]string{nil}
	if patientIDs != nil {
		batches = slices.Collect(slices.Chunk(patientIDs, MaxCaseloadBatch))
	}
	err := s.read(ctx, func(tx *Tx) error {
		for _, ids := range batches {
			args, only := []any{actor.UserID}, ""
			if ids != nil {
				ph := make([]string, len(ids))
				for i, id := range ids {
					args = append(args, id)
					ph[i] = "$" + strconv.Itoa(len(args))
				}
				only = ` AND m.patient_id IN (` + strings.Join(ph, ", ") + `)`
			}
			counts, err := queryMap(ctx, tx, func(row scanner) (id string, n int, err error) {
				err = row.Scan(&id, &n)
				return id, n, err
			}, `SELECT m.patient_id, count(*)
				FROM consult_messages m
				JOIN care_team t ON t.patient_id = m.patient_id AND t.user_id = $1 AND t.removed_at IS NULL
				LEFT JOIN consult_reads r ON r.patient_id = m.patient_id AND r.user_id = $1
				WHERE m.author_id <> $1 AND (r.last_read_at IS NULL OR m.created_at > r.last_read_at)`+only+`
				GROUP BY m.patient_id`, args...)
			if err != nil {
				return err
			}
			maps.Copy(out, counts)
		}
		return nil
	})
	return out, err
}

// Appointment is a booked session.
type Appointment struct {
	ID        string
	Kind      string // one of clinic.AppointmentTypes
	StartsAt  time.Time
	Minutes   int
	Clinician string
	Outcome   string    // "", "attended" or "no_show"
	RoomID    string    // "" for none (remote, or a practice without rooms)
	Room      string    // the room's name, when read
	Remote    bool      // by video
	VideoLink string    // https link, for a remote appointment
	Chaperone string    // the adult with the patient during a remote dosing session
	Sequence  int       // times it has been moved: a calendar's SEQUENCE
	ChangedAt time.Time // booked or last changed (UTC): a calendar's DTSTAMP
}

// CreateAppointment books an appointment for patientID with actor as the
// clinician; with no length given (Minutes 0) it takes the practice's
// length for the kind. A dosing session needs current medical clearance: the store
// refuses it otherwise, whatever the form showed. Audited.
func (s *Store) CreateAppointment(ctx context.Context, actor Actor, patientID string, ap *Appointment) error {
	if !auth.CanSome(actor.Role, auth.PermClinical) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	err := s.patientAccess(ctx, actor, patientID, auth.PermClinical, "appointment.create", func(tx *Tx, a Access, e *Entry) error {
		if ap.Minutes == 0 { // not given: the practice's length for the kind
			lengths, err := appointmentMinutesIn(ctx, tx)
			if err != nil {
				return err
			}
			ap.Minutes = lengths[ap.Kind]
		}
		if err := s.validateAppointment(ap); err != nil {
			return err
		}
		if ap.Kind == "dosing" {
			if err := s.requireClearance(ctx, tx, patientID); err != nil {
				return &clinic.Error{Code: clinic.EInvalid, Message: clinic.ErrorMessage(err), Fields: map[string]string{"kind": clinic.ErrorMessage(err)}, Err: err}
			}
		}
		if msg, err := checkRoom(ctx, tx, ap.RoomID, ap.Kind); err != nil {
			return err
		} else if msg != "" {
			return clinic.FieldErrors{"room": msg}.Err()
		}
		if err := s.d.lockSchedule(ctx, tx.tx); err != nil {
			return err
		}
		if msg, err := s.appointmentClash(ctx, tx, actor.UserID, patientID, ap, true); err != nil {
			return err
		} else if msg != "" {
			return &clinic.Error{Code: clinic.EInvalid, Message: msg, Fields: map[string]string{"starts_at": msg}}
		}
		if msg, err := s.availabilityProblem(ctx, tx, actor.UserID, ap); err != nil {
			return err
		} else if msg != "" {
			return &clinic.Error{Code: clinic.EInvalid, Message: msg, Fields: map[string]string{"starts_at": msg}}
		}
		ap.ID = NewID()
		_, err := tx.Exec(ctx, `INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at, room_id, remote, video_link, chaperone)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			ap.ID, patientID, ap.Kind, ap.StartsAt, ap.Minutes, actor.UserID, actor.UserID, s.now(), ap.RoomID, ap.Remote, ap.VideoLink, ap.Chaperone)
		if err != nil {
			return err
		}
		e.ObjectType, e.ObjectID, e.Detail = "appointment", ap.ID, ap.Kind
		return s.scheduleReminders(ctx, tx, ap.ID, ap.Kind, 0, ap.StartsAt.UTC())
	})
	return s.auditGate(ctx, actor, patientID, "appointment="+ap.Kind, err)
}

func (s *Store) validateAppointment(ap *Appointment) error {
	fe := clinic.FieldErrors{}
	if _, known := clinic.AppointmentTypeOf(ap.Kind); !known {
		fe.Add("kind", "Choose the kind of appointment.")
	}
	if ap.StartsAt.IsZero() {
		fe.Add("starts_at", "Enter the date and time, like 2026-12-03 10:00.")
	} else if ap.StartsAt.Before(s.now().Add(-24 * time.Hour)) {
		fe.Add("starts_at", "That is in the past.")
	} else if ap.StartsAt.After(s.now().AddDate(2, 0, 0)) {
		fe.Add("starts_at", "That is more than two years ahead: check the year.")
	}
	if ap.Minutes < clinic.AppointmentMinMinutes || ap.Minutes > clinic.AppointmentMaxMinutes {
		fe.Add("minutes", "Enter a length from 15 to 480 minutes (a dosing session is usually about 180).")
	}
	ap.VideoLink, ap.Chaperone = strings.TrimSpace(ap.VideoLink), strings.TrimSpace(ap.Chaperone)
	if ap.Remote {
		if u, err := url.Parse(ap.VideoLink); ap.VideoLink == "" || err != nil || u.Scheme != "https" || u.Host == "" || len(ap.VideoLink) > 500 {
			fe.Add("video_link", "Enter the video link, starting with https://.")
		}
		if ap.RoomID != "" {
			fe.Add("room", "A remote appointment needs no room; choose no room.")
		}
		if ap.Kind == "dosing" && ap.Chaperone == "" {
			fe.Add("chaperone", "A remote dosing session needs an adult with the patient in person: enter their name.")
		}
		if utf8.RuneCountInString(ap.Chaperone) > 120 {
			fe.Add("chaperone", "Use at most 120 characters.")
		}
		clinic.CheckLine(fe, "chaperone", ap.Chaperone)
	} else {
		ap.VideoLink, ap.Chaperone = "", ""
	}
	return fe.Err()
}

// appointmentClash says why ap cannot be booked for clinicianID and
// patientID: either of them, or ap's room, already has an appointment that
// overlaps it (touching end to start is fine). "" when it fits. The message
// names no other patient, speaks to the clinician as "you" when self, and
// gives times in the practice's zone, in which staff enter them.
func (s *Store) appointmentClash(ctx context.Context, tx *Tx, clinicianID, patientID string, ap *Appointment, self bool) (string, error) {
	loc := time.UTC
	if zone, err := settingIn(ctx, tx, settingZone, ""); err != nil {
		return "", err
	} else if l, lerr := time.LoadLocation(zone); zone != "" && lerr == nil {
		loc = l
	}
	// ap.ID, when set, is the appointment being moved: it does not clash
	// with itself.
	start := ap.StartsAt.UTC()
	end := start.Add(time.Duration(ap.Minutes) * time.Minute)
	// Appointments are at most maxAppointment long, so only those starting
	// within that before the new end can overlap it.
	rows, err := tx.Query(ctx, `SELECT clinician_id, patient_id, kind, starts_at, minutes, room_id FROM appointments
		WHERE cancelled_at IS NULL AND (clinician_id = $1 OR patient_id = $2 OR (room_id = $6 AND room_id <> '')) AND starts_at < $3 AND starts_at > $4 AND id <> $5
		ORDER BY starts_at`, clinicianID, patientID, end, start.Add(-maxAppointment), ap.ID, ap.RoomID)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var clin, pat, kind, room string
		var at time.Time
		var minutes int
		if err := rows.Scan(&clin, &pat, &kind, &at, &minutes, &room); err != nil {
			return "", err
		}
		at = at.UTC()
		if !at.Add(time.Duration(minutes) * time.Minute).After(start) {
			continue
		}
		span := at.In(loc).Format("Jan 2, 15:04") + " to " + at.Add(time.Duration(minutes)*time.Minute).In(loc).Format("15:04 MST")
		switch {
		case pat == patientID:
			return "This patient already has an appointment (" + strings.ToLower(clinic.AppointmentTitle(kind)) + ") from " + span + ". Choose another time.", nil
		case clin == clinicianID && self:
			return "You already have an appointment from " + span + ". Choose another time.", nil
		case clin == clinicianID:
			return "The appointment's clinician already has another from " + span + ". Choose another time.", nil
		default:
			return "That room is booked from " + span + ". Choose another room or time.", nil
		}
	}
	return "", rows.Err()
}

// maxAppointment is the longest appointment (see validateAppointment).
const maxAppointment = clinic.AppointmentMaxMinutes * time.Minute

// appointments reads patientID's upcoming and recent appointments.
func appointments(ctx context.Context, tx *Tx, patientID string) ([]Appointment, error) {
	return queryAll(ctx, tx, scanAppointment, `SELECT `+appointmentColumns+appointmentFrom+`
		WHERE a.patient_id = $1 AND a.cancelled_at IS NULL ORDER BY a.starts_at`, patientID)
}

// appointmentWindow reads patientID's booked appointments (not cancelled),
// oldest first: every one still waiting for an outcome and the latest
// window with one, and counts the earlier ones with an outcome it left out.
func appointmentWindow(ctx context.Context, tx *Tx, patientID string, window int) ([]Appointment, int, error) {
	list, err := queryAll(ctx, tx, scanAppointment, `SELECT `+appointmentColumns+appointmentFrom+`
		WHERE a.patient_id = $1 AND a.cancelled_at IS NULL AND (a.outcome = '' OR a.id IN (
			SELECT id FROM appointments WHERE patient_id = $1 AND cancelled_at IS NULL AND outcome <> ''
			ORDER BY starts_at DESC, id DESC LIMIT `+strconv.Itoa(window)+`))
		ORDER BY a.starts_at, a.id`, patientID) // a literal limit: a bound one made SQLite compile the statement at each use
	if err != nil {
		return nil, 0, err
	}
	var settled int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM appointments WHERE patient_id = $1 AND cancelled_at IS NULL AND outcome <> ''`, patientID).Scan(&settled); err != nil {
		return nil, 0, err
	}
	return list, max(settled-window, 0), nil
}

// dosingAppointments lists the start times of patientID's booked dosing
// appointments not recorded as a no-show, oldest first.
func dosingAppointments(ctx context.Context, tx *Tx, patientID string) ([]time.Time, error) {
	return queryAll(ctx, tx, func(r scanner) (t time.Time, err error) {
		err = r.Scan(&t)
		return t.UTC(), err
	}, `SELECT starts_at FROM appointments WHERE patient_id = $1 AND cancelled_at IS NULL AND kind = 'dosing' AND outcome <> 'no_show' ORDER BY starts_at`, patientID)
}

// appointmentColumns are the columns scanAppointment reads, from
// appointmentFrom.
const appointmentColumns = `a.id, a.kind, a.starts_at, a.minutes, coalesce(u.display_name, ''), a.outcome, a.room_id, coalesce(r.name, ''), a.remote, a.video_link, a.chaperone,
			a.sequence, a.created_at, a.updated_at`

const appointmentFrom = ` FROM appointments a LEFT JOIN users u ON u.id = a.clinician_id LEFT JOIN rooms r ON r.id = a.room_id`

// scanAppointment reads appointmentColumns.
func scanAppointment(r scanner) (ap Appointment, err error) {
	var updated sql.NullTime
	err = r.Scan(&ap.ID, &ap.Kind, &ap.StartsAt, &ap.Minutes, &ap.Clinician, &ap.Outcome, &ap.RoomID, &ap.Room, &ap.Remote, &ap.VideoLink, &ap.Chaperone, &ap.Sequence, &ap.ChangedAt, &updated)
	if updated.Valid {
		ap.ChangedAt = updated.Time
	}
	ap.StartsAt, ap.ChangedAt = ap.StartsAt.UTC(), ap.ChangedAt.UTC()
	return ap, err
}

// RecentAppointments lists, newest first, patientID's booked appointments
// (not cancelled) that start before before, at most limit of them (1 to
// 200; 50 otherwise), and the one whose id is keep wherever it falls in
// time (when it is the patient's and not cancelled), for the patient's care
// team: the appointments a note may belong to. Audited as Appointments.
func (s *Store) RecentAppointments(ctx context.Context, actor Actor, patientID string, before time.Time, keep string, limit int) ([]Appointment, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var out []Appointment
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "appointments.read", func(tx *Tx, a Access, e *Entry) error {
		var err error
		out, err = queryAll(ctx, tx, scanAppointment, `SELECT `+appointmentColumns+appointmentFrom+`
			WHERE a.patient_id = $1 AND a.cancelled_at IS NULL AND a.starts_at < $2 ORDER BY a.starts_at DESC, a.id DESC LIMIT `+strconv.Itoa(limit), patientID, before.UTC())
		if err != nil || keep == "" || slices.ContainsFunc(out, func(ap Appointment) bool { return ap.ID == keep }) {
			return err
		}
		kept, err := queryAll(ctx, tx, scanAppointment, `SELECT `+appointmentColumns+appointmentFrom+`
			WHERE a.patient_id = $1 AND a.cancelled_at IS NULL AND a.id = $2`, patientID, keep)
		out = append(out, kept...)
		slices.SortStableFunc(out, func(x, y Appointment) int { return y.StartsAt.Compare(x.StartsAt) })
		return err
	})
	return out, err
}

// Appointments lists patientID's booked appointments (not cancelled),
// oldest first, for the patient themselves or their care team. Audited.
// Every one: the tests' oracle; pages read AppointmentsAfter and
// PastAppointments (the portal), the chart's
// window (FindChart) or RecentAppointments.
func (s *Store) Appointments(ctx context.Context, actor Actor, patientID string) ([]Appointment, error) {
	var out []Appointment
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "appointments.read", func(tx *Tx, a Access, e *Entry) error {
		var err error
		out, err = appointments(ctx, tx, patientID)
		return err
	})
	return out, err
}

// AppointmentsAfter lists patientID's booked appointments (not
// cancelled) that start after since, oldest first, for the patient
// themselves or their care team: what is coming (and, with since a little
// before now, what began lately and may not have ended). Audited.
func (s *Store) AppointmentsAfter(ctx context.Context, actor Actor, patientID string, since time.Time) ([]Appointment, error) {
	var out []Appointment
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "appointments.read", func(tx *Tx, a Access, e *Entry) error {
		var err error
		out, err = queryAll(ctx, tx, scanAppointment, `SELECT `+appointmentColumns+appointmentFrom+`
			WHERE a.patient_id = $1 AND a.cancelled_at IS NULL AND a.starts_at > $2 ORDER BY a.starts_at, a.id`, patientID, since.UTC())
		e.Detail = "after " + since.UTC().Format(time.RFC3339)
		return err
	})
	return out, err
}

// PastAppointments reads a page (by key, newest first) of patientID's
// booked appointments (not cancelled) that start at or before since, with
// how many there are, for the patient themselves or their care team: a
// patient seen weekly for years has hundreds. Audited.
func (s *Store) PastAppointments(ctx context.Context, actor Actor, patientID string, since time.Time, k PageKey) (*Page[Appointment], error) {
	var out *Page[Appointment]
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "appointments.read", func(tx *Tx, a Access, e *Entry) error {
		var err error
		out, err = readPage(ctx, tx, keyset{Scope: appointmentFrom + ` WHERE a.patient_id = $1 AND a.cancelled_at IS NULL AND a.starts_at <= $2`, Args: []any{patientID, since.UTC()},
			Table: "appointments", Alias: "a", Order: []string{"starts_at", "id"}, Desc: true},
			appointmentColumns, k, scanAppointment, func(ap Appointment) string { return ap.ID })
		e.Detail = "past, before " + since.UTC().Format(time.RFC3339)
		return err
	})
	return out, err
}

// FindAppointment reads one of patientID's booked appointments (not
// cancelled), for the patient themselves or their care team: ENotFound for
// one that is cancelled, another patient's or none. Audited.
func (s *Store) FindAppointment(ctx context.Context, actor Actor, patientID, id string) (*Appointment, error) {
	var out *Appointment
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "appointments.read", func(tx *Tx, a Access, e *Entry) error {
		ap, err := scanAppointment(tx.QueryRow(ctx, `SELECT `+appointmentColumns+appointmentFrom+`
			WHERE a.id = $1 AND a.patient_id = $2 AND a.cancelled_at IS NULL`, id, patientID))
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that appointment; it may have been cancelled.")
		}
		if err != nil {
			return err
		}
		out = &ap
		e.ObjectType, e.ObjectID = "appointment", ap.ID
		return nil
	})
	return out, err
}

// appointmentFor reads appointment id of patientID for a change, refusing
// one that is cancelled (ENotFound, as for one that does not exist).
func appointmentFor(ctx context.Context, tx *Tx, patientID, id string) (*Appointment, string, error) {
	var ap Appointment
	var clinician string
	err := tx.QueryRow(ctx, `SELECT id, kind, starts_at, minutes, clinician_id, outcome, room_id, remote, video_link, chaperone FROM appointments
		WHERE id = $1 AND patient_id = $2 AND cancelled_at IS NULL`, id, patientID).Scan(&ap.ID, &ap.Kind, &ap.StartsAt, &ap.Minutes, &clinician, &ap.Outcome, &ap.RoomID, &ap.Remote, &ap.VideoLink, &ap.Chaperone)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", clinic.Errorf(clinic.ENotFound, "We could not find that appointment; it may have been cancelled.")
	}
	ap.StartsAt = ap.StartsAt.UTC()
	return &ap, clinician, err
}

func changeReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", clinic.FieldErrors{"reason": "Say why, in a few words (for example: patient unwell, rescheduled by phone)."}.Err()
	case utf8.RuneCountInString(reason) > 500:
		return "", clinic.FieldErrors{"reason": "Use at most 500 characters."}.Err()
	case !clinic.SingleLine(reason):
		return "", clinic.FieldErrors{"reason": clinic.LineProblem}.Err()
	}
	return reason, nil
}

// CancelAppointment cancels appointment id of patientID with a reason. The
// row stays (calendar feeds show it cancelled). Audited.
func (s *Store) CancelAppointment(ctx context.Context, actor Actor, patientID, id, reason string) error {
	if err := clinicianOnly(actor); err != nil {
		return err
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermClinical, "appointment.cancel", func(tx *Tx, a Access, e *Entry) error {
		reason, err := changeReason(reason)
		if err != nil {
			return err
		}
		ap, clinician, err := appointmentFor(ctx, tx, patientID, id)
		if err != nil {
			return err
		}
		if ap.Outcome != "" {
			return clinic.FieldErrors{"reason": "This appointment already happened (or was missed); it cannot be cancelled."}.Err()
		}
		// A note belongs to its appointment, and a cancelled appointment's
		// note could no longer be opened: a documented appointment stays.
		var notes int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM notes WHERE appointment_id = $1`, id).Scan(&notes); err != nil {
			return err
		}
		if notes > 0 {
			return clinic.FieldErrors{"reason": "This appointment has a clinical note (a draft or signed), so it stays on the record and cannot be cancelled. Record it as attended or missed instead."}.Err()
		}
		now := s.now()
		if _, err = tx.Exec(ctx, `UPDATE appointments SET cancelled_at = $1, cancelled_by = $2, cancel_reason = $3, sequence = sequence + 1, updated_at = $1 WHERE id = $4`, now, actor.UserID, reason, id); err != nil {
			return err
		}
		e.ObjectType, e.ObjectID, e.Detail = "appointment", id, ap.Kind
		return s.chargeEvent(ctx, tx, actor, patientID, ap, clinician, billing.Cancelled) // issue 21: a late-cancel fee, in this transaction
	})
}

// MoveAppointment moves appointment id of patientID to startsAt, checked
// like a new booking (time, clashes, and the clearance gate for dosing).
// Audited with the old time.
func (s *Store) MoveAppointment(ctx context.Context, actor Actor, patientID, id string, startsAt time.Time, reason string) error {
	if err := clinicianOnly(actor); err != nil {
		return err
	}
	err := s.patientAccess(ctx, actor, patientID, auth.PermClinical, "appointment.move", func(tx *Tx, a Access, e *Entry) error {
		reason, err := changeReason(reason)
		if err != nil {
			return err
		}
		ap, clinician, err := appointmentFor(ctx, tx, patientID, id)
		if err != nil {
			return err
		}
		if ap.Outcome != "" {
			return clinic.FieldErrors{"starts_at": "This appointment already happened (or was missed); book a new one instead."}.Err()
		}
		old := ap.StartsAt
		ap.StartsAt = startsAt
		if err := s.validateAppointment(ap); err != nil {
			return err
		}
		if ap.Kind == "dosing" {
			if err := s.requireClearance(ctx, tx, patientID); err != nil {
				return &clinic.Error{Code: clinic.EInvalid, Message: clinic.ErrorMessage(err), Fields: map[string]string{"starts_at": clinic.ErrorMessage(err)}, Err: err}
			}
		}
		if err := s.d.lockSchedule(ctx, tx.tx); err != nil {
			return err
		}
		if msg, err := s.appointmentClash(ctx, tx, clinician, patientID, ap, clinician == actor.UserID); err != nil {
			return err
		} else if msg != "" {
			return &clinic.Error{Code: clinic.EInvalid, Message: msg, Fields: map[string]string{"starts_at": msg}}
		}
		if msg, err := s.availabilityProblem(ctx, tx, clinician, ap); err != nil {
			return err
		} else if msg != "" {
			return &clinic.Error{Code: clinic.EInvalid, Message: msg, Fields: map[string]string{"starts_at": msg}}
		}
		var seq int
		if err := tx.QueryRow(ctx, `UPDATE appointments SET starts_at = $1, move_reason = $2, sequence = sequence + 1, updated_at = $3 WHERE id = $4 RETURNING sequence`, startsAt.UTC(), reason, s.now(), id).Scan(&seq); err != nil {
			return err
		}
		e.ObjectType, e.ObjectID, e.Detail = "appointment", id, "from="+old.Format(time.RFC3339)
		return s.scheduleReminders(ctx, tx, id, ap.Kind, seq, startsAt.UTC())
	})
	return s.auditGate(ctx, actor, patientID, "appointment=move", err)
}

// RecordAppointmentOutcome records that appointment id happened
// ("attended") or was missed ("no_show"), once it has started. Audited.
func (s *Store) RecordAppointmentOutcome(ctx context.Context, actor Actor, patientID, id, outcome string) error {
	if err := clinicianOnly(actor); err != nil {
		return err
	}
	if outcome != "attended" && outcome != "no_show" {
		return clinic.FieldErrors{"outcome": "Choose attended or did not attend."}.Err()
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermClinical, "appointment.outcome", func(tx *Tx, a Access, e *Entry) error {
		ap, clinician, err := appointmentFor(ctx, tx, patientID, id)
		if err != nil {
			return err
		}
		if ap.StartsAt.After(s.now()) {
			return clinic.FieldErrors{"outcome": "This appointment has not started yet."}.Err()
		}
		if _, err = tx.Exec(ctx, `UPDATE appointments SET outcome = $1, updated_at = $2 WHERE id = $3`, outcome, s.now(), id); err != nil {
			return err
		}
		e.ObjectType, e.ObjectID, e.Detail = "appointment", id, outcome
		if ap.Outcome == outcome { // saved again (a double submit, a stale tab): its charge is made already
			return nil
		}
		return s.chargeEvent(ctx, tx, actor, patientID, ap, clinician, billing.Event(outcome)) // issue 21: the fee, in this transaction
	})
}
