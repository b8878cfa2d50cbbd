package fhir

// Code systems, extensions and profiles kapstone writes. The measures'
// LOINC codes (panels, totals, items) are not here: they are read from
// internal/measure, the one place that holds them.
const (
	SystemLOINC               = "http://loinc.org"
	SystemUCUM                = "http://unitsofmeasure.org"
	SystemObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	SystemDataAbsentReason    = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
	SystemContactRole         = "http://terminology.hl7.org/CodeSystem/v2-0131" // C: emergency contact
	SystemIssueType           = "http://hl7.org/fhir/issue-type"

	ExtDataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
	// ExtOrdinalValue (R4 core extension on Coding) carries an answer's
	// score, so a client can add up the items without knowing the codes.
	ExtOrdinalValue = "http://hl7.org/fhir/StructureDefinition/ordinalValue"

	// Kapstone is the base of kapstone's own canonical URLs: the
	// Questionnaires built from internal/measure and the code systems below.
	// It names the project, not a practice, so every installation's PHQ-9 is
	// the same Questionnaire.
	Kapstone = "https://github.com/kapstone/kapstone/fhir"
	// SystemScoreBand codes a total's severity band ("moderate",
	// "moderately-severe"): no standard code for the PHQ-9 and GAD-7 bands
	// was found, so kapstone names its own (display is the band's label).
	SystemScoreBand = Kapstone + "/CodeSystem/score-band"
	// SystemAnswerValue codes an answer by its score ("0".."3") where no
	// LOINC answer code is confirmed (the PHQ-9 difficulty item).
	SystemAnswerValue = Kapstone + "/CodeSystem/answer-value"
)

// US Core 6.1.0 profiles, written in meta.profile only where a resource
// meets them (the JSON schema cannot check profiles: the mapping tests
// check the elements each one requires).
const (
	usCore                       = "http://hl7.org/fhir/us/core/StructureDefinition/"
	ProfilePatient               = usCore + "us-core-patient|6.1.0"
	ProfileScreeningAssessment   = usCore + "us-core-observation-screening-assessment|6.1.0"
	ProfileBloodPressure         = usCore + "us-core-blood-pressure|6.1.0"
	ProfileHeartRate             = usCore + "us-core-heart-rate|6.1.0"
	ProfilePulseOximetry         = usCore + "us-core-pulse-oximetry|6.1.0"
	ProfileQuestionnaireResponse = usCore + "us-core-questionnaireresponse|6.1.0"
)

// Vital-sign LOINC codes (FHIR R4 vital-signs profile and US Core
// 6.1.0): kapstone records blood pressure, heart rate and SpO2 at dosing
// sessions, and no other vital sign.
const (
	LOINCBloodPressure = "85354-9" // Blood pressure panel with all children optional
	LOINCSystolic      = "8480-6"
	LOINCDiastolic     = "8462-4"
	LOINCHeartRate     = "8867-4"
	LOINCOxygenSat     = "2708-6"  // Oxygen saturation in Arterial blood
	LOINCPulseOximetry = "59408-5" // ... by Pulse oximetry (US Core requires both codings)
)

// frequencyAnswers are the LOINC answer codes of the PHQ-9 and GAD-7
// frequency scale, by the answer's label in internal/measure. LA6568-5 and
// LA6569-3 are confirmed in the clinical reference (REFERENCE.md 1.1);
// LA6570-1 and LA6571-9 were seen with ordinals 2 and 3 in an
// LForms-generated (LOINC-derived) PHQ-9 Questionnaire and a second
// public one (ISSUE19-PLAN section 6). Verify at loinc.org before release.
var frequencyAnswers = map[string]string{
	"Not at all":              "LA6568-5",
	"Several days":            "LA6569-3",
	"More than half the days": "LA6570-1",
	"Nearly every day":        "LA6571-9",
}

// Observation categories.
var (
	categorySurvey     = CodeableConcept{Coding: []Coding{{System: SystemObservationCategory, Code: "survey", Display: "Survey"}}}
	categoryVitalSigns = CodeableConcept{Coding: []Coding{{System: SystemObservationCategory, Code: "vital-signs", Display: "Vital Signs"}}}
)
