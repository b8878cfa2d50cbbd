package store_test

import (
	"context"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// riskPractice is a practice with the risk screen's wording entered, a
// therapist and a patient with a portal account, on a clock the test moves.
type riskPractice struct {
	s         *store.Store
	now       time.Time
	therapist store.Actor
	patient   store.Actor
	p         *store.Patient
}

func newRiskPractice(t *testing.T) *riskPractice {
	t.Helper()
	ctx := context.Background()
	rp := &riskPractice{s: storetest.Open(t), now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	rp.s.Now = func() time.Time { return rp.now }
	admin := &clinic.User{Email: "a@example.org", DisplayName: "A", Role: clinic.RoleAdmin}
	th := &clinic.User{Email: "t@example.org", DisplayName: "T", Role: clinic.RoleTherapist}
	for _, u := range []*clinic.User{admin, th} {
		if err := rp.s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
	}
	rp.therapist = store.Actor{UserID: th.ID, Role: th.Role}
	inst, _ := measure.Get("risk")
	pt := store.PracticeText{Instructions: "In the past month:", Items: map[string]string{}}
	for i, it := range inst.Items {
		pt.Items[it.ID] = "Practice question " + strconv.Itoa(i+1)
	}
	if err := rp.s.SetPracticeText(ctx, store.Actor{UserID: admin.ID, Role: admin.Role}, "risk", pt); err != nil {
		t.Fatal(err)
	}
	rp.p = &store.Patient{DisplayName: "P", Email: "p@example.org"}
	if err := rp.s.CreatePatient(ctx, rp.therapist, rp.p, ""); err != nil {
		t.Fatal(err)
	}
	tok := &store.AuthToken{Hash: auth.HashToken("p"), Purpose: store.TokenInvite, Email: "p@example.org", DisplayName: "P", Role: clinic.RolePatient, PatientID: rp.p.ID}
	if err := rp.s.CreateToken(ctx, rp.therapist, tok); err != nil {
		t.Fatal(err)
	}
	u := &clinic.User{DisplayName: "P"}
	if err := rp.s.AcceptAccountToken(ctx, store.Actor{}, tok.Hash, store.TokenInvite, u, "h"); err != nil {
		t.Fatal(err)
	}
	rp.patient = store.Actor{UserID: u.ID, Role: clinic.RolePatient}
	return rp
}

func (rp *riskPractice) assign(t *testing.T, instrument, cadence string) {
	t.Helper()
	if err := rp.s.AssignMeasure(context.Background(), rp.therapist, rp.p.ID, instrument, cadence); err != nil {
		t.Fatal(err)
	}
}

// openAlerts returns the patient's open alerts as the chart shows them.
func (rp *riskPractice) openAlerts(t *testing.T) []store.SafetyAlert {
	t.Helper()
	c, err := rp.s.FindChart(context.Background(), rp.therapist, rp.p.ID, store.ChartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.SafetyAlert
	for _, a := range c.Alerts {
		if a.AckAt == nil {
			out = append(out, a)
		}
	}
	return out
}

// TestSaveCheckinKeepsSkippedRiskAnswers (defect 1): "Q1 yes, Q2 no, Q5
// yes" is stored with every answer, scored high and raises an urgent alert
// that names question 5; before, Q5 was pruned, the screen scored low and
// nothing was raised.
func TestSaveCheckinKeepsSkippedRiskAnswers(t *testing.T) {
	rp := newRiskPractice(t)
	rp.assign(t, "risk", "once")
	ctx := context.Background()
	given := measure.Answers{"risk_1": 1, "risk_2": 0, "risk_5": 1, "risk_6": 0}
	c, err := rp.s.SaveCheckin(ctx, rp.patient, rp.p.ID, "risk", maps.Clone(given), true)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Complete || c.Risk != "high" || !maps.Equal(c.Answers, given) {
		t.Errorf("check-in = complete %v risk %q answers %v; want complete, high, %v", c.Complete, c.Risk, c.Answers, given)
	}
	if c.Alert == nil || !c.Alert.New || c.Alert.Urgency != measure.UrgencyUrgent {
		t.Fatalf("alert = %+v, want a new urgent alert", c.Alert)
	}
	m, err := rp.s.FindMeasures(ctx, rp.therapist, rp.p.ID)
	if err != nil || len(m.Checkins) != 1 || !maps.Equal(m.Checkins[0].Answers, given) || m.Checkins[0].Risk != "high" {
		t.Fatalf("stored check-ins = %+v, %v; want one, high, with every answer", m, err)
	}
	open := rp.openAlerts(t)
	if len(open) != 1 || open[0].Urgency != measure.UrgencyUrgent || !strings.Contains(open[0].Signal, "question 5 (a plan, with intent to carry it out): yes") {
		t.Fatalf("open alerts = %+v, want one urgent naming question 5", open)
	}
}

// TestSaveCheckinLowRiskAlerts (defect 2): yes to question 1 or 2 alone
// opens an alert to review within a working day; before, nothing.
func TestSaveCheckinLowRiskAlerts(t *testing.T) {
	for _, given := range []measure.Answers{
		{"risk_1": 1, "risk_2": 0, "risk_6": 0},
		{"risk_1": 0, "risk_2": 1, "risk_3": 0, "risk_4": 0, "risk_5": 0, "risk_6": 0},
		{"risk_1": 1}, // saved unfinished
	} {
		rp := newRiskPractice(t)
		rp.assign(t, "risk", "weekly")
		c, err := rp.s.SaveCheckin(context.Background(), rp.patient, rp.p.ID, "risk", given, len(given) > 1)
		if err != nil {
			t.Fatal(err)
		}
		if c.Alert == nil || c.Alert.Urgency != measure.UrgencyWorkingDay || c.Signal.Level != measure.RiskLow {
			t.Errorf("%v: alert %+v signal %q, want a low alert to review within a working day", given, c.Alert, c.Signal.Level)
		}
		if open := rp.openAlerts(t); len(open) != 1 || open[0].Urgency != measure.UrgencyWorkingDay {
			t.Errorf("%v: open alerts = %+v, want one, within a working day", given, open)
		}
	}
}

// TestAlertKeepsHighestAndEveryAnswer (defect 4): a milder later answer
// neither lowers nor overwrites the alert, which keeps every answer with
// its time; every save of the answers is a version of its own; the
// database refuses to change or delete either.
func TestAlertKeepsHighestAndEveryAnswer(t *testing.T) {
	rp := newRiskPractice(t)
	rp.assign(t, "phq9", "weekly")
	ctx := context.Background()
	first, err := rp.s.SaveCheckin(ctx, rp.patient, rp.p.ID, "phq9", measure.Answers{"phq9_1": 2, "phq9_9": 3}, false)
	if err != nil || first.Alert == nil || first.Version != 1 {
		t.Fatalf("first save = %+v, %v; want version 1 with an alert", first, err)
	}
	// The same answers again (an autosave) add nothing.
	again, err := rp.s.SaveCheckin(ctx, rp.patient, rp.p.ID, "phq9", measure.Answers{"phq9_9": 3}, false)
	if err != nil || again.Version != 1 || again.ID != first.ID {
		t.Fatalf("same answers again = version %d id %s, %v; want version 1 of the same check-in", again.Version, again.ID, err)
	}
	rp.now = rp.now.Add(10 * time.Minute)
	milder, err := rp.s.SaveCheckin(ctx, rp.patient, rp.p.ID, "phq9", measure.Answers{"phq9_9": 1}, false)
	if err != nil || milder.Version != 2 || milder.ID != first.ID {
		t.Fatalf("milder save = version %d id %s, %v; want version 2 of the same check-in", milder.Version, milder.ID, err)
	}
	if milder.Alert == nil || milder.Alert.New || !strings.Contains(milder.Alert.Signal, "nearly every day") {
		t.Errorf("alert after the milder answer = %+v, want the same alert still at nearly every day", milder.Alert)
	}
	open := rp.openAlerts(t)
	if len(open) != 1 || !strings.Contains(open[0].Signal, "nearly every day") || open[0].Urgency != measure.UrgencyUrgent {
		t.Fatalf("open alerts = %+v, want one showing the highest answer", open)
	}
	if !open[0].LastSignal.Equal(rp.now) {
		t.Errorf("newest answer time = %v, want %v (so no one acknowledges an answer they have not seen)", open[0].LastSignal, rp.now)
	}
	sigs := open[0].Signals
	if len(sigs) != 2 || !strings.Contains(sigs[0].Signal, "several days") || !sigs[0].AnsweredAt.Equal(rp.now) || !strings.Contains(sigs[1].Signal, "nearly every day") {
		t.Fatalf("alert's answers = %+v, want both, newest first, with their times", sigs)
	}
	versions, err := rp.s.CheckinVersions(ctx, rp.therapist, rp.p.ID, first.ID)
	if err != nil || len(versions) != 2 || versions[0].Answers["phq9_9"] != 3 || versions[1].Answers["phq9_9"] != 1 || versions[1].Answers["phq9_1"] != 2 {
		t.Fatalf("versions = %+v, %v; want 3 then 1 on item 9, item 1 kept", versions, err)
	}
	// A new check-in (the next week) that is milder still does not lower it.
	if _, err := rp.s.SaveCheckin(ctx, rp.patient, rp.p.ID, "phq9", measure.Answers{"phq9_1": 0, "phq9_2": 0, "phq9_3": 0, "phq9_4": 0, "phq9_5": 0, "phq9_6": 0, "phq9_7": 0, "phq9_8": 0, "phq9_9": 1}, true); err != nil {
		t.Fatal(err)
	}
	if open := rp.openAlerts(t); len(open) != 1 || !strings.Contains(open[0].Signal, "nearly every day") {
		t.Errorf("after a milder completed check-in the alert shows %q, want nearly every day", open[0].Signal)
	}
	for _, q := range []string{
		`UPDATE checkin_answers SET answers = '{}'`, `DELETE FROM checkin_answers`,
		`UPDATE safety_alert_signals SET signal = ''`, `DELETE FROM safety_alert_signals`,
	} {
		if err := store.ExecForTest(ctx, rp.s, q); err == nil {
			t.Errorf("%s succeeded, want refused (append-only)", q)
		}
	}
}

// TestAlertBecomesUrgent: a low alert that a later answer makes urgent
// shows the urgent answer and emails the care team again.
func TestAlertBecomesUrgent(t *testing.T) {
	rp := newRiskPractice(t)
	rp.assign(t, "risk", "weekly")
	ctx := context.Background()
	if _, err := rp.s.SaveCheckin(ctx, rp.patient, rp.p.ID, "risk", measure.Answers{"risk_1": 1}, false); err != nil {
		t.Fatal(err)
	}
	rp.now = rp.now.Add(time.Minute)
	c, err := rp.s.SaveCheckin(ctx, rp.patient, rp.p.ID, "risk", measure.Answers{"risk_2": 1, "risk_4": 1}, false)
	if err != nil || c.Alert == nil || c.Alert.Urgency != measure.UrgencyUrgent || !strings.Contains(c.Alert.Signal, "high risk") {
		t.Fatalf("after intent = %+v, %v; want the alert urgent and high", c.Alert, err)
	}
	jobs, err := rp.s.ListJobs(ctx, store.JobPending, 10)
	if err != nil || len(jobs) != 2 {
		t.Errorf("pending jobs = %d, %v; want 2 alert emails (opened, then urgent)", len(jobs), err)
	}
}

// TestPatientCheckinOfferedNotDue (defect 5): a questionnaire the portal
// offers but that is not due (a once-only one already done) is accepted and
// kept; one never assigned is refused unless it holds a risk answer, which
// is kept and alerts.
func TestPatientCheckinOfferedNotDue(t *testing.T) {
	rp := newRiskPractice(t)
	rp.assign(t, "gad7", "once")
	ctx := context.Background()
	all := func(v int) measure.Answers {
		a := measure.Answers{}
		for i := 1; i <= 7; i++ {
			a["gad7_"+strconv.Itoa(i)] = v
		}
		return a
	}
	if _, err := rp.s.SaveCheckin(ctx, rp.patient, rp.p.ID, "gad7", all(1), true); err != nil {
		t.Fatal(err)
	}
	rp.now = rp.now.Add(time.Hour)
	again, err := rp.s.SaveCheckin(ctx, rp.patient, rp.p.ID, "gad7", all(2), true)
	if err != nil || !again.Saved || !again.Complete || again.Total != 14 {
		t.Fatalf("once-only GAD-7 again = %+v, %v; want accepted and scored 14", again, err)
	}
	m, _ := rp.s.FindMeasures(ctx, rp.therapist, rp.p.ID)
	if len(m.Checkins) != 2 {
		t.Errorf("%d completed check-ins, want 2 (both kept)", len(m.Checkins))
	}
	if _, err := rp.s.SaveCheckin(ctx, rp.patient, rp.p.ID, "phq9", measure.Answers{"phq9_1": 1}, false); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("unassigned PHQ-9 = %v, want ENotFound", err)
	}
	c, err := rp.s.SaveCheckin(ctx, rp.patient, rp.p.ID, "phq9", measure.Answers{"phq9_9": 2}, false)
	if err != nil || !c.Saved || c.Alert == nil {
		t.Fatalf("unassigned PHQ-9 with item 9 = %+v, %v; want saved with an alert", c, err)
	}
	m, _ = rp.s.FindMeasures(ctx, rp.therapist, rp.p.ID)
	if len(m.InProgress) != 1 || m.InProgress[0].Answers["phq9_9"] != 2 {
		t.Errorf("in progress = %+v, want the PHQ-9 with item 9 kept", m.InProgress)
	}
}

// TestSaveCheckinReportsBadAnswers: an answer off the scale is refused at
// its question while every other answer, and its alert, are kept.
func TestSaveCheckinReportsBadAnswers(t *testing.T) {
	rp := newRiskPractice(t)
	rp.assign(t, "phq9", "weekly")
	c, err := rp.s.SaveCheckin(context.Background(), rp.patient, rp.p.ID, "phq9", measure.Answers{"phq9_1": 7, "phq9_2": 1, "phq9_9": 1}, true)
	var ce *clinic.Error
	if e, ok := err.(*clinic.Error); ok {
		ce = e
	}
	if ce == nil || ce.Code != clinic.EInvalid || ce.Fields["phq9_1"] == "" {
		t.Fatalf("error = %v, want EInvalid at phq9_1", err)
	}
	if c == nil || !c.Saved || c.Complete || c.Answers["phq9_2"] != 1 || c.Alert == nil {
		t.Fatalf("check-in = %+v, want saved unfinished with item 2 and an alert", c)
	}
}

// TestConcurrentCheckinSaves: answers saved at the same moment (a page's
// background saves) all land in one check-in, each as a version of its
// own, and the alert is raised once.
func TestConcurrentCheckinSaves(t *testing.T) {
	rp := newRiskPractice(t)
	rp.assign(t, "phq9", "weekly")
	ctx := context.Background()
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			a := measure.Answers{"phq9_" + strconv.Itoa(i+1): 1}
			if i == 7 {
				a["phq9_9"] = 2
			}
			_, err := rp.s.SaveCheckin(ctx, rp.patient, rp.p.ID, "phq9", a, false)
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent save: %v", err)
		}
	}
	m, err := rp.s.FindMeasures(ctx, rp.therapist, rp.p.ID)
	if err != nil || len(m.InProgress) != 1 || len(m.InProgress[0].Answers) != 9 {
		t.Fatalf("in progress = %+v, %v; want one check-in holding all 9 answers", m.InProgress, err)
	}
	versions, err := rp.s.CheckinVersions(ctx, rp.therapist, rp.p.ID, m.InProgress[0].ID)
	if err != nil || len(versions) != 8 || versions[7].Version != 8 {
		t.Errorf("versions = %d, %v; want 8, numbered 1-8", len(versions), err)
	}
	if open := rp.openAlerts(t); len(open) != 1 {
		t.Errorf("%d open alerts, want 1", len(open))
	}
}
