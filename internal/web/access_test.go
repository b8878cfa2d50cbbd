package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The actors of the route matrix.
var actors = []string{"anon", "half", "pA", "pB", "thea", "theo", "rex", "admin"}

// actorEmail is the fixture account of each signed-in actor; "half" is thea
// after her password but before her second factor.
var actorEmail = map[string]string{
	"pA": "pat@example.org", "pB": "bea@example.org", "thea": "thea@example.org",
	"theo": "theo@example.org", "rex": "rex@example.org", "admin": "admin@example.org",
}

// sees lists which patients' names an actor may ever see in a response.
var sees = map[string]string{"anon": "", "half": "", "pA": "A", "pB": "B", "thea": "A", "theo": "B", "rex": "A", "admin": "AB"}

// m builds one route's expected statuses, in the order of actors.
func m(codes ...int) map[string]int {
	out := map[string]int{}
	for i, a := range actors {
		out[a] = codes[i]
	}
	return out
}

// policy is the expected answer of every route for every actor: the access
// policy written out as a table. Patient routes use patient A (on thea's and
// rex's team; theo is not on it). {user} is a therapist with no other role
// in the test; {sid}, {grant} and {token} do not exist.
//
//	anon half pA   pB   thea theo rex  admin
var policy = map[string]map[string]int{
	"GET /healthz":                                m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /readyz":                                 m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /static/{hash}/{name}":                   m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /{$}":                                    m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /login":                                  m(200, 303, 303, 303, 303, 303, 303, 303),
	"POST /login":                                 m(422, 422, 422, 422, 422, 422, 422, 422),
	"GET /login/mfa":                              m(303, 200, 303, 303, 303, 303, 303, 303),
	"POST /login/mfa":                             m(303, 401, 303, 303, 303, 303, 303, 303),
	"GET /login/mfa/setup":                        m(303, 303, 303, 303, 303, 303, 303, 303),
	"POST /login/mfa/setup":                       m(303, 303, 303, 303, 303, 303, 303, 303),
	"POST /logout":                                m(303, 303, 303, 303, 303, 303, 303, 303),
	"GET /setup/{token}":                          m(404, 404, 404, 404, 404, 404, 404, 404),
	"POST /setup/{token}":                         m(404, 404, 404, 404, 404, 404, 404, 404),
	"GET /invite/{token}":                         m(404, 404, 404, 404, 404, 404, 404, 404),
	"POST /invite/{token}":                        m(404, 404, 404, 404, 404, 404, 404, 404),
	"GET /reset/{token}":                          m(404, 404, 404, 404, 404, 404, 404, 404),
	"POST /reset/{token}":                         m(404, 404, 404, 404, 404, 404, 404, 404),
	"GET /account":                                m(303, 303, 200, 200, 200, 200, 200, 200),
	"POST /account/sessions/{sid}/end":            m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /account/sessions/end-all":              m(303, 303, 303, 303, 303, 303, 303, 303),
	"GET /account/password":                       m(303, 303, 200, 200, 200, 200, 200, 200),
	"POST /account/password":                      m(303, 303, 422, 422, 422, 422, 422, 422),
	"GET /account/mfa":                            m(303, 303, 200, 200, 200, 200, 200, 200),
	"POST /account/mfa":                           m(303, 303, 422, 422, 422, 422, 422, 422),
	"POST /account/mfa/off":                       m(303, 303, 422, 422, 404, 404, 404, 404),
	"GET /patients":                               m(303, 303, 404, 404, 200, 200, 200, 200),
	"GET /patients/new":                           m(303, 303, 404, 404, 200, 200, 404, 200),
	"POST /patients":                              m(303, 303, 404, 404, 422, 422, 404, 422),
	"GET /patients/{patient}":                     m(303, 303, 404, 404, 200, 404, 200, 200),
	"POST /patients/{patient}/invite":             m(303, 303, 404, 404, 409, 404, 404, 404),
	"POST /patients/{patient}/reset-password":     m(303, 303, 404, 404, 200, 404, 404, 404),
	"POST /patients/{patient}/team":               m(303, 303, 404, 404, 422, 404, 404, 422),
	"POST /patients/{patient}/team/{user}/remove": m(303, 303, 404, 404, 303, 404, 404, 303),
	"GET /patients/{patient}/details":             m(303, 303, 404, 404, 200, 404, 200, 200),
	"POST /patients/{patient}/details":            m(303, 303, 404, 404, 422, 404, 422, 422),
	"POST /patients/{patient}/stage":              m(303, 303, 404, 404, 422, 404, 422, 404),
	"GET /patients/{patient}/intake":              m(303, 303, 404, 404, 200, 404, 200, 404),
	"POST /patients/{patient}/intake":             m(303, 303, 404, 404, 422, 404, 422, 404),
	"POST /patients/{patient}/evaluation":         m(303, 303, 404, 404, 422, 404, 404, 404),
	"POST /patients/{patient}/clearance":          m(303, 303, 404, 404, 404, 404, 422, 404),
	"POST /patients/{patient}/consult":            m(303, 303, 404, 404, 422, 404, 422, 404),
	"POST /patients/{patient}/appointments":       m(303, 303, 404, 404, 422, 404, 422, 404),
	"POST /patients/{patient}/appointments/{appointment}/cancel":  m(303, 303, 404, 404, 422, 404, 422, 404), // no reason given
	"POST /patients/{patient}/appointments/{appointment}/move":    m(303, 303, 404, 404, 422, 404, 422, 404), // no time given
	"POST /patients/{patient}/appointments/{appointment}/outcome": m(303, 303, 404, 404, 422, 404, 422, 404), // no outcome chosen
	"POST /patients/{patient}/alerts/{alert}/acknowledge":         m(303, 303, 404, 404, 422, 404, 422, 404),
	"POST /patients/{patient}/measures":                           m(303, 303, 404, 404, 422, 404, 422, 404),
	"POST /patients/{patient}/measures/{instrument}/end":          m(303, 303, 404, 404, 303, 404, 303, 404),
	"GET /outcomes":                              m(303, 303, 404, 404, 200, 200, 200, 200),
	"GET /outcomes.csv":                          m(303, 303, 404, 404, 200, 200, 200, 200),
	"GET /portal/checkins":                       m(303, 303, 200, 200, 404, 404, 404, 404),
	"GET /portal/checkins/{instrument}":          m(303, 303, 200, 200, 404, 404, 404, 404),
	"POST /portal/checkins/{instrument}":         m(303, 303, 404, 404, 404, 404, 404, 404), // not assigned to them
	"GET /portal/progress":                       m(303, 303, 200, 200, 404, 404, 404, 404),
	"GET /portal/appointments":                   m(303, 303, 200, 200, 404, 404, 404, 404),
	"GET /portal/appointments/{appointment}/ics": m(303, 303, 404, 404, 404, 404, 404, 404), // no such appointment
	"GET /medications/lookup":                    m(303, 303, 400, 400, 400, 400, 400, 400),
	"GET /screening/rules":                       m(303, 303, 404, 404, 200, 200, 200, 200),
	"GET /portal/intake":                         m(303, 303, 200, 200, 404, 404, 404, 404),
	"POST /portal/intake":                        m(303, 303, 303, 303, 404, 404, 404, 404),
	"GET /patients/{patient}/emergency":          m(303, 303, 404, 404, 200, 200, 200, 404),
	"POST /patients/{patient}/emergency":         m(303, 303, 404, 404, 404, 303, 404, 404),
	"GET /admin/users":                           m(303, 303, 404, 404, 404, 404, 404, 200),
	"GET /admin/users/new":                       m(303, 303, 404, 404, 404, 404, 404, 200),
	"POST /admin/users":                          m(303, 303, 404, 404, 404, 404, 404, 422),
	"POST /admin/users/{user}/disable":           m(303, 303, 404, 404, 404, 404, 404, 303),
	"POST /admin/users/{user}/enable":            m(303, 303, 404, 404, 404, 404, 404, 303),
	"POST /admin/users/{user}/reset-password":    m(303, 303, 404, 404, 404, 404, 404, 200),
	"POST /admin/users/{user}/reset-mfa":         m(303, 303, 404, 404, 404, 404, 404, 422),
	"GET /admin/instruments":                     m(303, 303, 404, 404, 404, 404, 404, 200),
	"POST /admin/instruments/{instrument}":       m(303, 303, 404, 404, 404, 404, 404, 404), // phq9 ships its wording
	"GET /admin/audit":                           m(303, 303, 404, 404, 404, 404, 404, 200),
	"GET /admin/emergency":                       m(303, 303, 404, 404, 404, 404, 404, 200),
	"POST /account/reminders":                    m(303, 303, 303, 303, 404, 404, 404, 404),
	"POST /account/calendar":                     m(303, 303, 404, 404, 200, 200, 200, 404),
	"POST /account/hours":                        m(303, 303, 404, 404, 303, 303, 303, 404), // no days: no limits
	"POST /account/time-off":                     m(303, 303, 404, 404, 422, 422, 422, 404), // no dates
	"POST /account/time-off/{off}/delete":        m(303, 303, 404, 404, 404, 404, 404, 404), // no such time off
	"POST /account/calendar/revoke":              m(303, 303, 404, 404, 303, 303, 303, 404),
	"GET /calendar":                              m(303, 303, 404, 404, 200, 200, 200, 200),
	"GET /calendar/{token}":                      m(404, 404, 404, 404, 404, 404, 404, 404), // no such feed
	"GET /admin/practice":                        m(303, 303, 404, 404, 404, 404, 404, 200),
	"POST /admin/practice":                       m(303, 303, 404, 404, 404, 404, 404, 422), // empty form
	"GET /admin/rooms":                           m(303, 303, 404, 404, 404, 404, 404, 200),
	"POST /admin/rooms":                          m(303, 303, 404, 404, 404, 404, 404, 422), // no name
	"POST /admin/rooms/{room}/archive":           m(303, 303, 404, 404, 404, 404, 404, 404), // no such room
	"POST /admin/jobs/retry":                     m(303, 303, 404, 404, 404, 404, 404, 303),
	"GET /admin/jobs":                            m(303, 303, 404, 404, 404, 404, 404, 200),
	"GET /admin/outbox":                          m(303, 303, 404, 404, 404, 404, 404, 200),
	"POST /admin/emergency/{grant}/review":       m(303, 303, 404, 404, 404, 404, 404, 404),
	"GET /portal":                                m(303, 303, 200, 200, 404, 404, 404, 404),
	"GET /portal/access":                         m(303, 303, 200, 200, 404, 404, 404, 404),

	// Feeds and crawlers: public.
	"GET /feed.atom":   m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /feed.rss":    m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /sitemap.xml": m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /robots.txt":  m(200, 200, 200, 200, 200, 200, 200, 200),

	// Dosing sessions: clinicians on the care team only ({session} does
	// not exist, so even they get 404 past the start).
	"POST /patients/{patient}/dosing":                     m(303, 303, 404, 404, 303, 404, 303, 404),
	"GET /patients/{patient}/dosing/{session}":            m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /patients/{patient}/dosing/{session}/gate":      m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /patients/{patient}/dosing/{session}/dose":      m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /patients/{patient}/dosing/{session}/vitals":    m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /patients/{patient}/dosing/{session}/events":    m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /patients/{patient}/dosing/{session}/discharge": m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /patients/{patient}/dosing/{session}/stop":      m(303, 303, 404, 404, 404, 404, 404, 404),
}

// sessions signs in every actor of f and returns their cookies.
func (f *fixture) sessions() map[string]string {
	c := map[string]string{"anon": ""}
	for a, email := range actorEmail {
		c[a] = f.signIn(email)
	}
	c["half"] = f.sessionCookie(f.login("thea@example.org", testPassword, ""))
	return c
}

// target fills a route pattern's wildcards for the matrix.
func (f *fixture) target(pattern string) (method, path string, form url.Values) {
	method, path, _ = strings.Cut(pattern, " ")
	css, _ := f.srv.Assets.URL("style.css")
	parts := strings.Split(css, "/") // /static/{hash}/style.css
	r := strings.NewReplacer(
		"{$}", "",
		"{hash}", parts[2], "{name}", "style.css",
		"{patient}", f.pA.ID,
		"{user}", f.users[map[bool]string{true: "rex@example.org", false: "nomfa@example.org"}[strings.Contains(path, "/team/")]].ID,
		"{sid}", "no-such-session",
		"{grant}", "no-such-grant",
		"{alert}", "no-such-alert",
		"{appointment}", "no-such-appointment",
		"{room}", "no-such-room",
		"{off}", "no-such-time-off",
		"{session}", "no-such-dosing-session",
		"{instrument}", "phq9",
		"{token}", "no-such-token-0000000000000000000000000000000",
	)
	path = r.Replace(path)
	if method == "POST" {
		form = url.Values{}
		if strings.HasSuffix(path, "/emergency") {
			form.Set("reason", "Patient called in crisis; their therapist is away.")
		}
	}
	return method, path, form
}

// TestRouteAccessMatrix walks every route in routes.go for every kind of
// caller and checks the answer against the policy table, and that no answer
// shows a patient the caller may not see.
func TestRouteAccessMatrix(t *testing.T) {
	shared := newFixture(t) // GET routes change nothing and share one practice
	sharedCookies := shared.sessions()
	for _, rt := range shared.srv.routeTable() {
		want, ok := policy[rt.pattern]
		if !ok {
			t.Errorf("route %q has no row in the policy table", rt.pattern)
			continue
		}
		f, cookies := shared, sharedCookies
		// Practices made for one route are closed when it is done, so a
		// long table does not hold a database connection per route.
		var own []*fixture
		if strings.HasPrefix(rt.pattern, "POST") {
			// A POST route gets a practice of its own, so what one caller
			// changes cannot change another's answer.
			f = newFixture(t)
			cookies = f.sessions()
			own = append(own, f)
		}
		for i, a := range actors {
			if rt.pattern == "POST /patients/{patient}/team/{user}/remove" && i > 0 {
				f = newFixture(t) // a removal succeeds once: each caller tries on a fresh team
				cookies = f.sessions()
				own = append(own, f)
			}
			f.remote = fmt.Sprintf("198.51.100.%d:4000", i+1) // callers come from their own addresses
			method, path, form := f.target(rt.pattern)
			r := f.do(method, path, form, cookies[a])
			if r.status != want[a] {
				t.Errorf("%s as %s = %d, want %d", rt.pattern, a, r.status, want[a])
			}
			if r.status == http.StatusSeeOther && want[a] == http.StatusSeeOther && (a == "anon") {
				if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "/login") {
					t.Errorf("%s as anon redirects to %q, want /login", rt.pattern, loc)
				}
			}
			if r.status == http.StatusSeeOther && a == "half" && want[a] == 303 && !strings.HasPrefix(rt.pattern, "POST /logout") {
				if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "/login/mfa") {
					t.Errorf("%s half-signed-in redirects to %q, want the second-factor page", rt.pattern, loc)
				}
			}
			if !strings.Contains(sees[a], "A") && strings.Contains(r.body, canaryA) {
				t.Errorf("%s as %s (status %d) shows patient A's name", rt.pattern, a, r.status)
			}
			if !strings.Contains(sees[a], "B") && strings.Contains(r.body, canaryB) {
				t.Errorf("%s as %s (status %d) shows patient B's name", rt.pattern, a, r.status)
			}
		}
		for _, o := range own {
			o.st.Close()
		}
	}
	for pattern := range policy {
		found := false
		for _, rt := range shared.srv.routeTable() {
			found = found || rt.pattern == pattern
		}
		if !found {
			t.Errorf("policy table row %q matches no route", pattern)
		}
	}
}

// TestForeignAndMissingPatients checks that a patient not on the caller's
// team and a patient that does not exist get the same answer.
func TestForeignAndMissingPatients(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ who, id string }{
		{"thea", f.pB.ID}, {"rex", f.pB.ID}, {"theo", f.pA.ID}, {"thea", "no-such-patient"}, {"admin", "no-such-patient"},
	} {
		tok := f.signIn(actorEmail[tt.who])
		r := f.do("GET", "/patients/"+tt.id, nil, tok)
		if r.status != http.StatusNotFound {
			t.Errorf("GET /patients/%s as %s = %d, want 404", tt.id, tt.who, r.status)
		}
		if strings.Contains(r.body, canaryA) || strings.Contains(r.body, canaryB) {
			t.Errorf("GET /patients/%s as %s shows a patient's name", tt.id, tt.who)
		}
		for _, p := range []string{"/team", "/invite"} {
			if r := f.do("POST", "/patients/"+tt.id+p, url.Values{"user_id": {f.users["theo@example.org"].ID}}, tok); r.status != http.StatusNotFound {
				t.Errorf("POST /patients/%s%s as %s = %d, want 404", tt.id, p, tt.who, r.status)
			}
		}
	}
}
