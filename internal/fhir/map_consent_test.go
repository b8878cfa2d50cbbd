package fhir_test

import (
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

func TestConsents(t *testing.T) {
	first := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	second := first.AddDate(0, 1, 0)
	revoked := second.AddDate(0, 0, 10)
	paper := store.ConsentSignature{ID: "sig1", DocumentID: "doc1", Kind: clinic.ConsentKAP, Version: 1, Title: "Informed consent to KAP", Method: "paper",
		TypedName: "CANARY typed", SignedAt: first, PaperDate: "Tue Sep 1, 2026", ScanID: "scan1", ClientAddr: "203.0.113.7", RecordedBy: "Morgan"}
	portal := store.ConsentSignature{ID: "sig2", DocumentID: "doc2", Kind: clinic.ConsentKAP, Version: 2, Title: "Informed consent to KAP", Method: "portal",
		TypedName: "CANARY typed", SignedAt: second, ClientAddr: "203.0.113.7"}
	c := store.Consent{Kind: clinic.ConsentKAP, Signatures: []store.ConsentSignature{portal, paper},
		Standing: clinic.ConsentStanding{Status: clinic.ConsentCurrent, Current: &clinic.ConsentSigning{ID: "sig2"}}}
	out, err := m.Consents(pid, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Fatalf("%d consents", len(out))
	}
	never := []string{"CANARY", "203.0.113", "Morgan"}
	has(t, "current portal signature", string(validate(t, "portal", out[0])), []string{`"id":"sig2"`, `"status":"active"`,
		`"scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"treatment","display":"Treatment"}]}`,
		`{"coding":[{"system":"http://loinc.org","code":"59284-0","display":"Patient Consent"}],"text":"Informed consent to ketamine-assisted psychotherapy"}`,
		`"code":"kap_informed_consent"`, `"patient":{"reference":"Patient/` + pid + `"}`, `"dateTime":"2026-10-01T10:00:00Z"`,
		`"policy":[{"uri":"https://clinic.example/admin/consents/kap_informed_consent/doc2"}]`,
		`"sourceAttachment":{"contentType":"application/pdf","url":"https://clinic.example/patients/` + pid + `/consents/sig2/consent.pdf","title":"Informed consent to KAP, version 2: Signed in the patient portal`,
		`"provision":{"type":"permit","period":{"start":"2026-10-01T10:00:00Z"}}`,
		`"text":{"status":"generated","div":"\u003cdiv xmlns=\"http://www.w3.org/1999/xhtml\"\u003e\u003cp\u003eInformed consent to KAP, version 2. Signed in the patient portal`,
		`It holds.`}, never)
	has(t, "superseded paper signature", string(validate(t, "paper", out[1])), []string{`"id":"sig1"`, `"status":"inactive"`,
		"Signed on paper, dated Tue Sep 1, 2026, and recorded by the practice with a scan of the signed paper", "A later signature replaced it."}, never)

	// Revoked: inactive, the permission ends when it was withdrawn.
	portal.RevokedAt, portal.RevokedReason = &revoked, "CANARY reason"
	c = store.Consent{Kind: clinic.ConsentRelease, Signatures: []store.ConsentSignature{portal}, Standing: clinic.ConsentStanding{Status: clinic.ConsentRevoked}}
	out, err = m.Consents(pid, c)
	if err != nil {
		t.Fatal(err)
	}
	has(t, "revoked release", string(validate(t, "revoked", out[0])), []string{`"status":"inactive"`, `"code":"patient-privacy"`,
		`"period":{"start":"2026-10-01T10:00:00Z","end":"2026-10-11T10:00:00Z"}`, "The patient withdrew it on 2026-10-11."}, never)

	if none, err := m.Consents(pid, store.Consent{Kind: clinic.ConsentTouch}); err != nil || len(none) != 0 {
		t.Errorf("not signed: %v, %v", none, err)
	}
	if _, err := m.Consents(pid, store.Consent{Kind: "nope"}); err == nil {
		t.Error("unknown kind: no error")
	}
	if _, err := (m2("/fhir")).Consents(pid, c); err == nil {
		t.Error("relative base: no error")
	}
}
