package timeline_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

const timelinePrivate = "PRIVATE-timeline-canary-5521"

// TestChartTimelinePage: the care team sees the patient's shared entry and
// sessions on the timeline (never the private entry), marks one discussed
// and undoes it with plain forms, pages to older items, and the caseload
// badge for the new shared entry goes when it is discussed; anyone else
// is told the page does not exist.
func TestChartTimelinePage(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	pat := f.As("pat@example.org")
	if _, err := f.St.SaveJournalEntry(ctx, pat, f.PA.ID, store.JournalInput{Answers: map[string]string{"stood_out": timelinePrivate}}); err != nil {
		t.Fatal(err)
	}
	shared, err := f.St.SaveJournalEntry(ctx, pat, f.PA.ID, store.JournalInput{Answers: map[string]string{"carry": "Calling my sister on Sundays."}, Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	// 30 sessions, so the timeline has an older page.
	for i := range 30 {
		f.InsertDosingSession(f.PA.ID, "stopped", f.Now.Add(-time.Duration(i+1)*24*time.Hour))
	}
	thea := f.SignIn("thea@example.org")
	base := "/patients/" + f.PA.ID + "/timeline"

	caseload := f.Do("GET", "/patients", nil, thea)
	if !strings.Contains(caseload.Body, `<span class="badge badge-info">1 new shared entry</span>`) {
		t.Errorf("caseload lacks the new shared entry badge:\n%s", caseload.Body)
	}
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, `href="`+base+`">Timeline</a>`) {
		t.Errorf("the chart does not link to the timeline")
	}

	page := f.Do("GET", base, nil, thea)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "Calling my sister on Sundays.") || strings.Contains(page.Body, timelinePrivate) ||
		!strings.Contains(page.Body, `id="item-journal-`+shared+`"`) || !strings.Contains(page.Body, ">Mark discussed</button>") ||
		!strings.Contains(page.Body, "Stopped before the dose") || !strings.Contains(page.Body, ">Older</a>") {
		t.Fatalf("GET timeline = %d, want the shared entry and sessions, never the private entry, and an older page:\n%s", page.Status, page.Body)
	}
	webtest.CheckShell(t, "timeline", page)
	if n := strings.Count(page.Body, `class="ct-item`); n != 25 {
		t.Errorf("first page has %d items, want 25", n)
	}
	older := page.Body[strings.Index(page.Body, `<nav class="pager"`):]
	href := older[strings.Index(older, `href="`)+6:]
	href = strings.ReplaceAll(href[:strings.Index(href, `"`)], "&amp;", "&")
	next := f.Do("GET", href, nil, thea)
	if n := strings.Count(next.Body, `class="ct-item`); next.Status != http.StatusOK || n != 6 || strings.Contains(next.Body, ">Older</a>") {
		t.Errorf("GET %s = %d with %d items, want the 6 older ones and no further page", href, next.Status, n)
	}
	only := f.Do("GET", base+"?kind=journal", nil, thea)
	if n := strings.Count(only.Body, `class="ct-item`); n != 1 {
		t.Errorf("kind=journal shows %d items, want 1", n)
	}

	// Mark discussed, then undo.
	r := f.Do("POST", base+"/discussed", url.Values{"kind": {"journal"}, "item": {shared}, "back_kind": {"journal"}}, thea)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != base+"?kind=journal#item-journal-"+shared {
		t.Fatalf("POST discussed = %d %q", r.Status, r.Header.Get("Location"))
	}
	rex := f.SignIn("rex@example.org")
	page = f.Do("GET", base, nil, rex)
	if !strings.Contains(page.Body, `<span class="badge-good">Discussed</span> <span class="meta">by Thea Therapist on `) || !strings.Contains(page.Body, ">Undo</button>") {
		t.Errorf("the timeline does not show thea's mark to rex:\n%s", page.Body)
	}
	if caseload := f.Do("GET", "/patients", nil, thea); strings.Contains(caseload.Body, "new shared entr") {
		t.Errorf("caseload still shows the discussed entry as new")
	}
	if r := f.Do("POST", base+"/discussed", url.Values{"kind": {"journal"}, "item": {shared}, "undo": {"1"}}, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("POST undo = %d", r.Status)
	}
	if page = f.Do("GET", base, nil, thea); strings.Contains(page.Body, "badge-good") {
		t.Errorf("the mark is still shown after undo")
	}

	// Bad posts: no item is a 422, not a 500; another patient's item 404.
	if r := f.Do("POST", base+"/discussed", url.Values{}, thea); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("POST without an item = %d, want 422", r.Status)
	}
	other := f.InsertDosingSession(f.PB.ID, "stopped", f.Now)
	if r := f.Do("POST", base+"/discussed", url.Values{"kind": {"dosing"}, "item": {other}}, thea); r.Status != http.StatusNotFound {
		t.Errorf("POST another patient's item = %d, want 404", r.Status)
	}

	// Off the care team: not found.
	for _, who := range []string{"theo@example.org", "admin@example.org", "bea@example.org"} {
		c := f.SignIn(who)
		if r := f.Do("GET", base, nil, c); r.Status != http.StatusNotFound || strings.Contains(r.Body, "Calling my sister") {
			t.Errorf("GET timeline as %s = %d, want 404", who, r.Status)
		}
		if r := f.Do("POST", base+"/discussed", url.Values{"kind": {"journal"}, "item": {shared}}, c); r.Status != http.StatusNotFound {
			t.Errorf("POST discussed as %s = %d, want 404", who, r.Status)
		}
	}
}

// TestTimelineMessagesAndSkills: the patient's message and shared skills
// entry are on the timeline (a private skills entry never is) and on the
// caseload as "1 unread message" and "1 new shared skills entry"; the
// message badge goes once thea reads the conversation, the skills badge
// once she marks the entry discussed.
func TestTimelineMessagesAndSkills(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	pat := f.As("pat@example.org")
	th, err := f.St.StartThread(ctx, pat, f.PA.ID, store.MessageInput{Subject: "This week", Body: "The breathing exercise helped on Monday."})
	if err != nil {
		t.Fatal(err)
	}
	today := f.Now.Format(time.DateOnly)
	if _, err := f.St.SaveSkillEntry(ctx, pat, f.PA.ID, store.SkillInput{Kind: clinic.SkillEmotion, Today: today,
		Form: url.Values{"feeling": {"ashamed"}, "intensity": {"60"}, "message": {timelinePrivate}}}); err != nil {
		t.Fatal(err)
	}
	entry, err := f.St.SaveSkillEntry(ctx, pat, f.PA.ID, store.SkillInput{Kind: clinic.SkillOptions, Today: today, Shared: true,
		Form: url.Values{"problem": {"Noise from the flat upstairs"}, "choice": {"solve"}, "first_step": {"A note under their door"}}})
	if err != nil {
		t.Fatal(err)
	}
	thea := f.SignIn("thea@example.org")
	base := "/patients/" + f.PA.ID

	caseload := f.Do("GET", "/patients", nil, thea)
	for _, badge := range []string{">1 unread message</span>", ">1 new shared skills entry</span>"} {
		if !strings.Contains(caseload.Body, badge) {
			t.Errorf("the caseload lacks %q", badge)
		}
	}
	page := f.Do("GET", base+"/timeline", nil, thea)
	for _, want := range []string{
		"Message from the patient", "The breathing exercise helped on Monday.", `href="` + base + `/messages/` + th.ThreadID + `"`,
		"Four options: Noise from the flat upstairs", `href="` + base + `/skills/` + entry + `"`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the timeline lacks %q", want)
		}
	}
	if strings.Contains(page.Body, timelinePrivate) || strings.Contains(page.Body, "Feeling ashamed") {
		t.Error("the timeline shows the private skills entry")
	}

	if r := f.Do("GET", base+"/messages/"+th.ThreadID, nil, thea); r.Status != http.StatusOK {
		t.Fatalf("thea opens the conversation: %d", r.Status)
	}
	if r := f.Do("POST", base+"/timeline/discussed", url.Values{"kind": {"skill"}, "item": {entry}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("mark the skills entry discussed: %d", r.Status)
	}
	caseload = f.Do("GET", "/patients", nil, thea)
	if strings.Contains(caseload.Body, "unread message") || strings.Contains(caseload.Body, "new shared skills entr") {
		t.Error("the caseload still shows the read message or the discussed entry")
	}
}
