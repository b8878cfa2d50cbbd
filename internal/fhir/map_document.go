package fhir

import (
	"fmt"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// signedNote checks that n is a signed clinical note (signed, or signed
// and waiting for its co-signature) with the ids the resources need.
func signedNote(n *store.Note) error {
	if n == nil || n.ID == "" || !n.Locked() || n.SignedAt == nil {
		return fmt.Errorf("fhir: only a signed note is a document")
	}
	return checkIDs(n.ID, n.PatientID, n.AppointmentID, n.AuthorID)
}

// DocumentReference maps a signed clinical note (store.Note: the progress
// notes of appointments; kapstone's separate psychotherapy notes are
// another type and never reach this package) as a link to its PDF, the web
// app's route that renders the signed note for the care team: type LOINC
// 11506-3 (progress note) with the appointment's kind, category
// clinical-note, the author and, once co-signed, the co-signer as
// authenticator. docStatus is final once signed (preliminary while it
// waits for co-signature, amended with addenda). encounterID is the
// note's dosing session, when there is one. The note's text is never
// written: only its metadata and the link. It meets US Core
// DocumentReference (status, type, category, subject, content with a
// contentType and url).
func (m Mapper) DocumentReference(n *store.Note, encounterID string) (DocumentReference, error) {
	site, err := m.site()
	if err != nil {
		return DocumentReference{}, err
	}
	if err := signedNote(n); err != nil {
		return DocumentReference{}, err
	}
	kind := clinic.AppointmentTitle(n.Kind)
	if kind == "" {
		kind = "Appointment"
	}
	title := kind + " note"
	out := DocumentReference{
		ID: n.ID, Meta: &Meta{Profile: []string{ProfileDocumentReference}}, Status: "current", DocStatus: "final",
		Type:     Concept(SystemLOINC, LOINCProgressNote, "Progress note", title),
		Category: []CodeableConcept{*Concept(SystemDocumentCategory, "clinical-note", "Clinical Note", "")},
		Subject:  Ref("Patient", n.PatientID, ""), Date: Instant(*n.SignedAt),
		Author:        []Reference{*Ref("Practitioner", n.AuthorID, n.AuthorName)},
		Authenticator: Ref("Practitioner", n.AuthorID, n.AuthorName),
		Description:   title + ", " + day(n.AppointmentAt),
		Content: []DocumentReferenceContent{{
			Attachment: Attachment{ContentType: "application/pdf", Language: "en",
				URL:   site + "/patients/" + n.PatientID + "/appointments/" + n.AppointmentID + "/note.pdf",
				Title: title + ".pdf", Creation: Instant(*n.SignedAt)},
			Format: &Coding{System: SystemIHEFormat, Code: FormatPDF, Display: "mimeType Sufficient"},
		}},
		Context: &DocumentReferenceContext{Period: &Period{Start: Instant(n.AppointmentAt)}},
	}
	switch {
	case n.Status == clinic.NoteAwaitingCosign:
		out.DocStatus = "preliminary"
	case len(n.Addenda) > 0:
		out.DocStatus = "amended"
	}
	if n.CosignedAt != nil && n.CosignerID != "" {
		if err := checkIDs(n.CosignerID); err != nil {
			return DocumentReference{}, err
		}
		out.Authenticator = Ref("Practitioner", n.CosignerID, n.CosignerName)
	}
	if n.AppointmentAt.IsZero() {
		out.Context.Period = nil
	}
	if encounterID != "" {
		if err := checkIDs(encounterID); err != nil {
			return DocumentReference{}, err
		}
		out.Context.Encounter = []Reference{*Ref("Encounter", encounterID, "")}
	}
	if out.Context.Period == nil && out.Context.Encounter == nil {
		out.Context = nil
	}
	return out, nil
}

// agent is a Provenance agent of type code (provenance-participant-type).
func agent(code, display string, who *Reference) ProvenanceAgent {
	return ProvenanceAgent{Type: Concept(SystemProvenanceAgentType, code, display, ""), Who: *who}
}

// NoteProvenanceID is the id of the Provenance of signed note noteID.
func NoteProvenanceID(noteID string) string { return noteID + "-signed" }

// NoteProvenance maps who signed a note and when: the target is the
// note's DocumentReference, recorded when it was signed, the author as
// author and, once co-signed, the co-signer as verifier. It does not
// claim US Core Provenance, which wants the organization a practitioner
// acts for (onBehalfOf), and kapstone writes no Organization.
func (m Mapper) NoteProvenance(n *store.Note) (Provenance, error) {
	if err := signedNote(n); err != nil {
		return Provenance{}, err
	}
	out := Provenance{
		ID: NoteProvenanceID(n.ID), Target: []Reference{*Ref("DocumentReference", n.ID, "")}, Recorded: Instant(*n.SignedAt),
		Activity: Concept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "CREATE", "create", ""),
		Agent:    []ProvenanceAgent{agent("author", "Author", Ref("Practitioner", n.AuthorID, n.AuthorName))},
	}
	if n.CosignedAt != nil && n.CosignerID != "" {
		if err := checkIDs(n.CosignerID); err != nil {
			return Provenance{}, err
		}
		out.Agent = append(out.Agent, agent("verifier", "Verifier", Ref("Practitioner", n.CosignerID, n.CosignerName)))
	}
	return out, checkIDs(out.ID)
}

// CheckinProvenanceID is the id of the Provenance of check-in checkinID.
func CheckinProvenanceID(checkinID string) string { return checkinID + "-answered" }

// CheckinProvenance maps who answered a completed check-in and when: the
// target is its QuestionnaireResponse, recorded when it was completed, the
// patient as author (the answers are the patient's, also when staff
// entered them from paper). It meets US Core Provenance (target,
// recorded, an author agent; a patient needs no onBehalfOf).
func (m Mapper) CheckinProvenance(patientID string, c store.Checkin) (Provenance, error) {
	if _, err := completed(patientID, c); err != nil {
		return Provenance{}, err
	}
	out := Provenance{
		ID: CheckinProvenanceID(c.ID), Meta: &Meta{Profile: []string{ProfileProvenance}},
		Target: []Reference{*Ref("QuestionnaireResponse", c.ID, "")}, Recorded: Instant(c.CompletedAt),
		Agent: []ProvenanceAgent{agent("author", "Author", Ref("Patient", patientID, ""))},
	}
	return out, checkIDs(out.ID)
}
