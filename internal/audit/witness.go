package audit

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

// Witnessed is a checkpoint line found in a witness copy: a file of
// checkpoints kapstone sent off the machine (a saved mailbox, a log
// collector's file). Line is the 1-based line of the file where it starts
// (0 when it was found only inside an encoded body).
type Witnessed struct {
	Checkpoint
	Line int
}

// WitnessScan is what ScanWitness found in a witness copy.
type WitnessScan struct {
	// Found holds every distinct checkpoint line that parsed, in the order
	// of the file.
	Found []Witnessed
	// Unreadable counts mentions of the checkpoint tag from which no
	// checkpoint could be read (cut short, or mangled in transit).
	Unreadable int
}

// ScanWitness returns the checkpoint lines in text, a witness copy, however
// they are surrounded: one per line as kapstone writes them, inside emails
// saved from a mailbox (mbox or .eml), encoded quoted-printable (with
// "=3D" for "=" and soft line breaks "=" at the end of lines of at most 76
// characters) or base64, quoted with "> " in a reply, or wrapped at spaces by
// a mail client, or in a syslog or HTTP collector's file with a timestamp
// before each line. A checkpoint's fields are read as the five
// whitespace-separated words after the tag "kapstone-audit-checkpoint-v1",
// so line breaks between fields do no harm. It does not check signatures
// (Checkpoint.Verify does), and it never reads a checkpoint out of a line
// that merely looks like one: each must parse exactly.
func ScanWitness(text string) WitnessScan {
	var out WitnessScan
	seen := map[string]bool{}
	add := func(c Checkpoint, line int) {
		s := c.String()
		if !seen[s] {
			seen[s] = true
			out.Found = append(out.Found, Witnessed{Checkpoint: c, Line: line})
		}
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	// As written, and with quoted-printable undone: a checkpoint read from
	// either is the same signed statement, and one that is not really there
	// does not parse (undoing quoted-printable on plain text turns "=45"
	// into "E", so "size=45" stops being a field).
	plainBad := scanText(unquote(text), add)
	qpBad := scanText(unquote(decodeQP(text)), add)
	out.Unreadable = min(plainBad, qpBad)
	// Base64 bodies: runs of base64 lines, decoded and scanned.
	for _, run := range base64Runs(text) {
		b, err := base64.StdEncoding.DecodeString(run)
		if err != nil {
			continue
		}
		scanText(unquote(strings.ReplaceAll(string(b), "\r\n", "\n")), func(c Checkpoint, _ int) { add(c, 0) })
	}
	return out
}

// scanText calls add for each checkpoint in text with the line it starts
// on, and returns how many mentions of the tag held none.
func scanText(text string, add func(Checkpoint, int)) int {
	var bad int
	rest := text
	offset := 0
	for {
		i := strings.Index(rest, checkpointTag)
		if i < 0 {
			return bad
		}
		pos := offset + i
		line := 1 + strings.Count(text[:pos], "\n")
		after := text[pos+len(checkpointTag):]
		words := strings.Fields(after)
		if len(words) > 5 {
			words = words[:5]
		}
		candidate := checkpointTag + " " + strings.Join(words, " ")
		if c, err := ParseCheckpoint(candidate); err == nil {
			add(c, line)
		} else if c, err := ParseCheckpoint(trimTrailing(candidate)); err == nil {
			add(c, line)
		} else {
			bad++
		}
		offset = pos + len(checkpointTag)
		rest = text[offset:]
	}
}

// trimTrailing drops punctuation a mail client or collector may have put
// right after the signature: a closing quote or bracket, a full stop.
func trimTrailing(line string) string {
	return strings.TrimRight(line, `"'>)]}.,;`)
}

// unquote removes reply quoting ("> ", ">> ") at the start of each line.
func unquote(text string) string {
	if !strings.Contains(text, "\n>") && !strings.HasPrefix(text, ">") {
		return text
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimLeft(l, "> ")
	}
	return strings.Join(lines, "\n")
}

// decodeQP undoes quoted-printable encoding leniently: "=" at the end of a
// line joins it to the next, "=XX" becomes the byte XX, and anything else
// is kept as it is.
func decodeQP(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '=' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(text) && text[i+1] == '\n' {
			i++ // soft line break
			continue
		}
		if i+2 < len(text) && isUpperHex(text[i+1]) && isUpperHex(text[i+2]) {
			b.WriteByte(unhex(text[i+1])<<4 | unhex(text[i+2]))
			i += 2
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isUpperHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

var base64Line = regexp.MustCompile(`^[A-Za-z0-9+/]{16,}={0,2}$`)

// base64Runs returns the runs of two or more consecutive lines that look
// like a base64 body, each joined into one string.
func base64Runs(text string) []string {
	var out []string
	var run []string
	flush := func() {
		if len(run) >= 2 {
			out = append(out, strings.Join(run, ""))
		}
		run = nil
	}
	for l := range strings.SplitSeq(text, "\n") {
		l = strings.TrimSpace(l)
		if base64Line.MatchString(l) {
			run = append(run, l)
			continue
		}
		flush()
	}
	flush()
	return out
}

// describeWitnessed names a witnessed checkpoint in a sentence, e.g. "the
// checkpoint witnessed at 2026-12-03 01:00:00 UTC covering 1530 rows".
func (c Checkpoint) describeWitnessed() string {
	return fmt.Sprintf("the checkpoint witnessed at %s covering %d rows", c.At.UTC().Format("2006-01-02 15:04:05 UTC"), c.Size)
}

// WitnessResult is what a Verifier found about a witness copy, once Finish
// has run.
type WitnessResult struct {
	// Trusted counts the witnessed checkpoints whose signatures verify
	// with the log's key.
	Trusted int
	// Forged lists, one sentence each, the witnessed checkpoints that
	// carry the log's key id but whose signature does not verify: forged
	// or altered lines, reported and never trusted.
	Forged []string
	// OtherKey counts checkpoints signed with another key (another
	// practice's, or this log's before its key was replaced): not this
	// log's, so not used.
	OtherKey int
	// Newest is the trusted witnessed checkpoint covering the most rows,
	// or nil.
	Newest *Checkpoint
}

// Witness adds checkpoints from a witness copy to v, before any row is
// added. A checkpoint whose signature verifies with the log's key is held
// to the log as firmly as the log's own checkpoints, with messages that say
// it was witnessed: the row at its Size must exist and its Hash must be the
// checkpoint's Head. One carrying the log's key id whose signature fails
// is listed in the result's Forged and otherwise ignored; one signed with
// another key is counted and ignored.
func (v *Verifier) Witness(found []Witnessed) {
	id := keyID(v.pub)
	for _, w := range found {
		c := w.Checkpoint
		if c.KeyID != id {
			v.witness.OtherKey++
			continue
		}
		if err := c.Verify(v.pub); err != nil {
			where := ""
			if w.Line > 0 {
				where = fmt.Sprintf(" (line %d)", w.Line)
			}
			v.witness.Forged = append(v.witness.Forged, fmt.Sprintf("a witness line%s claiming %d rows at %s: signature does not verify (forged or altered), not trusted", where, c.Size, c.At.UTC().Format("2006-01-02 15:04:05 UTC")))
			continue
		}
		v.witness.Trusted++
		v.witnessed[c.Size] = append(v.witnessed[c.Size], c)
		if v.witness.Newest == nil || c.Size > v.witness.Newest.Size {
			v.witness.Newest = &c
		}
	}
}

// WitnessResult returns what v found about the witness copy given to
// Witness.
func (v *Verifier) WitnessResult() WitnessResult {
	return v.witness
}
