package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
)

// EmergencySearchMin is the fewest letters a name search needs before it
// looks outside the searcher's care teams, and EmergencySearchLimit the most
// names it shows: together they keep the search from listing the practice.
const (
	EmergencySearchMin   = 3
	EmergencySearchLimit = 5
)

// NameMatch is a patient found by name outside the searcher's care teams:
// the name and the id to ask for emergency access with, nothing clinical.
type NameMatch struct {
	ID          string
	DisplayName string
}

// FindOutsideTeam returns the patients, not on actor's care teams, whose
// name contains query (any case), for a clinician who may ask for
// emergency access (auth.PermEmergency): at most EmergencySearchLimit, by
// name. It returns nothing, and audits nothing, for anyone else or for a
// query shorter than EmergencySearchMin letters. Each name shown is audited
// as patient.search under that patient, so it shows in their access report;
// what was typed is not logged.
func (s *Store) FindOutsideTeam(ctx context.Context, actor Actor, query string) ([]NameMatch, error) {
	query = strings.TrimSpace(query)
	if !actor.may(auth.PermEmergency) || len([]rune(query)) < EmergencySearchMin {
		return nil, nil
	}
	like := "%" + likeEscape(strings.ToLower(query)) + "%"
	var out []NameMatch
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (NameMatch, error) {
			var m NameMatch
			return m, row.Scan(&m.ID, &m.DisplayName)
		}, `SELECT p.id, p.display_name FROM patients p
			WHERE p.archived_at IS NULL
				AND (lower(p.display_name) LIKE $1 ESCAPE '\' OR lower(p.legal_name) LIKE $1 ESCAPE '\')
				AND NOT EXISTS (SELECT 1 FROM care_team t WHERE t.patient_id = p.id AND t.user_id = $2 AND t.removed_at IS NULL)
			ORDER BY lower(p.display_name), p.id LIMIT $3`, like, actor.UserID, EmergencySearchLimit)
		if err != nil {
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
