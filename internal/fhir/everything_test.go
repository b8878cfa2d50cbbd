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

// TestEverythingDemo gathers every demo patient's record (on SQLite, and
// on PostgreSQL when KAPSTONE_TEST_POSTGRES is set) as their owning
// therapist and, for those with a portal account, as the patient, each in
// one view: the Bundle and each resource in it validate against the
// official R4 schema, every reference resolves inside the Bundle, each
// gathering writes exactly one audit row, the psychotherapy note's canary
// is in none, the therapist's copy has the clinicians' sections (dosing
// sessions, vital signs, signed notes) and the patient's copy has what the
// policy gives a patient and nothing of another patient.
func TestEverythingDemo(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	logins, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	check := fhirtest.Validator(t)
	patientOf := map[string]store.Actor{} // patient id -> their portal account
	for _, l := range logins {
		if l.Role != clinic.RolePatient {
			continue
		}
		u, _, err := st.FindUserByEmail(ctx, l.Email)
		if err != nil {
			t.Fatal(err)
		}
		a := store.Actor{UserID: u.ID, Role: u.Role}
		p, err := st.FindOwnPatient(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		patientOf[p.ID] = a
	}
	therapists, err := st.ListStaff(ctx, clinic.RoleTherapist)
	if err != nil {
		t.Fatal(err)
	}
	total := map[string]map[string]int{"therapist": {}, "patient": {}}
	seen := map[string]bool{}
	for _, th := range therapists {
		actor := store.Actor{UserID: th.ID, Role: th.Role}
		list, err := st.ListPatients(ctx, actor, store.PatientFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range list {
			if seen[row.ID] {
				continue
			}
			seen[row.ID] = true
			if err := st.CreatePsychNote(ctx, actor, row.ID, &store.PsychNote{Body: "Session reflections " + psychCanary}); err != nil {
				t.Fatal(err)
			}
			gather := func(who string, a store.Actor) {
				t.Helper()
				before := st.AuditAppends()
				vctx, view, err := st.BeginView(ctx, a, row.ID, "record.export")
				if err != nil {
					t.Fatal(err)
				}
				b, err := fhir.Everything(vctx, st, a, row.ID, m)
				if err != nil {
					t.Fatalf("%s's record as %s: %v", row.ID, who, err)
				}
				if err := view.Finish(ctx); err != nil {
					t.Fatal(err)
				}
				if n := st.AuditAppends() - before; n != 1 {
					t.Errorf("%s's record as %s wrote %d audit rows, want 1 (one view)", row.ID, who, n)
				}
				checkRecord(t, check, b, row.ID, who, total[who])
			}
			gather("therapist", actor)
			if pa, ok := patientOf[row.ID]; ok {
				gather("patient", pa)
			}
		}
	}
	t.Logf("therapists' copies: %v; patients' copies: %v", total["therapist"], total["patient"])
	if len(seen) != 10 || len(patientOf) == 0 {
		t.Fatalf("gathered %d patients (%d with a portal account): the demo has 10, some in the portal", len(seen), len(patientOf))
	}
	for _, rt := range []string{"Patient", "Practitioner", "PractitionerRole", "CareTeam", "QuestionnaireResponse", "Observation", "Appointment", "Encounter", "MedicationStatement", "Flag", "Consent", "CarePlan", "DocumentReference", "Provenance"} {
		if total["therapist"][rt] == 0 {
			t.Errorf("no therapist's copy has a %s", rt)
		}
	}
	for _, rt := range []string{"Patient", "Practitioner", "CareTeam", "QuestionnaireResponse", "Observation", "Appointment", "Consent", "CarePlan"} {
		if total["patient"][rt] == 0 {
			t.Errorf("no patient's copy has a %s", rt)
		}
	}
	// What the policy does not give a patient: clinical notes, dosing
	// records, prescriptions.
	for _, rt := range []string{"DocumentReference", "Encounter"} {
		if total["patient"][rt] != 0 {
			t.Errorf("a patient's copy has %d %s: the policy gives a patient none", total["patient"][rt], rt)
		}
	}
}

// checkRecord validates one gathered Bundle: each resource and the whole,
// references resolved inside it, no canary, nothing about another patient.
func checkRecord(t *testing.T, check *fhirtest.Checker, b *fhir.Bundle, patientID, who string, count map[string]int) {
	t.Helper()
	if b.Type != "collection" {
		t.Errorf("bundle type %q, want collection", b.Type)
	}
	all, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := check.Check(all); err != nil {
		t.Errorf("%s's record as %s is not valid FHIR R4: %v", patientID, who, err)
	}
	if strings.Contains(string(all), psychCanary) {
		t.Errorf("%s's record as %s carries a psychotherapy note's text", patientID, who)
	}
	have := map[string]bool{}
	for _, e := range b.Entry {
		key := e.Resource.ResourceType() + "/" + e.Resource.ResourceID()
		if have[key] {
			t.Errorf("%s twice in %s's record", key, patientID)
		}
		have[key] = true
		if e.FullURL != m.Base+"/"+key {
			t.Errorf("%s has fullUrl %s", key, e.FullURL)
		}
		count[e.Resource.ResourceType()]++
	}
	if !have["Patient/"+patientID] {
		t.Errorf("%s's record has no Patient/%s", patientID, patientID)
	}
	for _, e := range b.Entry {
		one, _ := json.Marshal(e.Resource)
		if err := check.Check(one); err != nil {
			t.Errorf("%s/%s in %s's record is not valid: %v", e.Resource.ResourceType(), e.Resource.ResourceID(), patientID, err)
		}
	}
	fhirtest.BundleResolves(t, all)
	refs, _, err := fhirtest.BundleRefs(all)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		if _, to, _ := strings.Cut(ref, " -> "); strings.HasPrefix(to, "Patient/") && to != "Patient/"+patientID {
			t.Errorf("%s's record as %s refers to another patient: %s", patientID, who, ref)
		}
	}
}

// TestEverythingRefused: a patient asking for another patient's record,
// and a clinician outside the care team, get not-found, and nothing.
func TestEverythingRefused(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	logins, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	var pats []store.Actor
	var ids []string
	for _, l := range logins {
		if l.Role == clinic.RolePatient {
			u, _, err := st.FindUserByEmail(ctx, l.Email)
			if err != nil {
				t.Fatal(err)
			}
			a := store.Actor{UserID: u.ID, Role: u.Role}
			p, err := st.FindOwnPatient(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			pats, ids = append(pats, a), append(ids, p.ID)
		}
	}
	if len(pats) < 2 {
		t.Fatalf("the demo has %d portal patients, want two", len(pats))
	}
	b, err := fhir.Everything(ctx, st, pats[0], ids[1], m)
	if clinic.ErrorCode(err) != clinic.ENotFound || b != nil {
		t.Errorf("a patient gathering another's record: %v, %v; want not found and nothing", b, err)
	}
	// A therapist outside a patient's care team (and without an
	// emergency grant) is refused that patient's record.
	therapists, err := st.ListStaff(ctx, clinic.RoleTherapist)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, th := range therapists {
		a := store.Actor{UserID: th.ID, Role: th.Role}
		list, err := st.ListPatients(ctx, a, store.PatientFilter{})
		if err != nil {
			t.Fatal(err)
		}
		mine := map[string]bool{}
		for _, row := range list {
			mine[row.ID] = true
		}
		for _, id := range ids {
			if mine[id] {
				continue
			}
			b, err := fhir.Everything(ctx, st, a, id, m)
			if clinic.ErrorCode(err) != clinic.ENotFound || b != nil {
				t.Errorf("a therapist outside %s's team: %v, %v; want not found and nothing", id, b, err)
			}
			refused++
		}
	}
	if refused == 0 {
		t.Error("every therapist is on every portal patient's team: no refusal was tried")
	}
}

// TestEverythingByRelation: what the gathering holds is what the one
// access policy gives the caller, each in one view and one audit row: the
// owning therapist everything (signed notes and dosing sessions
// included); a therapist with emergency access the chart without the
// clinical notes; an administrator who the patient is and their care
// team, nothing clinical.
func TestEverythingByRelation(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	if _, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	staff := map[clinic.Role][]*clinic.User{}
	for _, role := range []clinic.Role{clinic.RoleAdmin, clinic.RoleTherapist} {
		us, err := st.ListStaff(ctx, role)
		if err != nil {
			t.Fatal(err)
		}
		staff[role] = us
	}
	// A patient of one therapist with signed notes and dosing sessions, and a therapist not
	// on their team.
	var owner, outsider store.Actor
	var patientID string
	for _, th := range staff[clinic.RoleTherapist] {
		a := store.Actor{UserID: th.ID, Role: th.Role}
		list, err := st.ListPatients(ctx, a, store.PatientFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range list {
			b, err := fhir.Everything(ctx, st, a, row.ID, m)
			if err != nil {
				t.Fatal(err)
			}
			if got := types(b); got["DocumentReference"] > 0 && got["Encounter"] > 0 && patientID == "" {
				owner, patientID = a, row.ID
			}
		}
	}
	for _, th := range staff[clinic.RoleTherapist] {
		if a := (store.Actor{UserID: th.ID, Role: th.Role}); a != owner {
			if _, err := fhir.Everything(ctx, st, a, patientID, m); clinic.ErrorCode(err) == clinic.ENotFound {
				outsider = a
			}
		}
	}
	if patientID == "" || outsider.UserID == "" {
		t.Fatalf("the demo has no patient with signed notes (%q) or no therapist outside their team (%q)", patientID, outsider.UserID)
	}
	if _, err := st.GrantEmergencyAccess(ctx, outsider, patientID, "Patient called in crisis; their therapist is away."); err != nil {
		t.Fatal(err)
	}
	admin := store.Actor{UserID: staff[clinic.RoleAdmin][0].ID, Role: clinic.RoleAdmin}
	for _, tc := range []struct {
		who        string
		actor      store.Actor
		want, none []string
	}{
		{"owner", owner, []string{"Patient", "CareTeam", "Observation", "Appointment", "Encounter", "DocumentReference", "Consent"}, nil},
		{"emergency", outsider, []string{"Patient", "CareTeam", "Observation", "Appointment", "Encounter", "Consent"}, []string{"DocumentReference"}},
		{"admin", admin, []string{"Patient", "CareTeam", "Practitioner"}, []string{"Observation", "QuestionnaireResponse", "Appointment", "Encounter", "DocumentReference", "Consent", "Flag", "MedicationStatement", "CarePlan"}},
	} {
		before := st.AuditAppends()
		vctx, view, err := st.BeginView(ctx, tc.actor, patientID, "record.export")
		if err != nil {
			t.Fatal(err)
		}
		b, err := fhir.Everything(vctx, st, tc.actor, patientID, m)
		if err != nil {
			t.Fatalf("%s: %v", tc.who, err)
		}
		if err := view.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		if n := st.AuditAppends() - before; n != 1 {
			t.Errorf("%s: %d audit rows, want 1", tc.who, n)
		}
		got := types(b)
		for _, rt := range tc.want {
			if got[rt] == 0 {
				t.Errorf("%s's gathering has no %s: %v", tc.who, rt, got)
			}
		}
		for _, rt := range tc.none {
			if got[rt] != 0 {
				t.Errorf("%s's gathering has %d %s: the policy gives them none", tc.who, got[rt], rt)
			}
		}
	}
}

func types(b *fhir.Bundle) map[string]int {
	out := map[string]int{}
	for _, e := range b.Entry {
		out[e.Resource.ResourceType()]++
	}
	return out
}
