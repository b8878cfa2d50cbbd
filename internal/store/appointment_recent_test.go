package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestRecentAppointments: the appointments a note may belong to are read in
// SQL, not filtered from every appointment of the patient's years: the
// newest limit that start before the bound, newest first, without
// cancelled ones or another patient's, and the kept one wherever it falls
// (once, in its place by time); a stranger is refused as ENotFound.
func TestRecentAppointments(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return t0 }
	th := &clinic.User{Email: "t@example.org", DisplayName: "T", Role: clinic.RoleTherapist}
	other := &clinic.User{Email: "o@example.org", DisplayName: "O", Role: clinic.RoleTherapist}
	for _, u := range []*clinic.User{th, other} {
		if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
	}
	actor := store.Actor{UserID: th.ID, Role: th.Role}
	p, q := &store.Patient{DisplayName: "P"}, &store.Patient{DisplayName: "Q"}
	for _, x := range []*store.Patient{p, q} {
		if err := s.CreatePatient(ctx, actor, x, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Weekly appointments; the fourth is cancelled; Q has one too.
	var ids []string
	for w := range 8 {
		ap := &store.Appointment{Kind: "integration", StartsAt: t0.Add(time.Duration(w*7*24+1) * time.Hour), Minutes: 60}
		if err := s.CreateAppointment(ctx, actor, p.ID, ap); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ap.ID)
		if w == 3 {
			if err := s.CancelAppointment(ctx, actor, p.ID, ap.ID, "Ill."); err != nil {
				t.Fatal(err)
			}
		}
	}
	theirs := &store.Appointment{Kind: "integration", StartsAt: t0.Add(2 * time.Hour), Minutes: 60}
	if err := s.CreateAppointment(ctx, actor, q.ID, theirs); err != nil {
		t.Fatal(err)
	}
	week := func(w int) time.Time { return t0.Add(time.Duration(w*7*24) * time.Hour) }
	for _, c := range []struct {
		name   string
		before time.Time
		keep   string
		limit  int
		want   []string
	}{
		{"the newest 3 before week 6", week(6), "", 3, []string{ids[5], ids[4], ids[2]}},
		{"all before week 3", week(3), "", 50, []string{ids[2], ids[1], ids[0]}},
		{"an old one kept", week(6), ids[0], 2, []string{ids[5], ids[4], ids[0]}},
		{"a later one kept, in its place", week(2), ids[7], 5, []string{ids[7], ids[1], ids[0]}},
		{"a kept one already shown, once", week(2), ids[1], 5, []string{ids[1], ids[0]}},
		{"a cancelled one is not kept", week(2), ids[3], 5, []string{ids[1], ids[0]}},
		{"another patient's is not kept", week(1), theirs.ID, 5, []string{ids[0]}},
	} {
		got, err := s.RecentAppointments(ctx, actor, p.ID, c.before, c.keep, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []string
		for _, ap := range got {
			gotIDs = append(gotIDs, ap.ID)
		}
		if !slices.Equal(gotIDs, c.want) {
			t.Errorf("%s: %v, want %v", c.name, gotIDs, c.want)
		}
	}
	if _, err := s.RecentAppointments(ctx, store.Actor{UserID: other.ID, Role: other.Role}, p.ID, week(6), "", 5); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist off the team = %v, want ENotFound", err)
	}
}
