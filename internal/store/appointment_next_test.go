package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestNextAppointment: the portal home's next appointment is the first
// booked one not yet over (one under way counts), none after the last,
// on both engines; a stranger is refused as ENotFound.
func TestNextAppointment(t *testing.T) {
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
	p := &store.Patient{DisplayName: "P"}
	if err := s.CreatePatient(ctx, actor, p, ""); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range []int{1, 3, 48} {
		ap := &store.Appointment{Kind: "integration", StartsAt: t0.Add(time.Duration(h) * time.Hour), Minutes: 60}
		if err := s.CreateAppointment(ctx, actor, p.ID, ap); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ap.ID)
	}
	for _, c := range []struct {
		at   time.Duration
		want string
	}{
		{0, ids[0]},
		{90 * time.Minute, ids[0]}, // under way
		{150 * time.Minute, ids[1]},
		{270 * time.Minute, ids[2]},
		{72 * time.Hour, ""},
	} {
		s.Now = func() time.Time { return t0.Add(c.at) }
		next, err := s.NextAppointment(ctx, actor, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if next != nil {
			got = next.ID
		}
		if got != c.want {
			t.Errorf("at +%v the next appointment is %q, want %q", c.at, got, c.want)
		}
	}
	if _, err := s.NextAppointment(ctx, store.Actor{UserID: other.ID, Role: other.Role}, p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist off the team = %v, want ENotFound", err)
	}
}
