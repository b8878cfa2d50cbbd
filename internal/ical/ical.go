// Package ical writes calendars in the iCalendar format described by
// RFC 5545, so that appointments can be added to calendar programs.
//
// The package only writes calendars; it does not read them. Its output is
// deterministic: the same Calendar value always produces the same bytes,
// because no property is taken from the clock.
package ical

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DefaultProdID is the product identifier written when Calendar.ProdID is
// empty. RFC 5545 requires every calendar to have one.
const DefaultProdID = "-//Kapstone//Kapstone Calendar//EN"

// Values accepted in Event.Status. An empty Status leaves the property out.
const (
	StatusConfirmed = "CONFIRMED"
	StatusCancelled = "CANCELLED"
)

// maxLineOctets is the longest content line allowed by RFC 5545 section
// 3.1, not counting the CRLF line break.
const maxLineOctets = 75

// Event is one appointment, written as a VEVENT component.
//
// Times may be in any time zone; they are always written in UTC.
type Event struct {
	// UID identifies the event permanently. It must not be empty, and it
	// must stay the same when the event is changed or cancelled, so that
	// calendar programs update the event instead of adding a new one.
	UID string
	// Start is when the event begins. It must not be the zero time.
	Start time.Time
	// End is when the event ends. It must be after Start.
	End time.Time
	// Summary is the event's title. It is always written, even if empty.
	Summary string
	// Description is a longer text about the event. It is left out if empty.
	Description string
	// Location is where the event takes place. It is left out if empty.
	Location string
	// URL is a link to more about the event. It is left out if empty.
	URL string
	// Status is StatusConfirmed, StatusCancelled or empty. Empty leaves
	// the property out. Any other value is an error.
	Status string
	// Sequence counts revisions of the event, starting at 0. Raise it each
	// time the event changes. Zero leaves the property out; a negative
	// value is an error.
	Sequence int
	// Updated is when the event was last changed. It is written as
	// DTSTAMP. If it is the zero time, Start is used instead.
	Updated time.Time
}

// Calendar is a whole iCalendar object (VCALENDAR) holding events.
type Calendar struct {
	// ProdID names the program that made the calendar. If empty,
	// DefaultProdID is used.
	ProdID string
	// Name is the calendar's display name, written as X-WR-CALNAME.
	// It is left out if empty.
	Name string
	// Method is the iTIP method, such as "PUBLISH". It is left out if
	// empty. It may contain only letters, digits and hyphens.
	Method string
	// Events are the calendar's events, written in order.
	Events []Event
}

// WriteTo writes the calendar to w in iCalendar format, with CRLF line
// endings and long lines folded. It returns the number of bytes written.
//
// The whole calendar is checked before anything is written, so if an event
// is invalid (for example, its UID is empty or its End is not after its
// Start) WriteTo returns an error and writes nothing.
func (c Calendar) WriteTo(w io.Writer) (int64, error) {
	b, err := c.Bytes()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// Bytes returns the calendar in iCalendar format. It returns an error, and
// no bytes, if the calendar or any of its events is invalid.
func (c Calendar) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	lw := lineWriter{buf: &buf}

	prodID := c.ProdID
	if cleanText(prodID) == "" {
		prodID = DefaultProdID
	}
	lw.line("BEGIN", "VCALENDAR")
	lw.line("VERSION", "2.0")
	lw.line("PRODID", EscapeText(prodID))
	lw.line("CALSCALE", "GREGORIAN")
	if c.Method != "" {
		if !isToken(c.Method) {
			return nil, fmt.Errorf("ical: invalid method %q", c.Method)
		}
		lw.line("METHOD", strings.ToUpper(c.Method))
	}
	if c.Name != "" {
		lw.line("X-WR-CALNAME", EscapeText(c.Name))
	}
	for i, e := range c.Events {
		if err := e.write(&lw); err != nil {
			return nil, fmt.Errorf("ical: event %d: %w", i, err)
		}
	}
	lw.line("END", "VCALENDAR")
	return buf.Bytes(), nil
}

// Errors returned for invalid events. They are wrapped, so test for them
// with errors.Is.
var (
	ErrEmptyUID       = errors.New("UID is empty")
	ErrZeroStart      = errors.New("start time is zero")
	ErrEndNotAfter    = errors.New("end is not after start")
	ErrBadStatus      = errors.New("status is not CONFIRMED, CANCELLED or empty")
	ErrBadSequence    = errors.New("sequence is negative")
	ErrTimeOutOfRange = errors.New("time is outside years 1 to 9999")
)

func (e Event) write(lw *lineWriter) error {
	uid := cleanText(e.UID)
	if strings.TrimSpace(uid) == "" {
		return ErrEmptyUID
	}
	if e.Start.IsZero() {
		return ErrZeroStart
	}
	if !e.End.After(e.Start) {
		return ErrEndNotAfter
	}
	if e.Status != "" && e.Status != StatusConfirmed && e.Status != StatusCancelled {
		return fmt.Errorf("%w: %q", ErrBadStatus, e.Status)
	}
	if e.Sequence < 0 {
		return ErrBadSequence
	}
	stamp := e.Updated
	if stamp.IsZero() {
		stamp = e.Start
	}
	for _, t := range []time.Time{e.Start, e.End, stamp} {
		if y := t.UTC().Year(); y < 1 || y > 9999 {
			return ErrTimeOutOfRange
		}
	}

	lw.line("BEGIN", "VEVENT")
	lw.line("UID", EscapeText(uid))
	lw.line("DTSTAMP", formatUTC(stamp))
	lw.line("DTSTART", formatUTC(e.Start))
	lw.line("DTEND", formatUTC(e.End))
	lw.line("SUMMARY", EscapeText(e.Summary))
	if e.Description != "" {
		lw.line("DESCRIPTION", EscapeText(e.Description))
	}
	if e.Location != "" {
		lw.line("LOCATION", EscapeText(e.Location))
	}
	if u := cleanURI(e.URL); u != "" {
		lw.line("URL", u)
	}
	if e.Status != "" {
		lw.line("STATUS", e.Status)
	}
	if e.Sequence > 0 {
		lw.line("SEQUENCE", strconv.Itoa(e.Sequence))
	}
	lw.line("END", "VEVENT")
	return nil
}

// formatUTC formats t as an RFC 5545 DATE-TIME in UTC, such as
// 20240102T150405Z.
func formatUTC(t time.Time) string {
	return t.UTC().Format("20060102T150405Z")
}

// EscapeText prepares s for use as an RFC 5545 TEXT value (section
// 3.3.11). It removes control characters other than newline, replaces
// invalid UTF-8, and escapes backslash, semicolon, comma and newline.
func EscapeText(s string) string {
	s = cleanText(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch r {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cleanText replaces invalid UTF-8 and removes control characters other
// than newline. A carriage return is removed too, so CRLF becomes LF.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r != '\n' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// cleanURI removes all control characters, including newlines, from a URI
// value, which is written without TEXT escaping.
func cleanURI(s string) string {
	s = strings.ToValidUTF8(s, "")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// isToken reports whether s is a non-empty iana-token: letters, digits
// and hyphens only.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Fold splits one content line (without its line break) into lines of at
// most 75 octets, as RFC 5545 section 3.1 requires, and joins them with
// CRLF followed by a single space. It never splits a UTF-8 character of a
// valid UTF-8 line. The result has no trailing line break.
func Fold(line string) string {
	if len(line) <= maxLineOctets {
		return line
	}
	var b strings.Builder
	b.Grow(len(line) + len(line)/maxLineOctets*3 + 3)
	limit := maxLineOctets // the first line has no leading space
	for len(line) > limit {
		cut := limit
		// Move back to the start of a character.
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		if cut == 0 {
			// Not UTF-8: no character starts in reach, so cut anywhere
			// rather than never (the loop would make no progress).
			cut = limit
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = maxLineOctets - 1 // continuation lines start with a space
	}
	b.WriteString(line)
	return b.String()
}

// lineWriter writes folded content lines ending in CRLF.
type lineWriter struct {
	buf *bytes.Buffer
}

// line writes "name:value" as a folded content line. The value must
// already be escaped.
func (lw *lineWriter) line(name, value string) {
	lw.buf.WriteString(Fold(name + ":" + value))
	lw.buf.WriteString("\r\n")
}
