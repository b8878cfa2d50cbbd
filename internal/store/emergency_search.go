package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// EmergencySearchMin is the fewest letters a name search needs before it
// looks outside the searcher's care teams, EmergencySearchLimit the most
// names it shows, and EmergencySearchesPer the most such searches one
// person may make in EmergencySearchWindow: together they keep the search
// from listing the practice.
const (
	EmergencySearchMin    = 3
	EmergencySearchLimit  = 5
	EmergencySearchesPer  = 10
	EmergencySearchWindow = time.Hour
)

// NameMatch is a patient found by name outside the searcher's care teams:
// the name and the id to ask for emergency access with, nothing clinical.
type NameMatch struct {
	ID          string
	DisplayName string
}

// FindOutsideTeam returns the patients, not on actor's care teams, whose
// display name contains query (any case), for a clinician who may ask for
// emergency access (auth.PermEmergency): at most EmergencySearchLimit, by
// name. The legal name is not searched: a match on it would show the
// display name beside it and so tell the searcher the two belong together.
// It returns nothing, and audits nothing, for anyone else or for a query
// shorter than EmergencySearchMin letters. Each search is audited as
// patient.search.outside under the searcher (what was typed is not
// logged), and is refused with clinic.ETooMany after EmergencySearchesPer
// in EmergencySearchWindow; each name shown is audited as patient.search
// under that patient, so it shows in their access report.
func (s *Store) FindOutsideTeam(ctx context.Context, actor Actor, query string) ([]NameMatch, error) {
	query = strings.TrimSpace(query)
	if !actor.may(auth.PermEmergency) || len([]rune(query)) < EmergencySearchMin {
		return nil, nil
	}
	like := "%" + likeEscape(strings.ToLower(query)) + "%"
	var out []NameMatch
	err := s.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+s.d.auditFrom(s.pendingAudit(ctx, tx))+` WHERE action = 'patient.search.outside' AND actor_id = $1 AND at >= $2`,
			actor.UserID, s.now().Add(-EmergencySearchWindow)).Scan(&n); err != nil {
			return err
		}
		if n >= EmergencySearchesPer {
			return clinic.Errorf(clinic.ETooMany, "You have searched all patients of the practice %d times in the last hour, the most allowed. Try again later, or ask a colleague on the patient's care team or an administrator.", EmergencySearchesPer)
		}
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (NameMatch, error) {
			var m NameMatch
			return m, row.Scan(&m.ID, &m.DisplayName)
		}, `SELECT p.id, p.display_name FROM patients p
			WHERE p.archived_at IS NULL
				AND lower(p.display_name) LIKE $1 ESCAPE '\'
				AND NOT EXISTS (SELECT 1 FROM care_team t WHERE t.patient_id = p.id AND t.user_id = $2 AND t.removed_at IS NULL)
			ORDER BY lower(p.display_name), p.id LIMIT $3`, like, actor.UserID, EmergencySearchLimit)
		if err != nil {
			return err
		}
		if err := s.appendAudit(ctx, tx, actor, Entry{Action: "patient.search.outside", ObjectType: "user", ObjectID: actor.UserID, Detail: strconv.Itoa(len(out)) + " matches"}); err != nil {
			return err
		}
		for i, m := range out {
			if err := s.appendAudit(ctx, tx, actor, Entry{Action: "patient.search", PatientID: m.ID, ObjectType: "patient", ObjectID: m.ID, Detail: "outside-team match " + strconv.Itoa(i+1) + " of " + strconv.Itoa(len(out))}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
