package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/kapstone/kapstone/internal/auth/authspec"
	"github.com/kapstone/kapstone/internal/suitelog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
	"github.com/kapstone/kapstone/internal/web"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// The route-access matrix: every route of routes.go, for every kind of
// caller, on every kind of id, with every method the route serves. What
// each answer should be is worked out from the route's row (access level,
// role gate, the permission it asks on a patient's record) and the access
// policy as written out by hand (authspec.Can), never from the handlers or
// from the table the program runs (auth.Can): a line changed in
// internal/auth/policy.go makes the matrix fail. The answers themselves are
// checked for other patients' canaries.

// matrixActor is one caller of the matrix.
type matrixActor struct {
	name  string
	email string      // "" for anon; for half, a therapist who gave only their password
	role  clinic.Role // "" for anon and half
	rel   map[string]auth.Relation
}

// matrixActors are the callers. rel is how each stands to patient A and B,
// as the fixture below makes it (the care teams and grants), written out
// here so the expectations do not ask the code under test.
var matrixActors = []matrixActor{
	{name: "anon"},
	{name: "half", email: "hana@example.org"}, // a therapist of her own, so no other caller's sign-out ends her session
	{"pA", "pat@example.org", clinic.RolePatient, map[string]auth.Relation{"A": auth.RelSelf}},
	{"pB", "bea@example.org", clinic.RolePatient, map[string]auth.Relation{"B": auth.RelSelf}},
	{"thea", "thea@example.org", clinic.RoleTherapist, map[string]auth.Relation{"A": auth.RelOwner}},      // owns A
	{"theo", "theo@example.org", clinic.RoleTherapist, map[string]auth.Relation{"B": auth.RelOwner}},      // owns B, not on A's team
	{"rex", "rex@example.org", clinic.RolePrescriber, map[string]auth.Relation{"A": auth.RelTeam}},        // prescriber on A's team
	{"ria", "ria@example.org", clinic.RolePrescriber, map[string]auth.Relation{"B": auth.RelTeam}},        // prescriber off A's team, on B's
	{"admin", "admin@example.org", clinic.RoleAdmin, map[string]auth.Relation{}},                          // administers everyone
	{"tess", "tess@example.org", clinic.RoleTherapist, map[string]auth.Relation{"A": auth.RelEmergency}},  // therapist with a live grant on A
	{"pete", "pete@example.org", clinic.RolePrescriber, map[string]auth.Relation{"A": auth.RelEmergency}}, // prescriber with a live grant on A (made before the rule)
}

// childParams are the path parameters that name a record belonging to one
// patient: the matrix tries each with the other patient's record.
var childParams = map[string]bool{"appointment": true, "alert": true, "session": true, "psychnote": true, "signature": true, "note": true, "entry": true, "thread": true, "diagnosis": true}

// psychNoteAuthor is, for patient A and B, who wrote the psychotherapy note
// the matrix aims {psychnote} at: only they may open it (the policy allows
// the care team; the store the author alone).
var psychNoteAuthor = map[string]string{"A": "thea", "B": "theo"}

// otherParams are the path parameters that name something else; the matrix
// fills them with a fixture value and, in the missing case, with an id
// that does not exist. A route with a parameter in neither list fails the
// matrix until it is put in one.
var otherParams = map[string]bool{
	"patient": true, "$": true, "hash": true, "name": true, "slug": true, "tag": true, "author": true, "image": true,
	"post": true, "page": true, "user": true, "token": true, "sid": true, "off": true, "grant": true, "room": true,
	"instrument": true, "inquiry": true, "device": true, "invitation": true, "kind": true, "document": true,
	"apitoken": true, "app": true,
	"fee": true, "tier": true, "package": true, // the practice's fees (issue 21)
	"report": true,
}

// Canaries: each patient's name, consult post, intake answer and support
// person, and a psychotherapy note. A response may show a canary only when
// the policy lets the caller read that kind of thing on that patient (and,
// for the note, only to its author).
type canary struct {
	text   string
	perm   auth.Permission // what reading it needs
	author string          // the only caller who may see it, when not ""
}

func canaries(p string) []canary {
	name := webtest.CanaryA
	if p == "B" {
		name = webtest.CanaryB
	}
	return []canary{
		{name, auth.PermProfile, ""},
		{"Consult-Canary-" + p + "-7f3a", auth.PermClinicalRead, ""},
		{"Intake-Canary-" + p + "-91c2", auth.PermChart, ""},
		{"Support-Canary-" + p + "-4d8e", auth.PermChart, ""},
		{"Psychnote-Canary-" + p + "-b61d", auth.PermPsychNote, psychNoteAuthor[p]},
		{"Note-Canary-" + p + "-2b6e", auth.PermNoteRead, ""},
		{"Message-Canary-" + p + "-5c1f", auth.PermMessages, ""},
	}
}

// matrixPractice is the webtest practice with the matrix's extra callers,
// records of A and B to aim at, and everyone signed in.
type matrixPractice struct {
	f       *webtest.Fixture
	cookies map[string]string
	ids     map[string]map[string]string // "A"/"B" -> child param -> id
	grant   string                       // tess's grant
	nomfa   string                       // a therapist on both teams, no caller
	db      *sql.DB                      // the practice's database, for counting
}

func newMatrixPractice(t *testing.T) *matrixPractice {
	t.Helper()
	f := webtest.NewFixture(t)
	ctx := context.Background()
	mp := &matrixPractice{f: f, cookies: map[string]string{"anon": ""}, ids: map[string]map[string]string{"A": {}, "B": {}}}
	hash, _ := auth.HashPassword(webtest.TestPassword, webtest.Cheap)
	for _, u := range []*clinic.User{
		{Email: "ria@example.org", DisplayName: "Ria Prescriber", Role: clinic.RolePrescriber},
		{Email: "tess@example.org", DisplayName: "Tess Therapist", Role: clinic.RoleTherapist},
		{Email: "pete@example.org", DisplayName: "Pete Prescriber", Role: clinic.RolePrescriber},
		{Email: "hana@example.org", DisplayName: "Hana Halfway", Role: clinic.RoleTherapist},
	} {
		if err := f.St.CreateUserWithTOTP(ctx, store.System, u, hash, webtest.TOTPSecret); err != nil {
			t.Fatal(err)
		}
		f.Users[u.Email] = u
	}
	mp.nomfa = f.Users["nomfa@example.org"].ID
	team := func(owner, p, user string) {
		if err := f.St.AddTeamMember(ctx, f.As(owner), p, user); err != nil {
			t.Fatal(err)
		}
	}
	team("theo@example.org", f.PB.ID, f.Users["ria@example.org"].ID)
	team("thea@example.org", f.PA.ID, mp.nomfa)
	team("theo@example.org", f.PB.ID, mp.nomfa)
	g, err := f.St.GrantEmergencyAccess(ctx, f.As("tess@example.org"), f.PA.ID, "Patient called in crisis; their therapist is away.")
	if err != nil {
		t.Fatal(err)
	}
	mp.grant = g.ID
	f.InsertEmergencyGrant(f.PA.ID, f.Users["pete@example.org"].ID)

	// Each patient's records, by their own care team and themself, with
	// canaries in the free text.
	for _, p := range []struct {
		key, owner, self string
		pt               *store.Patient
	}{{"A", "thea@example.org", "pat@example.org", f.PA}, {"B", "theo@example.org", "bea@example.org", f.PB}} {
		c := canaries(p.key)
		owner := f.As(p.owner)
		ap := &store.Appointment{Kind: "integration", StartsAt: f.Now.Add(48 * time.Hour), Minutes: 60}
		if err := f.St.CreateAppointment(ctx, owner, p.pt.ID, ap); err != nil {
			t.Fatal(err)
		}
		mp.ids[p.key]["appointment"] = ap.ID
		cn, err := f.St.SaveNoteDraft(ctx, owner, p.pt.ID, ap.ID, store.NoteInput{Format: clinic.NoteSOAP, Sections: map[string]string{"plan": c[5].text}})
		if err != nil {
			t.Fatalf("note of %s: %v", p.key, err)
		}
		mp.ids[p.key]["note"] = cn.ID
		if err := f.St.PostConsult(ctx, owner, p.pt.ID, c[1].text); err != nil {
			t.Fatal(err)
		}
		answers := measure.Answers{}
		inst, _ := measure.Get("phq9")
		for _, it := range inst.Items {
			answers[it.ID] = 0
		}
		answers["phq9_9"] = 2
		if _, err := f.St.EnterPaperCheckin(ctx, owner, p.pt.ID, "phq9", answers, f.Now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		chart, err := f.St.FindChart(ctx, owner, p.pt.ID, store.ChartOptions{})
		if err != nil || len(chart.Alerts) == 0 {
			t.Fatalf("alerts of %s = %v, %v", p.key, chart, err)
		}
		mp.ids[p.key]["alert"] = chart.Alerts[0].ID
		mp.ids[p.key]["session"] = f.InsertDosingSession(p.pt.ID, "gate", f.Now.Add(-10*time.Minute))
		kap, err := f.St.PatientConsents(ctx, owner, p.pt.ID)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := f.St.RecordPaperConsent(ctx, owner, p.pt.ID, store.PaperInput{DocumentID: kap[0].Latest.ID, TypedName: p.pt.DisplayName, SignedOn: storetest.PaperToday(t, f.St), Scan: storetest.ScanPDF})
		if err != nil {
			t.Fatal(err)
		}
		mp.ids[p.key]["signature"] = sig.ID
		if _, err := f.St.SaveIntake(ctx, f.As(p.self), p.pt.ID, clinic.Intake{Goals: c[2].text, Answers: map[string]string{}}, false, store.QuestionIDs()); err != nil {
			t.Fatalf("intake of %s: %v", p.key, err)
		}
		if err := f.St.SavePreparation(ctx, f.As(p.self), p.pt.ID, store.Preparation{SupportName: c[3].text, SupportPhone: "+1 555 010 2345"}); err != nil {
			t.Fatalf("preparation of %s: %v", p.key, err)
		}
		note := &store.PsychNote{Body: c[4].text, AppointmentID: ap.ID}
		if err := f.St.CreatePsychNote(ctx, owner, p.pt.ID, note); err != nil {
			t.Fatalf("psychotherapy note on %s: %v", p.key, err)
		}
		mp.ids[p.key]["psychnote"] = note.ID
		// A skills entry the patient shared (issue 17): the care team reads
		// it; the patient opens it in the portal.
		entry, err := f.St.SaveSkillEntry(ctx, f.As(p.self), p.pt.ID, store.SkillInput{Kind: clinic.SkillOptions, Shared: true, Today: f.Now.Format(time.DateOnly),
			Form: url.Values{"problem": {"Noise at night"}, "choice": {"solve"}}})
		if err != nil {
			t.Fatalf("skills entry of %s: %v", p.key, err)
		}
		mp.ids[p.key]["entry"] = entry
		th, err := f.St.StartThread(ctx, f.As(p.self), p.pt.ID, store.MessageInput{Subject: "A question", Body: c[6].text})
		if err != nil {
			t.Fatalf("message of %s: %v", p.key, err)
		}
		mp.ids[p.key]["thread"] = th.ThreadID
		dx, err := f.St.AddDiagnosis(ctx, owner, p.pt.ID, "F33.1")
		if err != nil {
			t.Fatalf("diagnosis of %s: %v", p.key, err)
		}
		mp.ids[p.key]["diagnosis"] = dx.ID
	}
	for _, a := range matrixActors[2:] {
		mp.cookies[a.name] = f.SignIn(a.email)
	}
	mp.cookies["half"] = f.SessionCookie(f.Login("hana@example.org", webtest.TestPassword, ""))
	mp.db = f.RawDB()
	return mp
}

// matrixCase is one way of aiming a route: at patient A's records ("own"),
// at patient B's ("foreign"), at A with B's child record ("cross") or with
// a child record that does not exist ("nochild"), at ids that do not
// exist ("missing"), or, for a route with no patient, at the fixture's
// values ("fixture") or A's or B's child records ("A", "B").
type matrixCase struct {
	name    string
	patient string // "A", "B", or "" for none or missing
}

// casesFor derives a route's cases from its pattern.
func casesFor(t *testing.T, pattern string) []matrixCase {
	params := pathParams(pattern)
	for _, p := range params {
		if !childParams[p] && !otherParams[p] {
			t.Errorf("route %q has the parameter {%s}, which the matrix does not know: add it to childParams (a patient's record) or otherParams", pattern, p)
		}
	}
	hasChild := slices.ContainsFunc(params, func(p string) bool { return childParams[p] })
	switch {
	case slices.Contains(params, "patient"):
		cs := []matrixCase{{"own", "A"}, {"foreign", "B"}, {"missing", ""}}
		if hasChild {
			cs = append(cs, matrixCase{"cross", "A"}, matrixCase{"nochild", "A"})
		}
		return cs
	case hasChild:
		return []matrixCase{{"A", "A"}, {"B", "B"}, {"missing", ""}}
	case len(params) > 0 && !(len(params) == 1 && params[0] == "$"):
		return []matrixCase{{"fixture", ""}, {"missing", ""}}
	}
	return []matrixCase{{"fixture", ""}}
}

var paramRE = regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)

func pathParams(pattern string) []string {
	var out []string
	for _, m := range paramRE.FindAllStringSubmatch(pattern, -1) {
		out = append(out, m[1])
	}
	return out
}

// target fills pattern for case c.
func (mp *matrixPractice) target(pattern string, c matrixCase) (method, path string, form url.Values) {
	method, path, _ = strings.Cut(pattern, " ")
	css, _ := mp.f.Srv.Assets.URL("style.css")
	hash := strings.Split(css, "/")[2] // /static/{hash}/style.css
	fill := func(p string) string {
		switch p {
		case "$":
			return ""
		case "hash":
			return hash
		case "name":
			return "style.css"
		}
		if c.name == "missing" {
			return "no-such-" + p
		}
		switch p {
		case "patient":
			if c.patient == "B" {
				return mp.f.PB.ID
			}
			return mp.f.PA.ID
		case "appointment", "alert", "session", "psychnote", "signature", "note", "entry", "thread", "diagnosis":
			if c.name == "nochild" {
				return "no-such-" + p
			}
			of := c.patient
			if c.name == "cross" {
				of = "B"
			}
			return mp.ids[of][p]
		case "instrument":
			return "phq9"
		case "kind":
			return clinic.ConsentKAP
		case "user":
			return mp.nomfa
		case "grant":
			return mp.grant
		case "token":
			return "no-such-token-0000000000000000000000000000000"
		}
		return "no-such-" + p
	}
	path = paramRE.ReplaceAllStringFunc(path, func(m string) string { return fill(paramRE.FindStringSubmatch(m)[1]) })
	if method == http.MethodPost {
		form = url.Values{}
		if strings.HasSuffix(path, "/emergency") {
			form.Set("reason", "Patient called in crisis; their therapist is away.")
		}
		if strings.Contains(path, "/messages") {
			form.Set("subject", "Matrix")
			form.Set("body", "A message from the route-access matrix.")
		}
	}
	return method, path, form
}

// canFunc is the policy the expectations are computed from: authspec.Can
// (the policy written out by hand), or a copy with one line changed.
type canFunc func(clinic.Role, auth.Relation, auth.Permission) bool

func canSome(can canFunc, role clinic.Role, p auth.Permission) bool {
	for _, rel := range auth.Relations {
		if can(role, rel, p) {
			return true
		}
	}
	return false
}

// want is the expected answer: allowed (strict: and not a 404, because
// every id names a real record the caller may reach; asMissing: the same
// answer as for a child record that does not exist), or the denial:
// "login" (303 to sign in), "mfa" (303 to the second factor), "home" (303
// away from a sign-in step already done), "404" or "401" (the FHIR API
// without a token).
type want struct {
	allowed   bool
	strict    bool
	asMissing bool
	denial    string
}

// expect works out, from the route's row and the policy alone, what a
// route answers actor a in case c.
func expect(can canFunc, rt web.Route, a matrixActor, c matrixCase) want {
	switch rt.Access {
	case "public":
		return want{allowed: true}
	case "bearer":
		// The FHIR API: a session cookie is never a credential there, so
		// every caller of the matrix (none sends a token) is refused.
		return want{denial: "401"}
	case "anySession":
		if a.name == "anon" {
			return want{denial: "login"}
		}
		return want{allowed: true}
	case "mfaPending":
		switch a.name {
		case "anon":
			return want{denial: "login"}
		case "half":
			return want{allowed: true}
		}
		return want{denial: "home"}
	}
	switch {
	case a.name == "anon":
		return want{denial: "login"}
	case a.name == "half":
		return want{denial: "mfa"}
	case rt.Perm != "" && !canSome(can, a.role, rt.Perm):
		return want{denial: "404"}
	case !rt.OnRecord || rt.Object == "":
		return want{allowed: true, strict: rt.OnRecord}
	case c.name == "missing":
		return want{denial: "404"}
	case !can(a.role, a.rel[c.patient], rt.Object):
		return want{denial: "404"}
	case (c.name == "own" || c.name == "foreign") && slices.Contains(pathParams(rt.Pattern), "psychnote") && a.name != psychNoteAuthor[c.patient]:
		// The policy lets the care team in; the note is its author's alone.
		return want{denial: "404"}
	case c.name == "cross":
		// B's record under A's path: whatever A's caller is told, it is
		// what they are told for a record that does not exist.
		return want{allowed: true, asMissing: true}
	case c.name == "nochild":
		return want{allowed: true}
	}
	return want{allowed: true, strict: true}
}

// observation is one request's answer.
type observation struct {
	route    web.Route
	actor    matrixActor
	c        matrixCase
	status   int
	location string
	// missingStatus is, for the cross case, the answer the same caller got
	// for a child record that does not exist (the nochild case).
	missingStatus int
}

// mismatch says how o differs from what can expects, or "".
func mismatch(can canFunc, o observation) string {
	w := expect(can, o.route, o.actor, o.c)
	if w.allowed {
		switch {
		case o.status >= 500:
			return "a server error"
		case w.strict && o.status == http.StatusNotFound:
			return "404, want an answer (the policy allows it)"
		case w.asMissing && o.status != o.missingStatus:
			return fmt.Sprintf("%d, want %d as for a record that does not exist", o.status, o.missingStatus)
		}
		return ""
	}
	ok := false
	switch w.denial {
	case "login":
		ok = o.status == http.StatusSeeOther && strings.HasPrefix(o.location, "/login") && !strings.HasPrefix(o.location, "/login/mfa")
	case "mfa":
		ok = o.status == http.StatusSeeOther && o.location == "/login/mfa"
	case "home":
		ok = o.status == http.StatusSeeOther && !strings.HasPrefix(o.location, "/login/mfa")
	case "404":
		ok = o.status == http.StatusNotFound
	case "401":
		ok = o.status == http.StatusUnauthorized
	}
	if !ok {
		return fmt.Sprintf("%d (to %q), want the denial %s", o.status, o.location, w.denial)
	}
	return ""
}

// leak returns the canary in body that actor a may not see there, or "".
// A denied answer may show no patient but the caller themself; an answer
// about one patient no other patient; and nothing the policy does not let
// the caller read.
func leak(can canFunc, o observation, body string) string {
	w := expect(can, o.route, o.actor, o.c)
	for _, p := range []string{"A", "B"} {
		for _, c := range canaries(p) {
			if !strings.Contains(body, c.text) {
				continue
			}
			switch {
			case o.actor.role == "" || !can(o.actor.role, o.actor.rel[p], c.perm):
				return c.text
			case c.author != "" && o.actor.name != c.author:
				return c.text
			case !w.allowed && o.actor.rel[p] != auth.RelSelf:
				return c.text
			case o.c.patient != "" && o.c.patient != p && o.actor.rel[p] != auth.RelSelf:
				return c.text
			case o.c.name == "missing" && o.actor.rel[p] != auth.RelSelf:
				return c.text
			}
		}
	}
	return ""
}

// relationState is what the matrix's expectations assume of the practice:
// the callers' places on care teams, their grants, sign-ins and accounts.
// A route that changes it gets a fresh practice for the routes after it.
var relationState = []string{
	`SELECT count(*) FROM care_team WHERE removed_at IS NULL AND user_id IN (%s)`,
	`SELECT count(*) FROM emergency_access WHERE user_id IN (%s)`,
	`SELECT count(*) FROM sessions WHERE user_id IN (%s)`,
	`SELECT count(*) FROM users WHERE disabled_at IS NULL AND id IN (%s)`,
}

func (mp *matrixPractice) state(t *testing.T) string {
	t.Helper()
	var ids []string
	for _, a := range matrixActors[1:] {
		ids = append(ids, "'"+mp.f.Users[a.email].ID+"'") // generated ids: letters and digits
	}
	var out []string
	for _, q := range relationState {
		var n int
		q = fmt.Sprintf(q, strings.Join(ids, ", "))
		if err := mp.db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, fmt.Sprint(n))
	}
	return strings.Join(out, ",")
}

// do sends one request as actor a and returns the answer.
func (mp *matrixPractice) do(method, path string, form url.Values, a matrixActor, remote string) (int, string, string) {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	if c := mp.cookies[a.name]; c != "" {
		req.AddCookie(&http.Cookie{Name: mp.f.Srv.CookieName(), Value: c})
	}
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	mp.f.Srv.ServeHTTP(rec, req)
	return rec.Code, rec.Header().Get("Location"), rec.Body.String()
}

// runMatrix sends every route × actor × case × method and returns the
// answers, checking each body for canaries as it goes. GET routes share one
// practice and run in parallel; POST routes run one after another on a
// practice that is made afresh after any route changed the care teams,
// grants or sign-ins.
func runMatrix(t *testing.T) ([]observation, map[string]int) {
	start := time.Now()
	var (
		mu   sync.Mutex
		obs  []observation
		seen = map[string]int{} // canary -> answers that showed it
	)
	record := func(o observation, body string) {
		if l := leak(authspec.Can, o, body); l != "" {
			t.Errorf("%s as %s (%s case, status %d) shows %q, which the policy does not let them see there", o.route.Pattern, o.actor.name, o.c.name, o.status, l)
		}
		mu.Lock()
		obs = append(obs, o)
		for _, p := range []string{"A", "B"} {
			for _, c := range canaries(p) {
				if strings.Contains(body, c.text) {
					seen[c.text]++
				}
			}
		}
		mu.Unlock()
	}
	getPractice := newMatrixPractice(t)
	routes := getPractice.f.Srv.RouteTable()
	var gets, posts []web.Route
	for _, rt := range routes {
		if strings.HasPrefix(rt.Pattern, "GET ") {
			gets = append(gets, rt)
		} else {
			posts = append(posts, rt)
		}
	}
	run := func(mp *matrixPractice, rt web.Route, wg *sync.WaitGroup) {
		for _, c := range casesFor(t, rt.Pattern) {
			method, path, form := mp.target(rt.Pattern, c)
			for i, a := range matrixActors {
				wg.Add(1)
				go func() {
					defer wg.Done()
					status, loc, body := mp.do(method, path, form, a, fmt.Sprintf("198.51.100.%d:4000", i+1))
					record(observation{route: rt, actor: a, c: c, status: status, location: loc}, body)
				}()
			}
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, rt := range gets {
		sem <- struct{}{}
		var inner sync.WaitGroup
		run(getPractice, rt, &inner)
		wg.Add(1)
		go func() { defer wg.Done(); inner.Wait(); <-sem }()
	}
	wg.Wait()
	getTime, practices := time.Since(start), 2
	postPractice := newMatrixPractice(t)
	before := postPractice.state(t)
	for _, rt := range posts {
		var inner sync.WaitGroup
		run(postPractice, rt, &inner)
		inner.Wait()
		if now := postPractice.state(t); now != before {
			postPractice.f.St.Close()
			postPractice = newMatrixPractice(t)
			before = postPractice.state(t)
			practices++
		}
	}
	t.Logf("GET routes in %v; POST routes in %v on %d practices in all", getTime.Round(time.Millisecond), (time.Since(start) - getTime).Round(time.Millisecond), practices)
	nochild := map[string]int{}
	for _, o := range obs {
		if o.c.name == "nochild" {
			nochild[o.route.Pattern+" "+o.actor.name] = o.status
		}
	}
	for i, o := range obs {
		if o.c.name == "cross" {
			obs[i].missingStatus = nochild[o.route.Pattern+" "+o.actor.name]
		}
	}
	return obs, seen
}

// TestRouteAccessMatrix walks every route in routes.go for every kind of
// caller and id and checks each answer against the one access policy, and
// that no answer shows a patient the caller may not see there. It then
// changes single lines of the policy and checks that the same answers no
// longer match: the matrix catches a broken policy.
func TestRouteAccessMatrix(t *testing.T) {
	start := time.Now()
	obs, seen := runMatrix(t)
	// The canaries are where a leak would show them: each is on some page
	// its readers are allowed.
	for _, p := range []string{"A", "B"} {
		for _, c := range canaries(p) {
			if seen[c.text] == 0 {
				t.Errorf("canary %q is on no page: the leak checks cannot see it", c.text)
			}
		}
	}
	denied, allowed := 0, 0
	for _, o := range obs {
		if m := mismatch(authspec.Can, o); m != "" {
			t.Errorf("%s as %s (%s case) = %s", o.route.Pattern, o.actor.name, o.c.name, m)
		}
		if expect(authspec.Can, o.route, o.actor, o.c).allowed {
			allowed++
		} else {
			denied++
		}
	}
	routes := map[string]bool{}
	cases := map[string]bool{}
	for _, o := range obs {
		routes[o.route.Pattern] = true
		cases[o.route.Pattern+" "+o.c.name] = true
	}
	suitelog.Count(t, "route-access matrix: %d routes × %d actors × their cases (%d route-cases) = %d requests: %d denied, %d allowed, in %v",
		len(routes), len(matrixActors), len(cases), len(obs), denied, allowed, time.Since(start).Round(time.Millisecond))

	// Every {patient} route names the permission it asks on the record, and
	// every name is a route.
	table := map[string]web.Route{}
	for _, o := range obs {
		table[o.route.Pattern] = o.route
	}
	for p, rt := range table {
		if strings.Contains(p, "{patient}") && !rt.OnRecord {
			t.Errorf("route %q is on a patient's record but onRecord (routes.go) does not name its permission", p)
		}
	}
	for _, p := range web.OnRecordPatterns() {
		if _, ok := table[p]; !ok {
			t.Errorf("onRecord names %q, which is not a route", p)
		}
	}

	// A broken policy line is caught: each mutation below is one cell of
	// the table flipped, and the recorded answers must then disagree.
	for _, mu := range []struct {
		name string
		role clinic.Role
		rel  auth.Relation
		perm auth.Permission
	}{
		{"emergency access may write the stage, consult thread and measures", clinic.RoleTherapist, auth.RelEmergency, auth.PermClinical},
		{"the partner prescriber's grant reads the chart", clinic.RolePrescriber, auth.RelEmergency, auth.PermProfile},
		{"a therapist off the team reads the chart", clinic.RoleTherapist, auth.RelNone, auth.PermProfile},
		{"the owning therapist loses the care team", clinic.RoleTherapist, auth.RelOwner, auth.PermTeam},
		{"an admin loses the audit log", clinic.RoleAdmin, auth.RelNone, auth.PermAuditLog},
		{"a patient gets the staff app", clinic.RolePatient, auth.RelNone, auth.PermStaffApp},
		{"emergency access opens psychotherapy notes", clinic.RoleTherapist, auth.RelEmergency, auth.PermPsychNote},
	} {
		flipped := func(role clinic.Role, rel auth.Relation, p auth.Permission) bool {
			got := authspec.Can(role, rel, p)
			if role == mu.role && p == mu.perm && (rel == mu.rel || slices.Contains(practiceWide, p)) {
				return !got
			}
			return got
		}
		n := 0
		for _, o := range obs {
			if mismatch(authspec.Can, o) == "" && mismatch(flipped, o) != "" {
				n++
			}
		}
		if n == 0 {
			t.Errorf("the policy changed so that %s, and the matrix did not notice", mu.name)
		} else {
			suitelog.Count(t, "broken policy line caught (%s): %d answers disagree", mu.name, n)
		}
	}
}

// practiceWide are the permissions decided by role alone (the relation is
// ignored): flipping one flips it in every relation.
var practiceWide = []auth.Permission{auth.PermStaffApp, auth.PermAuditLog}

// TestForeignAndMissingPatients checks that a patient not on the caller's
// team and a patient that does not exist get the same answer.
func TestForeignAndMissingPatients(t *testing.T) {
	f := webtest.NewFixture(t)
	for _, tt := range []struct{ who, id string }{
		{"thea", f.PB.ID}, {"rex", f.PB.ID}, {"theo", f.PA.ID}, {"thea", "no-such-patient"}, {"admin", "no-such-patient"},
	} {
		tok := f.SignIn(webtest.ActorEmail[tt.who])
		r := f.Do("GET", "/patients/"+tt.id, nil, tok)
		if r.Status != http.StatusNotFound {
			t.Errorf("GET /patients/%s as %s = %d, want 404", tt.id, tt.who, r.Status)
		}
		if strings.Contains(r.Body, webtest.CanaryA) || strings.Contains(r.Body, webtest.CanaryB) {
			t.Errorf("GET /patients/%s as %s shows a patient's name", tt.id, tt.who)
		}
		for _, p := range []string{"/team", "/invite"} {
			if r := f.Do("POST", "/patients/"+tt.id+p, url.Values{"user_id": {f.Users["theo@example.org"].ID}}, tok); r.Status != http.StatusNotFound {
				t.Errorf("POST /patients/%s%s as %s = %d, want 404", tt.id, p, tt.who, r.Status)
			}
		}
	}
}
