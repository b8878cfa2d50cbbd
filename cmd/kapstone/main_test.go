package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestMain lets the crash test run this test binary as the real program:
// with KAPSTONE_TEST_MAIN=1 it is kapstone itself.
// After the tests it fails the run if one of them left a kapstone-data
// directory here: a test that gives no data directory writes a database and
// an audit key into the source tree (one such key was committed once).
func TestMain(m *testing.M) {
	if os.Getenv("KAPSTONE_TEST_MAIN") == "1" {
		main()
		return
	}
	_, err := os.Stat("kapstone-data")
	existed := err == nil
	code := m.Run()
	if _, err := os.Stat("kapstone-data"); err == nil && !existed {
		fmt.Fprintln(os.Stderr, "FAIL: a test ran kapstone without a data directory and left cmd/kapstone/kapstone-data behind; give it -data-dir t.TempDir()")
		code = 1
	}
	os.Exit(code)
}

const usCrisis = "If you are in crisis, call or text 988, chat at 988lifeline.org, or call 911 / go to the nearest emergency room"

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	listeningRE = regexp.MustCompile(`listening on (https?://[^\s]+)`)
	setupRE     = regexp.MustCompile(`(https?://\S+/setup/[A-Za-z0-9_-]+)`)
)

// instance is kapstone started in-process through run().
type instance struct {
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// start runs kapstone with args (after the program name) and env, and waits
// until it answers /healthz.
func start(t *testing.T, env map[string]string, args ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{stdout: new(syncBuffer), stderr: new(syncBuffer), cancel: cancel, done: make(chan error, 1)}
	go func() {
		in.done <- run(ctx, append([]string{"kapstone"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), in.stdout, in.stderr)
	}()
	t.Cleanup(func() { in.stop(t) })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-in.done:
			in.done <- err
			t.Fatalf("kapstone %v exited early: %v\nstderr: %s", args, err, in.stderr.String())
		default:
		}
		if m := listeningRE.FindStringSubmatch(in.stdout.String()); m != nil {
			in.url = m[1]
			if res, err := http.Get(in.url + "/healthz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return in
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("kapstone %v did not answer /healthz\nstdout: %s\nstderr: %s", args, in.stdout.String(), in.stderr.String())
	return nil
}

// stop cancels the instance (as SIGTERM would) and returns run's result.
func (in *instance) stop(t *testing.T) error {
	in.cancel()
	select {
	case err := <-in.done:
		in.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Error("kapstone did not stop within 30 s of its context ending")
		return nil
	}
}

// dbArgs returns the flags for a fresh database: SQLite in a temporary data
// directory, or the test PostgreSQL schema when KAPSTONE_TEST_POSTGRES is set.
func dbArgs(t *testing.T) []string {
	dsn := storetest.DSN(t)
	if store.IsPostgresDSN(dsn) {
		return []string{"-db", dsn, "-data-dir", t.TempDir()}
	}
	return []string{"-data-dir", filepath.Dir(dsn)}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func noRedirect() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
}

func TestServeEndToEnd(t *testing.T) {
	in := start(t, nil, append([]string{"serve", "-addr", "127.0.0.1:0"}, dbArgs(t)...)...)
	c := noRedirect()
	for _, path := range []string{"/", "/login", "/nope"} {
		status, body := get(t, c, in.url+path)
		want := http.StatusOK
		if path == "/nope" {
			want = http.StatusNotFound
		}
		if status != want || !strings.Contains(body, usCrisis) {
			t.Errorf("GET %s = %d (crisis footer: %v), want %d with it", path, status, strings.Contains(body, usCrisis), want)
		}
	}
	if status, body := get(t, c, in.url+"/readyz"); status != http.StatusOK || !strings.Contains(body, "ready") {
		t.Errorf("GET /readyz = %d %q, want 200 ready", status, body)
	}
	if !strings.Contains(in.stdout.String(), "no accounts yet") {
		t.Errorf("serve on an empty database does not say there are no accounts; stdout: %s", in.stdout.String())
	}
	if err := in.stop(t); err != nil {
		t.Fatalf("run after SIGTERM-equivalent = %v, want nil", err)
	}
	// Logs are JSON lines.
	for _, line := range strings.Split(strings.TrimSpace(in.stderr.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
}

func readLogins(t *testing.T, dir string) []demo.Login {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, demo.LoginsFile))
	if err != nil {
		t.Fatal(err)
	}
	var logins []demo.Login
	if err := json.Unmarshal(b, &logins); err != nil {
		t.Fatalf("%s is not a JSON array of logins: %v", demo.LoginsFile, err)
	}
	return logins
}

func login(t *testing.T, c *http.Client, base, email, password string) *http.Response {
	t.Helper()
	res, err := c.PostForm(base+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatalf("POST /login: %v", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	logins := readLogins(t, dir)
	roles := map[string]int{}
	for _, l := range logins {
		roles[string(l.Role)]++
		if l.Email == "" || auth.CheckPasswordPolicy(l.Password, l.Email) != "" {
			t.Errorf("demo login %+v has no email or a password kapstone would refuse", l)
		}
		if (l.Role != "patient") != (l.TOTPSecret != "") {
			t.Errorf("demo login %s (%s): TOTP secret present = %v, want staff only", l.Email, l.Role, l.TOTPSecret != "")
		}
		if !strings.Contains(in.stdout.String(), l.Email) || !strings.Contains(in.stdout.String(), l.Password) {
			t.Errorf("demo did not print the login of %s", l.Email)
		}
	}
	if want := "Codes: go run ./cmd/kapstone code -data-dir " + dir + " EMAIL"; !strings.Contains(in.stdout.String(), want) {
		t.Errorf("demo output does not say how to get a sign-in code (%q):\n%s", want, in.stdout.String())
	}
	for _, role := range []string{"admin", "therapist", "prescriber", "patient"} {
		if roles[role] == 0 {
			t.Errorf("demo has no %s login", role)
		}
	}
	for _, l := range logins {
		c := noRedirect()
		res := login(t, c, in.url, l.Email, l.Password)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("demo login %s = %d, want 303", l.Email, res.StatusCode)
		}
		if l.TOTPSecret != "" {
			// The code comes from 'kapstone code', as the demo tells people.
			var out bytes.Buffer
			if err := run(context.Background(), []string{"kapstone", "code", "-data-dir", dir, l.Email}, func(string) string { return "" }, strings.NewReader(""), &out, io.Discard); err != nil {
				t.Fatalf("kapstone code %s: %v", l.Email, err)
			}
			code := strings.SplitN(out.String(), "\n", 2)[0]
			res, err := c.PostForm(in.url+"/login/mfa", url.Values{"code": {code}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			want := map[string]string{"admin": "/admin/users", "therapist": "/patients", "prescriber": "/patients"}[string(l.Role)]
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
				t.Fatalf("demo MFA for %s = %d to %q, want 303 to %s", l.Email, res.StatusCode, res.Header.Get("Location"), want)
			}
		}
		if status, body := get(t, c, in.url+"/account"); status != http.StatusOK || !strings.Contains(body, l.Name) {
			t.Errorf("GET /account as %s = %d, want 200 with the name", l.Email, status)
		}
	}
	in.stop(t)

	// Started again on the same directory, the demo keeps its practice and prints the same logins.
	again := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	if !strings.Contains(again.stdout.String(), logins[0].Password) {
		t.Errorf("restarted demo did not print the existing logins")
	}
	if res := login(t, noRedirect(), again.url, logins[len(logins)-1].Email, logins[len(logins)-1].Password); res.StatusCode != http.StatusSeeOther {
		t.Errorf("login on the restarted demo = %d, want 303", res.StatusCode)
	}
}

func TestBadInput(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, []byte("x"), 0o600)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	newer := t.TempDir()
	{
		st, err := store.Open(context.Background(), filepath.Join(newer, "kapstone.db"))
		if err != nil {
			t.Fatal(err)
		}
		key, err := audit.LoadOrCreateKey(filepath.Join(newer, "audit-key.pem"))
		if err != nil {
			t.Fatal(err)
		}
		st.SetAuditKey(key)
		st.SetKeyring(dataKeys(t, newer))
		if _, err := st.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSetting(context.Background(), store.System, "x", "y"); err != nil {
			t.Fatal(err)
		}
		st.Close()
		// A later kapstone recorded a migration this one does not know.
		db, err := sql.Open("sqlite3", filepath.Join(newer, "kapstone.db"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES ('9999_future.sql', '2030-01-01T00:00:00.000000Z')`); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}

	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"no command", nil, nil, 2, "name a command"},
		{"unknown command", []string{"frobnicate"}, nil, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"serve", "-frob"}, nil, 2, "flag provided but not defined: -frob"},
		{"stray argument", []string{"serve", "extra"}, nil, 2, `unexpected argument "extra"`},
		{"bad address", []string{"serve", "-addr", "localhost"}, nil, 2, "-addr \"localhost\" is not host:port"},
		{"bad address env", []string{"serve"}, map[string]string{"KAPSTONE_ADDR": "nonsense"}, 2, "KAPSTONE_ADDR"},
		{"bad duration env", []string{"serve"}, map[string]string{"KAPSTONE_IDLE_STAFF": "soon"}, 2, `KAPSTONE_IDLE_STAFF="soon" is not a duration`},
		{"negative duration flag", []string{"serve", "-idle-staff", "-5m"}, nil, 2, "-idle-staff -5m0s must be longer than zero"},
		{"port out of range", []string{"serve", "-addr", "127.0.0.1:99999"}, nil, 2, "port from 0 to 65535"},
		{"bad SMTP URL", []string{"serve", "-smtp-url", "mail.example.org"}, nil, 2, "KAPSTONE_SMTP_URL / -smtp-url"},
		{"bad trusted proxy", []string{"serve", "-trusted-proxies", "10.0.0.0/8, proxy.local"}, nil, 2, `"proxy.local" is not an address or a CIDR range`},
		{"unknown database scheme", []string{"serve", "-db", "mysql://root@localhost/x"}, nil, 2, `"mysql://" is not a database kapstone knows`},
		{"password in query", []string{"serve", "-addr", "127.0.0.1:0", "-data-dir", t.TempDir(), "-db", "postgres://u@127.0.0.1:1/x?password=secretpw&sslmode=disable&connect_timeout=5"}, nil, 1, "password=***"},
		{"bad country", []string{"serve", "-country", "ZZ"}, nil, 2, `"ZZ" has no crisis resources`},
		{"bad public url", []string{"serve", "-public-url", "care.example.org"}, nil, 2, "is not an http(s) URL"},
		{"cert without key", []string{"serve", "-tls-cert", "x.pem"}, nil, 2, "must be given together"},
		{"data dir is a file", []string{"serve", "-addr", "127.0.0.1:0", "-data-dir", filepath.Join(file, "sub")}, nil, 1, "cannot be created (not a directory)"},
		{"database cannot connect", []string{"serve", "-addr", "127.0.0.1:0", "-data-dir", t.TempDir(), "-db", "postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=5"}, nil, 1, "cannot connect to PostgreSQL at postgres://nobody:***@127.0.0.1:1"},
		{"port in use", []string{"serve", "-addr", busy.Addr().String(), "-data-dir", t.TempDir()}, nil, 1, "already in use"},
		{"newer schema", []string{"serve", "-addr", "127.0.0.1:0", "-data-dir", newer}, nil, 1, "database schema is newer than this kapstone"},
		{"migrate newer schema", []string{"migrate", "-data-dir", newer}, nil, 1, "database schema is newer than this kapstone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			err := run(ctx, append([]string{"kapstone"}, tt.args...), func(k string) string { return tt.env[k] }, strings.NewReader(""), &stdout, &stderr)
			code := exitCode(err, &stderr)
			if code != tt.code {
				t.Fatalf("exit code = %d, want %d (err %v)", code, tt.code, err)
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr = %q, want exactly one line", msg)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "secret") {
				t.Errorf("stderr shows a password: %q", msg)
			}
		})
	}
	// The refused newer database is untouched.
	st, err := store.Open(context.Background(), filepath.Join(newer, "kapstone.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, _ := st.Setting(context.Background(), "x", ""); v != "y" {
		t.Errorf("newer database lost its data: setting x = %q, want y", v)
	}
}

// TestFailedDatabaseLeavesNoKey: kapstone opens the database before it
// makes an audit key, so a start that cannot reach the database leaves the
// data directory as it found it (no key file, no temporary key file).
func TestFailedDatabaseLeavesNoKey(t *testing.T) {
	for _, db := range []string{
		"postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=5",
		filepath.Join(t.TempDir(), "missing", "kapstone.db"),
	} {
		for _, cmd := range []string{"serve", "migrate", "user list"} {
			dir := t.TempDir()
			args := append(strings.Fields(cmd), "-data-dir", dir, "-db", db)
			if cmd == "serve" {
				args = append(args, "-addr", "127.0.0.1:0")
			}
			code, _, errOut := kapstone(t, args...)
			if code != 1 || !strings.Contains(errOut, "database") {
				t.Errorf("kapstone %s -db %s = exit %d, %q; want 1 about the database", cmd, db, code, errOut)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("kapstone %s -db %s left %d files in the data directory (%s ...), want none", cmd, db, len(entries), entries[0].Name())
			}
		}
	}
}

// leakedKeyFile is the audit key a test run wrote to kapstone-data here and
// that was committed to git (commit 52407c2). Its private half is public,
// so kapstone must refuse to sign with it.
const leakedKeyFile = `-----BEGIN KAPSTONE AUDIT KEY-----
Key-Id: c27f040e

9eijESYUUiMAR2Tbb2IkJquuHYwXUH21RTpUa0DInPM=
-----END KAPSTONE AUDIT KEY-----
`

// TestLeakedKeyRefused: kapstone does not start with the key that was
// committed to git, and says in one line to move it aside; once it is,
// kapstone makes a new key, serves, and its audit log verifies.
func TestLeakedKeyRefused(t *testing.T) {
	db := dbArgs(t)
	dir := db[slices.Index(db, "-data-dir")+1]
	key := filepath.Join(dir, "audit-key.pem")
	if err := os.WriteFile(key, []byte(leakedKeyFile), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"serve", "-addr", "127.0.0.1:0"}, {"migrate"}, {"audit", "verify"}} {
		code, _, errOut := kapstone(t, append(cmd, db...)...)
		if code != 1 || strings.Count(errOut, "\n") != 1 {
			t.Fatalf("kapstone %v with the leaked key = exit %d, %q; want 1 and one line", cmd, code, errOut)
		}
		for _, want := range []string{key, "c27f040e", "is public", "will not sign with it", "Move " + key + " aside and start kapstone again: it makes a new key"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("kapstone %v with the leaked key said %q, want it to contain %q", cmd, errOut, want)
			}
		}
		if strings.Contains(errOut, "backup") {
			t.Errorf("kapstone %v with the leaked key said %q; a backup holds the same key", cmd, errOut)
		}
	}
	if err := os.Rename(key, key+".leaked"); err != nil {
		t.Fatal(err)
	}
	in := start(t, nil, append([]string{"serve", "-addr", "127.0.0.1:0"}, db...)...)
	if err := in.stop(t); err != nil {
		t.Fatalf("kapstone with a new key stopped with %v", err)
	}
	k, err := audit.LoadKey(key)
	if err != nil || k.ID() == "c27f040e" {
		t.Fatalf("key after moving the leaked one aside = %v; want a new key", err)
	}
	if code, out, errOut := kapstone(t, append([]string{"audit", "verify"}, db...)...); code != 0 {
		t.Errorf("audit verify with the new key = exit %d, %q %q; want 0", code, out, errOut)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"serve", "-h"}, {"demo", "-h"}, {"migrate", "-h"}, {"loadtest", "-h"}, {"version", "-h"}} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"kapstone"}, args...), func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
		if code := exitCode(err, &stderr); code != 0 {
			t.Errorf("kapstone %v exit code = %d, want 0", args, code)
		}
		if !strings.Contains(stdout.String(), "Usage: kapstone") {
			t.Errorf("kapstone %v printed %q, want usage", args, stdout.String())
		}
	}
	var stdout bytes.Buffer
	run(context.Background(), []string{"kapstone", "serve", "-h"}, func(string) string { return "" }, strings.NewReader(""), &stdout, io.Discard)
	for _, env := range []string{"KAPSTONE_ADDR", "KAPSTONE_DB", "KAPSTONE_DATA_DIR", "KAPSTONE_COUNTRY"} {
		if !strings.Contains(stdout.String(), env) {
			t.Errorf("serve -h does not mention %s", env)
		}
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"kapstone", "version"}, func(string) string { return "" }, strings.NewReader(""), &stdout, io.Discard); err != nil || !strings.HasPrefix(stdout.String(), "kapstone ") {
		t.Errorf("kapstone version = %q, %v", stdout.String(), err)
	}
}

func TestMigrateCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := append([]string{"kapstone", "migrate"}, dbArgs(t)...)
	if err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("migrate: %v\n%s", err, stderr.String())
	}
	names, _ := store.Migrations(store.EngineSQLite)
	if !strings.Contains(stdout.String(), names[len(names)-1]) {
		t.Errorf("migrate printed %q, want the latest migration %s", stdout.String(), names[len(names)-1])
	}
	if !strings.Contains(stderr.String(), `"migration applied"`) {
		t.Errorf("migrate logged no applied migration: %s", stderr.String())
	}
}

// TestGracefulShutdown sends half a request, asks the server to stop, then
// sends the rest: the request in flight is answered before run returns.
func TestGracefulShutdown(t *testing.T) {
	in := start(t, nil, append([]string{"serve", "-addr", "127.0.0.1:0"}, dbArgs(t)...)...)
	u, _ := url.Parse(in.url)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "email=nobody%40example.org&password=whatever+it+is"
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", u.Host, len(body), body[:10])
	time.Sleep(100 * time.Millisecond) // the server is now reading the body
	in.cancel()
	// Wait until the server stops accepting new connections: shutdown has begun.
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if i > 500 {
			t.Fatal("server still accepts connections 10 s after shutdown began")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-in.done:
		in.done <- err
		t.Fatalf("run returned (%v) while a request was still in flight", err)
	default:
	}
	io.WriteString(conn, body[10:])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request got no answer: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("in-flight login = %d, want 401 (wrong credentials, answered in full)", res.StatusCode)
	}
	select {
	case err := <-in.done:
		in.done <- err
		if err != nil {
			t.Fatalf("run after graceful shutdown = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after the last request finished")
	}
	if !strings.Contains(in.stderr.String(), `"msg":"stopped"`) {
		t.Error("no 'stopped' log line")
	}
}
