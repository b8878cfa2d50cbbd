package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestCompletedCheckinImmutable: the database refuses to change or delete
// a completed check-in (on both engines); an unfinished one may change.
func TestCompletedCheckinImmutable(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	th := &clinic.User{Email: "t@example.org", DisplayName: "T", Role: clinic.RoleTherapist}
	if err := s.CreateUser(ctx, store.System, th, "h"); err != nil {
		t.Fatal(err)
	}
	actor := store.Actor{UserID: th.ID, Role: th.Role}
	p := &store.Patient{DisplayName: "P"}
	if err := s.CreatePatient(ctx, actor, p, ""); err != nil {
		t.Fatal(err)
	}
	inst, _ := measure.Get("gad7")
	a := measure.Answers{}
	for _, it := range inst.Items {
		a[it.ID] = 1
	}
	done, err := s.EnterPaperCheckin(ctx, actor, p.ID, "gad7", a, time.Now().Add(-time.Hour))
	if err != nil || done.Total != 7 {
		t.Fatalf("EnterPaperCheckin = %+v, %v; want total 7", done, err)
	}
	for _, q := range []string{`UPDATE checkins SET total = 0 WHERE id = $1`, `DELETE FROM checkins WHERE id = $1`} {
		if err := store.ExecForTest(ctx, s, q, done.ID); err == nil {
			t.Errorf("%s on a completed check-in succeeded, want refused", q)
		}
	}
	part, err := s.SaveCheckin(ctx, actor, p.ID, "gad7", measure.Answers{"gad7_1": 2}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.ExecForTest(ctx, s, `UPDATE checkins SET answers = '{}' WHERE id = $1`, part.ID); err != nil {
		t.Errorf("updating an unfinished check-in: %v", err)
	}
	if _, err := s.EnterPaperCheckin(ctx, actor, p.ID, "gad7", a, time.Now().Add(time.Hour)); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("paper check-in dated in the future = %v, want EInvalid", err)
	}
}

// TestAssignmentLastDoneReadsBack: the time of the last completion, which
// the database returns from max() as text, reads back as the completion's
// own time on either engine (the dialect's time layouts), so a weekly
// measure done an hour ago is not due again.
func TestAssignmentLastDoneReadsBack(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	th := &clinic.User{Email: "t@example.org", DisplayName: "T", Role: clinic.RoleTherapist}
	if err := s.CreateUser(ctx, store.System, th, "h"); err != nil {
		t.Fatal(err)
	}
	actor := store.Actor{UserID: th.ID, Role: th.Role}
	p := &store.Patient{DisplayName: "P"}
	if err := s.CreatePatient(ctx, actor, p, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.AssignMeasure(ctx, actor, p.ID, "gad7", "weekly"); err != nil {
		t.Fatal(err)
	}
	inst, _ := measure.Get("gad7")
	a := measure.Answers{}
	for _, it := range inst.Items {
		a[it.ID] = 1
	}
	at := time.Now().Add(-time.Hour).Truncate(time.Second).Add(120 * time.Millisecond) // printed as .12, not .120000
	done, err := s.EnterPaperCheckin(ctx, actor, p.ID, "gad7", a, at)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.FindMeasures(ctx, actor, p.ID)
	if err != nil || len(m.Assignments) != 1 {
		t.Fatalf("FindMeasures = %+v, %v; want one assignment", m, err)
	}
	got := m.Assignments[0]
	if !got.LastDone.Equal(done.CompletedAt) || got.LastDone.Location() != time.UTC || got.Due {
		t.Errorf("assignment LastDone = %v (due %v), want %v and not due", got.LastDone, got.Due, done.CompletedAt)
	}
}
