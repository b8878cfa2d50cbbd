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
