package fhir

import (
	"fmt"
	"html"
	"strconv"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// signedHow says how a signature was made, in words.
func signedHow(g store.ConsentSignature) string {
	if g.SignedOnPaper() {
		s := "Signed on paper"
		if g.PaperDate != "" {
			s += ", dated " + g.PaperDate
		}
		s += ", and recorded by the practice"
		if g.ScanID != "" {
			s += " with a scan of the signed paper"
		}
		return s
	}
	return "Signed in the patient portal: the patient typed their full name and agreed to the exact text shown"
}

// Consents maps every signature of one kind of consent of patientID (c, as
// the store reads it) as a Consent: active while it is the signature that
// holds, inactive once revoked or superseded by a later one; scope
// treatment (patient-privacy for the release of information), category
// LOINC 59284-0 with the kind's title, signed by the patient when they
// signed, permitting from then until its revocation. The policy is the
// exact version signed (the practice's page of that version), the source
// the signed consent's PDF, and the narrative says how it was signed and
// when it was revoked. The typed name, the client address and the
// revocation reason are not written.
func (m Mapper) Consents(patientID string, c store.Consent) ([]Consent, error) {
	site, err := m.site()
	if err != nil {
		return nil, err
	}
	if err := checkIDs(patientID); err != nil {
		return nil, err
	}
	title := clinic.ConsentKindTitle(c.Kind)
	if title == "" {
		return nil, fmt.Errorf("fhir: %q is not a kind of consent", c.Kind)
	}
	scope := Concept(SystemConsentScope, "treatment", "Treatment", "")
	if c.Kind == clinic.ConsentRelease {
		scope = Concept(SystemConsentScope, "patient-privacy", "Privacy Consent", "")
	}
	current := c.Current()
	var out []Consent
	for _, g := range c.Signatures {
		if err := checkIDs(g.ID, g.DocumentID); err != nil {
			return nil, err
		}
		if g.SignedAt.IsZero() {
			return nil, fmt.Errorf("fhir: signature %s has no time", g.ID)
		}
		doc := g.Title
		if doc == "" {
			doc = title
		}
		doc += ", version " + strconv.Itoa(g.Version)
		how := signedHow(g)
		status := "inactive"
		if g.RevokedAt == nil && current != nil && current.ID == g.ID {
			status = "active"
		}
		state := "It holds."
		switch {
		case g.RevokedAt != nil:
			state = "The patient withdrew it on " + day(*g.RevokedAt) + "."
		case status == "inactive":
			state = "A later signature replaced it."
		}
		cs := Consent{
			ID: g.ID, Status: status, Scope: scope,
			Text: &Narrative{Status: "generated", Div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>` +
				html.EscapeString(doc) + `. ` + html.EscapeString(how) + `, on ` + day(g.SignedAt) + `. ` + html.EscapeString(state) + `</p></div>`},
			Category: []CodeableConcept{
				*Concept(SystemLOINC, LOINCPatientConsent, "Patient Consent", title),
				*Concept(SystemConsentKind, c.Kind, title, ""),
			},
			Patient: Ref("Patient", patientID, ""), DateTime: Instant(g.SignedAt), Performer: []Reference{*Ref("Patient", patientID, "")},
			Policy: []ConsentPolicy{{URI: site + "/admin/consents/" + c.Kind + "/" + g.DocumentID}},
			SourceAttachment: &Attachment{ContentType: "application/pdf",
				URL: site + "/patients/" + patientID + "/consents/" + g.ID + "/consent.pdf", Title: doc + ": " + how},
			Provision: &ConsentProvision{Type: "permit", Period: &Period{Start: Instant(g.SignedAt), End: ptrInstant(g.RevokedAt)}},
		}
		out = append(out, cs)
	}
	return out, nil
}
