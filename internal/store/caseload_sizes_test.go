package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// checkCaseloadSizes compares, for each clinician and each stage (and
// every stage), the caseload's count as PagePatients shows it (from
// caseload_sizes) with a straightforward count of the care-team rows.
func checkCaseloadSizes(t *testing.T, s *store.Store, when string, clinicians []store.Actor) {
	t.Helper()
	ctx := context.Background()
	for _, c := range clinicians {
		for _, stage := range append([]clinic.Stage{""}, clinic.Stages...) {
			q, args := `SELECT count(*) FROM care_team t JOIN patients p ON p.id = t.patient_id
				WHERE t.user_id = $1 AND t.removed_at IS NULL AND p.archived_at IS NULL`, []any{c.UserID}
			if stage != "" {
				q, args = q+` AND p.stage = $2`, append(args, string(stage))
			}
			want, err := store.CountForTest(ctx, s, q, args...)
			if err != nil {
				t.Fatal(err)
			}
			page, err := s.PagePatients(ctx, c, store.PatientFilter{Stage: stage}, store.PageKey{})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != want {
				t.Fatalf("%s: clinician %s, stage %q: the caseload shows %d patients; counting the care teams gives %d", when, c.UserID, stage, page.Total, want)
			}
		}
	}
}

// TestCaseloadSizesOracle: the caseload's count, read from caseload_sizes
// (kept by triggers, migration 0048), equals the count of the clinician's
// active care-team rows whose patient is not archived, by stage and in
// all, after the migration's backfill of an older database and after
// every kind of change, made at random: a patient added, a clinician
// added to or removed from a care team, a stage changed (through the
// store and directly), a patient archived and brought back, a care-team
// row deleted, a removal undone.
func TestCaseloadSizesOracle(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "0047_~")
	var clinicians []store.Actor
	for i, role := range []clinic.Role{clinic.RoleTherapist, clinic.RoleTherapist, clinic.RolePrescriber, clinic.RoleTherapist} {
		u := &clinic.User{Email: fmt.Sprintf("c%d@example.org", i), DisplayName: fmt.Sprintf("C%d", i), Role: role}
		if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
		clinicians = append(clinicians, store.Actor{UserID: u.ID, Role: u.Role})
	}
	therapists := []store.Actor{clinicians[0], clinicians[1], clinicians[3]}
	type patient struct {
		id    string
		owner store.Actor
	}
	var patients []patient
	r := rand.New(rand.NewPCG(18, 48))
	addPatient := func() {
		owner := therapists[r.IntN(len(therapists))]
		p := &store.Patient{DisplayName: fmt.Sprintf("Patient %d", len(patients))}
		if err := s.CreatePatient(ctx, owner, p, ""); err != nil {
			t.Fatal(err)
		}
		patients = append(patients, patient{p.ID, owner})
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if err := store.ExecForTest(ctx, s, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// As an older release left the database: patients at several stages,
	// one archived, a removed team member.
	for range 6 {
		addPatient()
	}
	exec(`UPDATE patients SET stage = $1 WHERE id = $2`, string(clinic.StageScreening), patients[1].id)
	exec(`UPDATE patients SET archived_at = $1 WHERE id = $2`, s.Now().UTC(), patients[2].id)
	if err := s.AddTeamMember(ctx, patients[0].owner, patients[0].id, clinicians[2].UserID); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTeamMember(ctx, patients[3].owner, patients[3].id, clinicians[2].UserID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveTeamMember(ctx, patients[3].owner, patients[3].id, clinicians[2].UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	checkCaseloadSizes(t, s, "after the migration", clinicians)

	for step := range 80 {
		p := patients[r.IntN(len(patients))]
		other := clinicians[r.IntN(len(clinicians))]
		var what string
		switch k := r.IntN(8); k {
		case 0:
			what = "a patient added"
			addPatient()
		case 1:
			what = "a clinician added to a care team"
			err := s.AddTeamMember(ctx, p.owner, p.id, other.UserID)
			if err != nil && clinic.ErrorCode(err) != clinic.EInvalid && clinic.ErrorCode(err) != clinic.EConflict {
				t.Fatal(err)
			}
		case 2:
			what = "a clinician removed from a care team"
			if err := s.RemoveTeamMember(ctx, p.owner, p.id, other.UserID); err != nil && clinic.ErrorCode(err) == "" {
				t.Fatal(err)
			}
		case 3:
			what = "a stage changed through the store"
			cur, err := store.StringForTest(ctx, s, `SELECT stage FROM patients WHERE id = $1`, p.id)
			if err != nil {
				t.Fatal(err)
			}
			if next := clinic.NextStages(clinic.Stage(cur)); len(next) > 0 {
				err := s.ChangeStage(ctx, p.owner, p.id, next[r.IntN(len(next))], "A reason.")
				if err != nil && clinic.ErrorCode(err) == "" {
					t.Fatal(err)
				}
			}
		case 4:
			what = "a stage set directly"
			exec(`UPDATE patients SET stage = $1 WHERE id = $2`, string(clinic.Stages[r.IntN(len(clinic.Stages))]), p.id)
		case 5:
			what = "a patient archived or brought back"
			if r.IntN(2) == 0 {
				exec(`UPDATE patients SET archived_at = $1 WHERE id = $2`, s.Now().UTC(), p.id)
			} else {
				exec(`UPDATE patients SET archived_at = NULL WHERE id = $1`, p.id)
			}
		case 6:
			what = "a care-team row deleted"
			exec(`DELETE FROM care_team WHERE patient_id = $1 AND user_id = $2 AND NOT is_owner`, p.id, other.UserID)
		case 7:
			what = "a removal undone, or a member moved to another patient"
			if r.IntN(2) == 0 {
				exec(`UPDATE care_team SET removed_at = NULL WHERE id IN (SELECT id FROM care_team t WHERE t.patient_id = $1 AND t.removed_at IS NOT NULL
					AND NOT EXISTS (SELECT 1 FROM care_team a WHERE a.patient_id = t.patient_id AND a.user_id = t.user_id AND a.removed_at IS NULL))`, p.id)
			} else {
				q := patients[r.IntN(len(patients))]
				exec(`UPDATE care_team SET patient_id = $1 WHERE patient_id = $2 AND NOT is_owner
					AND user_id NOT IN (SELECT user_id FROM care_team WHERE patient_id = $1)`, q.id, p.id)
			}
		}
		checkCaseloadSizes(t, s, fmt.Sprintf("step %d (%s)", step, what), clinicians)
	}
}

// TestCaseloadSizesConcurrent: stage changes, archiving and care-team
// changes of the same patients at the same time (on PostgreSQL, in
// transactions side by side) leave the caseload's count equal to the
// count of the care teams.
func TestCaseloadSizesConcurrent(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "9999")
	var clinicians []store.Actor
	for i, role := range []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber, clinic.RoleTherapist} {
		u := &clinic.User{Email: fmt.Sprintf("k%d@example.org", i), DisplayName: fmt.Sprintf("K%d", i), Role: role}
		if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
		clinicians = append(clinicians, store.Actor{UserID: u.ID, Role: u.Role})
	}
	owner := clinicians[0]
	var ids []string
	for i := range 4 {
		p := &store.Patient{DisplayName: fmt.Sprintf("P%d", i)}
		if err := s.CreatePatient(ctx, owner, p, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for range 25 {
				id := ids[r.IntN(len(ids))]
				var err error
				switch r.IntN(4) {
				case 0:
					err = store.ExecForTest(ctx, s, `UPDATE patients SET stage = $1 WHERE id = $2`, string(clinic.Stages[r.IntN(len(clinic.Stages))]), id)
				case 1:
					if r.IntN(2) == 0 {
						err = store.ExecForTest(ctx, s, `UPDATE patients SET archived_at = $1 WHERE id = $2`, s.Now().UTC(), id)
					} else {
						err = store.ExecForTest(ctx, s, `UPDATE patients SET archived_at = NULL WHERE id = $1`, id)
					}
				case 2:
					err = s.AddTeamMember(ctx, owner, id, clinicians[1+r.IntN(2)].UserID)
				case 3:
					err = s.RemoveTeamMember(ctx, owner, id, clinicians[1+r.IntN(2)].UserID)
				}
				// A refusal (archived patient, member already on the team or
				// not on it) is an answer; anything else (a deadlock, which
				// the store reports as unavailable) is a failure.
				if code := clinic.ErrorCode(err); err != nil && (code == "" || code == clinic.EUnavailable || code == clinic.EInternal) {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	checkCaseloadSizes(t, s, "after changes side by side", clinicians)
}

// TestCaseloadSizesOppositeStageChanges: two patients of one clinician
// moved between the same two stages in opposite directions at the same
// time, over and over; each change touches both stages' counts, so on
// PostgreSQL they must be taken in one order (before, the trigger took
// the old stage's row first and such pairs deadlocked).
func TestCaseloadSizesOppositeStageChanges(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "9999")
	u := &clinic.User{Email: "swap@example.org", DisplayName: "Swap", Role: clinic.RoleTherapist}
	if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
		t.Fatal(err)
	}
	owner := store.Actor{UserID: u.ID, Role: u.Role}
	var ids []string
	for i := range 2 {
		p := &store.Patient{DisplayName: fmt.Sprintf("S%d", i)}
		if err := s.CreatePatient(ctx, owner, p, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	a, b := string(clinic.Stages[0]), string(clinic.Stages[1])
	errs := make(chan error, 2)
	for w := range 2 {
		go func() {
			for i := range 150 {
				stage := a
				if (i+w)%2 == 1 {
					stage = b
				}
				if err := store.ExecForTest(ctx, s, `UPDATE patients SET stage = $1 WHERE id = $2`, stage, ids[w]); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	checkCaseloadSizes(t, s, "after opposite stage changes", []store.Actor{owner})
}
