package fhir

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// IntakeMedicationID is the id of the MedicationStatement of line n (from
// 1) of version v of patientID's intake.
func IntakeMedicationID(patientID string, v int64, n int) string {
	return patientID + "-intake-" + strconv.FormatInt(v, 10) + "-med-" + strconv.Itoa(n)
}

// IntakeMedications maps the medication list of a submitted intake version
// of patient p: one MedicationStatement per line, status active, category
// patientspecified, the medicine as typed as its text (kapstone records no
// RxNorm code, so none is written), the dose and frequency as the dosage
// text, asserted when the version was saved by whoever saved it (the
// patient, or the clinician who entered it). Ids name the version and the
// line (IntakeMedicationID), so a later version's lines are new
// statements. A draft is refused: it is not what the patient said yet.
func (m Mapper) IntakeMedications(p *store.Patient, iv *store.IntakeVersion) ([]MedicationStatement, error) {
	if iv == nil || !iv.Submitted {
		return nil, errors.New("fhir: only a submitted intake's medications are written")
	}
	if err := checkIDs(p.ID); err != nil {
		return nil, err
	}
	var source *Reference
	switch {
	case iv.AuthorID != "" && iv.AuthorID == p.UserID:
		source = Ref("Patient", p.ID, "")
	case iv.AuthorID != "":
		if err := checkIDs(iv.AuthorID); err != nil {
			return nil, err
		}
		source = Ref("Practitioner", iv.AuthorID, iv.Author)
	}
	var out []MedicationStatement
	for i, line := range iv.Intake.Medications {
		name := strings.Join(strings.Fields(line.Name), " ")
		if name == "" {
			name = line.Text()
		}
		if name == "" {
			continue
		}
		ms := MedicationStatement{
			ID: IntakeMedicationID(p.ID, iv.Version, i+1), Status: "active",
			Category:                  Concept(SystemMedStatementCat, "patientspecified", "Patient Specified", ""),
			MedicationCodeableConcept: &CodeableConcept{Text: name},
			Subject:                   Ref("Patient", p.ID, ""), DateAsserted: Instant(iv.At), InformationSource: source,
		}
		if d := strings.Join(strings.Fields(line.Dose+" "+line.Frequency), " "); d != "" {
			ms.Dosage = []Dosage{{Text: d}}
		}
		if err := checkIDs(ms.ID); err != nil {
			return nil, err
		}
		out = append(out, ms)
	}
	return out, nil
}

// Prescriptions maps a patient's prescription record, the current one
// first, then the ended ones newest first.
func (m Mapper) Prescriptions(patientID string, rx *store.Prescriptions) ([]MedicationStatement, error) {
	var all []store.Prescription
	if rx.Current != nil {
		all = append(all, *rx.Current)
	}
	out := make([]MedicationStatement, 0, len(all)+len(rx.Past))
	for _, r := range append(all, rx.Past...) {
		ms, err := m.Prescription(patientID, r)
		if err != nil {
			return nil, err
		}
		out = append(out, ms)
	}
	return out, nil
}

// Prescription maps one of patientID's ketamine prescriptions (kapstone
// records, it does not e-prescribe) as a MedicationStatement: the drug and
// strength as text (no RxNorm code is recorded), the current dose per
// session, route and sessions authorised as the dosage text, active until
// it ends and stopped after, over the period from its recording to its
// end. The prescriber is named (the record keeps the name). The end
// reason and the dose adjustments' reasons are typed text and are not
// written.
func (m Mapper) Prescription(patientID string, rx store.Prescription) (MedicationStatement, error) {
	if err := checkIDs(patientID, rx.ID); err != nil {
		return MedicationStatement{}, err
	}
	if rx.Drug == "" || rx.At.IsZero() {
		return MedicationStatement{}, fmt.Errorf("fhir: prescription %s has no drug or time", rx.ID)
	}
	med := rx.Drug
	if rx.Strength != "" {
		med += ", " + rx.Strength
	}
	dose := rx.Dose + " per session"
	if r := clinic.RouteTitle(rx.Route); r != "" {
		dose += ", " + r
	}
	dose += ", " + strconv.Itoa(rx.SessionsAuthorised) + " sessions authorised"
	out := MedicationStatement{
		ID: rx.ID, Status: "active", Category: Concept(SystemMedStatementCat, "outpatient", "Outpatient", ""),
		MedicationCodeableConcept: &CodeableConcept{Text: med}, Subject: Ref("Patient", patientID, ""),
		EffectivePeriod: &Period{Start: Instant(rx.At)}, DateAsserted: Instant(rx.At),
		InformationSource: practitioner("", rx.PrescriberName), Dosage: []Dosage{{Text: dose}},
	}
	if rx.EndedAt != nil {
		out.Status, out.EffectivePeriod.End = "stopped", Instant(*rx.EndedAt)
	}
	return out, nil
}
