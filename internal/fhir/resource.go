package fhir

// Resource is any FHIR resource kapstone writes.
type Resource interface {
	ResourceType() string
	ResourceID() string
}

// Patient is a person in care (R4 Patient).
type Patient struct {
	ID                  string           `json:"id,omitempty"`
	Meta                *Meta            `json:"meta,omitempty"`
	Identifier          []Identifier     `json:"identifier,omitempty"`
	Active              *bool            `json:"active,omitempty"`
	Name                []HumanName      `json:"name,omitempty"`
	Telecom             []ContactPoint   `json:"telecom,omitempty"`
	Gender              string           `json:"gender,omitempty"` // male | female | other | unknown
	BirthDate           string           `json:"birthDate,omitempty"`
	Contact             []PatientContact `json:"contact,omitempty"`
	GeneralPractitioner []Reference      `json:"generalPractitioner,omitempty"`
}

// PatientContact is someone to contact about the patient.
type PatientContact struct {
	Relationship []CodeableConcept `json:"relationship,omitempty"`
	Name         *HumanName        `json:"name,omitempty"`
	Telecom      []ContactPoint    `json:"telecom,omitempty"`
}

// Practitioner is a clinician (R4 Practitioner).
type Practitioner struct {
	ID            string                      `json:"id,omitempty"`
	Meta          *Meta                       `json:"meta,omitempty"`
	Identifier    []Identifier                `json:"identifier,omitempty"`
	Active        *bool                       `json:"active,omitempty"`
	Name          []HumanName                 `json:"name,omitempty"`
	Telecom       []ContactPoint              `json:"telecom,omitempty"`
	Qualification []PractitionerQualification `json:"qualification,omitempty"`
}

// PractitionerQualification is a licence or degree.
type PractitionerQualification struct {
	Code CodeableConcept `json:"code,omitzero"`
}

// PractitionerRole is what a practitioner does for the practice.
type PractitionerRole struct {
	ID           string            `json:"id,omitempty"`
	Meta         *Meta             `json:"meta,omitempty"`
	Active       *bool             `json:"active,omitempty"`
	Period       *Period           `json:"period,omitempty"`
	Practitioner *Reference        `json:"practitioner,omitempty"`
	Organization *Reference        `json:"organization,omitempty"`
	Code         []CodeableConcept `json:"code,omitempty"`
	Specialty    []CodeableConcept `json:"specialty,omitempty"`
	Telecom      []ContactPoint    `json:"telecom,omitempty"`
}

// CareTeam is the clinicians caring for a patient.
type CareTeam struct {
	ID                   string                `json:"id,omitempty"`
	Meta                 *Meta                 `json:"meta,omitempty"`
	Status               string                `json:"status,omitempty"` // proposed | active | suspended | inactive | entered-in-error
	Category             []CodeableConcept     `json:"category,omitempty"`
	Name                 string                `json:"name,omitempty"`
	Subject              *Reference            `json:"subject,omitempty"`
	Period               *Period               `json:"period,omitempty"`
	Participant          []CareTeamParticipant `json:"participant,omitempty"`
	ManagingOrganization []Reference           `json:"managingOrganization,omitempty"`
}

// CareTeamParticipant is one member of a care team.
type CareTeamParticipant struct {
	Role   []CodeableConcept `json:"role,omitempty"`
	Member *Reference        `json:"member,omitempty"`
	Period *Period           `json:"period,omitempty"`
}

// Questionnaire is a form: a measure's questions and answer choices.
type Questionnaire struct {
	ID          string              `json:"id,omitempty"`
	Meta        *Meta               `json:"meta,omitempty"`
	URL         string              `json:"url,omitempty"`
	Version     string              `json:"version,omitempty"`
	Name        string              `json:"name,omitempty"`
	Title       string              `json:"title,omitempty"`
	Status      string              `json:"status,omitempty"` // draft | active | retired | unknown
	SubjectType []string            `json:"subjectType,omitempty"`
	Date        string              `json:"date,omitempty"`
	Publisher   string              `json:"publisher,omitempty"`
	Description string              `json:"description,omitempty"`
	Copyright   string              `json:"copyright,omitempty"`
	Code        []Coding            `json:"code,omitempty"`
	Item        []QuestionnaireItem `json:"item,omitempty"`
}

// QuestionnaireItem is one question (or display text, or group).
type QuestionnaireItem struct {
	LinkID       string                      `json:"linkId,omitempty"`
	Code         []Coding                    `json:"code,omitempty"`
	Prefix       string                      `json:"prefix,omitempty"`
	Text         string                      `json:"text,omitempty"`
	Type         string                      `json:"type,omitempty"` // group | display | choice | integer | ...
	Required     *bool                       `json:"required,omitempty"`
	Repeats      *bool                       `json:"repeats,omitempty"`
	ReadOnly     *bool                       `json:"readOnly,omitempty"`
	AnswerOption []QuestionnaireAnswerOption `json:"answerOption,omitempty"`
	Item         []QuestionnaireItem         `json:"item,omitempty"`
}

// QuestionnaireAnswerOption is one permitted answer.
type QuestionnaireAnswerOption struct {
	ValueCoding  *Coding `json:"valueCoding,omitempty"`
	ValueInteger *int    `json:"valueInteger,omitempty"`
}

// QuestionnaireResponse is a completed form.
type QuestionnaireResponse struct {
	ID            string                      `json:"id,omitempty"`
	Meta          *Meta                       `json:"meta,omitempty"`
	Identifier    *Identifier                 `json:"identifier,omitempty"`
	Questionnaire string                      `json:"questionnaire,omitempty"` // canonical
	Status        string                      `json:"status,omitempty"`        // in-progress | completed | amended | entered-in-error | stopped
	Subject       *Reference                  `json:"subject,omitempty"`
	Encounter     *Reference                  `json:"encounter,omitempty"`
	Authored      string                      `json:"authored,omitempty"`
	Author        *Reference                  `json:"author,omitempty"`
	Source        *Reference                  `json:"source,omitempty"`
	Item          []QuestionnaireResponseItem `json:"item,omitempty"`
}

// QuestionnaireResponseItem is the answer to one question.
type QuestionnaireResponseItem struct {
	LinkID string                        `json:"linkId,omitempty"`
	Text   string                        `json:"text,omitempty"`
	Answer []QuestionnaireResponseAnswer `json:"answer,omitempty"`
	Item   []QuestionnaireResponseItem   `json:"item,omitempty"`
}

// QuestionnaireResponseAnswer is one answer value.
type QuestionnaireResponseAnswer struct {
	ValueCoding  *Coding `json:"valueCoding,omitempty"`
	ValueInteger *int    `json:"valueInteger,omitempty"`
	ValueString  string  `json:"valueString,omitempty"`
}

// Observation is a measurement or a score.
type Observation struct {
	ID                   string                 `json:"id,omitempty"`
	Meta                 *Meta                  `json:"meta,omitempty"`
	Status               string                 `json:"status,omitempty"` // registered | preliminary | final | amended | ...
	Category             []CodeableConcept      `json:"category,omitempty"`
	Code                 *CodeableConcept       `json:"code,omitempty"`
	Subject              *Reference             `json:"subject,omitempty"`
	Encounter            *Reference             `json:"encounter,omitempty"`
	EffectiveDateTime    string                 `json:"effectiveDateTime,omitempty"`
	Issued               string                 `json:"issued,omitempty"`
	Performer            []Reference            `json:"performer,omitempty"`
	ValueQuantity        *Quantity              `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept       `json:"valueCodeableConcept,omitempty"`
	ValueInteger         *int                   `json:"valueInteger,omitempty"`
	ValueString          string                 `json:"valueString,omitempty"`
	DataAbsentReason     *CodeableConcept       `json:"dataAbsentReason,omitempty"`
	Interpretation       []CodeableConcept      `json:"interpretation,omitempty"`
	Note                 []Annotation           `json:"note,omitempty"`
	HasMember            []Reference            `json:"hasMember,omitempty"`
	DerivedFrom          []Reference            `json:"derivedFrom,omitempty"`
	Component            []ObservationComponent `json:"component,omitempty"`
}

// ObservationComponent is one part of an observation (systolic, diastolic).
type ObservationComponent struct {
	Code                 CodeableConcept   `json:"code,omitzero"`
	ValueQuantity        *Quantity         `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept  `json:"valueCodeableConcept,omitempty"`
	DataAbsentReason     *CodeableConcept  `json:"dataAbsentReason,omitempty"`
	Interpretation       []CodeableConcept `json:"interpretation,omitempty"`
}

// Appointment is a booked session.
type Appointment struct {
	ID                string                   `json:"id,omitempty"`
	Meta              *Meta                    `json:"meta,omitempty"`
	Status            string                   `json:"status,omitempty"` // proposed | pending | booked | arrived | fulfilled | cancelled | noshow | ...
	CancelationReason *CodeableConcept         `json:"cancelationReason,omitempty"`
	ServiceType       []CodeableConcept        `json:"serviceType,omitempty"`
	AppointmentType   *CodeableConcept         `json:"appointmentType,omitempty"`
	Description       string                   `json:"description,omitempty"`
	Start             string                   `json:"start,omitempty"`
	End               string                   `json:"end,omitempty"`
	MinutesDuration   int                      `json:"minutesDuration,omitempty"`
	Created           string                   `json:"created,omitempty"`
	Participant       []AppointmentParticipant `json:"participant,omitempty"`
}

// AppointmentParticipant is a person or place taking part.
type AppointmentParticipant struct {
	Type     []CodeableConcept `json:"type,omitempty"`
	Actor    *Reference        `json:"actor,omitempty"`
	Required string            `json:"required,omitempty"` // required | optional | information-only
	Status   string            `json:"status,omitempty"`   // accepted | declined | tentative | needs-action
}

// Encounter is a session that took place.
type Encounter struct {
	ID          string                 `json:"id,omitempty"`
	Meta        *Meta                  `json:"meta,omitempty"`
	Identifier  []Identifier           `json:"identifier,omitempty"`
	Status      string                 `json:"status,omitempty"` // planned | arrived | triaged | in-progress | onleave | finished | cancelled | ...
	Class       *Coding                `json:"class,omitempty"`
	Type        []CodeableConcept      `json:"type,omitempty"`
	ServiceType *CodeableConcept       `json:"serviceType,omitempty"`
	Subject     *Reference             `json:"subject,omitempty"`
	Participant []EncounterParticipant `json:"participant,omitempty"`
	Appointment []Reference            `json:"appointment,omitempty"`
	Period      *Period                `json:"period,omitempty"`
	ReasonCode  []CodeableConcept      `json:"reasonCode,omitempty"`
	Location    []EncounterLocation    `json:"location,omitempty"`
}

// EncounterParticipant is a clinician at the encounter.
type EncounterParticipant struct {
	Type       []CodeableConcept `json:"type,omitempty"`
	Period     *Period           `json:"period,omitempty"`
	Individual *Reference        `json:"individual,omitempty"`
}

// EncounterLocation is where the encounter took place.
type EncounterLocation struct {
	Location Reference `json:"location,omitzero"`
	Status   string    `json:"status,omitempty"`
}

// MedicationStatement is a medication the patient takes or took.
type MedicationStatement struct {
	ID                        string            `json:"id,omitempty"`
	Meta                      *Meta             `json:"meta,omitempty"`
	Status                    string            `json:"status,omitempty"` // active | completed | entered-in-error | intended | stopped | on-hold | unknown | not-taken
	Category                  *CodeableConcept  `json:"category,omitempty"`
	MedicationCodeableConcept *CodeableConcept  `json:"medicationCodeableConcept,omitempty"`
	Subject                   *Reference        `json:"subject,omitempty"`
	Context                   *Reference        `json:"context,omitempty"`
	EffectiveDateTime         string            `json:"effectiveDateTime,omitempty"`
	EffectivePeriod           *Period           `json:"effectivePeriod,omitempty"`
	DateAsserted              string            `json:"dateAsserted,omitempty"`
	InformationSource         *Reference        `json:"informationSource,omitempty"`
	ReasonCode                []CodeableConcept `json:"reasonCode,omitempty"`
	Note                      []Annotation      `json:"note,omitempty"`
	Dosage                    []Dosage          `json:"dosage,omitempty"`
}

// Flag is a warning about a patient (a screening flag, a safety alert).
type Flag struct {
	ID       string            `json:"id,omitempty"`
	Meta     *Meta             `json:"meta,omitempty"`
	Status   string            `json:"status,omitempty"` // active | inactive | entered-in-error
	Category []CodeableConcept `json:"category,omitempty"`
	Code     *CodeableConcept  `json:"code,omitempty"`
	Subject  *Reference        `json:"subject,omitempty"`
	Period   *Period           `json:"period,omitempty"`
	Author   *Reference        `json:"author,omitempty"`
}

// Consent is a consent the patient gave (or withdrew).
type Consent struct {
	ID               string            `json:"id,omitempty"`
	Meta             *Meta             `json:"meta,omitempty"`
	Text             *Narrative        `json:"text,omitempty"`
	Identifier       []Identifier      `json:"identifier,omitempty"`
	Status           string            `json:"status,omitempty"` // draft | proposed | active | rejected | inactive | entered-in-error
	Scope            *CodeableConcept  `json:"scope,omitempty"`
	Category         []CodeableConcept `json:"category,omitempty"`
	Patient          *Reference        `json:"patient,omitempty"`
	DateTime         string            `json:"dateTime,omitempty"`
	Performer        []Reference       `json:"performer,omitempty"`
	Organization     []Reference       `json:"organization,omitempty"`
	SourceAttachment *Attachment       `json:"sourceAttachment,omitempty"`
	SourceReference  *Reference        `json:"sourceReference,omitempty"`
	Policy           []ConsentPolicy   `json:"policy,omitempty"` // resource_more.go
	PolicyRule       *CodeableConcept  `json:"policyRule,omitempty"`
	Provision        *ConsentProvision `json:"provision,omitempty"`
}

// ConsentProvision is what the consent permits or denies, and when.
type ConsentProvision struct {
	Type   string  `json:"type,omitempty"` // deny | permit
	Period *Period `json:"period,omitempty"`
}

// CarePlan is a course of treatment.
type CarePlan struct {
	ID          string            `json:"id,omitempty"`
	Meta        *Meta             `json:"meta,omitempty"`
	Text        *Narrative        `json:"text,omitempty"`
	Status      string            `json:"status,omitempty"` // draft | active | on-hold | revoked | completed | entered-in-error | unknown
	Intent      string            `json:"intent,omitempty"` // proposal | plan | order | option
	Category    []CodeableConcept `json:"category,omitempty"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Subject     *Reference        `json:"subject,omitempty"`
	Period      *Period           `json:"period,omitempty"`
	Created     string            `json:"created,omitempty"`
	Author      *Reference        `json:"author,omitempty"`
	CareTeam    []Reference       `json:"careTeam,omitempty"`
	Note        []Annotation      `json:"note,omitempty"`
}

// DocumentReference is a signed document (a note as PDF, a consent form).
type DocumentReference struct {
	ID               string                     `json:"id,omitempty"`
	Meta             *Meta                      `json:"meta,omitempty"`
	MasterIdentifier *Identifier                `json:"masterIdentifier,omitempty"`
	Identifier       []Identifier               `json:"identifier,omitempty"`
	Status           string                     `json:"status,omitempty"`    // current | superseded | entered-in-error
	DocStatus        string                     `json:"docStatus,omitempty"` // preliminary | final | amended | entered-in-error
	Type             *CodeableConcept           `json:"type,omitempty"`
	Category         []CodeableConcept          `json:"category,omitempty"`
	Subject          *Reference                 `json:"subject,omitempty"`
	Date             string                     `json:"date,omitempty"` // instant
	Author           []Reference                `json:"author,omitempty"`
	Authenticator    *Reference                 `json:"authenticator,omitempty"`
	Description      string                     `json:"description,omitempty"`
	Content          []DocumentReferenceContent `json:"content,omitempty"`
	Context          *DocumentReferenceContext  `json:"context,omitempty"`
}

// DocumentReferenceContent is the document itself.
type DocumentReferenceContent struct {
	Attachment Attachment `json:"attachment,omitzero"`
	Format     *Coding    `json:"format,omitempty"`
}

// DocumentReferenceContext is the care the document belongs to.
type DocumentReferenceContext struct {
	Encounter []Reference `json:"encounter,omitempty"`
	Period    *Period     `json:"period,omitempty"`
}

// Provenance says who made a resource, when, and how.
type Provenance struct {
	ID               string             `json:"id,omitempty"`
	Meta             *Meta              `json:"meta,omitempty"`
	Target           []Reference        `json:"target,omitempty"`
	OccurredDateTime string             `json:"occurredDateTime,omitempty"`
	Recorded         string             `json:"recorded,omitempty"` // instant
	Activity         *CodeableConcept   `json:"activity,omitempty"`
	Agent            []ProvenanceAgent  `json:"agent,omitempty"`
	Entity           []ProvenanceEntity `json:"entity,omitempty"`
}

// ProvenanceAgent is who took part.
type ProvenanceAgent struct {
	Type       *CodeableConcept  `json:"type,omitempty"`
	Role       []CodeableConcept `json:"role,omitempty"`
	Who        Reference         `json:"who,omitzero"`
	OnBehalfOf *Reference        `json:"onBehalfOf,omitempty"`
}

// ProvenanceEntity is what the target was made from.
type ProvenanceEntity struct {
	Role string    `json:"role,omitempty"` // derivation | revision | quotation | source | removal
	What Reference `json:"what,omitzero"`
}

// Bundle is a list of resources: kapstone writes searchset bundles.
type Bundle struct {
	ID        string        `json:"id,omitempty"`
	Meta      *Meta         `json:"meta,omitempty"`
	Type      string        `json:"type,omitempty"` // searchset | collection | ...
	Timestamp string        `json:"timestamp,omitempty"`
	Total     *int          `json:"total,omitempty"`
	Link      []BundleLink  `json:"link,omitempty"`
	Entry     []BundleEntry `json:"entry,omitempty"`
}

// BundleLink is a link (self, next) of a search.
type BundleLink struct {
	Relation string `json:"relation,omitempty"`
	URL      string `json:"url,omitempty"`
}

// BundleEntry is one resource of a bundle.
type BundleEntry struct {
	FullURL  string        `json:"fullUrl,omitempty"`
	Resource Resource      `json:"resource,omitempty"`
	Search   *BundleSearch `json:"search,omitempty"`
}

// BundleSearch says why an entry is in a searchset.
type BundleSearch struct {
	Mode string `json:"mode,omitempty"` // match | include | outcome
}

// OperationOutcome reports an error (or warnings).
type OperationOutcome struct {
	ID    string         `json:"id,omitempty"`
	Meta  *Meta          `json:"meta,omitempty"`
	Issue []OutcomeIssue `json:"issue,omitempty"`
}

// OutcomeIssue is one problem.
type OutcomeIssue struct {
	Severity    string           `json:"severity,omitempty"` // fatal | error | warning | information
	Code        string           `json:"code,omitempty"`     // IssueType
	Details     *CodeableConcept `json:"details,omitempty"`
	Diagnostics string           `json:"diagnostics,omitempty"`
	Expression  []string         `json:"expression,omitempty"`
}

// CapabilityStatement says what the server does.
type CapabilityStatement struct {
	ID             string                    `json:"id,omitempty"`
	Meta           *Meta                     `json:"meta,omitempty"`
	URL            string                    `json:"url,omitempty"`
	Version        string                    `json:"version,omitempty"`
	Name           string                    `json:"name,omitempty"`
	Title          string                    `json:"title,omitempty"`
	Status         string                    `json:"status,omitempty"` // draft | active | retired | unknown
	Date           string                    `json:"date,omitempty"`
	Publisher      string                    `json:"publisher,omitempty"`
	Description    string                    `json:"description,omitempty"`
	Kind           string                    `json:"kind,omitempty"` // instance | capability | requirements
	Software       *CapabilitySoftware       `json:"software,omitempty"`
	Implementation *CapabilityImplementation `json:"implementation,omitempty"`
	FHIRVersion    string                    `json:"fhirVersion,omitempty"`
	Format         []string                  `json:"format,omitempty"`
	Rest           []CapabilityRest          `json:"rest,omitempty"`
}

// CapabilitySoftware names the software.
type CapabilitySoftware struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// CapabilityImplementation names this installation.
type CapabilityImplementation struct {
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
}

// CapabilityRest is the RESTful API.
type CapabilityRest struct {
	Mode          string                  `json:"mode,omitempty"` // server
	Documentation string                  `json:"documentation,omitempty"`
	Security      *CapabilitySecurity     `json:"security,omitempty"`
	Resource      []CapabilityResource    `json:"resource,omitempty"`
	Interaction   []CapabilityInteraction `json:"interaction,omitempty"`
	Operation     []CapabilityOperation   `json:"operation,omitempty"`
}

// CapabilitySecurity says how clients authenticate.
type CapabilitySecurity struct {
	CORS        *bool             `json:"cors,omitempty"`
	Service     []CodeableConcept `json:"service,omitempty"`
	Description string            `json:"description,omitempty"`
}

// CapabilityResource is what the API does with one resource type.
type CapabilityResource struct {
	Type             string                  `json:"type,omitempty"`
	Profile          string                  `json:"profile,omitempty"`
	SupportedProfile []string                `json:"supportedProfile,omitempty"`
	Documentation    string                  `json:"documentation,omitempty"`
	Interaction      []CapabilityInteraction `json:"interaction,omitempty"`
	SearchInclude    []string                `json:"searchInclude,omitempty"`
	SearchParam      []CapabilitySearchParam `json:"searchParam,omitempty"`
	Operation        []CapabilityOperation   `json:"operation,omitempty"`
}

// CapabilityInteraction is one interaction (read, search-type, create ...).
type CapabilityInteraction struct {
	Code          string `json:"code,omitempty"`
	Documentation string `json:"documentation,omitempty"`
}

// CapabilitySearchParam is one search parameter.
type CapabilitySearchParam struct {
	Name          string `json:"name,omitempty"`
	Definition    string `json:"definition,omitempty"`
	Type          string `json:"type,omitempty"` // number | date | string | token | reference | ...
	Documentation string `json:"documentation,omitempty"`
}

// CapabilityOperation is one operation ($everything, $export).
type CapabilityOperation struct {
	Name       string `json:"name,omitempty"`
	Definition string `json:"definition,omitempty"`
}

func (Patient) ResourceType() string               { return "Patient" }
func (Practitioner) ResourceType() string          { return "Practitioner" }
func (PractitionerRole) ResourceType() string      { return "PractitionerRole" }
func (CareTeam) ResourceType() string              { return "CareTeam" }
func (Questionnaire) ResourceType() string         { return "Questionnaire" }
func (QuestionnaireResponse) ResourceType() string { return "QuestionnaireResponse" }
func (Observation) ResourceType() string           { return "Observation" }
func (Appointment) ResourceType() string           { return "Appointment" }
func (Encounter) ResourceType() string             { return "Encounter" }
func (MedicationStatement) ResourceType() string   { return "MedicationStatement" }
func (Flag) ResourceType() string                  { return "Flag" }
func (Consent) ResourceType() string               { return "Consent" }
func (CarePlan) ResourceType() string              { return "CarePlan" }
func (DocumentReference) ResourceType() string     { return "DocumentReference" }
func (Provenance) ResourceType() string            { return "Provenance" }
func (Bundle) ResourceType() string                { return "Bundle" }
func (OperationOutcome) ResourceType() string      { return "OperationOutcome" }
func (CapabilityStatement) ResourceType() string   { return "CapabilityStatement" }

func (r Patient) ResourceID() string               { return r.ID }
func (r Practitioner) ResourceID() string          { return r.ID }
func (r PractitionerRole) ResourceID() string      { return r.ID }
func (r CareTeam) ResourceID() string              { return r.ID }
func (r Questionnaire) ResourceID() string         { return r.ID }
func (r QuestionnaireResponse) ResourceID() string { return r.ID }
func (r Observation) ResourceID() string           { return r.ID }
func (r Appointment) ResourceID() string           { return r.ID }
func (r Encounter) ResourceID() string             { return r.ID }
func (r MedicationStatement) ResourceID() string   { return r.ID }
func (r Flag) ResourceID() string                  { return r.ID }
func (r Consent) ResourceID() string               { return r.ID }
func (r CarePlan) ResourceID() string              { return r.ID }
func (r DocumentReference) ResourceID() string     { return r.ID }
func (r Provenance) ResourceID() string            { return r.ID }
func (r Bundle) ResourceID() string                { return r.ID }
func (r OperationOutcome) ResourceID() string      { return r.ID }
func (r CapabilityStatement) ResourceID() string   { return r.ID }

// MarshalJSON writes each resource with its resourceType first.

func (r Patient) MarshalJSON() ([]byte, error) {
	type t Patient
	return marshal(r.ResourceType(), t(r))
}
func (r Practitioner) MarshalJSON() ([]byte, error) {
	type t Practitioner
	return marshal(r.ResourceType(), t(r))
}
func (r PractitionerRole) MarshalJSON() ([]byte, error) {
	type t PractitionerRole
	return marshal(r.ResourceType(), t(r))
}
func (r CareTeam) MarshalJSON() ([]byte, error) {
	type t CareTeam
	return marshal(r.ResourceType(), t(r))
}
func (r Questionnaire) MarshalJSON() ([]byte, error) {
	type t Questionnaire
	return marshal(r.ResourceType(), t(r))
}
func (r QuestionnaireResponse) MarshalJSON() ([]byte, error) {
	type t QuestionnaireResponse
	return marshal(r.ResourceType(), t(r))
}
func (r Observation) MarshalJSON() ([]byte, error) {
	type t Observation
	return marshal(r.ResourceType(), t(r))
}
func (r Appointment) MarshalJSON() ([]byte, error) {
	type t Appointment
	return marshal(r.ResourceType(), t(r))
}
func (r Encounter) MarshalJSON() ([]byte, error) {
	type t Encounter
	return marshal(r.ResourceType(), t(r))
}
func (r MedicationStatement) MarshalJSON() ([]byte, error) {
	type t MedicationStatement
	return marshal(r.ResourceType(), t(r))
}
func (r Flag) MarshalJSON() ([]byte, error) { type t Flag; return marshal(r.ResourceType(), t(r)) }
func (r Consent) MarshalJSON() ([]byte, error) {
	type t Consent
	return marshal(r.ResourceType(), t(r))
}
func (r CarePlan) MarshalJSON() ([]byte, error) {
	type t CarePlan
	return marshal(r.ResourceType(), t(r))
}
func (r DocumentReference) MarshalJSON() ([]byte, error) {
	type t DocumentReference
	return marshal(r.ResourceType(), t(r))
}
func (r Provenance) MarshalJSON() ([]byte, error) {
	type t Provenance
	return marshal(r.ResourceType(), t(r))
}
func (r Bundle) MarshalJSON() ([]byte, error) { type t Bundle; return marshal(r.ResourceType(), t(r)) }
func (r OperationOutcome) MarshalJSON() ([]byte, error) {
	type t OperationOutcome
	return marshal(r.ResourceType(), t(r))
}
func (r CapabilityStatement) MarshalJSON() ([]byte, error) {
	type t CapabilityStatement
	return marshal(r.ResourceType(), t(r))
}
