package store

import (
	"context"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Late notes (issue 16 item 3): attended appointments whose note is not
// signed more than the practice's number of days after them
// (clinic.NoteLate). A clinician sees their own appointments; an
// administrator the whole practice's; both see metadata only (the
// patient's name, the date, the kind, the clinician, days late), never a
// note's text.

// settingNoteLateDays is the practice's "a note is late after N days".
const settingNoteLateDays = "note_late_days"

// noteLateDaysIn is the practice's number of days, or
// clinic.DefaultNoteLateDays.
func noteLateDaysIn(ctx context.Context, tx *Tx) (int, error) {
	raw, err := settingIn(ctx, tx, settingNoteLateDays, "")
	if err != nil || raw == "" {
		return clinic.DefaultNoteLateDays, err
	}
	n, cerr := clinic.CheckNoteLateDays(raw)
	if cerr != nil {
		return clinic.DefaultNoteLateDays, nil
	}
	return n, nil
}

// NoteLateDays returns after how many days an unsigned note is late.
func (s *Store) NoteLateDays(ctx context.Context) (int, error) {
	var n int
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		n, err = noteLateDaysIn(ctx, tx)
		return err
	})
	return n, err
}

// SetNoteLateDays stores, for an administrator, after how many days an
// unsigned note is late, as typed (clinic.CheckNoteLateDays; EInvalid at
// "late_days"). Audited as setting.change.
func (s *Store) SetNoteLateDays(ctx context.Context, actor Actor, raw string) error {
	if !actor.may(auth.PermSettings) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	n, err := clinic.CheckNoteLateDays(raw)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		return s.setSettingDetail(ctx, tx, actor, settingNoteLateDays, strconv.Itoa(n), strconv.Itoa(n)+" days")
	})
}

// LateNote is one line of the late-notes list: metadata only.
type LateNote struct {
	PatientID     string
	PatientName   string
	AppointmentID string
	Kind          string
	AppointmentAt time.Time
	ClinicianName string
	Status        string // the note's status; "" when none was written
	DaysLate      int
}

// LateNoteList is one page of late notes, the oldest appointment first.
type LateNoteList struct {
	Notes    []LateNote
	Days     int  // the practice's number of days
	Practice bool // the whole practice's (an administrator's list)
	Page     int
	More     bool
}

// lateScope is whose late notes actor sees: the whole practice for an
// administrator (PermDirectory), their own appointments for a clinician
// (PermCaseload); ok is false for anyone else.
func lateScope(actor Actor) (all, ok bool) {
	switch {
	case actor.may(auth.PermDirectory):
		return true, true
	case actor.may(auth.PermCaseload):
		return false, true
	}
	return false, false
}

// lateWhere is the late list's condition, $1 the cutoff and, for a
// clinician's own list, $2 their id. Its first three terms are the
// partial indexes' own condition (migration 0033), so the planner reads
// appointments_note_due (clinician_id, starts_at) for a clinician, or
// appointments_note_due_all (starts_at) for the practice: a range scan
// over appointments still owed a note and older than the cutoff, already
// in the list's order, stopped by LIMIT; signed notes are not in the
// index at all, so the cost follows the number of late notes, not of
// patients or past appointments (10,000 patients with years of signed
// notes read no more rows than the page shows). Each row then joins its
// patient, clinician and note by primary key or unique index. SQLite's
// EXPLAIN QUERY PLAN (checked on migration 0033): "SEARCH a USING INDEX
// appointments_note_due (clinician_id=? AND starts_at<?)" (or
// appointments_note_due_all (starts_at<?)), then p, u and n each "SEARCH
// ... USING INDEX sqlite_autoindex_..." by key; the a.id tie-break only
// sorts rows of equal starts_at.
func lateWhere(all bool) string {
	w := `a.outcome = 'attended' AND a.cancelled_at IS NULL AND a.note_signed_at IS NULL AND a.starts_at < $1 AND p.archived_at IS NULL`
	if !all {
		w += ` AND a.clinician_id = $2`
	}
	return w
}

// LateNotes returns page (from 1) of late notes, the oldest appointment
// first, NotePageSize to a page (paged in SQL): actor's own appointments
// for a clinician, the whole practice's for an administrator, anyone else
// ENotFound. Lateness is clinic.NoteLate in the practice's zone. Audited
// as note.late.list (the page, no patient).
func (s *Store) LateNotes(ctx context.Context, actor Actor, page int) (*LateNoteList, error) {
	all, ok := lateScope(actor)
	if !ok {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if page < 1 {
		page = 1
	}
	out := &LateNoteList{Page: page, Practice: all}
	err := s.write(ctx, func(tx *Tx) error {
		days, err := noteLateDaysIn(ctx, tx)
		if err != nil {
			return err
		}
		out.Days = days
		loc, now := practiceLocation(ctx, tx), s.now()
		args := []any{clinic.NoteLateCutoff(now, days, loc).UTC()}
		if !all {
			args = append(args, actor.UserID)
		}
		n := len(args)
		args = append(args, NotePageSize+1, (page-1)*NotePageSize)
		list, err := queryAll(ctx, tx, func(r scanner) (l LateNote, err error) {
			err = r.Scan(&l.PatientID, &l.PatientName, &l.AppointmentID, &l.Kind, &l.AppointmentAt, &l.ClinicianName, &l.Status)
			l.AppointmentAt = l.AppointmentAt.UTC()
			_, l.DaysLate = clinic.NoteLate(l.AppointmentAt, now, days, l.Status, loc)
			return l, err
		}, `SELECT a.patient_id, p.display_name, a.id, a.kind, a.starts_at, coalesce(u.display_name, ''), coalesce(n.status, '')
			FROM appointments a JOIN patients p ON p.id = a.patient_id
			LEFT JOIN users u ON u.id = a.clinician_id LEFT JOIN notes n ON n.appointment_id = a.id
			WHERE `+lateWhere(all)+` ORDER BY a.starts_at, a.id LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2), args...)
		if err != nil {
			return err
		}
		if len(list) > NotePageSize {
			list, out.More = list[:NotePageSize], true
		}
		out.Notes = list
		detail := "own"
		if all {
			detail = "practice"
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "note.late.list", ObjectType: "note", Detail: detail + "; page " + strconv.Itoa(page)})
	})
	return out, err
}

// CountLateNotes counts actor's late notes (the practice's for an
// administrator; 0 for anyone else), for a badge: no names, not audited.
func (s *Store) CountLateNotes(ctx context.Context, actor Actor) (int, error) {
	all, ok := lateScope(actor)
	if !ok {
		return 0, nil
	}
	var n int
	err := s.read(ctx, func(tx *Tx) error {
		days, err := noteLateDaysIn(ctx, tx)
		if err != nil {
			return err
		}
		args := []any{clinic.NoteLateCutoff(s.now(), days, practiceLocation(ctx, tx)).UTC()}
		if !all {
			args = append(args, actor.UserID)
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE `+lateWhere(all), args...).Scan(&n)
	})
	return n, err
}
