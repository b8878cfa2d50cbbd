package fhir_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/fhir/fhirtest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// api is the FHIR API over the demo practice, served on a test server.
type api struct {
	t        *testing.T
	st       *store.Store
	srv      *httptest.Server
	base     string
	check    *fhirtest.Checker
	admin    store.Actor
	patients []string // every demo patient's id
	// teamPatient is a patient of the therapist's with dosing vitals.
	teamPatient string
	// tokens by role: a patient (pA, whose record is patients[0]'s
	// owner), a therapist; the patients each may see.
	tokens map[string]string
	sees   map[string][]string
	actors map[string]store.Actor
}

func newAPI(t *testing.T) *api {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	logins, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := &api{t: t, st: st, check: fhirtest.Validator(t), tokens: map[string]string{}, sees: map[string][]string{}, actors: map[string]store.Actor{}}
	h := &fhir.Handler{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Realm: "kapstone",
		Base: func(*http.Request) string { return a.base },
		Origin: func(r *http.Request) store.Actor {
			if addr := r.Header.Get("X-Test-Addr"); addr != "" {
				return store.Actor{Addr: addr}
			}
			return store.Actor{Addr: "127.0.0.1"}
		}}
	mux := http.NewServeMux()
	mux.Handle("/fhir/", h)
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	a.base = a.srv.URL + "/fhir"
	token := func(name string, u *clinic.User) {
		tok, _, err := st.CreateAPITokenFor(ctx, u.ID, store.APITokenInput{Label: "test", Scope: store.ScopeRead, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		a.tokens[name] = tok
		a.actors[name] = store.Actor{UserID: u.ID, Role: u.Role}
	}
	for _, l := range logins {
		u, _, err := st.FindUserByEmail(ctx, l.Email)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case l.Role == clinic.RoleAdmin:
			a.admin = store.Actor{UserID: u.ID, Role: u.Role}
			token("admin", u)
		case l.Role == clinic.RoleTherapist && a.tokens["therapist"] == "":
			// The therapist whose caseload holds a patient with dosing
			// vitals, and that patient, so that the searches cover scores
			// and vital signs together.
			th := store.Actor{UserID: u.ID, Role: u.Role}
			team, err := st.ListPatients(ctx, th, store.PatientFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range team {
				sessions, err := st.DosingSessions(ctx, th, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(sessions) > 0 && a.teamPatient == "" {
					a.teamPatient = p.ID
				}
			}
			if a.teamPatient != "" {
				token("therapist", u)
			}
		case l.Role == clinic.RolePatient && a.tokens["patient"] == "":
			token("patient", u)
			p, err := st.FindOwnPatient(ctx, store.Actor{UserID: u.ID, Role: u.Role})
			if err != nil {
				t.Fatal(err)
			}
			a.sees["patient"] = []string{p.ID}
		}
	}
	all, err := st.ListPatients(ctx, a.admin, store.PatientFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		a.patients = append(a.patients, p.ID)
	}
	team, err := st.ListPatients(ctx, a.actors["therapist"], store.PatientFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range team {
		a.sees["therapist"] = append(a.sees["therapist"], p.ID)
	}
	if len(a.sees["patient"]) != 1 || a.teamPatient == "" || len(a.sees["therapist"]) == 0 || len(a.sees["therapist"]) == len(a.patients) {
		t.Fatalf("the demo should have a patient with an account and a therapist with some but not all patients: %v of %d", a.sees, len(a.patients))
	}
	return a
}

// response is one answer of the API.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// do sends a request with token (none when "") and extra headers, and
// checks that the answer is FHIR JSON valid against the R4 schema.
func (a *api) do(method, path, token string, headers ...string) response {
	a.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = a.base + path
	}
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, body: b}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/fhir+json") && !strings.HasPrefix(ct, "application/json") {
		a.t.Errorf("%s %s: Content-Type %q, want application/fhir+json", method, path, ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		a.t.Errorf("%s %s: Cache-Control %q, want no-store", method, path, cc)
	}
	if err := json.Unmarshal(b, &r.json); err != nil {
		a.t.Fatalf("%s %s: not JSON: %v\n%s", method, path, err, b)
	}
	if err := a.check.Check(b); err != nil {
		a.t.Errorf("%s %s answered JSON that is not valid FHIR R4: %v\n%s", method, path, err, b)
	}
	if r.status >= 400 && r.json["resourceType"] != "OperationOutcome" {
		a.t.Errorf("%s %s = %d with a %v, want an OperationOutcome", method, path, r.status, r.json["resourceType"])
	}
	return r
}

func (a *api) get(path, token string, headers ...string) response {
	a.t.Helper()
	return a.do("GET", path, token, headers...)
}

// entries are a searchset's resources' type/id, in order.
func (r response) entries() []string {
	var out []string
	es, _ := r.json["entry"].([]any)
	for _, e := range es {
		res := e.(map[string]any)["resource"].(map[string]any)
		out = append(out, res["resourceType"].(string)+"/"+res["id"].(string))
	}
	return out
}

func (r response) link(rel string) string {
	ls, _ := r.json["link"].([]any)
	for _, l := range ls {
		if m := l.(map[string]any); m["relation"] == rel {
			return m["url"].(string)
		}
	}
	return ""
}

func (r response) total() int {
	n, _ := r.json["total"].(float64)
	return int(n)
}

// all follows next links from path to the end and returns every entry,
// failing on a page that repeats an entry.
func (a *api) all(path, token string) (entries []string, total, pages int) {
	a.t.Helper()
	seen := map[string]bool{}
	r := a.get(path, token)
	total = r.total()
	for {
		pages++
		if r.status != http.StatusOK {
			a.t.Fatalf("GET %s (page %d) = %d: %s", path, pages, r.status, r.body)
		}
		for _, e := range r.entries() {
			if seen[e] {
				a.t.Errorf("GET %s: %s on two pages", path, e)
			}
			seen[e] = true
			entries = append(entries, e)
		}
		next := r.link("next")
		if next == "" {
			return entries, total, pages
		}
		if !strings.HasPrefix(next, a.base+"/") {
			a.t.Fatalf("next link %q is not absolute under %s", next, a.base)
		}
		if pages > 500 {
			a.t.Fatal("more than 500 pages")
		}
		r = a.get(next, token)
		if r.total() != total {
			a.t.Errorf("total changed from %d to %d between pages", total, r.total())
		}
	}
}

// obs is what the oracle knows of one Observation.
type obs struct {
	id       string
	codes    []string
	category string
	at       time.Time
}

// oracle maps every record of patientID the way the API should, read
// through the store as actor, without the API's search: every
// Observation (scores and vitals) and QuestionnaireResponse, oldest first.
func (a *api) oracle(actor store.Actor, patientID string, vitals bool) (observations []obs, qrs []string) {
	a.t.Helper()
	ctx := context.Background()
	m := fhir.Mapper{Base: a.base}
	ms, err := a.st.FindMeasures(ctx, actor, patientID)
	if err != nil {
		a.t.Fatal(err)
	}
	add := func(list []fhir.Observation) {
		for _, o := range list {
			var codes []string
			for _, c := range o.Code.Coding {
				codes = append(codes, c.Code)
			}
			at, _ := time.Parse(time.RFC3339Nano, o.EffectiveDateTime)
			observations = append(observations, obs{id: o.ID, codes: codes, category: o.Category[0].Coding[0].Code, at: at})
		}
	}
	for _, c := range ms.Checkins {
		if _, ok := fhir.Shipped(c.Instrument); !ok {
			continue
		}
		list, err := m.CheckinObservations(patientID, c)
		if err != nil {
			a.t.Fatal(err)
		}
		add(list)
		qrs = append(qrs, "QuestionnaireResponse/"+c.ID)
	}
	if vitals {
		sessions, err := a.st.DosingSessions(ctx, actor, patientID)
		if err != nil {
			a.t.Fatal(err)
		}
		for _, s := range sessions {
			d, err := a.st.DosingSessionFor(ctx, actor, patientID, s.ID)
			if err != nil {
				a.t.Fatal(err)
			}
			for _, v := range d.Vitals {
				list, err := m.VitalsObservations(patientID, v)
				if err != nil {
					a.t.Fatal(err)
				}
				add(list)
			}
		}
	}
	slices.SortStableFunc(observations, func(x, y obs) int { return x.at.Compare(y.at) })
	return observations, qrs
}

func ids(list []obs, keep func(obs) bool) []string {
	var out []string
	for _, o := range list {
		if keep(o) {
			out = append(out, "Observation/"+o.id)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// TestAPI runs the FHIR API over the demo practice (SQLite, and
// PostgreSQL when KAPSTONE_TEST_POSTGRES is set); every answer is checked
// against the official R4 schema (api.do).
func TestAPI(t *testing.T) {
	a := newAPI(t)
	pat, th := a.tokens["patient"], a.tokens["therapist"]
	own := a.sees["patient"][0]
	var other, foreign string // a patient not the patient's own; one not on the therapist's team
	for _, id := range a.patients {
		if id != own && other == "" {
			other = id
		}
		if !slices.Contains(a.sees["therapist"], id) && foreign == "" {
			foreign = id
		}
	}
	teamPatient := a.teamPatient

	t.Run("metadata", func(t *testing.T) {
		r := a.get("/metadata", "")
		if r.status != http.StatusOK || r.json["fhirVersion"] != "4.0.1" || r.json["resourceType"] != "CapabilityStatement" {
			t.Fatalf("GET /fhir/metadata = %d %s", r.status, r.body)
		}
		// It tells the truth: every type it lists is served, every
		// search parameter it lists is accepted under strict handling,
		// and the SMART security service is claimed, with its discovery
		// document served.
		if !strings.Contains(string(r.body), `"code":"SMART-on-FHIR"`) {
			t.Error("the CapabilityStatement does not claim SMART on FHIR (rest.security.service)")
		}
		wk, err := http.Get(a.base + "/.well-known/smart-configuration")
		if err != nil {
			t.Fatal(err)
		}
		wkBody, _ := io.ReadAll(wk.Body)
		wk.Body.Close()
		if wk.StatusCode != http.StatusOK || !strings.Contains(string(wkBody), `"code_challenge_methods_supported":["S256"]`) {
			t.Errorf("GET /fhir/.well-known/smart-configuration = %d %s", wk.StatusCode, wkBody)
		}
		rest := r.json["rest"].([]any)[0].(map[string]any)
		var types []string
		for _, x := range rest["resource"].([]any) {
			res := x.(map[string]any)
			typ := res["type"].(string)
			types = append(types, typ)
			for _, p := range res["searchParam"].([]any) {
				name := p.(map[string]any)["name"].(string)
				value := map[string]string{"_id": "x", "patient": own, "subject": "Patient/" + own, "code": "44261-6", "category": "survey",
					"date": "ge2020-01-01", "status": "active", "authored": "ge2020-01-01", "questionnaire": fhir.QuestionnaireURL("phq9"), "url": fhir.QuestionnaireURL("phq9")}[name]
				if value == "" {
					t.Errorf("%s's search parameter %s is not known to this test", typ, name)
					continue
				}
				if r := a.get("/"+typ+"?"+url.Values{name: {value}}.Encode(), pat, "Prefer", "handling=strict"); r.status != http.StatusOK {
					t.Errorf("%s?%s=%s (strict) = %d, but the CapabilityStatement lists it: %s", typ, name, value, r.status, r.body)
				}
			}
		}
		if !slices.Equal(types, []string{"Patient", "Practitioner", "Questionnaire", "QuestionnaireResponse", "Observation",
			"PractitionerRole", "CareTeam", "Appointment", "Encounter", "MedicationStatement", "Flag", "Consent", "CarePlan", "DocumentReference", "Provenance"}) {
			t.Errorf("resource types %v", types)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, c := range []struct {
			name, method, path, token string
			headers                   []string
			status                    int
			challenge                 string
		}{
			{"no token", "GET", "/Patient/" + own, "", nil, 401, `Bearer realm="kapstone"`},
			{"no token, search", "GET", "/Observation", "", nil, 401, `Bearer realm="kapstone"`},
			{"unknown token", "GET", "/Patient/" + own, store.NewAPIToken(), nil, 401, `Bearer realm="kapstone", error="invalid_token"`},
			{"malformed token", "GET", "/Patient/" + own, "abc", nil, 400, `Bearer realm="kapstone", error="invalid_request"`},
			{"token in the URL", "GET", "/Patient/" + own + "?access_token=" + pat, pat, nil, 400, `Bearer realm="kapstone", error="invalid_request"`},
			{"POST", "POST", "/Patient", pat, nil, 405, ""},
			{"DELETE", "DELETE", "/Patient/" + own, pat, nil, 405, ""},
			{"unknown type", "GET", "/Basic", pat, nil, 404, ""},
			{"unknown type read", "GET", "/Basic/x", pat, nil, 404, ""},
			{"too deep", "GET", "/Patient/" + own + "/_history", pat, nil, 404, ""},
			{"base", "GET", "/", pat, nil, 404, ""},
			{"xml", "GET", "/Patient/" + own + "?_format=xml", pat, nil, 406, ""},
			{"bad _count", "GET", "/Observation?_count=many", pat, nil, 400, ""},
			{"bad date", "GET", "/Observation?date=2026-13-01", pat, nil, 400, ""},
			{"bad date prefix", "GET", "/Observation?date=xx2026-01-01", pat, nil, 400, ""},
			{"time without zone", "GET", "/Observation?date=2026-01-01T10:00", pat, nil, 400, ""},
			{"bad _sort", "GET", "/Observation?_sort=code", pat, nil, 400, ""},
			{"bad cursor", "GET", "/Observation?_cursor=!!", pat, nil, 400, ""},
			{"two patients", "GET", "/Observation?patient=a,b", pat, nil, 400, ""},
			{"not a patient", "GET", "/Observation?subject=Group/x", pat, nil, 400, ""},
			{"staff without patient", "GET", "/Observation", th, nil, 400, ""},
			{"unknown parameter, strict", "GET", "/Observation?colour=red", pat, []string{"Prefer", "handling=strict"}, 400, ""},
			{"unknown parameter, lenient", "GET", "/Observation?colour=red", pat, nil, 200, ""},
			{"unknown parameter, lenient said", "GET", "/Observation?colour=red", pat, []string{"Prefer", "handling=lenient"}, 200, ""},
			{"json", "GET", "/Patient/" + own + "?_format=json", pat, nil, 200, ""},
		} {
			r := a.do(c.method, c.path, c.token, c.headers...)
			if r.status != c.status {
				t.Errorf("%s: %s %s = %d, want %d: %s", c.name, c.method, c.path, r.status, c.status, r.body)
			}
			if got := r.header.Get("WWW-Authenticate"); got != c.challenge {
				t.Errorf("%s: WWW-Authenticate %q, want %q", c.name, got, c.challenge)
			}
			if c.status == 405 && r.header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s: Allow %q", c.name, r.header.Get("Allow"))
			}
		}
		// The lenient search leaves the unknown parameter out of its links.
		r := a.get("/Observation?colour=red&_count=1", pat)
		if strings.Contains(r.link("self"), "colour") || strings.Contains(r.link("next"), "colour") {
			t.Errorf("links keep an ignored parameter: %s %s", r.link("self"), r.link("next"))
		}
		// A revoked token no longer works.
		ctx := context.Background()
		tok, rec, err := a.st.CreateAPITokenFor(ctx, a.actors["patient"].UserID, store.APITokenInput{Label: "gone", Scope: store.ScopeRead})
		if err != nil {
			t.Fatal(err)
		}
		if r := a.get("/Patient/"+own, tok); r.status != 200 {
			t.Fatalf("new token = %d", r.status)
		}
		if err := a.st.RevokeAPIToken(ctx, a.actors["patient"], rec.ID); err != nil {
			t.Fatal(err)
		}
		if r := a.get("/Patient/"+own, tok); r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("revoked token = %d %q, want 401 invalid_token", r.status, r.header.Get("WWW-Authenticate"))
		}
	})

	t.Run("refused tokens", func(t *testing.T) {
		// Each token that does not work is audited and counts against its
		// address; past 20 in 15 minutes the address is answered 429 (and
		// audited no more), while a working token is still served.
		const addr = "203.0.113.9"
		for i := range 20 {
			if r := a.get("/Patient", store.NewAPIToken(), "X-Test-Addr", addr); r.status != 401 {
				t.Fatalf("bad token %d = %d, want 401", i, r.status)
			}
		}
		r := a.get("/Patient", store.NewAPIToken(), "X-Test-Addr", addr)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
			t.Errorf("21st bad token = %d (Retry-After %q), want 429 with Retry-After", r.status, r.header.Get("Retry-After"))
		}
		if r := a.get("/Patient", pat, "X-Test-Addr", addr); r.status != 200 {
			t.Errorf("a working token from the same address = %d, want 200", r.status)
		}
		if r := a.get("/Patient", store.NewAPIToken(), "X-Test-Addr", "203.0.113.10"); r.status != 401 {
			t.Errorf("a bad token from another address = %d, want 401", r.status)
		}
		n, _, err := a.st.CountAudit(context.Background(), "apitoken.failure", "", addr, time.Now().Add(-time.Hour))
		if err != nil || n != 20 {
			t.Errorf("%d refusals audited for %s (%v), want 20", n, addr, err)
		}
	})

	t.Run("access", func(t *testing.T) {
		ownObs, ownQRs := a.oracle(a.actors["patient"], own, false)
		if len(ownObs) == 0 || len(ownQRs) == 0 {
			t.Fatal("the patient has no scores to read")
		}
		// The patient reads their own record and nothing else (404, never 403).
		for _, path := range []string{"/Patient/" + own, "/" + ownQRs[0], "/Observation/" + ownObs[0].id, "/Observation?patient=" + own, "/QuestionnaireResponse", "/Patient"} {
			if r := a.get(path, pat); r.status != 200 {
				t.Errorf("patient: GET %s = %d, want 200: %s", path, r.status, r.body)
			}
		}
		if r := a.get("/Patient", pat); !slices.Equal(r.entries(), []string{"Patient/" + own}) || r.total() != 1 {
			t.Errorf("patient: Patient search = %v (total %d), want only their own", r.entries(), r.total())
		}
		// A page cursor naming another patient's check-in (forged: cursors
		// are opaque, not signed) reads nothing of theirs and tells
		// nothing about it: an empty page of the caller's own search.
		if ms, err := a.st.FindMeasures(context.Background(), a.actors["therapist"], teamPatient); err != nil || len(ms.Checkins) == 0 {
			t.Fatalf("the therapist's patient's check-ins: %v", err)
		} else if teamPatient != own {
			forged := base64.RawURLEncoding.EncodeToString([]byte("c|" + ms.Checkins[len(ms.Checkins)/2].ID + "|0"))
			r := a.get("/Observation?_cursor="+forged, pat)
			if r.status != 200 || len(r.entries()) != 0 || r.total() != len(ownObs) {
				t.Errorf("patient: a cursor at another patient's check-in = %d, %d entries (total %d), want 200, none (total %d)", r.status, len(r.entries()), r.total(), len(ownObs))
			}
		}
		if r := a.get("/Patient?_id="+other, pat); r.status != 200 || len(r.entries()) != 0 || r.total() != 0 {
			t.Errorf("patient: Patient?_id=other = %d %v, want an empty searchset", r.status, r.entries())
		}
		denied := []string{"/Patient/" + other, "/Observation?patient=" + other, "/QuestionnaireResponse?subject=Patient/" + other, "/Patient/no-such-patient"}
		// Another patient's check-ins and scores, found as the admin can
		// (through the store, not the API).
		if ms, err := a.st.FindMeasures(context.Background(), a.actors["therapist"], teamPatient); err == nil && teamPatient != own {
			for _, c := range ms.Checkins {
				if _, ok := fhir.Shipped(c.Instrument); ok {
					denied = append(denied, "/QuestionnaireResponse/"+c.ID, "/Observation/"+c.ID+"-44261-6", "/Observation/"+c.ID+"-70274-6")
					break
				}
			}
		}
		for _, path := range denied {
			if r := a.get(path, pat); r.status != 404 {
				t.Errorf("patient: GET %s = %d, want 404: %s", path, r.status, r.body)
			}
		}
		// The therapist: their care team's patients, and no one else.
		got, total, _ := a.all("/Patient?_count=3", th)
		var want []string
		for _, id := range a.sees["therapist"] {
			want = append(want, "Patient/"+id)
		}
		if !sameSet(got, want) || total != len(want) {
			t.Errorf("therapist: Patient search = %v (total %d), want their care team %v", got, total, want)
		}
		if r := a.get("/Patient?_summary=count", th); r.total() != len(want) || len(r.entries()) != 0 || r.link("next") != "" {
			t.Errorf("therapist: Patient?_summary=count = total %d, %d entries, next %q; want %d, none, none", r.total(), len(r.entries()), r.link("next"), len(want))
		}
		for _, path := range []string{"/Patient/" + teamPatient, "/Observation?patient=" + teamPatient} {
			if r := a.get(path, th); r.status != 200 {
				t.Errorf("therapist: GET %s = %d, want 200", path, r.status)
			}
		}
		for _, path := range []string{"/Patient/" + foreign, "/Observation?patient=" + foreign, "/QuestionnaireResponse?patient=" + foreign} {
			if r := a.get(path, th); r.status != 404 {
				t.Errorf("therapist: GET %s (not on their team) = %d, want 404", path, r.status)
			}
		}
		// Vitals are a dosing session's record: the therapist reads them,
		// the patient's token finds none (as on kapstone's own pages).
		if r := a.get("/Observation?category=vital-signs&patient="+own, pat); r.total() != 0 {
			t.Errorf("patient: %d vital signs, want none", r.total())
		}
		teamObs, _ := a.oracle(a.actors["therapist"], teamPatient, true)
		var vital string
		for _, o := range teamObs {
			if o.category == "vital-signs" {
				vital = o.id
			}
		}
		if vital == "" {
			t.Fatal("the therapist's patient has no vital signs")
		}
		if r := a.get("/Observation/"+vital, th); r.status != 200 || r.json["id"] != vital {
			t.Errorf("therapist: Observation/%s = %d", vital, r.status)
		}
		// Patient search by _id: the one patient when the caller may see
		// them, none otherwise.
		if r := a.get("/Patient?_id="+teamPatient, th); !slices.Equal(r.entries(), []string{"Patient/" + teamPatient}) {
			t.Errorf("therapist: Patient?_id=team patient = %v", r.entries())
		}
		if r := a.get("/Patient?_id="+foreign, th); r.status != 200 || len(r.entries()) != 0 {
			t.Errorf("therapist: Patient?_id=foreign = %d %v, want an empty searchset", r.status, r.entries())
		}
		// The administrator: every patient's profile (the directory, as
		// on the admin's pages), no one's chart.
		if got, total, _ := a.all("/Patient?_count=4", a.tokens["admin"]); total != len(a.patients) || len(got) != len(a.patients) {
			t.Errorf("admin: Patient search = %d of total %d, want every one of %d", len(got), total, len(a.patients))
		}
		if r := a.get("/Observation?patient="+teamPatient, a.tokens["admin"]); r.status != 404 {
			t.Errorf("admin: a patient's Observations = %d, want 404 (no chart access)", r.status)
		}
		// Practitioners: staff see the staff; a patient none.
		if r := a.get("/Practitioner", th); r.total() < 3 {
			t.Errorf("therapist: %d practitioners", r.total())
		}
		if r := a.get("/Practitioner", pat); r.total() != 0 {
			t.Errorf("patient: %d practitioners, want 0", r.total())
		}
		if r := a.get("/Practitioner/"+a.actors["therapist"].UserID, th); r.status != 200 {
			t.Errorf("therapist: own Practitioner = %d", r.status)
		}
		if r := a.get("/Practitioner/"+a.actors["therapist"].UserID, pat); r.status != 404 {
			t.Errorf("patient: Practitioner read = %d, want 404", r.status)
		}
		// Questionnaires are the same for everyone.
		for _, id := range []string{"phq9", "gad7"} {
			if r := a.get("/Questionnaire/"+id, pat); r.status != 200 {
				t.Errorf("Questionnaire/%s = %d", id, r.status)
			}
		}
		if r := a.get("/Questionnaire/pcl5", pat); r.status != 404 {
			t.Errorf("Questionnaire/pcl5 = %d, want 404 (its wording is the practice's)", r.status)
		}
		if got, total, pages := a.all("/Questionnaire?_count=1", pat); total != len(got) || pages != len(got) || len(got) < 2 {
			t.Errorf("Questionnaire search: %v, total %d, %d pages", got, total, pages)
		}
	})

	t.Run("paging", func(t *testing.T) {
		list, qrs := a.oracle(a.actors["therapist"], teamPatient, true)
		every := ids(list, func(obs) bool { return true })
		for _, c := range []struct{ query string }{{"_count=7"}, {"_count=1"}, {"_count=200"}, {"_count=5&_sort=-date"}, {"_count=3&_sort=date"}} {
			got, total, pages := a.all("/Observation?patient="+teamPatient+"&"+c.query, th)
			if !sameSet(got, every) || total != len(every) {
				t.Errorf("Observation?%s: %d entries on %d pages (total %d), want the %d the records give", c.query, len(got), pages, total, len(every))
			}
			// In date order (either way).
			at := map[string]time.Time{}
			for _, o := range list {
				at["Observation/"+o.id] = o.at
			}
			desc := strings.Contains(c.query, "-date")
			for i := 1; i < len(got); i++ {
				if d := at[got[i]].Compare(at[got[i-1]]); desc && d > 0 || !desc && d < 0 {
					t.Errorf("Observation?%s: %s after %s is out of date order", c.query, got[i], got[i-1])
					break
				}
			}
		}
		got, total, _ := a.all("/QuestionnaireResponse?patient="+teamPatient+"&_count=4&_sort=-authored", th)
		if !sameSet(got, qrs) || total != len(qrs) {
			t.Errorf("QuestionnaireResponse: %v (total %d), want %v", got, total, qrs)
		}
		// _summary=count: the total alone.
		r := a.get("/Observation?patient="+teamPatient+"&_summary=count", th)
		if r.total() != len(every) || len(r.entries()) != 0 {
			t.Errorf("_summary=count: total %d and %d entries, want %d and none", r.total(), len(r.entries()), len(every))
		}
		// The next link keeps every other parameter.
		r = a.get("/Observation?patient="+teamPatient+"&category=survey&date=ge2000-01-01&_count=1&_sort=-date", th)
		next, _ := url.Parse(r.link("next"))
		if next == nil || next.Query().Get("category") != "survey" || next.Query().Get("date") != "ge2000-01-01" || next.Query().Get("_sort") != "-date" || next.Query().Get("_count") != "1" || next.Query().Get("patient") != teamPatient {
			t.Errorf("next link %q does not keep the search's parameters", r.link("next"))
		}
	})

	t.Run("filters", func(t *testing.T) {
		list, _ := a.oracle(a.actors["therapist"], teamPatient, true)
		if len(list) < 10 {
			t.Fatalf("only %d observations to filter", len(list))
		}
		mid := list[len(list)/2].at
		day := mid.UTC().Format("2006-01-02")
		dayStart, _ := time.Parse("2006-01-02", day)
		dayEnd := dayStart.AddDate(0, 0, 1)
		month := mid.UTC().Format("2006-01")
		monthStart, _ := time.Parse("2006-01", month)
		sec := mid.UTC().Truncate(time.Second)
		instant := sec.Format(time.RFC3339)
		narrowed := 0
		has := func(code string) func(obs) bool {
			return func(o obs) bool { return slices.Contains(o.codes, code) }
		}
		for _, c := range []struct {
			query string
			keep  func(obs) bool
		}{
			{"code=44261-6", has("44261-6")},
			{"code=http://loinc.org|44261-6", has("44261-6")},
			{"code=http://snomed.info/sct|44261-6", func(obs) bool { return false }},
			{"code=|44261-6", func(obs) bool { return false }},
			{"code=44249-1", has("44249-1")},
			{"code=70274-6,44261-6", func(o obs) bool { return has("70274-6")(o) || has("44261-6")(o) }},
			{"code=44260-8", has("44260-8")},
			{"code=85354-9", has("85354-9")},
			{"code=8867-4", has("8867-4")},
			{"code=59408-5", has("59408-5")},
			{"code=2708-6", has("2708-6")},
			{"code=no-such-code", func(obs) bool { return false }},
			{"category=survey", func(o obs) bool { return o.category == "survey" }},
			{"category=vital-signs", func(o obs) bool { return o.category == "vital-signs" }},
			{"category=survey&code=8867-4", func(obs) bool { return false }},
			{"date=" + day, func(o obs) bool { return !o.at.Before(dayStart) && o.at.Before(dayEnd) }},
			{"date=eq" + day, func(o obs) bool { return !o.at.Before(dayStart) && o.at.Before(dayEnd) }},
			{"date=ne" + day, func(o obs) bool { return o.at.Before(dayStart) || !o.at.Before(dayEnd) }},
			{"date=lt" + day, func(o obs) bool { return o.at.Before(dayStart) }},
			{"date=eb" + day, func(o obs) bool { return o.at.Before(dayStart) }},
			{"date=le" + day, func(o obs) bool { return o.at.Before(dayEnd) }},
			{"date=gt" + day, func(o obs) bool { return !o.at.Before(dayEnd) }},
			{"date=sa" + day, func(o obs) bool { return !o.at.Before(dayEnd) }},
			{"date=ge" + day, func(o obs) bool { return !o.at.Before(dayStart) }},
			{"date=ge" + month, func(o obs) bool { return !o.at.Before(monthStart) }},
			{"date=lt" + month[:4], func(o obs) bool { return o.at.Year() < mid.UTC().Year() }},
			{"date=ge" + instant, func(o obs) bool { return !o.at.Before(sec) }},
			{"date=lt" + instant, func(o obs) bool { return o.at.Before(sec) }},
			{"date=eq" + instant, func(o obs) bool { return !o.at.Before(sec) && o.at.Before(sec.Add(time.Second)) }},
			{"date=gt" + instant, func(o obs) bool { return !o.at.Before(sec.Add(time.Second)) }},
			{"date=ge" + sec.In(time.FixedZone("x", -6*3600)).Format(time.RFC3339), func(o obs) bool { return !o.at.Before(sec) }},
			{"date=ge" + monthStart.AddDate(0, -2, 0).Format("2006-01-02") + "&date=lt" + day + "&code=44261-6", func(o obs) bool {
				return has("44261-6")(o) && !o.at.Before(monthStart.AddDate(0, -2, 0)) && o.at.Before(dayStart)
			}},
		} {
			want := ids(list, c.keep)
			got, total, _ := a.all("/Observation?patient="+teamPatient+"&_count=4&"+strings.ReplaceAll(c.query, "+", "%2B"), th)
			if !sameSet(got, want) || total != len(want) {
				t.Errorf("Observation?%s: %d (total %d), want %d: %v", c.query, len(got), total, len(want), got)
			}
			if len(want) > 0 && len(want) < len(list) {
				narrowed++
			}
			t.Logf("Observation?%s: %d of %d", c.query, len(want), len(list))
		}
		// The table must test something: most filters keep some of the
		// patient's observations and leave out others.
		if narrowed < 20 {
			t.Errorf("only %d filters kept some but not all observations: the demo patient's records no longer test them", narrowed)
		}
	})

	t.Run("audit", func(t *testing.T) {
		ctx := context.Background()
		// The rows written since seq (FindAudit's own audit.read rows
		// left out), and the newest seq.
		since := func(seq int64) ([]string, int64) {
			if _, err := a.st.SealAuditWait(ctx); err != nil {
				t.Fatal(err)
			}
			rows, _, err := a.st.FindAudit(ctx, a.admin, store.AuditFilter{Limit: 20})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rows {
				if r.Seq > seq && r.Action != "audit.read" {
					out = append(out, r.Action+" "+r.Outcome+" "+r.Detail)
				}
			}
			return out, rows[0].Seq
		}
		for _, c := range []struct {
			path, token string
			rows        int
		}{
			{"/Patient/" + own, pat, 1},
			{"/Observation?patient=" + own + "&_count=2", pat, 1},
			{"/Observation?patient=" + teamPatient + "&_count=200", th, 1},
			{"/QuestionnaireResponse?patient=" + teamPatient, th, 1},
			{"/Patient?_count=2", th, 1},
			{"/Patient/" + foreign, th, 1}, // the refusal
			{"/Questionnaire/phq9", pat, 0},
			{"/metadata", "", 0},
		} {
			_, before := since(0)
			a.get(c.path, c.token)
			if rows, _ := since(before); len(rows) != c.rows {
				t.Errorf("GET %s wrote %d audit rows, want %d: %q", c.path, len(rows), c.rows, rows)
			}
		}
	})
}
