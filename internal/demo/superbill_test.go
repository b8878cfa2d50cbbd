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

// TestDemoSuperbill: the demo practice has an address, an EIN and a valid
// organization NPI; its clinicians have valid NPIs; Jordan Lee has an
// address and F33.1 (primary) and F41.1 on the chart.
func TestDemoSuperbill(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	if _, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	ps, err := st.Practice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fe := store.CheckPractice(&ps); len(fe) > 0 || ps.Address.Empty() || ps.TaxID == "" || ps.NPI == "" {
		t.Errorf("practice %+v: %v", ps, fe)
	}
	u, _, err := st.FindUserByEmail(ctx, "lena.ortiz@willowcreek.example")
	if err != nil {
		t.Fatal(err)
	}
	lena := store.Actor{UserID: u.ID, Role: clinic.RoleTherapist}
	npi, err := st.StaffNPI(ctx, lena, u.ID)
	if _, msg := clinic.CheckNPI(npi); err != nil || npi == "" || msg != "" {
		t.Errorf("Lena's NPI %q: %v %s", npi, err, msg)
	}
	pts, err := st.ListPatients(ctx, lena, store.PatientFilter{Query: "Jordan Lee"})
	if err != nil || len(pts) != 1 {
		t.Fatalf("Jordan = %v, %v", pts, err)
	}
	p, _, err := st.FindPatient(ctx, lena, pts[0].ID)
	if err != nil || len(p.Address.Lines()) < 2 {
		t.Errorf("Jordan's address %+v, %v", p, err)
	}
	ds, err := st.Diagnoses(ctx, lena, p.ID)
	if err != nil || len(ds) != 2 || ds[0].Code != "F33.1" || ds[1].Code != "F41.1" {
		t.Errorf("Jordan's diagnoses %+v, %v", ds, err)
	}
}
