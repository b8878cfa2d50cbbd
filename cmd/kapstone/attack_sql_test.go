package main

import (
	"database/sql"
	"fmt"
	"github.com/kapstone/kapstone/internal/suitelog"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// requestKeyRE finds the form and query keys the web code reads.
var requestKeyRE = regexp.MustCompile(`(?:FormValue|PostFormValue|Query\(\)\.Get|PostForm\.Get|Form\.Get|Query\(\)\[)\("?([A-Za-z_][A-Za-z_0-9]*)"?\)?`)

// requestKeys lists every form or query key internal/web reads (r.FormValue,
// URL.Query().Get, ...), from the source, so a new sort, filter or search key
// is attacked without anyone listing it.
func requestKeys(t *testing.T) []string {
	t.Helper()
	keys := map[string]bool{}
	err := filepath.WalkDir("../../internal/web", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range requestKeyRE.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range keys {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) < 20 {
		t.Fatalf("found only %d request keys in internal/web; the pattern no longer matches the code", len(out))
	}
	return out
}

// tableCounts counts the rows of every table of the demo's SQLite database,
// and checks its integrity.
func tableCounts(t *testing.T, dir string) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "kapstone.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow(`PRAGMA quick_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("database quick_check = %q, %v; want ok", ok, err)
	}
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	out := map[string]int{}
	for _, n := range names {
		var c int
		if err := db.QueryRow(`SELECT count(*) FROM "` + n + `"`).Scan(&c); err != nil {
			t.Fatalf("count %s: %v", n, err)
		}
		out[n] = c
	}
	return out
}

// activityLog reports whether a table records activity (audit rows and
// their checkpoints, sessions, background jobs and the emails they keep):
// it grows with reading and with the clock, so the GET pass may add to it.
func activityLog(table string) bool {
	for _, w := range []string{"audit", "session", "job", "checkpoint", "outbox"} {
		if strings.Contains(table, w) {
			return true
		}
	}
	return false
}

// substituteWildcards returns target with each path segment that the
// pattern's wildcards match replaced by v.
func substituteWildcards(pattern, target, v string) string {
	p := strings.Split(strings.TrimPrefix(pattern[strings.IndexByte(pattern, ' ')+1:], "/"), "/")
	path, query, _ := strings.Cut(target, "?")
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(p) != len(segs) {
		return ""
	}
	changed := false
	for i := range p {
		if strings.HasPrefix(p[i], "{") && p[i] != "{$}" {
			segs[i] = url.PathEscape(v)
			changed = true
		}
	}
	if !changed {
		return ""
	}
	out := "/" + strings.Join(segs, "/")
	if query != "" {
		out += "?" + query
	}
	return out
}

// TestAttackSQLMetacharacters is the SQL part of the attack suite (issue
// 14, suite item 2): on the demo practice, as every role, every route of the
// table reached by the crawl gets SQL metacharacters (quotes, comments,
// stacked statements, LIKE wildcards, a NUL byte, a 40,000-character string)
// in each path id, in every query key the web code reads (from the source),
// and in every field of every form. No answer may be a server error or show
// a database error; the database must pass its integrity check afterwards,
// with every table there, and the GET pass must change no table that plain
// reading does not change.
func TestAttackSQLMetacharacters(t *testing.T) {
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	started := time.Now()
	patterns := routePatterns(t)
	m := newRouteMatcher(patterns)
	keys := requestKeys(t)
	attackers := signInAttackers(t, in.url, dir)

	before := tableCounts(t, dir)
	pages := crawlAll(t, attackers, patterns, m, crawlLimitPerRoute)
	afterRead := tableCounts(t, dir) // what reading alone changes (audit rows, sessions)

	requests, routes := 0, map[string]bool{}
	check := func(a *attacker, method, target string, form url.Values) {
		t.Helper()
		r := a.do(t, method, target, form)
		requests++
		if p := m.match(method, target); p != "" {
			routes[p] = true
		}
		what := fmt.Sprintf("%s %.120s as %s", method, target, a.name)
		if r.status >= 500 {
			t.Errorf("SQL: %s = %d, want no server error", what, r.status)
		}
		if loc := sqlErrorText.FindString(r.body); loc != "" {
			t.Errorf("SQL: %s shows database error text %q", what, loc)
		}
	}

	// GET: path ids and every known query key, each route once (by the
	// first caller the crawl reached it as).
	// The values rotate over the keys (key i of request j on the n-th
	// route gets value i+3j+n), so two requests per route give every key
	// every value over the routes, and every route every value.
	rotate := func(names []string, j, n int) url.Values {
		q := url.Values{}
		for i, k := range names {
			q.Set(k, sqlValues[(i+3*j+n)%len(sqlValues)])
		}
		return q
	}
	gets, ownKeys := map[string]bool{}, 0
	for _, a := range attackers {
		for _, pg := range pages[a] {
			if gets[pg.pattern] {
				continue
			}
			gets[pg.pattern] = true
			n := len(gets)
			path, _, _ := strings.Cut(pg.target, "?")
			for j := 0; j < 2; j++ {
				if s := substituteWildcards(pg.pattern, pg.target, sqlPathValues[(2*n+j)%len(sqlPathValues)]); s != "" {
					check(a, "GET", s, nil)
				}
				check(a, "GET", path+"?"+rotate(keys, j, n).Encode(), nil)
			}
			// The keys the page itself uses (its query, its search and
			// filter forms) get every value, one request each.
			own := map[string]bool{}
			if u, err := url.Parse(pg.target); err == nil {
				for k := range u.Query() {
					own[k] = true
				}
			}
			for _, f := range pageForms(pg.target, pg.body) {
				if f.method == http.MethodGet && m.match("GET", f.action) == pg.pattern {
					for _, fl := range f.fields {
						own[fl.name] = true
					}
				}
			}
			for k := range own {
				for _, v := range sqlValues {
					q, _ := url.ParseQuery(strings.SplitN(pg.target+"?", "?", 2)[1])
					q.Set(k, v)
					check(a, "GET", path+"?"+q.Encode(), nil)
					ownKeys++
				}
			}
		}
	}
	afterGets := tableCounts(t, dir)
	for name, n := range before {
		got, ok := afterGets[name]
		switch {
		case !ok:
			t.Errorf("SQL: table %s is gone after the GET pass", name)
		case afterRead[name] == n && got != n && !activityLog(name):
			t.Errorf("SQL: table %s had %d rows and reading changed none, but after the GET pass it has %d", name, n, got)
		case got < afterRead[name]:
			t.Errorf("SQL: table %s lost rows in the GET pass: %d, then %d", name, afterRead[name], got)
		}
	}

	// POST: every field of every form, and the path ids of its action.
	done := map[string]bool{}
	forms := 0
	for _, a := range attackers {
		for _, pg := range pages[a] {
			if !strings.HasPrefix(pg.ctype, "text/html") {
				continue
			}
			for _, f := range pageForms(pg.target, pg.body) {
				key := f.key(m)
				pattern := m.match(f.method, f.action)
				if f.method != http.MethodPost || done[key] || pattern == "" || len(f.fields) == 0 || strings.Contains(f.enctype, "multipart") ||
					credentialForm(pattern) && pattern != "POST /login" {
					continue
				}
				done[key] = true
				forms++
				var names []string
				for _, fl := range f.fields {
					names = append(names, fl.name)
				}
				for j := 0; j < 2; j++ {
					form := rotate(names, j, forms)
					if len(f.submits) > 0 {
						form.Set(f.submits[0].name, f.submits[0].value)
					}
					check(a, "POST", f.action, form)
					if s := substituteWildcards(pattern, f.action, sqlPathValues[(2*forms+j)%len(sqlPathValues)]); s != "" {
						check(a, "POST", s, form)
					}
				}
			}
		}
	}
	// Routes no link or form led to (their ids exist only in other
	// practices, or in a page script): their ids, as each caller.
	for _, p := range patterns {
		// (A POST without an id that no form offered signs out, ends
		// sessions or handles credentials: the sessions part of the suite.)
		if routes[p] || !strings.Contains(p, "{") && !strings.HasPrefix(p, "GET ") || p == "GET /static/{hash}/{name}" {
			continue
		}
		method, path, _ := strings.Cut(p, " ")
		roles := map[string]bool{}
		for n, a := range attackers {
			role := strings.TrimRight(a.name, "0123456789")
			if roles[role] {
				continue // one caller of each role
			}
			roles[role] = true
			s := substituteWildcards(p, path, sqlPathValues[n%len(sqlPathValues)])
			if s == "" {
				s = path
			}
			q := rotate(keys, 0, n)
			if method == http.MethodGet {
				check(a, method, s+"?"+q.Encode(), nil)
			} else {
				check(a, method, s, q)
			}
		}
	}
	after := tableCounts(t, dir)
	for name, n := range afterGets {
		if got, ok := after[name]; !ok {
			t.Errorf("SQL: table %s is gone after the POST pass", name)
		} else if got < n {
			t.Errorf("SQL: table %s lost rows in the POST pass: %d, then %d", name, n, got)
		}
	}
	var missed []string
	for _, p := range patterns {
		if !routes[p] {
			missed = append(missed, p)
		}
	}
	suitelog.Count(t, "SQL: %d values (and %d for path ids) rotated over %d query keys and the fields of %d forms, all of them in each of the %d keys a page uses itself, on %d of %d routes as %d callers: %d requests, %d tables intact; %v",
		len(sqlValues), len(sqlPathValues), len(keys), forms, ownKeys/len(sqlValues), len(routes), len(patterns), len(attackers), requests, len(after), time.Since(started).Round(time.Second))
	t.Logf("SQL: routes not attacked (sign-out, credential and calendar-link forms without an id, the image upload, static files): %s", strings.Join(missed, "; "))
}
