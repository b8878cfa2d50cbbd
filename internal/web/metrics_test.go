package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

const metricsToken = "a-metrics-token-for-the-test-0123456789"

// sampleRE is one sample line of the text exposition format.
var sampleRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$`)
var labelRE = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"`)

type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseMetrics checks body line by line against the text format (HELP and
// TYPE before a family's samples, each family once, every value a number)
// and returns the samples.
func parseMetrics(t *testing.T, body string) []sample {
	t.Helper()
	var out []sample
	typed := map[string]string{}
	current := ""
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(rest, " ")
			if _, dup := typed[name]; dup {
				t.Errorf("line %d: family %s declared twice", n, name)
			}
			switch typ {
			case "counter", "gauge", "histogram", "untyped":
			default:
				t.Errorf("line %d: type %q", n, typ)
			}
			typed[name], current = typ, name
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sampleRE.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %d is not a sample: %q", n, line)
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Errorf("line %d: value %q", n, m[3])
		}
		base := m[1]
		if typed[current] == "histogram" {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				base = strings.TrimSuffix(base, suf)
			}
		}
		if base != current {
			t.Errorf("line %d: sample %s outside its family (after TYPE %s)", n, m[1], current)
		}
		s := sample{name: m[1], labels: map[string]string{}, value: v}
		for _, l := range labelRE.FindAllStringSubmatch(m[2], -1) {
			s.labels[l[1]] = l[2]
		}
		out = append(out, s)
	}
	return out
}

// TestMetrics: /metrics is a 404 unless the configured token comes as a
// bearer token; with it, the text format with requests by route pattern and
// status, latency histograms, both database pools, the job queue, audit
// appends, open alerts and the Go runtime; and no label holds a path, an id,
// a name or an email, only route patterns from the route table.
func TestMetrics(t *testing.T) {
	f := webtest.NewFixture(t)
	// Off by default: the ordinary 404 page, with or without a token.
	for _, hdr := range [][]string{nil, {"Authorization", "Bearer " + metricsToken}} {
		if r := f.Do("GET", "/metrics", nil, "", hdr...); r.Status != http.StatusNotFound || strings.Contains(r.Body, "kapstone_http") {
			t.Errorf("/metrics without a configured token (header %v) = %d, want 404", hdr, r.Status)
		}
	}
	f.Srv.Config.MetricsToken = metricsToken
	for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "Bearer " + metricsToken + "x"}, {"Authorization", metricsToken}, {"Authorization", "Basic " + metricsToken}} {
		if r := f.Do("GET", "/metrics", nil, "", hdr...); r.Status != http.StatusNotFound || strings.Contains(r.Body, "kapstone_http") {
			t.Errorf("/metrics with header %v = %d, want 404", hdr, r.Status)
		}
	}
	// A staff session is no key either.
	thea := f.SignIn("thea@example.org")
	if r := f.Do("GET", "/metrics", nil, thea); r.Status != http.StatusNotFound {
		t.Errorf("/metrics with a staff session and no token = %d, want 404", r.Status)
	}

	// Traffic with ids and names in the paths and forms.
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/measures", url.Values{"instrument": {"phq9"}, "cadence": {"weekly"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("assign PHQ-9 = %d", r.Status)
	}
	pat := f.SignIn("pat@example.org")
	if r := f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 0, 1), pat); !strings.Contains(r.Body, "care team has been alerted") {
		t.Fatalf("item 9 check-in = %d, want an alert raised", r.Status)
	}
	before := f.St.AuditAppends()
	for range 3 {
		if r := f.Do("GET", "/patients/"+f.PA.ID, nil, thea); r.Status != http.StatusOK {
			t.Fatalf("chart = %d", r.Status)
		}
	}
	if f.St.AuditAppends() <= before {
		t.Errorf("audit appends %d after three chart views, was %d: not counted", f.St.AuditAppends(), before)
	}
	f.Do("GET", "/patients/"+f.PB.ID, nil, thea) // a foreign patient: 404
	f.Do("GET", "/nope/"+f.PA.ID+"/"+url.PathEscape(webtest.CanaryA), nil, "")
	f.Do("GET", "/blog/"+strings.Repeat("x", 40), nil, "")

	r := f.Do("GET", "/metrics", nil, "", "Authorization", "Bearer "+metricsToken)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics with the token = %d %q, want 200 text/plain; version=0.0.4", r.Status, r.Header.Get("Content-Type"))
	}
	samples := parseMetrics(t, r.Body)
	t.Logf("%d samples, %d bytes", len(samples), len(r.Body))

	// No PHI, no ids, no paths.
	for _, secret := range []string{f.PA.ID, f.PB.ID, webtest.CanaryA, webtest.CanaryB, "pat@example.org", "thea@example.org", f.Users["thea@example.org"].ID, "Canary", "/nope", strings.Repeat("x", 40)} {
		if strings.Contains(r.Body, secret) {
			t.Errorf("/metrics holds %q", secret)
		}
	}
	patterns := map[string]bool{"unmatched": true}
	for _, rt := range f.Srv.RouteTable() {
		patterns[rt.Pattern] = true
	}
	find := func(name string, labels ...string) (float64, bool) {
	next:
		for _, s := range samples {
			if s.name != name {
				continue
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if s.labels[labels[i]] != labels[i+1] {
					continue next
				}
			}
			return s.value, true
		}
		return 0, false
	}
	routes := map[string]bool{}
	for _, s := range samples {
		if rt, ok := s.labels["route"]; ok {
			routes[rt] = true
			if !patterns[rt] {
				t.Errorf("%s has route label %q, which is not a route pattern", s.name, rt)
			}
		}
		if c, ok := s.labels["code"]; ok {
			if n, err := strconv.Atoi(c); err != nil || n < 100 || n > 599 {
				t.Errorf("%s has code label %q", s.name, c)
			}
		}
	}
	t.Logf("%d route labels", len(routes))
	for _, want := range []struct {
		name   string
		labels []string
		min    float64
	}{
		{"kapstone_http_requests_total", []string{"route", "GET /patients/{patient}", "code", "200", "class", "2xx"}, 3},
		{"kapstone_http_requests_total", []string{"route", "GET /patients/{patient}", "code", "404"}, 1},
		{"kapstone_http_requests_total", []string{"route", "unmatched", "code", "404", "class", "4xx"}, 1},
		{"kapstone_http_requests_total", []string{"route", "POST /portal/checkins/{instrument}"}, 1},
		{"kapstone_http_request_duration_seconds_bucket", []string{"route", "GET /patients/{patient}", "le", "+Inf"}, 4},
		{"kapstone_http_request_duration_seconds_count", []string{"route", "GET /patients/{patient}"}, 4},
		{"kapstone_http_request_duration_seconds_sum", []string{"route", "GET /patients/{patient}"}, 0},
		{"kapstone_db_connections_open", []string{"pool", "write"}, 0},
		{"kapstone_db_connections_max", []string{"pool", "write"}, 0},
		{"kapstone_db_wait_total", []string{"pool", "write"}, 0},
		{"kapstone_jobs", []string{"status", "pending"}, 1}, // the alert's email job
		{"kapstone_jobs", []string{"status", "failed"}, 0},
		{"kapstone_audit_appends_total", nil, float64(before) + 3},
		{"kapstone_safety_alerts_open", nil, 1},
		{"kapstone_metrics_query_errors", nil, 0},
		{"go_goroutines", nil, 1},
		{"go_memstats_heap_alloc_bytes", nil, 1},
		{"go_gc_cycles_total", nil, 0},
		{"kapstone_build_info", []string{"version", "dev"}, 1},
	} {
		v, ok := find(want.name, want.labels...)
		if !ok || v < want.min {
			t.Errorf("%s%v = %v (present %v), want at least %v", want.name, want.labels, v, ok, want.min)
		}
	}
	if f.St.Engine() == "sqlite" {
		if _, ok := find("kapstone_db_connections_open", "pool", "read"); !ok {
			t.Error("no read pool metrics on SQLite")
		}
	}
	if v, _ := find("kapstone_metrics_query_errors"); v != 0 {
		t.Errorf("%v metric queries failed", v)
	}
	if n, err := f.St.OpenAlertCount(context.Background()); err != nil || n != 1 {
		t.Errorf("OpenAlertCount = %d, %v, want 1", n, err)
	}
	// Histogram buckets are cumulative.
	prev := -1.0
	for _, s := range samples {
		if s.name == "kapstone_http_request_duration_seconds_bucket" && s.labels["route"] == "GET /patients/{patient}" {
			if s.value < prev {
				t.Errorf("bucket le=%s = %v, below the one before (%v)", s.labels["le"], s.value, prev)
			}
			prev = s.value
		}
	}
}

// TestRequestIDInEveryLogLine: every log line written while serving a
// request carries that request's id, which the response names in
// X-Request-Id.
func TestRequestIDInEveryLogLine(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Logs.Reset()
	pat := f.SignIn("pat@example.org")
	ids := map[string]bool{}
	for _, r := range []webtest.Response{
		f.Do("GET", "/portal", nil, pat),
		f.Do("GET", "/nope", nil, ""),
		// A cross-origin form: refused, with a warning in the log.
		f.Do("POST", "/inquiry", url.Values{"name": {"x"}}, "", "Sec-Fetch-Site", "cross-site"),
		// An email kept in the outbox logs a line of its own.
		f.Do("POST", "/login/forgot", url.Values{"email": {"pat@example.org"}}, ""),
	} {
		id := r.Header.Get("X-Request-Id")
		if len(id) != 16 {
			t.Fatalf("X-Request-Id = %q, want 16 hex digits", id)
		}
		ids[id] = true
	}
	idRE := regexp.MustCompile(`^[0-9a-f]{16}$`)
	lines, other := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(f.Logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		lines++
		id, _ := rec["request_id"].(string)
		if !idRE.MatchString(id) {
			t.Errorf("log line without a request id: %s", line)
		}
		if ids[id] && rec["msg"] != "request" {
			other++
		}
	}
	if other == 0 {
		t.Errorf("no log line besides the access log; the test shows nothing (logs: %s)", f.Logs.String())
	}
	t.Logf("%d log lines, %d besides the access log, %d requests", lines, other, len(ids))
}

// TestLogCallsCarryRequestID: every log call in the web layer either
// passes the request's context (InfoContext and the like, which the
// logger's handler turns into request_id) or names request_id itself, so
// no line written while serving a request lacks it.
func TestLogCallsCarryRequestID(t *testing.T) {
	bad, calls := logCallsWithoutRequestID(t, ".")
	for _, b := range bad {
		t.Error(b)
	}
	t.Logf("%d log calls checked", calls)
	if calls < 10 {
		t.Errorf("only %d log calls found: the scan is broken", calls)
	}
}

func logCallsWithoutRequestID(t *testing.T, root string) (bad []string, calls int) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			recv := ""
			switch x := sel.X.(type) {
			case *ast.SelectorExpr:
				recv = x.Sel.Name
			case *ast.Ident:
				recv = x.Name
			}
			if recv != "Log" && recv != "log" {
				return true
			}
			switch sel.Sel.Name {
			case "Debug", "Info", "Warn", "Error":
			case "DebugContext", "InfoContext", "WarnContext", "ErrorContext", "Log":
				calls++
				return true
			default:
				return true
			}
			calls++
			for _, a := range call.Args {
				if lit, ok := a.(*ast.BasicLit); ok && lit.Value == `"request_id"` {
					return true
				}
			}
			bad = append(bad, fset.Position(call.Pos()).String()+": "+recv+"."+sel.Sel.Name+" without the request's context or request_id")
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return bad, calls
}
