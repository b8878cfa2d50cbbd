package store

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/clinic"
)

// Hours are a clinician's working hours on one weekday, in minutes from
// local midnight in the practice's time zone.
type Hours struct {
	Weekday    time.Weekday
	Start, End int
}

// TimeOff is a span a clinician is away.
type TimeOff struct {
	ID         string
	Start, End time.Time
	Note       string
}

// WorkingHours returns actor's working hours, by weekday (none: any time).
func (s *Store) WorkingHours(ctx context.Context, actor Actor) ([]Hours, error) {
	if err := clinicianOnly(actor); err != nil {
		return nil, err
	}
	var out []Hours
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = workingHours(ctx, tx, actor.UserID)
		return err
	})
	return out, err
}

func workingHours(ctx context.Context, tx *Tx, userID string) ([]Hours, error) {
	return queryAll(ctx, tx, func(r scanner) (h Hours, err error) {
		var wd int
		err = r.Scan(&wd, &h.Start, &h.End)
		h.Weekday = time.Weekday(wd)
		return h, err
	}, `SELECT weekday, start_min, end_min FROM working_hours WHERE user_id = $1 ORDER BY weekday`, userID)
}

// SetWorkingHours replaces actor's working hours. Days not listed are days
// off; an empty list means no limits. Audited.
func (s *Store) SetWorkingHours(ctx context.Context, actor Actor, hours []Hours) error {
	if err := clinicianOnly(actor); err != nil {
		return err
	}
	fe := clinic.FieldErrors{}
	for _, h := range hours {
		if h.Start < 0 || h.End > 1440 || h.End <= h.Start {
			fe.Add("hours_"+strings.ToLower(h.Weekday.String()[:3]), "The end must be after the start.")
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM working_hours WHERE user_id = $1`, actor.UserID); err != nil {
			return err
		}
		for _, h := range hours {
			if _, err := tx.Exec(ctx, `INSERT INTO working_hours (user_id, weekday, start_min, end_min) VALUES ($1, $2, $3, $4)`, actor.UserID, int(h.Weekday), h.Start, h.End); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "hours.set", ObjectType: "user", ObjectID: actor.UserID})
	})
}

// TimeOffList returns actor's time off that has not ended.
func (s *Store) TimeOffList(ctx context.Context, actor Actor) ([]TimeOff, error) {
	if err := clinicianOnly(actor); err != nil {
		return nil, err
	}
	var out []TimeOff
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(r scanner) (t TimeOff, err error) {
			err = r.Scan(&t.ID, &t.Start, &t.End, &t.Note)
			t.Start, t.End = t.Start.UTC(), t.End.UTC()
			return t, err
		}, `SELECT id, starts_at, ends_at, note FROM time_off WHERE user_id = $1 AND ends_at > $2 ORDER BY starts_at`, actor.UserID, s.now())
		return err
	})
	return out, err
}

// AddTimeOff records that actor is away from start to end. Audited.
func (s *Store) AddTimeOff(ctx context.Context, actor Actor, t *TimeOff) error {
	if err := clinicianOnly(actor); err != nil {
		return err
	}
	t.Note = strings.TrimSpace(t.Note)
	fe := clinic.FieldErrors{}
	switch {
	case t.Start.IsZero():
		fe.Add("off_from", "Enter the first day away.")
	case t.End.IsZero() || !t.End.After(t.Start):
		fe.Add("off_to", "Enter the last day away, on or after the first.")
	case t.End.Sub(t.Start) > 366*24*time.Hour:
		fe.Add("off_to", "Enter at most a year at a time.")
	}
	if utf8.RuneCountInString(t.Note) > 200 {
		fe.Add("off_note", "Use at most 200 characters.")
	}
	clinic.CheckLine(fe, "off_note", t.Note)
	if err := fe.Err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		t.ID = NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO time_off (id, user_id, starts_at, ends_at, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)`, t.ID, actor.UserID, t.Start.UTC(), t.End.UTC(), t.Note, s.now()); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "timeoff.add", ObjectType: "time_off", ObjectID: t.ID})
	})
}

// DeleteTimeOff removes one of actor's time-off spans. Audited.
func (s *Store) DeleteTimeOff(ctx context.Context, actor Actor, id string) error {
	if err := clinicianOnly(actor); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM time_off WHERE id = $1 AND user_id = $2`, id, actor.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return clinic.Errorf(clinic.ENotFound, "We could not find that time off.")
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "timeoff.delete", ObjectType: "time_off", ObjectID: id})
	})
}

// availabilityProblem says why clinicianID is not available for ap: away,
// or outside their working hours in the practice's zone. "" when fine.
func (s *Store) availabilityProblem(ctx context.Context, tx *Tx, clinicianID string, ap *Appointment) (string, error) {
	start := ap.StartsAt.UTC()
	end := start.Add(time.Duration(ap.Minutes) * time.Minute)
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM time_off WHERE user_id = $1 AND starts_at < $2 AND ends_at > $3`, clinicianID, end, start).Scan(&n); err != nil {
		return "", err
	}
	if n > 0 {
		return "The clinician is away then (time off). Choose another time.", nil
	}
	hours, err := workingHours(ctx, tx, clinicianID)
	if err != nil || len(hours) == 0 {
		return "", err
	}
	loc := time.UTC
	zone, err := settingIn(ctx, tx, "time_zone", "")
	if err != nil {
		return "", err
	}
	if l, lerr := time.LoadLocation(zone); zone != "" && lerr == nil {
		loc = l
	}
	ls, le := start.In(loc), end.In(loc)
	y, m, d := ls.Date()
	for _, h := range hours {
		if h.Weekday != ls.Weekday() {
			continue
		}
		from := clinic.LocalTime(loc, y, m, d, h.Start/60, h.Start%60, 0)
		to := clinic.LocalTime(loc, y, m, d, h.End/60, h.End%60, 0)
		if h.End == 1440 {
			to = clinic.LocalTime(loc, y, m, d+1, 0, 0, 0)
		}
		if !ls.Before(from) && !le.After(to) {
			return "", nil
		}
		return "That is outside the clinician's working hours on " + ls.Weekday().String() + " (" + fmtMinutes(h.Start) + "–" + fmtMinutes(h.End) + "). Choose another time.", nil
	}
	return "The clinician does not work on " + ls.Weekday().String() + "s. Choose another day.", nil
}

func fmtMinutes(m int) string {
	if m == 1440 {
		return "24:00"
	}
	return time.Date(2000, 1, 1, m/60, m%60, 0, 0, time.UTC).Format("15:04")
}
