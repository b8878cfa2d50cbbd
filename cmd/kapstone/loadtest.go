package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/measure"
)

// loadtestBaselineEnv, when set to a file of captured answers, makes the
// loadtest command serve them as the bare net/http baseline (a child
// process of the load generator, like the kapstone server it compares with).
const loadtestBaselineEnv = "KAPSTONE_LOADTEST_BASELINE"

// runLoadtest is `kapstone loadtest` (make bench): it starts real kapstone
// demo servers on loopback as child processes, seeded with demo -scale,
// signs in real users (staff with their TOTP codes) and drives each
// scenario with concurrent clients for a while, beside a bare net/http
// server (also a child process) sending the same bytes with the same
// headers. It prints per scenario requests per second, p50/p95/p99, errors
// and the server's peak RSS, and each target of issue 18 with MET or
// MISSED. It fails when any answer is an error (a 4xx or 5xx, or none),
// not when a target is missed.
func runLoadtest(ctx context.Context, args []string, env *runEnv) error {
	if f := env.getenv(loadtestBaselineEnv); f != "" {
		return serveBaseline(ctx, f, env.stdout)
	}
	fs := flag.NewFlagSet("kapstone loadtest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sizes := fs.String("patients", "1000,10000", "comma-separated practice sizes (demo -scale) to measure")
	dur := fs.Duration("duration", 5*time.Second, "how long each scenario runs")
	clients := fs.Int("clients", 8, "concurrent clients of each scenario")
	rssClients := fs.Int("rss-clients", 64, "concurrent clients of the caseload's memory run at the largest size (0: none)")
	pg := fs.String("postgres", env.getenv("KAPSTONE_TEST_POSTGRES"), "a PostgreSQL URL: measure on it too, each run in a new schema (default $KAPSTONE_TEST_POSTGRES)")
	keep := fs.Bool("keep", false, "keep the data directories")
	only := fs.String("only", "", "measure only these scenarios, by letter (e.g. b,c; default: all)")
	cpuprofile := fs.String("cpuprofile", "", "write each measured server's CPU profile (go tool pprof) into this directory, one file per engine and size")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(env.stdout, "Usage: kapstone loadtest [flags]\n\nDrive real kapstone demo servers on loopback with concurrent clients and print\nper scenario req/s, latency percentiles, errors and server peak RSS beside a\nbare net/http server sending the same bytes (make bench).\n\nFlags:")
			fs.SetOutput(env.stdout)
			fs.PrintDefaults()
			return nil
		}
		return &usageError{fmt.Sprintf("kapstone loadtest: %v; run 'kapstone loadtest -h'", err)}
	}
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return &usageError{fmt.Sprintf("kapstone loadtest: -patients %q: give sizes like 1000,10000", *sizes)}
		}
		ns = append(ns, n)
	}
	slices.Sort(ns)
	if *clients < 1 || *dur <= 0 {
		return &usageError{"kapstone loadtest: -clients and -duration must be above zero"}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	engines := []string{"sqlite"}
	if *pg != "" {
		engines = append(engines, "postgres")
	}
	lt := &loadtest{exe: exe, dur: *dur, clients: *clients, out: env.stdout, keep: *keep, profiles: *cpuprofile}
	if *only != "" {
		lt.only = map[string]bool{}
		for _, l := range strings.Split(*only, ",") {
			l = strings.TrimSpace(l)
			if len(l) != 1 || l[0] < 'a' || l[0] > 'g' {
				return &usageError{fmt.Sprintf("kapstone loadtest: -only %q: give scenario letters from a to g, like b,c", *only)}
			}
			lt.only["("+l+")"] = true
		}
	}
	if lt.profiles != "" {
		if lt.profiles, err = filepath.Abs(lt.profiles); err == nil {
			err = os.MkdirAll(lt.profiles, 0o755)
		}
		if err != nil {
			return err
		}
	}
	for _, engine := range engines {
		for i, n := range ns {
			rss := 0
			if i == len(ns)-1 {
				rss = *rssClients
			}
			dsn := ""
			if engine == "postgres" {
				var drop func()
				if dsn, drop, err = newSchema(ctx, *pg); err != nil {
					return err
				}
				defer drop()
			}
			if err := lt.run(ctx, engine, dsn, n, rss); err != nil {
				return err
			}
		}
	}
	lt.report()
	if lt.errors > 0 {
		return fmt.Errorf("kapstone loadtest: %d requests failed (see the errors column)", lt.errors)
	}
	return nil
}

// newSchema makes a new, empty schema on the PostgreSQL at base and returns
// a URL whose search_path is it, and a function that drops it.
func newSchema(ctx context.Context, base string) (string, func(), error) {
	b := make([]byte, 6)
	rand.Read(b)
	schema := "loadtest_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("loadtest: create schema: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		db.Close()
	}, nil
}

// loadtest is one run of the load generator and its results.
type loadtest struct {
	exe     string
	dur     time.Duration
	clients int
	out     io.Writer
	keep    bool
	// only, when not nil, holds the scenarios to measure by their "(x)"
	// letter; profiles, when not empty, is where measured servers write
	// their CPU profiles.
	only     map[string]bool
	profiles string
	results  []ltResult
	errors   int
}

// ltResult is one scenario measured on one server (or its baseline).
type ltResult struct {
	engine, scenario string
	patients         int
	clients          int
	stats            ltStats
	base             *ltStats
	rssMB            float64
}

// ltStats are the measurements of one scenario run: n, rps and the
// latencies count only the requests answered as the scenario wants
// (ltScenario.check); errs counts the others apart.
type ltStats struct {
	n, errs       int
	firstErr      string
	rps           float64
	p50, p95, p99 time.Duration
	bytes         int64
}

// ltScenario is one kind of request a client repeats.
type ltScenario struct {
	name   string
	method string
	path   string
	form   func(client int) url.Values
	// cookies are the signed-in users the clients act as, "" for none:
	// client i's k-th request is made as cookies[(i+k*clients) % len].
	cookies []string
	// bearer, when set, is a personal API token sent as
	// "Authorization: Bearer" (the FHIR API).
	bearer  string
	clients int
	// check, when set, says what is wrong with an answer below 400 that
	// is not the one the scenario asks for ("" when it is): such an
	// answer is an error, not a success.
	check func(*http.Response) string
}

// ltRedirectTo is a check: the answer is a 303 to location.
func ltRedirectTo(location string) func(*http.Response) string {
	return func(resp *http.Response) string {
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != location {
			return fmt.Sprintf("%d to %q, want 303 to %q", resp.StatusCode, resp.Header.Get("Location"), location)
		}
		return ""
	}
}

// ltOffers reports whether the portal's check-ins page (its HTML) offers
// the patient the questionnaire instrument: a link to its form, listed as
// due or as also asked. The portal lets a patient answer only what it
// offers them (an active assignment, due or not).
func ltOffers(page, instrument string) bool {
	return strings.Contains(page, `href="/portal/checkins/`+instrument+`"`)
}

// ltChild is a process the load generator started.
type ltChild struct {
	cmd  *exec.Cmd
	addr string
}

// ltStart starts the kapstone binary with args and extra environment,
// waits for its "listening on" line and returns its address. Its other
// output goes to out.
func ltStart(ctx context.Context, exe string, args, extraEnv []string, out io.Writer, wait time.Duration) (*ltChild, error) {
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.Stderr = io.Discard
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if a, ok := strings.CutPrefix(line, "kapstone: listening on http://"); ok && !sent {
				addrc <- a
				sent = true
				continue
			}
			if !sent && out != nil && !strings.HasPrefix(line, "  ") {
				fmt.Fprintln(out, "  | "+line)
			}
		}
		if !sent {
			close(addrc)
		}
	}()
	select {
	case a, ok := <-addrc:
		if !ok {
			cmd.Wait()
			return nil, fmt.Errorf("loadtest: %s %s stopped before it listened", filepath.Base(exe), strings.Join(args, " "))
		}
		return &ltChild{cmd: cmd, addr: a}, nil
	case <-time.After(wait):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("loadtest: %s %s did not listen within %v", filepath.Base(exe), strings.Join(args, " "), wait)
	}
}

// stop ends the child with SIGINT (a clean shutdown), then waits.
func (c *ltChild) stop() {
	c.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// resetPeak resets the child's peak RSS (Linux: /proc/PID/clear_refs).
func (c *ltChild) resetPeak() {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", c.cmd.Process.Pid), []byte("5"), 0)
}

// peakMB is the child's peak resident set size in MB (VmHWM), 0 if unknown.
func (c *ltChild) peakMB() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(kb) / 1024
		}
	}
	return 0
}

// run measures every scenario on a demo practice of n scaled patients.
func (lt *loadtest) run(ctx context.Context, engine, dsn string, n, rssClients int) error {
	dir, err := os.MkdirTemp("", "kapstone-loadtest-")
	if err != nil {
		return err
	}
	if !lt.keep {
		defer os.RemoveAll(dir)
	}
	fmt.Fprintf(lt.out, "== %s, %d scaled patients: seeding (demo -scale %d)\n", engine, n, n)
	args := []string{"demo", "-addr", "127.0.0.1:0", "-data-dir", dir, "-scale", strconv.Itoa(n), "-log-level", "error"}
	if dsn != "" {
		args = append(args, "-db", dsn)
	}
	seedStart := time.Now()
	seeder, err := ltStart(ctx, lt.exe, args, nil, lt.out, 30*time.Minute)
	if err != nil {
		return err
	}
	seeder.stop()
	fmt.Fprintf(lt.out, "   seeded in %.1fs\n", time.Since(seedStart).Seconds())
	// The server measured is a new process on the seeded data directory
	// (demo finds its logins and scaled patients there and adds nothing),
	// so its peak RSS is its own and not the seeding's.
	var profEnv []string
	if lt.profiles != "" {
		profEnv = []string{"KAPSTONE_CPUPROFILE=" + filepath.Join(lt.profiles, fmt.Sprintf("%s-%d.pprof", engine, n))}
	}
	srv, err := ltStart(ctx, lt.exe, args, profEnv, nil, 5*time.Minute)
	if err != nil {
		return err
	}
	defer srv.stop()
	logins, err := readDemoLogins(dir)
	if err != nil {
		return err
	}
	info, ok, err := demo.ReadScaleInfo(dir)
	if err != nil || !ok {
		return fmt.Errorf("loadtest: no %s in %s: %v", demo.ScaleFile, dir, err)
	}
	base := "http://" + srv.addr
	var therapist demo.Login
	for _, l := range logins {
		if l.Role == "therapist" {
			therapist = l
			break
		}
	}
	staff, err := ltSignIn(base, therapist.Email, therapist.Password, therapist.TOTPSecret)
	if err != nil {
		return err
	}
	// Scaled patients whose portal offers them the weekly PHQ-9 (not those
	// found not eligible, who were never asked for one), ltPatientsPerClient
	// per client, each on their own record: a completion of an offered
	// questionnaire is what the portal accepts, due or not.
	var patients []string
	for i := 0; len(patients) < ltPatientsPerClient*lt.clients && i < min(info.Patients, 10*ltPatientsPerClient*lt.clients); i++ {
		ck, err := ltSignIn(base, demo.ScaleEmail(i), info.Password, "")
		if err != nil {
			return err
		}
		page, err := ltFetch(base+"/portal/checkins", ck)
		if err != nil {
			return err
		}
		if ltOffers(page, "phq9") {
			patients = append(patients, ck)
		}
	}
	if len(patients) == 0 {
		return errors.New("loadtest: no scaled patient is asked for a PHQ-9")
	}
	// The chart of a scaled patient on the therapist's caseload, and a blog post.
	caseload, err := ltFetch(base+"/patients", staff)
	if err != nil {
		return err
	}
	var chart, chartID string
	for _, m := range regexp.MustCompile(`href="/patients/([0-9a-z]{26})"`).FindAllStringSubmatch(caseload, -1) {
		chart, chartID = "/patients/"+m[1], m[1]
	}
	if chart == "" {
		return errors.New("loadtest: the therapist's caseload links to no chart")
	}
	// A personal API token of the therapist's for the FHIR scenario, made
	// as an administrator would for a script (kapstone token create).
	tokenArgs := []string{"token", "create", "-email", therapist.Email, "-scope", "read", "-ttl", "24h", "-label", "loadtest", "-data-dir", dir}
	if dsn != "" {
		tokenArgs = append(tokenArgs, "-db", dsn)
	}
	tokenOut, err := exec.CommandContext(ctx, lt.exe, tokenArgs...).Output()
	if err != nil {
		return fmt.Errorf("loadtest: kapstone token create: %w", err)
	}
	token := strings.TrimSpace(string(tokenOut))
	blog, err := ltFetch(base+"/blog", "")
	if err != nil {
		return err
	}
	post := regexp.MustCompile(`href="(/blog/[a-z0-9-]+)"`).FindStringSubmatch(blog)
	if post == nil {
		return errors.New("loadtest: the blog lists no post")
	}
	phq9, _ := measure.Get("phq9")
	phqForm := func(client int) url.Values {
		f := url.Values{"action": {"complete"}}
		for i, it := range phq9.Items {
			v := (client + i) % 3
			if it.Risk {
				v = 0
			}
			f.Set(it.ID, strconv.Itoa(v))
		}
		return f
	}
	scenarios := []ltScenario{
		{name: "(a) blog post", method: "GET", path: post[1], cookies: []string{""}},
		{name: "(b) caseload", method: "GET", path: "/patients", cookies: []string{staff}},
		{name: "(c) chart", method: "GET", path: chart, cookies: []string{staff}},
		{name: "(d) portal home", method: "GET", path: "/portal", cookies: patients},
		// Each success is a completion stored, scored and audited: the
		// portal's 303 to the thank-you notice, answered after the commit.
		{name: "(e) PHQ-9 submission", method: "POST", path: "/portal/checkins/phq9", form: phqForm, cookies: patients, check: ltRedirectTo("/portal/checkins?done=phq9")},
		{name: "(f) outcomes", method: "GET", path: "/outcomes", cookies: []string{staff}},
		// The newest 50 PHQ-9 totals of the chart's patient, as an app asks
		// for them: LOINC code, newest first, one page.
		{name: "(g) FHIR Observation search", method: "GET", path: "/fhir/Observation?patient=" + chartID + "&code=" + url.QueryEscape("http://loinc.org|44261-6") + "&_sort=-date&_count=50", cookies: []string{""}, bearer: token},
	}
	if rssClients > 0 {
		scenarios = append(scenarios, ltScenario{name: "(b) caseload", method: "GET", path: "/patients", cookies: []string{staff}, clients: rssClients})
	}
	for _, sc := range scenarios {
		if lt.only != nil && !lt.only[sc.name[:3]] {
			continue
		}
		if sc.clients == 0 {
			sc.clients = lt.clients
		}
		// One answer captured for the baseline to send back, byte for byte.
		captured, err := ltCapture(base, sc)
		if err != nil {
			return err
		}
		srv.resetPeak()
		st := ltDrive(ctx, base, sc, lt.dur)
		r := ltResult{engine: engine, scenario: sc.name, patients: n, clients: sc.clients, stats: st, rssMB: srv.peakMB()}
		bs, err := lt.baseline(ctx, captured, sc)
		if err != nil {
			return err
		}
		r.base = &bs
		lt.errors += st.errs
		lt.results = append(lt.results, r)
		fmt.Fprintf(lt.out, "   %-22s %3d clients: %8.0f req/s  p99 %-9v errors %d%s   (baseline %8.0f req/s)\n", sc.name, sc.clients, st.rps, st.p99.Round(10*time.Microsecond), st.errs, errNote(st), bs.rps)
	}
	return nil
}

func errNote(s ltStats) string {
	if s.firstErr == "" {
		return ""
	}
	return " (first: " + s.firstErr + ")"
}

// ltAnswer is one answer of the server, for the baseline to repeat.
type ltAnswer struct {
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// capture makes one request of sc (as its first client) and returns the answer.
func ltCapture(base string, sc ltScenario) (ltAnswer, error) {
	resp, err := ltDo(ltClient, base, sc, 0, 0)
	if err != nil {
		return ltAnswer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return ltAnswer{}, err
	}
	if msg := ltFailure(sc, resp); msg != "" {
		return ltAnswer{}, errors.New("loadtest: " + msg)
	}
	h := resp.Header.Clone()
	h.Del("Date")
	h.Del("Content-Length")
	return ltAnswer{Status: resp.StatusCode, Header: h, Body: b}, nil
}

// baseline serves captured from a bare net/http child process and drives
// it like sc.
func (lt *loadtest) baseline(ctx context.Context, captured ltAnswer, sc ltScenario) (ltStats, error) {
	f, err := os.CreateTemp("", "kapstone-baseline-*.json")
	if err != nil {
		return ltStats{}, err
	}
	defer os.Remove(f.Name())
	if err := json.NewEncoder(f).Encode(captured); err != nil {
		f.Close()
		return ltStats{}, err
	}
	f.Close()
	c, err := ltStart(ctx, lt.exe, []string{"loadtest"}, []string{loadtestBaselineEnv + "=" + f.Name()}, nil, 30*time.Second)
	if err != nil {
		return ltStats{}, err
	}
	defer c.stop()
	st := ltDrive(ctx, "http://"+c.addr, sc, lt.dur)
	return st, nil
}

// serveBaseline answers every request with the captured answer in file,
// the same status, headers and bytes, from a bare net/http server.
func serveBaseline(ctx context.Context, file string, stdout io.Writer) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var a ltAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		for k, v := range a.Header {
			h[k] = v
		}
		w.WriteHeader(a.Status)
		w.Write(a.Body)
	})}
	fmt.Fprintf(stdout, "kapstone: listening on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ltTransport is shared by every client of a run: keep-alive connections to loopback.
var ltTransport = &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0, DisableCompression: true}

// ltClient is the clients' HTTP client: a 303 after a form is an answer.
var ltClient = &http.Client{Transport: ltTransport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 5 * time.Minute}

// ltFailure says what is wrong with resp as an answer to sc ("" when
// nothing is): a 4xx or 5xx, or an answer sc.check refuses.
func ltFailure(sc ltScenario, resp *http.Response) string {
	if resp.StatusCode >= 400 {
		return fmt.Sprintf("%s %s = %d", sc.method, sc.path, resp.StatusCode)
	}
	if sc.check != nil {
		if msg := sc.check(resp); msg != "" {
			return fmt.Sprintf("%s %s = %s", sc.method, sc.path, msg)
		}
	}
	return ""
}

// ltPatientsPerClient is how many signed-in patients each client of a
// portal scenario takes turns acting as.
const ltPatientsPerClient = 4

// do sends sc's request as client i, its k-th.
func ltDo(c *http.Client, base string, sc ltScenario, i, k int) (*http.Response, error) {
	var body io.Reader
	if sc.form != nil {
		body = strings.NewReader(sc.form(i).Encode())
	}
	req, err := http.NewRequest(sc.method, base+sc.path, body)
	if err != nil {
		return nil, err
	}
	if sc.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
	}
	if ck := sc.cookies[(i+k*max(1, sc.clients))%len(sc.cookies)]; ck != "" {
		req.Header.Set("Cookie", ck)
	}
	if sc.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+sc.bearer)
	}
	return c.Do(req)
}

// drive runs sc's clients against base for d and measures them: the
// requests per second and latencies of those answered as sc wants, and
// the others as errors.
func ltDrive(ctx context.Context, base string, sc ltScenario, d time.Duration) ltStats {
	var mu sync.Mutex
	var lat []time.Duration
	var errs int
	var firstErr string
	var bytes atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range sc.clients {
		wg.Go(func() {
			var mine []time.Duration
			for k := 0; time.Now().Before(deadline) && ctx.Err() == nil; k++ {
				t0 := time.Now()
				resp, err := ltDo(ltClient, base, sc, i, k)
				msg := ""
				if err == nil {
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					bytes.Add(n)
					msg = ltFailure(sc, resp)
				} else {
					msg = err.Error()
				}
				if msg == "" {
					mine = append(mine, time.Since(t0))
				} else {
					mu.Lock()
					errs++
					if firstErr == "" {
						firstErr = msg
					}
					mu.Unlock()
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	return ltStats{n: len(lat), errs: errs, firstErr: firstErr, rps: float64(len(lat)) / elapsed.Seconds(), p50: pct(0.50), p95: pct(0.95), p99: pct(0.99), bytes: bytes.Load()}
}

// fetch GETs url with cookie and returns the body; an error unless 200.
func ltFetch(u, cookie string) (string, error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return "", err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := ltClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("loadtest: GET %s = %d", u, resp.StatusCode)
	}
	return string(b), err
}

// ltSignIn signs email in through the real forms (password, then the TOTP
// code of secret for staff) and returns the Cookie header of the session.
// A staff sign-in waits for a code not used yet when it must.
func ltSignIn(base, email, password, secret string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: ltTransport, Jar: jar, CheckRedirect: ltClient.CheckRedirect, Timeout: 60 * time.Second}
	post := func(path string, f url.Values) (*http.Response, error) {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	resp, err := post("/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("loadtest: sign-in of %s = %d", email, resp.StatusCode)
	}
	if resp.Header.Get("Location") == "/login/mfa" {
		code, err := auth.TOTPCode(secret, time.Now())
		if err != nil {
			return "", err
		}
		if resp, err = post("/login/mfa", url.Values{"code": {code}}); err != nil {
			return "", err
		}
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") == "/login/mfa" {
			return "", fmt.Errorf("loadtest: second factor of %s = %d", email, resp.StatusCode)
		}
	}
	u, _ := url.Parse(base)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; "), nil
}

// report prints every result with its baseline, then each target of
// issue 18 with MET or MISSED.
func (lt *loadtest) report() {
	w := lt.out
	fmt.Fprintln(w, "\nResults (each beside a bare net/http server sending the same bytes and headers, measured in the same run):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "engine\tpatients\tscenario\tclients\treq/s\tp50\tp95\tp99\terrors\tpeak RSS MB\tbaseline req/s\tbaseline p99\tof baseline\t")
	for _, r := range lt.results {
		ratio := 0.0
		if r.base != nil && r.base.rps > 0 {
			ratio = r.stats.rps / r.base.rps
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%.0f\t%v\t%v\t%v\t%d\t%.0f\t%.0f\t%v\t%.1f%%\t\n", r.engine, r.patients, r.scenario, r.clients, r.stats.rps,
			ltMS(r.stats.p50), ltMS(r.stats.p95), ltMS(r.stats.p99), r.stats.errs, r.rssMB, r.base.rps, ltMS(r.base.p99), 100*ratio)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nTargets (issue 18; ratios from this run):")
	for _, t := range lt.targets() {
		verdict := "MET"
		if !t.met {
			verdict = "MISSED"
		}
		fmt.Fprintf(w, "  %-6s %-60s %s\n", verdict, t.what, t.got)
	}
}

func ltMS(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

type ltTarget struct {
	what, got string
	met       bool
}

// targets checks the results against issue 18's targets, per engine.
func (lt *loadtest) targets() []ltTarget {
	var out []ltTarget
	find := func(engine, name string, patients, clients int) *ltResult {
		for i := range lt.results {
			r := &lt.results[i]
			if r.engine == engine && r.scenario == name && (patients == 0 || r.patients == patients) && (clients == 0 || r.clients == clients) {
				return r
			}
		}
		return nil
	}
	engines := map[string][]int{}
	var order []string
	for _, r := range lt.results {
		if _, ok := engines[r.engine]; !ok {
			order = append(order, r.engine)
		}
		if !slices.Contains(engines[r.engine], r.patients) {
			engines[r.engine] = append(engines[r.engine], r.patients)
		}
	}
	for _, e := range order {
		sizes := engines[e]
		slices.Sort(sizes)
		small, large := sizes[0], sizes[len(sizes)-1]
		if r := find(e, "(a) blog post", large, lt.clients); r != nil && r.base != nil {
			ratio := r.stats.rps / r.base.rps
			out = append(out, ltTarget{fmt.Sprintf("[%s] (a) blog post >= 50%% of the bare server", e), fmt.Sprintf("%.0f%%", 100*ratio), ratio >= 0.5})
		}
		if r := find(e, "(b) caseload", large, lt.clients); r != nil {
			out = append(out, ltTarget{fmt.Sprintf("[%s] (b) caseload at %d patients: p99 <= 50 ms at %d clients", e, large, lt.clients), ltMS(r.stats.p99), r.stats.p99 <= 50*time.Millisecond})
			if s := find(e, "(b) caseload", small, lt.clients); s != nil && small != large {
				ratio := float64(r.stats.p50) / float64(max(1, s.stats.p50))
				out = append(out, ltTarget{fmt.Sprintf("[%s] (b) caseload p50 at %d <= 1.5x at %d patients", e, large, small), fmt.Sprintf("%.2fx", ratio), ratio <= 1.5})
			}
		}
		for _, r := range lt.results {
			if r.engine == e && r.scenario == "(b) caseload" && r.patients == large && r.clients > lt.clients {
				out = append(out, ltTarget{fmt.Sprintf("[%s] (b) caseload server peak RSS <= 256 MB at %d clients", e, r.clients), fmt.Sprintf("%.0f MB", r.rssMB), r.rssMB > 0 && r.rssMB <= 256})
			}
		}
		if r := find(e, "(c) chart", large, lt.clients); r != nil {
			out = append(out, ltTarget{fmt.Sprintf("[%s] (c) chart: p99 <= 50 ms at %d clients", e, lt.clients), ltMS(r.stats.p99), r.stats.p99 <= 50*time.Millisecond})
			out = append(out, ltTarget{fmt.Sprintf("[%s] (c) chart: >= 465 req/s (3x the 155 measured before)", e), fmt.Sprintf("%.0f req/s", r.stats.rps), r.stats.rps >= 465})
		}
		if r := find(e, "(e) PHQ-9 submission", large, lt.clients); r != nil && e == "sqlite" {
			out = append(out, ltTarget{fmt.Sprintf("[%s] (e) >= 1,500 durable PHQ-9 completions/s (successes only)", e), fmt.Sprintf("%.0f/s", r.stats.rps), r.stats.rps >= 1500})
		}
	}
	return out
}
