package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestTwoInstancesBookOneSlot: two instances booking the same clinician's
// slot at the same moment (each for another patient) fill it once: the
// schedule lock (dialect.lockSchedule) makes the second see the first's
// appointment, and refuse with the clash at the time field.
func TestTwoInstancesBookOneSlot(t *testing.T) {
	requirePostgres(t)
	ctx := context.Background()
	dsn := storetest.DSN(t)
	a, b := storetest.OpenDSN(t, dsn), storetest.OpenDSN(t, dsn)
	b.SetAuditKey(a.AuditKey()) // instances share the key file
	hash, _ := auth.HashPassword("a long enough test password", auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1})
	u := &clinic.User{Email: "thea@example.org", DisplayName: "Thea Therapist", Role: clinic.RoleTherapist}
	if err := a.CreateUser(ctx, store.System, u, hash); err != nil {
		t.Fatal(err)
	}
	thea := store.Actor{UserID: u.ID, Role: u.Role}
	var pats [2]*store.Patient
	for i := range pats {
		pats[i] = &store.Patient{DisplayName: fmt.Sprintf("Patient %d", i)}
		if err := a.CreatePatient(ctx, thea, pats[i], ""); err != nil {
			t.Fatal(err)
		}
	}
	const rounds = 12
	start := time.Now().UTC().Truncate(time.Hour).Add(72 * time.Hour)
	for round := range rounds {
		at := start.Add(time.Duration(round) * 2 * time.Hour)
		var errs [2]error
		var wg sync.WaitGroup
		ready := make(chan struct{})
		for i, s := range []*store.Store{a, b} {
			wg.Go(func() {
				<-ready
				errs[i] = s.CreateAppointment(ctx, thea, pats[i].ID, &store.Appointment{Kind: "integration", StartsAt: at, Minutes: 60})
			})
		}
		close(ready)
		wg.Wait()
		booked := 0
		for i, err := range errs {
			switch {
			case err == nil:
				booked++
			case clinicField(err, "starts_at") != "":
			default:
				t.Fatalf("round %d, instance %d: %v, want booked or refused as a clash", round, i, err)
			}
		}
		if booked != 1 {
			t.Fatalf("round %d: %d of two simultaneous bookings of one slot went through, want 1", round, booked)
		}
	}
	n := 0
	for _, p := range pats {
		aps, err := a.Appointments(ctx, thea, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		n += len(aps)
	}
	if n != rounds {
		t.Errorf("%d appointments booked in %d rounds, want one a round", n, rounds)
	}
}

// clinicField is err's message for field, when err is a clinic.Error.
func clinicField(err error, field string) string {
	var ce *clinic.Error
	if errors.As(err, &ce) && ce.Code == clinic.EInvalid {
		return ce.Fields[field]
	}
	return ""
}
