package fhir_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/fhir/fhirtest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// psychCanary is written into a psychotherapy note of every demo patient
// before the walk: no resource may carry it.
const psychCanary = "PSYCH-CANARY-4b1d-never-in-fhir"

// TestDemoPracticeMoreValidates maps the rest of the demo practice's own
// data, read through the store as its therapists (on SQLite, and on
// PostgreSQL when KAPSTONE_TEST_POSTGRES is set): every staff member's
// PractitionerRole, and for every patient their CareTeam, appointments,
// dosing sessions as Encounters, intake medications and prescriptions,
// screening flags and safety alerts, consents, courses as CarePlans,
// signed notes as DocumentReferences with their Provenance, and the
// Provenance of each completed check-in. Each resource, and each
// patient's as a searchset Bundle, validates against the official R4
// schema; every reference resolves to the patient's resources or the
// practice's staff; a psychotherapy note's text (a canary in every
// patient's) and the signed notes' own text appear in none of them.
func TestDemoPracticeMoreValidates(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	if _, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	check := fhirtest.Validator(t)
	count := map[string]int{}
	var all strings.Builder
	valid := func(what string, r fhir.Resource) []byte {
		t.Helper()
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := check.Check(b); err != nil {
			t.Errorf("%s is not valid FHIR R4: %v\n%s", what, err, b)
		}
		count[r.ResourceType()]++
		all.Write(b)
		return b
	}
	// The practice's staff: Practitioners and their roles, which the
	// patients' resources refer to.
	staff := map[string]bool{}
	byName := map[string]string{} // display name -> user id, "" when two share it
	var therapists []store.Actor
	for _, role := range []clinic.Role{clinic.RoleAdmin, clinic.RoleTherapist, clinic.RolePrescriber} {
		us, err := st.ListStaff(ctx, role)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			pr, err := m.PractitionerRole(u)
			if err != nil {
				t.Fatal(err)
			}
			valid("PractitionerRole "+u.DisplayName, pr)
			staff["Practitioner/"+u.ID], staff["PractitionerRole/"+u.ID] = true, true
			if _, dup := byName[u.DisplayName]; dup {
				byName[u.DisplayName] = ""
			} else {
				byName[u.DisplayName] = u.ID
			}
			if role == clinic.RoleTherapist {
				therapists = append(therapists, store.Actor{UserID: u.ID, Role: u.Role})
			}
		}
	}
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
			if err := st.CreatePsychNote(ctx, th, row.ID, &store.PsychNote{Body: "Session reflections " + psychCanary}); err != nil {
				t.Fatal(err)
			}
			walkPatient(ctx, t, st, th, row.ID, byName, staff, valid)
		}
	}
	t.Logf("validated %v", count)
	if len(seen) != 10 {
		t.Errorf("walked %d patients, the demo has 10", len(seen))
	}
	for _, rt := range []string{"PractitionerRole", "CareTeam", "Appointment", "Encounter", "MedicationStatement", "Flag", "Consent", "CarePlan", "DocumentReference", "Provenance"} {
		if count[rt] == 0 {
			t.Errorf("the demo gave no %s", rt)
		}
	}
	if count["CareTeam"] != 10 || count["CarePlan"] < 10 || count["PractitionerRole"] != 4 {
		t.Errorf("%d care teams, %d care plans, %d roles: want 10, at least 10 and 4", count["CareTeam"], count["CarePlan"], count["PractitionerRole"])
	}
	if strings.Contains(all.String(), psychCanary) {
		t.Error("a psychotherapy note's text is in a FHIR resource")
	}
}

// walkPatient maps one patient's resources (the clinicians of
// appointments and sessions by id, from store.ClinicianIDs, which must
// agree with the names the store gives), validates each and the
// patient's Bundle, and checks that their references resolve.
func walkPatient(ctx context.Context, t *testing.T, st *store.Store, th store.Actor, patientID string, byName map[string]string, staff map[string]bool, valid func(string, fhir.Resource) []byte) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	p, _, err := st.FindPatient(ctx, th, patientID)
	must(err)
	bundle := fhir.Bundle{Type: "searchset"}
	add := func(what string, r fhir.Resource) []byte {
		b := valid(p.DisplayName+" "+what, r)
		bundle.Entry = append(bundle.Entry, fhir.BundleEntry{FullURL: m.Base + "/" + r.ResourceType() + "/" + r.ResourceID(), Resource: r, Search: &fhir.BundleSearch{Mode: "match"}})
		return b
	}
	fp, err := m.Patient(p)
	must(err)
	add("Patient", fp)

	team, err := st.CareTeam(ctx, th, p.ID)
	must(err)
	ct, err := m.CareTeam(p.ID, team)
	must(err)
	add("CareTeam", ct)

	chart, err := st.FindChart(ctx, th, p.ID, store.ChartOptions{AllAppointments: true})
	must(err)
	sessions, err := st.DosingSessions(ctx, th, p.ID)
	must(err)
	var ids []string
	for _, ap := range chart.Appointments {
		ids = append(ids, ap.ID)
	}
	for _, s := range sessions {
		ids = append(ids, s.ID)
	}
	clinician, err := st.ClinicianIDs(ctx, th, p.ID, ids)
	must(err)
	for _, id := range ids {
		if !staff["Practitioner/"+clinician[id]] {
			t.Errorf("%s's clinician %q is not a staff member", id, clinician[id])
		}
	}
	for _, ap := range chart.Appointments {
		if byName[ap.Clinician] != clinician[ap.ID] {
			t.Errorf("appointment %s: the store names %s, ClinicianIDs says %s", ap.ID, ap.Clinician, clinician[ap.ID])
		}
		a, err := m.Appointment(p.ID, ap, clinician[ap.ID])
		must(err)
		b := add("Appointment "+ap.Kind, a)
		if ap.VideoLink != "" && strings.Contains(string(b), ap.VideoLink) {
			t.Errorf("appointment %s carries its video link", ap.ID)
		}
	}
	sessionOf := map[string]string{} // appointment id -> session id
	for _, s := range sessions {
		e, err := m.Encounter(p.ID, s, clinician[s.ID])
		must(err)
		add("Encounter", e)
		if s.AppointmentID != "" {
			sessionOf[s.AppointmentID] = s.ID
		}
	}
	if chart.Screened != nil {
		meds, err := m.IntakeMedications(p, chart.Screened)
		must(err)
		for _, ms := range meds {
			add("intake medication", ms)
		}
	}
	flags, err := m.ScreeningFlags(p.ID, chart.Screened, chart.Flags)
	must(err)
	for _, f := range flags {
		b := add("screening flag", f)
		for _, sf := range chart.Flags {
			if len(sf.Detail) > 12 && strings.Contains(string(b), sf.Detail) {
				t.Errorf("flag %s carries the intake's words %q", f.ID, sf.Detail)
			}
		}
	}
	for _, a := range chart.Alerts {
		f, err := m.SafetyAlert(a)
		must(err)
		add("safety alert", f)
	}
	rx, err := st.FindPrescriptions(ctx, th, p.ID)
	must(err)
	mss, err := m.Prescriptions(p.ID, rx)
	must(err)
	for _, ms := range mss {
		add("prescription", ms)
	}
	consents, err := st.PatientConsents(ctx, th, p.ID)
	must(err)
	for _, c := range consents {
		cs, err := m.Consents(p.ID, c)
		must(err)
		for _, x := range cs {
			add("consent "+c.Kind, x)
		}
	}
	plans, err := m.CarePlans(p, chart.Timeline)
	must(err)
	for _, pl := range plans {
		add("CarePlan", pl)
		if strings.Contains(pl.Text.Div, ": </li>") {
			t.Errorf("CarePlan %s names a stage without a title: %s", pl.ID, pl.Text.Div)
		}
	}
	for page := 1; ; page++ {
		list, err := st.Notes(ctx, th, p.ID, page)
		must(err)
		for _, ns := range list.Notes {
			if ns.Status != clinic.NoteSigned && ns.Status != clinic.NoteAwaitingCosign {
				continue
			}
			n, err := st.NoteFor(ctx, th, p.ID, ns.AppointmentID)
			must(err)
			d, err := m.DocumentReference(n, sessionOf[n.AppointmentID])
			must(err)
			b := add("DocumentReference", d)
			for _, text := range n.Sections {
				if len(text) > 12 && strings.Contains(string(b), text) {
					t.Errorf("note %s's text is in its DocumentReference", n.ID)
				}
			}
			pv, err := m.NoteProvenance(n)
			must(err)
			add("note Provenance", pv)
		}
		if !list.More {
			break
		}
	}
	ms, err := st.FindMeasures(ctx, th, p.ID)
	must(err)
	for _, c := range ms.Checkins {
		if _, ok := fhir.Shipped(c.Instrument); !ok || !c.Complete {
			continue
		}
		qr, err := m.QuestionnaireResponse(p.ID, c)
		must(err)
		add("QuestionnaireResponse", qr)
		pv, err := m.CheckinProvenance(p.ID, c)
		must(err)
		add("check-in Provenance", pv)
	}
	bundle.Total = fhir.Int(len(bundle.Entry))
	valid(p.DisplayName+"'s bundle", bundle)
	// Every reference resolves to the patient's resources or the staff.
	var outside []string
	for ref := range staff {
		outside = append(outside, ref)
	}
	all, err := json.Marshal(bundle)
	must(err)
	fhirtest.BundleResolves(t, all, outside...)
}
