package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/suitelog"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// ownedParams are the path parameters that name something one user owns
// (not a patient's record): a session, a remembered device, a time off, a
// blog post, a personal API token. The route-access matrix tries them only with ids that do not
// exist; this test tries every route that takes one with thea's real
// object, as every other signed-in caller, and as thea.
var ownedParams = []string{"sid", "device", "off", "post", "apitoken"}

// TestOthersOwnedObjects: a route on something a user owns refuses every
// other caller with the same 404 as a missing id and leaves the object as
// it was; the owner (and, for a post, an admin, who edits the blog) is
// served. The routes come from the route table: a new route with one of
// these parameters is tried without being listed here.
func TestOthersOwnedObjects(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	thea := f.As("thea@example.org")
	theaID := thea.UserID

	// thea's objects.
	f.SignIn("thea@example.org") // a second session of hers, to be ended by no one else
	sessions, err := f.St.ListSessions(ctx, theaID)
	if err != nil || len(sessions) == 0 {
		t.Fatalf("thea's sessions: %v, %v", sessions, err)
	}
	dev, _, err := f.St.RememberDevice(ctx, thea, "", "owned-test-device-hash", "Firefox")
	if err != nil {
		t.Fatal(err)
	}
	off := &store.TimeOff{Start: f.Now.Add(48 * time.Hour), End: f.Now.Add(50 * time.Hour), Note: "Conference"}
	if err := f.St.AddTimeOff(ctx, thea, off); err != nil {
		t.Fatal(err)
	}
	post := &store.Post{Title: "Thea's draft", Body: "Words.", Status: store.PostDraft}
	if err := f.St.SavePost(ctx, thea, post); err != nil {
		t.Fatal(err)
	}
	apiToken, apiTokenRec, err := f.St.CreateAPIToken(ctx, thea, store.APITokenInput{Label: "Thea's script", Scope: store.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{"sid": sessions[0].PublicID, "device": dev.ID, "off": off.ID, "post": post.ID, "apitoken": apiTokenRec.ID}
	intact := map[string]func() bool{
		"sid": func() bool {
			list, _ := f.St.ListSessions(ctx, theaID)
			return slices.ContainsFunc(list, func(s *store.Session) bool { return s.PublicID == ids["sid"] })
		},
		"device": func() bool {
			list, _ := f.St.ListDevices(ctx, theaID)
			return slices.ContainsFunc(list, func(d *store.Device) bool { return d.ID == ids["device"] })
		},
		"off": func() bool {
			list, _ := f.St.TimeOffList(ctx, thea)
			return slices.ContainsFunc(list, func(o store.TimeOff) bool { return o.ID == ids["off"] })
		},
		"post": func() bool {
			p, err := f.St.Post(ctx, thea, ids["post"])
			return err == nil && p.Title == "Thea's draft"
		},
		"apitoken": func() bool {
			_, err := f.St.AuthenticateAPIToken(ctx, apiToken)
			return err == nil
		},
	}
	// Who besides the owner is served: an admin edits every post, and
	// may revoke anyone's API token.
	alsoServed := map[string][]string{"post": {"admin@example.org"}, "apitoken": {"admin@example.org"}}

	others := []string{"admin@example.org", "theo@example.org", "rex@example.org", "pat@example.org", "bea@example.org"}
	cookies := map[string]string{}
	for _, who := range append(others, "thea@example.org") {
		cookies[who] = f.SignIn(who)
	}
	routes, tried := 0, 0
	for _, rt := range f.Srv.RouteTable() {
		var param string
		for _, p := range ownedParams {
			if strings.Contains(rt.Pattern, "{"+p+"}") {
				param = p
			}
		}
		if param == "" {
			continue
		}
		routes++
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = strings.ReplaceAll(path, "{"+param+"}", ids[param])
		var form url.Values
		if method == http.MethodPost {
			form = url.Values{}
		}
		for _, who := range others {
			if slices.Contains(alsoServed[param], who) {
				continue
			}
			r := f.Do(method, path, form, cookies[who])
			tried++
			if r.Status != http.StatusNotFound {
				t.Errorf("%s with thea's %s, as %s = %d, want 404", rt.Pattern, param, who, r.Status)
			}
			if strings.Contains(r.Body, "Thea's draft") || strings.Contains(r.Body, "Conference") {
				t.Errorf("%s with thea's %s, as %s, shows it", rt.Pattern, param, who)
			}
			if !intact[param]() {
				t.Fatalf("%s as %s changed thea's %s", rt.Pattern, who, param)
			}
		}
		if method == http.MethodGet {
			r := f.Do(method, path, nil, cookies["thea@example.org"])
			tried++
			if r.Status != http.StatusOK {
				t.Errorf("%s as its owner = %d, want 200", rt.Pattern, r.Status)
			}
		}
	}
	// A patient's calendar file of another patient's appointment: the same
	// 404 as a missing one (the matrix asks only "not a server error" of a
	// route without a patient in its path).
	for _, pt := range []struct{ owner, self, other string }{
		{"thea@example.org", "pat@example.org", "bea@example.org"},
		{"theo@example.org", "bea@example.org", "pat@example.org"},
	} {
		patient := f.PA
		if pt.self == "bea@example.org" {
			patient = f.PB
		}
		ap := &store.Appointment{Kind: "integration", StartsAt: f.Now.Add(72 * time.Hour), Minutes: 60}
		if err := f.St.CreateAppointment(ctx, f.As(pt.owner), patient.ID, ap); err != nil {
			t.Fatal(err)
		}
		target := "/portal/appointments/" + ap.ID + "/ics"
		if r := f.Do("GET", target, nil, cookies[pt.self]); r.Status != http.StatusOK || !strings.Contains(r.Body, "BEGIN:VEVENT") {
			t.Errorf("%s's own appointment as a calendar file = %d", pt.self, r.Status)
		}
		r := f.Do("GET", target, nil, cookies[pt.other])
		tried += 2
		if r.Status != http.StatusNotFound || strings.Contains(r.Body, "VEVENT") {
			t.Errorf("%s's appointment as a calendar file, as %s = %d, want 404 and nothing of it", pt.self, pt.other, r.Status)
		}
	}
	if routes < len(ownedParams) {
		t.Errorf("only %d routes take %v: the route table changed, check this test", routes, ownedParams)
	}
	suitelog.Count(t, "owned objects: %d routes on a user's own session, device, time off or post × %d other callers: %d requests", routes, len(others), tried)
}
