package demo_test

import (
	"context"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestDemoSafetyPlan: Casey Morgan (PHQ-9 item 9 positive) has a safety
// plan built in session: Lena's version 1, her own version 2 with her
// reasons for living.
func TestDemoSafetyPlan(t *testing.T) {
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
	pts, err := st.ListPatients(ctx, lena, store.PatientFilter{Query: "Casey Morgan"})
	if err != nil || len(pts) != 1 {
		t.Fatalf("Casey = %v, %v", pts, err)
	}
	hist, err := st.SafetyPlanHistory(ctx, lena, pts[0].ID)
	if err != nil || len(hist) != 2 {
		t.Fatalf("Casey's plan versions = %d, %v; want 2", len(hist), err)
	}
	if hist[0].AuthorRole != clinic.RolePatient || len(hist[0].Lines(clinic.PlanReasons)) == 0 || hist[1].AuthorName != "Lena Ortiz" || len(hist[1].Lines(clinic.PlanReasons)) != 0 {
		t.Errorf("versions = %+v; want Lena's first, then Casey's with her reasons", hist)
	}
	for _, sec := range clinic.PlanSections {
		if len(hist[0].Lines(sec.Key)) == 0 {
			t.Errorf("Casey's plan has nothing under %q", sec.Title)
		}
	}
}
