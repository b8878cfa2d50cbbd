package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// demoFees is the demo's fee schedule (issue 21), in cents. Dosing
// sessions are billed as psychotherapy (90837) for the therapist's
// session: the prolonged-service add-ons practices once used for a
// three-hour session (99354, 99355) were deleted from CPT in 2023 and
// have no replacement for psychotherapy, so the demo names no add-on; a
// practice whose billing advisor names one sets it on the entry.
// Preparation, integration and follow-up sessions are booked for 50
// minutes: psychotherapy of 38 to 52 minutes, 90834 (90837 is for 53
// minutes or more; billing.FitsMinutes).
var demoFees = []store.FeeEntry{
	{Kind: "intake", Code: "90791", Description: "Psychiatric diagnostic evaluation (intake)", Cents: 25000},
	{Kind: "medical_evaluation", Code: "99213", Description: "Medical evaluation, established patient", Cents: 15000},
	{Kind: "preparation", Code: "90834", Description: "Psychotherapy, 38 to 52 minutes (preparation)", Cents: 20000},
	{Kind: "dosing", Code: "90837", Description: "Psychotherapy during a ketamine dosing session", Cents: 60000},
	{Kind: "integration", Code: "90834", Description: "Psychotherapy, 38 to 52 minutes (integration)", Cents: 20000},
	{Kind: "follow_up", Code: "90834", Description: "Psychotherapy, 38 to 52 minutes (follow-up)", Cents: 16000},
}

// seedFees sets the demo's fee schedule, charge policy, a sliding-scale
// tier (Riley Chen is on it) and a package, through the store as the
// administrator, before the attended sessions are seeded: their charges
// are made as they are recorded.
func seedFees(ctx context.Context, st *store.Store, ids map[string]string, patients map[string]*store.Patient) error {
	admin := store.Actor{UserID: ids["admin@willowcreek.example"], Role: clinic.RoleAdmin}
	for _, f := range demoFees {
		if err := st.SetFee(ctx, admin, &f); err != nil {
			return fmt.Errorf("fee %s: %w", f.Kind, err)
		}
	}
	if err := st.SetChargePolicy(ctx, admin, billing.Policy{LateCancelHours: 24, LateCancelCents: 7500, NoShowCents: 10000}); err != nil {
		return err
	}
	tier := store.Tier{Name: "Reduced 75%", Percent: 75}
	if err := st.AddTier(ctx, admin, &tier); err != nil {
		return err
	}
	if err := st.AddPackage(ctx, admin, &store.Package{Name: "Six integration sessions", Kind: "integration", Sessions: 6, Cents: 108000, Code: "90834"}); err != nil {
		return err
	}
	sam := store.Actor{UserID: ids["sam.whitaker@willowcreek.example"], Role: clinic.RoleTherapist}
	return st.SetPatientTier(ctx, sam, patients["Riley Chen"].ID, tier.ID)
}

// seedPayments records the demo's payments once the sessions are
// charged: Jordan Lee paid their preparation session in full at the
// terminal; Riley Chen (on the 75% tier: two integration sessions at
// $150.00) paid $200.00 by check and owes $100.00.
func seedPayments(ctx context.Context, st *store.Store, ids map[string]string, patients map[string]*store.Patient) error {
	lena := store.Actor{UserID: ids["lena.ortiz@willowcreek.example"], Role: clinic.RoleTherapist}
	admin := store.Actor{UserID: ids["admin@willowcreek.example"], Role: clinic.RoleAdmin}
	if _, err := st.RecordPayment(ctx, lena, patients["Jordan Lee"].ID, store.PaymentInput{Cents: 20000, Method: billing.MethodCardTerminal, Reference: "Terminal receipt 004211"}); err != nil {
		return fmt.Errorf("payment of Jordan Lee: %w", err)
	}
	if _, err := st.RecordPayment(ctx, admin, patients["Riley Chen"].ID, store.PaymentInput{Cents: 20000, Method: billing.MethodCheck, Reference: "Check 1187"}); err != nil {
		return fmt.Errorf("payment of Riley Chen: %w", err)
	}
	return nil
}

// seedUnrecorded books Jordan Lee's preparation session with Lena Ortiz
// (the demo's therapist) that began two hours ago and has ended, with no
// outcome recorded yet: a newcomer marks it attended on the appointment
// and sees the session's charge made ($200.00, the preparation fee) on
// Jordan's billing page. Booked through the store, its clock set to a week
// before the session.
func seedUnrecorded(ctx context.Context, st *store.Store, ids map[string]string, patients map[string]*store.Patient) error {
	lena := store.Actor{UserID: ids["lena.ortiz@willowcreek.example"], Role: clinic.RoleTherapist}
	real := st.Now
	defer func() { st.Now = real }()
	at := real().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
	st.Now = func() time.Time { return at.AddDate(0, 0, -7) }
	ap := &store.Appointment{Kind: "preparation", StartsAt: at, Minutes: 50}
	if err := st.CreateAppointment(ctx, lena, patients["Jordan Lee"].ID, ap); err != nil {
		return fmt.Errorf("the session to record: %w", err)
	}
	return nil
}
