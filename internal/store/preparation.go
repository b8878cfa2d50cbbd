package store

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Preparation is a patient's preparation record for dosing sessions, the latest version.
type Preparation struct {
	Version      int
	Intentions   string // in the patient's words
	Music        string // music or playlist
	Scent        string
	EyeShades    string // "yes", "no" or "" (not said)
	Lighting     string
	Present      string // who is present
	Touch        string // clinic.TouchNone, clinic.TouchSafety or clinic.TouchTherapeutic ("" not yet agreed)
	TouchDetail  string // for therapeutic touch: its kind and where (required then)
	SupportName  string // support person / escort
	SupportPhone string
	RideHome     string // how they get home (who drives)
	AuthorName   string // who saved this version
	AuthorRole   clinic.Role
	At           time.Time
}

// Longest text each preparation field takes, in characters.
const (
	PreparationIntentionsMax  = 2000
	PreparationTouchDetailMax = 500
	PreparationFieldMax       = 200
)

// Messages of the rules on consent to touch.
const (
	msgTouchOnlyNarrow  = "Touch consent can only be narrowed during a session; agree any change in a preparation session afterwards."
	msgTouchDetailFixed = "The kind and place of touch cannot change during a session. To narrow it, choose safety touch only or no touch; agree any other change in a preparation session afterwards."
)

// sameContent reports whether p and q hold the same record, whoever saved them.
func (p Preparation) sameContent(q Preparation) bool {
	p.Version, p.AuthorName, p.AuthorRole, p.At = 0, "", "", time.Time{}
	q.Version, q.AuthorName, q.AuthorRole, q.At = 0, "", "", time.Time{}
	return p == q
}

// normalise trims every field, turns CRLF into LF in the multi-line ones,
// and drops the touch detail unless touch is therapeutic (a narrowed
// consent keeps no stale kind and place).
func (p *Preparation) normalise() {
	for _, v := range []*string{&p.Intentions, &p.Music, &p.Scent, &p.EyeShades, &p.Lighting, &p.Present, &p.Touch, &p.TouchDetail, &p.SupportName, &p.SupportPhone, &p.RideHome} {
		*v = strings.TrimSpace(strings.ReplaceAll(*v, "\r\n", "\n"))
	}
	if p.Touch != clinic.TouchTherapeutic {
		p.TouchDetail = ""
	}
}

// validate checks a normalised record on its own; prior is the current
// version (nil when none), for the rules that depend on it.
func (p *Preparation) validate(prior *Preparation) clinic.FieldErrors {
	fe := clinic.FieldErrors{}
	for _, f := range []struct {
		name, value string
		max         int
		multiline   bool
	}{
		{"intentions", p.Intentions, PreparationIntentionsMax, true},
		{"music", p.Music, PreparationFieldMax, false},
		{"scent", p.Scent, PreparationFieldMax, false},
		{"lighting", p.Lighting, PreparationFieldMax, false},
		{"present", p.Present, PreparationFieldMax, false},
		{"touch_detail", p.TouchDetail, PreparationTouchDetailMax, true},
		{"support_name", p.SupportName, PreparationFieldMax, false},
		{"support_phone", p.SupportPhone, PreparationFieldMax, false},
		{"ride_home", p.RideHome, PreparationFieldMax, false},
	} {
		if msg := textProblem(f.value, f.max, f.multiline); msg != "" {
			fe.Add(f.name, msg)
		}
	}
	if p.EyeShades != "" && p.EyeShades != "yes" && p.EyeShades != "no" {
		fe.Add("eye_shades", "Choose yes, no or not sure yet.")
	}
	switch {
	case p.Touch == "" && prior != nil && prior.Touch != "":
		fe.Add("touch", "Choose one of the options. To withdraw consent to touch, choose no touch.")
	case p.Touch != "" && !clinic.ValidTouch(p.Touch):
		fe.Add("touch", "Choose no touch, safety touch only, or agreed therapeutic touch.")
	case p.Touch == clinic.TouchTherapeutic && p.TouchDetail == "":
		fe.Add("touch_detail", "Say what kind of touch is agreed, and where (for example: a hand on the shoulder or holding hands).")
	}
	if p.SupportPhone != "" && fe["support_phone"] == "" && !phoneLike(p.SupportPhone) {
		fe.Add("support_phone", "Enter a phone number, like +1 555 010 2345.")
	}
	return fe
}

// textProblem says what is wrong with one text field, or "".
func textProblem(v string, max int, multiline bool) string {
	if !utf8.ValidString(v) {
		return "Use plain text."
	}
	if utf8.RuneCountInString(v) > max {
		return "Use at most " + strconv.Itoa(max) + " characters."
	}
	if multiline && !clinic.MultiLine(v) || !multiline && !clinic.SingleLine(v) {
		return "Use letters, numbers and punctuation only."
	}
	return ""
}

// preparationIn reads patientID's latest preparation record inside tx (nil when none). No access check, no audit: for store code that has done both.
func preparationIn(ctx context.Context, tx *Tx, patientID string) (*Preparation, error) {
	rows, err := preparationVersions(ctx, tx, patientID, 1)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

// preparationVersions reads patientID's versions inside tx, newest first,
// at most limit of them (0: all).
func preparationVersions(ctx context.Context, tx *Tx, patientID string, limit int) ([]Preparation, error) {
	q := `SELECT p.version, p.intentions, p.music, p.scent, p.eye_shades, p.lighting, p.present, p.touch, p.touch_detail,
			p.support_name, p.support_phone, p.ride_home, coalesce(u.display_name, ''), p.author_role, p.created_at
		FROM preparations p LEFT JOIN users u ON u.id = p.author_id
		WHERE p.patient_id = $1 ORDER BY p.version DESC`
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	return queryAll(ctx, tx, func(row scanner) (Preparation, error) {
		var p Preparation
		var role string
		err := row.Scan(&p.Version, &p.Intentions, &p.Music, &p.Scent, &p.EyeShades, &p.Lighting, &p.Present, &p.Touch, &p.TouchDetail,
			&p.SupportName, &p.SupportPhone, &p.RideHome, &p.AuthorName, &role, &p.At)
		p.AuthorRole, p.At = clinic.Role(role), p.At.UTC()
		return p, err
	}, q, patientID)
}

// dosingInProgress reports whether patientID has a dosing session open: at
// the pre-dose gate, ready for the dose, or dosed and not yet discharged.
// (The gate counts: a hold sends a ready session back to it, and consent
// agreed beforehand is what the gate is checked against.)
func dosingInProgress(ctx context.Context, tx *Tx, patientID string) (bool, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM dosing_sessions WHERE patient_id = $1 AND status IN ('gate', 'ready', 'dosed')`, patientID).Scan(&n)
	return n > 0, err
}

// Preparation returns patientID's preparation record, the latest version
// (nil when nothing is recorded yet), if actor may read the chart: the
// patient themself or a clinician on the care team (or with emergency
// access). Audited as preparation.read; a foreign or missing patient is
// ENotFound.
func (s *Store) Preparation(ctx context.Context, actor Actor, patientID string) (*Preparation, error) {
	var p *Preparation
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "preparation.read", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "preparation"
		var err error
		p, err = preparationIn(ctx, tx, patientID)
		return err
	})
	return p, err
}

// PreparationHistory returns every version of patientID's preparation
// record, newest first (so the first is the current record; none when
// nothing is recorded), for the chart: who changed consent to touch, and
// when. Same access as Preparation; audited as preparation.history.
func (s *Store) PreparationHistory(ctx context.Context, actor Actor, patientID string) ([]Preparation, error) {
	var out []Preparation
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "preparation.history", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "preparation"
		var err error
		out, err = preparationVersions(ctx, tx, patientID, 0)
		return err
	})
	return out, err
}

// SavePreparation saves p as the next version of patientID's preparation
// record, if actor is the patient themself or a therapist or prescriber on
// their care team (emergency access may read, not change it). p.Version is
// the version the edit started from (0 when there was none): if someone
// has saved since, the answer is EConflict (with a "preparation" field
// message, and a "touch" one when consent to touch changed meanwhile) and
// nothing is saved. A record equal to the current one saves nothing and
// succeeds. Bad input is EInvalid with a message per field. Consent to
// touch is specific (therapeutic touch needs its kind and where) and may
// always be narrowed; while a dosing session is in progress (ready or
// dosed) it may not be widened, nor therapeutic touch's kind and place
// changed: a prior "no touch" stands even if touch is asked for during the
// session. Audited as preparation.save.
func (s *Store) SavePreparation(ctx context.Context, actor Actor, patientID string, p Preparation) error {
	p.normalise()
	return s.patientAccess(ctx, actor, patientID, auth.PermPreparation, "preparation.save", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "preparation"
		prior, err := preparationIn(ctx, tx, patientID)
		if err != nil {
			return err
		}
		current := Preparation{}
		if prior != nil {
			current = *prior
		}
		if p.sameContent(current) {
			e.Detail = "unchanged"
			return nil
		}
		if p.Version != current.Version {
			fe := clinic.FieldErrors{}
			fe.Add("preparation", "Someone saved a newer version of this record while you were editing (version "+strconv.Itoa(current.Version)+
				", by "+firstNonEmpty(current.AuthorName, "the care team")+"). What you typed is kept below: check it against the saved record and save again.")
			if p.Touch != current.Touch || p.TouchDetail != current.TouchDetail {
				fe.Add("touch", "Consent to touch was changed to "+strings.ToLower(clinic.TouchTitle(current.Touch))+" in the newer version. Check what was agreed before saving again.")
			}
			return &clinic.Error{Code: clinic.EConflict, Message: fe["preparation"], Fields: fe}
		}
		fe := p.validate(prior)
		widens := clinic.TouchWidens(current.Touch, p.Touch)
		redetailed := p.Touch == clinic.TouchTherapeutic && current.Touch == clinic.TouchTherapeutic && p.TouchDetail != current.TouchDetail
		if (widens || redetailed) && fe["touch"] == "" {
			during, err := dosingInProgress(ctx, tx, patientID)
			if err != nil {
				return err
			}
			if during && widens {
				fe.Add("touch", msgTouchOnlyNarrow)
			} else if during {
				fe.Add("touch_detail", msgTouchDetailFixed)
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		p.Version = current.Version + 1
		_, err = tx.Exec(ctx, `INSERT INTO preparations (id, patient_id, version, intentions, music, scent, eye_shades, lighting, present, touch, touch_detail,
				support_name, support_phone, ride_home, author_id, author_role, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			NewID(), patientID, p.Version, p.Intentions, p.Music, p.Scent, p.EyeShades, p.Lighting, p.Present, p.Touch, p.TouchDetail,
			p.SupportName, p.SupportPhone, p.RideHome, actor.UserID, string(actor.Role), s.now())
		if s.d.isUniqueViolation(err) {
			// Another save of the same version committed first.
			msg := "Someone saved this record at the same moment. What you typed is kept below: check it against the saved record and save again."
			return &clinic.Error{Code: clinic.EConflict, Message: msg, Fields: map[string]string{"preparation": msg}}
		}
		if err != nil {
			return err
		}
		e.Detail = "version=" + strconv.Itoa(p.Version)
		if p.Touch != current.Touch || p.TouchDetail != current.TouchDetail {
			e.Detail += " touch-changed"
		}
		return nil
	})
}
