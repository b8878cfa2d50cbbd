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

// TestFindLatestMeasures: the portal home's measures are the latest
// completed check-in of each questionnaire (ties broken as FindMeasures
// orders them) and those in progress, the same as FindMeasures' last of
// each, on both engines; a stranger is refused as ENotFound.
func TestFindLatestMeasures(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	th := &clinic.User{Email: "t@example.org", DisplayName: "T", Role: clinic.RoleTherapist}
	other := &clinic.User{Email: "o@example.org", DisplayName: "O", Role: clinic.RoleTherapist}
	for _, u := range []*clinic.User{th, other} {
		if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
	}
	actor := store.Actor{UserID: th.ID, Role: th.Role}
	p := &store.Patient{DisplayName: "P"}
	if err := s.CreatePatient(ctx, actor, p, ""); err != nil {
		t.Fatal(err)
	}
	answers := func(id string, v int) measure.Answers {
		inst, _ := measure.Get(id)
		a := measure.Answers{}
		for _, it := range inst.Items {
			a[it.ID] = v
		}
		return a
	}
	now := time.Now()
	for i, c := range []struct {
		inst string
		v    int
	}{{"phq9", 1}, {"gad7", 2}, {"phq9", 2}, {"gad7", 0}, {"phq9", 3}, {"gad7", 1}} {
		if _, err := s.EnterPaperCheckin(ctx, actor, p.ID, c.inst, answers(c.inst, c.v), now.Add(time.Duration(i-10)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SaveCheckin(ctx, actor, p.ID, "gad7", measure.Answers{"gad7_1": 2}, false); err != nil {
		t.Fatal(err)
	}
	all, err := s.FindMeasures(ctx, actor, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.FindLatestMeasures(ctx, actor, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]store.Checkin{}
	for _, c := range all.Checkins {
		last[c.Instrument] = c
	}
	if len(got.Checkins) != 2 {
		t.Fatalf("latest measures hold %d completed check-ins, want 2 (one per questionnaire)", len(got.Checkins))
	}
	for i, c := range got.Checkins {
		if w := last[c.Instrument]; c.ID != w.ID || c.Total != w.Total || !c.CompletedAt.Equal(w.CompletedAt) {
			t.Errorf("latest %s = %+v, want %+v", c.Instrument, c, w)
		}
		if i > 0 && c.CompletedAt.Before(got.Checkins[i-1].CompletedAt) {
			t.Errorf("latest check-ins not oldest first")
		}
	}
	if got.Checkins[1].Instrument != "gad7" || got.Checkins[1].Total != 7 {
		t.Errorf("the latest check-in is %s %d, want gad7 7", got.Checkins[1].Instrument, got.Checkins[1].Total)
	}
	if len(got.InProgress) != 1 || got.InProgress[0].ID != all.InProgress[0].ID || len(got.Assignments) != len(all.Assignments) {
		t.Errorf("latest measures: %d in progress, %d assignments; want FindMeasures' %d and %d", len(got.InProgress), len(got.Assignments), len(all.InProgress), len(all.Assignments))
	}
	if _, err := s.FindLatestMeasures(ctx, store.Actor{UserID: other.ID, Role: other.Role}, p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist off the team = %v, want ENotFound", err)
	}
}
