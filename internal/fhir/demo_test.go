package fhir_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/fhir/fhirtest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestDemoPracticeValidates maps the demo practice's own data, read through
// the store as its therapists (on SQLite, and on PostgreSQL when
// KAPSTONE_TEST_POSTGRES is set): every patient, their completed
// check-ins as QuestionnaireResponses and Observations, the vitals of
// their dosing sessions, every staff member as a Practitioner and the
// Questionnaires; each resource, and each patient's resources as a
// searchset Bundle, validates against the official R4 schema.
func TestDemoPracticeValidates(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	if _, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	check := fhirtest.Validator(t)
	valid := func(what string, r fhir.Resource) {
		t.Helper()
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := check.Check(b); err != nil {
			t.Errorf("%s is not valid FHIR R4: %v\n%s", what, err, b)
		}
	}
	for _, id := range []string{"phq9", "gad7"} {
		q, err := m.Questionnaire(id)
		if err != nil {
			t.Fatal(err)
		}
		valid(id, q)
	}
	var therapists []store.Actor
	staff := 0
	for _, role := range []clinic.Role{clinic.RoleAdmin, clinic.RoleTherapist, clinic.RolePrescriber} {
		us, err := st.ListStaff(ctx, role)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			p, err := m.Practitioner(u)
			if err != nil {
				t.Fatal(err)
			}
			valid("Practitioner "+u.DisplayName, p)
			staff++
			if role == clinic.RoleTherapist {
				therapists = append(therapists, store.Actor{UserID: u.ID, Role: u.Role})
			}
		}
	}
	var patients, checkins, observations, vitals, references int
	seen := map[string]bool{}
	for _, th := range therapists {
		list, err := st.ListPatients(ctx, th, store.PatientFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range list {
			if seen[row.ID] {
				continue
			}
			seen[row.ID] = true
			p, _, err := st.FindPatient(ctx, th, row.ID)
			if err != nil {
				t.Fatal(err)
			}
			bundle := fhir.Bundle{Type: "searchset"}
			add := func(what string, r fhir.Resource) {
				valid(p.DisplayName+" "+what, r)
				bundle.Entry = append(bundle.Entry, fhir.BundleEntry{
					FullURL:  m.Base + "/" + r.ResourceType() + "/" + r.ResourceID(),
					Resource: r, Search: &fhir.BundleSearch{Mode: "match"}})
			}
			fp, err := m.Patient(p)
			if err != nil {
				t.Fatal(err)
			}
			add("Patient", fp)
			patients++
			ms, err := st.FindMeasures(ctx, th, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range ms.Checkins {
				if _, ok := fhir.Shipped(c.Instrument); !ok {
					continue
				}
				qr, err := m.QuestionnaireResponse(p.ID, c)
				if err != nil {
					t.Fatal(err)
				}
				add("QuestionnaireResponse "+c.Instrument, qr)
				obs, err := m.CheckinObservations(p.ID, c)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range obs {
					add("Observation "+o.ID, o)
				}
				checkins++
				observations += len(obs)
			}
			sessions, err := st.DosingSessions(ctx, th, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sessions {
				d, err := st.DosingSessionFor(ctx, th, p.ID, s.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range d.Vitals {
					obs, err := m.VitalsObservations(p.ID, v)
					if err != nil {
						t.Fatal(err)
					}
					for _, o := range obs {
						add("vital sign "+o.ID, o)
					}
					vitals += len(obs)
				}
			}
			bundle.Total = fhir.Int(len(bundle.Entry))
			valid(p.DisplayName+"'s bundle", bundle)
			// Every reference resolves to a resource of the same patient's
			// bundle: the Observations' QuestionnaireResponse, the panel's
			// members, the patient.
			all, err := json.Marshal(bundle)
			if err != nil {
				t.Fatal(err)
			}
			references += fhirtest.BundleResolves(t, all)
		}
	}
	// The demo has 10 patients, 4 staff, dozens of PHQ-9 and GAD-7 scores
	// and past dosing sessions with vitals before the dose, at 40 minutes
	// and before discharge.
	t.Logf("validated %d patients, %d staff, %d check-ins (%d observations), %d vital-sign observations; %d references resolved", patients, staff, checkins, observations, vitals, references)
	if patients != 10 || staff != 4 || checkins < 40 || vitals == 0 || references < observations {
		t.Errorf("mapped %d patients, %d staff, %d check-ins, %d vital signs: the demo has 10 patients, 4 staff, dozens of check-ins and dosing vitals", patients, staff, checkins, vitals)
	}
}
