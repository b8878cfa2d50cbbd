package clinic

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Clinical (progress) notes, issue 16 items 1 to 3. Source: REFERENCE.md
// section 4 "Documentation": one progress note per appointment, in a
// common format; once signed it is locked ("once locked and signed, you
// cannot edit"), and amendments, corrections and clarifications are
// addenda, each signed. Dose, vitals, adverse events and scores belong in
// the progress note or the medical record (not in psychotherapy notes).
// The prompts below are our own wording.

// Note formats.
const (
	NoteSOAP = "soap"
	NoteDAP  = "dap"
	NoteBIRP = "birp"
)

// Note statuses. A draft is the author's to change; signed is locked for
// good. NoteAwaitingCosign is for a supervisee's note signed by its author
// and waiting for the supervisor (co-signature: a later change); its
// content is locked as a signed note's is.
const (
	NoteDraft          = "draft"
	NoteAwaitingCosign = "awaiting_cosign"
	NoteSigned         = "signed"
)

// NoteSection is one section of a note format: its stored key, its title
// and a short prompt saying what goes in it.
type NoteSection struct {
	Key, Title, Prompt string
}

// NoteFormat is a note format and its sections, in order.
type NoteFormat struct {
	Key, Title string
	Sections   []NoteSection
}

// NoteFormats lists the formats a note may be written in: SOAP, DAP and
// BIRP, the common progress-note formats (REFERENCE.md section 4).
var NoteFormats = []NoteFormat{
	{Key: NoteSOAP, Title: "SOAP", Sections: []NoteSection{
		{Key: "subjective", Title: "Subjective", Prompt: "What the patient reports: how they have been, in their own words where it helps."},
		{Key: "objective", Title: "Objective", Prompt: "What you observed and measured: presentation, scores, vitals."},
		{Key: "assessment", Title: "Assessment", Prompt: "Your clinical reading of the above: progress, risk, response to treatment."},
		{Key: "plan", Title: "Plan", Prompt: "What happens next: sessions, referrals, homework, follow-up."},
	}},
	{Key: NoteDAP, Title: "DAP", Sections: []NoteSection{
		{Key: "data", Title: "Data", Prompt: "What was said, observed and measured in the session."},
		{Key: "assessment", Title: "Assessment", Prompt: "What the data mean clinically: progress, risk, response."},
		{Key: "plan", Title: "Plan", Prompt: "Next steps and when."},
	}},
	{Key: NoteBIRP, Title: "BIRP", Sections: []NoteSection{
		{Key: "behavior", Title: "Behavior", Prompt: "How the patient presented and what they reported."},
		{Key: "intervention", Title: "Intervention", Prompt: "What you did: methods and techniques used."},
		{Key: "response", Title: "Response", Prompt: "How the patient responded to it."},
		{Key: "plan", Title: "Plan", Prompt: "Next steps and when."},
	}},
}

// NoteFormatOf returns the format with key, and whether it is known.
func NoteFormatOf(key string) (NoteFormat, bool) {
	for _, f := range NoteFormats {
		if f.Key == key {
			return f, true
		}
	}
	return NoteFormat{}, false
}

// NoteTemplate is how a note for one kind of appointment starts: its
// default format and, per section, a starter prompt for that kind that
// replaces the format's general one.
type NoteTemplate struct {
	Kind    string
	Format  string
	Prompts map[string]string // section key → starter prompt
}

// noteTemplates are the starter templates by appointment kind (in code
// for now; a practice setting later).
var noteTemplates = map[string]NoteTemplate{
	"intake": {Kind: "intake", Format: NoteSOAP, Prompts: map[string]string{
		"subjective": "Reason for seeking KAP, history of the presenting problem, past treatment, goals.",
		"objective":  "Mental status, screening scores, risk screen.",
		"assessment": "Working formulation, suitability for KAP, risks and contraindications to review.",
		"plan":       "Medical evaluation referral, preparation sessions, consent still needed.",
	}},
	"medical_evaluation": {Kind: "medical_evaluation", Format: NoteSOAP, Prompts: map[string]string{
		"subjective": "Medical and psychiatric history, current medication, substance use, pregnancy.",
		"objective":  "Vitals, examination, relevant results.",
		"assessment": "Medical clearance for ketamine: contraindications, interactions, cautions.",
		"plan":       "Clearance decision, prescription, monitoring, what to check before dosing.",
	}},
	"preparation": {Kind: "preparation", Format: NoteDAP, Prompts: map[string]string{
		"data":       "Intentions, fears and expectations discussed; set and setting; consent to touch.",
		"assessment": "Readiness for the dosing session; any concerns.",
		"plan":       "Dosing date, support person and ride home, what to do and avoid beforehand.",
	}},
	"dosing": {Kind: "dosing", Format: NoteSOAP, Prompts: map[string]string{
		"subjective": "The patient's intention and state before the dose; what they reported during and after.",
		"objective":  "Your observations during the session. Dose, vitals, events and times are in the session record shown beside this note: refer to them, no need to copy them.",
		"assessment": "How the session went clinically; tolerability; safety at discharge.",
		"plan":       "Integration session, follow-up, changes for the next session.",
	}},
	"integration": {Kind: "integration", Format: NoteDAP, Prompts: map[string]string{
		"data":       "What the patient brought from the dosing session: images, insights, feelings, changes noticed.",
		"assessment": "Meaning and themes; progress towards goals; risk.",
		"plan":       "Practices to carry forward, next sessions.",
	}},
	"follow_up": {Kind: "follow_up", Format: NoteSOAP, Prompts: map[string]string{
		"subjective": "How things have been since the last session.",
		"objective":  "Presentation, scores since the last session.",
		"assessment": "Progress, durability of change, risk.",
		"plan":       "Further sessions, maintenance, discharge or referral.",
	}},
}

// NoteTemplateFor is the starter template for an appointment of kind: its
// own for the KAP kinds, and plain SOAP with the format's prompts for any
// other kind.
func NoteTemplateFor(kind string) NoteTemplate {
	if t, ok := noteTemplates[kind]; ok {
		return t
	}
	return NoteTemplate{Kind: kind, Format: NoteSOAP}
}

// Prompt is the starter prompt for section of format: the template's own
// when format is the template's format and it has one, and otherwise the
// format's general prompt ("" for a section the format does not have).
func (t NoteTemplate) Prompt(format, section string) string {
	if format == t.Format {
		if p, ok := t.Prompts[section]; ok {
			return p
		}
	}
	f, _ := NoteFormatOf(format)
	for _, s := range f.Sections {
		if s.Key == section {
			return s.Prompt
		}
	}
	return ""
}

// MaxNoteSection is the longest text of one section, in characters.
const MaxNoteSection = 20000

// CheckNoteSections checks and tidies the text given for each section of
// format (by section key; keys the format does not have are dropped):
// line breaks become "\n", trailing spaces and blank lines go, and each
// must be MultiLine and at most MaxNoteSection characters. Errors are keyed
// "section_<key>". An unknown format is an error at "format".
func CheckNoteSections(format string, given map[string]string) (map[string]string, error) {
	fe := FieldErrors{}
	f, ok := NoteFormatOf(format)
	if !ok {
		fe.Add("format", "Choose SOAP, DAP or BIRP.")
		return nil, fe.Err()
	}
	out := map[string]string{}
	for _, s := range f.Sections {
		v := strings.TrimRight(strings.ReplaceAll(given[s.Key], "\r\n", "\n"), " \t\r\n")
		field := "section_" + s.Key
		if utf8.RuneCountInString(v) > MaxNoteSection {
			fe.Add(field, "This section is too long to save (at most 20,000 characters). Your text is kept below.")
		}
		CheckText(fe, field, v)
		out[s.Key] = v
	}
	return out, fe.Err()
}

// NoteWritten reports whether any section of format has text.
func NoteWritten(format string, sections map[string]string) bool {
	f, _ := NoteFormatOf(format)
	for _, s := range f.Sections {
		if strings.TrimSpace(sections[s.Key]) != "" {
			return true
		}
	}
	return false
}

// Addendum kinds: how a signed note is changed without changing it.
const (
	AddendumAmendment     = "amendment"
	AddendumCorrection    = "correction"
	AddendumClarification = "clarification"
)

// AddendumKinds lists the kinds of addendum with their names for people.
var AddendumKinds = []struct{ Key, Title string }{
	{AddendumAmendment, "Amendment"},
	{AddendumCorrection, "Correction"},
	{AddendumClarification, "Clarification"},
}

// AddendumTitle is the name of addendum kind k ("" when unknown).
func AddendumTitle(k string) string {
	for _, a := range AddendumKinds {
		if a.Key == k {
			return a.Title
		}
	}
	return ""
}

// MaxAddendum is the longest addendum, in characters.
const MaxAddendum = 20000

// CheckAddendum checks an addendum's kind and body (tidied as a section
// is) and returns the body. Errors are keyed "kind" and "body".
func CheckAddendum(kind, body string) (string, error) {
	fe := FieldErrors{}
	if AddendumTitle(kind) == "" {
		fe.Add("kind", "Choose whether this is an amendment, a correction or a clarification.")
	}
	body = strings.TrimRight(strings.ReplaceAll(body, "\r\n", "\n"), " \t\r\n")
	switch {
	case strings.TrimSpace(body) == "":
		fe.Add("body", "Write the addendum.")
	case utf8.RuneCountInString(body) > MaxAddendum:
		fe.Add("body", "This addendum is too long to save (at most 20,000 characters). Your text is kept below.")
	}
	CheckText(fe, "body", body)
	return body, fe.Err()
}

// SignedNote is what a signature covers: the note's format, every
// section of the format in its order, who wrote it, whose note and which
// appointment it is, and when it was signed.
type SignedNote struct {
	Format        string
	Sections      map[string]string
	AuthorID      string
	PatientID     string
	AppointmentID string
	SignedAt      time.Time
}

// field writes one canonical field: name, the value's length in bytes,
// a colon, the value and a line feed, so no value can run into the next.
func field(b *strings.Builder, name, v string) {
	b.WriteString(name)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(v)))
	b.WriteByte(':')
	b.WriteString(v)
	b.WriteByte('\n')
}

// signedTime is a signature's time in canonical form: UTC, to the second
// (what both databases keep exactly).
func signedTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// Canonical is the byte form of n that its hash covers: a version line,
// then each field as "name length:value\n" (format, every section of the
// format in the format's order, author, patient, appointment, signed time
// in UTC to the second). A section the format does not have is not part
// of it; a missing one is empty.
func (n SignedNote) Canonical() []byte {
	var b strings.Builder
	b.WriteString("kapstone-note-v1\n")
	field(&b, "format", n.Format)
	f, _ := NoteFormatOf(n.Format)
	for _, s := range f.Sections {
		field(&b, "section."+s.Key, n.Sections[s.Key])
	}
	field(&b, "author", n.AuthorID)
	field(&b, "patient", n.PatientID)
	field(&b, "appointment", n.AppointmentID)
	field(&b, "signed", signedTime(n.SignedAt))
	return []byte(b.String())
}

// Hash is the SHA-256 of n's canonical form, as "sha256:" and 64 hex
// digits.
func (n SignedNote) Hash() string { return hashOf(n.Canonical()) }

// Verify reports whether hash is n's hash: false for any change to n or
// to hash.
func (n SignedNote) Verify(hash string) bool { return sameHash(n.Hash(), hash) }

// SignedAddendum is what an addendum's signature covers: the note it is
// added to and that note's hash, its kind and body, who wrote it and when.
type SignedAddendum struct {
	NoteID, NoteHash string
	Kind, Body       string
	AuthorID         string
	SignedAt         time.Time
}

// Canonical is the byte form of a that its hash covers, in the form of
// SignedNote.Canonical.
func (a SignedAddendum) Canonical() []byte {
	var b strings.Builder
	b.WriteString("kapstone-addendum-v1\n")
	field(&b, "note", a.NoteID)
	field(&b, "note-hash", a.NoteHash)
	field(&b, "kind", a.Kind)
	field(&b, "body", a.Body)
	field(&b, "author", a.AuthorID)
	field(&b, "signed", signedTime(a.SignedAt))
	return []byte(b.String())
}

// Hash is the SHA-256 of a's canonical form, as "sha256:" and hex.
func (a SignedAddendum) Hash() string { return hashOf(a.Canonical()) }

// Verify reports whether hash is a's hash.
func (a SignedAddendum) Verify(hash string) bool { return sameHash(a.Hash(), hash) }

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func sameHash(want, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// DefaultNoteTemplate is kapstone's own starter template for an
// appointment of kind (NoteTemplateFor), what "reset to kapstone's
// default" restores.
func DefaultNoteTemplate(kind string) NoteTemplate { return NoteTemplateFor(kind) }

// MaxNotePrompt is the longest section prompt of a template, in
// characters.
const MaxNotePrompt = 400

// CheckNoteTemplate checks and tidies a practice's template for an
// appointment kind: a known format (EInvalid at "format"), and a prompt
// per section of that format, each on one line and at most MaxNotePrompt
// characters (at "prompt_<key>"); an empty prompt means the format's
// general one, and prompts for sections the format does not have are
// dropped.
func CheckNoteTemplate(t NoteTemplate) (NoteTemplate, error) {
	fe := FieldErrors{}
	f, ok := NoteFormatOf(t.Format)
	if !ok {
		fe.Add("format", "Choose SOAP, DAP or BIRP.")
		return t, fe.Err()
	}
	out := NoteTemplate{Kind: t.Kind, Format: t.Format, Prompts: map[string]string{}}
	for _, s := range f.Sections {
		p := strings.TrimSpace(t.Prompts[s.Key])
		field := "prompt_" + s.Key
		switch {
		case utf8.RuneCountInString(p) > MaxNotePrompt:
			fe.Add(field, "Keep the prompt to at most 400 characters.")
		case !SingleLine(p):
			fe.Add(field, "Write the prompt on one line.")
		}
		if p != "" {
			out.Prompts[s.Key] = p
		}
	}
	return out, fe.Err()
}
