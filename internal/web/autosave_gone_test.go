package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestAutosaveClientGoneIsNotAnError: a background save (a note's, a
// check-in's) whose client went away while it was being saved (the page
// was closed: its context is cancelled) saves nothing and is logged at
// INFO as abandoned, never at ERROR: a client that goes away is not a
// failure of the server (issue 18).
func TestAutosaveClientGoneIsNotAnError(t *testing.T) {
	for _, c := range []struct {
		name string
		save func(f *webtest.Fixture) (path string, form url.Values, cookie string)
	}{
		{"note", func(f *webtest.Fixture) (string, url.Values, string) {
			id := store.NewID()
			at := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }
			if _, err := f.RawDB().Exec(`INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at) VALUES ($1, $2, 'preparation', $3, 50, $4, $4, $5)`,
				id, f.PA.ID, at(f.Now.Add(-time.Hour)), f.Users["thea@example.org"].ID, at(f.Now.Add(-48*time.Hour))); err != nil {
				t.Fatal(err)
			}
			form := url.Values{"format": {"dap"}, "version": {"0"}, "section_data": {"Typed as the tab closed."}, "autosave": {"1"}}
			return "/patients/" + f.PA.ID + "/appointments/" + id + "/note", form, f.SignIn("thea@example.org")
		}},
		{"check-in", func(f *webtest.Fixture) (string, url.Values, string) {
			f.Assign("phq9", "weekly")
			return "/portal/checkins/phq9", url.Values{"action": {"save"}, "autosave": {"1"}, "phq9_1": {"2"}}, f.SignIn("pat@example.org")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The store's last look at the clock in a save is in the
			// save itself: count the looks in a save that succeeds, then
			// in another practice make the client go away at that one.
			looks := 0
			f := webtest.NewFixture(t)
			path, form, cookie := c.save(f)
			f.St.Now = func() time.Time { looks++; return f.Now }
			if r := f.Do("POST", path, form, cookie); r.Status != http.StatusOK || !strings.Contains(r.Body, `"saved":true`) {
				t.Fatalf("the save = %d %s; want it saved", r.Status, r.Body)
			}

			f = webtest.NewFixture(t)
			path, form, cookie = c.save(f)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			calls := 0
			f.St.Now = func() time.Time {
				if calls++; calls == looks {
					cancel()
				}
				return f.Now
			}
			r := f.DoContext(ctx, "POST", path, form, cookie)
			var out struct{ Saved bool }
			if err := json.Unmarshal([]byte(r.Body), &out); err != nil || out.Saved || r.Status != http.StatusServiceUnavailable {
				t.Errorf("a save whose client went away = %d %s; want the save's JSON: 503, not saved", r.Status, r.Body)
			}
			logs := f.Logs.String()
			if strings.Contains(logs, `"level":"ERROR"`) {
				t.Errorf("a client that went away was logged as an error:\n%s", logs)
			}
			if !strings.Contains(logs, "abandoned by its client") {
				t.Errorf("a client that went away was not logged as abandoned:\n%s", logs)
			}
		})
	}
}
