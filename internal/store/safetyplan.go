package store

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// SafetyPlan is one saved version of a patient's safety plan (issue 17;
// the sections are clinic.PlanSections).
type SafetyPlan struct {
	Version    int                 // 1 for the first save; 0 for a plan not yet saved
	Sections   map[string][]string // section key -> lines, in order
	AuthorID   string              // the user who saved this version
	AuthorName string              // who saved this version
	AuthorRole clinic.Role
	At         time.Time
}

// Lines returns the lines of section key.
func (p *SafetyPlan) Lines(key string) []string {
	if p == nil {
		return nil
	}
	return p.Sections[key]
}

// Empty reports whether the plan holds no line at all.
func (p *SafetyPlan) Empty() bool {
	if p == nil {
		return true
	}
	for _, l := range p.Sections {
		if len(l) > 0 {
			return false
		}
	}
	return true
}

// SafetyPlanContext is what the plan shows beside the patient's own lines:
// the practice's phone number and the therapist who owns the case.
type SafetyPlanContext struct {
	PracticePhone string // "" when the practice has not given one
	Therapist     string // the owning therapist's name with credentials; "" when none
}

// normaliseSections keeps the known sections, each with its lines trimmed
// and blank lines dropped, and drops empty ones.
func normaliseSections(in map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, s := range clinic.PlanSections {
		var lines []string
		for _, l := range in[s.Key] {
			lines = append(lines, clinic.PlanLines(l)...)
		}
		if len(lines) > 0 {
			out[s.Key] = lines
		}
	}
	return out
}

func sameSections(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// safetyPlanVersions reads patientID's plan versions inside tx, newest
// first, at most limit of them (0: all).
func safetyPlanVersions(ctx context.Context, tx *Tx, patientID string, limit int) ([]SafetyPlan, error) {
	q := `SELECT p.version, p.sections, p.author_id, coalesce(u.display_name, ''), p.author_role, p.created_at
		FROM safety_plans p LEFT JOIN users u ON u.id = p.author_id
		WHERE p.patient_id = $1 ORDER BY p.version DESC`
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	return queryAll(ctx, tx, func(row scanner) (SafetyPlan, error) {
		var p SafetyPlan
		var role, sections string
		if err := row.Scan(&p.Version, &sections, &p.AuthorID, &p.AuthorName, &role, &p.At); err != nil {
			return p, err
		}
		p.AuthorRole, p.At = clinic.Role(role), p.At.UTC()
		err := json.Unmarshal([]byte(sections), &p.Sections)
		return p, err
	}, q, patientID)
}

func safetyPlanIn(ctx context.Context, tx *Tx, patientID string) (*SafetyPlan, error) {
	rows, err := safetyPlanVersions(ctx, tx, patientID, 1)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

func safetyPlanContextIn(ctx context.Context, tx *Tx, patientID string) (SafetyPlanContext, error) {
	var c SafetyPlanContext
	var err error
	if c.PracticePhone, err = settingIn(ctx, tx, settingPhone, ""); err != nil {
		return c, err
	}
	names, err := queryAll(ctx, tx, func(row scanner) (string, error) {
		var name, creds string
		err := row.Scan(&name, &creds)
		return clinic.NameWithCredentials(name, creds), err
	}, `SELECT u.display_name, u.credentials FROM care_team t JOIN users u ON u.id = t.user_id
		WHERE t.patient_id = $1 AND t.is_owner AND t.removed_at IS NULL ORDER BY t.user_id`, patientID)
	if err == nil && len(names) > 0 {
		c.Therapist = names[0]
	}
	return c, err
}

// SafetyPlan returns patientID's current safety plan (nil when none is
// saved yet) and what it shows beside it (the practice's phone, the
// owning therapist), if actor may read it: the patient themself or a
// clinician on the care team (auth.PermSafetyPlan). Audited as
// safety_plan.read; a foreign or missing patient is ENotFound.
func (s *Store) SafetyPlan(ctx context.Context, actor Actor, patientID string) (*SafetyPlan, SafetyPlanContext, error) {
	var p *SafetyPlan
	var c SafetyPlanContext
	err := s.viewAccess(ctx, actor, patientID, auth.PermSafetyPlan, "safety_plan.read", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "safety_plan"
		var err error
		if p, err = safetyPlanIn(ctx, tx, patientID); err != nil {
			return err
		}
		if p != nil {
			e.Detail = "version=" + strconv.Itoa(p.Version)
		}
		c, err = safetyPlanContextIn(ctx, tx, patientID)
		return err
	})
	return p, c, err
}

// SafetyPlanHistory returns every saved version of patientID's safety
// plan, newest first (none when nothing is saved), with who saved each and
// when. Same access as SafetyPlan; audited as safety_plan.history.
func (s *Store) SafetyPlanHistory(ctx context.Context, actor Actor, patientID string) ([]SafetyPlan, error) {
	var out []SafetyPlan
	err := s.viewAccess(ctx, actor, patientID, auth.PermSafetyPlan, "safety_plan.history", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "safety_plan"
		var err error
		out, err = safetyPlanVersions(ctx, tx, patientID, 0)
		return err
	})
	return out, err
}

// SafetyPlanExists reports whether patientID has a saved safety plan and
// when its newest version was saved (zero when none), for a link to it
// (the portal home). Same access as SafetyPlan; it reads no content, so a
// success writes no audit row (a refusal is audited and ENotFound).
func (s *Store) SafetyPlanExists(ctx context.Context, actor Actor, patientID string) (bool, time.Time, error) {
	var at time.Time
	var n int
	err := s.patientRead(ctx, actor, patientID, auth.PermSafetyPlan, "safety_plan.exists", func(tx *Tx, a Access) error {
		rows, err := queryAll(ctx, tx, func(row scanner) (time.Time, error) {
			var t time.Time
			err := row.Scan(&t)
			return t.UTC(), err
		}, `SELECT created_at FROM safety_plans WHERE patient_id = $1 ORDER BY version DESC LIMIT 1`, patientID)
		if len(rows) > 0 {
			at, n = rows[0], 1
		}
		return err
	})
	return n > 0, at, err
}

// SaveSafetyPlan saves sections (section key -> lines; each line is split
// at line breaks, trimmed, blank lines dropped; unknown keys are ignored)
// as the next version of patientID's safety plan, if actor is the patient
// themself or a therapist or prescriber on the care team
// (auth.PermSafetyPlanEdit; never through emergency access). base is the
// version the edit started from (0 when there was none): if someone saved
// since, the answer is EConflict with a "plan" field message and nothing is
// saved, so the caller can show both texts. A plan equal to the current one
// saves nothing (changed false). Bad input is EInvalid with a message per
// section. It returns the plan's version after the call. Audited as
// safety_plan.save in the same transaction.
func (s *Store) SaveSafetyPlan(ctx context.Context, actor Actor, patientID string, base int, sections map[string][]string) (version int, changed bool, err error) {
	sections = normaliseSections(sections)
	err = s.patientAccess(ctx, actor, patientID, auth.PermSafetyPlanEdit, "safety_plan.save", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "safety_plan"
		prior, err := safetyPlanIn(ctx, tx, patientID)
		if err != nil {
			return err
		}
		current := SafetyPlan{Sections: map[string][]string{}}
		if prior != nil {
			current = *prior
		}
		if base != current.Version {
			msg := "Someone saved a newer version of this plan while you were editing (version " + strconv.Itoa(current.Version) +
				", by " + firstNonEmpty(current.AuthorName, "the care team") + "). Nothing was lost: your text is kept in the form, and the newer plan is shown beside it. Check both, then save again."
			return &clinic.Error{Code: clinic.EConflict, Message: msg, Fields: map[string]string{"plan": msg}}
		}
		fe := clinic.FieldErrors{}
		for _, sec := range clinic.PlanSections {
			if msg := clinic.PlanProblem(sections[sec.Key]); msg != "" {
				fe.Add(sec.Key, msg)
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		version = current.Version
		if sameSections(sections, current.Sections) {
			e.Detail = "unchanged"
			return nil
		}
		body, err := json.Marshal(sections)
		if err != nil {
			return err
		}
		version = current.Version + 1
		_, err = tx.Exec(ctx, `INSERT INTO safety_plans (id, patient_id, version, sections, author_id, author_role, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			NewID(), patientID, version, string(body), actor.UserID, string(actor.Role), s.now())
		if s.d.isUniqueViolation(err) {
			msg := "Someone saved this plan at the same moment. Nothing was lost: your text is kept in the form, and the newer plan is shown beside it. Check both, then save again."
			return &clinic.Error{Code: clinic.EConflict, Message: msg, Fields: map[string]string{"plan": msg}}
		}
		if err != nil {
			return err
		}
		changed = true
		e.Detail = "version=" + strconv.Itoa(version)
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return version, changed, nil
}
