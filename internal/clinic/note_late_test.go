package clinic

import (
	"testing"
	"time"
)

func TestNoteLate(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// Monday 30 November 2026, 10:00 in New York (15:00 UTC).
	appt := time.Date(2026, 11, 30, 10, 0, 0, 0, ny)
	at := func(day, hour, min int) time.Time { return time.Date(2026, 12, day, hour, min, 0, 0, ny) }
	tests := []struct {
		name   string
		now    time.Time
		days   int
		status string
		late   bool
		by     int
	}{
		{"same day", appt.Add(time.Hour), 3, "", false, 0},
		{"last day on time, 23:59", at(3, 23, 59), 3, NoteDraft, false, 0},
		{"first minute late", at(4, 0, 0), 3, NoteDraft, true, 1},
		{"no note, a week on", at(7, 9, 0), 3, "", true, 4},
		{"awaiting co-signature is late too", at(4, 12, 0), 3, NoteAwaitingCosign, true, 1},
		{"signed is never late", at(20, 0, 0), 3, NoteSigned, false, 0},
		{"one day", time.Date(2026, 12, 2, 0, 0, 0, 0, ny), 1, "", true, 1},
		{"one day, still on time", time.Date(2026, 12, 1, 23, 59, 0, 0, ny), 1, "", false, 0},
		// 4 December 02:00 UTC is still 3 December in New York: on time
		// there, though late by the UTC calendar.
		{"the practice's zone, not UTC", time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC), 3, "", false, 0},
	}
	for _, tt := range tests {
		late, by := NoteLate(appt, tt.now, tt.days, tt.status, ny)
		if late != tt.late || by != tt.by {
			t.Errorf("%s: NoteLate = %v, %d; want %v, %d", tt.name, late, by, tt.late, tt.by)
		}
		// The cutoff a query uses agrees with the rule for unsigned notes.
		if tt.status != NoteSigned {
			if byCut := appt.Before(NoteLateCutoff(tt.now, tt.days, ny)); byCut != tt.late {
				t.Errorf("%s: cutoff %v says late %v", tt.name, NoteLateCutoff(tt.now, tt.days, ny), byCut)
			}
		}
	}
	// Across the end of daylight saving time (1 November 2026 in New York).
	dst := time.Date(2026, 10, 31, 18, 0, 0, 0, ny)
	if late, _ := NoteLate(dst, time.Date(2026, 11, 3, 23, 30, 0, 0, ny), 3, "", ny); late {
		t.Error("late on the last day across the DST change")
	}
	if late, by := NoteLate(dst, time.Date(2026, 11, 4, 0, 0, 0, 0, ny), 3, "", ny); !late || by != 1 {
		t.Error("not late the day after, across the DST change")
	}
	if got := NoteLateCutoff(time.Date(2026, 11, 4, 0, 30, 0, 0, ny), 3, ny); !got.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, ny)) {
		t.Errorf("cutoff across DST = %v", got)
	}
}

func TestCheckNoteLateDays(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"3", 3, true}, {" 7 ", 7, true}, {"1", 1, true}, {"31", 31, true},
		{"0", 0, false}, {"32", 0, false}, {"-1", 0, false}, {"two", 0, false}, {"", 0, false}, {"2.5", 0, false},
	} {
		got, err := CheckNoteLateDays(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("CheckNoteLateDays(%q) = %d, %v", tt.in, got, err)
		}
		if err != nil {
			if e, _ := err.(*Error); e == nil || e.Fields["late_days"] == "" {
				t.Errorf("CheckNoteLateDays(%q): error not at late_days", tt.in)
			}
		}
	}
}
