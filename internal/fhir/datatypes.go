// Package fhir is kapstone's FHIR R4 (4.0.1) vocabulary: the resources and
// datatypes it speaks as Go structs, the mapping of its own records to them
// (pure functions, no database), and the mapping of its errors to an
// OperationOutcome. The HTTP endpoints build on it; it imports no web
// package (web may import it, never the reverse).
//
// The types are written by hand, and hold only the elements kapstone fills:
// every element is omitempty (omitzero for a required element that is a
// struct), so an element kapstone has no value for is left out rather than
// sent empty or null (FHIR's JSON rule ele-1); a required element left out
// is then reported by the schema as missing. Every resource writes its
// resourceType itself. internal/fhir/fhirtest validates what they produce against HL7's
// official R4 JSON schema; see the README's dependency section for why no
// FHIR model module is used.
package fhir

import (
	"encoding/json"
	"time"
)

// Meta is a resource's metadata.
type Meta struct {
	VersionID   string   `json:"versionId,omitempty"`
	LastUpdated string   `json:"lastUpdated,omitempty"` // instant
	Source      string   `json:"source,omitempty"`
	Profile     []string `json:"profile,omitempty"` // canonical URLs of the profiles the resource meets
	Security    []Coding `json:"security,omitempty"`
	Tag         []Coding `json:"tag,omitempty"`
}

// Extension is an extension with one of the value types kapstone uses.
type Extension struct {
	URL          string   `json:"url,omitempty"`
	ValueCode    string   `json:"valueCode,omitempty"`
	ValueString  string   `json:"valueString,omitempty"`
	ValueDecimal *float64 `json:"valueDecimal,omitempty"`
	ValueCoding  *Coding  `json:"valueCoding,omitempty"`
}

// Coding is a code from a code system.
type Coding struct {
	Extension []Extension `json:"extension,omitempty"`
	System    string      `json:"system,omitempty"`
	Version   string      `json:"version,omitempty"`
	Code      string      `json:"code,omitempty"`
	Display   string      `json:"display,omitempty"`
}

// CodeableConcept is a concept as codings and/or text.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Concept returns a CodeableConcept of one coding, with text when not "".
func Concept(system, code, display, text string) *CodeableConcept {
	return &CodeableConcept{Coding: []Coding{{System: system, Code: code, Display: display}}, Text: text}
}

// Reference points at another resource.
type Reference struct {
	Reference  string      `json:"reference,omitempty"` // "Type/id" (relative) or an absolute URL
	Type       string      `json:"type,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// Ref returns a relative reference to typ/id, with display when not "".
func Ref(typ, id, display string) *Reference {
	return &Reference{Reference: typ + "/" + id, Display: display}
}

// Identifier is a business identifier.
type Identifier struct {
	Use    string           `json:"use,omitempty"`
	Type   *CodeableConcept `json:"type,omitempty"`
	System string           `json:"system,omitempty"`
	Value  string           `json:"value,omitempty"`
}

// HumanName is a person's name.
type HumanName struct {
	Extension []Extension `json:"extension,omitempty"`
	Use       string      `json:"use,omitempty"` // usual | official | temp | nickname | anonymous | old | maiden
	Text      string      `json:"text,omitempty"`
	Family    string      `json:"family,omitempty"`
	Given     []string    `json:"given,omitempty"`
	Prefix    []string    `json:"prefix,omitempty"`
	Suffix    []string    `json:"suffix,omitempty"`
	Period    *Period     `json:"period,omitempty"`
}

// ContactPoint is a phone number, email address or the like.
type ContactPoint struct {
	System string `json:"system,omitempty"` // phone | fax | email | pager | url | sms | other
	Value  string `json:"value,omitempty"`
	Use    string `json:"use,omitempty"` // home | work | temp | old | mobile
	Rank   int    `json:"rank,omitempty"`
}

// Period is a time range; either end may be open.
type Period struct {
	Start string `json:"start,omitempty"` // dateTime
	End   string `json:"end,omitempty"`
}

// Quantity is a measured amount.
type Quantity struct {
	Value      *float64 `json:"value,omitempty"`
	Comparator string   `json:"comparator,omitempty"`
	Unit       string   `json:"unit,omitempty"`
	System     string   `json:"system,omitempty"`
	Code       string   `json:"code,omitempty"`
}

// Annotation is a note with its author and time.
type Annotation struct {
	AuthorReference *Reference `json:"authorReference,omitempty"`
	AuthorString    string     `json:"authorString,omitempty"`
	Time            string     `json:"time,omitempty"`
	Text            string     `json:"text,omitempty"`
}

// Attachment is content in another format (a PDF), by URL or inline.
type Attachment struct {
	ContentType string `json:"contentType,omitempty"`
	Language    string `json:"language,omitempty"`
	Data        []byte `json:"data,omitempty"` // base64 in JSON
	URL         string `json:"url,omitempty"`
	Size        int    `json:"size,omitempty"`
	Hash        []byte `json:"hash,omitempty"` // SHA-1, base64 in JSON
	Title       string `json:"title,omitempty"`
	Creation    string `json:"creation,omitempty"`
}

// Dosage is how a medication is taken; kapstone writes it as text.
type Dosage struct {
	Text string `json:"text,omitempty"`
}

// Narrative is a resource's human-readable summary (XHTML).
type Narrative struct {
	Status string `json:"status,omitempty"` // generated | extensions | additional | empty
	Div    string `json:"div,omitempty"`
}

// Dec returns a pointer to n as a decimal.
func Dec(n int) *float64 {
	f := float64(n)
	return &f
}

// Bool returns a pointer to b.
func Bool(b bool) *bool { return &b }

// Int returns a pointer to n.
func Int(n int) *int { return &n }

// Instant writes t as a FHIR instant (and dateTime): UTC, to the second
// or finer. The zero time gives "", so the element is left out.
func Instant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// marshal writes v's JSON with "resourceType":rt first. v must be a struct
// type without a MarshalJSON of its own (the resource's local alias).
func marshal(rt string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	head := `{"resourceType":"` + rt + `"`
	if string(b) == "{}" {
		return []byte(head + "}"), nil
	}
	return append([]byte(head+","), b[1:]...), nil
}
