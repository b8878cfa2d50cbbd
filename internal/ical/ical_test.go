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

func TestEscapeText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "Dosing session", "Dosing session"},
		{"backslash", `a\b`, `a\\b`},
		{"semicolon", "a;b", `a\;b`},
		{"comma", "a,b", `a\,b`},
		{"newline", "a\nb", `a\nb`},
		{"crlf", "a\r\nb", `a\nb`},
		{"lone cr", "a\rb", "ab"},
		{"controls", "a\x00b\x07c\td\x1be\x7ff\u0085g", "abcdefg"},
		{"colon and quote kept", `time: "9:00"`, `time: "9:00"`},
		{"all", "x\\;,\ny", `x\\\;\,\ny`},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"multibyte", "Café, ☕", `Café\, ☕`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EscapeText(tt.in); got != tt.want {
				t.Errorf("EscapeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// unfold reverses Fold: it removes each CRLF followed by one space.
func unfold(s string) string {
	return strings.ReplaceAll(s, "\r\n ", "")
}

func TestFold(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		lines int // expected number of physical lines
	}{
		{"empty", "", 1},
		{"short", "SUMMARY:hello", 1},
		{"exactly 75", strings.Repeat("a", 75), 1},
		{"76", strings.Repeat("a", 76), 2},
		{"75+74", strings.Repeat("a", 75+74), 2},
		{"75+75", strings.Repeat("a", 75+75), 3},
		{"long ascii", "DESCRIPTION:" + strings.Repeat("0123456789", 40), 0},
		{"two-byte runes", "SUMMARY:" + strings.Repeat("é", 200), 0},
		{"three-byte runes", "SUMMARY:" + strings.Repeat("☕", 200), 0},
		{"four-byte runes", "SUMMARY:" + strings.Repeat("🌿", 200), 0},
		{"mixed offset", "X:" + strings.Repeat("aé☕🌿", 60), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fold(tt.in)
			lines := strings.Split(got, "\r\n")
			if tt.lines > 0 && len(lines) != tt.lines {
				t.Errorf("got %d lines, want %d: %q", len(lines), tt.lines, got)
			}
			for i, l := range lines {
				if len(l) > 75 {
					t.Errorf("line %d is %d octets, longer than 75", i, len(l))
				}
				if !utf8.ValidString(l) {
					t.Errorf("line %d splits a UTF-8 character: %q", i, l)
				}
				if i > 0 {
					if !strings.HasPrefix(l, " ") {
						t.Errorf("continuation line %d does not start with one space: %q", i, l)
					}
					if len(l) < 2 {
						t.Errorf("continuation line %d is empty", i)
					}
				}
			}
			if u := unfold(got); u != tt.in {
				t.Errorf("unfolding does not restore the input:\n got %q\nwant %q", u, tt.in)
			}
		})
	}
}

var (
	nyc, _ = time.LoadLocation("America/New_York")
	start  = time.Date(2024, 3, 10, 9, 30, 0, 0, nyc) // 13:30 UTC
	end    = start.Add(2*time.Hour + 15*time.Minute)
)

func sampleCalendar() Calendar {
	return Calendar{
		ProdID: "-//Kapstone//Test//EN",
		Name:   "Dr. Rivera; sessions, 2024",
		Method: "PUBLISH",
		Events: []Event{
			{
				UID:         "session-1@kapstone.example",
				Start:       start,
				End:         end,
				Summary:     "KAP session; prep, integration\nbring journal \\ notes",
				Description: strings.Repeat("Set and setting — café ☕ 🌿, quiet room; ", 10),
				Location:    "Room 2, 100 Main St.",
				URL:         "https://kapstone.example/s/1?a=1,2;b",
				Status:      StatusConfirmed,
				Sequence:    2,
				Updated:     time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC),
			},
			{
				UID:     "session-2@kapstone.example",
				Start:   time.Date(2024, 3, 17, 14, 0, 0, 0, time.UTC),
				End:     time.Date(2024, 3, 17, 15, 0, 0, 0, time.UTC),
				Summary: "Integration",
				Status:  StatusCancelled,
			},
		},
	}
}

func TestOutputShape(t *testing.T) {
	b, err := sampleCalendar().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasSuffix(s, "END:VCALENDAR\r\n") {
		t.Errorf("output does not end with END:VCALENDAR and CRLF")
	}
	if strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\n") || strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\r") {
		t.Errorf("output has a bare LF or CR")
	}
	lines := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	for i, l := range lines {
		if len(l) > 75 {
			t.Errorf("line %d is %d octets: %q", i, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d is not valid UTF-8: %q", i, l)
		}
	}
	un := unfold(s)
	for _, want := range []string{
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kapstone//Test//EN\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n",
		"X-WR-CALNAME:Dr. Rivera\\; sessions\\, 2024\r\n",
		"DTSTAMP:20240301T120000Z\r\n",
		"DTSTART:20240310T133000Z\r\n",
		"DTEND:20240310T154500Z\r\n",
		"SUMMARY:KAP session\\; prep\\, integration\\nbring journal \\\\ notes\r\n",
		"LOCATION:Room 2\\, 100 Main St.\r\n",
		"URL:https://kapstone.example/s/1?a=1,2;b\r\n",
		"STATUS:CONFIRMED\r\nSEQUENCE:2\r\nEND:VEVENT\r\n",
		// Second event: DTSTAMP falls back to Start; no SEQUENCE.
		"DTSTAMP:20240317T140000Z\r\n",
		"STATUS:CANCELLED\r\nEND:VEVENT\r\n",
	} {
		if !strings.Contains(un, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	// Deterministic: same input, same bytes; WriteTo agrees with Bytes.
	var buf bytes.Buffer
	n, err := sampleCalendar().WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(b)) || !bytes.Equal(buf.Bytes(), b) {
		t.Errorf("WriteTo wrote %d bytes that differ from Bytes (%d bytes)", n, len(b))
	}
}

func TestDefaultProdID(t *testing.T) {
	b, err := Calendar{}.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:" + EscapeText(DefaultProdID) +
		"\r\nCALSCALE:GREGORIAN\r\nEND:VCALENDAR\r\n"
	if string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
}

// TestParseWithGoIcal checks the output with an independent parser.
func TestParseWithGoIcal(t *testing.T) {
	c := sampleCalendar()
	b, err := c.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	cal, err := goical.NewDecoder(bytes.NewReader(b)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot parse output: %v\n%s", err, b)
	}
	if v, err := cal.Props.Text(goical.PropVersion); err != nil || v != "2.0" {
		t.Errorf("VERSION = %q, %v", v, err)
	}
	if v, err := cal.Props.Text(goical.PropProductID); err != nil || v != c.ProdID {
		t.Errorf("PRODID = %q, %v; want %q", v, err, c.ProdID)
	}
	if v, err := cal.Props.Text("X-WR-CALNAME"); err != nil || v != c.Name {
		t.Errorf("X-WR-CALNAME = %q, %v; want %q", v, err, c.Name)
	}
	events := cal.Events()
	if len(events) != len(c.Events) {
		t.Fatalf("parsed %d events, want %d", len(events), len(c.Events))
	}
	for i, want := range c.Events {
		got := events[i]
		text := func(name string) string {
			t.Helper()
			s, err := got.Props.Text(name)
			if err != nil {
				t.Errorf("event %d: %s: %v", i, name, err)
			}
			return s
		}
		if s := text(goical.PropUID); s != want.UID {
			t.Errorf("event %d: UID = %q, want %q", i, s, want.UID)
		}
		if s := text(goical.PropSummary); s != want.Summary {
			t.Errorf("event %d: SUMMARY = %q, want %q", i, s, want.Summary)
		}
		if s := text(goical.PropDescription); s != want.Description {
			t.Errorf("event %d: DESCRIPTION = %q, want %q", i, s, want.Description)
		}
		if s := text(goical.PropLocation); s != want.Location {
			t.Errorf("event %d: LOCATION = %q, want %q", i, s, want.Location)
		}
		if want.URL != "" {
			if p := got.Props.Get(goical.PropURL); p == nil || p.Value != want.URL {
				t.Errorf("event %d: URL = %+v, want %q", i, p, want.URL)
			}
		}
		st, err := got.Status()
		if err != nil || string(st) != want.Status {
			t.Errorf("event %d: STATUS = %q, %v; want %q", i, st, err, want.Status)
		}
		ds, err := got.DateTimeStart(time.UTC)
		if err != nil || !ds.Equal(want.Start) {
			t.Errorf("event %d: DTSTART = %v, %v; want %v", i, ds, err, want.Start)
		}
		de, err := got.DateTimeEnd(time.UTC)
		if err != nil || !de.Equal(want.End) {
			t.Errorf("event %d: DTEND = %v, %v; want %v", i, de, err, want.End)
		}
		stamp, err := got.Props.DateTime(goical.PropDateTimeStamp, time.UTC)
		wantStamp := want.Updated
		if wantStamp.IsZero() {
			wantStamp = want.Start
		}
		if err != nil || !stamp.Equal(wantStamp) {
			t.Errorf("event %d: DTSTAMP = %v, %v; want %v", i, stamp, err, wantStamp)
		}
		if want.Sequence != 0 {
			if p := got.Props.Get(goical.PropSequence); p == nil {
				t.Errorf("event %d: no SEQUENCE", i)
			} else if n, err := p.Int(); err != nil || n != want.Sequence {
				t.Errorf("event %d: SEQUENCE = %d, %v; want %d", i, n, err, want.Sequence)
			}
		}
	}
}

func TestInvalidEvents(t *testing.T) {
	ok := Event{UID: "u", Start: start, End: end, Summary: "s"}
	tests := []struct {
		name   string
		modify func(*Event)
		want   error
	}{
		{"empty UID", func(e *Event) { e.UID = "" }, ErrEmptyUID},
		{"blank UID", func(e *Event) { e.UID = " \x00\t" }, ErrEmptyUID},
		{"end equals start", func(e *Event) { e.End = e.Start }, ErrEndNotAfter},
		{"end before start", func(e *Event) { e.End = e.Start.Add(-time.Minute) }, ErrEndNotAfter},
		{"same instant other zone", func(e *Event) { e.End = e.Start.UTC() }, ErrEndNotAfter},
		{"zero start", func(e *Event) { e.Start = time.Time{} }, ErrZeroStart},
		{"bad status", func(e *Event) { e.Status = "TENTATIVE?" }, ErrBadStatus},
		{"negative sequence", func(e *Event) { e.Sequence = -1 }, ErrBadSequence},
		{"year 10000", func(e *Event) { e.End = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, ErrTimeOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.modify(&e)
			c := Calendar{Events: []Event{ok, e}}
			b, err := c.Bytes()
			if !errors.Is(err, tt.want) {
				t.Errorf("Bytes error = %v, want %v", err, tt.want)
			}
			if b != nil {
				t.Errorf("Bytes returned output with an error")
			}
			var buf bytes.Buffer
			n, err := c.WriteTo(&buf)
			if !errors.Is(err, tt.want) || n != 0 || buf.Len() != 0 {
				t.Errorf("WriteTo = %d, %v; wrote %d bytes", n, err, buf.Len())
			}
		})
	}
	if _, err := (Calendar{Method: "PUBLISH\r\nX-EVIL:1"}).Bytes(); err == nil {
		t.Errorf("invalid method accepted")
	}
	if _, err := (Calendar{Events: []Event{ok}}).Bytes(); err != nil {
		t.Errorf("valid event rejected: %v", err)
	}
}

// TestNoInjection checks that control characters in any field cannot add
// lines or properties.
func TestNoInjection(t *testing.T) {
	evil := "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\x00"
	c := Calendar{
		ProdID: evil, Name: evil,
		Events: []Event{{UID: evil, Start: start, End: end, Summary: evil,
			Description: evil, Location: evil, URL: "https://a.example/\r\nX-EVIL:1"}},
	}
	b, err := c.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\r\nBEGIN:VEVENT\r\n"); n != 1 {
		t.Errorf("found %d BEGIN:VEVENT lines, want 1:\n%s", n, b)
	}
	if strings.Contains(string(b), "\r\nX-EVIL") || bytes.ContainsRune(b, 0) {
		t.Errorf("control characters leaked into output:\n%q", b)
	}
	cal, err := goical.NewDecoder(bytes.NewReader(b)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	if evs := cal.Events(); len(evs) != 1 {
		t.Fatalf("parsed %d events, want 1", len(evs))
	} else if s, _ := evs[0].Props.Text(goical.PropSummary); s != "x\nEND:VEVENT\nBEGIN:VEVENT" {
		t.Errorf("SUMMARY = %q", s)
	}
}
