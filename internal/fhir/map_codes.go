package fhir

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Code systems and profiles of the care-team, scheduling, medication,
// flag, consent, care-plan, document and provenance mappers (map_*.go).
// Codes not checked against their publisher are marked so.
const (
	SystemSNOMED              = "http://snomed.info/sct"
	SystemNUCC                = "http://nucc.org/provider-taxonomy"
	SystemActCode             = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	SystemParticipationType   = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	SystemFlagCategory        = "http://terminology.hl7.org/CodeSystem/flag-category"
	SystemConsentScope        = "http://terminology.hl7.org/CodeSystem/consentscope"
	SystemMedStatementCat     = "http://terminology.hl7.org/CodeSystem/medication-statement-category"
	SystemProvenanceAgentType = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
	SystemCarePlanCategory    = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
	SystemDocumentCategory    = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
	SystemIHEFormat           = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"

	// kapstone's own code systems: its staff roles, appointment kinds,
	// screening rules and levels, consent kinds and course stages, coded
	// by the keys the code uses (display is the title people see).
	SystemStaffRole       = Kapstone + "/CodeSystem/staff-role"
	SystemAppointmentKind = Kapstone + "/CodeSystem/appointment-kind"
	SystemScreeningRule   = Kapstone + "/CodeSystem/screening-rule"
	SystemScreeningLevel  = Kapstone + "/CodeSystem/screening-level"
	SystemAlertUrgency    = Kapstone + "/CodeSystem/alert-urgency"
	SystemConsentKind     = Kapstone + "/CodeSystem/consent-kind"
	SystemCourseStage     = Kapstone + "/CodeSystem/course-stage"

	// LOINCPatientConsent (59284-0, "Patient Consent") is the R4 Consent
	// category example's LOINC code. Unverified at loinc.org.
	LOINCPatientConsent = "59284-0"
	// LOINCProgressNote (11506-3, "Progress note") types every signed
	// clinical note: a US Core clinical-note type.
	LOINCProgressNote = "11506-3"
	// FormatPDF is the IHE format code for a document whose MIME type says
	// all (urn:ihe:iti:xds:2017:mimeTypeSufficient), which US Core
	// DocumentReference suggests. Unverified against the IHE code system.
	FormatPDF = "urn:ihe:iti:xds:2017:mimeTypeSufficient"
)

// US Core 6.1.0 profiles the map_*.go mappers claim where met (fhirtest
// checks each one's must-haves).
const (
	ProfileCareTeam          = usCore + "us-core-careteam|6.1.0"
	ProfileEncounter         = usCore + "us-core-encounter|6.1.0"
	ProfileCarePlan          = usCore + "us-core-careplan|6.1.0"
	ProfileDocumentReference = usCore + "us-core-documentreference|6.1.0"
	ProfileProvenance        = usCore + "us-core-provenance|6.1.0"
)

// site is the web address the FHIR base sits under: Base without its last
// "/fhir" segment, else Base's scheme and host. The PDF links of notes and
// consents are the web app's own routes there (they need a signed-in
// session, as every read of them does).
func (m Mapper) site() (string, error) {
	if _, err := m.system("x"); err != nil {
		return "", err
	}
	if s, ok := strings.CutSuffix(m.Base, "/fhir"); ok {
		return s, nil
	}
	u, err := url.Parse(m.Base)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("fhir: Mapper.Base %q has no host", m.Base)
	}
	return u.Scheme + "://" + u.Host, nil
}

// practitioner is a reference to staff member id, or, when the record
// keeps only the name (id ""), the name alone.
func practitioner(id, name string) *Reference {
	if id != "" {
		return Ref("Practitioner", id, name)
	}
	if name == "" {
		return nil
	}
	return &Reference{Display: name}
}

// day writes t's date (UTC) as a FHIR date.
func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func ptrInstant(t *time.Time) string {
	if t == nil {
		return ""
	}
	return Instant(*t)
}
