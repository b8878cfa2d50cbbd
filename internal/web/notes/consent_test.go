package notes_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// kapDoc reads, as the patient's portal page shows it, the KAP consent's
// newest version id and hash.
func kapDoc(t *testing.T, f *webtest.Fixture) (id, hash string, version int) {
	t.Helper()
	cs, err := f.St.PatientConsents(t.Context(), f.As("thea@example.org"), f.PA.ID)
	if err != nil {
		t.Fatal(err)
	}
	return cs[0].Latest.ID, cs[0].Latest.Hash(), cs[0].Latest.Version
}

// TestConsentChangeForcesReconsentThroughTheWeb is issue 16's acceptance
// through the pages: the patient signs v1 in the portal and the gate
// passes; an admin publishes v2 requiring re-consent and the next
// session's gate blocks, saying what to do; the patient signs v2 and it
// passes; a v3 without re-consent does not block.
func TestConsentChangeForcesReconsentThroughTheWeb(t *testing.T) {
	f := webtest.NewFixture(t)
	f.ClearA("sertraline 50 mg")
	f.PrescribeA()
	pat, admin, thea := f.SignIn("pat@example.org"), f.SignIn("admin@example.org"), f.SignIn("thea@example.org")
	sign := func(typed string) webtest.Response {
		t.Helper()
		id, hash, _ := kapDoc(t, f)
		page := f.Do("GET", "/portal/consents/kap_informed_consent", nil, pat)
		if page.Status != http.StatusOK || !strings.Contains(page.Body, hash) || !strings.Contains(page.Body, `name="typed_name"`) {
			t.Fatalf("the portal's consent page = %d, without the sign form", page.Status)
		}
		return f.Do("POST", "/portal/consents/kap_informed_consent/sign", url.Values{"document": {id}, "hash": {hash}, "typed_name": {typed}, "agree": {"yes"}}, pat)
	}
	gate := func() (path string, r webtest.Response) {
		t.Helper()
		path = f.StartDosing("thea@example.org")
		return path, f.Do("POST", path+"/gate", webtest.FullGate("sertraline 50 mg"), thea)
	}
	stop := func(path string) {
		t.Helper()
		if r := f.Do("POST", path+"/stop", url.Values{"stop_reason": {"Test: not dosed today."}}, thea); r.Status != http.StatusSeeOther {
			t.Fatalf("stop = %d", r.Status)
		}
	}

	// Before any signature the gate holds on consent, and says what to do.
	path, r := gate()
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "has not signed the KAP informed consent") || !strings.Contains(r.Body, "sign it in the portal") {
		t.Fatalf("unsigned gate = %d", r.Status)
	}
	if strings.Contains(r.Body, `name="consent"`) {
		t.Error("the gate still offers a consent box to tick")
	}
	stop(path)

	// A wrong name is refused at the field, and what was typed is kept.
	if r := sign("Somebody Else"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Type your full name as we have it on record") || !strings.Contains(r.Body, `value="Somebody Else"`) {
		t.Fatalf("wrong name = %d", r.Status)
	}
	if r := sign("  " + strings.ToUpper(f.PA.DisplayName) + " "); r.Status != http.StatusSeeOther {
		t.Fatalf("sign v1 = %d: %s", r.Status, r.Body)
	}
	path, r = gate()
	if r.Status != http.StatusSeeOther || f.Session(path).Status != clinic.SessionReady {
		t.Fatalf("signed v1: gate = %d, problems %v", r.Status, f.Session(path).Problems)
	}
	if page := f.Do("GET", path, nil, thea); !strings.Contains(page.Body, "Checked by kapstone: version 1") {
		t.Error("the gate does not show the signed version")
	}
	stop(path)

	// The admin previews, then publishes v2 requiring re-consent.
	_, _, v := kapDoc(t, f)
	form := url.Values{"title": {"KAP consent"}, "body": {"## Changed\n\nA **new** risk we tell you about."}, "requires_reconsent": {"yes"}, "after": {"1"}, "action": {"preview"}}
	if r := f.Do("POST", "/admin/consents/kap_informed_consent", form, admin); r.Status != http.StatusOK || !strings.Contains(r.Body, "<strong>new</strong>") || !strings.Contains(r.Body, "not published yet") {
		t.Fatalf("preview = %d", r.Status)
	}
	if _, _, v2 := kapDoc(t, f); v2 != v {
		t.Fatal("a preview published")
	}
	form.Set("action", "publish")
	if r := f.Do("POST", "/admin/consents/kap_informed_consent", form, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("publish = %d", r.Status)
	}
	if r := f.Do("GET", "/admin/consents/kap_informed_consent?published=2&reconsent=1", nil, admin); !strings.Contains(r.Body, "before their next dosing session") {
		t.Error("the admin is not told what re-consent means")
	}
	path, r = gate()
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "version 2 asks for consent again") {
		t.Fatalf("after v2 = %d", r.Status)
	}
	if d := f.Session(path); d.Status != clinic.SessionGate {
		t.Fatalf("after v2: %s", d.Status)
	}
	if r := f.Do("GET", "/portal/consents", nil, pat); !strings.Contains(r.Body, "Please read it and sign again") {
		t.Error("the portal does not ask the patient to sign again")
	}

	// The patient signs v2: the same session's gate passes.
	if r := sign(f.PA.DisplayName); r.Status != http.StatusSeeOther {
		t.Fatalf("sign v2 = %d", r.Status)
	}
	if r := f.Do("POST", path+"/gate", webtest.FullGate("sertraline 50 mg"), thea); r.Status != http.StatusSeeOther || f.Session(path).Status != clinic.SessionReady {
		t.Fatalf("signed v2: gate = %d", r.Status)
	}
	stop(path)

	// v3 without re-consent does not block.
	form.Set("requires_reconsent", "")
	form.Set("after", "2")
	form.Set("body", "A typo fixed.")
	if r := f.Do("POST", "/admin/consents/kap_informed_consent", form, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("publish v3 = %d", r.Status)
	}
	path, r = gate()
	if r.Status != http.StatusSeeOther || f.Session(path).Status != clinic.SessionReady {
		t.Fatalf("after v3: gate = %d, problems %v", r.Status, f.Session(path).Problems)
	}
	// Publishing after a version someone else published is refused, the text kept.
	form.Set("after", "2")
	form.Set("body", "Stale edit.")
	if r := f.Do("POST", "/admin/consents/kap_informed_consent", form, admin); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Someone published version 3") || !strings.Contains(r.Body, "Stale edit.") {
		t.Errorf("stale publish = %d", r.Status)
	}
	t.Logf("%d consent audit rows (sign), %d (publish)", len(f.AuditRows("consent.sign")), len(f.AuditRows("consent.publish")))
	if len(f.AuditRows("consent.sign")) != 2 || len(f.AuditRows("consent.publish")) != 2 {
		t.Error("signatures and publications are not each audited")
	}
}

// TestConsentChartPaperAndRevoke: the chart shows each kind's status; a
// therapist records a paper signature with a scan (a bad file refused at
// the field, the name kept), opens the scan, and revokes with a reason; a
// patient withdraws their own in the portal.
func TestConsentChartPaperAndRevoke(t *testing.T) {
	f := webtest.NewFixture(t)
	thea, pat := f.SignIn("thea@example.org"), f.SignIn("pat@example.org")
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, `id="consents"`) || strings.Count(chart.Body, "Record paper signature") != len(clinic.ConsentKinds) || !strings.Contains(chart.Body, "Not signed") {
		t.Fatalf("the chart's consents section is missing or incomplete")
	}
	cs, _ := f.St.PatientConsents(t.Context(), f.As("thea@example.org"), f.PA.ID)
	touch := cs[1].Latest
	today := storetest.PaperToday(t, f.St)
	fields := map[string]string{"kind": clinic.ConsentTouch, "document": touch.ID, "typed_name": "Pat on paper", "signed_on": today.Format(time.DateOnly)}
	if r := f.UploadScan(thea, fields, "notes.txt", []byte("just text")); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "not a PDF or a picture") || !strings.Contains(r.Body, `value="Pat on paper"`) {
		t.Fatalf("a text file as scan = %d", r.Status)
	}
	// The name signed must be the patient's (as in the portal), the date
	// written on the paper is required and not in the future: each at its
	// field, the input kept.
	if r := f.UploadScan(thea, fields, "consent.pdf", storetest.ScanPDF); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "full name as we have it on record") ||
		!strings.Contains(r.Body, `value="Pat on paper"`) || !strings.Contains(r.Body, `value="`+today.Format(time.DateOnly)+`"`) ||
		!strings.Contains(r.Body, `<a href="#paper-name-consent_to_touch">`) { // the form's error summary links to the field
		t.Fatalf("another name on the paper = %d", r.Status)
	}
	fields["typed_name"] = strings.ToUpper(f.PA.DisplayName)
	for _, on := range []string{"", today.AddDate(0, 0, 1).Format(time.DateOnly)} {
		fields["signed_on"] = on
		if r := f.UploadScan(thea, fields, "consent.pdf", storetest.ScanPDF); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="paper-date-consent_to_touch"`) ||
			!(strings.Contains(r.Body, "Enter the date written on the paper") || strings.Contains(r.Body, "cannot be in the future")) {
			t.Fatalf("paper dated %q = %d", on, r.Status)
		}
	}
	fields["signed_on"] = today.Format(time.DateOnly)
	if r := f.UploadScan(thea, fields, "consent.pdf", storetest.ScanPDF); r.Status != http.StatusSeeOther {
		t.Fatalf("paper = %d: %s", r.Status, r.Body)
	}
	cs, _ = f.St.PatientConsents(t.Context(), f.As("thea@example.org"), f.PA.ID)
	g := cs[1].Current()
	if g == nil || g.Method != "paper" {
		t.Fatalf("after the paper signature: %+v", cs[1].Standing)
	}
	chart = f.Do("GET", "/patients/"+f.PA.ID+"?done=consent-paper", nil, thea)
	if !strings.Contains(chart.Body, "Paper signature recorded") || !strings.Contains(chart.Body, "signed on paper as “"+strings.ToUpper(f.PA.DisplayName)+"”, dated "+today.Format("Mon Jan 2, 2006")) || !strings.Contains(chart.Body, "/consents/"+g.ID+"/scan") {
		t.Error("the chart does not show the paper signature")
	}
	scan := f.Do("GET", "/patients/"+f.PA.ID+"/consents/"+g.ID+"/scan", nil, thea)
	if scan.Status != http.StatusOK || scan.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(scan.Body, "%PDF-") || !strings.Contains(scan.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("scan = %d %s", scan.Status, scan.Header.Get("Content-Type"))
	}
	if r := f.Do("GET", "/patients/"+f.PA.ID+"/consents/"+g.ID+"/scan", nil, f.SignIn("theo@example.org")); r.Status != http.StatusNotFound {
		t.Errorf("a therapist off the team reads the scan: %d", r.Status)
	}
	// Staff revocation needs a reason.
	rev := "/patients/" + f.PA.ID + "/consents/" + g.ID + "/revoke"
	if r := f.Do("POST", rev, url.Values{"kind": {clinic.ConsentTouch}}, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Say why the consent is revoked") ||
		!strings.Contains(r.Body, `<a href="#revoke-reason-consent_to_touch">`) {
		t.Fatalf("revoke without reason = %d", r.Status)
	}
	if r := f.Do("POST", rev, url.Values{"kind": {clinic.ConsentTouch}, "reason": {"Phoned to withdraw."}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke = %d", r.Status)
	}
	chart = f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, "Revoked") || !strings.Contains(chart.Body, "Phoned to withdraw.") {
		t.Error("the chart does not show the revocation")
	}
	// Recording a paper now: the form says the patient withdrew; a paper
	// dated before that is refused, one dated that day needs the box.
	if !strings.Contains(chart.Body, `id="paper-withdrawn-consent_to_touch"`) || !strings.Contains(chart.Body, `name="after_withdrawal"`) {
		t.Error("the paper form does not show the withdrawal")
	}
	fields["signed_on"] = today.AddDate(0, 0, -1).Format(time.DateOnly)
	if r := f.UploadScan(thea, fields, "consent.pdf", storetest.ScanPDF); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "was signed before that and does not bring it back") {
		t.Fatalf("paper dated before the withdrawal = %d", r.Status)
	}
	fields["signed_on"] = today.Format(time.DateOnly)
	if r := f.UploadScan(thea, fields, "consent.pdf", storetest.ScanPDF); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Tick the box only if they signed it after withdrawing") {
		t.Fatalf("paper dated the day of the withdrawal, unconfirmed = %d", r.Status)
	}
	if cs, _ := f.St.PatientConsents(t.Context(), f.As("thea@example.org"), f.PA.ID); cs[1].Status() != clinic.ConsentRevoked {
		t.Fatalf("refused papers changed the consent: %s", cs[1].Status())
	}
	fields["after_withdrawal"] = "yes"
	f.Now = f.Now.Add(2 * time.Minute) // the patient came in and signed after phoning
	if r := f.UploadScan(thea, fields, "consent.pdf", storetest.ScanPDF); r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "done=consent-paper") {
		t.Fatalf("paper dated the day of the withdrawal, confirmed = %d %s", r.Status, r.Header.Get("Location"))
	}
	if cs, _ := f.St.PatientConsents(t.Context(), f.As("thea@example.org"), f.PA.ID); cs[1].Status() != clinic.ConsentCurrent || !cs[1].Current().AfterWithdrawal {
		t.Fatalf("the confirmed paper: %s %+v", cs[1].Status(), cs[1].Signatures)
	}
	// The patient signs the telehealth consent and withdraws it in the portal.
	tele := cs[2].Latest
	if r := f.Do("POST", "/portal/consents/telehealth/sign", url.Values{"document": {tele.ID}, "hash": {tele.Hash()}, "typed_name": {f.PA.DisplayName}}, pat); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Tick the box") {
		t.Fatalf("sign without agreeing = %d", r.Status)
	}
	if r := f.Do("POST", "/portal/consents/telehealth/sign", url.Values{"document": {tele.ID}, "hash": {tele.Hash()}, "typed_name": {f.PA.DisplayName}, "agree": {"yes"}}, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("sign = %d", r.Status)
	}
	cs, _ = f.St.PatientConsents(t.Context(), f.As("pat@example.org"), f.PA.ID)
	if r := f.Do("POST", "/portal/consents/telehealth/revoke", url.Values{"signature": {cs[2].Current().ID}}, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("withdraw = %d", r.Status)
	}
	if r := f.Do("GET", "/portal/consents", nil, pat); !strings.Contains(r.Body, "Your consent is withdrawn") && !strings.Contains(r.Body, "You withdrew this consent") {
		t.Error("the portal does not show the withdrawal")
	}
	// Another patient cannot withdraw it (the signature is not theirs).
	if r := f.Do("POST", "/portal/consents/telehealth/revoke", url.Values{"signature": {g.ID}}, f.SignIn("bea@example.org")); r.Status != http.StatusNotFound {
		t.Errorf("another patient's withdrawal = %d", r.Status)
	}
}

// TestDosingTouchNeedsTheSignedConsent: the session page shows the
// preparation's touch only while the patient's consent to touch is signed;
// without it, no touch, saying why.
func TestDosingTouchNeedsTheSignedConsent(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady("sertraline 50 mg")
	if err := f.St.SavePreparation(t.Context(), f.As("thea@example.org"), f.PA.ID, store.Preparation{Touch: clinic.TouchTherapeutic, TouchDetail: "A hand on the shoulder"}); err != nil {
		t.Fatal(err)
	}
	path := f.StartDosing("thea@example.org")
	thea := f.SignIn("thea@example.org")
	page := f.Do("GET", path, nil, thea)
	if !strings.Contains(page.Body, "has not signed a current consent to touch") || !strings.Contains(page.Body, `class="touch touch-none"`) {
		t.Fatalf("unsigned consent to touch: the session does not say no touch")
	}
	f.SignConsentA(clinic.ConsentTouch)
	page = f.Do("GET", path, nil, thea)
	if !strings.Contains(page.Body, `class="touch touch-therapeutic"`) || !strings.Contains(page.Body, "A hand on the shoulder") || !strings.Contains(page.Body, "Consent to touch signed (version 1, in the portal)") {
		t.Fatalf("signed consent to touch: the session does not show the agreed touch")
	}
}
