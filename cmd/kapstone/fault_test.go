package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// faultDB is a demo practice on the test's engine, for the fault tests: a
// SQLite file in a data directory, or (with KAPSTONE_TEST_POSTGRES) a new
// PostgreSQL schema of its own, with the audit key in the data directory.
type faultDB struct {
	dir    string   // data directory (audit key, checkpoint file, logins)
	dsn    string   // the database
	args   []string // kapstone flags naming both
	logins []demo.Login
}

func (f *faultDB) postgres() bool { return store.IsPostgresDSN(f.dsn) }

// newFaultDB seeds the demo practice on a fresh database of the test's
// engine (SQLite in dir when dir is given).
func newFaultDB(t *testing.T, dsn, dir string) *faultDB {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	f := &faultDB{dir: dir, dsn: dsn}
	if f.postgres() {
		f.args = []string{"-db", dsn, "-data-dir", dir}
	} else {
		f.args = []string{"-data-dir", dir}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := audit.LoadOrCreateKey(filepath.Join(dir, "audit-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	st.SetAuditKey(key)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if f.logins, err = demo.Seed(ctx, st, dir, auth.DefaultParams); err != nil {
		t.Fatal(err)
	}
	return f
}

// sqlDB opens the database directly, as the tests' own reader.
func (f *faultDB) sqlDB(t *testing.T) *sql.DB {
	t.Helper()
	driver := "sqlite3"
	if f.postgres() {
		driver = "pgx"
	}
	db, err := sql.Open(driver, f.dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func (f *faultDB) login(role string) demo.Login {
	for _, l := range f.logins {
		if string(l.Role) == role {
			return l
		}
	}
	panic("no demo login with role " + role)
}

// signIn signs l in on base (with the second factor for staff) and returns
// the client holding the session cookie.
func signIn(t *testing.T, base string, l demo.Login) *http.Client {
	t.Helper()
	c := noRedirect()
	if res := login(t, c, base, l.Email, l.Password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in of %s = %d, want 303", l.Email, res.StatusCode)
	}
	if l.TOTPSecret != "" {
		code, _ := auth.TOTPCode(l.TOTPSecret, time.Now())
		res, err := c.PostForm(base+"/login/mfa", url.Values{"code": {code}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("second factor of %s = %d, want 303", l.Email, res.StatusCode)
		}
	}
	return c
}

// sessionToken is the session cookie c holds for base.
func sessionToken(c *http.Client, base string) string {
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "kapstone_session" {
			return ck.Value
		}
	}
	return ""
}

// withToken is a client that sends the session token tok and follows no redirect.
func withToken(base, tok string) *http.Client {
	c := noRedirect()
	u, _ := url.Parse(base)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "kapstone_session", Value: tok, Path: "/"}})
	return c
}

var patientLinkRE = regexp.MustCompile(`/patients/([0-9a-z]{26})`)

// faultWriter drives the writes of the fault tests through HTTP and keeps
// what the server acknowledged, to be looked for in the database later.
type faultWriter struct {
	f *faultDB

	patient   demo.Login // signs in again and again
	patientTk string     // a standing patient session: check-ins and journal
	staffTk   string     // a standing therapist session: consult posts
	patientID string     // a patient on the therapist's team

	mu       sync.Mutex
	sessions []string // acknowledged sign-ins (session tokens)
	journal  []string // acknowledged journal entries: "id marker"
	consults []string // acknowledged consult posts (unique bodies)
	checkins int      // acknowledged completed PHQ-9 check-ins
	base     int      // completed PHQ-9 check-ins before the test
	n        int      // counter for unique markers
}

// newFaultWriter signs a patient and a therapist in on the running server
// at base; their sessions outlive restarts.
func newFaultWriter(t *testing.T, f *faultDB, base string) *faultWriter {
	t.Helper()
	w := &faultWriter{f: f}
	for _, l := range f.logins {
		if l.Role == "patient" && l.Email == "jordan.lee@mail.example" {
			w.patient = l
		}
	}
	w.patientTk = sessionToken(signIn(t, base, w.patient), base)
	staff := signIn(t, base, f.login("therapist"))
	w.staffTk = sessionToken(staff, base)
	status, body := get(t, staff, base+"/patients")
	m := patientLinkRE.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("GET /patients as the therapist = %d with no patient link", status)
	}
	w.patientID = m[1]
	db := f.sqlDB(t)
	defer db.Close()
	w.base = w.countCheckins(t, db)
	return w
}

func (w *faultWriter) countCheckins(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	err := db.QueryRow(`SELECT count(*) FROM checkins c JOIN patients p ON p.id = c.patient_id JOIN users u ON u.id = p.user_id
		WHERE u.email = $1 AND c.instrument = 'phq9' AND c.status = 'complete'`, w.patient.Email).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (w *faultWriter) marker(kind string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n++
	return fmt.Sprintf("fault-%s-%d-%d", kind, w.n, rand.Int64())
}

// writeOutcome is what the server answered one write.
type writeOutcome int

const (
	acked   writeOutcome = iota // 303: saved
	refused                     // an error page the test accepts (5xx from the database)
	lost                        // no answer (the server died or the connection was cut)
)

// write does one write of kind k (0 sign-in, 1 check-in, 2 journal, 3
// consult) on base. It records acknowledged writes; an answer that is
// neither a 303 nor an error page is reported with t.Errorf, as is an
// error page that is not calm (see checkErrorPage).
func (w *faultWriter) write(t *testing.T, base string, k int, dbDown bool) writeOutcome {
	var (
		res *http.Response
		err error
		tag string
	)
	switch k {
	case 0:
		tag = "sign-in"
		res, err = noRedirect().PostForm(base+"/login", url.Values{"email": {w.patient.Email}, "password": {w.patient.Password}})
	case 1:
		tag = "PHQ-9 check-in"
		form := url.Values{"action": {"complete"}, "phq9_difficulty": {"1"}}
		for i := 1; i <= 9; i++ {
			v := strconv.Itoa(rand.IntN(4))
			if i == 9 {
				v = "0" // no risk answer: no alert, no email
			}
			form.Set("phq9_"+strconv.Itoa(i), v)
		}
		res, err = withToken(base, w.patientTk).PostForm(base+"/portal/checkins/phq9", form)
	case 2:
		tag = w.marker("journal")
		res, err = withToken(base, w.patientTk).PostForm(base+"/portal/journal", url.Values{"answer_stood_out": {tag}, "shared": {"no"}})
	case 3:
		tag = w.marker("consult")
		res, err = withToken(base, w.staffTk).PostForm(base+"/patients/"+w.patientID+"/consult", url.Values{"body": {tag}})
	}
	if err != nil {
		return lost
	}
	body, rerr := io.ReadAll(res.Body)
	res.Body.Close()
	if rerr != nil {
		return lost // cut mid-answer: the client cannot know
	}
	if res.StatusCode != http.StatusSeeOther {
		if res.StatusCode >= 500 {
			checkErrorPage(t, fmt.Sprintf("write %d", k), res.StatusCode, string(body))
			return refused
		}
		t.Errorf("write %d (%s) = %d, want 303 or an error page: %.300s", k, tag, res.StatusCode, body)
		return refused
	}
	if dbDown {
		t.Errorf("write %d answered 303 (saved) while the database was unreachable", k)
	}
	loc := res.Header.Get("Location")
	w.mu.Lock()
	defer w.mu.Unlock()
	switch k {
	case 0:
		for _, ck := range res.Cookies() {
			if ck.Name == "kapstone_session" && ck.Value != "" {
				w.sessions = append(w.sessions, ck.Value)
			}
		}
	case 1:
		if !strings.Contains(loc, "done=phq9") {
			t.Errorf("PHQ-9 check-in went to %q, want done=phq9", loc)
		}
		w.checkins++
	case 2:
		_, id, ok := strings.Cut(loc, "#entry-")
		if !ok || !store.ValidID(id) {
			t.Errorf("journal save went to %q, want #entry-<id>", loc)
		}
		w.journal = append(w.journal, id+" "+tag)
	case 3:
		w.consults = append(w.consults, tag)
	}
	return acked
}

// checkErrorPage fails t unless body is a calm 503 page: no 500, the
// crisis footer, no stack trace or driver text, nothing said to be saved.
func checkErrorPage(t *testing.T, what string, status int, body string) {
	t.Helper()
	if status != http.StatusServiceUnavailable {
		t.Errorf("%s = %d, want 503 (the database is unavailable, not a bug): %.400s", what, status, body)
	}
	if strings.HasPrefix(body, "{") {
		return // a background save's JSON answer
	}
	if !strings.Contains(body, usCrisis) {
		t.Errorf("%s: error page without the crisis footer", what)
	}
	if !strings.Contains(body, "Nothing was saved") {
		t.Errorf("%s: error page does not say nothing was saved: %.600s", what, body)
	}
	low := strings.ToLower(body)
	for _, bad := range []string{"goroutine", ".go:", "panic", "sqlite", "pgx", "pgconn", "postgres", "sql:", "errno", "no space", "database disk", "dial tcp"} {
		if strings.Contains(low, bad) {
			t.Errorf("%s: error page contains %q", what, bad)
		}
	}
}

// verify checks that every write the server acknowledged is in the
// database, that SQLite's integrity check passes, and that `kapstone audit
// verify` passes; it returns how many writes it found. The database must
// not be in use by a server.
func (w *faultWriter) verify(t *testing.T) int {
	t.Helper()
	db := w.f.sqlDB(t)
	defer db.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	found := 0
	for i, tok := range w.sessions {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sessions WHERE id_hash = $1`, auth.HashToken(tok)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("acknowledged sign-in %d of %d is not in the database (the write was lost)", i+1, len(w.sessions))
		}
		found++
	}
	for _, j := range w.journal {
		id, marker, _ := strings.Cut(j, " ")
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM journal_versions WHERE entry_id = $1 AND body LIKE $2`, id, "%"+marker+"%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("acknowledged journal entry %s is not in the database (the write was lost)", id)
		}
		found++
	}
	for _, c := range w.consults {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM consult_messages WHERE body = $1`, c).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("acknowledged consult post %q is in the database %d times, want once", c, n)
		}
		found++
	}
	have := w.countCheckins(t, db) - w.base
	if have < w.checkins {
		t.Fatalf("%d completed PHQ-9 check-ins were acknowledged, the database has %d new ones (writes were lost)", w.checkins, have)
	}
	found += w.checkins
	if !w.f.postgres() {
		st, err := store.Open(context.Background(), w.f.dsn)
		if err != nil {
			t.Fatal(err)
		}
		err = st.IntegrityCheck(context.Background())
		st.Close()
		if err != nil {
			t.Fatalf("PRAGMA integrity_check: %v", err)
		}
	}
	if code, out, errOut := kapstone(t, append([]string{"audit", "verify"}, w.f.args...)...); code != 0 {
		t.Fatalf("kapstone audit verify = exit %d: %s %s", code, out, errOut)
	}
	return found
}

func (w *faultWriter) acked() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sessions) + len(w.journal) + len(w.consults) + w.checkins
}

// killRounds is how many times TestKillDuringWrites kills the server.
const killRounds = 50

// TestKillDuringWrites starts the real program (this test binary
// re-executed) on one database again and again while several clients sign
// in, complete PHQ-9 check-ins, write journal entries and post to a
// patient's consult thread, and kills it with SIGKILL at a random moment
// (the seed is logged; KAPSTONE_FAULT_SEED repeats a run). Every few
// rounds, and at the end, every write the server acknowledged must be in
// the database, SQLite's integrity check must pass, and `kapstone audit
// verify` must pass. It runs on SQLite, and on PostgreSQL when
// KAPSTONE_TEST_POSTGRES is set (a schema of its own).
func TestKillDuringWrites(t *testing.T) {
	engines := []string{"sqlite"}
	if os.Getenv(storetest.PostgresEnv) != "" {
		engines = append(engines, "postgres")
	}
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			var f *faultDB
			if engine == "postgres" {
				f = newFaultDB(t, storetest.DSN(t), "")
			} else {
				dir := t.TempDir()
				f = newFaultDB(t, filepath.Join(dir, "kapstone.db"), dir)
			}
			killDuringWrites(t, f)
		})
	}
}

func killDuringWrites(t *testing.T, f *faultDB) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("KAPSTONE_FAULT_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (KAPSTONE_FAULT_SEED=%d repeats this run)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 14))
	args := append([]string{"serve", "-addr", "127.0.0.1:0"}, f.args...)

	p := startProcess(t, args...)
	w := newFaultWriter(t, f, p.url)
	p.cmd.Process.Kill()
	p.cmd.Wait()

	start := time.Now()
	var verified, lostN, refusedN int
	for round := 1; round <= killRounds; round++ {
		p := startProcess(t, args...)
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := range 4 {
			kinds := rng.Perm(4)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; ctx.Err() == nil; j++ {
					// One client in four also signs in (an argon2 hash:
					// slow); the others write.
					k := kinds[j%4]
					if k == 0 && i != 0 {
						k = 1 + j%3
					}
					switch w.write(t, p.url, k, false) {
					case lost:
						mu.Lock()
						lostN++
						mu.Unlock()
						return
					case refused:
						mu.Lock()
						refusedN++
						mu.Unlock()
					}
				}
			}()
		}
		// Kill at a random moment: right away up to 600 ms into the writes.
		time.Sleep(time.Duration(rng.IntN(600)) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
		stop()
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		if round%10 == 0 || round == killRounds {
			verified = w.verify(t)
		}
	}
	if w.acked() < 4*killRounds {
		t.Errorf("only %d writes were acknowledged in %d rounds; the test proved little", w.acked(), killRounds)
	}
	t.Logf("%s: %d kill rounds in %v, %d writes acknowledged (%d sign-ins, %d PHQ-9 check-ins, %d journal entries, %d consult posts), %d verified after the last kill; %d in flight at a kill, %d refused",
		map[bool]string{true: "postgres", false: "sqlite"}[f.postgres()], killRounds, time.Since(start).Round(time.Second), w.acked(),
		len(w.sessions), w.checkins, len(w.journal), len(w.consults), verified, lostN, refusedN)
	if verified != w.acked() {
		t.Errorf("verified %d of %d acknowledged writes", verified, w.acked())
	}
}
