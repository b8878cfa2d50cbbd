package fhir

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// Mapper turns kapstone's records into FHIR resources. Its methods are pure:
// they read nothing and decide no access (the caller has read the records
// through the store, which checked and audited that). Psychotherapy notes
// are never an input of any of them.
type Mapper struct {
	// Base is the FHIR base URL of this installation, absolute, without a
	// trailing slash ("https://clinic.example/fhir"). Identifier systems
	// are under it: kapstone's ids are this practice's.
	Base string
}

// idPattern is FHIR R4's id datatype.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// ValidID reports whether s is a FHIR id ([A-Za-z0-9-.]{1,64}).
func ValidID(s string) bool { return idPattern.MatchString(s) }

func checkIDs(ids ...string) error {
	for _, id := range ids {
		if !ValidID(id) {
			return fmt.Errorf("fhir: %q is not a FHIR id", id)
		}
	}
	return nil
}

func (m Mapper) system(kind string) (string, error) {
	if !strings.HasPrefix(m.Base, "https://") && !strings.HasPrefix(m.Base, "http://") || strings.HasSuffix(m.Base, "/") {
		return "", fmt.Errorf("fhir: Mapper.Base %q is not an absolute URL without a trailing slash", m.Base)
	}
	return m.Base + "/sid/" + kind, nil
}

// nameParts is the data-absent-reason extension kapstone puts on every
// HumanName: it keeps a person's name whole, as they wrote it, and never
// guesses which part is the family name. US Core allows a name without
// family or given exactly when it carries this extension.
var nameParts = []Extension{{URL: ExtDataAbsentReason, ValueCode: "unsupported"}}

// Patient maps a patient's record. It meets US Core Patient (and says so in
// meta.profile) when it has an identifier, a name and a gender: kapstone
// records no administrative gender, so gender is "unknown", which US Core
// allows; the names are written whole (see nameParts). Pronouns, the time
// zone and the dosing-day support person are not written: R4 has no element
// for the first two, and the last is dosing logistics, not a contact.
func (m Mapper) Patient(p *store.Patient) (Patient, error) {
	sys, err := m.system("patient")
	if err != nil {
		return Patient{}, err
	}
	if err := checkIDs(p.ID); err != nil {
		return Patient{}, err
	}
	out := Patient{ID: p.ID, Identifier: []Identifier{{System: sys, Value: p.ID}}, Gender: "unknown", BirthDate: p.BirthDate}
	if p.DisplayName != "" {
		out.Name = append(out.Name, HumanName{Extension: nameParts, Use: "usual", Text: p.DisplayName})
	}
	if p.LegalName != "" && p.LegalName != p.DisplayName {
		out.Name = append(out.Name, HumanName{Extension: nameParts, Use: "official", Text: p.LegalName})
	}
	if p.Email != "" {
		out.Telecom = append(out.Telecom, ContactPoint{System: "email", Value: p.Email})
	}
	if p.Phone != "" {
		out.Telecom = append(out.Telecom, ContactPoint{System: "phone", Value: p.Phone})
	}
	if p.EmergencyName != "" || p.EmergencyPhone != "" {
		c := PatientContact{Relationship: []CodeableConcept{*Concept(SystemContactRole, "C", "Emergency Contact", "")}}
		if p.EmergencyRelation != "" {
			c.Relationship = append(c.Relationship, CodeableConcept{Text: p.EmergencyRelation})
		}
		if p.EmergencyName != "" {
			c.Name = &HumanName{Extension: nameParts, Text: p.EmergencyName}
		}
		if p.EmergencyPhone != "" {
			c.Telecom = []ContactPoint{{System: "phone", Value: p.EmergencyPhone}}
		}
		out.Contact = []PatientContact{c}
	}
	if len(out.Identifier) > 0 && len(out.Name) > 0 && out.Gender != "" {
		out.Meta = &Meta{Profile: []string{ProfilePatient}}
	}
	return out, nil
}

// Practitioner maps a staff account: the name whole with the credentials as
// suffixes and qualifications, the work email, active while the account
// is not disabled. It does not claim US Core Practitioner, which requires
// a family name kapstone does not keep apart. A patient's account is not a
// practitioner and is refused.
func (m Mapper) Practitioner(u *clinic.User) (Practitioner, error) {
	sys, err := m.system("user")
	if err != nil {
		return Practitioner{}, err
	}
	if !u.Role.Staff() {
		return Practitioner{}, errors.New("fhir: only staff are practitioners")
	}
	if err := checkIDs(u.ID); err != nil {
		return Practitioner{}, err
	}
	out := Practitioner{ID: u.ID, Identifier: []Identifier{{System: sys, Value: u.ID}}, Active: Bool(u.DisabledAt == nil)}
	name := HumanName{Extension: nameParts, Text: u.DisplayName}
	for _, c := range strings.Split(u.Credentials, ",") {
		if c = strings.TrimSpace(c); c != "" {
			name.Suffix = append(name.Suffix, c)
			out.Qualification = append(out.Qualification, PractitionerQualification{Code: CodeableConcept{Text: c}})
		}
	}
	if name.Text != "" {
		out.Name = []HumanName{name}
	}
	if u.Email != "" {
		out.Telecom = []ContactPoint{{System: "email", Value: u.Email, Use: "work"}}
	}
	return out, nil
}

// QuestionnaireURL is the canonical URL of the Questionnaire of an
// instrument ("https://github.com/kapstone/kapstone/fhir/Questionnaire/phq9").
func QuestionnaireURL(instrument string) string { return Kapstone + "/Questionnaire/" + instrument }

// Shipped reports whether instrument has a Questionnaire: kapstone ships
// its wording and LOINC codes its total (PHQ-9, GAD-7, PHQ-2). Instruments
// whose wording the practice supplies under its own licence (PCL-5, the
// risk screen) are never written as FHIR, and neither are their answers.
func Shipped(instrument string) (measure.Instrument, bool) {
	inst, ok := measure.Get(instrument)
	return inst, ok && !inst.ItemTextFromPractice && inst.Ready() && inst.LOINCTotal != ""
}

func shipped(instrument string) (measure.Instrument, error) {
	inst, ok := Shipped(instrument)
	if !ok {
		return inst, fmt.Errorf("fhir: instrument %q has no Questionnaire", instrument)
	}
	return inst, nil
}

// answerCoding codes an answer: the LOINC answer code where one is known
// (the frequency scale), else kapstone's answer-value code; always with
// the answer's label and its score as the ordinalValue extension.
func answerCoding(o measure.Option) Coding {
	c := Coding{System: SystemAnswerValue, Code: strconv.Itoa(o.Value), Display: o.Label}
	if la, ok := frequencyAnswers[o.Label]; ok {
		c.System, c.Code = SystemLOINC, la
	}
	c.Extension = []Extension{{URL: ExtOrdinalValue, ValueDecimal: Dec(o.Value)}}
	return c
}

func option(it measure.Item, v int) (measure.Option, bool) {
	for _, o := range it.Options {
		if o.Value == v {
			return o, true
		}
	}
	return measure.Option{}, false
}

// name writes an instrument's short name as a Questionnaire.name: letters
// and digits only, starting with a capital ("PHQ-9" -> "PHQ9").
func name(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Questionnaire builds the Questionnaire of a shipped instrument from its
// definition in internal/measure: the wording verbatim, the LOINC codes of
// the panel and each item, the answer choices (LOINC answer codes where
// known, each with its score), the stem as a display item and the
// instrument's notice as the copyright. Unscored items (the PHQ-9
// difficulty question) are optional.
func (m Mapper) Questionnaire(instrument string) (Questionnaire, error) {
	inst, err := shipped(instrument)
	if err != nil {
		return Questionnaire{}, err
	}
	q := Questionnaire{
		ID: inst.ID, URL: QuestionnaireURL(inst.ID), Name: name(inst.Name), Title: inst.Title, Status: "active",
		SubjectType: []string{"Patient"}, Publisher: "kapstone", Copyright: inst.Notice,
	}
	if inst.LOINCPanel != "" {
		q.Code = []Coding{{System: SystemLOINC, Code: inst.LOINCPanel}}
	}
	if inst.Instructions != "" {
		q.Item = append(q.Item, QuestionnaireItem{LinkID: inst.ID + "_stem", Type: "display", Text: inst.Instructions})
	}
	for _, it := range inst.Items {
		qi := QuestionnaireItem{LinkID: it.ID, Text: it.Text, Type: "choice", Required: Bool(it.Scored)}
		if it.LOINC != "" {
			qi.Code = []Coding{{System: SystemLOINC, Code: it.LOINC}}
		}
		for _, o := range it.Options {
			c := answerCoding(o)
			qi.AnswerOption = append(qi.AnswerOption, QuestionnaireAnswerOption{ValueCoding: &c})
		}
		q.Item = append(q.Item, qi)
	}
	return q, checkIDs(q.ID)
}

// completed returns the instrument of a completed check-in of a shipped
// instrument, or an error.
func completed(patientID string, c store.Checkin) (measure.Instrument, error) {
	if !c.Complete || c.CompletedAt.IsZero() {
		return measure.Instrument{}, fmt.Errorf("fhir: check-in %s is not complete", c.ID)
	}
	if err := checkIDs(patientID, c.ID); err != nil {
		return measure.Instrument{}, err
	}
	return shipped(c.Instrument)
}

// QuestionnaireResponse maps a completed check-in of patientID: each
// answered item in the instrument's order, with its wording and the answer
// coded as in the Questionnaire. It meets US Core QuestionnaireResponse
// (questionnaire, status, subject, authored).
func (m Mapper) QuestionnaireResponse(patientID string, c store.Checkin) (QuestionnaireResponse, error) {
	inst, err := completed(patientID, c)
	if err != nil {
		return QuestionnaireResponse{}, err
	}
	qr := QuestionnaireResponse{
		ID: c.ID, Meta: &Meta{Profile: []string{ProfileQuestionnaireResponse}},
		Questionnaire: QuestionnaireURL(inst.ID), Status: "completed",
		Subject: Ref("Patient", patientID, ""), Authored: Instant(c.CompletedAt),
	}
	for _, it := range inst.Items {
		v, ok := c.Answers[it.ID]
		if !ok {
			continue
		}
		o, ok := option(it, v)
		if !ok {
			return QuestionnaireResponse{}, fmt.Errorf("fhir: check-in %s answers %s with %d, not a choice", c.ID, it.ID, v)
		}
		coding := answerCoding(o)
		qr.Item = append(qr.Item, QuestionnaireResponseItem{LinkID: it.ID, Text: it.Text, Answer: []QuestionnaireResponseAnswer{{ValueCoding: &coding}}})
	}
	return qr, nil
}

// bandSlug writes a band's label as a code: lower-case letters and digits,
// every other run of characters one hyphen ("Moderately severe" ->
// "moderately-severe", "Positive screen: give the PHQ-9" ->
// "positive-screen-give-the-phq-9").
func bandSlug(label string) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(label) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if gap && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			gap = false
		} else {
			gap = true
		}
	}
	return b.String()
}

// CheckinObservations maps a completed check-in of patientID to US Core
// screening-and-assessment Observations, all category survey and derived
// from the check-in's QuestionnaireResponse: the panel (its LOINC panel
// code, the others as members), the total (LOINC total code, {score},
// interpreted by its band) and each answered item that has a LOINC code
// (the answer as in the QuestionnaireResponse). Ids are the check-in's id
// and the LOINC code ("<checkin>-44261-6").
func (m Mapper) CheckinObservations(patientID string, c store.Checkin) ([]Observation, error) {
	inst, err := completed(patientID, c)
	if err != nil {
		return nil, err
	}
	base := func(loinc, text string) Observation {
		return Observation{
			ID: c.ID + "-" + loinc, Meta: &Meta{Profile: []string{ProfileScreeningAssessment}}, Status: "final",
			Category: []CodeableConcept{categorySurvey}, Code: &CodeableConcept{Coding: []Coding{{System: SystemLOINC, Code: loinc}}, Text: text},
			Subject: Ref("Patient", patientID, ""), EffectiveDateTime: Instant(c.CompletedAt), Issued: Instant(c.CompletedAt),
			DerivedFrom: []Reference{*Ref("QuestionnaireResponse", c.ID, "")},
		}
	}
	var items []Observation
	for _, it := range inst.Items {
		v, ok := c.Answers[it.ID]
		if !ok || it.LOINC == "" {
			continue
		}
		o, ok := option(it, v)
		if !ok {
			return nil, fmt.Errorf("fhir: check-in %s answers %s with %d, not a choice", c.ID, it.ID, v)
		}
		obs := base(it.LOINC, it.Text)
		coding := answerCoding(o)
		obs.ValueCodeableConcept = &CodeableConcept{Coding: []Coding{coding}, Text: o.Label}
		items = append(items, obs)
	}
	var band *measure.Band
	for i, b := range inst.Bands {
		if c.Total >= b.Min && c.Total <= b.Max {
			band = &inst.Bands[i]
		}
	}
	if band == nil {
		return nil, fmt.Errorf("fhir: check-in %s has total %d, outside %s's bands", c.ID, c.Total, inst.Name)
	}
	total := base(inst.LOINCTotal, inst.Name+" total score")
	total.ValueQuantity = &Quantity{Value: Dec(c.Total), Unit: "{score}", System: SystemUCUM, Code: "{score}"}
	total.Interpretation = []CodeableConcept{*Concept(SystemScoreBand, bandSlug(band.Label), band.Label, band.Label)}
	out := []Observation{}
	if inst.LOINCPanel != "" {
		panel := base(inst.LOINCPanel, inst.Title)
		panel.HasMember = append(panel.HasMember, *Ref("Observation", total.ID, ""))
		for _, o := range items {
			panel.HasMember = append(panel.HasMember, *Ref("Observation", o.ID, ""))
		}
		out = append(out, panel)
	}
	out = append(out, total)
	out = append(out, items...)
	for _, o := range out {
		if err := checkIDs(o.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func mmHg(n int) *Quantity {
	return &Quantity{Value: Dec(n), Unit: "mmHg", System: SystemUCUM, Code: "mm[Hg]"}
}

// VitalsObservations maps one set of dosing-session vitals of patientID to
// US Core vital-sign Observations, only for what was taken: blood pressure
// (panel 85354-9 with systolic and diastolic components; one not taken has
// a data-absent-reason), heart rate (8867-4, /min) and SpO2 (2708-6 and
// 59408-5, %). Ids are the reading's id with "-bp", "-hr" or "-spo2".
// kapstone records no other vital sign.
func (m Mapper) VitalsObservations(patientID string, v store.Vitals) ([]Observation, error) {
	if err := checkIDs(patientID, v.ID, v.ID+"-spo2"); err != nil {
		return nil, err
	}
	if v.At.IsZero() {
		return nil, fmt.Errorf("fhir: vitals %s have no time", v.ID)
	}
	base := func(suffix, profile, text string, codes ...Coding) Observation {
		return Observation{
			ID: v.ID + suffix, Meta: &Meta{Profile: []string{profile}}, Status: "final",
			Category: []CodeableConcept{categoryVitalSigns}, Code: &CodeableConcept{Coding: codes, Text: text},
			Subject: Ref("Patient", patientID, ""), EffectiveDateTime: Instant(v.At), Issued: Instant(v.RecordedAt),
		}
	}
	var out []Observation
	if v.Systolic != nil || v.Diastolic != nil {
		bp := base("-bp", ProfileBloodPressure, "Blood pressure",
			Coding{System: SystemLOINC, Code: LOINCBloodPressure, Display: "Blood pressure panel with all children optional"})
		for _, c := range []struct {
			code, display string
			value         *int
		}{{LOINCSystolic, "Systolic blood pressure", v.Systolic}, {LOINCDiastolic, "Diastolic blood pressure", v.Diastolic}} {
			comp := ObservationComponent{Code: CodeableConcept{Coding: []Coding{{System: SystemLOINC, Code: c.code, Display: c.display}}, Text: c.display}}
			if c.value != nil {
				comp.ValueQuantity = mmHg(*c.value)
			} else {
				comp.DataAbsentReason = Concept(SystemDataAbsentReason, "not-performed", "Not Performed", "")
			}
			bp.Component = append(bp.Component, comp)
		}
		out = append(out, bp)
	}
	if v.HeartRate != nil {
		hr := base("-hr", ProfileHeartRate, "Heart rate", Coding{System: SystemLOINC, Code: LOINCHeartRate, Display: "Heart rate"})
		hr.ValueQuantity = &Quantity{Value: Dec(*v.HeartRate), Unit: "beats/minute", System: SystemUCUM, Code: "/min"}
		out = append(out, hr)
	}
	if v.SpO2 != nil {
		o := base("-spo2", ProfilePulseOximetry, "Oxygen saturation (pulse oximetry)",
			Coding{System: SystemLOINC, Code: LOINCOxygenSat, Display: "Oxygen saturation in Arterial blood"},
			Coding{System: SystemLOINC, Code: LOINCPulseOximetry, Display: "Oxygen saturation in Arterial blood by Pulse oximetry"})
		o.ValueQuantity = &Quantity{Value: Dec(*v.SpO2), Unit: "%", System: SystemUCUM, Code: "%"}
		out = append(out, o)
	}
	return out, nil
}
