package store_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// readyForDosing gives pr's patient everything the gate needs but the
// consent: an intake, the evaluation, the clearance and a prescription.
func (pr *rxPractice) readyForDosing(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := pr.s.SaveIntake(ctx, pr.patient, pr.p.ID, fullIntake(nil, clinic.MedicationLine{Name: "Sertraline", Dose: "50 mg"}), true, store.QuestionIDs()); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.SaveEvaluation(ctx, pr.thea, pr.p.ID, store.Evaluation{Recommendation: "suitable", Summary: "Suitable."}); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.RecordClearance(ctx, pr.rex, pr.p.ID, store.Cleared, "Fit.", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := pr.s.RecordPrescription(ctx, pr.rex, pr.p.ID, rxInput(6)); err != nil {
		t.Fatal(err)
	}
}

// fullGate starts a session (closing any open one first) and records
// every attested line; it returns the session as it then stands.
func (pr *rxPractice) fullGate(t *testing.T) *store.DosingSession {
	t.Helper()
	ctx := context.Background()
	id, err := pr.s.StartDosingSession(ctx, pr.thea, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	sys, dia, hr, spo2 := 124, 80, 70, 98
	d, err := pr.s.RecordGate(ctx, pr.thea, pr.p.ID, id, store.GateInput{
		Medications: []string{"Sertraline 50 mg"}, MedsGiven: true, MedsReviewed: true, Fasting: true,
		Pregnancy: clinic.PregnancyNotApplicable, Escort: "Sam Lee", EscortOK: true,
		Vitals: &store.Vitals{ClientID: store.NewID(), Phase: clinic.PhasePreDose, Systolic: &sys, Diastolic: &dia, HeartRate: &hr, SpO2: &spo2},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (pr *rxPractice) consent(t *testing.T, who store.Actor, kind string) store.Consent {
	t.Helper()
	cs, err := pr.s.PatientConsents(context.Background(), who, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Kind == kind {
			return c
		}
	}
	t.Fatalf("no %s", kind)
	return store.Consent{}
}

// signLatest signs kind's newest version in the portal as the patient.
func (pr *rxPractice) signLatest(t *testing.T, kind string) *store.ConsentSignature {
	t.Helper()
	c := pr.consent(t, pr.patient, kind)
	g, err := pr.s.SignConsent(context.Background(), pr.patient, pr.p.ID, store.SignInput{DocumentID: c.Latest.ID, TextHash: c.Latest.Hash(), TypedName: "pat", Agreed: true})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (pr *rxPractice) publish(t *testing.T, kind, body string, reconsent bool) *store.ConsentDocument {
	t.Helper()
	c := pr.consent(t, pr.thea, kind)
	d, err := pr.s.PublishConsent(context.Background(), pr.admin, store.PublishInput{Kind: kind, Body: body, RequiresReconsent: reconsent, After: c.Latest.Version})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestConsentVersionForcesReconsentAtTheGate is issue 16's acceptance: a
// consent version change the practice marks as needing re-consent blocks
// the next dosing session's gate until the patient signs it; a version
// that does not need it blocks nothing.
func TestConsentVersionForcesReconsentAtTheGate(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.readyForDosing(t)

	// Nothing signed: the gate holds on the consent line alone.
	d := pr.fullGate(t)
	if d.Status != clinic.SessionGate || len(d.Problems) != 1 || !strings.Contains(d.Problems["consent"], "has not signed the KAP informed consent") {
		t.Fatalf("unsigned: status %s, problems %v", d.Status, d.Problems)
	}

	// The patient signs v1 in the portal: the gate passes and records the signature it passed on.
	g1 := pr.signLatest(t, clinic.ConsentKAP)
	d = pr.fullGate(t)
	if d.Status != clinic.SessionReady || len(d.Problems) != 0 {
		t.Fatalf("signed v1: status %s, problems %v", d.Status, d.Problems)
	}
	if rec := d.Items["consent"]; rec.Value != "signature:"+g1.ID || !strings.Contains(rec.Note, "version 1, portal") {
		t.Errorf("the gate's consent record = %+v, want signature %s", rec, g1.ID)
	}
	if err := pr.s.StopDosingSession(ctx, pr.thea, pr.p.ID, d.ID, "Test: not dosed."); err != nil {
		t.Fatal(err)
	}

	// v2 requires re-consent: the next session's gate blocks, saying why.
	pr.now = pr.now.Add(time.Hour)
	pr.publish(t, clinic.ConsentKAP, "Version two of our consent.", true)
	d = pr.fullGate(t)
	if d.Status != clinic.SessionGate || !strings.Contains(d.Problems["consent"], "version 2 asks for consent again") || !strings.Contains(d.Problems["consent"], "signed version 1") {
		t.Fatalf("after v2: status %s, problems %v", d.Status, d.Problems)
	}
	if c := pr.consent(t, pr.thea, clinic.ConsentKAP); c.Status() != clinic.ConsentReconsent {
		t.Errorf("status %s, want reconsent", c.Status())
	}

	// The patient signs v2: the same session's gate passes.
	pr.now = pr.now.Add(time.Minute)
	pr.signLatest(t, clinic.ConsentKAP)
	d = pr.fullGate(t)
	if d.Status != clinic.SessionReady {
		t.Fatalf("signed v2: status %s, problems %v", d.Status, d.Problems)
	}
	if err := pr.s.StopDosingSession(ctx, pr.thea, pr.p.ID, d.ID, "Test: not dosed."); err != nil {
		t.Fatal(err)
	}

	// v3 without re-consent: the v2 signature still holds.
	pr.now = pr.now.Add(time.Hour)
	pr.publish(t, clinic.ConsentKAP, "Version three: a typo fixed.", false)
	d = pr.fullGate(t)
	if d.Status != clinic.SessionReady {
		t.Fatalf("after v3: status %s, problems %v", d.Status, d.Problems)
	}
	if c := pr.consent(t, pr.thea, clinic.ConsentKAP); c.Status() != clinic.ConsentCurrent || c.Current().Version != 2 || c.Latest.Version != 3 {
		t.Errorf("after v3: %s on v%d of v%d", c.Status(), c.Current().Version, c.Latest.Version)
	}

	// Revoked after the gate passed: the dose is refused.
	if err := pr.s.RevokeConsent(ctx, pr.patient, pr.p.ID, pr.consent(t, pr.patient, clinic.ConsentKAP).Current().ID, ""); err != nil {
		t.Fatal(err)
	}
	err := pr.s.RecordDose(ctx, pr.thea, pr.p.ID, d.ID, store.Dose{Amount: "200", Unit: "mg", Route: clinic.RouteSublingual})
	if clinic.ErrorCode(err) == "" || !strings.Contains(clinic.ErrorMessage(err), "revoked") {
		t.Errorf("dose after revocation: %v", err)
	}
}

// TestSignConsent: the patient's own signature in the portal checks the
// typed name and the agreement, refuses a version no longer the newest,
// records the time, address and the text's hash, and is the patient's
// alone.
func TestSignConsent(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	c := pr.consent(t, pr.patient, clinic.ConsentTelehealth)
	in := store.SignInput{DocumentID: c.Latest.ID, TextHash: c.Latest.Hash(), TypedName: "Someone Else", Agreed: false}
	_, err := pr.s.SignConsent(ctx, pr.patient, pr.p.ID, in)
	var ce *clinic.Error
	if clinic.ErrorCode(err) != clinic.EInvalid || !errorsAs(err, &ce) || ce.Fields["typed_name"] == "" || ce.Fields["agree"] == "" {
		t.Fatalf("bad name, no agreement: %v", err)
	}
	// Staff cannot sign for the patient; nor can another patient.
	in.TypedName, in.Agreed = "  PAT ", true
	for _, who := range []store.Actor{pr.thea, pr.rex, pr.admin, pr.other} {
		if _, err := pr.s.SignConsent(ctx, who, pr.p.ID, in); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s signs for the patient: %v", who.Role, err)
		}
	}
	// A version published while the patient read is refused.
	pr.publish(t, clinic.ConsentTelehealth, "A newer text.", false)
	if _, err := pr.s.SignConsent(ctx, pr.patient, pr.p.ID, in); clinic.ErrorCode(err) != clinic.EConflict || !strings.Contains(clinic.ErrorMessage(err), "newer version") {
		t.Fatalf("old version: %v", err)
	}
	c = pr.consent(t, pr.patient, clinic.ConsentTelehealth)
	in.DocumentID = c.Latest.ID
	// A text hash that is not the text's (another text shown) is refused too.
	in.TextHash = clinic.ConsentTextHash("something else")
	if _, err := pr.s.SignConsent(ctx, pr.patient, pr.p.ID, in); clinic.ErrorCode(err) != clinic.EConflict {
		t.Fatalf("wrong hash: %v", err)
	}
	in.TextHash = c.Latest.Hash()
	actor := pr.patient
	actor.Addr = "203.0.113.9"
	g, err := pr.s.SignConsent(ctx, actor, pr.p.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if g.Method != "portal" || g.ClientAddr != "203.0.113.9" || g.TextHash != clinic.ConsentTextHash("A newer text.\n") || !g.SignedAt.Equal(pr.now) || g.TypedName != "PAT" || g.Version != 2 {
		t.Errorf("signature %+v", g)
	}
	if _, err := pr.s.SignConsent(ctx, pr.patient, pr.p.ID, in); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("signing again: %v", err)
	}
	if c := pr.consent(t, pr.thea, clinic.ConsentTelehealth); c.Status() != clinic.ConsentCurrent || len(c.Signatures) != 1 {
		t.Errorf("after signing: %s, %d signatures", c.Status(), len(c.Signatures))
	}
	// Reads are audited, refusals too; the other patient sees nothing.
	if _, err := pr.s.PatientConsents(ctx, pr.other, pr.p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("another patient reads the consents: %v", err)
	}
	if _, err := pr.s.PatientConsents(ctx, pr.admin, pr.p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("an admin reads the consents: %v", err)
	}
}

func errorsAs(err error, ce **clinic.Error) bool { return errors.As(err, ce) }

// TestPaperConsentAndRevocation: staff on the care team record a paper
// signature with a scan (a PDF kept as sent, an image written again;
// anything else refused at the field), and revoke with a reason; the
// patient cannot record paper but may revoke their own.
func TestPaperConsentAndRevocation(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	doc := pr.consent(t, pr.thea, clinic.ConsentTouch).Latest
	var pic bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 40, 20))
	img.Set(3, 3, color.White)
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		scan []byte
		want string
	}{
		{"no file", nil, "Choose the scan"},
		{"not a scan", []byte("hello, this is text"), "not a PDF or a picture"},
		{"a PDF cut short", []byte("%PDF-1.4\n1 0 obj"), "cut short"},
		{"too large", append([]byte("%PDF-"), make([]byte, store.ConsentScanMaxBytes)...), "larger than 5 MB"},
	} {
		_, err := pr.s.RecordPaperConsent(ctx, pr.thea, pr.p.ID, store.PaperInput{DocumentID: doc.ID, TypedName: "Pat", SignedOn: storetest.PaperToday(t, pr.s), Scan: tc.scan})
		var ce *clinic.Error
		if !errorsAs(err, &ce) || !strings.Contains(ce.Fields["scan"], tc.want) {
			t.Errorf("%s: %v, want %q at the scan", tc.name, err, tc.want)
		}
	}
	for _, who := range []store.Actor{pr.patient, pr.admin, pr.theo} {
		if _, err := pr.s.RecordPaperConsent(ctx, who, pr.p.ID, store.PaperInput{DocumentID: doc.ID, TypedName: "Pat", SignedOn: storetest.PaperToday(t, pr.s), Scan: storetest.ScanPDF}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s records paper: %v", who.Role, err)
		}
	}
	g, err := pr.s.RecordPaperConsent(ctx, pr.rex, pr.p.ID, store.PaperInput{DocumentID: doc.ID, TypedName: "Pat", SignedOn: storetest.PaperToday(t, pr.s), Scan: pic.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if g.Method != "paper" || g.ScanType != "image/png" || g.RecordedBy == "" {
		t.Errorf("paper signature %+v", g)
	}
	for _, who := range []store.Actor{pr.patient, pr.thea} {
		ct, data, err := pr.s.ConsentScan(ctx, who, pr.p.ID, g.ID)
		if err != nil || ct != "image/png" || len(data) == 0 {
			t.Errorf("%s reads the scan: %s %d %v", who.Role, ct, len(data), err)
		}
	}
	if _, _, err := pr.s.ConsentScan(ctx, pr.other, pr.p.ID, g.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("another patient reads the scan: %v", err)
	}
	if pr.consent(t, pr.thea, clinic.ConsentTouch).Status() != clinic.ConsentCurrent {
		t.Fatal("paper signature does not hold")
	}
	// Staff must give a reason; once revoked, not again.
	if err := pr.s.RevokeConsent(ctx, pr.thea, pr.p.ID, g.ID, " "); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("staff revocation without a reason: %v", err)
	}
	if err := pr.s.RevokeConsent(ctx, pr.other, pr.p.ID, g.ID, "x"); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("another patient revokes: %v", err)
	}
	if err := pr.s.RevokeConsent(ctx, pr.thea, pr.p.ID, g.ID, "The patient phoned to withdraw."); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.RevokeConsent(ctx, pr.patient, pr.p.ID, g.ID, ""); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("revoking twice: %v", err)
	}
	c := pr.consent(t, pr.patient, clinic.ConsentTouch)
	if c.Status() != clinic.ConsentRevoked || c.Last().RevokedReason != "The patient phoned to withdraw." || c.Last().RevokedBy == "" {
		t.Errorf("after revocation: %s %+v", c.Status(), c.Last())
	}
}

// TestConsentTouchFromSignedDocument: the session's consent to touch is the
// preparation's only while the consent-to-touch document is signed.
func TestConsentTouchFromSignedDocument(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	if err := pr.s.SavePreparation(ctx, pr.thea, pr.p.ID, store.Preparation{Touch: clinic.TouchTherapeutic, TouchDetail: "A hand on the shoulder"}); err != nil {
		t.Fatal(err)
	}
	id, err := pr.s.StartDosingSession(ctx, pr.thea, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := pr.s.DosingSessionFor(ctx, pr.thea, pr.p.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Touch() != clinic.TouchNone || !d.TouchUnsigned() {
		t.Errorf("unsigned: touch %q", d.Touch())
	}
	pr.signLatest(t, clinic.ConsentTouch)
	if d, err = pr.s.DosingSessionFor(ctx, pr.thea, pr.p.ID, id); err != nil {
		t.Fatal(err)
	}
	if d.Touch() != clinic.TouchTherapeutic || d.TouchUnsigned() {
		t.Errorf("signed: touch %q", d.Touch())
	}
}

// TestConsentDocuments: kapstone's originals are version 1 of every kind
// (once, however often the store migrates); only admins publish, each
// version a new row, with a conflict when someone published meanwhile;
// versions page.
func TestConsentDocuments(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	if _, err := pr.s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	kinds, err := pr.s.ConsentKinds(ctx, pr.admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) != len(clinic.ConsentKinds) {
		t.Fatalf("%d kinds", len(kinds))
	}
	for _, k := range kinds {
		if k.Count != 1 || k.Latest.Version != 1 || k.Latest.Body != store.ConsentOriginal(k.Kind) || k.Latest.PublishedBy != "" {
			t.Errorf("%s: %d versions, latest %+v", k.Kind, k.Count, k.Latest)
		}
	}
	for _, who := range []store.Actor{pr.thea, pr.rex, pr.patient} {
		if _, err := pr.s.PublishConsent(ctx, who, store.PublishInput{Kind: clinic.ConsentKAP, Body: "x", After: 1}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s publishes: %v", who.Role, err)
		}
		if _, _, err := pr.s.ConsentVersions(ctx, who, clinic.ConsentKAP, 1); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s lists versions: %v", who.Role, err)
		}
	}
	var ce *clinic.Error
	if _, err := pr.s.PublishConsent(ctx, pr.admin, store.PublishInput{Kind: clinic.ConsentKAP, Body: "  \n", After: 1}); !errorsAs(err, &ce) || ce.Fields["body"] == "" {
		t.Errorf("empty body: %v", err)
	}
	if _, err := pr.s.PublishConsent(ctx, pr.admin, store.PublishInput{Kind: clinic.ConsentKAP, Body: "New.", After: 0}); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("published meanwhile: %v", err)
	}
	if _, err := pr.s.PublishConsent(ctx, pr.admin, store.PublishInput{Kind: "nope", Body: "New.", After: 0}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("unknown kind: %v", err)
	}
	for i := 1; i <= 21; i++ {
		d, err := pr.s.PublishConsent(ctx, pr.admin, store.PublishInput{Kind: clinic.ConsentKAP, Title: "KAP consent", Body: "Text\r\nline", After: i})
		if err != nil {
			t.Fatal(err)
		}
		if d.Version != i+1 || d.Body != "Text\nline\n" || d.PublishedBy == "" {
			t.Fatalf("published %+v", d)
		}
	}
	page1, more, err := pr.s.ConsentVersions(ctx, pr.admin, clinic.ConsentKAP, 1)
	if err != nil || len(page1) != 20 || !more || page1[0].Version != 22 {
		t.Fatalf("page 1: %d versions, more %v, %v", len(page1), more, err)
	}
	page2, more, err := pr.s.ConsentVersions(ctx, pr.admin, clinic.ConsentKAP, 2)
	if err != nil || len(page2) != 2 || more || page2[1].Version != 1 {
		t.Fatalf("page 2: %d versions, more %v, %v", len(page2), more, err)
	}
}

// TestConsentTablesAppendOnly: a published version, a signature, a scan
// and a revocation cannot be changed or deleted, even by direct SQL.
func TestConsentTablesAppendOnly(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	storetest.SignPaper(t, pr.s, pr.thea, pr.p.ID)
	g := pr.consent(t, pr.thea, clinic.ConsentKAP).Current()
	if err := pr.s.RevokeConsent(ctx, pr.thea, pr.p.ID, g.ID, "Test."); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE consent_documents SET body = 'changed'`,
		`DELETE FROM consent_documents`,
		`UPDATE consent_signatures SET typed_name = 'changed'`,
		`DELETE FROM consent_signatures`,
		`UPDATE consent_scans SET content_type = 'text/html'`,
		`DELETE FROM consent_scans`,
		`UPDATE consent_revocations SET reason = 'changed'`,
		`DELETE FROM consent_revocations`,
	} {
		if err := store.ExecForTest(ctx, pr.s, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
}

// TestConsentOriginalsCoverTheElements: kapstone's original KAP consent and
// consent to touch name every element of REFERENCE.md section 4.
func TestConsentOriginalsCoverTheElements(t *testing.T) {
	kap := strings.ToLower(store.ConsentOriginal(clinic.ConsentKAP))
	for _, el := range []string{"off-label", "schedule iii", "dissociative", "lozenge", "injection into a muscle", "start with a low dose",
		"screening", "withdraw at any time before a dose", "4 hours", "2 hours", "blood pressure", "nausea", "vision", "confusion",
		"difficult experiences", "dependence", "bladder", "driving", "pregnan", "other options", "take you home", "until the next day",
		"988", "911", "confidential", "physical address", "chaperone"} {
		if !strings.Contains(kap, el) {
			t.Errorf("the KAP consent does not cover %q", el)
		}
	}
	touch := strings.ToLower(store.ConsentOriginal(clinic.ConsentTouch))
	for _, el := range []string{"specific", "withdraw", "observers", "trainees", "no touch", "that stands", "preparation session"} {
		if !strings.Contains(touch, el) {
			t.Errorf("the consent to touch does not cover %q", el)
		}
	}
	for _, k := range clinic.ConsentKinds {
		if len(store.ConsentOriginal(k.Key)) < 500 {
			t.Errorf("%s: no original", k.Key)
		}
	}
}
