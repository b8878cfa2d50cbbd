package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Deidentifier turns a mapped resource into its de-identified form for a
// researcher's bulk export (_deidentify=true). It is a pure function of
// the resource, the patient it belongs to and the keyed hash MAC (in the
// program the store's ExportMAC, under the audit key), so the same
// patient gets the same pseudonym and the same date shift in every export:
//
//   - ids are keyed hashes: a Patient's is the dashboard's PatientKey (the
//     first 12 hex digits of MAC("patient", id): a row of the de-identified
//     outcomes CSV and a Patient of this export are the same person), any
//     other resource's MAC("fhir."+type, id); every reference "Type/id" is
//     rewritten by the same rule, so references still resolve;
//   - every full date and time is moved by the patient's offset: a whole
//     number of days from 1 to 365, forward or back, plus a number of
//     seconds under a day, both read from further digits of the patient's
//     MAC("patient", id), so intervals within a patient are kept and no
//     date of the record is left as it was (a year or a year-month is
//     left: it is not an exact date). A resource of no patient (a
//     Practitioner) is moved by its own id's offset;
//   - a birth date keeps the year of the moved date only, and is left out
//     for a person over 89 (OldestYear);
//   - names, telecom, addresses, contacts, photos, identifiers, narrative
//     and every free text (text, note, comment, description, title,
//     valueString, patientInstruction, any display but a Coding's) are
//     removed, and so is every URL of the practice's own (they hold record
//     ids): a DocumentReference keeps its attachment's content type, never
//     its content or address;
//   - an element left empty by this (a medication named only in the
//     patient's words) is marked with the data-absent-reason extension
//     "masked", as FHIR marks what was withheld.
type Deidentifier struct {
	// MAC is the keyed hash (hex, at least 28 digits) of id under label.
	MAC func(label, id string) string
	// Origin is the scheme and host of the practice's URLs
	// ("https://clinic.example"): any string value starting with it is
	// removed.
	Origin string
	// OldestYear, when set, is the earliest birth year kept: an older
	// person's birth date is left out, as HIPAA's safe harbor folds ages
	// over 89 into one group (set it to the export's year less 89).
	OldestYear int
}

// dropKeys are removed wherever they occur: who the person is, and free
// text that could say it.
var dropKeys = map[string]bool{
	"name": true, "telecom": true, "address": true, "contact": true, "photo": true, "identifier": true,
	"text": true, "note": true, "comment": true, "description": true, "title": true, "valueString": true,
	"patientInstruction": true, "data": true, "hash": true,
}

// masked is the data-absent-reason extension for what was withheld.
var masked = []any{map[string]any{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "masked"}}

// fullDate matches a FHIR date with a day, and a dateTime or instant.
var fullDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$`)

// PatientKey is the pseudonym of patientID (the dashboard's PatientKey).
func (d Deidentifier) PatientKey(patientID string) string { return d.MAC("patient", patientID)[:12] }

// Offset is how far a person's dates move: Days (never 0) and, for a
// time, Seconds more.
type Offset struct{ Days, Seconds int }

// Shift is the date offset of the person whose keyed hash is MAC(label,
// id): 1 to 365 days forward or back, plus 0 to 86399 seconds.
func (d Deidentifier) Shift(label, id string) Offset {
	h := d.MAC(label, id)
	n, err := strconv.ParseUint(h[12:28], 16, 64)
	if err != nil {
		panic("fhir: Deidentifier.MAC must answer hex: " + err.Error())
	}
	o := Offset{Days: int(n%365) + 1, Seconds: int((n / 730) % 86400)}
	if (n/365)%2 == 1 {
		o.Days = -o.Days
	}
	return o
}

// Pseudonym is the de-identified id of a resource of typ with id.
func (d Deidentifier) Pseudonym(typ, id string) string {
	if typ == "Patient" {
		return d.PatientKey(id)
	}
	return d.MAC("fhir."+typ, id)[:16]
}

// Resource returns the de-identified JSON of r (a resource as its JSON),
// belonging to patientID ("" for a resource of no patient, such as a
// Practitioner).
func (d Deidentifier) Resource(r []byte, patientID string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(r))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	typ, _ := m["resourceType"].(string)
	id, _ := m["id"].(string)
	if typ == "" {
		return nil, fmt.Errorf("fhir: de-identify: not a resource")
	}
	shift := d.Shift("patient", patientID)
	if patientID == "" {
		shift = d.Shift("fhir."+typ, id)
	}
	if id != "" {
		m["id"] = d.Pseudonym(typ, id)
	}
	if meta, ok := m["meta"].(map[string]any); ok {
		// What is left is no longer the profile's (US Core asks for
		// names and identifiers).
		delete(meta, "profile")
	}
	d.object(m, shift, true)
	if bd, ok := m["birthDate"].(string); ok && typ == "Patient" {
		if y, err := strconv.Atoi(bd[:min(4, len(bd))]); err != nil || y < d.OldestYear {
			delete(m, "birthDate")
		} else {
			m["birthDate"] = bd[:4] // already moved by object
		}
	}
	return json.Marshal(m)
}

// object de-identifies one JSON object in place; top marks the resource
// itself (whose id is done by Resource).
func (d Deidentifier) object(m map[string]any, shift Offset, top bool) {
	// A display is a Coding's (the code system's words) or a
	// reference's (a person's name): only a Coding keeps it.
	_, hasCode := m["code"]
	_, hasSystem := m["system"]
	coding := hasCode || hasSystem
	for k, v := range m {
		switch {
		case dropKeys[k]:
			delete(m, k)
			continue
		case k == "display" && !coding:
			delete(m, k)
			continue
		case k == "id" && top, k == "resourceType" && top:
			continue
		case k == "reference":
			if ref, ok := d.reference(v); ok {
				m[k] = ref
			} else {
				delete(m, k)
			}
			continue
		}
		nv, keep := d.value(v, shift)
		if !keep {
			delete(m, k)
			continue
		}
		m[k] = nv
	}
}

// value de-identifies one JSON value; keep false drops it from its parent.
func (d Deidentifier) value(v any, shift Offset) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return x, false
		}
		d.object(x, shift, false)
		if len(x) == 0 {
			return map[string]any{"extension": masked}, true
		}
		return x, true
	case []any:
		out := x[:0]
		for _, e := range x {
			if nv, keep := d.value(e, shift); keep {
				out = append(out, nv)
			}
		}
		return out, len(out) > 0
	case string:
		if d.Origin != "" && strings.HasPrefix(x, d.Origin) {
			return nil, false
		}
		if fullDate.MatchString(x) {
			return moveDate(x, shift)
		}
		return x, true
	}
	return v, true
}

// reference rewrites a relative reference "Type/id" with the pseudonym;
// anything else (an absolute or contained reference, which could name a
// record) is dropped (ok false).
func (d Deidentifier) reference(v any) (string, bool) {
	s, _ := v.(string)
	typ, id, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(id, "/") || typ == "" || id == "" {
		return "", false
	}
	return typ + "/" + d.Pseudonym(typ, id), true
}

// moveDate moves a full date or dateTime by shift, keeping its precision:
// a date moves by the days of shift. A value that is not a date after all
// is dropped (ok false).
func moveDate(s string, shift Offset) (string, bool) {
	if len(s) == len(time.DateOnly) {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return "", false
		}
		return t.AddDate(0, 0, shift.Days).Format(time.DateOnly), true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", false
	}
	t = t.UTC().AddDate(0, 0, shift.Days).Add(time.Duration(shift.Seconds) * time.Second)
	if strings.Contains(s, ".") {
		return t.Format("2006-01-02T15:04:05.000000Z"), true
	}
	return t.Format(time.RFC3339), true
}
