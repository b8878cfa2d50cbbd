// Package audit is the pure core of kapstone's tamper-evident, append-only
// audit log (HIPAA 164.312(b)). Each row is chained to the one before it by
// a SHA-256 hash and signed with an Ed25519 key held outside the database;
// signed checkpoints of the log's size and head are kept off the database
// too. A Verifier streams the stored rows and reports the first row that was
// edited, deleted, inserted, truncated away or rewritten. The package stores
// nothing itself: the database layer stores the rows and checkpoints.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// GenesisHash is the PrevHash of row 1, and the Head of an empty log.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Event is one audit row. It records who did what to which record, with ids
// only: never names or clinical text.
type Event struct {
	Seq        int64     // 1, 2, 3, ... with no gaps
	At         time.Time // UTC, microsecond precision
	ActorID    string    // user id, or "" for anonymous / system
	ActorRole  string    // "admin", "therapist", "prescriber", "patient", "system", or ""
	Action     string    // e.g. "login.success", "login.failure", "patient.read", "audit.view"
	Outcome    string    // "success", "failure" or "denied"
	PatientID  string    // the patient whose data this touches, or ""
	ObjectType string    // e.g. "user", "session", "patient", or ""
	ObjectID   string
	ClientAddr string // IP address, or ""
	RequestID  string
	Detail     string // short, never PHI (e.g. a reason code)
	PrevHash   string // hex SHA-256 of the previous event, or GenesisHash for Seq 1
	Hash       string // hex SHA-256 of Canonical(), which includes PrevHash
	Sig        string // base64 (std, padded) Ed25519 signature over the 32 Hash bytes
}

// timeLayout is RFC 3339 in UTC with exactly six fractional digits.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// formatTime returns t in UTC as RFC 3339 with exactly six fractional
// digits; finer digits are truncated, never rounded.
func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// canonicalTag opens every canonical encoding and names its version.
const canonicalTag = "kapstone-audit-event-v1\n"

// Canonical returns the stable encoding of every field of e except Hash and
// Sig; it is what ComputeHash hashes. It must never change once shipped: a
// new format needs a new tag and a way to tell old rows from new.
//
// The encoding (version 1) is the line "kapstone-audit-event-v1\n" followed,
// for each field, by its length in bytes in decimal, a colon, the field's
// bytes and a newline, in this order: PrevHash, Seq, At, ActorID, ActorRole,
// Action, Outcome, PatientID, ObjectType, ObjectID, ClientAddr, RequestID,
// Detail. Seq is written in decimal; At in UTC as RFC 3339 with exactly six
// fractional digits (finer digits truncated), e.g.
// "2026-03-02T09:00:00.123456Z". Strings are written byte for byte. Because
// every field carries its length, no two different events share an encoding.
func (e *Event) Canonical() []byte {
	fields := [...]string{
		e.PrevHash,
		strconv.FormatInt(e.Seq, 10),
		formatTime(e.At),
		e.ActorID,
		e.ActorRole,
		e.Action,
		e.Outcome,
		e.PatientID,
		e.ObjectType,
		e.ObjectID,
		e.ClientAddr,
		e.RequestID,
		e.Detail,
	}
	return encodeFields(canonicalTag, fields[:])
}

// encodeFields is tag followed, for each field, by its length in decimal,
// a colon, its bytes and a newline.
func encodeFields(tag string, fields []string) []byte {
	n := len(tag)
	for _, f := range fields {
		n += len(f) + 22 // up to 20 digits, a colon and a newline
	}
	b := make([]byte, 0, n)
	b = append(b, tag...)
	for _, f := range fields {
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
		b = append(b, '\n')
	}
	return b
}

// ComputeHash returns the lowercase hex SHA-256 of e.Canonical(). Since
// Canonical includes PrevHash, the hash chains e to the row before it.
func (e *Event) ComputeHash() string {
	sum := sha256.Sum256(e.Canonical())
	return hex.EncodeToString(sum[:])
}

// isHash reports whether s is 64 lowercase hex digits.
func isHash(s string) bool {
	return len(s) == 2*sha256.Size && isLowerHex(s)
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
