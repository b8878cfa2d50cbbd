package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// dateOf is t's calendar date, as a paper signature's SignedOn.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// TestPaperConsentSignedBeforeTheWithdrawal (from an independent review):
// the patient revokes KAP consent; a clinician then records a paper
// signed before the revocation. It must not bring the consent back, and
// the dosing gate must keep refusing. A paper dated the day of the
// withdrawal needs the clinician's explicit confirmation that the patient
// signed it after withdrawing; one dated later counts. The paper's date
// is the signature's time; when it was recorded is kept apart.
func TestPaperConsentSignedBeforeTheWithdrawal(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.readyForDosing(t)
	day0 := pr.now
	storetest.SignPaper(t, pr.s, pr.thea, pr.p.ID)
	c := pr.consent(t, pr.thea, clinic.ConsentKAP)
	v1 := c.Latest.ID
	if g := c.Current(); g == nil {
		t.Fatal("the paper signature does not hold")
	} else if !g.SignedAt.Equal(dateOf(day0)) || !g.RecordedAt.Equal(day0.UTC().Truncate(time.Microsecond)) {
		t.Errorf("paper signature dated %v recorded %v, want %v and %v", g.SignedAt, g.RecordedAt, dateOf(day0), day0)
	}
	pr.now = day0.Add(48 * time.Hour)
	if err := pr.s.RevokeConsent(ctx, pr.patient, pr.p.ID, c.Current().ID, "I withdraw"); err != nil {
		t.Fatal(err)
	}
	pr.now = day0.Add(72 * time.Hour)
	paper := func(on time.Time, name string, confirmed bool) error {
		_, err := pr.s.RecordPaperConsent(ctx, pr.thea, pr.p.ID, store.PaperInput{DocumentID: v1, TypedName: name, SignedOn: on, AfterWithdrawal: confirmed, Scan: storetest.ScanPDF})
		return err
	}
	for _, tc := range []struct {
		name      string
		on        time.Time
		typed     string
		confirmed bool
		field     string
		want      string
	}{
		{"dated before the withdrawal", dateOf(day0.Add(24 * time.Hour)), "Pat", false, "signed_on", "signed before that and does not bring it back"},
		{"dated before the withdrawal, even if confirmed", dateOf(day0.Add(24 * time.Hour)), "Pat", true, "signed_on", "Ask the patient to sign again"},
		{"dated the day of the withdrawal, not confirmed", dateOf(day0.Add(48 * time.Hour)), "Pat", false, "after_withdrawal", "Tick the box only if"},
		{"no date", time.Time{}, "Pat", false, "signed_on", "Enter the date written on the paper"},
		{"dated tomorrow", dateOf(day0.Add(96 * time.Hour)), "Pat", false, "signed_on", "cannot be in the future"},
		{"another name", dateOf(day0.Add(72 * time.Hour)), "Signed on paper", false, "typed_name", "full name as we have it on record"},
	} {
		err := paper(tc.on, tc.typed, tc.confirmed)
		var ce *clinic.Error
		if !errorsAs(err, &ce) || !strings.Contains(ce.Fields[tc.field], tc.want) {
			t.Errorf("%s: %v, want %q at %s", tc.name, err, tc.want, tc.field)
		}
	}
	if c := pr.consent(t, pr.thea, clinic.ConsentKAP); c.Status() != clinic.ConsentRevoked || len(c.Signatures) != 1 {
		t.Fatalf("after refused papers: %s with %d signatures", c.Status(), len(c.Signatures))
	}
	if d := pr.fullGate(t); d.Status != clinic.SessionGate || !strings.Contains(d.Problems["consent"], "revoked") {
		t.Fatalf("gate after refused papers: %s %v", d.Status, d.Problems)
	}

	// The same day, confirmed: it holds, marked and audited as confirmed.
	if err := paper(dateOf(day0.Add(48*time.Hour)), " pat ", true); err != nil {
		t.Fatal(err)
	}
	c = pr.consent(t, pr.thea, clinic.ConsentKAP)
	if g := c.Current(); c.Status() != clinic.ConsentCurrent || !g.AfterWithdrawal || !g.SignedAt.Equal(dateOf(day0.Add(48*time.Hour))) || !g.RecordedAt.Equal(pr.now.UTC()) {
		t.Fatalf("confirmed paper: %s %+v", c.Status(), g)
	}
	if n, err := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM audit_events WHERE action = 'consent.paper' AND detail LIKE '%confirmed-signed-after-withdrawal%'`); err != nil || n != 1 {
		t.Errorf("confirmation audited %d times, %v", n, err)
	}
	if d := pr.fullGate(t); d.Status != clinic.SessionReady {
		t.Fatalf("gate after the confirmed paper: %s %v", d.Status, d.Problems)
	}

	// Revoked again; a paper dated after that day counts without a box.
	pr.now = day0.Add(96 * time.Hour)
	if err := pr.s.RevokeConsent(ctx, pr.thea, pr.p.ID, c.Current().ID, "The patient asked by phone."); err != nil {
		t.Fatal(err)
	}
	pr.now = day0.Add(120 * time.Hour)
	if err := paper(dateOf(day0.Add(96*time.Hour)), "Pat", true); err != nil { // the day of the new withdrawal: confirmed
		t.Fatal(err)
	}
	if c := pr.consent(t, pr.thea, clinic.ConsentKAP); c.Status() != clinic.ConsentCurrent {
		t.Fatalf("after the second confirmed paper: %s", c.Status())
	}
	c = pr.consent(t, pr.thea, clinic.ConsentKAP)
	if err := pr.s.RevokeConsent(ctx, pr.thea, pr.p.ID, c.Current().ID, "The patient asked again."); err != nil {
		t.Fatal(err)
	}
	pr.now = day0.Add(144 * time.Hour)
	if err := paper(dateOf(pr.now), "PAT", false); err != nil {
		t.Fatal(err)
	}
	if c := pr.consent(t, pr.thea, clinic.ConsentKAP); c.Status() != clinic.ConsentCurrent || c.Current().AfterWithdrawal {
		t.Fatalf("paper dated after the withdrawal: %s %+v", c.Status(), c.Current())
	}
}

// TestConsentPathsTakeThePatientLock: signing, recording a paper
// signature, revoking and the dose (which re-checks the KAP consent) all
// wait for the patient's consent lock, so on PostgreSQL (READ COMMITTED) a
// revocation and a dose committing at the same moment take turns and the
// dose sees the revocation. On SQLite the single writer already makes
// them wait.
func TestConsentPathsTakeThePatientLock(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.readyForDosing(t)
	storetest.SignPaper(t, pr.s, pr.thea, pr.p.ID)
	d := pr.fullGate(t)
	if d.Status != clinic.SessionReady {
		t.Fatalf("gate: %s %v", d.Status, d.Problems)
	}
	kap := pr.consent(t, pr.patient, clinic.ConsentKAP)
	tele := pr.consent(t, pr.patient, clinic.ConsentTelehealth)
	touch := pr.consent(t, pr.thea, clinic.ConsentTouch)
	paths := map[string]func() error{
		"revoke": func() error { return pr.s.RevokeConsent(ctx, pr.patient, pr.p.ID, kap.Current().ID, "") },
		"dose": func() error {
			return pr.s.RecordDose(ctx, pr.thea, pr.p.ID, d.ID, store.Dose{Amount: "200", Unit: "mg", Route: clinic.RouteSublingual})
		},
		"sign": func() error {
			_, err := pr.s.SignConsent(ctx, pr.patient, pr.p.ID, store.SignInput{DocumentID: tele.Latest.ID, TextHash: tele.Latest.Hash(), TypedName: "Pat", Agreed: true})
			return err
		},
		"paper": func() error {
			_, err := pr.s.RecordPaperConsent(ctx, pr.thea, pr.p.ID, store.PaperInput{DocumentID: touch.Latest.ID, TypedName: "Pat", SignedOn: storetest.PaperToday(t, pr.s), Scan: storetest.ScanPDF})
			return err
		},
	}
	held, release, done := store.HoldConsentLockForTest(ctx, pr.s, pr.p.ID)
	<-held
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(paths))
	for name, f := range paths {
		go func() { results <- result{name, f()} }()
	}
	early := 0
	select {
	case r := <-results:
		t.Errorf("%s finished while the patient's consent lock was held: %v", r.name, r.err)
		early++
	case <-time.After(500 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for range len(paths) - early {
		select {
		case r := <-results:
			t.Logf("%s: %v", r.name, r.err)
			if r.err != nil && clinic.ErrorCode(r.err) == "" {
				t.Errorf("%s: %v", r.name, r.err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a consent path never finished after the lock was released")
		}
	}
}
