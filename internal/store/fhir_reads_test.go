package store_test

import (
	"context"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestClinicianIDs: the clinician of each of a patient's appointments and
// dosing sessions, by id, is the staff member the store names on it; ids
// that are not the patient's are left out; a therapist not on the care
// team is refused (ENotFound) and the refusal audited.
func TestClinicianIDs(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	if _, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	therapists, err := st.ListStaff(ctx, clinic.RoleTherapist)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, role := range []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber, clinic.RoleAdmin} {
		us, err := st.ListStaff(ctx, role)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			names[u.ID] = u.DisplayName
		}
	}
	caseload := map[string]map[string]bool{} // therapist -> patients
	var checked, refused int
	for _, th := range therapists {
		a := store.Actor{UserID: th.ID, Role: th.Role}
		list, err := st.ListPatients(ctx, a, store.PatientFilter{})
		if err != nil {
			t.Fatal(err)
		}
		caseload[th.ID] = map[string]bool{}
		for _, p := range list {
			caseload[th.ID][p.ID] = true
			aps, err := st.Appointments(ctx, a, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			sessions, err := st.DosingSessions(ctx, a, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{} // id -> clinician's name
			ids := []string{"not-an-id"}
			for _, ap := range aps {
				want[ap.ID] = ap.Clinician
				ids = append(ids, ap.ID)
			}
			for _, s := range sessions {
				want[s.ID] = s.Clinician
				ids = append(ids, s.ID)
			}
			got, err := st.ClinicianIDs(ctx, a, p.ID, ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("%s: %d clinicians for %d appointments and sessions", p.DisplayName, len(got), len(want))
			}
			for id, name := range want {
				if names[got[id]] != name {
					t.Errorf("%s: %s's clinician is %q (%s), want %q", p.DisplayName, id, names[got[id]], got[id], name)
				}
				checked++
			}
		}
	}
	// Another patient's ids, asked as this patient's, are left out; a
	// therapist off the team is refused.
	for _, th := range therapists {
		a := store.Actor{UserID: th.ID, Role: th.Role}
		for other, patients := range caseload {
			if other == th.ID {
				continue
			}
			for pid := range patients {
				if caseload[th.ID][pid] {
					continue
				}
				q := `SELECT count(*) FROM audit_events WHERE actor_id = $1 AND patient_id = $2 AND outcome = 'denied' AND action = 'clinician.ids'`
				n, err := store.CountForTest(ctx, st, q, th.ID, pid)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := st.ClinicianIDs(ctx, a, pid, []string{"x"}); clinic.ErrorCode(err) != clinic.ENotFound {
					t.Errorf("a therapist off the team: %v, want ENotFound", err)
				}
				if after, _ := store.CountForTest(ctx, st, q, th.ID, pid); after != n+1 {
					t.Errorf("the refusal was not audited: %d rows, then %d", n, after)
				}
				refused++
			}
		}
	}
	if checked < 10 || refused == 0 {
		t.Errorf("checked %d clinicians and %d refusals: the demo has more", checked, refused)
	}
	if got, err := st.ClinicianIDs(ctx, store.Actor{UserID: therapists[0].ID, Role: clinic.RoleTherapist}, "p", nil); err != nil || len(got) != 0 {
		t.Errorf("no ids: %v, %v", got, err)
	}
}
