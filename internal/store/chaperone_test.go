package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// remoteDosed makes a remote session of patientID dosed at pr.now, with
// its chaperone, and returns its id.
func (pr *rxPractice) remoteDosed(t *testing.T, patientID string, remote bool) string {
	t.Helper()
	id := pr.addDosing(t, patientID, "dosed", pr.now.Add(-30*time.Minute))
	if err := store.ExecForTest(context.Background(), pr.s, `UPDATE dosing_sessions SET remote = $1, chaperone = 'Sam Lee', dose_at = $2 WHERE id = $3`, remote, pr.now, id); err != nil {
		t.Fatal(err)
	}
	return id
}

func chaperoneActions(t *testing.T, pr *rxPractice, patientID, id string) []string {
	t.Helper()
	d, err := pr.s.DosingSessionFor(context.Background(), pr.thea, patientID, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range d.Events {
		if e.Kind == "check" {
			out = append(out, e.Action)
		}
	}
	return out
}

func chaperoneAlert(t *testing.T, pr *rxPractice, patientID string) string {
	t.Helper()
	alerts, err := pr.s.OpenSafetyAlerts(context.Background(), pr.thea)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.PatientID == patientID && a.Source == store.AlertSourceChaperone {
			return a.Signal
		}
	}
	return ""
}

// TestChaperoneLinkRules: who may make a link, for which session; a link
// opens its own session's page only, with the patient's first name; a new
// link revokes the old; revoking, discharge and stopping end it; a bad
// token is refused like a link that has ended. Both engines.
func TestChaperoneLinkRules(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	if err := store.ExecForTest(ctx, pr.s, `UPDATE patients SET display_name = 'Pat Quigley' WHERE id = $1`, pr.p.ID); err != nil {
		t.Fatal(err)
	}
	id := pr.remoteDosed(t, pr.p.ID, true)
	local := pr.remoteDosed(t, pr.q.ID, false)
	for _, tc := range []struct {
		name      string
		actor     store.Actor
		patient   string
		session   string
		wantField string // "" with wantCode
		wantCode  string
	}{
		{"not on the care team", pr.theo, pr.p.ID, id, "", clinic.ENotFound},
		{"the patient", pr.patient, pr.p.ID, id, "", clinic.ENotFound},
		{"an administrator", pr.admin, pr.p.ID, id, "", clinic.ENotFound},
		{"another patient's session in the URL", pr.thea, pr.q.ID, id, "", clinic.ENotFound},
		{"a session in the clinic", pr.theo, pr.q.ID, local, "chaperone", ""},
	} {
		_, err := pr.s.CreateChaperoneLink(ctx, tc.actor, tc.patient, tc.session)
		if tc.wantField != "" {
			if e, ok := err.(*clinic.Error); !ok || e.Fields[tc.wantField] == "" {
				t.Errorf("%s: %v, want a %s field error", tc.name, err, tc.wantField)
			}
			continue
		}
		if clinic.ErrorCode(err) != tc.wantCode {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.wantCode)
		}
	}
	first, err := pr.s.CreateChaperoneLink(ctx, pr.thea, pr.p.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pr.s.ChaperonePage(ctx, store.Actor{Addr: "192.0.2.9"}, auth.HashToken(first))
	if err != nil {
		t.Fatal(err)
	}
	if v.PatientFirst != "Pat" || v.Chaperone != "Sam Lee" || v.Clinician != "thea" || v.Status != clinic.SessionDosed || !v.Due.Equal(pr.now.Add(15*time.Minute)) {
		t.Errorf("page = %+v, want Pat (first name only), Sam Lee, thea, dosed, due 15 minutes after the dose", v)
	}
	if n, _, err := pr.s.CountAudit(ctx, "chaperone.read", id, "192.0.2.9", pr.now.Add(-time.Hour)); err != nil || n != 1 {
		t.Errorf("audited reads = %d, %v; want 1", n, err)
	}
	second, err := pr.s.CreateChaperoneLink(ctx, pr.thea, pr.p.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	d, err := pr.s.DosingSessionFor(ctx, pr.thea, pr.p.ID, id)
	if err != nil || d.ChaperoneLink == nil || !d.ChaperoneLink.Live {
		t.Fatalf("the staff page's link = %+v, %v; want the live one", d.ChaperoneLink, err)
	}
	gone := func(what, token string) {
		t.Helper()
		hash := auth.HashToken(token)
		if _, err := pr.s.ChaperonePage(ctx, store.Actor{}, hash); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s: page %v, want ENotFound", what, err)
		}
		if err := pr.s.ChaperoneHelpNow(ctx, store.Actor{}, hash, "h-"+what); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s: help %v, want ENotFound", what, err)
		}
		if err := pr.s.ChaperoneCheckIn(ctx, store.Actor{}, hash, "c-"+what, clinic.ChaperoneAnswers{Responsive: true, Breathing: true}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s: check-in %v, want ENotFound", what, err)
		}
	}
	gone("replaced", first)
	gone("made up", auth.NewToken())
	gone("the hash itself", auth.HashToken(second))
	if err := pr.s.RevokeChaperoneLink(ctx, pr.thea, pr.p.ID, id); err != nil {
		t.Fatal(err)
	}
	gone("revoked", second)
	if err := pr.s.RevokeChaperoneLink(ctx, pr.thea, pr.p.ID, id); err == nil {
		t.Error("revoking twice: want a field error")
	}
	third, err := pr.s.CreateChaperoneLink(ctx, pr.thea, pr.p.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	pr.now = pr.now.Add(clinic.ChaperoneLinkHours * time.Hour)
	gone("expired", third)
	pr.now = pr.now.Add(-clinic.ChaperoneLinkHours * time.Hour)
	fourth, err := pr.s.CreateChaperoneLink(ctx, pr.thea, pr.p.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pr.s.ChaperonePage(ctx, store.Actor{}, auth.HashToken(fourth)); err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{"discharged", "stopped"} {
		if err := store.ExecForTest(ctx, pr.s, `UPDATE dosing_sessions SET status = $1 WHERE id = $2`, status, id); err != nil {
			t.Fatal(err)
		}
		gone(status, fourth)
		if _, err := pr.s.CreateChaperoneLink(ctx, pr.thea, pr.p.ID, id); err == nil {
			t.Errorf("a link for a %s session: want refused", status)
		}
	}
}

// TestChaperoneCheckIns: check-ins every 15 minutes keep the session
// quiet; one missed by more than the grace is recorded on the timeline and
// alerts the care team, once per check period, found by the watch job
// with nobody's page open; a worrying check-in and "need help now" alert
// at once; all of it is on the timeline. Both engines.
func TestChaperoneCheckIns(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	dose := pr.now
	id := pr.remoteDosed(t, pr.p.ID, true)
	token, err := pr.s.CreateChaperoneLink(ctx, pr.thea, pr.p.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	hash := auth.HashToken(token)
	chaperone := store.Actor{Addr: "192.0.2.7"}
	ok := clinic.ChaperoneAnswers{Responsive: true, Breathing: true}
	watch := func(at time.Duration) {
		t.Helper()
		pr.now = dose.Add(at)
		if err := pr.s.ChaperoneWatchJob(ctx, store.Job{Kind: store.JobChaperoneWatch, Payload: `{"session":"` + id + `"}`}); err != nil {
			t.Fatal(err)
		}
	}
	// Every 15 minutes for an hour: nothing missed.
	for i := 1; i <= 4; i++ {
		pr.now = dose.Add(time.Duration(i*15-1) * time.Minute)
		if err := pr.s.ChaperoneCheckIn(ctx, chaperone, hash, "c"+string(rune('0'+i)), ok); err != nil {
			t.Fatal(err)
		}
		watch(time.Duration(i*15+4) * time.Minute)
	}
	if got := chaperoneActions(t, pr, pr.p.ID, id); strings.Count(strings.Join(got, ","), clinic.ChaperoneCheckIn) != 4 || slicesHas(got, clinic.ChaperoneMissed) {
		t.Fatalf("after an hour of check-ins: %v, want 4 check-ins and nothing missed", got)
	}
	if a := chaperoneAlert(t, pr, pr.p.ID); a != "" {
		t.Fatalf("alert %q after check-ins on time, want none", a)
	}
	// The same check-in sent twice (a retry) is kept once.
	pr.now = dose.Add(59 * time.Minute)
	if err := pr.s.ChaperoneCheckIn(ctx, chaperone, hash, "c4", ok); err != nil {
		t.Fatal(err)
	}
	// The last check was at 59 minutes: due at 74, missed from 79.
	v, err := pr.s.ChaperonePage(ctx, chaperone, hash)
	if err != nil || !v.Due.Equal(dose.Add(74*time.Minute)) || v.Late {
		t.Fatalf("page = %+v, %v; want due at 74 minutes, not late", v, err)
	}
	pr.now = dose.Add(76 * time.Minute)
	if v, err = pr.s.ChaperonePage(ctx, chaperone, hash); err != nil || !v.Late || v.Missed {
		t.Fatalf("at 76 minutes: %+v, %v; want late, not yet missed", v, err)
	}
	watch(78 * time.Minute)
	if a := chaperoneAlert(t, pr, pr.p.ID); a != "" {
		t.Fatalf("alert %q within the grace, want none", a)
	}
	watch(80 * time.Minute)
	if a := chaperoneAlert(t, pr, pr.p.ID); !strings.Contains(a, "missed a check-in") {
		t.Fatalf("alert %q after a missed check-in, want the missed one", a)
	}
	watch(81 * time.Minute) // the same period: not again
	watch(95 * time.Minute) // the next period (due 89, missed from 94): again
	if got := chaperoneActions(t, pr, pr.p.ID, id); strings.Count(strings.Join(got, ","), clinic.ChaperoneMissed) != 2 {
		t.Errorf("missed entries = %v, want 2 (one per period)", got)
	}
	// A worrying check-in, then help now: at once, and the alert shows the
	// worst.
	pr.now = dose.Add(96 * time.Minute)
	if err := pr.s.ChaperoneCheckIn(ctx, chaperone, hash, "c9", clinic.ChaperoneAnswers{Responsive: true, Breathing: false, Note: "Snoring loudly"}); err != nil {
		t.Fatal(err)
	}
	// A minute on: the timeline orders events by when they were recorded,
	// and two at the same instant by their random ids.
	pr.now = pr.now.Add(time.Minute)
	if err := pr.s.ChaperoneHelpNow(ctx, chaperone, hash, "h1"); err != nil {
		t.Fatal(err)
	}
	if a := chaperoneAlert(t, pr, pr.p.ID); !strings.Contains(a, "asked for help now") {
		t.Errorf("alert %q after help now, want help", a)
	}
	d, err := pr.s.DosingSessionFor(ctx, pr.thea, pr.p.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	last := d.Events[len(d.Events)-1]
	prev := d.Events[len(d.Events)-2]
	if last.Action != clinic.ChaperoneHelp || prev.Action != clinic.ChaperoneCheckIn || !strings.Contains(prev.Body, "Breathing normally: no") || !strings.Contains(prev.Body, "Snoring loudly") || prev.Severity != "severe" {
		t.Errorf("timeline ends %+v, %+v; want the worrying check-in and help now", prev, last)
	}
	for _, action := range []string{"chaperone.checkin", "chaperone.help", "chaperone.missed", "chaperone.link"} {
		if n, _, err := pr.s.CountAudit(ctx, action, id, "", dose.Add(-time.Hour)); err != nil || n == 0 {
			t.Errorf("audit %s: %d, %v; want rows", action, n, err)
		}
	}
	// Bad input is a field error.
	for _, note := range []string{strings.Repeat("x", 501), "bad\x00note"} {
		if err := pr.s.ChaperoneCheckIn(ctx, chaperone, hash, "bad", clinic.ChaperoneAnswers{Note: note}); clinic.ErrorCode(err) != clinic.EInvalid {
			t.Errorf("note %.10q: %v, want EInvalid", note, err)
		}
	}
	// After discharge the watch records nothing more.
	if err := store.ExecForTest(ctx, pr.s, `UPDATE dosing_sessions SET status = 'discharged' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	before := len(chaperoneActions(t, pr, pr.p.ID, id))
	watch(200 * time.Minute)
	if after := len(chaperoneActions(t, pr, pr.p.ID, id)); after != before {
		t.Errorf("the watch after discharge added %d entries, want none", after-before)
	}
}

// TestChaperoneBeforeDose: before the dose the page shows the plan, a
// check-in is refused with the reason, help now still alerts.
func TestChaperoneBeforeDose(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	id := pr.addDosing(t, pr.p.ID, "ready", pr.now)
	if err := store.ExecForTest(ctx, pr.s, `UPDATE dosing_sessions SET remote = TRUE WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	token, err := pr.s.CreateChaperoneLink(ctx, pr.thea, pr.p.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	hash := auth.HashToken(token)
	if v, err := pr.s.ChaperonePage(ctx, store.Actor{}, hash); err != nil || !v.Due.IsZero() || v.Status != clinic.SessionReady {
		t.Fatalf("page before the dose = %+v, %v", v, err)
	}
	if err := pr.s.ChaperoneCheckIn(ctx, store.Actor{}, hash, "c1", clinic.ChaperoneAnswers{Responsive: true, Breathing: true}); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("check-in before the dose: %v, want a field error", err)
	}
	if err := pr.s.ChaperoneHelpNow(ctx, store.Actor{}, hash, "h1"); err != nil {
		t.Fatal(err)
	}
	if a := chaperoneAlert(t, pr, pr.p.ID); a == "" {
		t.Error("help before the dose: no alert")
	}
}

func slicesHas(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
