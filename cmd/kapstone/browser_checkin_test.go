package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/kapstone/kapstone/internal/demo"
)

// checkinPractice is the demo practice in chromium, with the risk screen's
// wording entered by the admin and the risk screen and the PHQ-9 assigned
// to the portal patient by their therapist, who stays signed in.
type checkinPractice struct {
	b       *browser // signed in as the therapist
	in      *instance
	patient demo.Login
	shots   string
}

func newCheckinPractice(t *testing.T) *checkinPractice {
	t.Helper()
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	logins := map[string]demo.Login{}
	for _, l := range readLogins(t, dir) {
		if _, ok := logins[string(l.Role)]; !ok {
			logins[string(l.Role)] = l
		}
	}
	cp := &checkinPractice{b: b, in: in, patient: logins["patient"], shots: screenshotDir(t)}

	// The practice supplies the risk screen's wording: until then no one can assign it.
	admin := logins["admin"]
	signInBrowser(t, b, in.url, admin.Email, admin.Password, admin.TOTPSecret)
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(in.url + "/admin/instruments"), chromedp.WaitVisible(chromedp.CSS("form#risk"))}
	for i, id := range []string{"risk_1", "risk_2", "risk_3", "risk_4", "risk_5", "risk_6", "risk_6_recent"} {
		steps = append(steps, chromedp.SendKeys(chromedp.ID(id), fmt.Sprintf("Practice wording for question %d", i+1)))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(`form#risk button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`p.notice[role=status]`)))
	b.do(t, "risk screen wording", steps...)
	signOutBrowser(t, b, "admin sign-out", `header form[action="/logout"] button`)

	th := logins["therapist"]
	signInBrowser(t, b, in.url, th.Email, th.Password, th.TOTPSecret)
	b.do(t, "caseload", chromedp.Navigate(in.url+"/patients"), chromedp.WaitVisible(chromedp.ID("patients-title")))
	name, _ := json.Marshal(cp.patient.Name)
	href := run1(t, b, "patient link", chromedp.Evaluate[string](`[...document.querySelectorAll('.row-list a')].find(a => a.textContent.includes(`+string(name)+`)).getAttribute('href')`))
	for _, inst := range []struct{ id, title string }{{"risk", "Suicide risk screen"}, {"phq9", "(PHQ-9)"}} {
		b.do(t, "assign "+inst.id,
			chromedp.Navigate(in.url+href),
			chromedp.WaitVisible(chromedp.ID("m-inst")),
			chromedp.SetValue(chromedp.ID("m-inst"), inst.id),
			chromedp.SetValue(chromedp.ID("m-cad"), "weekly"),
			chromedp.Click(chromedp.CSS(`form[action$="/measures#measures"] button[type=submit]`)),
		)
		// The chart comes back with the assignment listed.
		waitTrue(t, b, "assigned "+inst.id, `location.search.includes('done=') && [...document.querySelectorAll('#measures ul.team strong')].some(s => s.textContent.includes(`+jsString(inst.title)+`))`)
	}
	return cp
}

// waitTrue evaluates script until it is true, across page loads (an
// evaluation cut short by a navigation is tried again), for up to 15 s.
func waitTrue(t *testing.T, b *browser, what, script string) {
	t.Helper()
	end := time.Now().Add(30 * time.Second)
	for time.Now().Before(end) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: still false after 30 s: %s", what, script)
}

// jsString quotes s for a script.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// patientTab opens a tab for the patient in a browser context of its own
// (its own cookies), signed in to the portal. Cancelling it closes the tab
// the way a person closes it; the browser context stays until the test ends.
func (cp *checkinPractice) patientTab(t *testing.T) (*browser, context.CancelFunc) {
	t.Helper()
	hold, cancelHold := chromedp.NewContext(cp.b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelHold)
	if err := chromedp.Do(hold); err != nil {
		t.Fatalf("patient browser context: %v", err)
	}
	ctx, cancel := chromedp.NewContext(hold)
	pb := &browser{ctx: ctx, lastStep: map[string]int64{}}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("patient tab: %v", err)
	}
	pb.watchConsole()
	signInBrowser(t, pb, cp.in.url, cp.patient.Email, cp.patient.Password, "")
	return pb, cancel
}

// shot saves a full-page screenshot under name.
func (cp *checkinPractice) shot(t *testing.T, b *browser, name string) {
	t.Helper()
	png := run1(t, b, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(cp.shots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// caseloadAlert returns the text of the caseload's open alert for the
// patient ("" when there is none), as the therapist sees it now.
func (cp *checkinPractice) caseloadAlert(t *testing.T) string {
	t.Helper()
	cp.b.do(t, "caseload", chromedp.Navigate(cp.in.url+"/patients"), chromedp.WaitVisible(chromedp.ID("patients-title")))
	return run1(t, cp.b, "caseload alert", chromedp.Evaluate[string](`(() => {
	  const li = [...document.querySelectorAll('.alert-list li')].find(li => li.textContent.includes(`+jsString(cp.patient.Name)+`));
	  return li ? li.textContent : "";
	})()`))
}

// TestBrowserRiskScreenSkippedAnswerAlerts (issue 12, defect 1): in
// chromium, a patient answers the risk screen "Q1 yes, Q2 no, Q5 yes";
// crisis help appears as soon as the first yes is saved, the page says the
// care team was alerted as urgent, and the therapist's caseload shows an
// open alert naming question 5.
func TestBrowserRiskScreenSkippedAnswerAlerts(t *testing.T) {
	cp := newCheckinPractice(t)
	if a := cp.caseloadAlert(t); strings.Contains(a, "question 5") {
		t.Fatalf("an alert naming question 5 before the patient answered: %q", a)
	}
	pb, closeTab := cp.patientTab(t)
	defer closeTab()
	pb.do(t, "risk screen", chromedp.Navigate(cp.in.url+"/portal/checkins/risk"), chromedp.WaitVisible(chromedp.ID("checkin-title")))
	pb.do(t, "Q1 yes", chromedp.Click(chromedp.CSS(`input[name=risk_1][value="1"]`)), chromedp.WaitVisible(chromedp.ID("autosave-crisis")))
	// Crisis help shows at once; the words say the team was alerted only
	// once the server's answer confirms it.
	waitTrue(t, pb, "alerted within a working day", `document.getElementById('autosave-crisis-words').textContent.includes('within a working day')`)
	pb.do(t, "Q2 no, Q5 yes, Q6 no",
		chromedp.Click(chromedp.CSS(`input[name=risk_2][value="0"]`)),
		chromedp.Click(chromedp.CSS(`input[name=risk_5][value="1"]`)),
		chromedp.Click(chromedp.CSS(`input[name=risk_6][value="0"]`)),
	)
	waitTrue(t, pb, "alerted as urgent", `document.getElementById('autosave-crisis-words').textContent.includes('as urgent')`)
	cp.shot(t, pb, "checkin-risk-form-crisis")
	pb.do(t, "send", chromedp.Click(chromedp.CSS(`button[name=action][value=complete]`)), chromedp.WaitVisible(chromedp.ID("safety-title")))
	if s := run1(t, pb, "safety page", chromedp.Text(chromedp.ID("alert-words"))); !strings.Contains(s, "Your answers are saved and your care team has been alerted as urgent") {
		t.Errorf("safety page says %q, want saved and alerted as urgent", s)
	}
	if s := run1(t, pb, "crisis lines", chromedp.Evaluate[string](`[...document.querySelectorAll('.crisis-actions a')].map(a => a.getAttribute('href')).join(' ')`)); !strings.Contains(s, "tel:988") {
		t.Errorf("safety page crisis links = %q, want tel:988", s)
	}
	cp.shot(t, pb, "checkin-risk-safety-page")
	for _, sz := range []struct{ w, h int64 }{{390, 844}} {
		pb.do(t, "phone", chromedp.EmulateViewport(sz.w, sz.h))
		cp.shot(t, pb, "checkin-risk-safety-page-phone")
	}
	pb.checkConsole(t)
	a := cp.caseloadAlert(t)
	if !strings.Contains(a, "question 5 (a plan, with intent to carry it out): yes") || !strings.Contains(a, "urgent: review today") {
		t.Errorf("caseload alert = %q, want one naming question 5, urgent", a)
	}
	cp.shot(t, cp.b, "checkin-risk-caseload")
	cp.b.checkConsole(t)
}

// TestBrowserItem9ThenTabClosed (issue 12, defect 3): in chromium, a
// patient chooses "Nearly every day" on PHQ-9 item 9 and closes the tab
// without sending; two seconds later the therapist's caseload shows the
// open alert.
func TestBrowserItem9ThenTabClosed(t *testing.T) {
	cp := newCheckinPractice(t)
	if a := cp.caseloadAlert(t); strings.Contains(a, "nearly every day") {
		t.Fatalf("an alert saying nearly every day before the patient answered: %q", a)
	}
	pb, closeTab := cp.patientTab(t)
	// On a phone, one question a screen: Next saves and shows the next one.
	pb.do(t, "PHQ-9", chromedp.EmulateViewport(390, 844), chromedp.Navigate(cp.in.url+"/portal/checkins/phq9"), chromedp.WaitVisible(chromedp.ID("checkin-title")))
	pb.do(t, "item 1", chromedp.Click(chromedp.CSS(`input[name=phq9_1][value="1"]`)), chromedp.Click(chromedp.CSS(`#q-0 button[name=step]`)))
	waitTrue(t, pb, "next question", `location.hash === "#q-1" && document.querySelector('.autosave-state').textContent.includes('saved')`)
	png := run1(t, pb, "phone screenshot", chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(cp.shots, "checkin-phq9-phone-next.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	pb.do(t, "item 9", chromedp.Click(chromedp.CSS(`input[name=phq9_9][value="3"]`)))
	chose := time.Now()
	closeTab() // the tab is closed at once, nothing sent by hand
	time.Sleep(time.Until(chose.Add(2 * time.Second)))
	a := cp.caseloadAlert(t)
	if !strings.Contains(a, "item 9 (thoughts that they would be better off dead, or of hurting themselves): nearly every day") || !strings.Contains(a, "urgent: review today") {
		t.Fatalf("caseload alert 2 s after item 9 and closing the tab = %q, want item 9 nearly every day, urgent", a)
	}
	cp.shot(t, cp.b, "checkin-item9-closed-caseload")
	cp.b.checkConsole(t)
}

// TestBrowserRiskChoiceSignedOut (review A2): in chromium, a patient whose
// sign-in has ended chooses a risk answer on the risk screen. Crisis help
// shows at once all the same, saying the care team could not be alerted
// yet, the status line says they are signed out and nothing was saved, and
// the choice stays in the form; no alert is claimed or raised.
func TestBrowserRiskChoiceSignedOut(t *testing.T) {
	cp := newCheckinPractice(t)
	pb, closeTab := cp.patientTab(t)
	defer closeTab()
	pb.do(t, "risk screen", chromedp.Navigate(cp.in.url+"/portal/checkins/risk"), chromedp.WaitVisible(chromedp.ID("checkin-title")))
	// The sign-in ends (as after 30 idle minutes): the session cookie is gone.
	if _, err := chromedp.Call(pb.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	pb.do(t, "Q2 yes", chromedp.Click(chromedp.CSS(`input[name=risk_2][value="1"]`)), chromedp.WaitVisible(chromedp.ID("autosave-crisis")))
	waitTrue(t, pb, "signed out, not saved", `document.querySelector('.autosave-state').textContent.includes('signed out')`)
	if s := run1(t, pb, "crisis words", chromedp.Text(chromedp.ID("autosave-crisis-words"))); !strings.Contains(s, "could not alert your care team yet") || strings.Contains(s, "has been alerted") {
		t.Errorf("signed out, the crisis help says %q, want not alerted yet", s)
	}
	if s := run1(t, pb, "crisis lines", chromedp.Evaluate[string](`[...document.querySelectorAll('#autosave-crisis .crisis-actions a')].map(a => a.getAttribute('href')).join(' ')`)); !strings.Contains(s, "tel:988") {
		t.Errorf("crisis links = %q, want tel:988", s)
	}
	if !run1(t, pb, "choice kept", chromedp.Evaluate[bool](`document.querySelector('input[name=risk_2][value="1"]').checked && location.pathname === '/portal/checkins/risk'`)) {
		t.Error("the choice was lost, or the page left the form")
	}
	cp.shot(t, pb, "checkin-risk-signed-out")
	pb.checkConsole(t, "status of 401")
	if a := cp.caseloadAlert(t); a != "" {
		t.Errorf("caseload alert %q from a save that was refused", a)
	}
}

// TestBrowserSendAfterFailedAutosave (review B2): in chromium, a patient's
// last background save fails (offline), the connection comes back, and
// they press "Send my answers": the check-in is sent and no background
// save follows it as the page goes (a beacon with action=save used to
// start a new draft right after the completed check-in).
func TestBrowserSendAfterFailedAutosave(t *testing.T) {
	cp := newCheckinPractice(t)
	pb, closeTab := cp.patientTab(t)
	defer closeTab()
	pb.do(t, "PHQ-9", chromedp.Navigate(cp.in.url+"/portal/checkins/phq9"), chromedp.WaitVisible(chromedp.ID("checkin-title")))
	for i := 1; i <= 9; i++ {
		pb.do(t, fmt.Sprintf("item %d", i), chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=phq9_%d][value="0"]`, i))))
	}
	waitTrue(t, pb, "saved", `document.querySelector('.autosave-state').textContent.includes('are saved')`)
	if _, err := chromedp.Call(pb.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{{Offline: true}}}); err != nil {
		t.Fatalf("offline: %v", err)
	}
	pb.do(t, "item 1 offline", chromedp.Click(chromedp.CSS(`input[name=phq9_1][value="1"]`)))
	waitTrue(t, pb, "not saved", `document.querySelector('.autosave-state').textContent.includes('Not saved')`)
	if _, err := chromedp.Call(pb.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{}}); err != nil {
		t.Fatalf("online: %v", err)
	}
	pb.do(t, "send", chromedp.Click(chromedp.CSS(`button[name=action][value=complete]`)))
	waitTrue(t, pb, "sent", `location.search.includes('done=phq9')`)
	time.Sleep(1500 * time.Millisecond) // a beacon, if any, arrives
	pb.do(t, "PHQ-9 again", chromedp.Navigate(cp.in.url+"/portal/checkins/phq9"), chromedp.WaitVisible(chromedp.ID("checkin-title")))
	if n := run1(t, pb, "checked", chromedp.Evaluate[int](`document.querySelectorAll('form.checkin input[type=radio]:checked').length`)); n != 0 {
		t.Errorf("after sending, a new draft holds %d answers: a background save followed the sent check-in", n)
	}
}
