package demo

import (
	"context"
	"fmt"
	"strconv"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// What the demo's superbills say besides the ledger (issue 21), all
// invented: the NPIs are built like the 555-01xx phone numbers (valid
// check digits, "5550142..." so they are plainly fictional; not checked
// against the NPPES registry), the EIN is the textbook 12-3456789.

// practiceSuperbill are the practice's superbill settings.
var practiceSuperbill = map[string]string{
	"practice_address_line1": "2100 North Example Avenue",
	"practice_address_line2": "Suite 300",
	"practice_city":          "Chicago",
	"practice_state":         "IL",
	"practice_postal_code":   "60614",
	"practice_tax_id":        "12-3456789",
	"practice_npi":           "2555014200",
}

// staffNPIs are the clinicians' own (type 1) NPIs, by email.
var staffNPIs = map[string]string{
	"lena.ortiz@willowcreek.example":            "1555014202",
	"sam.whitaker@willowcreek.example":          "1555014210",
	"priya.natarajan@riverbend-medical.example": "1555014228",
}

// demoDiagnoses are the ICD-10-CM codes on a demo patient's chart, the
// primary first; a patient not named here who got past the first contact
// has recurrent moderate depression with generalized anxiety.
var demoDiagnoses = map[string][]string{
	"Casey Morgan":   {"F33.2", "F43.10"},
	"Dana Whitfield": {"F32.1"},
	"Sky Patel":      {"F33.1"},
	"Avery Brooks":   nil, // an inquiry: not assessed yet
}

// seedSuperbill sets the practice's address, tax id and NPI, the
// clinicians' NPIs, and each demo patient's address and diagnoses.
func seedSuperbill(ctx context.Context, st *store.Store, ids map[string]string, patients map[string]*store.Patient) error {
	for k, v := range practiceSuperbill {
		if err := st.SetSetting(ctx, store.System, k, v); err != nil {
			return err
		}
	}
	admin := store.Actor{UserID: ids["admin@willowcreek.example"], Role: clinic.RoleAdmin}
	for email, npi := range staffNPIs {
		if err := st.SetStaffNPI(ctx, admin, ids[email], npi); err != nil {
			return fmt.Errorf("NPI of %s: %w", email, err)
		}
	}
	for i, pp := range patientPeople {
		pt := patients[pp.name]
		if pt == nil {
			continue
		}
		owner := store.Actor{UserID: ids[pp.owner], Role: clinic.RoleTherapist}
		a := clinic.Address{Line1: strconv.Itoa(100+17*i) + " West Example Street", City: "Chicago", State: "IL", PostalCode: "606" + fmt.Sprintf("%02d", 10+i)}
		if i%3 == 1 {
			a.Line2 = "Apt " + strconv.Itoa(2+i)
		}
		if err := st.SavePatientAddress(ctx, owner, pt.ID, a); err != nil {
			return fmt.Errorf("address of %s: %w", pp.email, err)
		}
		codes, named := demoDiagnoses[pp.name]
		if !named && len(pp.path) > 0 {
			codes = []string{"F33.1", "F41.1"}
		}
		for _, c := range codes {
			if _, err := st.AddDiagnosis(ctx, owner, pt.ID, c); err != nil {
				return fmt.Errorf("diagnosis %s of %s: %w", c, pp.email, err)
			}
		}
	}
	return nil
}
