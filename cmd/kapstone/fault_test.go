package main

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/kapstone/kapstone/internal/suitelog"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	st.SetKeyring(dataKeys(t, dir))
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
func (w *faultWriter) write(t *testing.T, base string, k int) writeOutcome {
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
// verify` must pass. Like the rest of the suite it runs on SQLite, or on
// PostgreSQL (a schema of its own) when KAPSTONE_TEST_POSTGRES is set.
func TestKillDuringWrites(t *testing.T) {
	dsn := storetest.DSN(t)
	dir := t.TempDir()
	if !store.IsPostgresDSN(dsn) {
		dir = filepath.Dir(dsn)
	}
	killDuringWrites(t, newFaultDB(t, dsn, dir))
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
	var starting, verifying time.Duration
	for round := 1; round <= killRounds; round++ {
		t0 := time.Now()
		p := startProcess(t, args...)
		starting += time.Since(t0)
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
					switch w.write(t, p.url, k) {
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
		// Kill at a random moment: after a random number (0 to 7) of
		// writes acknowledged in this round, and then up to 150 ms later,
		// with the clients' next writes in flight.
		before, target := w.acked(), rng.IntN(8)
		for deadline := time.Now().Add(10 * time.Second); w.acked()-before < target && time.Now().Before(deadline); {
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
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
			t0 := time.Now()
			verified = w.verify(t)
			verifying += time.Since(t0)
		}
	}
	if w.acked() < 2*killRounds {
		t.Errorf("only %d writes were acknowledged in %d rounds; the test proved little", w.acked(), killRounds)
	}
	t.Logf("time: %v starting the server, %v verifying", starting.Round(time.Second), verifying.Round(time.Second))
	suitelog.Count(t, "%s: %d kill rounds in %v, %d writes acknowledged (%d sign-ins, %d PHQ-9 check-ins, %d journal entries, %d consult posts), %d verified after the last kill; %d in flight at a kill, %d refused",
		map[bool]string{true: "postgres", false: "sqlite"}[f.postgres()], killRounds, time.Since(start).Round(time.Second), w.acked(),
		len(w.sessions), w.checkins, len(w.journal), len(w.consults), verified, lostN, refusedN)
	if verified != w.acked() {
		t.Errorf("verified %d of %d acknowledged writes", verified, w.acked())
	}
}

// needRoot skips a test that needs root (to mount a file system), unless
// the run must not skip it (CI, or KAPSTONE_REQUIRE_ROOT set): then it fails.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" || os.Getenv("KAPSTONE_REQUIRE_ROOT") != "" {
		t.Fatal("this test mounts a small tmpfs and must run as root (CI or KAPSTONE_REQUIRE_ROOT is set, so it may not be skipped)")
	}
	t.Skip("needs root to mount a small tmpfs; run as root or in CI")
}

// mountTmpfs mounts a tmpfs of size (e.g. "8m") on a new directory and
// unmounts it when the test ends.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Fatalf("mount a %s tmpfs on %s: %v", size, dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
			syscall.Unmount(dir, syscall.MNT_DETACH) // leave no mount behind
		}
	})
	return dir
}

// fillDisk writes a filler file in dir until the file system is full and
// returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	chunk := make([]byte, 64<<10)
	for size := len(chunk); size > 0; {
		if _, err := fh.Write(chunk[:size]); err != nil {
			size /= 2 // fill the last few bytes too
		}
	}
	fh.Sync()
	return path
}

// TestDiskFull runs the server with its SQLite database on a small tmpfs
// and fills the disk while patients and staff write: every write answers
// either 303 (and is then in the database) or a calm 503 page, never a 500
// or a success that was not saved; the server stays up and reads still
// work; once the filler is removed, writes succeed again without a restart.
func TestDiskFull(t *testing.T) {
	needRoot(t)
	dir := mountTmpfs(t, "8m")
	f := newFaultDB(t, filepath.Join(dir, "kapstone.db"), dir)
	in := start(t, nil, append([]string{"serve", "-addr", "127.0.0.1:0"}, f.args...)...)
	w := newFaultWriter(t, f, in.url)
	counts := map[writeOutcome]int{}
	for i := range 12 {
		if got := w.write(t, in.url, 1+i%3); got != acked {
			t.Fatalf("write %d before the disk filled = %d, want it saved", i, got)
		}
	}
	// Clients keep writing while the disk fills up, and after.
	var full atomic.Bool
	var mu sync.Mutex
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ctx.Err() == nil; j++ {
				k := 1 + (i+j)%3
				if j%8 == 7 {
					k = 0
				}
				after := full.Load()
				got := w.write(t, in.url, k)
				if got == lost {
					t.Errorf("a write on a filling disk got no answer: the server is down?")
					return
				}
				mu.Lock()
				counts[got]++
				if after {
					counts[got+10]++ // started once the disk was full
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	filler := fillDisk(t, dir)
	full.Store(true)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := counts[refused+10]
		mu.Unlock()
		if n >= 20 {
			break
		}
	}
	stop()
	wg.Wait()
	if counts[refused+10] == 0 {
		t.Fatalf("writes on a full disk all succeeded (%v); the disk never filled", counts)
	}
	if t.Failed() {
		t.FailNow()
	}
	// The server stays up, and says so; pages that need no write still
	// work. Reading a patient's record writes its audit row, so such a
	// read is refused calmly while that row cannot be written.
	c := withToken(in.url, w.patientTk)
	for _, path := range []string{"/healthz", "/readyz", "/", "/account"} {
		if status, body := get(t, c, in.url+path); status != http.StatusOK {
			t.Errorf("GET %s on a full disk = %d, want 200: %.300s", path, status, body)
		}
	}
	for _, path := range []string{"/portal/journal", "/portal/checkins"} {
		if status, body := get(t, c, in.url+path); status != http.StatusOK {
			checkErrorPage(t, "GET "+path+" on a full disk", status, body)
		}
	}
	if strings.Contains(in.stderr.String(), "goroutine ") {
		t.Errorf("the server logged a stack trace on a full disk")
	}

	// Space returns: writes succeed again, without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for k := range 4 {
		if got := w.write(t, in.url, k); got != acked {
			t.Errorf("write %d after space returned = %d, want it saved", k, got)
		}
	}
	if err := in.stop(t); err != nil {
		t.Fatalf("kapstone stopped with %v after the disk was full", err)
	}
	verified := w.verify(t)
	suitelog.Count(t, "disk full: %d writes while the disk filled and after (%d saved, %d refused with 503); once full: %d saved, %d refused; %d acknowledged writes in all, %d verified",
		counts[acked]+counts[refused], counts[acked], counts[refused], counts[acked+10], counts[refused+10], w.acked(), verified)
	if verified != w.acked() {
		t.Errorf("verified %d of %d acknowledged writes", verified, w.acked())
	}
}

// tcpProxy stands between kapstone and PostgreSQL, so a test can take the
// database away and bring it back without stopping the shared server:
// down cuts every connection and refuses new ones, as a stopped server
// would; up accepts them again.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.setDown(true)
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close() // refused, as by a stopped server
			continue
		}
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			up.Close()
			continue
		}
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			io.Copy(dst, src)
			dst.Close()
			src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		p.wg.Add(2)
		go pipe(c, up)
		go pipe(up, c)
	}
}

// setDown cuts every connection and refuses new ones (true), or accepts
// them again (false).
func (p *tcpProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
	}
}

// TestDatabaseOutage takes PostgreSQL away under load, through a proxy
// (the tests share one PostgreSQL server, which must not be stopped; for
// kapstone a proxy that cuts every connection and refuses new ones looks
// like a stopped server). While it is away, /readyz answers 503, /healthz
// 200, and every request that needs the database gets a calm 503 page
// (crisis footer, no stack trace or driver text, nothing claimed saved);
// no write is acknowledged. When it is back, service resumes by itself,
// without a restart, within a bounded number of tries; every write
// acknowledged before, between and after the outages is in the database.
func TestDatabaseOutage(t *testing.T) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		// make test runs the suite once per engine; this test belongs to
		// the PostgreSQL pass (SQLite has no server to lose).
		t.Skip("PostgreSQL only: runs when KAPSTONE_TEST_POSTGRES is set (make test's PostgreSQL pass)")
	}
	dsn := storetest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "5")
	u.RawQuery = q.Encode()
	f := newFaultDB(t, u.String(), "")
	in := start(t, nil, append([]string{"serve", "-addr", "127.0.0.1:0"}, f.args...)...)
	w := newFaultWriter(t, f, in.url)
	pc := withToken(in.url, w.patientTk)

	var down atomic.Bool
	var ups atomic.Int64 // how many times the database came back
	counts := map[string]int{}
	var mu sync.Mutex
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ctx.Err() == nil; j++ {
				k := 1 + (i+j)%3
				if j%10 == 0 {
					k = 0
				}
				// Sent while the database was away, and answered before it
				// came back (ups unchanged): it cannot have been saved.
				g := ups.Load()
				wasDown := down.Load()
				got := w.write(t, in.url, k)
				during := wasDown && ups.Load() == g
				if got == acked && during {
					t.Errorf("write %d answered 303 (saved) while the database was unreachable", k)
				}
				mu.Lock()
				counts[fmt.Sprintf("down=%v %d", during, got)]++
				mu.Unlock()
				if got == lost {
					t.Errorf("write %d got no answer (down=%v): the server hung up", k, wasDown)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	const outages = 3
	var resumeTries []int
	for range outages {
		time.Sleep(700 * time.Millisecond)
		proxy.setDown(true)
		down.Store(true) // after the cut: a write that sees it cannot reach the database
		for range 3 {
			if status, body := get(t, noRedirect(), in.url+"/readyz"); status != http.StatusServiceUnavailable {
				t.Errorf("GET /readyz with the database down = %d %q, want 503", status, body)
			}
			if status, _ := get(t, noRedirect(), in.url+"/healthz"); status != http.StatusOK {
				t.Errorf("GET /healthz with the database down = %d, want 200 (the process is alive)", status)
			}
			for _, path := range []string{"/portal/journal", "/account", "/login"} {
				status, body := get(t, pc, in.url+path)
				if path == "/login" && status == http.StatusOK {
					continue // the sign-in form needs no database
				}
				checkErrorPage(t, "GET "+path+" with the database down", status, body)
			}
			// Forms anyone may send: none may say it was sent.
			tok := auth.NewToken()
			for _, path := range []string{"/login", "/inquiry", "/reset/" + tok, "/setup/" + tok, "/invite/" + tok} {
				res, err := noRedirect().PostForm(in.url+path, url.Values{"email": {w.patient.Email}, "password": {w.patient.Password},
					"name": {"Outage Test"}, "message": {"hello"}, "new_password": {"quiet harbor violet stone"}, "confirm_password": {"quiet harbor violet stone"}})
				if err != nil {
					t.Fatalf("POST %s with the database down: %v", path, err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode < 400 {
					t.Errorf("POST %s with the database down = %d, want an error", path, res.StatusCode)
				} else if res.StatusCode >= 500 {
					checkErrorPage(t, "POST "+path+" with the database down", res.StatusCode, string(body))
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		down.Store(false)
		ups.Add(1)
		proxy.setDown(false)
		// Service resumes by itself: ready again, and a write saved, within a bounded number of tries.
		tries := 0
		for ; tries < 100; tries++ {
			status, _ := get(t, noRedirect(), in.url+"/readyz")
			if status == http.StatusOK && w.write(t, in.url, 3) == acked {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if tries == 100 {
			t.Fatalf("kapstone did not resume within 100 tries (10 s) after the database came back")
		}
		resumeTries = append(resumeTries, tries+1)
	}
	time.Sleep(500 * time.Millisecond)
	stop()
	wg.Wait()
	if err := in.stop(t); err != nil {
		t.Fatalf("kapstone stopped with %v after the outages", err)
	}
	if counts["down=true 1"] == 0 {
		t.Errorf("no write was refused during the outages: %v", counts)
	}
	verified := w.verify(t)
	suitelog.Count(t, "database outage: %d outages; writes while up or across a change: %d saved, %d refused; sent and answered while down: %d refused, %d saved (must be 0); resumed after %v tries; %d acknowledged writes, %d verified",
		outages, counts["down=false 0"], counts["down=false 1"], counts["down=true 1"], counts["down=true 0"], resumeTries, w.acked(), verified)
	if verified != w.acked() {
		t.Errorf("verified %d of %d acknowledged writes", verified, w.acked())
	}
}

// TestCheckpointDiskFull: the checkpoint file outside the database lives on
// a disk that fills up while the database (elsewhere) still takes writes.
// A checkpoint that cannot be appended whole leaves the file as it was, not
// a torn line that would make every later `audit verify` fail; once space
// returns, checkpoints are appended again and the log verifies.
func TestCheckpointDiskFull(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	dir := mountTmpfs(t, "1m")
	cfg := &config{DataDir: dir, DB: filepath.Join(t.TempDir(), "kapstone.db")}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := audit.LoadOrCreateKey(cfg.auditKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	st.SetAuditKey(key)
	st.SetKeyring(dataKeys(t, t.TempDir())) // not on the small disk this test fills
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	path := cfg.checkpointPath()
	row := func() {
		if err := st.Audit(ctx, store.System, store.Entry{Action: "test.row", ObjectType: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	// Append checkpoints until the next one no longer fits in the file's
	// last page: on a full disk, its write is then cut short.
	const page = 4096
	for i := 0; ; i++ {
		row()
		if err := checkpoint(ctx, cfg, st); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		last, _ := lastLine(path)
		if room := page - fi.Size()%page; room < int64(len(last)) && room > 1 {
			t.Logf("checkpoint file is %d bytes: %d free in its last page, the next line needs %d", fi.Size(), room, len(last)+1)
			break
		}
		if i > 200 {
			t.Fatal("the checkpoint file never came near a page boundary")
		}
	}
	before, _ := os.ReadFile(path)
	filler := fillDisk(t, dir)
	row()
	if err := checkpoint(ctx, cfg, st); err == nil {
		t.Fatal("checkpoint on a full disk succeeded; the disk was not full")
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("a checkpoint that could not be written changed the file: %d bytes before, %d after, ending %q", len(before), len(after), after[max(0, len(after)-40):])
	}
	if _, err := readCheckpoints(path); err != nil {
		t.Errorf("checkpoint file after a failed append: %v", err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	row()
	if err := checkpoint(ctx, cfg, st); err != nil {
		t.Fatalf("checkpoint after space returned: %v", err)
	}
	st.Close()
	if code, out, errOut := kapstone(t, "audit", "verify", "-data-dir", dir, "-db", cfg.DB); code != 0 {
		t.Errorf("audit verify after the disk was full = exit %d: %s %s", code, out, errOut)
	}
}
