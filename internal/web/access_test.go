package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// The actors of the route matrix.
var actors = []string{"anon", "half", "pA", "pB", "thea", "theo", "rex", "admin"}

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
// in the test; {sid}, {device}, {grant} and {token} do not exist.
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
	"POST /account/devices/{device}/forget":       m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /account/devices/forget-all":            m(303, 303, 303, 303, 303, 303, 303, 303),
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
	"GET /admin/audit/witness":                   m(303, 303, 404, 404, 404, 404, 404, 200),
	"POST /admin/audit/witness":                  m(303, 303, 404, 404, 404, 404, 404, 303), // empty form: nothing set, nothing changed
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

	// The website and the inquiry
	// form and inbox ({page} and {inquiry} do not exist; {user} is nomfa, a
	// therapist). An empty inquiry form is refused at its fields (422), also
	// for signed-in callers.
	"GET /about":                        m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /services":                     m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /what-to-expect":               m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /is-kap-right":                 m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /fees":                         m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /contact":                      m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /admin/site":                   m(303, 303, 404, 404, 404, 404, 404, 200),
	"GET /admin/site/pages/{page}":      m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /admin/site/pages/{page}":     m(303, 303, 404, 404, 404, 404, 404, 404),
	"GET /admin/site/team/{user}":       m(303, 303, 404, 404, 404, 404, 404, 200),
	"POST /admin/site/team/{user}":      m(303, 303, 404, 404, 404, 404, 404, 303), // a hidden profile, slug from the name
	"GET /account/profile":              m(303, 303, 404, 404, 200, 200, 200, 200),
	"POST /account/profile":             m(303, 303, 404, 404, 303, 303, 303, 303),
	"GET /inquiry":                      m(200, 200, 200, 200, 200, 200, 200, 200),
	"POST /inquiry":                     m(422, 422, 422, 422, 422, 422, 422, 422),
	"GET /inquiry/thanks":               m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /inquiries":                    m(303, 303, 404, 404, 200, 200, 200, 200), // rex is told who answers them
	"GET /inquiries/{inquiry}":          m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /inquiries/{inquiry}/status":  m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /inquiries/{inquiry}/convert": m(303, 303, 404, 404, 404, 404, 404, 404),

	// The blog. {slug}, {tag},
	// {author}, {image} and {post} stay literal in the URL, so they name
	// nothing: public pages answer 404, the editor 404 to staff.
	"GET /blog":                 m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /blog/{slug}":          m(404, 404, 404, 404, 404, 404, 404, 404),
	"GET /blog/tag/{tag}":       m(404, 404, 404, 404, 404, 404, 404, 404),
	"GET /blog/author/{author}": m(404, 404, 404, 404, 404, 404, 404, 404),
	"GET /media/{image}":        m(404, 404, 404, 404, 404, 404, 404, 404),
	"GET /site/posts":           m(303, 303, 404, 404, 200, 200, 200, 200),
	"GET /site/posts/new":       m(303, 303, 404, 404, 200, 200, 200, 200),
	"GET /site/posts/{post}":    m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /site/posts":          m(303, 303, 404, 404, 422, 422, 422, 422), // no title
	"POST /site/posts/{post}":   m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /site/images":         m(303, 303, 404, 404, 422, 422, 422, 422), // no image

	// The session safety settings:
	// prescribers change them, administrators read them; an empty form is
	// refused at its fields.
	"GET /settings/dosing":  m(303, 303, 404, 404, 404, 404, 200, 200),
	"POST /settings/dosing": m(303, 303, 404, 404, 404, 404, 422, 404),

	// The preparation record.
	"GET /portal/preparation":              m(303, 303, 200, 200, 404, 404, 404, 404),
	"POST /portal/preparation":             m(303, 303, 303, 303, 404, 404, 404, 404), // an empty form saves nothing
	"POST /patients/{patient}/preparation": m(303, 303, 404, 404, 303, 404, 303, 404), // likewise

	// The prescription record:
	// only rex, the prescriber on patient A's team, may write; an
	// empty form is refused at its fields (422), and thea, A's therapist, gets
	// the same 404 as anyone else.
	"POST /patients/{patient}/prescription":        m(303, 303, 404, 404, 404, 404, 422, 404),
	"POST /patients/{patient}/prescription/adjust": m(303, 303, 404, 404, 404, 404, 422, 404),
	"POST /patients/{patient}/prescription/end":    m(303, 303, 404, 404, 404, 404, 422, 404),

	// Outcomes: the
	// follow-up window is an admin's (an empty form is refused at the fields).
	"POST /outcomes/window": m(303, 303, 404, 404, 404, 404, 404, 422),

	// The integration journal:
	// the patient's own pages only. GET /portal/journal/entry without an id,
	// and POST /portal/journal with nothing written, save nothing.
	"GET /portal/journal":       m(303, 303, 200, 200, 404, 404, 404, 404),
	"GET /portal/journal/new":   m(303, 303, 200, 200, 404, 404, 404, 404),
	"GET /portal/journal/entry": m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /portal/journal":      m(303, 303, 422, 422, 404, 404, 404, 404),
}

// TestRouteAccessMatrix walks every route in routes.go for every kind of
// caller and checks the answer against the policy table, and that no answer
// shows a patient the caller may not see.
func TestRouteAccessMatrix(t *testing.T) {
	shared := webtest.NewFixture(t) // GET routes change nothing and share one practice
	sharedCookies := shared.Sessions()
	for _, rt := range shared.Srv.RouteTable() {
		want, ok := policy[rt.Pattern]
		if !ok {
			t.Errorf("route %q has no row in the policy table", rt.Pattern)
			continue
		}
		f, cookies := shared, sharedCookies
		// Practices made for one route are closed when it is done, so a
		// long table does not hold a database connection per route.
		var own []*webtest.Fixture
		if strings.HasPrefix(rt.Pattern, "POST") {
			// A POST route gets a practice of its own, so what one caller
			// changes cannot change another's answer.
			f = webtest.NewFixture(t)
			cookies = f.Sessions()
			own = append(own, f)
		}
		for i, a := range actors {
			if rt.Pattern == "POST /patients/{patient}/team/{user}/remove" && i > 0 {
				f = webtest.NewFixture(t) // a removal succeeds once: each caller tries on a fresh team
				cookies = f.Sessions()
				own = append(own, f)
			}
			f.Remote = fmt.Sprintf("198.51.100.%d:4000", i+1) // callers come from their own addresses
			method, path, form := f.Target(rt.Pattern)
			r := f.Do(method, path, form, cookies[a])
			if r.Status != want[a] {
				t.Errorf("%s as %s = %d, want %d", rt.Pattern, a, r.Status, want[a])
			}
			if r.Status == http.StatusSeeOther && want[a] == http.StatusSeeOther && (a == "anon") {
				if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/login") {
					t.Errorf("%s as anon redirects to %q, want /login", rt.Pattern, loc)
				}
			}
			if r.Status == http.StatusSeeOther && a == "half" && want[a] == 303 && !strings.HasPrefix(rt.Pattern, "POST /logout") {
				if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/login/mfa") {
					t.Errorf("%s half-signed-in redirects to %q, want the second-factor page", rt.Pattern, loc)
				}
			}
			if !strings.Contains(sees[a], "A") && strings.Contains(r.Body, webtest.CanaryA) {
				t.Errorf("%s as %s (status %d) shows patient A's name", rt.Pattern, a, r.Status)
			}
			if !strings.Contains(sees[a], "B") && strings.Contains(r.Body, webtest.CanaryB) {
				t.Errorf("%s as %s (status %d) shows patient B's name", rt.Pattern, a, r.Status)
			}
		}
		for _, o := range own {
			o.St.Close()
		}
	}
	for pattern := range policy {
		found := false
		for _, rt := range shared.Srv.RouteTable() {
			found = found || rt.Pattern == pattern
		}
		if !found {
			t.Errorf("policy table row %q matches no route", pattern)
		}
	}
}

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
