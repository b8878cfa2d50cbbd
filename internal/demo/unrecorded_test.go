package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestDemoSessionToRecord: the demo has a session of Lena Ortiz's (the
// demo therapist) that has begun and ended with no outcome recorded,
// Jordan Lee's preparation session, and nothing charged for it; marking it
// attended charges the preparation fee, $200.00, and Jordan then owes it.
func TestDemoSessionToRecord(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	if _, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	u, _, err := st.FindUserByEmail(ctx, "lena.ortiz@willowcreek.example")
	if err != nil {
		t.Fatal(err)
	}
	lena := store.Actor{UserID: u.ID, Role: clinic.RoleTherapist}
	pts, err := st.ListPatients(ctx, lena, store.PatientFilter{Query: "Jordan Lee"})
	if err != nil || len(pts) != 1 {
		t.Fatalf("Jordan Lee: %v %v", pts, err)
	}
	jordan := pts[0].ID
	aps, err := st.Appointments(ctx, lena, jordan)
	if err != nil {
		t.Fatal(err)
	}
	now := st.Now()
	var ap *store.Appointment
	for i, a := range aps {
		if a.Outcome == "" && a.StartsAt.Add(time.Duration(a.Minutes)*time.Minute).Before(now) {
			if ap != nil {
				t.Fatalf("two sessions to record: %+v and %+v", *ap, a)
			}
			ap = &aps[i]
		}
	}
	if ap == nil || ap.Kind != "preparation" || ap.Clinician != u.ID && ap.Clinician != u.DisplayName {
		t.Fatalf("no ended preparation session of Lena's left to record for Jordan: %+v", ap)
	}
	if c, err := st.AppointmentCharge(ctx, lena, jordan, ap.ID); err != nil || c != nil {
		t.Fatalf("charged before it is recorded: %+v %v", c, err)
	}
	if err := st.RecordAppointmentOutcome(ctx, lena, jordan, ap.ID, "attended"); err != nil {
		t.Fatal(err)
	}
	c, err := st.AppointmentCharge(ctx, lena, jordan, ap.ID)
	if err != nil || c == nil || c.Cents != 20000 || c.Kind != billing.ChargeService || c.Code != "90834" {
		t.Fatalf("the charge made: %+v %v", c, err)
	}
	if !billing.FitsMinutes(c.Code, ap.Minutes) {
		t.Errorf("a %d-minute session is coded %s", ap.Minutes, c.Code)
	}
	l, err := st.PatientLedger(ctx, lena, jordan, store.PageKey{}, store.PageKey{})
	if err != nil || l.Balance.Balance != 20000 {
		t.Errorf("Jordan's balance after it: %+v %v", l, err)
	}
}
