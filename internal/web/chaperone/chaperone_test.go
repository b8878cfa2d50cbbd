package chaperone_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

var linkRE = regexp.MustCompile(`/chaperone/([A-Za-z0-9_-]{43})`)

// remoteSession inserts a remote session of patientID dosed at f.Now.
func remoteSession(t *testing.T, f *webtest.Fixture, patientID string) string {
	t.Helper()
	id := f.InsertDosingSession(patientID, "dosed", f.Now.Add(-30*time.Minute))
	if _, err := f.RawDB().Exec(`UPDATE dosing_sessions SET remote = TRUE, chaperone = 'Sam Lee' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestChaperoneLinkFlow: the clinician makes a link (shown to copy, never
// said to be sent); the chaperone's page, with no account, names the
// patient by first name only, sets no cookie and keeps the token out of
// referrers and caches; a check-in needs its three answers; "need help
// now" shows on the clinician's session page and caseload at once; the
// link reaches no other page (staff, portal, FHIR, another session); wrong
// links are rate-limited; closing the session ends the link.
func TestChaperoneLinkFlow(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	a := remoteSession(t, f, f.PA.ID)
	b := remoteSession(t, f, f.PB.ID)
	thea, theo := f.SignIn("thea@example.org"), f.SignIn("theo@example.org")
	session := "/patients/" + f.PA.ID + "/dosing/" + a

	if r := f.Do("POST", session+"/chaperone", url.Values{}, theo); r.Status != http.StatusNotFound {
		t.Errorf("a therapist off the care team makes a link: %d, want 404", r.Status)
	}
	r := f.Do("POST", session+"/chaperone", url.Values{}, thea)
	m := linkRE.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil || !strings.Contains(r.Body, "kapstone has not sent it") || strings.Contains(strings.ToLower(r.Body), "link sent") {
		t.Fatalf("make a link: %d, want the link to copy, not said to be sent:\n%s", r.Status, r.Body)
	}
	token := m[1]
	page := "/chaperone/" + token
	rb, err := f.St.CreateChaperoneLink(ctx, f.As("theo@example.org"), f.PB.ID, b)
	if err != nil {
		t.Fatal(err)
	}

	r = f.Do("GET", page, nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("chaperone page: %d", r.Status)
	}
	for _, want := range []string{"Alice", "911", `href="tel:911"`, "Need help now", "Sam Lee", "Check-in every 15 minutes"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the chaperone page lacks %q", want)
		}
	}
	for _, not := range []string{"Canary-Alpha", webtest.CanaryB, `href="/patients`, `action="/logout"`} {
		if strings.Contains(r.Body, not) {
			t.Errorf("the chaperone page shows %q", not)
		}
	}
	if r.Header.Get("Set-Cookie") != "" || r.Header.Get("Referrer-Policy") != "no-referrer" || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: Set-Cookie %q, Referrer-Policy %q, Cache-Control %q; want none, no-referrer, no-store", r.Header.Get("Set-Cookie"), r.Header.Get("Referrer-Policy"), r.Header.Get("Cache-Control"))
	}

	// A check-in needs its three answers.
	r = f.Do("POST", page+"/check", url.Values{"responsive": {"yes"}}, "")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "are they breathing normally?") {
		t.Errorf("a half check-in: %d, want 422 with the question", r.Status)
	}
	f.Now = f.Now.Add(10 * time.Minute)
	r = f.Do("POST", page+"/check", url.Values{"responsive": {"yes"}, "breathing": {"yes"}, "concern": {"no"}, "client_id": {"c1"}}, "")
	if r.Status != http.StatusSeeOther {
		t.Fatalf("check-in: %d", r.Status)
	}
	loc, _, _ := strings.Cut(r.Header.Get("Location"), "#")
	if r = f.Do("GET", loc, nil, ""); !strings.Contains(r.Body, "Check-in saved") || !strings.Contains(r.Body, "Your check-in. Responsive: yes.") {
		t.Errorf("after a check-in the page lacks it")
	}
	if s := f.Do("GET", session, nil, thea); !strings.Contains(s.Body, "Chaperone&#39;s check-in") || strings.Contains(s.Body, `id="chaperone-alarm"`) {
		t.Errorf("the session page lacks the check-in, or shows an alarm")
	}

	// Need help now: on the session page (an open one learns of it from
	// its watch, without a reload) and the caseload at once.
	alarm := session + "/chaperone/alarm"
	if r := f.Do("GET", alarm, nil, thea); r.Status != http.StatusOK || !strings.Contains(r.Body, `"alarm":""`) {
		t.Errorf("the watch before any alarm: %d %s", r.Status, r.Body)
	}
	if r = f.Do("POST", page+"/help", url.Values{"client_id": {"h1"}}, ""); r.Status != http.StatusSeeOther {
		t.Fatalf("help: %d", r.Status)
	}
	if r := f.Do("GET", alarm, nil, thea); r.Status != http.StatusOK || !strings.Contains(r.Body, `"kind":"help"`) {
		t.Errorf("the watch after help now: %d %s", r.Status, r.Body)
	}
	if r := f.Do("GET", alarm, nil, theo); r.Status != http.StatusNotFound {
		t.Errorf("the watch as a therapist off the care team: %d, want 404", r.Status)
	}
	if s := f.Do("GET", session, nil, thea); !strings.Contains(s.Body, `id="chaperone-watch"`) {
		t.Errorf("the session page of a live link has no watch")
	}
	if s := f.Do("GET", session, nil, thea); !strings.Contains(s.Body, `id="chaperone-alarm"`) || !strings.Contains(s.Body, "The chaperone asked for help now") {
		t.Errorf("the session page does not show the help request")
	}
	if s := f.Do("GET", "/patients", nil, thea); !strings.Contains(s.Body, "The chaperone asked for help now") {
		t.Errorf("the caseload does not show the help request")
	}
	if d := f.Session(session); len(d.Events) != 2 {
		t.Errorf("A's timeline has %d events, want the check-in and the help request", len(d.Events))
	}

	// The link reaches nothing else: not as a cookie, a bearer token, or
	// in another page's path.
	for _, tc := range []struct{ method, path, cookie, auth string }{
		{"GET", session, token, ""},
		{"GET", "/patients/" + f.PB.ID + "/dosing/" + b, token, ""},
		{"GET", "/patients/" + f.PA.ID, token, ""},
		{"GET", "/patients", token, ""},
		{"GET", "/portal", token, ""},
		{"GET", "/portal/appointments", token, ""},
		{"GET", "/fhir/Patient", "", "Bearer " + token},
		{"GET", "/fhir/Patient/" + f.PA.ID, "", "Bearer " + token},
		{"GET", "/calendar/" + token, "", ""},
		{"GET", "/reset/" + token, "", ""},
	} {
		var hdr []string
		if tc.auth != "" {
			hdr = []string{"Authorization", tc.auth}
		}
		r := f.Do(tc.method, tc.path, nil, tc.cookie, hdr...)
		if r.Status == http.StatusOK || strings.Contains(r.Body, "Canary") {
			t.Errorf("%s %s with the chaperone's token: %d, want refused", tc.method, tc.path, r.Status)
		}
	}
	if d, err := f.St.DosingSessionFor(ctx, f.As("theo@example.org"), f.PB.ID, b); err != nil || len(d.Events) != 0 {
		t.Errorf("B's session has %d events from A's link", len(d.Events))
	}
	if r := f.Do("GET", "/chaperone/"+rb, nil, ""); !strings.Contains(r.Body, "Bruno") || strings.Contains(r.Body, "Alice") {
		t.Error("B's link does not show B's page alone")
	}

	// The session page's card: the link is live; revoking it ends it; a
	// session in the clinic gets no link, with the reason.
	if s := f.Do("GET", session, nil, thea); !strings.Contains(s.Body, "A link is live") || !strings.Contains(s.Body, "Make a new link") {
		t.Errorf("the session page's chaperone card does not show the live link")
	}
	pc := f.AddPatient("Cleo Local", "cleo@example.org", "thea@example.org")
	local := f.InsertDosingSession(pc.ID, "gate", f.Now)
	if r := f.Do("POST", "/patients/"+pc.ID+"/dosing/"+local+"/chaperone", url.Values{}, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "for a session at home") || linkRE.MatchString(r.Body) {
		t.Errorf("a link for a session in the clinic: %d, want 422 with the reason and no link", r.Status)
	}
	second := linkRE.FindStringSubmatch(f.Do("POST", session+"/chaperone", url.Values{}, thea).Body)
	if second == nil {
		t.Fatal("no second link")
	}
	if r := f.Do("GET", page, nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("the first link after a second was made: %d, want 404", r.Status)
	}
	if r := f.Do("POST", session+"/chaperone/revoke", url.Values{}, thea); r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "done=chaperone") {
		t.Errorf("revoke: %d %s", r.Status, r.Header.Get("Location"))
	}
	if s := f.Do("GET", session+"?done=chaperone", nil, thea); !strings.Contains(s.Body, "Chaperone link revoked") || !strings.Contains(s.Body, "The last link no longer works") {
		t.Errorf("after revoking, the session page does not say so")
	}
	if r := f.Do("GET", "/chaperone/"+second[1], nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("a revoked link: %d, want 404", r.Status)
	}
	token = linkRE.FindStringSubmatch(f.Do("POST", session+"/chaperone", url.Values{}, thea).Body)[1]
	page = "/chaperone/" + token

	// Wrong links: refused, then rate-limited by address.
	f.Remote = "203.0.113.50:1234"
	var last int
	for i := 0; i < 21; i++ {
		last = f.Do("GET", "/chaperone/"+strings.Repeat("x", 42)+string(rune('a'+i)), nil, "").Status
		if i < 20 && last != http.StatusNotFound {
			t.Fatalf("wrong link %d: %d, want 404", i, last)
		}
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("the 21st wrong link: %d, want 429", last)
	}
	f.Remote = ""

	// Closed (late, six hours on): the link stops working.
	f.Now = f.Now.Add(7 * time.Hour)
	if r := f.Do("POST", session+"/stop", url.Values{"stop_reason": {"Patient went home with their ride."}}, f.SignIn("thea@example.org")); r.Status != http.StatusSeeOther {
		t.Fatalf("close the session: %d %s", r.Status, r.Body)
	}
	if r := f.Do("GET", page, nil, ""); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "does not work any more") || !strings.Contains(r.Body, "call 911") {
		t.Errorf("the link after the session ended: %d, want 404 saying so", r.Status)
	}
	if r := f.Do("POST", page+"/help", url.Values{}, ""); r.Status != http.StatusNotFound {
		t.Errorf("help after the session ended: %d, want 404", r.Status)
	}
}

// TestChaperonePageEscapesAndAuditsOnce: what others typed (the
// appointment's chaperone name, the patient's support person and ride,
// the chaperone's own note) is shown as text, never markup; a view of the
// page is one write transaction with one audit row naming the patient and
// the session (as every page view, TestEveryPageViewOneAuditRow).
func TestChaperonePageEscapesAndAuditsOnce(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	const payload = `<img src=x onerror=alert(1)>"'><script>alert(2)</script>`
	id := remoteSession(t, f, f.PA.ID)
	if _, err := f.RawDB().Exec(`UPDATE dosing_sessions SET chaperone = $1 WHERE id = $2`, "Sam "+payload, id); err != nil {
		t.Fatal(err)
	}
	if err := f.St.SavePreparation(ctx, f.As("thea@example.org"), f.PA.ID, store.Preparation{SupportName: "Kim " + payload, RideHome: "Bus " + payload}); err != nil {
		t.Fatal(err)
	}
	token, err := f.St.CreateChaperoneLink(ctx, f.As("thea@example.org"), f.PA.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	page := "/chaperone/" + token
	f.Now = f.Now.Add(5 * time.Minute)
	if r := f.Do("POST", page+"/check", url.Values{"responsive": {"yes"}, "breathing": {"yes"}, "concern": {"yes"}, "note": {"Note " + payload}}, ""); r.Status != http.StatusSeeOther {
		t.Fatalf("check-in: %d %s", r.Status, r.Body)
	}
	seq := lastAudit(t, f)
	_, w0 := f.St.Transactions()
	r := f.Do("GET", page, nil, "")
	_, w1 := f.St.Transactions()
	for _, bad := range []string{"<img src=x", "<script>alert", "onerror=alert(1)>"} {
		if strings.Contains(r.Body, bad) {
			t.Errorf("the page shows %q as markup", bad)
		}
	}
	for _, want := range []string{"Sam &lt;img", "Kim &lt;img", "Bus &lt;img", "Note &lt;img"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the page lacks %q (escaped)", want)
		}
	}
	if w1-w0 != 1 {
		t.Errorf("a view took %d write transactions, want 1", w1-w0)
	}
	if _, err := f.St.SealAuditWait(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := f.RawDB().Query(`SELECT action, patient_id, object_id FROM audit_events WHERE seq > $1 ORDER BY seq`, seq)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var action, patient, object string
		if err := rows.Scan(&action, &patient, &object); err != nil {
			t.Fatal(err)
		}
		got = append(got, action+" "+patient+" "+object)
	}
	if len(got) != 1 || got[0] != "chaperone.read "+f.PA.ID+" "+id {
		t.Errorf("a view's audit rows = %q, want one chaperone.read of the patient's session", got)
	}
}

func lastAudit(t *testing.T, f *webtest.Fixture) int64 {
	t.Helper()
	if _, err := f.St.SealAuditWait(context.Background()); err != nil {
		t.Fatal(err)
	}
	var seq int64
	if err := f.RawDB().QueryRow(`SELECT coalesce(max(seq), 0) FROM audit_events`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	return seq
}

// sentMail keeps what a mail server was asked to send.
type sentMail struct{ to, subject, body []string }

func (m *sentMail) Send(_ context.Context, to []string, subject, body string) error {
	m.to, m.subject, m.body = append(m.to, strings.Join(to, ",")), append(m.subject, subject), append(m.body, body)
	return nil
}

// TestChaperoneLinkEmail: with the chaperone's address the link is
// emailed when a mail server is set up (the practice's name and the link,
// nothing about the patient), and the page says so; without one (the
// development outbox) it is not emailed and the page says that; a bad
// address makes no link.
func TestChaperoneLinkEmail(t *testing.T) {
	f := webtest.NewFixture(t)
	remoteSession(t, f, f.PA.ID)
	var id string
	if err := f.RawDB().QueryRow(`SELECT id FROM dosing_sessions WHERE patient_id = $1`, f.PA.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	thea := f.SignIn("thea@example.org")
	makeLink := func(email string) webtest.Response {
		return f.Do("POST", "/patients/"+f.PA.ID+"/dosing/"+id+"/chaperone", url.Values{"chaperone_email": {email}}, thea)
	}
	r := makeLink("sam@example.org")
	if !strings.Contains(r.Body, "It was not emailed: no email server is set up") || !linkRE.MatchString(r.Body) {
		t.Errorf("without a mail server: the page does not say the link was not emailed, with the link:\n%s", r.Body)
	}
	if r := makeLink("not an address"); r.Status != http.StatusUnprocessableEntity || linkRE.MatchString(r.Body) || !strings.Contains(r.Body, "No link was made") {
		t.Errorf("a bad address: %d, want 422 and no link", r.Status)
	}
	m := &sentMail{}
	f.Srv.Config.Mailer, f.Srv.OutboxOnly = m, false
	r = makeLink("sam@example.org")
	link := linkRE.FindString(r.Body)
	if !strings.Contains(r.Body, "It was emailed to sam@example.org") || link == "" {
		t.Fatalf("with a mail server: the page does not say it was emailed:\n%s", r.Body)
	}
	if len(m.body) != 1 || m.to[0] != "sam@example.org" || !strings.Contains(m.body[0], link) || !strings.Contains(m.body[0], "call 911") || strings.Contains(m.body[0], "Alice") || strings.Contains(m.subject[0], "Alice") {
		t.Errorf("the email: to %q, subject %q, body %q; want the link and 911, no patient name", m.to, m.subject, m.body)
	}
	if rows := f.AuditRows("chaperone.email"); len(rows) != 1 || rows[0].Detail != "sent" || strings.Contains(rows[0].Detail, "sam@") {
		t.Errorf("the email's audit rows = %+v, want one, sent, without the address", rows)
	}
}
