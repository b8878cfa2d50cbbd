package web

import (
	"database/sql"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

func init() {
	for k, v := range journalPolicy {
		policy[k] = v
	}
}

// journalPolicy is the integration journal's rows of the route matrix:
// the patient's own pages only. GET /portal/journal/entry without an id,
// and POST /portal/journal with nothing written, save nothing.
//
//	anon half pA   pB   thea theo rex  admin
var journalPolicy = map[string]map[string]int{
	"GET /portal/journal":       m(303, 303, 200, 200, 404, 404, 404, 404),
	"GET /portal/journal/new":   m(303, 303, 200, 200, 404, 404, 404, 404),
	"GET /portal/journal/entry": m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /portal/journal":      m(303, 303, 422, 422, 404, 404, 404, 404),
}

// dosingRowsDB opens the fixture's own database beside its store, for rows no
// Store method of this feature makes (a dosing session in a given state).
// It finds the database by patient A's id: the SQLite file under the
// test's temporary directories, or the PostgreSQL schema storetest made.
func (f *fixture) dosingRowsDB() (*sql.DB, bool) {
	f.t.Helper()
	has := func(db *sql.DB, table string) bool {
		var n int
		return db.QueryRow(`SELECT count(*) FROM `+table+` WHERE id = $1`, f.pA.ID).Scan(&n) == nil && n == 1
	}
	if base := os.Getenv(storetest.PostgresEnv); base != "" {
		db, err := sql.Open("pgx", base)
		if err != nil {
			f.t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\_%'`)
		if err != nil {
			f.t.Fatal(err)
		}
		var schemas []string
		for rows.Next() {
			var s string
			rows.Scan(&s)
			schemas = append(schemas, s)
		}
		rows.Close()
		for _, s := range schemas {
			if has(db, s+".patients") {
				u, _ := url.Parse(base)
				q := u.Query()
				q.Set("search_path", s)
				u.RawQuery = q.Encode()
				out, err := sql.Open("pgx", u.String())
				if err != nil {
					f.t.Fatal(err)
				}
				f.t.Cleanup(func() { out.Close() })
				return out, true
			}
		}
		f.t.Fatal("fixture schema not found")
	}
	paths, _ := filepath.Glob(filepath.Join(filepath.Dir(f.t.TempDir()), "*", "kapstone.db"))
	for _, p := range paths {
		db, err := sql.Open("sqlite3", "file:"+p+"?_pragma=busy_timeout(10000)")
		if err != nil {
			f.t.Fatal(err)
		}
		if has(db, "patients") {
			f.t.Cleanup(func() { db.Close() })
			return db, false
		}
		db.Close()
	}
	f.t.Fatal("fixture database not found")
	return nil, false
}

// insertDosingSession inserts a dosing session for patientID with status, begun at
// at (and dosed 30 minutes later, unless still at the gate), and returns
// its id.
func (f *fixture) insertDosingSession(patientID, status string, at time.Time) string {
	f.t.Helper()
	db, pg := f.dosingRowsDB()
	tm := func(t time.Time) any {
		if pg {
			return t.UTC()
		}
		return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") // the store's SQLite layout
	}
	var doseAt any
	if status == "dosed" || status == "discharged" {
		doseAt = tm(at.Add(30 * time.Minute))
	}
	id := store.NewID()
	if _, err := db.Exec(`INSERT INTO dosing_sessions (id, patient_id, clinician_id, status, created_at, dose_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, patientID, f.users["thea@example.org"].ID, status, tm(at), doseAt, tm(at)); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// TestJournalPromptAfterDischarge: a discharged session with no entry
// invites the patient to write; writing takes the invitation away; a
// second visit to the invitation opens the entry; other patients reach
// neither the session nor the entry.
func TestJournalPromptAfterDischarge(t *testing.T) {
	f := newFixture(t)
	pat := f.signIn("pat@example.org")
	session := f.insertDosingSession(f.pA.ID, "discharged", time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC))
	f.insertDosingSession(f.pA.ID, "dosed", f.now.Add(-time.Hour)) // not discharged yet: no invitation

	list := f.do("GET", "/portal/journal", nil, pat)
	if list.status != http.StatusOK || !strings.Contains(list.body, "Write about your session on Tuesday, November 24, 2026") ||
		strings.Count(list.body, "Write about your session") != 1 || !strings.Contains(list.body, `href="/portal/journal/new?session=`+session+`"`) {
		t.Fatalf("GET /portal/journal = %d, want one invitation to write about the discharged session:\n%s", list.status, list.body)
	}
	checkShell(t, "journal", list)
	form := f.do("GET", "/portal/journal/new?session="+session, nil, pat)
	if form.status != http.StatusOK || !strings.Contains(form.body, "After your session on Tuesday, November 24, 2026") ||
		!strings.Contains(form.body, `<label for="answer-0">What stood out for you?</label>`) || !strings.Contains(form.body, `name="session" value="`+session+`"`) ||
		!strings.Contains(form.body, "Share with my care team") || strings.Contains(form.body, `name="shared" value="yes" aria-describedby="journal-shared-hint" checked`) {
		t.Fatalf("GET /portal/journal/new?session= = %d, want the prompts about the session, private by default:\n%s", form.status, form.body)
	}

	// Nothing written: refused, and what was ticked is kept.
	r := f.do("POST", "/portal/journal", url.Values{"session": {session}, "answer_body": {"   "}, "shared": {"yes"}}, pat)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Write something for at least one of the questions") ||
		!strings.Contains(r.body, `aria-invalid="true" aria-describedby="answer-0-error answer-0-hint"`) || !strings.Contains(r.body, " checked>") {
		t.Errorf("POST an empty entry = %d, want 422 with the error at the first prompt and the choice kept:\n%s", r.status, r.body)
	}

	r = f.do("POST", "/portal/journal", url.Values{"session": {session}, "answer_stood_out": {"The music & the light <b>."}, "answer_carry": {"Slow mornings."}}, pat)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/portal/journal?done=private#entry-") {
		t.Fatalf("POST the entry = %d %q, want 303 back to the journal", r.status, r.header.Get("Location"))
	}
	entry := strings.TrimPrefix(r.header.Get("Location"), "/portal/journal?done=private#entry-")
	list = f.do("GET", "/portal/journal?done=private", nil, pat)
	if strings.Contains(list.body, "Write about your session") || !strings.Contains(list.body, "After your session on Tuesday, November 24, 2026") ||
		!strings.Contains(list.body, "Private") || !strings.Contains(list.body, "The music &amp; the light &lt;b&gt;.") || !strings.Contains(list.body, "only you can read it") {
		t.Errorf("the journal after writing still invites, or lacks the entry:\n%s", list.body)
	}

	// The invitation's link now opens the entry, to change it.
	if r := f.do("GET", "/portal/journal/new?session="+session, nil, pat); r.status != http.StatusSeeOther || r.header.Get("Location") != "/portal/journal/entry?id="+entry {
		t.Errorf("GET new for a session with an entry = %d %q, want 303 to the entry", r.status, r.header.Get("Location"))
	}
	edit := f.do("GET", "/portal/journal/entry?id="+entry, nil, pat)
	if edit.status != http.StatusOK || !strings.Contains(edit.body, "Slow mornings.</textarea>") || !strings.Contains(edit.body, `name="entry" value="`+entry+`"`) {
		t.Fatalf("GET the entry = %d, want the form with the text:\n%s", edit.status, edit.body)
	}
	r = f.do("POST", "/portal/journal", url.Values{"entry": {entry}, "answer_stood_out": {"The music."}, "answer_carry": {"Slow mornings, and a walk."}, "shared": {"yes"}}, pat)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/portal/journal?done=shared#entry-"+entry {
		t.Fatalf("POST the edit = %d %q, want 303 to the same entry", r.status, r.header.Get("Location"))
	}
	list = f.do("GET", "/portal/journal", nil, pat)
	if !strings.Contains(list.body, "Shared with your care team") || !strings.Contains(list.body, "changed") {
		t.Errorf("the journal after sharing does not say so:\n%s", list.body)
	}

	// Patient B reaches neither A's session nor A's entry.
	bea := f.signIn("bea@example.org")
	for _, path := range []string{"/portal/journal/new?session=" + session, "/portal/journal/entry?id=" + entry} {
		if r := f.do("GET", path, nil, bea); r.status != http.StatusNotFound || strings.Contains(r.body, "Slow mornings") {
			t.Errorf("GET %s as patient B = %d, want 404 without the text", path, r.status)
		}
	}
	if r := f.do("POST", "/portal/journal", url.Values{"entry": {entry}, "answer_stood_out": {"overwritten"}}, bea); r.status != http.StatusNotFound {
		t.Errorf("POST to A's entry as patient B = %d, want 404", r.status)
	}
	if r := f.do("GET", "/portal/journal", nil, bea); strings.Contains(r.body, "Write about your session") || strings.Contains(r.body, "Slow mornings") {
		t.Errorf("patient B's journal shows A's session or entry")
	}
}

// TestJournalPrivateNeverReachesStaff: a private entry's text appears in no
// staff response (every GET page, the chart included, for every staff
// member, the audit log too) nor in the logs; a shared entry appears on the
// chart for the care team only, and leaves it when made private again.
func TestJournalPrivateNeverReachesStaff(t *testing.T) {
	f := newFixture(t)
	pat := f.signIn("pat@example.org")
	const private, shared = "PRIVATE-canary-4417 my own words", "SHARED-canary-9052 for my therapist"
	session := f.insertDosingSession(f.pA.ID, "discharged", f.now.Add(-48*time.Hour))
	if r := f.do("POST", "/portal/journal", url.Values{"answer_stood_out": {private}}, pat); r.status != http.StatusSeeOther {
		t.Fatalf("POST the private entry = %d", r.status)
	}
	r := f.do("POST", "/portal/journal", url.Values{"session": {session}, "answer_feelings": {shared}, "shared": {"yes"}}, pat)
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST the shared entry = %d", r.status)
	}
	sharedID := strings.TrimPrefix(r.header.Get("Location"), "/portal/journal?done=shared#entry-")

	staff := map[string]string{}
	for _, who := range []string{"thea", "theo", "rex", "admin"} {
		staff[who] = f.signIn(actorEmail[who])
	}
	for _, rt := range f.srv.routeTable() {
		if !strings.HasPrefix(rt.pattern, "GET ") {
			continue
		}
		_, path, _ := f.target(rt.pattern)
		for who, tok := range staff {
			r := f.do("GET", path, nil, tok)
			if strings.Contains(r.body, "PRIVATE-canary") {
				t.Errorf("GET %s as %s (status %d) shows the private entry", path, who, r.status)
			}
			if strings.Contains(r.body, "SHARED-canary") && !(path == "/patients/"+f.pA.ID && (who == "thea" || who == "rex")) {
				t.Errorf("GET %s as %s (status %d) shows the shared entry", path, who, r.status)
			}
		}
	}
	for _, who := range []string{"thea", "rex"} {
		chart := f.do("GET", "/patients/"+f.pA.ID, nil, staff[who])
		if !strings.Contains(chart.body, shared) || !strings.Contains(chart.body, "What feelings are still with you?") || !strings.Contains(chart.body, `id="journal"`) {
			t.Errorf("the chart as %s lacks the shared entry", who)
		}
	}
	if strings.Contains(f.logs.String(), "canary-") {
		t.Error("the logs hold journal text")
	}

	// Made private again, it leaves the chart.
	if r := f.do("POST", "/portal/journal", url.Values{"entry": {sharedID}, "answer_feelings": {shared}}, pat); r.status != http.StatusSeeOther {
		t.Fatalf("POST making the entry private = %d", r.status)
	}
	if chart := f.do("GET", "/patients/"+f.pA.ID, nil, staff["thea"]); strings.Contains(chart.body, "canary-") || !strings.Contains(chart.body, "No shared entries.") {
		t.Error("the chart still shows the entry after the patient made it private")
	}
}
