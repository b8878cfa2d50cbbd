package fhir_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/fhir/fhirtest"
	"github.com/kapstone/kapstone/internal/store"
)

// recordTypes are the patient-scoped resource types the API searches by
// patient.
var recordTypes = []string{"QuestionnaireResponse", "Observation", "CareTeam", "Appointment", "Encounter", "MedicationStatement",
	"Flag", "Consent", "CarePlan", "DocumentReference", "Provenance"}

// clinicianOnly are the types a patient's token never sees.
var clinicianOnly = []string{"Encounter", "DocumentReference"}

// bundleOf decodes a response's Bundle.
func bundleOf(t *testing.T, r response) []byte {
	t.Helper()
	if r.status != http.StatusOK || r.json["resourceType"] != "Bundle" {
		t.Fatalf("want a Bundle, got %d: %s", r.status, r.body)
	}
	return r.body
}

// TestRecordHTTP reads every demo patient's record through HTTP as every
// clinician on their care team (on SQLite, and on PostgreSQL when
// KAPSTONE_TEST_POSTGRES is set): every type's search walked a few
// entries a page (no entry twice, none missing: the total), each entry
// read again by id, $everything, every answer valid FHIR R4 (api.do
// checks each against the official schema); $everything has exactly
// what the searches give, and every reference in it resolves. Then the
// access matrix: the patient's token and a therapist's get 404 for every
// resource of a patient they may not see, and the patient's own token
// gets none of the clinicians' sections.
func TestRecordHTTP(t *testing.T) {
	a := newAPI(t)
	ctx := context.Background()
	// A token for every clinician, and the patients each may see.
	clinicians := map[string]string{} // token -> who
	teamOf := map[string][]string{}   // token -> patients
	actorOf := map[string]store.Actor{}
	for _, role := range []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber} {
		us, err := a.st.ListStaff(ctx, role)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			tok, _, err := a.st.CreateAPITokenFor(ctx, u.ID, store.APITokenInput{Label: "test", Scope: store.ScopeRead, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			clinicians[tok], actorOf[tok] = u.DisplayName, store.Actor{UserID: u.ID, Role: u.Role}
			list, err := a.st.ListPatients(ctx, store.Actor{UserID: u.ID, Role: u.Role}, store.PatientFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range list {
				teamOf[tok] = append(teamOf[tok], p.ID)
			}
		}
	}
	// A psychotherapy note for every patient: its text is in no answer.
	noted := map[string]bool{}
	for tok, pids := range teamOf {
		for _, pid := range pids {
			if !noted[pid] {
				noted[pid] = true
				if err := a.st.CreatePsychNote(ctx, actorOf[tok], pid, &store.PsychNote{Body: "Session reflections " + psychCanary}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if len(noted) != len(a.patients) {
		t.Fatalf("the clinicians' teams hold %d of the %d demo patients", len(noted), len(a.patients))
	}
	canary := func(what string, r response) {
		t.Helper()
		if strings.Contains(string(r.body), psychCanary) {
			t.Errorf("%s carries a psychotherapy note's text", what)
		}
	}
	owner := map[string]string{} // type/id -> its patient
	covered := map[string]bool{}
	count := map[string]int{}
	for tok, who := range clinicians {
		for _, pid := range teamOf[tok] {
			got := map[string]bool{}
			for _, typ := range recordTypes {
				before := a.st.AuditAppends()
				entries, total, pages := a.all("/"+typ+"?patient="+pid+"&_count=4", tok)
				if n := a.st.AuditAppends() - before; n != uint64(pages) {
					t.Errorf("%s of %s: %d pages wrote %d audit rows, want one a page", typ, pid, pages, n)
				}
				if len(entries) != total {
					t.Errorf("%s as %s: %d entries over the pages, total %d", typ, who, len(entries), total)
				}
				for _, e := range entries {
					got[e], owner[e] = true, pid
					count[typ]++
					if covered[e] || typ == "Observation" || typ == "QuestionnaireResponse" {
						continue // read once; the older types' reads have their own tests
					}
					covered[e] = true
					before := a.st.AuditAppends()
					r := a.get("/"+e, tok)
					if r.status != http.StatusOK || r.json["resourceType"].(string)+"/"+r.json["id"].(string) != e {
						t.Errorf("GET %s as %s = %d: %s", e, who, r.status, r.body)
					}
					if n := a.st.AuditAppends() - before; n != 1 {
						t.Errorf("GET %s wrote %d audit rows, want 1", e, n)
					}
					canary(e, r)
				}
			}
			r := a.get("/Patient/"+pid+"/$everything", tok)
			canary("$everything", r)
			b := bundleOf(t, r)
			fhirtest.BundleResolves(t, b)
			for _, e := range r.entries() {
				typ, _, _ := strings.Cut(e, "/")
				if slices.Contains(recordTypes, typ) && !got[e] {
					t.Errorf("$everything of %s as %s has %s, which no search gave", pid, who, e)
				}
				delete(got, e)
			}
			for e := range got {
				t.Errorf("the searches of %s as %s gave %s, which $everything has not", pid, who, e)
			}
		}
	}
	for _, typ := range recordTypes {
		if count[typ] == 0 {
			t.Errorf("no demo patient has a %s through the API", typ)
		}
	}
	t.Logf("resources through search: %v", count)
	roles, total, _ := a.all("/PractitionerRole?_count=2", a.tokens["therapist"])
	if len(roles) != total || total < 4 {
		t.Errorf("PractitionerRole: %d of %d, want every staff member (4)", len(roles), total)
	}
	for _, e := range roles {
		if r := a.get("/"+e, a.tokens["therapist"]); r.status != http.StatusOK {
			t.Errorf("GET %s = %d", e, r.status)
		}
		if r := a.get("/"+e, a.tokens["patient"]); r.status != http.StatusNotFound {
			t.Errorf("GET %s with a patient's token = %d, want 404", e, r.status)
		}
	}
	if r := a.get("/PractitionerRole", a.tokens["patient"]); r.total() != 0 {
		t.Errorf("a patient's token finds %d PractitionerRoles", r.total())
	}

	// The patient's own token: their record without the clinicians'
	// sections, and 404 for anything of anyone else.
	pat, own := a.tokens["patient"], a.sees["patient"][0]
	for _, typ := range recordTypes {
		r := a.get("/"+typ+"?_count=200", pat)
		if r.status != http.StatusOK {
			t.Fatalf("%s as the patient = %d: %s", typ, r.status, r.body)
		}
		if slices.Contains(clinicianOnly, typ) && r.total() != 0 {
			t.Errorf("the patient's token finds %d %s", r.total(), typ)
		}
		for _, e := range r.entries() {
			if strings.HasPrefix(e, "MedicationStatement/") && !strings.Contains(e, "-intake-") {
				t.Errorf("the patient's token finds a prescription, %s", e)
			}
		}
		if r := a.get("/Patient/"+own+"/$everything", pat); slices.ContainsFunc(r.entries(), func(e string) bool {
			typ, _, _ := strings.Cut(e, "/")
			return slices.Contains(clinicianOnly, typ)
		}) {
			t.Errorf("the patient's $everything has a clinician's section: %v", r.entries())
		}
	}
	th := a.tokens["therapist"]
	for e, pid := range owner {
		typ, _, _ := strings.Cut(e, "/")
		want := http.StatusOK
		if pid != own || slices.Contains(clinicianOnly, typ) || (typ == "MedicationStatement" && !strings.Contains(e, "-intake-")) ||
			strings.HasSuffix(e, "-signed") { // a signed note's Provenance
			want = http.StatusNotFound
		}
		if typ == "Observation" && pid == own {
			continue // the vitals are the clinicians' (TestAPI)
		}
		if r := a.get("/"+e, pat); r.status != want {
			t.Errorf("GET %s (patient %s) with the patient's token = %d, want %d", e, pid, r.status, want)
		}
		if !slices.Contains(a.sees["therapist"], pid) {
			if r := a.get("/"+e, th); r.status != http.StatusNotFound {
				t.Errorf("GET %s (patient %s, not on the team) with a therapist's token = %d, want 404", e, pid, r.status)
			}
		}
	}
	for _, pid := range a.patients {
		if pid != own {
			if r := a.get("/Patient/"+pid+"/$everything", pat); r.status != http.StatusNotFound {
				t.Errorf("another patient's $everything with the patient's token = %d", r.status)
			}
		}
		// A search of a patient the token may not see is 404 too, as
		// Observation's is.
		for _, typ := range recordTypes {
			if pid != own {
				if r := a.get("/"+typ+"?patient="+pid, pat); r.status != http.StatusNotFound {
					t.Errorf("%s of another patient with the patient's token = %d, want 404", typ, r.status)
				}
			}
			if !slices.Contains(a.sees["therapist"], pid) {
				if r := a.get("/"+typ+"?patient="+pid, th); r.status != http.StatusNotFound {
					t.Errorf("%s of a patient off the team with a therapist's token = %d, want 404", typ, r.status)
				}
			}
		}
	}
}

// TestRecordPaging walks the paged lists one entry a page and all at
// once: the same entries in the same order, each once.
func TestRecordPaging(t *testing.T) {
	a := newAPI(t)
	th := a.tokens["therapist"]
	// richest is the therapist's patient with the most resources of typ.
	richest := func(typ string) string {
		best, most := "", -1
		for _, p := range a.sees["therapist"] {
			if n := a.get("/"+typ+"?patient="+p+"&_summary=count", th).total(); n > most {
				best, most = p, n
			}
		}
		return best
	}
	for _, typ := range []string{"Appointment", "Provenance", "DocumentReference", "Encounter", "Consent", "Flag"} {
		pid := richest(typ)
		one, total, pages := a.all("/"+typ+"?patient="+pid+"&_count=1", th)
		whole, _, _ := a.all("/"+typ+"?patient="+pid+"&_count=200", th)
		if !slices.Equal(one, whole) || len(one) != total || (total > 1 && pages != total) {
			t.Errorf("%s: %d a page gave %v in %d pages, all at once %v (total %d)", typ, 1, one, pages, whole, total)
		}
		if r := a.get("/"+typ+"?patient="+pid+"&_summary=count", th); r.total() != total || len(r.entries()) != 0 {
			t.Errorf("%s?_summary=count: total %d with %d entries, want %d and none", typ, r.total(), len(r.entries()), total)
		}
	}
	// Oldest and newest first, and split by date, for each type with a
	// date: the part before a resource's date and the part from it make
	// the whole.
	var asc []string
	for _, c := range []struct{ typ, field string }{{"Appointment", "start"}, {"Encounter", "period"}, {"DocumentReference", "date"}} {
		pid := richest(c.typ)
		up, _, _ := a.all("/"+c.typ+"?patient="+pid+"&_sort=date&_count=2", th)
		down, _, _ := a.all("/"+c.typ+"?patient="+pid+"&_sort=-date&_count=2", th)
		slices.Reverse(down)
		if len(up) == 0 || (c.typ != "DocumentReference" && len(up) < 2) || !slices.Equal(up, down) {
			t.Errorf("%s oldest first %v, newest first reversed %v", c.typ, up, down)
		}
		if c.typ == "Appointment" {
			asc = up
		}
		r := a.get("/"+c.typ+"?patient="+pid+"&_count=200&_sort=date", th)
		es := r.json["entry"].([]any)
		res := es[len(es)/2].(map[string]any)["resource"].(map[string]any)
		mid, _ := res[c.field].(string)
		if p, ok := res[c.field].(map[string]any); ok {
			mid = p["start"].(string)
		}
		before, _, _ := a.all("/"+c.typ+"?patient="+pid+"&date=lt"+url.QueryEscape(mid), th)
		after, _, _ := a.all("/"+c.typ+"?patient="+pid+"&date=ge"+url.QueryEscape(mid), th)
		if (len(up) > 1 && len(before) == 0) || len(after) == 0 || len(before)+len(after) != len(up) {
			t.Errorf("%s before %s: %d, from it: %d, of %d", c.typ, mid, len(before), len(after), len(up))
		}
	}
	pid := richest("Appointment")
	for _, c := range []struct{ q, want string }{
		{"status=booked,fulfilled,noshow", "all"},
		{"status=cancelled", "none"},
	} {
		got, _, _ := a.all("/Appointment?patient="+pid+"&"+c.q, th)
		if (c.want == "all" && len(got) != len(asc)) || (c.want == "none" && len(got) != 0) {
			t.Errorf("Appointment?%s gave %d of %d", c.q, len(got), len(asc))
		}
	}
}

// TestRecordInclude: CareTeam:participant includes the team's members as
// Practitioners (search mode include), for the patient's own token too;
// an _include the type does not serve is a 400.
func TestRecordInclude(t *testing.T) {
	a := newAPI(t)
	for _, tok := range []string{a.tokens["patient"], a.tokens["therapist"]} {
		q := "/CareTeam?_include=CareTeam:participant"
		if tok == a.tokens["therapist"] {
			q += "&patient=" + a.teamPatient
		}
		r := a.get(q, tok)
		b := bundleOf(t, r)
		fhirtest.BundleResolves(t, b, "Patient/")
		var included int
		for _, e := range r.json["entry"].([]any) {
			if e.(map[string]any)["search"].(map[string]any)["mode"] == "include" {
				included++
			}
		}
		if included == 0 {
			t.Errorf("%s included nothing: %s", q, r.body)
		}
	}
	r := a.get("/Observation?patient="+a.teamPatient+"&_include=Observation:derived-from&_count=10", a.tokens["therapist"])
	fhirtest.BundleResolves(t, bundleOf(t, r), "Patient/", "Observation/")
	if !slices.ContainsFunc(r.entries(), func(e string) bool { return strings.HasPrefix(e, "QuestionnaireResponse/") }) {
		t.Errorf("Observation:derived-from included no QuestionnaireResponse: %v", r.entries())
	}
	// Provenance:target: each Provenance's QuestionnaireResponse or
	// DocumentReference, the patient's token getting no note's.
	for who, tok := range map[string]string{"patient": a.tokens["patient"], "therapist": a.tokens["therapist"]} {
		q := "/Provenance?_include=Provenance:target&_count=200"
		if who == "therapist" {
			q += "&patient=" + a.teamPatient
		}
		r := a.get(q, tok)
		fhirtest.BundleResolves(t, bundleOf(t, r), "Patient/", "Practitioner/")
		var provenances, targets int
		for _, e := range r.entries() {
			switch typ, _, _ := strings.Cut(e, "/"); typ {
			case "Provenance":
				provenances++
			case "QuestionnaireResponse", "DocumentReference":
				targets++
			}
			if who == "patient" && strings.HasPrefix(e, "DocumentReference/") {
				t.Errorf("the patient's token included %s", e)
			}
		}
		if provenances == 0 || targets != provenances {
			t.Errorf("Provenance:target as %s: %d Provenances, %d targets", who, provenances, targets)
		}
	}
	if r := a.get("/Appointment?_include=Appointment:patient", a.tokens["patient"]); r.status != http.StatusBadRequest {
		t.Errorf("an _include not served = %d, want 400", r.status)
	}
	meta := a.get("/metadata", "")
	if !strings.Contains(string(meta.body), `"searchInclude":["CareTeam:participant"]`) || !strings.Contains(string(meta.body), `"Observation:derived-from"`) {
		t.Error("the CapabilityStatement does not list the _include values served")
	}
}

// TestEverythingHTTPMarksNothingRead: $everything as a clinician writes
// one audit row and leaves the consult thread unread, where opening the
// chart marks it read.
func TestEverythingHTTPMarksNothingRead(t *testing.T) {
	a := newAPI(t)
	ctx := context.Background()
	pid, th := a.teamPatient, a.actors["therapist"]
	team, err := a.st.CareTeam(ctx, th, pid)
	if err != nil {
		t.Fatal(err)
	}
	var other store.Actor
	for _, tm := range team {
		if tm.User.ID != th.UserID {
			other = store.Actor{UserID: tm.User.ID, Role: tm.User.Role}
		}
	}
	if other.UserID == "" {
		t.Fatal("the therapist's patient should have a second clinician on the care team")
	}
	if err := a.st.PostConsult(ctx, other, pid, "A question about the next session."); err != nil {
		t.Fatal(err)
	}
	unread := func() int {
		t.Helper()
		n, err := a.st.UnreadConsultsOf(ctx, th, []string{pid})
		if err != nil {
			t.Fatal(err)
		}
		return n[pid]
	}
	if unread() == 0 {
		t.Fatal("the consult should be unread by the therapist")
	}
	before := a.st.AuditAppends()
	r := a.get("/Patient/"+pid+"/$everything", a.tokens["therapist"])
	if r.status != http.StatusOK || r.json["type"] != "searchset" {
		t.Fatalf("$everything = %d: %s", r.status, r.body)
	}
	if n := a.st.AuditAppends() - before; n != 1 {
		t.Errorf("$everything wrote %d audit rows, want 1", n)
	}
	if unread() == 0 {
		t.Error("$everything marked the consult thread read")
	}
	// The chart page does mark it read (the test can fail).
	if _, err := a.st.FindChart(ctx, th, pid, store.ChartOptions{}); err != nil {
		t.Fatal(err)
	}
	if unread() != 0 {
		t.Error("opening the chart left the consult unread")
	}
}

// TestRecordUnknownIDs: an id that names nothing, in each of the forms the
// types compose, is 404 for every token (never 403, never 500).
func TestRecordUnknownIDs(t *testing.T) {
	a := newAPI(t)
	own := a.sees["patient"][0]
	for _, path := range []string{
		"/CareTeam/nobody-care-team", "/CareTeam/" + own, "/CareTeam/a-b-care-team",
		"/CarePlan/" + own + "-course-99", "/CarePlan/nobody-course-1", "/CarePlan/x",
		"/Flag/" + own + "-rule.0000", "/Flag/nope", "/MedicationStatement/" + own + "-intake-1-med-99", "/MedicationStatement/nope",
		"/Consent/nope", "/Appointment/nope", "/Encounter/nope", "/DocumentReference/nope",
		"/Provenance/nope", "/Provenance/nope-answered", "/Provenance/nope-signed", "/PractitionerRole/nope",
		"/Patient/nope/$everything",
	} {
		for who, tok := range a.tokens {
			if r := a.get(path, tok); r.status != http.StatusNotFound {
				t.Errorf("GET %s as %s = %d, want 404: %s", path, who, r.status, r.body)
			}
		}
	}
}
