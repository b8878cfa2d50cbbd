package clinic

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParseBP checks a typed blood pressure is read only within its
// bounds (systolic 60-260, diastolic 30-160 and below it) and written back
// as read.
func FuzzParseBP(f *testing.F) {
	for _, s := range []string{"140/90", " 140 / 90 ", "90/140", "60/30", "261/100", "140/", "/90", "140/90/60", "+140/90", "１４０/90", "140\x00/90", "9223372036854775808/1", "0x8c/90", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bp, ok := ParseBP(s)
		if !ok {
			if bp != (BP{}) {
				t.Fatalf("ParseBP(%q) refused but gave %v", s, bp)
			}
			return
		}
		if bp.Systolic < 60 || bp.Systolic > 260 || bp.Diastolic < 30 || bp.Diastolic > 160 || bp.Diastolic >= bp.Systolic {
			t.Fatalf("ParseBP(%q) = %v, out of bounds", s, bp)
		}
		if back, ok := ParseBP(bp.String()); !ok || back != bp {
			t.Fatalf("ParseBP(%q) = %v does not round-trip through %q", s, bp, bp.String())
		}
		if lvl := BPLevel(bp.Systolic, bp.Diastolic, DefaultBPCaution, DefaultBPHold); lvl != VitalsOK && lvl != VitalsCaution && lvl != VitalsHold {
			t.Fatalf("BPLevel(%v) = %q", bp, lvl)
		}
	})
}

// FuzzParseDose checks a dose is read only as a positive amount in a known
// unit, written back as read, and that comparing it with itself finds no
// difference.
func FuzzParseDose(f *testing.F) {
	for _, s := range [][2]string{{"200", "mg"}, {"0.5 mg/kg", ""}, {"150-200 mg", ""}, {"0", "mg"}, {"00000.000", "mg"}, {"99999.999", "MCG"},
		{"1", "µg"}, {"1", "μg"}, {".5", "mg"}, {"1e3", "mg"}, {"1,5", "mg"}, {"５", "mg"}, {"1 mg", "mg"}, {"\t7\n", " mg/KG "}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, amount, unit string) {
		d, ok := ParseDose(amount, unit)
		if !ok {
			if d != (DoseAmount{}) {
				t.Fatalf("ParseDose(%q, %q) refused but gave %v", amount, unit, d)
			}
			return
		}
		if !(d.Amount > 0) || d.Amount >= 100000 || !slices.Contains(DoseUnits, d.Unit) {
			t.Fatalf("ParseDose(%q, %q) = %+v", amount, unit, d)
		}
		if back, ok := ParseDose(d.String(), ""); !ok || back != d {
			t.Fatalf("ParseDose(%q, %q) = %+v does not round-trip through %q: %+v", amount, unit, d, d.String(), back)
		}
		if diff := DoseDifference(d, "im", d.String(), "im"); diff != "" {
			t.Fatalf("the dose %v differs from itself: %q", d, diff)
		}
	})
}

// FuzzParseBirthDate checks a date of birth is read only as a real date,
// not in the future and at most 120 years back, written back as typed, and
// that every refusal says why.
func FuzzParseBirthDate(f *testing.F) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC).Unix()
	for _, s := range []string{"1987-04-23", " 1987-04-23 ", "1987-4-23", "1987-02-29", "1988-02-29", "2026-12-04", "1906-12-03", "1906-12-04", "0000-01-01", "+1987-04-23", "1987-04-23T00:00:00Z", "19870423", ""} {
		f.Add(s, now)
	}
	f.Fuzz(func(t *testing.T, s string, nowUnix int64) {
		nowT := time.Unix(nowUnix%(1<<37), 0).UTC()
		d, msg := ParseBirthDate(s, nowT)
		if msg != "" {
			if !d.IsZero() {
				t.Fatalf("ParseBirthDate(%q) refused (%q) but gave %v", s, msg, d)
			}
			return
		}
		if d.After(nowT) {
			t.Fatalf("ParseBirthDate(%q) = %v, after now %v", s, d, nowT)
		}
		if a := Age(d, nowT); a < 0 || a > 120 {
			t.Fatalf("ParseBirthDate(%q) = %v: age %d", s, d, a)
		}
		if got := d.Format("2006-01-02"); got != strings.TrimSpace(s) {
			t.Fatalf("ParseBirthDate(%q) = %s, not the date typed", s, got)
		}
	})
}

// FuzzLocalTime checks the wall-clock rule series and the datetime-local
// fields share: the instant shows the wall clock asked for in the zone, or,
// for a time a spring-forward change skips, a later one by at most the gap
// (never an earlier one).
func FuzzLocalTime(f *testing.F) {
	f.Add(uint8(0), 2026, 3, 8, 2, 30)   // New York's spring-forward gap
	f.Add(uint8(0), 2026, 11, 1, 1, 30)  // its fall-back hour
	f.Add(uint8(1), 2026, 10, 4, 2, 15)  // Lord Howe: a 30-minute change
	f.Add(uint8(2), 2011, 12, 30, 10, 0) // Apia skipped a whole day
	f.Add(uint8(3), 2026, 2, 30, 25, 61)
	zones := []string{"America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "UTC", "Europe/London", "Asia/Kathmandu", "America/Santiago", "Africa/Casablanca"}
	locs := make([]*time.Location, len(zones))
	for i, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			f.Fatal(err)
		}
		locs[i] = loc
	}
	f.Fuzz(func(t *testing.T, zone uint8, year, month, day, hour, minute int) {
		if year < 1900 || year > 2200 || month < -24 || month > 36 || day < -400 || day > 400 || hour < -48 || hour > 72 || minute < -200 || minute > 200 {
			return
		}
		loc := locs[int(zone)%len(locs)]
		got := LocalTime(loc, year, time.Month(month), day, hour, minute, 0)
		want := time.Date(year, time.Month(month), day, hour, minute, 0, 0, time.UTC)
		l := got.In(loc)
		shown := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
		if shown.Equal(want) {
			// In a fall-back hour the first of the two instants.
			if e := got.Add(-time.Hour); e.In(loc).Hour() == l.Hour() && e.In(loc).Minute() == l.Minute() && e.In(loc).Day() == l.Day() {
				t.Fatalf("LocalTime(%s, %v) = %v, not the first time the clock shows it", loc, want, got)
			}
			return
		}
		if shown.Before(want) || shown.Sub(want) > 24*time.Hour {
			t.Fatalf("LocalTime(%s, %v) = %v, which the clock shows as %v", loc, want, got, shown)
		}
		// A moved time must be one the clock never shows: no offset the
		// zone uses in the two days around it gives that wall clock.
		for h := -48; h <= 48; h++ {
			_, off := got.Add(time.Duration(h) * time.Hour).Zone()
			c := want.Add(-time.Duration(off) * time.Second)
			if _, o := c.In(loc).Zone(); o == off {
				t.Fatalf("LocalTime(%s, %v) = %v was moved, but the clock shows that time at %v", loc, want, got, c.In(loc))
			}
		}
	})
}

// FuzzIntakeValidate checks the intake's validation on arbitrary answers and
// medication lines: it refuses only with an EInvalid error naming fields,
// and what it accepts holds only the known questions' answers, at most 30
// trimmed medication lines within their lengths, and trimmed texts.
func FuzzIntakeValidate(f *testing.F) {
	f.Add("psychosis_history", "yes", "xanax", " 1 mg ", "daily", " notes ", true, 1)
	f.Add("unknown", "maybe", "", "", "", strings.Repeat("é", 4001), false, 31)
	f.Add("", "", strings.Repeat("x", 121), "\r\n", "\x00", "", false, 2)
	f.Fuzz(func(t *testing.T, qid, answer, name, dose, freq, text string, complete bool, lines int) {
		ids := []string{"psychosis_history", "pregnant", IntakeRiskQuestion}
		in := Intake{Answers: map[string]string{qid: answer, "pregnant": "no"}, Allergies: text, HistoryNotes: text, Goals: text}
		for i := 0; i < lines%40; i++ {
			in.Medications = append(in.Medications, MedicationLine{Name: name, Dose: dose, Frequency: freq})
		}
		err := in.Validate(ids, complete)
		if err != nil {
			var e *Error
			if ErrorCode(err) != EInvalid || !errorsAs(err, &e) || len(e.Fields) == 0 {
				t.Fatalf("Validate: %v is not an EInvalid error naming fields", err)
			}
			for field, msg := range e.Fields {
				if msg == "" || field == "" {
					t.Fatalf("Validate: field %q with message %q", field, msg)
				}
			}
			return
		}
		for id, v := range in.Answers {
			if !slices.Contains(ids, id) || (v != "yes" && v != "no" && v != "unsure" && v != "") {
				t.Fatalf("Validate kept %s=%q", id, v)
			}
		}
		if complete {
			for _, id := range ids {
				if in.Answers[id] == "" {
					t.Fatalf("a complete intake without an answer to %s", id)
				}
			}
		}
		if len(in.Medications) > MaxMedications {
			t.Fatalf("Validate kept %d medication lines", len(in.Medications))
		}
		for _, m := range in.Medications {
			if m.Name == "" || m.Name != strings.TrimSpace(m.Name) || len([]rune(m.Name)) > MaxMedFieldRunes || len([]rune(m.Dose)) > MaxMedFieldRunes {
				t.Fatalf("Validate kept the medication line %+v", m)
			}
			if strings.Contains(m.Text(), "  ") {
				t.Fatalf("Text of %+v is %q", m, m.Text())
			}
		}
		if in.Goals != strings.TrimSpace(in.Goals) || len([]rune(in.Goals)) > MaxIntakeText {
			t.Fatalf("Validate kept goals of %d characters", len([]rune(in.Goals)))
		}
	})
}

func errorsAs(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

// TestLocalTimeLongGap is the case FuzzLocalTime found: Samoa skipped
// 30 December 2011 (UTC-10 to UTC+14), and LocalTime looked only 3 hours
// either side for the offset before a gap, so a time on the skipped day
// moved a day back (to 29 December) instead of forward by the gap.
func TestLocalTimeLongGap(t *testing.T) {
	apia, err := time.LoadLocation("Pacific/Apia")
	if err != nil {
		t.Fatal(err)
	}
	got := LocalTime(apia, 2011, 12, 30, 10, 0, 0)
	if want := time.Date(2011, 12, 31, 10, 0, 0, 0, apia); !got.Equal(want) {
		t.Errorf("LocalTime(Apia, 2011-12-30 10:00) = %v, want %v (forward by the skipped day)", got, want)
	}
	ny, _ := time.LoadLocation("America/New_York")
	if got, want := LocalTime(ny, 2026, 3, 8, 2, 30, 0), time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("LocalTime(New York, spring-forward 02:30) = %v, want 03:30 EDT", got)
	}
}

// TestParseDoseGreekMu is the case FuzzParseDose found: the dose pattern
// is case-insensitive, so a Greek small mu ("μg", U+03BC, what many
// keyboards type) matched the micro sign's "µg" (U+00B5) but was kept as
// the unit "μg", which is none of DoseUnits: a dose that never compares
// equal to the same dose in mcg.
func TestParseDoseGreekMu(t *testing.T) {
	for _, in := range []string{"50 μg", "50 Μg", "50 µg", "50 µG", "50 mcg"} {
		d, ok := ParseDose(in, "")
		if !ok || d.Unit != "mcg" || d.Amount != 50 {
			t.Errorf("ParseDose(%q) = %+v, %v; want 50 mcg", in, d, ok)
		}
	}
}
