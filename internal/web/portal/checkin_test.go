package portal_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
	"github.com/kapstone/kapstone/internal/web"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestCheckinItem9Alert: a patient answers PHQ-9 with item 9 = 1; the
// response page shows the crisis lines; the therapist's caseload shows an
// open alert; acknowledging it records who and when. No email is set up,
// and none of this depends on it.
func TestCheckinItem9Alert(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/measures", url.Values{"instrument": {"phq9"}, "cadence": {"weekly"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("assign PHQ-9 = %d", r.Status)
	}
	pat := f.SignIn("pat@example.org")
	if r := f.Do("GET", "/portal/checkins", nil, pat); !strings.Contains(r.Body, "/portal/checkins/phq9") || !strings.Contains(r.Body, "To do now") {
		t.Fatal("the assigned PHQ-9 is not due in the portal")
	}
	form := f.Do("GET", "/portal/checkins/phq9", nil, pat)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, "Thoughts that you would be better off dead") {
		t.Fatalf("PHQ-9 form = %d, want the item wording", form.Status)
	}
	r := f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 0, 1), pat)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `href="tel:988"`) || !strings.Contains(r.Body, `href="tel:911"`) || !strings.Contains(r.Body, "care team has been alerted") {
		t.Fatalf("item 9 = 1 = %d, want the crisis page with 988 and 911", r.Status)
	}
	caseload := f.Do("GET", "/patients", nil, thea)
	if !strings.Contains(caseload.Body, "Safety alerts") || !strings.Contains(caseload.Body, webtest.CanaryA) {
		t.Fatal("the therapist's caseload does not show the open alert")
	}
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	id := regexp.MustCompile(`/alerts/([0-9a-z]+)/acknowledge`).FindStringSubmatch(chart.Body)
	if id == nil {
		t.Fatal("chart has no acknowledge form")
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/alerts/"+id[1]+"/acknowledge", url.Values{"ack_note": {"Called; safe; plan reviewed."}, "seen": {webtest.SeenOf(chart.Body)}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("acknowledge = %d", r.Status)
	}
	rows := f.AuditRows("alert.acknowledge")
	if len(rows) != 1 || rows[0].ActorID != f.Users["thea@example.org"].ID || rows[0].At.IsZero() {
		t.Fatalf("acknowledgement audit = %+v, want thea with a time", rows)
	}
	if r := f.Do("GET", "/patients", nil, thea); strings.Contains(r.Body, "Safety alerts") {
		t.Error("alert still open after acknowledgement")
	}
	raised := f.AuditRows("alert.raise")
	if len(raised) != 1 || raised[0].Detail != "source=phq9" {
		t.Errorf("alert.raise rows = %+v, want one from phq9", raised)
	}
}

// TestCheckinResumeValidateImmutable: a partial check-in is kept and
// resumed; a wrong or missing answer is refused at the question with the
// others kept; a completed check-in is scored (the database's refusal to
// change it is tested in the store).
func TestCheckinResumeValidateImmutable(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Assign("phq9", "weekly")
	pat := f.SignIn("pat@example.org")
	partial := url.Values{"action": {"save"}, "phq9_1": {"2"}, "phq9_2": {"1"}}
	if r := f.Do("POST", "/portal/checkins/phq9", partial, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("save partial = %d", r.Status)
	}
	resumed := f.Do("GET", "/portal/checkins/phq9", nil, pat)
	if !regexp.MustCompile(`name="phq9_1" value="2" checked`).MatchString(resumed.Body) {
		t.Error("resumed check-in lost the saved answer")
	}
	bad := url.Values{"action": {"complete"}, "phq9_1": {"2"}, "phq9_2": {"7"}}
	r := f.Do("POST", "/portal/checkins/phq9", bad, pat)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "not one of the choices") {
		t.Fatalf("out-of-range answer = %d, want 422 at the question", r.Status)
	}
	missing := url.Values{"action": {"complete"}, "phq9_1": {"2"}}
	r = f.Do("POST", "/portal/checkins/phq9", missing, pat)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Choose an answer") || !regexp.MustCompile(`name="phq9_1" value="2" checked`).MatchString(r.Body) {
		t.Fatalf("incomplete PHQ-9 = %d, want 422 keeping the answers", r.Status)
	}
	if r := f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 2, 0), pat); r.Status != http.StatusSeeOther {
		t.Fatalf("complete = %d", r.Status)
	}
	m, err := f.St.FindMeasures(context.Background(), f.As("pat@example.org"), f.PA.ID)
	if err != nil || len(m.Checkins) != 1 || m.Checkins[0].Total != 16 || m.Checkins[0].Band != "Moderately severe" || len(m.InProgress) != 0 {
		t.Fatalf("after completing: %+v, %v; want one check-in scored 16 (moderately severe)", m, err)
	}
	// The patient sees it on their progress page, in plain words.
	if r := f.Do("GET", "/portal/progress", nil, pat); !strings.Contains(r.Body, "Your first PHQ-9 score is 16") || !strings.Contains(r.Body, "<svg") {
		t.Error("progress page lacks the score in plain words or the chart")
	}
}

// TestOutcomesDashboardOnDemo: the dashboard's rates on the demo practice
// match a hand computation from the demo's PHQ-9 trajectories, per course
// with the 4–12-week follow-up window (scores weekly, the last this week):
//
//	Riley 21→8 (follow-up this week, 5 weeks after the baseline): response, reliable improvement
//	Robin 17→16 (4 weeks, the window's first day): no response
//	Morgan 16→3, Taylor 22→4: response, remission, reliable improvement
//	Quinn 15 sixteen weeks ago, 16 the week after: the window closed empty — no follow-up
//	Jordan (a week of scores) and Casey (one score): still waiting
//	Dana 9→3: below caseness, not counted
//
// so response 3/4 = 75% (Wilson 95% CI 30–95%), remission 2/4 = 50%; and
// counting Quinn as not improved, response 3/5 = 60% (23–88%).
func TestOutcomesDashboardOnDemo(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	logins, err := demo.Seed(ctx, st, t.TempDir(), webtest.Cheap)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.NewServer(web.DefaultConfig(), st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// The partner prescriber is on the care team of every demo patient
	// with scores, so sees their per-course figures; the administrator has
	// no caseload and sees only aggregates, small cells hidden.
	session := func(email string, role clinic.Role) string {
		u, _, err := st.FindUserByEmail(ctx, email)
		if err != nil || u.Role != role {
			t.Fatalf("demo %s = %v, %v", role, u, err)
		}
		token := auth.NewToken()
		now := time.Now().UTC()
		sess := &store.Session{IDHash: auth.HashToken(token), User: u, MFADone: true, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := st.StartSession(ctx, store.Actor{UserID: u.ID, Role: u.Role}, "", sess, store.Entry{Action: "login.success"}); err != nil {
			t.Fatal(err)
		}
		return token
	}
	as := func(token string) func(string) (int, string) {
		return func(path string) (int, string) {
			req := httptest.NewRequest("GET", path, nil)
			req.AddCookie(&http.Cookie{Name: srv.CookieName(), Value: token})
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			return rec.Code, rec.Body.String()
		}
	}
	admin := as(session(logins[0].Email, clinic.RoleAdmin))
	get := as(session("priya.natarajan@riverbend-medical.example", clinic.RolePrescriber))
	status, body := get("/outcomes")
	if status != http.StatusOK {
		t.Fatalf("GET /outcomes = %d", status)
	}
	rowOf := func(name string) []string {
		return regexp.MustCompile(`(?s)<th scope="row">` + regexp.QuoteMeta(name) + `</th><td[^>]*>(\d+)</td>\s*<td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>.*?</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>`).FindStringSubmatch(body)
	}
	row := rowOf("All courses")
	if row == nil {
		t.Fatal("dashboard has no All courses row")
	}
	if row[1] != "4" || !strings.Contains(row[2], "<strong>75%</strong>") || !strings.Contains(row[2], "3/4, 95% CI 30–95%") || !strings.Contains(row[3], "<strong>50%</strong>") || !strings.Contains(row[3], "2/4") || row[4] != "-11.2" || row[5] != "1" {
		t.Errorf("All courses row = %q / %q / %q / %q / %q; want 4 courses, response 3/4 = 75%% (30–95%%), remission 2/4 = 50%%, mean change (−13 −1 −13 −18)/4 = −11.2, 1 without a follow-up", row[1], row[2], row[3], row[4], row[5])
	}
	itt := rowOf("All courses, intention to treat")
	if itt == nil {
		t.Fatal("dashboard has no intention-to-treat row")
	}
	if itt[1] != "5" || !strings.Contains(itt[2], "3/5, 95% CI 23–88%") || !strings.Contains(itt[3], "2/5") || !strings.Contains(itt[5], "1 counted as not improved") {
		t.Errorf("intention-to-treat row = %q / %q / %q / %q; want 5 courses, response 3/5 (23–88%%), remission 2/5, 1 counted as not improved", itt[1], itt[2], itt[3], itt[5])
	}
	for id, want := range map[string]string{"count-missing": "<strong>1</strong> course without", "count-pending": "<strong>2</strong> courses still waiting", "count-below": "<strong>1</strong> course started below 10"} {
		if !regexp.MustCompile(`id="`+id+`"><strong>`).MatchString(body) || !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q (%s)", want, id)
		}
	}
	if !strings.Contains(body, "17/24, 95% CI 51–85%") || !strings.Contains(body, "after the sixth infusion") {
		t.Error("the literature figure lacks its own 95% interval (51–85%) or its time point (after the sixth infusion)")
	}
	status, csvBody := get("/outcomes.csv")
	if status != http.StatusOK {
		t.Fatalf("GET /outcomes.csv = %d", status)
	}
	phq := 0
	for _, line := range strings.Split(strings.TrimSpace(csvBody), "\n")[1:] {
		if strings.Contains(line, ",phq9,") {
			phq++
		}
		for _, l := range logins {
			if strings.Contains(line, l.Name) || strings.Contains(line, l.Email) {
				t.Errorf("CSV line names a person: %s", line)
			}
		}
	}
	if phq != 8 {
		t.Errorf("CSV has %d PHQ-9 course rows, want 8 (every course with a PHQ-9)", phq)
	}

	// The administrator: the 4 followed-up courses are too few to show.
	status, body = admin("/outcomes")
	if status != http.StatusOK || !strings.Contains(body, `<th scope="row">All courses</th><td data-label="Courses">fewer than 5</td>`) || !strings.Contains(body, `id="count-missing"><strong>fewer than 5</strong> courses without`) {
		t.Errorf("admin's dashboard = %d; want All courses and the missing count as fewer than 5", status)
	}
	status, csvBody = admin("/outcomes.csv")
	if status != http.StatusOK || strings.Contains(csvBody, "patient_key") || !strings.Contains(csvBody, "phq9,4-12,all,All courses,fewer than 5,") {
		t.Errorf("admin's CSV = %d %q; want aggregates, All courses as fewer than 5", status, csvBody)
	}
	for _, l := range logins {
		if l.Role == clinic.RolePatient && (strings.Contains(body+csvBody, l.Name) || strings.Contains(body+csvBody, l.Email)) {
			t.Errorf("admin's outcomes name %s", l.Name)
		}
	}
}

// TestRiskScreenWithPracticeWording: the risk screen cannot be assigned
// until an admin enters the practice's wording; then a patient's answer
// that triages high (intent) shows crisis help and alerts the team, even in
// a saved, unfinished check-in.
func TestRiskScreenWithPracticeWording(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/measures", url.Values{"instrument": {"risk"}, "cadence": {"once"}}, thea); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("assigning the risk screen without wording = %d, want 422", r.Status)
	}
	admin := f.SignIn("admin@example.org")
	inst, _ := measure.Get("risk")
	wording := url.Values{"instructions": {"In the past month:"}}
	if r := f.Do("POST", "/admin/instruments/risk", wording, admin); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Enter the wording of this question") {
		t.Fatalf("wording with questions missing = %d, want 422 at each", r.Status)
	}
	for i, it := range inst.Items {
		wording.Set(it.ID, "Practice wording for question "+strconv.Itoa(i+1)+" <b>")
	}
	if r := f.Do("POST", "/admin/instruments/risk", wording, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("save wording = %d", r.Status)
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/measures", url.Values{"instrument": {"risk"}, "cadence": {"once"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("assign risk screen = %d", r.Status)
	}
	pat := f.SignIn("pat@example.org")
	form := f.Do("GET", "/portal/checkins/risk", nil, pat)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, "Practice wording for question 4 &lt;b&gt;") {
		t.Fatalf("risk screen form = %d, want the practice's wording, escaped", form.Status)
	}
	partial := url.Values{"action": {"save"}, "risk_1": {"1"}, "risk_2": {"1"}, "risk_4": {"1"}}
	r := f.Do("POST", "/portal/checkins/risk", partial, pat)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Thank you for telling us") {
		t.Fatalf("risk screen answer of intent = %d, want the crisis page", r.Status)
	}
	if n := len(f.AuditRows("alert.raise")); n != 1 {
		t.Fatalf("%d alerts raised, want 1", n)
	}
	done := url.Values{"action": {"complete"}, "risk_1": {"1"}, "risk_2": {"1"}, "risk_3": {"0"}, "risk_4": {"1"}, "risk_5": {"0"}, "risk_6": {"0"}}
	if r := f.Do("POST", "/portal/checkins/risk", done, pat); r.Status != http.StatusOK {
		t.Fatalf("complete risk screen = %d", r.Status)
	}
	m, _ := f.St.FindMeasures(context.Background(), f.As("thea@example.org"), f.PA.ID)
	if len(m.Checkins) != 1 || m.Checkins[0].Risk != "high" {
		t.Fatalf("risk screen result = %+v, want high", m.Checkins)
	}
}

// TestCheckinReviewCases: a non-number answer beside item 9 still alerts;
// a newer risk answer is recorded on the open alert and an
// acknowledgement from a page that did not show it is refused; a patient
// cannot redo a check-in that is not due (but a risk answer there still
// alerts); a once-only questionnaire assigned again is due again.
func TestCheckinReviewCases(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Assign("phq9", "once")
	pat := f.SignIn("pat@example.org")
	form := webtest.PHQ9Form("complete", 0, 1)
	form.Set("phq9_1", "abc")
	r := f.Do("POST", "/portal/checkins/phq9", form, pat)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="safety-block"`) {
		t.Fatalf("item 9 beside a non-number = %d, want 422 with the crisis block", r.Status)
	}
	if n := len(f.AuditRows("alert.raise")); n != 1 {
		t.Fatalf("%d alerts, want 1", n)
	}
	thea := f.SignIn("thea@example.org")
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, "PHQ-9 item 9") || !strings.Contains(chart.Body, "several days") {
		t.Error("the alert does not say what was answered")
	}
	seen := webtest.SeenOf(chart.Body)
	f.Now = f.Now.Add(time.Minute)
	worse := webtest.PHQ9Form("complete", 0, 3)
	if r := f.Do("POST", "/portal/checkins/phq9", worse, pat); r.Status != http.StatusOK {
		t.Fatalf("complete with item 9 = 3: %d", r.Status)
	}
	if n := len(f.AuditRows("alert.signal")); n != 1 {
		t.Errorf("%d alert.signal rows, want 1 (the newer answer on the open alert)", n)
	}
	id := regexp.MustCompile(`/alerts/([0-9a-z]+)/acknowledge`).FindStringSubmatch(chart.Body)[1]
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/alerts/"+id+"/acknowledge", url.Values{"ack_note": {"Called."}, "seen": {seen}}, thea); r.Status != http.StatusConflict {
		t.Fatalf("acknowledging from a page older than the newest answer = %d, want 409", r.Status)
	}
	chart = f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, "nearly every day") {
		t.Error("the chart does not show the newest answer")
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/alerts/"+id+"/acknowledge", url.Values{"ack_note": {"Called; safe."}, "seen": {webtest.SeenOf(chart.Body)}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("acknowledge after reading = %d, want 303", r.Status)
	}
	if c := f.Do("GET", "/patients/"+f.PA.ID, nil, thea); !strings.Contains(c.Body, "Safety alerts: history") || !strings.Contains(c.Body, "Called; safe.") {
		t.Error("the acknowledged alert is not in the chart's history")
	}
	// Once done, a once-only PHQ-9 the portal still offers is accepted and
	// kept (defect 5)...
	if r := f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 0, 0), pat); r.Status != http.StatusSeeOther {
		t.Errorf("redoing a done once-only check-in = %d, want 303 (accepted)", r.Status)
	}
	// ...and a risk answer there alerts.
	before := len(f.AuditRows("alert.raise"))
	if r := f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 0, 2), pat); r.Status != http.StatusOK || !strings.Contains(r.Body, "Thank you for telling us") {
		t.Errorf("risk answer on a not-due check-in = %d, want the crisis page", r.Status)
	}
	if n := len(f.AuditRows("alert.raise")); n != before+1 {
		t.Errorf("alerts %d -> %d, want one more", before, n)
	}
	if m, _ := f.St.FindMeasures(context.Background(), f.As("thea@example.org"), f.PA.ID); len(m.Checkins) != 3 {
		t.Errorf("%d completed check-ins, want 3 (every one kept)", len(m.Checkins))
	}
	// Assigned again, it is due again.
	f.Now = f.Now.Add(time.Minute)
	f.St.Now = func() time.Time { return f.Now }
	f.Assign("phq9", "once")
	if r := f.Do("GET", "/portal/checkins", nil, pat); !strings.Contains(r.Body, "To do now") {
		t.Error("a once-only questionnaire assigned again is not due")
	}
	// A patient never scored has no sparkline.
	theo := f.SignIn("theo@example.org")
	if r := f.Do("GET", "/patients", nil, theo); strings.Contains(r.Body, "PHQ-9 0") {
		t.Error("caseload shows a score for a patient never scored")
	}
}
