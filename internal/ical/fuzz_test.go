package ical

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	goical "github.com/emersion/go-ical"
)

// FuzzFold checks Fold on any line: no physical line longer than 75
// octets, each continuation line one space and at least one octet,
// unfolding gives the line back, and a valid UTF-8 line is never split
// inside a character.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"", "SUMMARY:x", strings.Repeat("a", 75), strings.Repeat("a", 76),
		"X:" + strings.Repeat("aé☕🌿", 60), strings.Repeat("\x80", 80), "é" + strings.Repeat("\xbf", 200), "\xf0\x9f\x8c" + strings.Repeat("b", 80)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		got := Fold(line)
		for i, l := range strings.Split(got, "\r\n") {
			if len(l) > maxLineOctets {
				t.Fatalf("Fold(%q): line %d is %d octets", line, i, len(l))
			}
			if i > 0 && (len(l) < 2 || l[0] != ' ') {
				t.Fatalf("Fold(%q): continuation line %d is %q", line, i, l)
			}
			if utf8.ValidString(line) && !utf8.ValidString(l) {
				t.Fatalf("Fold(%q): line %d splits a character: %q", line, i, l)
			}
		}
		if !strings.Contains(line, "\r\n ") && unfold(got) != line {
			t.Fatalf("unfolding Fold(%q) gives %q", line, unfold(got))
		}
	})
}

// FuzzCalendar writes one event from arbitrary text (CR, LF, commas,
// semicolons, backslashes, long lines, invalid UTF-8) and checks the
// output is well-formed iCalendar: CRLF line ends, every physical line at
// most 75 octets and valid UTF-8, no CR or LF inside a value, TEXT values
// with every special escaped, only the expected properties, and parsed
// back by another implementation (go-ical) to the text given, less the
// control characters EscapeText drops.
func FuzzCalendar(f *testing.F) {
	f.Add("KAP session; prep, integration\nbring journal \\ notes", "Set and setting — café ☕ 🌿; "+strings.Repeat("x", 90),
		"Room 2, 100 Main St.", "session-1@kapstone.example", "https://kapstone.example/s/1?a=1,2;b", "Dr. Rivera; sessions", "", int64(1710077400), 135, 2, uint8(1))
	f.Add("a\r\nb\rc\n", "\x00\x07\x1b\x7f\u0085\u2028\u2029", "\xff\xfe", "\r\n", "java\nscript:x\r\nBEGIN:VEVENT", "\n", "\r", int64(0), 1, 0, uint8(2))
	f.Add("END:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil", "DESCRIPTION:x\\n;,:\"", strings.Repeat("é", 100), "u;1,2\\3", "", "X", "-//x//y//EN", int64(-62135596800), 60, -1, uint8(3))
	f.Add(strings.Repeat("🌿", 40), "\\", ",", "u", " ", "", "", int64(253402300000), 5, 0, uint8(0))
	f.Fuzz(func(t *testing.T, summary, desc, loc, uid, url, name, prodID string, startUnix int64, minutes, seq int, status uint8) {
		start := time.Unix(startUnix, 0)
		e := Event{UID: uid, Start: start, End: start.Add(time.Duration(minutes) * time.Minute), Summary: summary,
			Description: desc, Location: loc, URL: url, Sequence: seq,
			Status: []string{"", StatusConfirmed, StatusCancelled, "TENTATIVE"}[status%4]}
		c := Calendar{ProdID: prodID, Name: name, Method: "PUBLISH", Events: []Event{e}}
		b, err := c.Bytes()
		if err != nil {
			if b != nil {
				t.Fatalf("Bytes returned %d bytes with the error %v", len(b), err)
			}
			for _, known := range []error{ErrEmptyUID, ErrZeroStart, ErrEndNotAfter, ErrBadStatus, ErrBadSequence, ErrTimeOutOfRange} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("Bytes: an error that is none of the package's: %v", err)
		}
		again, _ := c.Bytes()
		if !bytes.Equal(b, again) {
			t.Fatal("Bytes is not deterministic")
		}
		checkWellFormed(t, string(b))

		cal, err := goical.NewDecoder(bytes.NewReader(b)).Decode()
		if err != nil {
			t.Fatalf("go-ical cannot parse the output: %v\n%s", err, b)
		}
		events := cal.Events()
		if len(events) != 1 {
			t.Fatalf("go-ical reads %d events, want 1\n%s", len(events), b)
		}
		text := func(p *goical.Props, name string) string {
			t.Helper()
			s, err := p.Text(name)
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, b)
			}
			return s
		}
		ev := &events[0].Props
		for _, tt := range []struct{ prop, got, want string }{
			{goical.PropSummary, text(ev, goical.PropSummary), cleanText(summary)},
			{goical.PropDescription, text(ev, goical.PropDescription), cleanText(desc)},
			{goical.PropLocation, text(ev, goical.PropLocation), cleanText(loc)},
			{goical.PropUID, text(ev, goical.PropUID), cleanText(uid)},
			{"X-WR-CALNAME", text(&cal.Props, "X-WR-CALNAME"), cleanText(name)},
		} {
			if tt.got != tt.want {
				t.Fatalf("%s reads back as %q, want %q\n%s", tt.prop, tt.got, tt.want, b)
			}
		}
		if u := cleanURI(url); u != "" {
			if p := ev.Get(goical.PropURL); p == nil || p.Value != u {
				t.Fatalf("URL reads back as %v, want %q", p, u)
			}
		}
		dt, err := ev.DateTime(goical.PropDateTimeStart, time.UTC)
		if err != nil || !dt.Equal(start.Truncate(time.Second)) {
			t.Fatalf("DTSTART reads back as %v (%v), want %v", dt, err, start)
		}
	})
}

// allowedProps are the only properties Bytes writes.
var allowedProps = map[string]bool{"BEGIN": true, "END": true, "VERSION": true, "PRODID": true, "CALSCALE": true,
	"METHOD": true, "X-WR-CALNAME": true, "UID": true, "DTSTAMP": true, "DTSTART": true, "DTEND": true,
	"SUMMARY": true, "DESCRIPTION": true, "LOCATION": true, "URL": true, "STATUS": true, "SEQUENCE": true}

// textProps hold TEXT values, in which backslash, semicolon, comma and
// newline are escaped.
var textProps = map[string]bool{"PRODID": true, "X-WR-CALNAME": true, "UID": true, "SUMMARY": true, "DESCRIPTION": true, "LOCATION": true}

func checkWellFormed(t *testing.T, out string) {
	t.Helper()
	if !strings.HasPrefix(out, "BEGIN:VCALENDAR\r\n") || !strings.HasSuffix(out, "END:VCALENDAR\r\n") {
		t.Fatalf("not a VCALENDAR:\n%q", out)
	}
	physical := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
	var logical []string
	for i, l := range physical {
		if len(l) > maxLineOctets {
			t.Fatalf("line %d is %d octets: %q", i, len(l), l)
		}
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d holds a bare CR or LF: %q", i, l)
		}
		if !utf8.ValidString(l) {
			t.Fatalf("line %d is not UTF-8 (a character split by folding?): %q", i, l)
		}
		for _, r := range l {
			if r < 0x20 && r != '\t' || r == 0x7f {
				t.Fatalf("line %d holds control character %U: %q", i, r, l)
			}
		}
		if strings.HasPrefix(l, " ") {
			if i == 0 || len(l) < 2 {
				t.Fatalf("line %d is an empty or leading continuation: %q", i, l)
			}
			logical[len(logical)-1] += l[1:]
			continue
		}
		logical = append(logical, l)
	}
	for _, l := range logical {
		name, value, ok := strings.Cut(l, ":")
		if !ok || !allowedProps[name] {
			t.Fatalf("unexpected content line %q", l)
		}
		if !textProps[name] {
			continue
		}
		for i := 0; i < len(value); i++ {
			switch value[i] {
			case '\\':
				i++
				if i == len(value) || !strings.ContainsRune(`\;,n`, rune(value[i])) {
					t.Fatalf("%s: a backslash that escapes nothing known: %q", name, value)
				}
			case ';', ',':
				t.Fatalf("%s: an unescaped %q: %q", name, value[i], value)
			}
		}
	}
}

// TestFoldInvalidUTF8 is the case FuzzFold found: a line longer than 75
// octets with no character start in reach (continuation bytes only) made
// Fold loop forever, writing CRLF-space without moving on. It is cut
// anyway now, and unfolds to the line.
func TestFoldInvalidUTF8(t *testing.T) {
	for _, line := range []string{strings.Repeat("\x80", 80), "é" + strings.Repeat("\xbf", 200)} {
		done := make(chan string, 1)
		go func() { done <- Fold(line) }()
		select {
		case got := <-done:
			if unfold(got) != line {
				t.Errorf("unfolding Fold(%q) gives %q", line, unfold(got))
			}
			for _, l := range strings.Split(got, "\r\n") {
				if len(l) > maxLineOctets {
					t.Errorf("Fold(%q): a line of %d octets", line, len(l))
				}
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Fold(%q) did not return within 5s", line)
		}
	}
}
