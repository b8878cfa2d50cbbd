package account_test

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

var feedLinkRE = regexp.MustCompile(`value="https?://[^"]*(/calendar/[A-Za-z0-9_-]+)"`)

// TestCalendarFeed: a clinician makes a private feed link, shown once; a
// calendar app fetches it without signing in and gets their appointments
// (a real iCalendar parser reads it) with initials and kind only, never a
// name; each fetch is audited; a new link or turning it off kills the old.
func TestCalendarFeed(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	at := f.Now.Add(26 * time.Hour).Truncate(time.Hour)
	if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, &store.Appointment{Kind: "preparation", StartsAt: at, Minutes: 50}); err != nil {
		t.Fatal(err)
	}
	if err := f.St.CreateAppointment(ctx, f.As("theo@example.org"), f.PB.ID, &store.Appointment{Kind: "integration", StartsAt: at, Minutes: 50}); err != nil {
		t.Fatal(err)
	}
	thea := f.SignIn("thea@example.org")
	if r := f.Do("GET", "/account", nil, thea); !strings.Contains(r.Body, "Make my calendar link") {
		t.Fatal("the account page does not offer a calendar feed")
	}
	r := f.Do("POST", "/account/calendar", nil, thea)
	m := feedLinkRE.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("make feed = %d, no link shown", r.Status)
	}
	link := m[1]
	if again := f.Do("GET", "/account", nil, thea); strings.Contains(again.Body, link) || !strings.Contains(again.Body, "not fetched yet") {
		t.Error("the account page shows the link again, or not that the feed is on")
	}

	feed := f.Do("GET", link, nil, "")
	if feed.Status != http.StatusOK || !strings.HasPrefix(feed.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed = %d %q", feed.Status, feed.Header.Get("Content-Type"))
	}
	if feed.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("feed Cache-Control = %q", feed.Header.Get("Cache-Control"))
	}
	cal, err := goical.NewDecoder(bytes.NewReader([]byte(feed.Body))).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the feed: %v\n%s", err, feed.Body)
	}
	ev := cal.Events()
	if len(ev) != 1 {
		t.Fatalf("%d events, want thea's one", len(ev))
	}
	if s, _ := ev[0].Props.Text(goical.PropSummary); s != "A. C. · Preparation" {
		t.Errorf("SUMMARY = %q, want initials and kind", s)
	}
	if start, err := ev[0].DateTimeStart(time.UTC); err != nil || !start.Equal(at) {
		t.Errorf("DTSTART = %v, %v; want %v", start, err, at)
	}
	for _, leak := range []string{webtest.CanaryA, "Alice", "Canary", "pat@example.org", webtest.CanaryB} {
		if strings.Contains(feed.Body, leak) {
			t.Errorf("the feed contains %q", leak)
		}
	}
	// One row for the fetch, and one for the one patient it showed, so
	// that patient's access report lists it.
	if rows := f.AuditRows("calendar.feed.read"); len(rows) != 2 || rows[0].PatientID != f.PA.ID || rows[1].PatientID != "" {
		t.Errorf("calendar.feed.read audit rows = %+v, want one for patient A and one for the fetch", rows)
	}
	if acct := f.Do("GET", "/account", nil, thea); !strings.Contains(acct.Body, "last fetched") {
		t.Error("the account page does not say when the feed was last fetched")
	}

	// A new link replaces the old at once; turning it off kills the new.
	r = f.Do("POST", "/account/calendar", nil, thea)
	m2 := feedLinkRE.FindStringSubmatch(r.Body)
	if m2 == nil || m2[1] == link {
		t.Fatal("no new link")
	}
	if old := f.Do("GET", link, nil, ""); old.Status != http.StatusNotFound {
		t.Errorf("the replaced link = %d, want 404", old.Status)
	}
	if cur := f.Do("GET", m2[1], nil, ""); cur.Status != http.StatusOK {
		t.Errorf("the new link = %d, want 200", cur.Status)
	}
	if off := f.Do("POST", "/account/calendar/revoke", nil, thea); off.Status != http.StatusSeeOther {
		t.Fatalf("turn off = %d", off.Status)
	}
	if cur := f.Do("GET", m2[1], nil, ""); cur.Status != http.StatusNotFound {
		t.Errorf("the link after turning the feed off = %d, want 404", cur.Status)
	}
	// A disabled account's feed stops too.
	r = f.Do("POST", "/account/calendar", nil, f.SignIn("theo@example.org"))
	m3 := feedLinkRE.FindStringSubmatch(r.Body)
	if m3 == nil {
		t.Fatal("no link for theo")
	}
	if err := f.St.SetUserDisabled(ctx, f.As("admin@example.org"), f.Users["theo@example.org"].ID, true); err != nil {
		t.Fatal(err)
	}
	if cur := f.Do("GET", m3[1], nil, ""); cur.Status != http.StatusNotFound {
		t.Errorf("a disabled clinician's feed = %d, want 404", cur.Status)
	}
}

func TestInitials(t *testing.T) {
	for in, want := range map[string]string{"Jordan Lee": "J. L.", "Alice Canary-Alpha": "A. C.", "Mary Ann de la Cruz": "M. C.", "Cher": "C.", "  ": "?", "élodie ötzi": "É. Ö.", "'Sam' O'Neil": "S. O."} {
		if got := store.Initials(in); got != want {
			t.Errorf("Initials(%q) = %q, want %q", in, got, want)
		}
	}
}
