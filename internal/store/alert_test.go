package store_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// alertPractice is a therapist and a patient on a clock that moves one
// second at every reading.
func alertPractice(t *testing.T) (*store.Store, store.Actor, *store.Patient) {
	t.Helper()
	ctx := context.Background()
	s := storetest.Open(t)
	var tick atomic.Int64
	base := time.Now().UTC()
	s.Now = func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Second) }
	u := &clinic.User{Email: "t@example.org", DisplayName: "Thea", Role: clinic.RoleTherapist}
	if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
		t.Fatal(err)
	}
	th := store.Actor{UserID: u.ID, Role: u.Role}
	p := &store.Patient{DisplayName: "P", Email: "p@example.org"}
	if err := s.CreatePatient(ctx, th, p, ""); err != nil {
		t.Fatal(err)
	}
	return s, th, p
}

// openAlertSeen returns the newest-answer time of the open alert id as the
// chart shows it.
func openAlertSeen(t *testing.T, s *store.Store, th store.Actor, patientID, id string) time.Time {
	t.Helper()
	ch, err := s.FindChart(context.Background(), th, patientID, store.ChartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ch.Alerts {
		if a.AckAt == nil && a.ID == id {
			return a.LastSignal
		}
	}
	t.Fatalf("alert %s is not open", id)
	return time.Time{}
}

// TestAcknowledgeRacesNewRiskAnswer acknowledges an alert at the moment a
// new risk answer arrives, many times: the new answer must always end up on
// an open alert, never only on the one being acknowledged (PostgreSQL lost
// it when the acknowledgement committed between the save's read of the open
// alert and its update).
func TestAcknowledgeRacesNewRiskAnswer(t *testing.T) {
	ctx := context.Background()
	s, th, p := alertPractice(t)
	lost := 0
	for i := 0; i < 60; i++ {
		c, err := s.SaveCheckin(ctx, th, p.ID, "phq9", measure.Answers{"phq9_9": 1}, false)
		if err != nil {
			t.Fatal(err)
		}
		seen := openAlertSeen(t, s, th, p.ID, c.Alert.ID)
		var wg sync.WaitGroup
		var saved *store.Checkin
		var ackErr, saveErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			ackErr = s.AcknowledgeSafetyAlert(ctx, th, p.ID, c.Alert.ID, "called", seen)
		}()
		go func() {
			defer wg.Done()
			saved, saveErr = s.SaveCheckin(ctx, th, p.ID, "phq9", measure.Answers{"phq9_9": 3}, false)
		}()
		wg.Wait()
		if saveErr != nil {
			t.Fatal(saveErr)
		}
		if ackErr != nil && clinic.ErrorCode(ackErr) != clinic.EConflict {
			t.Fatalf("acknowledge: %v", ackErr)
		}
		n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM safety_alerts WHERE id = $1 AND acknowledged_at IS NULL`, saved.Alert.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			lost++
		}
		// Close everything for the next round.
		if err := store.ExecForTest(ctx, s, `UPDATE safety_alerts SET acknowledged_at = $1, acknowledged_by = 'x' WHERE acknowledged_at IS NULL`, s.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if lost > 0 {
		t.Errorf("%d of 60 rounds: a new risk answer was added to an alert that is acknowledged (no open alert for it)", lost)
	}
}

// TestAcknowledgeComparesExactly: an answer even a microsecond newer than
// the one the page showed stops the acknowledgement (there used to be a
// millisecond of grace); the exact time acknowledges; a second
// acknowledgement says so, and an unknown alert is not found.
func TestAcknowledgeComparesExactly(t *testing.T) {
	ctx := context.Background()
	s, th, p := alertPractice(t)
	c, err := s.SaveCheckin(ctx, th, p.ID, "phq9", measure.Answers{"phq9_9": 2}, false)
	if err != nil {
		t.Fatal(err)
	}
	seen := openAlertSeen(t, s, th, p.ID, c.Alert.ID)
	err = s.AcknowledgeSafetyAlert(ctx, th, p.ID, c.Alert.ID, "called", seen.Add(-time.Microsecond))
	if clinic.ErrorCode(err) != clinic.EConflict || !strings.Contains(err.Error(), "newer answer") {
		t.Fatalf("acknowledge with a page a microsecond old = %v, want a conflict about a newer answer", err)
	}
	if err := s.AcknowledgeSafetyAlert(ctx, th, p.ID, c.Alert.ID, "called", seen); err != nil {
		t.Fatalf("acknowledge with the page's exact time: %v", err)
	}
	err = s.AcknowledgeSafetyAlert(ctx, th, p.ID, c.Alert.ID, "called again", seen)
	if clinic.ErrorCode(err) != clinic.EConflict || !strings.Contains(err.Error(), "already acknowledged") {
		t.Fatalf("second acknowledgement = %v, want already acknowledged", err)
	}
	if err := s.AcknowledgeSafetyAlert(ctx, th, p.ID, "no-such-alert", "called", seen); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Fatalf("unknown alert = %v, want not found", err)
	}
}

// TestRiskSignalsMigrationKeepsLegacyAlertWords: an alert open across the
// 0020 upgrade ("nearly every day") is taken as the most severe, so a
// milder later answer is added to it without replacing its words.
func TestRiskSignalsMigrationKeepsLegacyAlertWords(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "0019_~") // every migration before 0020
	u := &clinic.User{Email: "t@example.org", DisplayName: "Thea", Role: clinic.RoleTherapist}
	oldSchemaUser(t, s, u)
	th := store.Actor{UserID: u.ID, Role: u.Role}
	p := &store.Patient{DisplayName: "P", Email: "p@example.org"}
	if err := s.CreatePatient(ctx, th, p, ""); err != nil {
		t.Fatal(err)
	}
	old := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	const words = "PHQ-9 item 9 (thoughts that they would be better off dead, or of hurting themselves): nearly every day"
	if err := store.ExecForTest(ctx, s, `INSERT INTO safety_alerts (id, patient_id, source, signal, raised_at, last_signal_at) VALUES ('legacy', $1, 'phq9', $2, $3, $3)`, p.ID, words, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT count(*) FROM safety_alerts WHERE id = 'legacy' AND severity = 3 AND urgency = 'urgent'`,
		`SELECT count(*) FROM safety_alert_signals WHERE alert_id = 'legacy' AND severity = 3`,
	} {
		if n, err := store.CountForTest(ctx, s, q); err != nil || n != 1 {
			t.Errorf("%s = %d, %v; want 1", q, n, err)
		}
	}
	c, err := s.SaveCheckin(ctx, th, p.ID, "phq9", measure.Answers{"phq9_9": 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Alert == nil || c.Alert.ID != "legacy" || c.Alert.Signal != words {
		t.Fatalf("milder answer after the upgrade: alert %+v, want the legacy alert keeping %q", c.Alert, words)
	}
	ch, err := s.FindChart(ctx, th, p.ID, store.ChartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	open := 0
	for _, a := range ch.Alerts {
		if a.AckAt != nil {
			continue
		}
		open++
		if a.Signal != words {
			t.Errorf("legacy alert lowered to %q", a.Signal)
		}
		if len(a.Signals) != 2 || !strings.Contains(a.Signals[0].Signal, "several days") {
			t.Errorf("legacy alert holds %+v, want the new answer kept beside the old one", a.Signals)
		}
	}
	if open != 1 {
		t.Errorf("%d open alerts, want 1", open)
	}
}

// TestEmergencyMarkSurvivesDetail: under emergency access a paper check-in
// (a write) is refused and the refusal keeps the emergency mark beside its
// own detail; a read keeps the mark even when the store function rewrites
// the whole audit entry; the patient's access report shows the read as
// emergency access.
func TestEmergencyMarkSurvivesDetail(t *testing.T) {
	ctx := context.Background()
	rp := newRiskPractice(t)
	u := &clinic.User{Email: "theo@example.org", DisplayName: "Theo", Role: clinic.RoleTherapist}
	if err := rp.s.CreateUser(ctx, store.System, u, "h"); err != nil {
		t.Fatal(err)
	}
	theo := store.Actor{UserID: u.ID, Role: u.Role}
	if _, err := rp.s.GrantEmergencyAccess(ctx, theo, rp.p.ID, "Patient called in crisis; the team is away."); err != nil {
		t.Fatal(err)
	}
	answers := measure.Answers{}
	inst, _ := measure.Get("phq9")
	for _, it := range inst.Items {
		answers[it.ID] = 0
	}
	if _, err := rp.s.EnterPaperCheckin(ctx, theo, rp.p.ID, "phq9", answers, rp.now.Add(-time.Hour)); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Fatalf("paper check-in by emergency access = %v, want %s", err, clinic.ENotFound)
	}
	auditor := store.Actor{UserID: "auditor", Role: clinic.RoleAdmin}
	rows, _, err := rp.s.FindAudit(ctx, auditor, store.AuditFilter{Action: "checkin.complete", ActorID: theo.UserID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Outcome != store.OutcomeDenied || rows[0].Detail != "emergency; perm=forms" {
		t.Fatalf("paper entry by emergency access audited as %+v, want one denied row with detail %q", rows, "emergency; perm=forms")
	}
	// A store function that rewrites the whole entry cannot drop the mark.
	if err := store.PatientAccessForTest(ctx, rp.s, theo, rp.p.ID, func(e *store.Entry) {
		*e = store.Entry{Action: "test.read", ObjectType: "note", ObjectID: "n1", Detail: "its own detail", Emergency: false}
	}); err != nil {
		t.Fatal(err)
	}
	rows, _, err = rp.s.FindAudit(ctx, auditor, store.AuditFilter{Action: "test.read", ActorID: theo.UserID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Outcome != store.OutcomeSuccess || rows[0].Detail != "emergency; its own detail" || rows[0].PatientID != rp.p.ID {
		t.Fatalf("read by emergency access audited as %+v, want one row on the patient with detail %q", rows, "emergency; its own detail")
	}
	report, err := rp.s.AccessReport(ctx, rp.patient)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range report {
		if r.Action == "test.read" {
			found = true
			if !r.Emergency {
				t.Error("the patient's access report does not mark the read as emergency access")
			}
		}
	}
	if !found {
		t.Error("the read is not in the patient's access report")
	}
}
