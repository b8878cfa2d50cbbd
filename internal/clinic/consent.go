package clinic

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Consent documents: the practice's versioned texts a patient signs, and
// the rule that says whether a patient's consent of a kind is current.
// Source: shared/clinical/REFERENCE.md section 4 ("Consent elements";
// "Consent to touch"; "Product: versioned templates, e-signature with
// timestamp, re-consent on template change").

// Consent kinds.
const (
	ConsentKAP           = "kap_informed_consent"
	ConsentTouch         = "consent_to_touch"
	ConsentTelehealth    = "telehealth"
	ConsentRelease       = "release_to_prescriber"
	ConsentCommunication = "communication_preferences"
)

// ConsentKind is one kind of consent document.
type ConsentKind struct {
	Key, Title string
}

// ConsentKinds lists the kinds, in the order pages show them.
var ConsentKinds = []ConsentKind{
	{ConsentKAP, "Informed consent to ketamine-assisted psychotherapy"},
	{ConsentTouch, "Consent to touch"},
	{ConsentTelehealth, "Consent to telehealth sessions"},
	{ConsentRelease, "Release of information to the partner prescriber"},
	{ConsentCommunication, "Communication preferences"},
}

// ConsentKindTitle names a kind; "" when it is not one of ConsentKinds.
func ConsentKindTitle(kind string) string {
	for _, k := range ConsentKinds {
		if k.Key == kind {
			return k.Title
		}
	}
	return ""
}

// Consent statuses of a patient for one kind.
const (
	ConsentCurrent    = "current"     // a signature that holds
	ConsentReconsent  = "reconsent"   // signed, but a later version requires consent again
	ConsentRevoked    = "revoked"     // the patient's last consent of the kind was revoked
	ConsentNotSigned  = "not_signed"  // never signed
	ConsentNoDocument = "no_document" // the practice has published no version of the kind
)

// ConsentStatusTitle names a status for people.
func ConsentStatusTitle(status string) string {
	switch status {
	case ConsentCurrent:
		return "Current"
	case ConsentReconsent:
		return "Needs consent again"
	case ConsentRevoked:
		return "Revoked"
	case ConsentNoDocument:
		return "No document published"
	}
	return "Not signed"
}

// ConsentVersion is one published version of a kind's document.
type ConsentVersion struct {
	ID                string
	Version           int
	RequiresReconsent bool // signatures on earlier versions stop counting
}

// ConsentSigning is one signature of a patient on a version of the kind.
type ConsentSigning struct {
	ID         string
	DocumentID string
	Version    int
	// At is when the patient signed: in the portal, the moment; on paper,
	// the start of the day written on the paper in the practice's zone (the
	// hour is not known).
	At        time.Time
	RevokedAt *time.Time // nil: not revoked
	// Paper marks a signature made on paper and recorded later by staff.
	Paper bool
	// RecordedAt is when staff recorded a paper signature.
	RecordedAt time.Time
	// AfterWithdrawal is set on a paper signature dated the day the patient
	// withdrew consent when the staff member recording it confirmed that
	// the patient signed it after withdrawing (PaperSameDay).
	AfterWithdrawal bool
}

// since is the time a signature counts from when it is compared with
// revocations: when it was signed, except for a paper signature dated the
// day of a withdrawal that staff confirmed was signed after it, which
// counts from when it was recorded (so it comes after that withdrawal,
// and never after a later one).
func (s *ConsentSigning) since() time.Time {
	if s.Paper && s.AfterWithdrawal && !s.RecordedAt.IsZero() {
		return s.RecordedAt
	}
	return s.At
}

// ConsentLastRevoked is the time of the latest revocation among sigs
// (zero when none was revoked).
func ConsentLastRevoked(sigs []ConsentSigning) time.Time {
	var last time.Time
	for _, s := range sigs {
		if s.RevokedAt != nil && s.RevokedAt.After(last) {
			last = *s.RevokedAt
		}
	}
	return last
}

// How the date written on a paper signature stands against the patient's
// latest withdrawal of consent of the kind (PaperDating).
const (
	PaperAfterWithdrawal  = "after"    // dated a later day, or never withdrawn: it counts
	PaperSameDay          = "same_day" // dated the day of the withdrawal: before or after it is not known
	PaperBeforeWithdrawal = "before"   // dated an earlier day: signed before the withdrawal
)

// PaperDating compares the date written on a paper signature (dated: any
// time on that day in loc) with the latest revocation (zero: none), as
// calendar days in the practice's zone loc. A paper signed before the
// patient withdrew does not bring the consent back: withdrawal is the
// patient's latest word (REFERENCE.md section 4, "Consent elements": the
// right to withdraw at any time).
func PaperDating(dated, lastRevoked time.Time, loc *time.Location) string {
	if lastRevoked.IsZero() {
		return PaperAfterWithdrawal
	}
	dy, dm, dd := dated.In(loc).Date()
	ry, rm, rd := lastRevoked.In(loc).Date()
	a, b := time.Date(dy, dm, dd, 0, 0, 0, 0, time.UTC), time.Date(ry, rm, rd, 0, 0, 0, 0, time.UTC)
	switch {
	case a.After(b):
		return PaperAfterWithdrawal
	case a.Equal(b):
		return PaperSameDay
	}
	return PaperBeforeWithdrawal
}

// PaperDateProblem says what is wrong with the date written on a paper
// signature (dated: any time on that day in loc), or "": it is required
// and not after today in the practice's zone.
func PaperDateProblem(dated, now time.Time, loc *time.Location) string {
	if dated.IsZero() {
		return "Enter the date written on the paper, next to the signature."
	}
	dy, dm, dd := dated.In(loc).Date()
	ny, nm, nd := now.In(loc).Date()
	if time.Date(dy, dm, dd, 0, 0, 0, 0, time.UTC).After(time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC)) {
		return "The date on the paper cannot be in the future: enter the date the patient wrote next to their signature."
	}
	return ""
}

// ConsentStanding is where a patient stands on one kind.
type ConsentStanding struct {
	Status  string
	Latest  int             // the newest published version (0: none)
	Current *ConsentSigning // the signature that holds, when Status is ConsentCurrent
	Last    *ConsentSigning // the newest signature (revoked or not), or nil
	// NeededFrom is, for ConsentReconsent, the first version after the
	// signed one that requires consent again.
	NeededFrom int
}

// ConsentStandingOf works out a patient's standing on one kind from its
// published versions (any order) and the patient's signatures on them (any
// order). A signature holds when it is not revoked, was made after every
// revocation of the kind (revoking withdraws consent of the kind, so an
// older signature does not come back; a paper signature counts from the
// start of the day written on it, so one dated the day of a revocation or
// earlier does not hold, unless staff confirmed it was signed after the
// withdrawal: then it counts from when it was recorded), and is on the newest version or on
// an older one that no later version requiring re-consent has replaced.
// Of the signatures that hold, the one on the newest version (then the
// newest) is Current. Without one: the status is ConsentRevoked when the
// newest signature was revoked or came before a revocation,
// ConsentReconsent when there is a signature that would hold but for a
// later version requiring consent again, and ConsentNotSigned otherwise;
// ConsentNoDocument when nothing is published.
func ConsentStandingOf(versions []ConsentVersion, sigs []ConsentSigning) ConsentStanding {
	var st ConsentStanding
	for _, v := range versions {
		st.Latest = max(st.Latest, v.Version)
	}
	// neededAfter is the first version after v requiring re-consent (0: none).
	neededAfter := func(v int) int {
		first := 0
		for _, w := range versions {
			if w.Version > v && w.RequiresReconsent && (first == 0 || w.Version < first) {
				first = w.Version
			}
		}
		return first
	}
	lastRevoked := ConsentLastRevoked(sigs)
	for i := range sigs {
		s := &sigs[i]
		if st.Last == nil || s.since().After(st.Last.since()) {
			st.Last = s
		}
	}
	if st.Latest == 0 {
		st.Status = ConsentNoDocument
		return st
	}
	var stale *ConsentSigning
	for i := range sigs {
		s := &sigs[i]
		if s.RevokedAt != nil || !s.since().After(lastRevoked) {
			continue
		}
		if neededAfter(s.Version) != 0 {
			if stale == nil || s.Version > stale.Version {
				stale = s
			}
			continue
		}
		if st.Current == nil || s.Version > st.Current.Version || (s.Version == st.Current.Version && s.since().After(st.Current.since())) {
			st.Current = s
		}
	}
	switch {
	case st.Current != nil:
		st.Status = ConsentCurrent
	case st.Last != nil && (st.Last.RevokedAt != nil || !st.Last.since().After(lastRevoked)):
		st.Status = ConsentRevoked
	case stale != nil:
		st.Status, st.NeededFrom = ConsentReconsent, neededAfter(stale.Version)
	default:
		st.Status = ConsentNotSigned
	}
	return st
}

// ConsentGateProblem is what the dosing gate's consent line says when the
// KAP informed consent does not hold, or "" when it is current: what is
// wrong and what to do about it.
func ConsentGateProblem(st ConsentStanding) string {
	const todo = " Ask the patient to sign it in the portal (Consents), or record their paper signature with its scan on the chart (Consents)."
	switch st.Status {
	case ConsentCurrent:
		return ""
	case ConsentNoDocument:
		return "The practice has not published a KAP informed consent: an administrator publishes one under Consent documents."
	case ConsentReconsent:
		return "The KAP informed consent has changed (version " + strconv.Itoa(st.NeededFrom) + " asks for consent again) and the patient signed version " +
			strconv.Itoa(st.Last.Version) + "." + todo
	case ConsentRevoked:
		return "The patient revoked their KAP informed consent. No dose without a new signature." + todo
	}
	return "The patient has not signed the KAP informed consent." + todo
}

// TouchAgreed is the consent to touch that holds in a dosing session: the
// preparation record's choice (agreed) when the patient's consent-to-touch
// document is current, and TouchNone otherwise, since without a signed
// consent nobody touches. Nothing agreed yet ("") stays "", which means no
// touch too (TouchTitle: "Not agreed yet").
func TouchAgreed(agreed string, touchConsentCurrent bool) string {
	if agreed == "" || touchConsentCurrent {
		return agreed
	}
	return TouchNone
}

// ConsentTextHash is the hash of the exact text a patient was shown: the
// SHA-256 of the document's Markdown, as lowercase hex.
func ConsentTextHash(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// SameName reports whether a typed name is the name on record, ignoring
// case and spaces. An empty name never matches.
func SameName(typed, onRecord string) bool {
	norm := func(s string) string {
		return strings.ToLower(strings.Join(strings.FieldsFunc(s, unicode.IsSpace), ""))
	}
	a, b := norm(typed), norm(onRecord)
	return a != "" && a == b
}
