package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// The DBT skills entries and the diary card (issue 17, item 2): the
// patient's own, private unless they share an entry with the care team.
// The care team reads shared entries only; a private entry is not found
// for anyone but the patient, and the filter is in the query, so its text
// is never read for staff. Every read and write is audited in its
// transaction. The forms' lists and checks are internal/clinic/dbt.go.

// SkillEntry is one skills entry as it stands. Exactly one of Emotion,
// Cope, Options and Diary is set, by Kind.
type SkillEntry struct {
	ID        string
	Kind      string
	Title     string
	Shared    bool
	SharedAt  *time.Time // when last shared; nil when never
	CreatedAt time.Time
	UpdatedAt time.Time
	Emotion   *clinic.EmotionLog
	Cope      *clinic.CopeAhead
	Options   *clinic.FourOptions
	Diary     *clinic.DiaryCard
}

// SkillInput is a save of a skills form. EntryID empty makes a new entry
// (for a diary card, the card of that day when there is one); otherwise it
// changes that entry. Today is the patient's today (YYYY-MM-DD), which the
// dates are checked against.
type SkillInput struct {
	EntryID string
	Kind    string
	Form    clinic.Form
	Shared  bool
	Today   string
}

// skillTitleFrom is an entry's title in a list (clinic.SkillTitle) from
// its stored kind and body; a body that does not decode gives the kind's
// title.
func skillTitleFrom(kind, body string) string {
	var v any
	decode := func(p any) bool { return json.Unmarshal([]byte(body), p) == nil }
	switch kind {
	case clinic.SkillEmotion:
		var e clinic.EmotionLog
		if decode(&e) {
			v = e
		}
	case clinic.SkillCopeAhead:
		var e clinic.CopeAhead
		if decode(&e) {
			v = e
		}
	case clinic.SkillOptions:
		var e clinic.FourOptions
		if decode(&e) {
			v = e
		}
	case clinic.SkillDiary:
		var e clinic.DiaryCard
		if decode(&e) {
			v = e
		}
	}
	return clinic.SkillTitle(kind, v)
}

// MaxSkillPage is the most entries one page lists.
const MaxSkillPage = 50

// ownSkills runs fn in an audited transaction on patientID's skills
// entries when actor is that patient; anyone else, staff included, is
// refused as if the patient did not exist.
func (s *Store) ownSkills(ctx context.Context, actor Actor, patientID, action string, fn func(tx *Tx, e *Entry) error) error {
	return s.patientAccess(ctx, actor, patientID, auth.PermSkills, action, func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "skills"
		return fn(tx, e)
	})
}

// ownSkillsRead is ownSkills for a read that changes nothing: inside an
// open view of the patient it is named in the view's one audit row
// instead of writing its own (viewAccess).
func (s *Store) ownSkillsRead(ctx context.Context, actor Actor, patientID, action string, fn func(tx *Tx, e *Entry) error) error {
	return s.viewAccess(ctx, actor, patientID, auth.PermSkills, action, func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "skills"
		return fn(tx, e)
	})
}

// sharedSkills runs fn, which only reads, in an audited transaction on
// patientID's shared skills entries when actor is on the care team
// (PermSharedSkills); a clinician here by emergency access, and anyone
// else, is refused. Inside an open view of the patient it is named in the
// view's one audit row (viewAccess).
func (s *Store) sharedSkills(ctx context.Context, actor Actor, patientID, action string, fn func(tx *Tx, e *Entry) error) error {
	return s.viewAccess(ctx, actor, patientID, auth.PermSharedSkills, action, func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType, e.Detail = "skills", "shared"
		return fn(tx, e)
	})
}

// parseSkill checks the form of kind and returns the entry's body and the
// diary day ("" for other kinds).
func parseSkill(kind string, f clinic.Form, urges []string, today string, isNew bool) (any, string, error) {
	switch kind {
	case clinic.SkillEmotion:
		v, err := clinic.ParseEmotionLog(f)
		return v, "", err
	case clinic.SkillCopeAhead:
		v, err := clinic.ParseCopeAhead(f, today, isNew)
		return v, "", err
	case clinic.SkillOptions:
		v, err := clinic.ParseFourOptions(f)
		return v, "", err
	case clinic.SkillDiary:
		v, err := clinic.ParseDiaryCard(f, urges, today)
		return v, v.Day, err
	}
	return nil, "", clinic.Errorf(clinic.ENotFound, "We could not find that kind of entry.")
}

// SaveSkillEntry checks and saves the patient's skills form as a new
// entry or a change to one of theirs, and returns the entry's id. Only
// the patient may. A diary card for a day that has one already changes
// that card, so no day has two. Audited as skills.save, with the kind and
// whether it is shared.
func (s *Store) SaveSkillEntry(ctx context.Context, actor Actor, patientID string, in SkillInput) (string, error) {
	entryID := in.EntryID
	err := s.ownSkills(ctx, actor, patientID, "skills.save", func(tx *Tx, e *Entry) error {
		var old *SkillEntry
		if entryID != "" {
			list, err := skillEntries(ctx, tx, patientID, skillQuery{id: entryID})
			if err != nil {
				return err
			}
			if len(list) == 0 || list[0].Kind != in.Kind {
				return clinic.Errorf(clinic.ENotFound, "We could not find that entry.")
			}
			old = &list[0]
		}
		urges, err := diaryUrges(ctx, tx, patientID)
		if err != nil {
			return err
		}
		body, day, err := parseSkill(in.Kind, in.Form, urges, in.Today, old == nil)
		if err != nil {
			return err
		}
		if old == nil && day != "" {
			var id string
			err := tx.QueryRow(ctx, `SELECT id FROM skill_entries WHERE patient_id = $1 AND diary_day = $2`, patientID, day).Scan(&id)
			switch {
			case err == nil:
				list, err := skillEntries(ctx, tx, patientID, skillQuery{id: id})
				if err != nil || len(list) == 0 {
					return err
				}
				old, entryID = &list[0], id
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if old != nil && old.Diary != nil && day != old.Diary.Day {
			return clinic.FieldErrors{"day": "This card is for " + old.Diary.Day + ". To fill in another day, start a new card."}.Err()
		}
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		now := s.now()
		var diaryDay any
		if day != "" {
			diaryDay = day
		}
		if old == nil {
			entryID = NewID()
			var sharedAt any
			if in.Shared {
				sharedAt = now
			}
			if _, err := tx.Exec(ctx, `INSERT INTO skill_entries (id, patient_id, kind, diary_day, body, shared, shared_at, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, entryID, patientID, in.Kind, diaryDay, string(raw), in.Shared, sharedAt, now); err != nil {
				return err
			}
		} else {
			sharedAt := any(old.SharedAt)
			if old.SharedAt == nil {
				sharedAt = nil
			}
			if in.Shared && !old.Shared {
				sharedAt = now
			}
			if _, err := tx.Exec(ctx, `UPDATE skill_entries SET body = $1, shared = $2, shared_at = $3, updated_at = $4 WHERE id = $5 AND patient_id = $6`,
				string(raw), in.Shared, sharedAt, now, entryID, patientID); err != nil {
				return err
			}
		}
		e.ObjectID, e.Detail = entryID, in.Kind+"; "+map[bool]string{true: "shared", false: "private"}[in.Shared]
		if c, ok := body.(clinic.CopeAhead); ok && (old == nil || old.Cope == nil || old.Cope.On != c.On) {
			return s.scheduleCopeReminder(ctx, tx, patientID, entryID, c.On, in.Today)
		}
		return nil
	})
	if err != nil && s.d.isUniqueViolation(err) {
		return "", &clinic.Error{Code: clinic.EConflict, Message: "This day's card was saved from somewhere else at the same moment. Open it again; nothing you saved is lost.", Err: err}
	}
	return entryID, err
}

// JobCopeReminder is the job kind that emails a patient the day before a
// situation they made a cope-ahead plan for.
const JobCopeReminder = "skills.cope_reminder"

// copeRemindAt is the hour of the day before the situation at which the
// reminder goes, in the patient's zone.
const copeRemindAt = 9

type copePayload struct {
	Entry string `json:"entry"`
	On    string `json:"on"`
}

// scheduleCopeReminder queues the reminder of a cope-ahead plan for the
// situation on day on: at 09:00 the day before, in the patient's zone (the
// practice's when they have not said); at once when that has passed and the
// day is still to come; none for a plan made on the day itself. A plan
// moved to another day queues a new reminder; the old one then sends
// nothing (CopeReminderToSend).
func (s *Store) scheduleCopeReminder(ctx context.Context, tx *Tx, patientID, entryID, on, today string) error {
	if on <= today {
		return nil
	}
	var zone string
	if err := tx.QueryRow(ctx, `SELECT time_zone FROM patients WHERE id = $1`, patientID).Scan(&zone); err != nil {
		return err
	}
	if zone == "" {
		var err error
		if zone, err = settingIn(ctx, tx, "time_zone", ""); err != nil {
			return err
		}
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	day, err := time.ParseInLocation(time.DateOnly, on, loc)
	if err != nil {
		return err
	}
	at := time.Date(day.Year(), day.Month(), day.Day()-1, copeRemindAt, 0, 0, 0, loc)
	if now := s.now(); at.Before(now) {
		at = now
	}
	b, err := json.Marshal(copePayload{Entry: entryID, On: on})
	if err != nil {
		return err
	}
	_, err = s.EnqueueIn(ctx, tx, JobCopeReminder, string(b), at, JobCopeReminder+":"+entryID+":"+on)
	return err
}

// CopeReminderToSend returns the email address a cope-ahead reminder job
// goes to, or "" when there is nothing to send: the plan is gone or moved
// to another day since, the day has passed, or the patient has no email
// or turned reminders off. Reading the address is audited as the
// system's, in the same transaction.
func (s *Store) CopeReminderToSend(ctx context.Context, payload string) (string, error) {
	var p copePayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil || p.Entry == "" {
		return "", errors.New("cope reminder: unreadable payload")
	}
	var email string
	err := s.write(ctx, func(tx *Tx) error {
		var patientID, body string
		var off sql.NullTime
		err := tx.QueryRow(ctx, `SELECT e.patient_id, e.body, p.email, p.reminders_off_at FROM skill_entries e JOIN patients p ON p.id = e.patient_id
			WHERE e.id = $1 AND e.kind = 'cope' AND p.archived_at IS NULL`, p.Entry).Scan(&patientID, &body, &email, &off)
		if errors.Is(err, sql.ErrNoRows) {
			email = ""
			return nil
		}
		if err != nil {
			return err
		}
		var c clinic.CopeAhead
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			return err
		}
		// The day after the situation (in any zone) is too late.
		if c.On != p.On || off.Valid || email == "" || s.now().Format(time.DateOnly) > c.On {
			email = ""
			return nil
		}
		return s.appendAudit(ctx, tx, System, Entry{Action: "skills.remind", PatientID: patientID, ObjectType: "skills", ObjectID: p.Entry})
	})
	return email, err
}

// ShareSkillEntry shares one of the patient's entries with the care team
// or makes it private again. Only the patient may. Audited as
// skills.share with "shared" or "private".
func (s *Store) ShareSkillEntry(ctx context.Context, actor Actor, patientID, entryID string, shared bool) error {
	return s.ownSkills(ctx, actor, patientID, "skills.share", func(tx *Tx, e *Entry) error {
		list, err := skillEntries(ctx, tx, patientID, skillQuery{id: entryID})
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return clinic.Errorf(clinic.ENotFound, "We could not find that entry.")
		}
		e.ObjectID, e.Detail = entryID, map[bool]string{true: "shared", false: "private"}[shared]
		if list[0].Shared == shared {
			return nil
		}
		q := `UPDATE skill_entries SET shared = $1 WHERE id = $2 AND patient_id = $3`
		args := []any{shared, entryID, patientID}
		if shared {
			q = `UPDATE skill_entries SET shared = $1, shared_at = $4 WHERE id = $2 AND patient_id = $3`
			args = append(args, s.now())
		}
		_, err = tx.Exec(ctx, q, args...)
		return err
	})
}

// OwnSkillEntries returns a page of the patient's own entries, newest
// first (of kind, when not ""), and whether more follow, if actor is the
// patient. page counts from 0; limit is at most MaxSkillPage. Audited as
// skills.read.
func (s *Store) OwnSkillEntries(ctx context.Context, actor Actor, patientID, kind string, page, limit int) ([]SkillEntry, bool, error) {
	var out []SkillEntry
	var more bool
	err := s.ownSkillsRead(ctx, actor, patientID, "skills.read", func(tx *Tx, e *Entry) error {
		var err error
		out, more, err = skillPage(ctx, tx, patientID, skillQuery{kind: kind}, page, limit)
		return err
	})
	return out, more, err
}

// OwnSkillEntry returns one of the patient's own entries, if actor is the
// patient; anyone else's, or none, is ENotFound. Audited as skills.read.
func (s *Store) OwnSkillEntry(ctx context.Context, actor Actor, patientID, entryID string) (*SkillEntry, error) {
	var out *SkillEntry
	err := s.ownSkillsRead(ctx, actor, patientID, "skills.read", func(tx *Tx, e *Entry) error {
		list, err := skillEntries(ctx, tx, patientID, skillQuery{id: entryID})
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return clinic.Errorf(clinic.ENotFound, "We could not find that entry.")
		}
		out, e.ObjectID = &list[0], entryID
		return nil
	})
	return out, err
}

// SharedSkillList returns a page of the entries the patient shared,
// newest first (of kind, when not ""), and whether more follow, for a
// clinician on the care team. Private entries are never read. Audited as
// skills.read.
func (s *Store) SharedSkillList(ctx context.Context, actor Actor, patientID, kind string, page, limit int) ([]SkillEntry, bool, error) {
	var out []SkillEntry
	var more bool
	err := s.sharedSkills(ctx, actor, patientID, "skills.read", func(tx *Tx, e *Entry) error {
		var err error
		out, more, err = skillPage(ctx, tx, patientID, skillQuery{kind: kind, sharedOnly: true}, page, limit)
		return err
	})
	return out, more, err
}

// SharedSkillEntry returns one entry the patient shared, for a clinician
// on the care team. A private entry is ENotFound, as one that does not
// exist. Audited as skills.read.
func (s *Store) SharedSkillEntry(ctx context.Context, actor Actor, patientID, entryID string) (*SkillEntry, error) {
	var out *SkillEntry
	err := s.sharedSkills(ctx, actor, patientID, "skills.read", func(tx *Tx, e *Entry) error {
		e.ObjectID = entryID
		list, err := skillEntries(ctx, tx, patientID, skillQuery{id: entryID, sharedOnly: true})
		if err != nil {
			return err
		}
		if len(list) == 0 {
			e.Detail = "shared; not found"
			return nil
		}
		out = &list[0]
		return nil
	})
	if err == nil && out == nil {
		err = clinic.Errorf(clinic.ENotFound, "We could not find that entry.")
	}
	return out, err
}

// SkillSummary is one shared entry in a list of the chart: its kind, id,
// when it was written and its title.
type SkillSummary struct {
	Kind  string
	ID    string
	At    time.Time
	Title string
}

// SharedSkillEntries returns, for a clinician on the care team, the
// patient's shared entries written before before (all when before is
// zero), newest first, at most limit (at most MaxSkillPage). It is for
// the chart's timeline. Audited as skills.read.
func (s *Store) SharedSkillEntries(ctx context.Context, actor Actor, patientID string, before time.Time, limit int) ([]SkillSummary, error) {
	var out []SkillSummary
	err := s.sharedSkills(ctx, actor, patientID, "skills.read", func(tx *Tx, e *Entry) error {
		list, _, err := skillPage(ctx, tx, patientID, skillQuery{sharedOnly: true, before: before}, 0, limit)
		for _, it := range list {
			out = append(out, SkillSummary{Kind: it.Kind, ID: it.ID, At: it.CreatedAt, Title: it.Title})
		}
		return err
	})
	return out, err
}

// MaxDiaryDays is the most days one read of diary cards covers.
const MaxDiaryDays = 26 * 7

// OwnDiaryDays returns the patient's own diary cards of the days from
// from to to (YYYY-MM-DD, at most MaxDiaryDays), by day, if actor is the
// patient. Audited as skills.read with the days.
func (s *Store) OwnDiaryDays(ctx context.Context, actor Actor, patientID, from, to string) (map[string]SkillEntry, error) {
	var out map[string]SkillEntry
	err := s.ownSkillsRead(ctx, actor, patientID, "skills.read", func(tx *Tx, e *Entry) error {
		var err error
		out, err = diaryDays(ctx, tx, e, patientID, from, to, false)
		return err
	})
	return out, err
}

// SharedDiaryDays returns the diary cards the patient shared of the days
// from from to to (YYYY-MM-DD, at most MaxDiaryDays), by day, for a
// clinician on the care team. Audited as skills.read with the days.
func (s *Store) SharedDiaryDays(ctx context.Context, actor Actor, patientID, from, to string) (map[string]SkillEntry, error) {
	var out map[string]SkillEntry
	err := s.sharedSkills(ctx, actor, patientID, "skills.read", func(tx *Tx, e *Entry) error {
		var err error
		out, err = diaryDays(ctx, tx, e, patientID, from, to, true)
		return err
	})
	return out, err
}

func diaryDays(ctx context.Context, tx *Tx, e *Entry, patientID, from, to string, shared bool) (map[string]SkillEntry, error) {
	start, err1 := time.Parse(time.DateOnly, from)
	end, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil || end.Before(start) || end.Sub(start) > MaxDiaryDays*24*time.Hour {
		return nil, clinic.Errorf(clinic.EInvalid, "Those are not days we can show.")
	}
	e.Detail = strings.TrimPrefix(e.Detail+"; ", "; ") + "diary " + from + " to " + to
	list, err := skillEntries(ctx, tx, patientID, skillQuery{kind: clinic.SkillDiary, sharedOnly: shared, fromDay: from, toDay: to})
	out := map[string]SkillEntry{}
	for _, it := range list {
		out[it.Diary.Day] = it
	}
	return out, err
}

// DiaryUrges returns the urge ids on the patient's diary card (the
// defaults until the care team chooses), for whoever reads the chart: the
// patient and their care team (PermChart). It is a setting, not what the
// patient wrote, so the read is not audited.
func (s *Store) DiaryUrges(ctx context.Context, actor Actor, patientID string) ([]string, error) {
	var out []string
	err := s.patientRead(ctx, actor, patientID, auth.PermChart, "skills.read", func(tx *Tx, a Access) error {
		var err error
		out, err = diaryUrges(ctx, tx, patientID)
		return err
	})
	return out, err
}

// SetDiaryUrges saves the urges the care team agreed with the patient for
// their diary card (PermClinical: the care team). Audited as
// skills.urges with the ids.
func (s *Store) SetDiaryUrges(ctx context.Context, actor Actor, patientID string, urges []string) error {
	if err := clinic.CheckDiaryUrges(urges); err != nil {
		return err
	}
	raw, err := json.Marshal(urges)
	if err != nil {
		return err
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermClinical, "skills.urges", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType, e.Detail = "skills", strings.Join(urges, ",")
		now := s.now()
		// One statement: two clinicians saving the first choice at once
		// both succeed (the later wins) rather than one hitting the key.
		_, err := tx.Exec(ctx, `INSERT INTO skill_settings (patient_id, diary_urges, updated_by, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (patient_id) DO UPDATE SET diary_urges = excluded.diary_urges, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			patientID, string(raw), actor.UserID, now)
		return err
	})
}

func diaryUrges(ctx context.Context, tx *Tx, patientID string) ([]string, error) {
	var raw string
	err := tx.QueryRow(ctx, `SELECT diary_urges FROM skill_settings WHERE patient_id = $1`, patientID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return append([]string(nil), clinic.DefaultDiaryUrges...), nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	return out, json.Unmarshal([]byte(raw), &out)
}

// skillQuery selects entries of one patient.
type skillQuery struct {
	id, kind       string
	sharedOnly     bool
	before         time.Time
	fromDay, toDay string
}

// skillPage reads page (from 0) of limit entries and whether more follow.
func skillPage(ctx context.Context, tx *Tx, patientID string, q skillQuery, page, limit int) ([]SkillEntry, bool, error) {
	if limit <= 0 || limit > MaxSkillPage {
		limit = MaxSkillPage
	}
	if page < 0 {
		page = 0
	}
	list, err := skillEntries(ctx, tx, patientID, q, limit+1, page*limit)
	if err != nil {
		return nil, false, err
	}
	if len(list) > limit {
		return list[:limit], true, nil
	}
	return list, false, nil
}

// skillEntries reads patientID's entries, newest first, as q selects
// (the shared filter is in the query, so a private entry is never read
// for staff), optionally one page (limit, offset).
func skillEntries(ctx context.Context, tx *Tx, patientID string, q skillQuery, page ...int) ([]SkillEntry, error) {
	sq := `SELECT id, kind, body, shared, shared_at, created_at, updated_at FROM skill_entries WHERE patient_id = $1`
	args := []any{patientID}
	add := func(cond string, v any) {
		args = append(args, v)
		sq += " AND " + strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args)))
	}
	if q.id != "" {
		add("id = ?", q.id)
	}
	if q.kind != "" {
		add("kind = ?", q.kind)
	}
	if q.sharedOnly {
		sq += " AND shared"
	}
	if !q.before.IsZero() {
		add("created_at < ?", q.before)
	}
	if q.fromDay != "" {
		add("diary_day >= ?", q.fromDay)
		add("diary_day <= ?", q.toDay)
	}
	sq += " ORDER BY created_at DESC, id DESC"
	if len(page) == 2 {
		sq += " LIMIT " + strconv.Itoa(page[0]) + " OFFSET " + strconv.Itoa(page[1])
	}
	return queryAll(ctx, tx, func(row scanner) (SkillEntry, error) {
		var se SkillEntry
		var body string
		var sharedAt nullTime
		if err := row.Scan(&se.ID, &se.Kind, &body, &se.Shared, &sharedAt, &se.CreatedAt, &se.UpdatedAt); err != nil {
			return se, err
		}
		se.SharedAt, se.CreatedAt, se.UpdatedAt = sharedAt.ptr(), se.CreatedAt.UTC(), se.UpdatedAt.UTC()
		var v any
		var err error
		switch se.Kind {
		case clinic.SkillEmotion:
			se.Emotion = &clinic.EmotionLog{}
			err = json.Unmarshal([]byte(body), se.Emotion)
			v = *se.Emotion
		case clinic.SkillCopeAhead:
			se.Cope = &clinic.CopeAhead{}
			err = json.Unmarshal([]byte(body), se.Cope)
			v = *se.Cope
		case clinic.SkillOptions:
			se.Options = &clinic.FourOptions{}
			err = json.Unmarshal([]byte(body), se.Options)
			v = *se.Options
		case clinic.SkillDiary:
			se.Diary = &clinic.DiaryCard{}
			err = json.Unmarshal([]byte(body), se.Diary)
			v = *se.Diary
		}
		se.Title = clinic.SkillTitle(se.Kind, v)
		return se, err
	}, sq, args...)
}
