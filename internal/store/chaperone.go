package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
)

// A remote dosing session's chaperone link (issue 20, part 4). The
// clinician makes a link for the adult with the patient at home; it opens
// that session's chaperone page and nothing else, with no account: the
// plan, a check-in every clinic.ChaperoneCheckMinutes and a "need help now"
// button. The link's token is kept as its SHA-256 only. A session has at
// most one live link (a new one revokes the old); a link ends at its
// expiry (clinic.ChaperoneLinkHours), when revoked, and when the session
// is discharged or stopped, which every use checks. Check-ins, help
// requests and missed check-ins are dosing events (kind "check", marked by
// clinic.Chaperone* in action) on the session's timeline; a help request,
// a worrying check-in and a missed one raise a safety alert (source
// AlertSourceChaperone) for the care team, on the caseload and the chart
// and by the alert email. A background job (JobChaperoneWatch) finds missed
// check-ins whether or not anyone has a page open.

// ChaperoneLink is a session's latest chaperone link, for the staff page.
type ChaperoneLink struct {
	ID        string
	CreatedBy string // a name
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
	Live      bool // works now: not revoked, not expired, the session open
}

// AlertSourceChaperone is the safety alerts' source for a chaperone's help
// request, worrying check-in or missed check-in.
const AlertSourceChaperone = "chaperone"

// JobChaperoneWatch is the job kind that looks for a missed chaperone
// check-in of one session (payload: the session's id) and schedules its
// next look while the session's link is live.
const JobChaperoneWatch = "dosing.chaperone_watch"

// The alert signals, most severe first (the alert shows its worst).
var (
	chaperoneHelpSignal    = alertSignal{words: "The chaperone asked for help now (remote dosing session)", level: "chaperone", urgency: measure.UrgencyUrgent, severity: 3}
	chaperoneMissedSignal  = alertSignal{words: "The chaperone missed a check-in (remote dosing session)", level: "chaperone", urgency: measure.UrgencyUrgent, severity: 2}
	chaperoneConcernSignal = alertSignal{words: "The chaperone reported a concern at a check-in (remote dosing session)", level: "chaperone", urgency: measure.UrgencyUrgent, severity: 1}
)

// errLinkGone is the answer to a link that does not work (never made,
// revoked, expired, or its session over): the same for each, so a link
// tells nothing about why.
func errLinkGone() error {
	return clinic.Errorf(clinic.ENotFound, "This chaperone link does not work any more: the session has ended, or the link was replaced or has expired. If the patient needs help now, call 911.")
}

// CreateChaperoneLink makes a new chaperone link for the remote session id
// of patientID, revoking any earlier one, and returns its token (shown
// once; only its hash is kept). Only a clinician on the care team, for a
// remote session still open. It schedules the watch for missed check-ins.
// Audited (chaperone.link).
func (s *Store) CreateChaperoneLink(ctx context.Context, actor Actor, patientID, id string) (string, error) {
	token := auth.NewToken()
	err := s.dosingWrite(ctx, actor, patientID, id, "chaperone.link", func(tx *Tx, d *DosingSession, e *Entry) error {
		switch {
		case !d.Remote:
			return clinic.FieldErrors{"chaperone": "A chaperone link is for a session at home (a remote appointment)."}.Err()
		case !d.Open():
			return clinic.FieldErrors{"chaperone": "This session has ended: its chaperone link has stopped working."}.Err()
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE chaperone_links SET revoked_at = $1, revoked_by = $2 WHERE session_id = $3 AND revoked_at IS NULL`, now, actor.UserID, id); err != nil {
			return err
		}
		linkID := NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO chaperone_links (id, session_id, patient_id, token_hash, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			linkID, id, patientID, auth.HashToken(token), actor.UserID, now, now.Add(clinic.ChaperoneLinkHours*time.Hour)); err != nil {
			return err
		}
		e.Detail = "link:" + linkID
		return s.watchNext(ctx, tx, id, s.nextWatch(d, now))
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// RevokeChaperoneLink ends session id's live chaperone link. Audited
// (chaperone.revoke).
func (s *Store) RevokeChaperoneLink(ctx context.Context, actor Actor, patientID, id string) error {
	return s.dosingWrite(ctx, actor, patientID, id, "chaperone.revoke", func(tx *Tx, d *DosingSession, e *Entry) error {
		res, err := tx.Exec(ctx, `UPDATE chaperone_links SET revoked_at = $1, revoked_by = $2 WHERE session_id = $3 AND revoked_at IS NULL`, s.now(), actor.UserID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return clinic.FieldErrors{"chaperone": "This session has no chaperone link to revoke."}.Err()
		}
		return nil
	})
}

// chaperoneLinkIn is session d's latest chaperone link, or nil.
func (s *Store) chaperoneLinkIn(ctx context.Context, tx *Tx, d *DosingSession) (*ChaperoneLink, error) {
	var l ChaperoneLink
	var revoked nullTime
	err := tx.QueryRow(ctx, `SELECT l.id, coalesce(u.display_name, ''), l.created_at, l.expires_at, l.revoked_at FROM chaperone_links l LEFT JOIN users u ON u.id = l.created_by
		WHERE l.session_id = $1 ORDER BY l.created_at DESC, l.id DESC LIMIT 1`, d.ID).Scan(&l.ID, &l.CreatedBy, &l.CreatedAt, &l.ExpiresAt, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	l.CreatedAt, l.ExpiresAt, l.RevokedAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC(), revoked.ptr()
	l.Live = l.RevokedAt == nil && l.ExpiresAt.After(s.now()) && d.Open()
	return &l, nil
}

// ChaperoneEntry is one check on a chaperone's page: theirs (with what
// they answered) or the clinician's (the time only).
type ChaperoneEntry struct {
	Action string // clinic.Chaperone*, or "" for a check the clinician recorded
	Body   string // the chaperone's own entries only
	At     time.Time
}

// ChaperoneView is what a chaperone's page shows: the plan and the
// check-ins, of the one session the link names. It names the patient by
// first name only.
type ChaperoneView struct {
	PatientFirst string
	Clinician    string // who runs the session
	Chaperone    string // as the appointment names them
	SupportName  string // the preparation's support person and ride home
	SupportPhone string
	RideHome     string
	Status       string // clinic.Session*
	DoseAt       *time.Time
	Entries      []ChaperoneEntry // oldest first
	Due          time.Time        // the next check (zero before the dose)
	Late         bool             // the next check is due now
	Missed       bool             // and more than the grace has passed
	ExpiresAt    time.Time
}

// chaperoneLink finds the live link whose token hashes to hash, with its
// session's row locked for the transaction, or errLinkGone.
func (s *Store) chaperoneLink(ctx context.Context, tx *Tx, hash string) (linkID, sessionID, patientID string, expires time.Time, err error) {
	err = tx.QueryRow(ctx, `SELECT l.id, l.session_id, l.patient_id, l.expires_at FROM chaperone_links l JOIN dosing_sessions d ON d.id = l.session_id AND d.patient_id = l.patient_id
		WHERE l.token_hash = $1 AND l.revoked_at IS NULL AND l.expires_at > $2 AND d.remote AND d.status IN ('gate', 'ready', 'dosed')`, hash, s.now()).Scan(&linkID, &sessionID, &patientID, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", "", time.Time{}, errLinkGone()
	}
	if err != nil {
		return "", "", "", time.Time{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE dosing_sessions SET updated_at = updated_at WHERE id = $1`, sessionID); err != nil {
		return "", "", "", time.Time{}, err
	}
	return linkID, sessionID, patientID, expires.UTC(), nil
}

// chaperoneChecks are the times of session id's checks (the chaperone's
// check-ins and the clinician's recorded checks; not help requests or
// missed ones) and every check event, oldest first.
func chaperoneChecks(ctx context.Context, tx *Tx, id string) ([]ChaperoneEntry, []time.Time, error) {
	entries, err := queryAll(ctx, tx, func(r scanner) (e ChaperoneEntry, err error) {
		var taken nullTime
		err = r.Scan(&e.Action, &e.Body, &e.At, &taken)
		e.At = e.At.UTC()
		if t := taken.ptr(); t != nil {
			e.At = *t
		}
		if !strings.HasPrefix(e.Action, "chaperone:") {
			e.Action, e.Body = "", "" // the clinician's words stay on the staff page
		}
		return e, err
	}, `SELECT action, body, recorded_at, taken_at FROM dosing_events WHERE session_id = $1 AND kind = 'check' ORDER BY recorded_at, id`, id)
	if err != nil {
		return nil, nil, err
	}
	var checks []time.Time
	for _, e := range entries {
		if !clinic.ChaperoneAlarm(e.Action) {
			checks = append(checks, e.At)
		}
	}
	return entries, checks, nil
}

// ChaperonePage reads the chaperone page of the link whose token hashes
// to hash, for whoever holds the link (actor: no account). A link that
// does not work is ENotFound. Audited (chaperone.read), under the patient.
func (s *Store) ChaperonePage(ctx context.Context, actor Actor, hash string) (*ChaperoneView, error) {
	var v ChaperoneView
	err := s.write(ctx, func(tx *Tx) error {
		linkID, id, patientID, expires, err := s.chaperoneLink(ctx, tx, hash)
		if err != nil {
			return err
		}
		v.ExpiresAt = expires
		var name string
		var dose nullTime
		if err := tx.QueryRow(ctx, `SELECT p.display_name, coalesce(u.display_name, ''), d.chaperone, d.status, d.dose_at FROM dosing_sessions d JOIN patients p ON p.id = d.patient_id
			LEFT JOIN users u ON u.id = d.clinician_id WHERE d.id = $1`, id).Scan(&name, &v.Clinician, &v.Chaperone, &v.Status, &dose); err != nil {
			return err
		}
		v.PatientFirst, v.DoseAt = clinic.FirstName(name), dose.ptr()
		prep, err := preparationIn(ctx, tx, patientID)
		if err != nil {
			return err
		}
		if prep != nil {
			v.SupportName, v.SupportPhone, v.RideHome = prep.SupportName, prep.SupportPhone, prep.RideHome
		}
		var checks []time.Time
		if v.Entries, checks, err = chaperoneChecks(ctx, tx, id); err != nil {
			return err
		}
		if v.Status == clinic.SessionDosed && v.DoseAt != nil {
			v.Due, v.Late, v.Missed = clinic.ChaperoneDue(*v.DoseAt, checks, s.now())
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "chaperone.read", PatientID: patientID, ObjectType: "dosing_session", ObjectID: id, Detail: "link:" + linkID})
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// checkChaperoneText checks a chaperone's note and an entry's client id.
func checkChaperoneText(note, clientID string) clinic.FieldErrors {
	fe := clinic.FieldErrors{}
	if utf8.RuneCountInString(note) > 500 || !clinic.MultiLine(note) {
		fe.Add("note", "Use at most 500 characters.")
	}
	if utf8.RuneCountInString(clientID) > 64 || !plainText(clientID) {
		fe.Add("note", "This check-in cannot be saved; reload the page.")
	}
	return fe
}

// ChaperoneCheckIn keeps a chaperone's check-in on the session the link
// names (once per client id), between the dose and discharge. One that
// says the patient is not responsive, not breathing normally, or that
// something is a concern alerts the care team at once. Audited
// (chaperone.checkin).
func (s *Store) ChaperoneCheckIn(ctx context.Context, actor Actor, hash, clientID string, a clinic.ChaperoneAnswers) error {
	a.Note = strings.TrimSpace(a.Note)
	if fe := checkChaperoneText(a.Note, clientID); len(fe) > 0 {
		return fe.Err()
	}
	return s.write(ctx, func(tx *Tx) error {
		linkID, id, patientID, _, err := s.chaperoneLink(ctx, tx, hash)
		if err != nil {
			return err
		}
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM dosing_sessions WHERE id = $1`, id).Scan(&status); err != nil {
			return err
		}
		if status != clinic.SessionDosed {
			return clinic.FieldErrors{"responsive": "Check-ins start once the dose is given. If the patient needs help now, press “Need help now” or call 911."}.Err()
		}
		severity := ""
		if a.Worrying() {
			severity = "severe"
		}
		added, err := s.chaperoneEvent(ctx, tx, id, clientID, clinic.ChaperoneCheckIn, severity, a.Words())
		if err != nil || !added {
			return err
		}
		if a.Worrying() {
			if _, err := s.raiseAlert(ctx, tx, actor, patientID, AlertSourceChaperone, chaperoneConcernSignal); err != nil {
				return err
			}
		}
		if err := s.watchNext(ctx, tx, id, s.nextWatchAfterCheck(s.now())); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "chaperone.checkin", PatientID: patientID, ObjectType: "dosing_session", ObjectID: id, Detail: "link:" + linkID + map[bool]string{true: ":concern", false: ""}[a.Worrying()]})
	})
}

// ChaperoneHelpNow records that the chaperone pressed "Need help now" on
// the session the link names (once per client id) and alerts the care
// team at once. Audited (chaperone.help).
func (s *Store) ChaperoneHelpNow(ctx context.Context, actor Actor, hash, clientID string) error {
	if fe := checkChaperoneText("", clientID); len(fe) > 0 {
		return fe.Err()
	}
	return s.write(ctx, func(tx *Tx) error {
		linkID, id, patientID, _, err := s.chaperoneLink(ctx, tx, hash)
		if err != nil {
			return err
		}
		added, err := s.chaperoneEvent(ctx, tx, id, clientID, clinic.ChaperoneHelp, "severe", "The chaperone pressed “Need help now”.")
		if err != nil || !added {
			return err
		}
		if _, err := s.raiseAlert(ctx, tx, actor, patientID, AlertSourceChaperone, chaperoneHelpSignal); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "chaperone.help", PatientID: patientID, ObjectType: "dosing_session", ObjectID: id, Detail: "link:" + linkID})
	})
}

// chaperoneEvent puts a chaperone's entry on session id's timeline, once
// per client id, and reports whether it was new.
func (s *Store) chaperoneEvent(ctx context.Context, tx *Tx, id, clientID, action, severity, body string) (bool, error) {
	if clientID == "" {
		clientID = NewID()
	}
	now := s.now()
	res, err := tx.Exec(ctx, `INSERT INTO dosing_events (id, session_id, client_id, kind, severity, action, body, recorded_by, recorded_at, taken_at)
		VALUES ($1, $2, $3, 'check', $4, $5, $6, '', $7, $7) ON CONFLICT (session_id, client_id) DO NOTHING`,
		NewID(), id, clientID, severity, action, body, now)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// nextWatch is when the watch should next look at session d: at the
// check's due time and grace after the dose, or, before the dose, one
// check period from now.
func (s *Store) nextWatch(d *DosingSession, now time.Time) time.Time {
	if d.Status == clinic.SessionDosed && d.DoseAt != nil {
		var checks []time.Time
		for _, e := range d.Events {
			if e.Kind == "check" && !clinic.ChaperoneAlarm(e.Action) {
				checks = append(checks, e.At)
			}
		}
		due, _, _ := clinic.ChaperoneDue(*d.DoseAt, checks, now)
		return due.Add(clinic.ChaperoneGraceMinutes * time.Minute)
	}
	return now.Add(clinic.ChaperoneCheckMinutes * time.Minute)
}

// nextWatchAfterCheck is when a check at now falls due, with its grace.
func (s *Store) nextWatchAfterCheck(now time.Time) time.Time {
	return now.Add((clinic.ChaperoneCheckMinutes + clinic.ChaperoneGraceMinutes) * time.Minute)
}

// watchNext schedules the watch of session id at at (one job per session
// and time).
func (s *Store) watchNext(ctx context.Context, tx *Tx, id string, at time.Time) error {
	b, _ := json.Marshal(map[string]string{"session": id})
	_, err := s.EnqueueIn(ctx, tx, JobChaperoneWatch, string(b), at, JobChaperoneWatch+":"+id+":"+strconv.FormatInt(at.Unix(), 10))
	return err
}

// ChaperoneWatchJob is the JobChaperoneWatch handler: it looks for a
// missed check-in of the session its payload names (WatchChaperone).
func (s *Store) ChaperoneWatchJob(ctx context.Context, j Job) error {
	var p struct {
		Session string `json:"session"`
	}
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil || p.Session == "" {
		return clinic.Errorf(clinic.EInvalid, "chaperone watch: unreadable payload")
	}
	return s.WatchChaperone(ctx, p.Session)
}

// WatchChaperone looks at session id now, as the system: while it is open
// with a live chaperone link, a check not made within
// clinic.ChaperoneCheckMinutes and clinic.ChaperoneGraceMinutes of the
// dose or the last check is recorded as missed on the timeline (once per
// check period) and alerts the care team; then the next look is
// scheduled. A session over, or without a live link, is left alone.
// Audited (chaperone.missed) when it records one.
func (s *Store) WatchChaperone(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *Tx) error {
		now := s.now()
		var patientID, status string
		var dose nullTime
		err := tx.QueryRow(ctx, `SELECT patient_id, status, dose_at FROM dosing_sessions WHERE id = $1 AND remote`, id).Scan(&patientID, &status, &dose)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var live int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM chaperone_links WHERE session_id = $1 AND revoked_at IS NULL AND expires_at > $2`, id, now).Scan(&live); err != nil {
			return err
		}
		if live == 0 || (status != clinic.SessionGate && status != clinic.SessionReady && status != clinic.SessionDosed) {
			return nil
		}
		doseAt := dose.ptr()
		if status != clinic.SessionDosed || doseAt == nil {
			return s.watchNext(ctx, tx, id, now.Add(clinic.ChaperoneCheckMinutes*time.Minute))
		}
		_, checks, err := chaperoneChecks(ctx, tx, id)
		if err != nil {
			return err
		}
		due, _, missed := clinic.ChaperoneDue(*doseAt, checks, now)
		period := clinic.ChaperoneCheckMinutes * time.Minute
		grace := clinic.ChaperoneGraceMinutes * time.Minute
		if !missed {
			return s.watchNext(ctx, tx, id, due.Add(grace))
		}
		// The latest check period whose grace has run out.
		window := due.Add(time.Duration(now.Sub(due.Add(grace))/period) * period)
		added, err := s.chaperoneEvent(ctx, tx, id, "chaperone-missed:"+strconv.FormatInt(window.Unix(), 10), clinic.ChaperoneMissed, "severe",
			"No check-in from the chaperone within "+strconv.Itoa(clinic.ChaperoneCheckMinutes+clinic.ChaperoneGraceMinutes)+" minutes of the last check (or the dose).")
		if err != nil {
			return err
		}
		if added {
			if _, err := s.raiseAlert(ctx, tx, System, patientID, AlertSourceChaperone, chaperoneMissedSignal); err != nil {
				return err
			}
			if err := s.appendAudit(ctx, tx, System, Entry{Action: "chaperone.missed", PatientID: patientID, ObjectType: "dosing_session", ObjectID: id}); err != nil {
				return err
			}
		}
		return s.watchNext(ctx, tx, id, window.Add(period+grace))
	})
}

// ChaperoneAlarm is what the session page's banner shows of events (a
// session's, oldest first): the latest help request, worrying check-in or
// missed check-in, a missed one only until a check came after it; nil
// when there is none.
func ChaperoneAlarm(events []DosingEvent) *DosingEvent {
	var alarm *DosingEvent
	for i, e := range events {
		if e.Kind == "check" && (clinic.ChaperoneAlarm(e.Action) || e.Severity == "severe") {
			alarm = &events[i]
		} else if e.Kind == "check" && alarm != nil && alarm.Action == clinic.ChaperoneMissed {
			alarm = nil
		}
	}
	return alarm
}

// ChaperoneAlarmOf is session id's ChaperoneAlarm, for the session page's
// watch while it is open, if actor may read patientID's chart: the event
// (its id and action only are shown; nil when none). A part of the
// session page, whose read is audited: a refusal is audited, a read not
// again.
func (s *Store) ChaperoneAlarmOf(ctx context.Context, actor Actor, patientID, id string) (*DosingEvent, error) {
	if err := clinicianOnly(actor); err != nil {
		return nil, err
	}
	var out *DosingEvent
	err := s.patientRead(ctx, actor, patientID, auth.PermChart, "dosing.chaperone_alarm", func(tx *Tx, _ Access) error {
		events, err := queryAll(ctx, tx, func(r scanner) (e DosingEvent, err error) {
			err = r.Scan(&e.ID, &e.Kind, &e.Severity, &e.Action)
			return e, err
		}, `SELECT e.id, e.kind, e.severity, e.action FROM dosing_events e JOIN dosing_sessions d ON d.id = e.session_id
			WHERE e.session_id = $1 AND d.patient_id = $2 AND e.kind = 'check' ORDER BY e.recorded_at, e.id`, id, patientID)
		out = ChaperoneAlarm(events)
		return err
	})
	return out, err
}
