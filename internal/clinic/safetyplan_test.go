package clinic

import (
	"strings"
	"testing"
)

func TestPhoneIn(t *testing.T) {
	for _, tc := range []struct{ line, typed, dial string }{
		{"Sam (sister) 555 010 2345", "555 010 2345", "5550102345"},
		{"Sam 555-010-2345 (sister)", "555-010-2345", "5550102345"},
		{"Dr Reyes +1 (555) 010-2345, weekdays", "+1 (555) 010-2345", "+15550102345"},
		{"Call 988", "988", "988"},
		{"911 or the nearest ER", "911", "911"},
		{"Maya", "", ""},
		{"Room 12", "", ""},             // two digits is not a number to call
		{"Flat 3b, 12 Oak St", "", ""},  // digits run into letters
		{"ab123456 code", "", ""},       // letters before the digits
		{"1234567890123456789", "", ""}, // too many digits
		{"Mum: 07700 900123.", "07700 900123", "07700900123"},
	} {
		typed, dial := PhoneIn(tc.line)
		if typed != tc.typed || dial != tc.dial {
			t.Errorf("PhoneIn(%q) = %q, %q; want %q, %q", tc.line, typed, dial, tc.typed, tc.dial)
		}
	}
}

func TestPlanLinesAndProblem(t *testing.T) {
	got := PlanLines("  walk the dog \r\n\n\tmusic\n")
	if strings.Join(got, "|") != "walk the dog|music" {
		t.Errorf("PlanLines = %q", got)
	}
	if PlanLines(" \n ") != nil {
		t.Errorf("PlanLines of blanks = %q, want none", PlanLines(" \n "))
	}
	many := make([]string, PlanMaxLines+1)
	for i := range many {
		many[i] = "x"
	}
	for _, tc := range []struct {
		lines []string
		want  string // a part of the message, "" for none
	}{
		{[]string{"a", "b"}, ""},
		{many[:PlanMaxLines], ""},
		{many, "at most 20 lines"},
		{[]string{"ok", strings.Repeat("y", PlanMaxLineRune+1)}, "Line 2 is too long"},
		{[]string{strings.Repeat("y", PlanMaxLineRune)}, ""},
		{[]string{"bad\x00"}, "Line 1: use letters"},
		{[]string{"\xff"}, "Line 1: use plain text"},
	} {
		got := PlanProblem(tc.lines)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("PlanProblem(%d lines) = %q, want %q", len(tc.lines), got, tc.want)
		}
	}
}

func TestPlanSections(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range PlanSections {
		if seen[s.Key] || s.Title == "" || s.Hint == "" {
			t.Errorf("section %+v: duplicate or without words", s)
		}
		seen[s.Key] = true
		if got, ok := PlanSectionByKey(s.Key); !ok || got != s {
			t.Errorf("PlanSectionByKey(%q) = %+v, %v", s.Key, got, ok)
		}
	}
	if len(PlanSections) != 7 {
		t.Errorf("%d sections, want the six steps and reasons for living", len(PlanSections))
	}
	if _, ok := PlanSectionByKey("nope"); ok {
		t.Error("PlanSectionByKey found a section that does not exist")
	}
}
