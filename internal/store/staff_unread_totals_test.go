package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// checkStaffUnreadTotals compares, for each clinician, the navigation's
// unread count (StaffUnreadMessages, from staff_unread_totals) with the
// sum of their message_unread rows as StaffUnreadMessages counted it
// before migration 0051 (staffUnreadCount).
func checkStaffUnreadTotals(t *testing.T, s *store.Store, when string, clinicians []store.Actor) {
	t.Helper()
	ctx := context.Background()
	for _, c := range clinicians {
		want, err := store.StaffUnreadCountForTest(ctx, s, c.UserID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.StaffUnreadMessages(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s: clinician %s: the navigation shows %d unread; summing message_unread gives %d", when, c.UserID, got, want)
		}
	}
}

// unreadPractice is clinicians (therapists and a prescriber) and patients
// with accounts, each owned by a therapist.
type unreadPractice struct {
	s          *store.Store
	clinicians []store.Actor
	patients   []unreadPatient
}

type unreadPatient struct {
	id      string
	owner   store.Actor
	account store.Actor
	threads []string
}

func newUnreadPractice(t *testing.T, s *store.Store, tag string, roles []clinic.Role) *unreadPractice {
	t.Helper()
	ctx := context.Background()
	up := &unreadPractice{s: s}
	for i, role := range roles {
		u := &clinic.User{Email: fmt.Sprintf("%s%d@example.org", tag, i), DisplayName: fmt.Sprintf("%s%d", tag, i), Role: role}
		if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
		up.clinicians = append(up.clinicians, store.Actor{UserID: u.ID, Role: u.Role})
	}
	return up
}

func (up *unreadPractice) addPatient(t *testing.T, owner store.Actor) *unreadPatient {
	t.Helper()
	ctx := context.Background()
	n := len(up.patients)
	u := &clinic.User{Email: fmt.Sprintf("pt%d-%s@example.org", n, owner.UserID[:6]), DisplayName: fmt.Sprintf("Pt%d", n), Role: clinic.RolePatient}
	if err := up.s.CreateUser(ctx, store.System, u, "h"); err != nil {
		t.Fatal(err)
	}
	p := &store.Patient{DisplayName: fmt.Sprintf("Patient %d", n)}
	if err := up.s.CreatePatient(ctx, owner, p, ""); err != nil {
		t.Fatal(err)
	}
	if err := store.ExecForTest(ctx, up.s, `UPDATE patients SET user_id = $1 WHERE id = $2`, u.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	up.patients = append(up.patients, unreadPatient{id: p.ID, owner: owner, account: store.Actor{UserID: u.ID, Role: u.Role}})
	return &up.patients[n]
}

// write has the patient start a thread or write in one of theirs.
func (up *unreadPractice) write(ctx context.Context, p *unreadPatient, r *rand.Rand) error {
	if len(p.threads) == 0 || r.IntN(3) == 0 {
		sent, err := up.s.StartThread(ctx, p.account, p.id, store.MessageInput{Subject: "Hello", Body: "A note."})
		if err == nil {
			p.threads = append(p.threads, sent.ThreadID)
		}
		return err
	}
	_, err := up.s.ReplyMessage(ctx, p.account, p.id, p.threads[r.IntN(len(p.threads))], store.MessageInput{Body: "Another note."})
	return err
}

// coded reports whether err is nil or a refusal the store explains (not
// on the care team, already there, archived): not a failure.
func coded(err error) bool { return err == nil || clinic.ErrorCode(err) != "" }

// TestStaffUnreadTotalsOracle: the navigation's unread count, read from
// staff_unread_totals (kept by triggers, migration 0051), equals the sum
// of the clinician's message_unread rows on their active care teams of
// patients not archived, after the migration's backfill of an older
// database and after every kind of change, made at random: a patient
// writing, a clinician reading a thread or replying, a clinician added to
// or removed from a care team, a patient archived and brought back, a
// care-team row deleted, moved or its removal undone, a message_unread
// row changed or deleted directly.
func TestStaffUnreadTotalsOracle(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "0050_~")
	up := newUnreadPractice(t, s, "u", []clinic.Role{clinic.RoleTherapist, clinic.RoleTherapist, clinic.RolePrescriber, clinic.RoleTherapist})
	therapists := []store.Actor{up.clinicians[0], up.clinicians[1], up.clinicians[3]}
	rx := up.clinicians[2]
	r := rand.New(rand.NewPCG(18, 51))
	exec := func(q string, args ...any) {
		t.Helper()
		if err := store.ExecForTest(ctx, s, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// As an older release left the database: unread messages on several
	// care teams, a thread read, a removed member, an archived patient.
	for i := range 6 {
		p := up.addPatient(t, therapists[i%len(therapists)])
		if i%2 == 0 {
			if err := s.AddTeamMember(ctx, p.owner, p.id, rx.UserID); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			if err := up.write(ctx, p, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, _, err := s.Thread(ctx, up.patients[0].owner, up.patients[0].id, up.patients[0].threads[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveTeamMember(ctx, up.patients[2].owner, up.patients[2].id, rx.UserID); err != nil {
		t.Fatal(err)
	}
	exec(`UPDATE patients SET archived_at = $1 WHERE id = $2`, s.Now().UTC(), up.patients[4].id)
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	checkStaffUnreadTotals(t, s, "after the migration", up.clinicians)
	if n, err := store.StaffUnreadCountForTest(ctx, s, rx.UserID); err != nil || n == 0 {
		t.Fatalf("the prescriber has %d unread (%v); the test needs some", n, err)
	}

	for step := range 150 {
		p := &up.patients[r.IntN(len(up.patients))]
		c := up.clinicians[r.IntN(len(up.clinicians))]
		var what string
		var err error
		switch k := r.IntN(10); k {
		case 0:
			what = "a patient added"
			up.addPatient(t, therapists[r.IntN(len(therapists))])
		case 1, 2:
			what = "a patient wrote"
			err = up.write(ctx, p, r)
		case 3:
			what = "a clinician read a thread"
			if len(p.threads) > 0 {
				_, _, err = s.Thread(ctx, c, p.id, p.threads[r.IntN(len(p.threads))])
			}
		case 4:
			what = "a clinician replied"
			if len(p.threads) > 0 {
				_, err = s.ReplyMessage(ctx, c, p.id, p.threads[r.IntN(len(p.threads))], store.MessageInput{Body: "Noted."})
			}
		case 5:
			what = "a clinician added to a care team"
			err = s.AddTeamMember(ctx, p.owner, p.id, c.UserID)
		case 6:
			what = "a clinician removed from a care team"
			err = s.RemoveTeamMember(ctx, p.owner, p.id, c.UserID)
		case 7:
			what = "a patient archived or brought back"
			if r.IntN(2) == 0 {
				exec(`UPDATE patients SET archived_at = $1 WHERE id = $2`, s.Now().UTC(), p.id)
			} else {
				exec(`UPDATE patients SET archived_at = NULL WHERE id = $1`, p.id)
			}
		case 8:
			switch r.IntN(3) {
			case 0:
				what = "a care-team row deleted"
				exec(`DELETE FROM care_team WHERE patient_id = $1 AND user_id = $2 AND NOT is_owner`, p.id, c.UserID)
			case 1:
				what = "a removal undone"
				exec(`UPDATE care_team SET removed_at = NULL WHERE id IN (SELECT id FROM care_team t WHERE t.patient_id = $1 AND t.removed_at IS NOT NULL
					AND NOT EXISTS (SELECT 1 FROM care_team a WHERE a.patient_id = t.patient_id AND a.user_id = t.user_id AND a.removed_at IS NULL))`, p.id)
			default:
				what = "a member moved to another patient"
				q := up.patients[r.IntN(len(up.patients))]
				exec(`UPDATE care_team SET patient_id = $1 WHERE patient_id = $2 AND NOT is_owner
					AND user_id NOT IN (SELECT user_id FROM care_team WHERE patient_id = $1)`, q.id, p.id)
			}
		case 9:
			if r.IntN(2) == 0 {
				what = "message_unread rows changed directly"
				exec(`UPDATE message_unread SET n = n + 2 WHERE patient_id = $1`, p.id)
			} else {
				what = "a clinician's message_unread rows deleted directly"
				exec(`DELETE FROM message_unread WHERE patient_id = $1 AND user_id = $2`, p.id, c.UserID)
			}
		}
		if !coded(err) {
			t.Fatalf("step %d (%s): %v", step, what, err)
		}
		checkStaffUnreadTotals(t, s, fmt.Sprintf("step %d (%s)", step, what), up.clinicians)
	}
}

// TestStaffUnreadTotalsConcurrent: patients writing, clinicians reading
// and replying, care-team members added and removed and patients archived
// and brought back, all at once (on PostgreSQL, in transactions side by
// side under READ COMMITTED), leave every clinician's kept count equal to
// the sum of their message_unread rows: a message counted while its
// reader leaves the care team, or a thread read while its patient is
// archived, is neither lost nor counted twice.
func TestStaffUnreadTotalsConcurrent(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "9999")
	up := newUnreadPractice(t, s, "k", []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber, clinic.RoleTherapist})
	owner := up.clinicians[0]
	p := up.addPatient(t, owner)
	for _, c := range up.clinicians[1:] {
		if err := s.AddTeamMember(ctx, owner, p.id, c.UserID); err != nil {
			t.Fatal(err)
		}
	}
	var threads []string
	for range 3 {
		sent, err := s.StartThread(ctx, p.account, p.id, store.MessageInput{Subject: "Hello", Body: "A note."})
		if err != nil {
			t.Fatal(err)
		}
		threads = append(threads, sent.ThreadID)
	}
	const workers = 6
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			r := rand.New(rand.NewPCG(uint64(w), 51))
			for range 30 {
				c := up.clinicians[r.IntN(len(up.clinicians))]
				th := threads[r.IntN(len(threads))]
				var err error
				switch r.IntN(5) {
				case 0:
					_, err = s.ReplyMessage(ctx, p.account, p.id, th, store.MessageInput{Body: "Another note."})
				case 1:
					_, _, err = s.Thread(ctx, c, p.id, th)
				case 2:
					err = s.AddTeamMember(ctx, owner, p.id, up.clinicians[1+r.IntN(2)].UserID)
				case 3:
					err = s.RemoveTeamMember(ctx, owner, p.id, up.clinicians[1+r.IntN(2)].UserID)
				case 4:
					if r.IntN(2) == 0 {
						err = store.ExecForTest(ctx, s, `UPDATE patients SET archived_at = $1 WHERE id = $2`, s.Now().UTC(), p.id)
					} else {
						err = store.ExecForTest(ctx, s, `UPDATE patients SET archived_at = NULL WHERE id = $1`, p.id)
					}
				}
				if !coded(err) {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	checkStaffUnreadTotals(t, s, "after changes side by side", up.clinicians)
}

// TestStaffUnreadTotalsManyPatients: patients of the same care team write
// at the same time, and the clinicians read, (on PostgreSQL, in
// transactions side by side): every write succeeds, none deadlocking on
// the clinicians' shared totals, and the kept counts equal the sums.
func TestStaffUnreadTotalsManyPatients(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "9999")
	up := newUnreadPractice(t, s, "m", []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber, clinic.RoleTherapist, clinic.RolePrescriber})
	owner := up.clinicians[0]
	for range 4 {
		p := up.addPatient(t, owner)
		for _, c := range up.clinicians[1:] {
			if err := s.AddTeamMember(ctx, owner, p.id, c.UserID); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			sent, err := s.StartThread(ctx, p.account, p.id, store.MessageInput{Subject: "Hello", Body: "A note."})
			if err != nil {
				t.Fatal(err)
			}
			p.threads = append(p.threads, sent.ThreadID)
		}
	}
	const workers = 8
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			r := rand.New(rand.NewPCG(uint64(w), 52))
			for range 40 {
				p := up.patients[r.IntN(len(up.patients))]
				th := p.threads[r.IntN(len(p.threads))]
				var err error
				if r.IntN(3) == 0 {
					_, _, err = s.Thread(ctx, up.clinicians[r.IntN(len(up.clinicians))], p.id, th)
				} else {
					_, err = s.ReplyMessage(ctx, p.account, p.id, th, store.MessageInput{Body: "Another note."})
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	checkStaffUnreadTotals(t, s, "after messages side by side", up.clinicians)
}
