package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestJournalPrivateNeverReachesStaff: a private entry's text appears in no
// staff response (every GET page, the chart included, for every staff
// member, the audit log too) nor in the logs; a shared entry appears on the
// chart and its timeline for the care team only, and leaves it when made private again.
func TestJournalPrivateNeverReachesStaff(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	const private, shared = "PRIVATE-canary-4417 my own words", "SHARED-canary-9052 for my therapist"
	session := f.InsertDosingSession(f.PA.ID, "discharged", f.Now.Add(-48*time.Hour))
	if r := f.Do("POST", "/portal/journal", url.Values{"answer_stood_out": {private}}, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("POST the private entry = %d", r.Status)
	}
	r := f.Do("POST", "/portal/journal", url.Values{"session": {session}, "answer_feelings": {shared}, "shared": {"yes"}}, pat)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST the shared entry = %d", r.Status)
	}
	sharedID := strings.TrimPrefix(r.Header.Get("Location"), "/portal/journal?done=shared#entry-")

	staff := map[string]string{}
	for _, who := range []string{"thea", "theo", "rex", "admin"} {
		staff[who] = f.SignIn(webtest.ActorEmail[who])
	}
	for _, rt := range f.Srv.RouteTable() {
		if !strings.HasPrefix(rt.Pattern, "GET ") {
			continue
		}
		_, path, _ := f.Target(rt.Pattern)
		for who, tok := range staff {
			r := f.Do("GET", path, nil, tok)
			if strings.Contains(r.Body, "PRIVATE-canary") {
				t.Errorf("GET %s as %s (status %d) shows the private entry", path, who, r.Status)
			}
			if strings.Contains(r.Body, "SHARED-canary") && !((path == "/patients/"+f.PA.ID || path == "/patients/"+f.PA.ID+"/timeline") && (who == "thea" || who == "rex")) {
				t.Errorf("GET %s as %s (status %d) shows the shared entry", path, who, r.Status)
			}
		}
	}
	for _, who := range []string{"thea", "rex"} {
		chart := f.Do("GET", "/patients/"+f.PA.ID, nil, staff[who])
		if !strings.Contains(chart.Body, shared) || !strings.Contains(chart.Body, "What feelings are still with you?") || !strings.Contains(chart.Body, `id="journal"`) {
			t.Errorf("the chart as %s lacks the shared entry", who)
		}
	}
	if strings.Contains(f.Logs.String(), "canary-") {
		t.Error("the logs hold journal text")
	}

	// Made private again, it leaves the chart.
	if r := f.Do("POST", "/portal/journal", url.Values{"entry": {sharedID}, "answer_feelings": {shared}}, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("POST making the entry private = %d", r.Status)
	}
	if chart := f.Do("GET", "/patients/"+f.PA.ID, nil, staff["thea"]); strings.Contains(chart.Body, "canary-") || !strings.Contains(chart.Body, "No shared entries.") {
		t.Error("the chart still shows the entry after the patient made it private")
	}
}
