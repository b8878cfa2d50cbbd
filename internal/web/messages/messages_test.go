package messages_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// send posts a message form and returns the response.
func send(f *webtest.Fixture, path, cookie, subject, body string) webtest.Response {
	f.T.Helper()
	form := url.Values{"body": {body}}
	if subject != "" {
		form.Set("subject", subject)
	}
	return f.Do("POST", path, form, cookie)
}

// follow GETs where a 303 points.
func follow(f *webtest.Fixture, r webtest.Response, cookie string) webtest.Response {
	f.T.Helper()
	if r.Status != http.StatusSeeOther {
		f.T.Fatalf("status %d, want 303; body %.300s", r.Status, r.Body)
	}
	to, _, _ := strings.Cut(r.Header.Get("Location"), "#") // a browser never sends the fragment
	return f.Do("GET", to, nil, cookie)
}

var threadRE = regexp.MustCompile(`/portal/messages/([A-Za-z0-9]+)`)

func countMessages(t *testing.T, f *webtest.Fixture) int {
	t.Helper()
	var n int
	if err := f.RawDB().QueryRow(`SELECT count(*) FROM messages`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// hasNotice checks the page carries the not-for-emergencies notice with
// 988 (call and text) and 911 as tap links.
func hasNotice(t *testing.T, what string, r webtest.Response) {
	t.Helper()
	if r.Status != http.StatusOK && r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("%s: status %d", what, r.Status)
	}
	main := r.Body[strings.Index(r.Body, "<main"):strings.Index(r.Body, "</main>")]
	for _, want := range []string{"Messages are not for emergencies", `href="tel:988"`, `href="sms:988"`, `href="tel:911"`} {
		if !strings.Contains(main, want) {
			t.Errorf("%s: the page's content lacks %q", what, want)
		}
	}
}

// TestMessagesConversation: the patient starts a thread, a clinician on the
// team reads it from the inbox and replies, the patient sees it unread in
// the navigation; every page carries the notice.
func TestMessagesConversation(t *testing.T) {
	f := webtest.NewFixture(t)
	pat, thea, rex := f.SignIn("pat@example.org"), f.SignIn("thea@example.org"), f.SignIn("rex@example.org")
	hasNotice(t, "empty portal list", f.Do("GET", "/portal/messages", nil, pat))
	r := send(f, "/portal/messages", pat, "Dose question", "Can I take ibuprofen the day before?")
	page := follow(f, r, pat)
	hasNotice(t, "portal thread", page)
	if !strings.Contains(page.Body, `id="sent"`) || !strings.Contains(page.Body, "Your message was sent.") || !strings.Contains(page.Body, "Can I take ibuprofen") {
		i := strings.Index(page.Body, "<main")
		t.Fatalf("after sending: %s", page.Body[i:])
	}
	if strings.Contains(page.Body, `role="alert" id="sent"`) {
		t.Error("an ordinary message shows crisis help")
	}
	thread := threadRE.FindStringSubmatch(r.Header.Get("Location"))[1]

	// Staff: the nav count, the inbox, the thread.
	home := f.Do("GET", "/patients", nil, thea)
	if !strings.Contains(home.Body, `href="/messages" class="nav-with-count">Messages <span class="nav-count">1 new</span>`) {
		t.Errorf("thea's navigation lacks the unread count: %.3000s", home.Body)
	}
	inbox := f.Do("GET", "/messages", nil, thea)
	hasNotice(t, "staff inbox", inbox)
	link := "/patients/" + f.PA.ID + "/messages/" + thread
	if !strings.Contains(inbox.Body, link) || !strings.Contains(inbox.Body, webtest.CanaryA+": Dose question") || !strings.Contains(inbox.Body, "1 new") || !strings.Contains(inbox.Body, "not answered yet") {
		t.Fatalf("inbox: %.3000s", inbox.Body)
	}
	if theo := f.Do("GET", "/messages", nil, f.SignIn("theo@example.org")); strings.Contains(theo.Body, "Dose question") {
		t.Error("theo, not on A's team, sees A's thread in his inbox")
	}
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, `href="/patients/`+f.PA.ID+`/messages"`) {
		t.Error("the chart has no link to the patient's messages")
	}
	list := f.Do("GET", "/patients/"+f.PA.ID+"/messages", nil, thea)
	hasNotice(t, "staff patient list", list)
	if !strings.Contains(list.Body, link) {
		t.Error("the patient's messages page does not link the thread")
	}
	st := f.Do("GET", link, nil, thea)
	hasNotice(t, "staff thread", st)
	if strings.Contains(st.Body, `nav-count`) {
		t.Error("the staff thread page counts the thread it shows as unread")
	}
	if !strings.Contains(st.Body, "Can I take ibuprofen") || !strings.Contains(st.Body, "no one on the team has answered yet") {
		t.Fatalf("staff thread: %.3000s", st.Body)
	}
	rr := send(f, link, thea, "", "Please skip it that day; we will talk Thursday.")
	if after := follow(f, rr, thea); !strings.Contains(after.Body, "Your message was sent.") || !strings.Contains(after.Body, "answered by Thea") {
		t.Errorf("after thea's reply: %.3000s", after.Body)
	}
	if in := f.Do("GET", "/messages", nil, rex); !strings.Contains(in.Body, "answered by Thea") || !strings.Contains(in.Body, "1 new") {
		t.Errorf("rex's inbox does not show who answered, or his own unread: %.3000s", in.Body)
	}

	// The patient: one unread in the navigation, "New" on the reply,
	// then read.
	ph := f.Do("GET", "/portal", nil, pat)
	if !strings.Contains(ph.Body, `href="/portal/messages" class="nav-with-count">Messages <span class="nav-count">1 new<`) {
		t.Errorf("the patient's navigation lacks the unread count")
	}
	pt := f.Do("GET", "/portal/messages/"+thread, nil, pat)
	if !strings.Contains(pt.Body, "Please skip it that day") || !strings.Contains(pt.Body, `badge-info">New<`) {
		t.Errorf("patient's thread: %.3000s", pt.Body)
	}
	// The thread page reads in one view and marks the thread read when
	// it closes; its own navigation already counts it read.
	if strings.Contains(pt.Body, `nav-count`) {
		t.Error("the thread page counts the thread it shows as unread")
	}
	if ph := f.Do("GET", "/portal", nil, pat); strings.Contains(ph.Body, `nav-count`) {
		t.Error("the unread count stays after reading")
	}
	// A sent= link to someone else's message never says "sent".
	var staffMsg string
	if err := f.RawDB().QueryRow(`SELECT id FROM messages WHERE NOT from_patient`).Scan(&staffMsg); err != nil {
		t.Fatal(err)
	}
	if p := f.Do("GET", "/portal/messages/"+thread+"?sent="+staffMsg, nil, pat); strings.Contains(p.Body, "was sent") {
		t.Error("the page says sent of a message the reader did not send")
	}
}

// TestMessagesOtherPatient404: a patient can neither read nor post to
// another patient's thread, by any path; nothing is saved; staff off the
// team and admins are refused too.
func TestMessagesOtherPatient404(t *testing.T) {
	f := webtest.NewFixture(t)
	bea := f.SignIn("bea@example.org")
	r := send(f, "/portal/messages", bea, "Private", "Bea-Secret-4471")
	thread := threadRE.FindStringSubmatch(r.Header.Get("Location"))[1]
	before := countMessages(t, f)
	pat := f.SignIn("pat@example.org")
	for _, c := range []struct{ who, method, path string }{
		{pat, "GET", "/portal/messages/" + thread},
		{pat, "POST", "/portal/messages/" + thread},
		{pat, "GET", "/patients/" + f.PB.ID + "/messages/" + thread},
		{pat, "POST", "/patients/" + f.PB.ID + "/messages/" + thread},
		{f.SignIn("thea@example.org"), "GET", "/patients/" + f.PB.ID + "/messages/" + thread},
		{f.SignIn("thea@example.org"), "POST", "/patients/" + f.PB.ID + "/messages/" + thread},
		{f.SignIn("thea@example.org"), "GET", "/patients/" + f.PA.ID + "/messages/" + thread},
		{f.SignIn("thea@example.org"), "POST", "/patients/" + f.PA.ID + "/messages/" + thread},
		{f.SignIn("admin@example.org"), "GET", "/patients/" + f.PB.ID + "/messages/" + thread},
	} {
		var got webtest.Response
		if c.method == "POST" {
			got = send(f, c.path, c.who, "", "intruding")
		} else {
			got = f.Do("GET", c.path, nil, c.who)
		}
		if got.Status != http.StatusNotFound || strings.Contains(got.Body, "Bea-Secret-4471") || strings.Contains(got.Body, webtest.CanaryB) {
			t.Errorf("%s %s = %d, want 404 with nothing of Bea's", c.method, c.path, got.Status)
		}
	}
	if n := countMessages(t, f); n != before {
		t.Fatalf("messages %d -> %d: a refused post was saved", before, n)
	}
}

// TestMessagesBadInput: an empty or too long message comes back at its
// field with what was typed, nothing sent.
func TestMessagesBadInput(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	r := send(f, "/portal/messages", pat, "Kept subject", "   ")
	hasNotice(t, "empty message", r)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="message-body-error"`) || !strings.Contains(r.Body, `value="Kept subject"`) || strings.Contains(r.Body, "was sent") {
		t.Fatalf("empty message = %d: %.2000s", r.Status, r.Body)
	}
	long := strings.Repeat("word ", store.MaxMessage/5+1)
	r = send(f, "/portal/messages", pat, "Long", long)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "too long") || !strings.Contains(r.Body, strings.TrimSpace(long)) {
		t.Fatalf("long message = %d", r.Status)
	}
	if n := countMessages(t, f); n != 0 {
		t.Fatalf("%d messages saved from bad input", n)
	}
	ok := send(f, "/portal/messages", pat, "Fine", "Fine")
	thread := threadRE.FindStringSubmatch(ok.Header.Get("Location"))[1]
	r = send(f, "/portal/messages/"+thread, pat, "", "")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="message-body-error"`) || !strings.Contains(r.Body, "Your reply is not sent yet") || !strings.Contains(r.Body, "data-error-summary") {
		t.Fatalf("empty reply = %d", r.Status)
	}
	hasNotice(t, "empty reply", r)
}

// TestMessagesRiskWords: a patient's message with words of acute risk is
// sent, the page after sending shows crisis help at once (988 call, text
// and chat, 911, the practice's phone), and the team has a review alert.
func TestMessagesRiskWords(t *testing.T) {
	f := webtest.NewFixture(t)
	// The practice's phone, as the practice page saves it (only the
	// setting matters here).
	if _, err := f.RawDB().Exec(`INSERT INTO practice_settings (key, value, updated_at) VALUES ('practice_phone', '+1 555 010 7788', CURRENT_TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	pat := f.SignIn("pat@example.org")
	r := send(f, "/portal/messages", pat, "Tonight", "I don't think I can keep going. I want to END my life.")
	page := follow(f, r, pat)
	for _, want := range []string{`role="alert" id="sent"`, "Your message was sent.", `href="tel:988"`, `href="sms:988"`, `href="https://988lifeline.org/chat/"`, `href="tel:911"`, `href="tel:&#43;15550107788"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the page after a risk message lacks %q", want)
		}
	}
	if countMessages(t, f) != 1 {
		t.Fatal("the risk message was not saved")
	}
	alerts := f.OpenAlerts()
	if len(alerts) != 1 || alerts[0].Source != "message" || !strings.Contains(alerts[0].Signal, "end my life") {
		t.Fatalf("alerts = %+v", alerts)
	}
	thea := f.SignIn("thea@example.org")
	if c := f.Do("GET", "/patients", nil, thea); !strings.Contains(c.Body, "Safety alerts") {
		t.Error("the caseload lacks the review alert")
	}
	thread := threadRE.FindStringSubmatch(r.Header.Get("Location"))[1]
	if st := f.Do("GET", "/patients/"+f.PA.ID+"/messages/"+thread, nil, thea); !strings.Contains(st.Body, "Words of acute risk: review alert raised") {
		t.Error("the staff thread does not mark the risk message")
	}
	// Reloading later without ?sent= shows the plain thread.
	if again := f.Do("GET", "/portal/messages/"+thread, nil, pat); strings.Contains(again.Body, `role="alert" id="sent"`) {
		t.Error("crisis help shows on a plain visit")
	}
}

// setPracticePhone saves the practice's phone (only the setting matters
// here).
func setPracticePhone(t *testing.T, f *webtest.Fixture) {
	t.Helper()
	if _, err := f.RawDB().Exec(`INSERT INTO practice_settings (key, value, updated_at) VALUES ('practice_phone', '+1 555 010 7788', CURRENT_TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
}

// TestMessagesRefusedRiskShowsHelp: a patient's message that cannot be
// sent (too long, no body) but holds words of acute risk, in its subject
// or body, still shows crisis help at once (988 call, text and chat, 911,
// the practice's phone), says it was not sent, keeps what was typed, and
// raises no alert; a refused message without such words shows none.
func TestMessagesRefusedRiskShowsHelp(t *testing.T) {
	f := webtest.NewFixture(t)
	setPracticePhone(t, f)
	pat := f.SignIn("pat@example.org")
	long := "I want to end it all. " + strings.Repeat("word ", store.MaxMessage/5+1)
	ok := send(f, "/portal/messages", pat, "Fine", "Fine")
	thread := threadRE.FindStringSubmatch(ok.Header.Get("Location"))[1]
	before := countMessages(t, f)
	for _, c := range []struct {
		name, path, subject, body, kept string
	}{
		{"new thread, too long", "/portal/messages", "Tonight", long, "I want to end it all."},
		{"new thread, risk in the subject, no body", "/portal/messages", "I don't want to live anymore", "", `value="I don&#39;t want to live anymore"`},
		{"reply, too long", "/portal/messages/" + thread, "", long, "I want to end it all."},
	} {
		r := send(f, c.path, pat, c.subject, c.body)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: status %d, want 422", c.name, r.Status)
		}
		for _, want := range []string{`role="alert" id="risk-help"`, "not sent yet", `href="tel:988"`, `href="sms:988"`, `href="https://988lifeline.org/chat/"`, `href="tel:911"`, `href="tel:&#43;15550107788"`, c.kept} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("%s: the page lacks %q", c.name, want)
			}
		}
		if strings.Contains(r.Body, "was sent") {
			t.Errorf("%s: the page says the refused message was sent", c.name)
		}
	}
	if n := countMessages(t, f); n != before {
		t.Errorf("messages %d -> %d: a refused message was saved", before, n)
	}
	if a := f.OpenAlerts(); len(a) != 0 {
		t.Errorf("a refused message raised alerts: %+v", a)
	}
	// No risk words: no crisis card, only the errors.
	if r := send(f, "/portal/messages", pat, "Long", strings.Repeat("word ", store.MaxMessage/5+1)); r.Status != http.StatusUnprocessableEntity || strings.Contains(r.Body, `id="risk-help"`) {
		t.Errorf("a refused plain message = %d, shows crisis help: %v", r.Status, strings.Contains(r.Body, `id="risk-help"`))
	}
}

// TestMessagesInboxHugePage: a page number whose offset would overflow is
// page 1, never an error.
func TestMessagesInboxHugePage(t *testing.T) {
	f := webtest.NewFixture(t)
	send(f, "/portal/messages", f.SignIn("pat@example.org"), "Dose question", "x")
	thea := f.SignIn("thea@example.org")
	for _, page := range []string{"368934881474191034", "10002", "99999999999999999999999"} {
		r := f.Do("GET", "/messages?page="+page, nil, thea)
		if r.Status != http.StatusOK || strings.Contains(r.Body, "Page "+page) || !strings.Contains(r.Body, "Dose question") {
			t.Errorf("?page=%s = %d; want page 1", page, r.Status)
		}
	}
}

// TestMessagesThreadTitle: the subject is the thread's heading, not the
// page's title (kept in the browser's history).
func TestMessagesThreadTitle(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	r := send(f, "/portal/messages", pat, "Subject-Private-5521", "Hello")
	thread := threadRE.FindStringSubmatch(r.Header.Get("Location"))[1]
	for who, path := range map[string]string{
		pat:                          "/portal/messages/" + thread,
		f.SignIn("thea@example.org"): "/patients/" + f.PA.ID + "/messages/" + thread,
	} {
		p := f.Do("GET", path, nil, who)
		_, title, _ := strings.Cut(p.Body, "<title>")
		title, _, _ = strings.Cut(title, "</title>")
		if strings.Contains(title, "Subject-Private") || !strings.HasPrefix(title, "Conversation") {
			t.Errorf("%s: title %q, want Conversation without the subject", path, title)
		}
		if !strings.Contains(p.Body, `<h1 id="thread-title">Subject-Private-5521</h1>`) {
			t.Errorf("%s: the subject is not the heading", path)
		}
	}
}

// TestMessagesInboxRiskBadge: the inbox and the patient's threads page
// mark a thread that holds a risk message even after a later "sorry,
// ignore that".
func TestMessagesInboxRiskBadge(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	r := send(f, "/portal/messages", pat, "Tonight", "I want to die.")
	thread := threadRE.FindStringSubmatch(r.Header.Get("Location"))[1]
	send(f, "/portal/messages/"+thread, pat, "", "Sorry, ignore that.")
	thea := f.SignIn("thea@example.org")
	for _, path := range []string{"/messages", "/patients/" + f.PA.ID + "/messages"} {
		if p := f.Do("GET", path, nil, thea); !strings.Contains(p.Body, "Words of risk") {
			t.Errorf("%s lacks the risk badge after a later message", path)
		}
	}
}
