package clinic

import (
	"strings"
	"testing"
	"time"
)

func ip(n int) *int { return &n }

func reading(sys, dia, pulse, spo2 int) Vitals {
	v := Vitals{}
	if sys > 0 {
		v.Systolic, v.Diastolic = ip(sys), ip(dia)
	}
	if pulse > 0 {
		v.HeartRate = ip(pulse)
	}
	if spo2 > 0 {
		v.SpO2 = ip(spo2)
	}
	return v
}

func TestVitalsLevel(t *testing.T) {
	d := DefaultThresholds
	for _, tc := range []struct {
		name     string
		v        Vitals
		want     string
		measures string // the findings' measures, in order
		words    string // in the findings' words
	}{
		{"nothing taken", Vitals{}, VitalsOK, "", ""},
		{"all fine", reading(128, 82, 72, 98), VitalsOK, "", ""},
		{"bp at caution exactly is fine", reading(140, 90, 0, 0), VitalsOK, "", ""},
		{"bp caution systolic", reading(141, 80, 0, 0), VitalsCaution, "bp", "above the caution threshold (140/90)"},
		{"bp caution diastolic", reading(130, 91, 0, 0), VitalsCaution, "bp", "above the caution threshold"},
		{"bp hold", reading(165, 105, 0, 0), VitalsHold, "bp", "165/105 is above the hold threshold (160/100)"},
		{"pulse high caution", reading(0, 0, 111, 0), VitalsCaution, "pulse", "pulse 111 is above the caution threshold (110)"},
		{"pulse 110 fine", reading(0, 0, 110, 0), VitalsOK, "", ""},
		{"pulse high hold", reading(0, 0, 150, 0), VitalsHold, "pulse", "pulse 150 is above the hold threshold (130)"},
		{"pulse 130 caution", reading(0, 0, 130, 0), VitalsCaution, "pulse", "above the caution"},
		{"pulse low caution", reading(0, 0, 49, 0), VitalsCaution, "pulse", "pulse 49 is below the caution threshold (50)"},
		{"pulse 50 fine", reading(0, 0, 50, 0), VitalsOK, "", ""},
		{"pulse low hold", reading(0, 0, 39, 0), VitalsHold, "pulse", "pulse 39 is below the hold threshold (40)"},
		{"spo2 94 fine", reading(0, 0, 0, 94), VitalsOK, "", ""},
		{"spo2 caution", reading(0, 0, 0, 93), VitalsCaution, "spo2", "SpO₂ 93% is below the caution threshold (94%)"},
		{"spo2 90 caution", reading(0, 0, 0, 90), VitalsCaution, "spo2", ""},
		{"spo2 hold", reading(0, 0, 0, 85), VitalsHold, "spo2", "SpO₂ 85% is below the hold threshold (90%)"},
		{"caution bp, hold spo2", reading(150, 95, 0, 85), VitalsHold, "bp,spo2", ""},
		{"hold bp, caution pulse", reading(170, 95, 115, 0), VitalsHold, "bp,pulse", ""},
		{"the reported case", reading(158, 99, 138, 82), VitalsHold, "bp,pulse,spo2", "pulse 138 is above the hold threshold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, fs := VitalsLevel(tc.v, d)
			var ms []string
			for _, f := range fs {
				ms = append(ms, f.Measure)
			}
			if got != tc.want || strings.Join(ms, ",") != tc.measures || !strings.Contains(FindingWords(fs), tc.words) {
				t.Errorf("VitalsLevel = %s %v %q, want %s %s containing %q", got, ms, FindingWords(fs), tc.want, tc.measures, tc.words)
			}
		})
	}
	// The practice's own thresholds are used.
	own := d
	own.PulseHighHold = 120
	if got, _ := VitalsLevel(reading(0, 0, 125, 0), own); got != VitalsHold {
		t.Errorf("pulse 125 with hold above 120 = %s, want hold", got)
	}
}

func TestThresholdsCheck(t *testing.T) {
	if fe := DefaultThresholds.Check(); len(fe) != 0 {
		t.Fatalf("the defaults fail their own bounds: %v", fe)
	}
	for _, tc := range []struct {
		field string
		edit  func(*Thresholds)
	}{
		{"bp_caution", func(t *Thresholds) { t.BPCaution = BP{119, 80} }},
		{"bp_caution", func(t *Thresholds) { t.BPCaution = BP{140, 69} }},
		{"bp_hold", func(t *Thresholds) { t.BPHold = BP{181, 100} }},
		{"bp_hold", func(t *Thresholds) { t.BPHold = BP{170, 111} }},
		{"bp_hold", func(t *Thresholds) { t.BPHold = BP{260, 160} }},
		{"bp_hold", func(t *Thresholds) { t.BPCaution, t.BPHold = BP{160, 100}, BP{150, 100} }},
		{"spo2_caution", func(t *Thresholds) { t.SpO2Caution = 98 }},
		{"spo2_hold", func(t *Thresholds) { t.SpO2Hold = 89 }}, // H5: below 90 % is an emergency (WHO)
		{"spo2_hold", func(t *Thresholds) { t.SpO2Caution, t.SpO2Hold = 92, 93 }},
		{"pulse_high_caution", func(t *Thresholds) { t.PulseHighCaution = 89 }},
		{"pulse_high_hold", func(t *Thresholds) { t.PulseHighHold = 141 }}, // H5: pulse 150 always holds
		{"pulse_high_hold", func(t *Thresholds) { t.PulseHighHold = 150 }},
		{"pulse_high_hold", func(t *Thresholds) { t.PulseHighCaution, t.PulseHighHold = 120, 115 }},
		{"pulse_low_caution", func(t *Thresholds) { t.PulseLowCaution = 61 }},
		{"pulse_low_hold", func(t *Thresholds) { t.PulseLowHold = 29 }},
		{"pulse_low_hold", func(t *Thresholds) { t.PulseLowCaution, t.PulseLowHold = 45, 48 }},
		{"observation_minutes", func(t *Thresholds) { t.ObservationMinutes = 59 }},
		{"observation_minutes", func(t *Thresholds) { t.ObservationMinutes = 241 }},
		{"sedation_caution", func(t *Thresholds) { t.SedationCaution = 5 }},
		{"sedation_hold", func(t *Thresholds) { t.SedationHold = 1 }}, // MOAA/S 2 always holds
		{"sedation_hold", func(t *Thresholds) { t.SedationCaution, t.SedationHold = 3, 3 }},
	} {
		th := DefaultThresholds
		tc.edit(&th)
		fe := th.Check()
		if len(fe) != 1 || fe[tc.field] == "" {
			t.Errorf("%+v: errors %v, want one at %s", th, fe, tc.field)
		}
	}
	edge := Thresholds{BPCaution: BP{170, 105}, BPHold: BP{180, 110}, SpO2Caution: 97, SpO2Hold: 94, PulseHighCaution: 130, PulseHighHold: 140,
		PulseLowCaution: 60, PulseLowHold: 30, ObservationMinutes: 60, SedationCaution: 4, SedationHold: 3}
	if fe := edge.Check(); len(fe) != 0 {
		t.Errorf("values at their bounds are refused: %v", fe)
	}
	// H5: whatever a prescriber sets within the bounds, pulse 150 and
	// SpO₂ 85 % hold (issue 12's acceptance), and every default lies
	// within its bound.
	b := ThresholdBounds
	for _, hold := range []int{b.SpO2Hold.Min, b.SpO2Hold.Max} {
		for _, high := range []int{b.PulseHighHold.Min, b.PulseHighHold.Max} {
			th := DefaultThresholds
			th.SpO2Hold, th.SpO2Caution, th.PulseHighHold, th.PulseHighCaution = hold, max(hold+1, b.SpO2Caution.Min), high, min(high-1, b.PulseHighCaution.Max)
			if fe := th.Check(); len(fe) != 0 {
				t.Fatalf("%+v: %v", th, fe)
			}
			if l, _ := VitalsLevel(reading(120, 80, 150, 98), th); l != VitalsHold {
				t.Errorf("pulse 150 with hold above %d = %s, want hold", high, l)
			}
			if l, _ := VitalsLevel(reading(120, 80, 72, 85), th); l != VitalsHold {
				t.Errorf("SpO₂ 85 with hold below %d = %s, want hold", hold, l)
			}
		}
	}
	in := func(v int, bd Bound) bool { return v >= bd.Min && v <= bd.Max }
	d := DefaultThresholds
	for name, ok := range map[string]bool{
		"bp caution": in(d.BPCaution.Systolic, b.BPCautionSys) && in(d.BPCaution.Diastolic, b.BPCautionDia),
		"bp hold":    in(d.BPHold.Systolic, b.BPHoldSys) && in(d.BPHold.Diastolic, b.BPHoldDia),
		"spo2":       in(d.SpO2Caution, b.SpO2Caution) && in(d.SpO2Hold, b.SpO2Hold),
		"pulse high": in(d.PulseHighCaution, b.PulseHighCaution) && in(d.PulseHighHold, b.PulseHighHold),
		"pulse low":  in(d.PulseLowCaution, b.PulseLowCaution) && in(d.PulseLowHold, b.PulseLowHold),
		"observe":    in(d.ObservationMinutes, b.ObservationMinutes),
		"sedation":   in(d.SedationCaution, b.SedationCaution) && in(d.SedationHold, b.SedationHold),
	} {
		if !ok {
			t.Errorf("the default %s is outside its bound", name)
		}
	}
}

func TestActiveHolds(t *testing.T) {
	dose := time.Date(2026, 5, 1, 14, 0, 0, 0, time.UTC)
	at := func(v Vitals, min int) Vitals { v.At = dose.Add(time.Duration(min) * time.Minute); return v }
	for _, tc := range []struct {
		name string
		vs   []Vitals
		want string // measures on hold
	}{
		{"none", nil, ""},
		{"before the dose does not count", []Vitals{at(reading(170, 105, 0, 0), -5)}, ""},
		// H6: what counts is when it was taken, not what it was called.
		{"a reading entered as before the dose but taken at or after it counts", []Vitals{func() Vitals { v := at(reading(0, 0, 0, 85), 0); v.Phase = PhasePreDose; return v }()}, "spo2"},
		{"spo2 hold", []Vitals{at(reading(130, 80, 80, 85), 20)}, "spo2"},
		{"resolved by a later reading", []Vitals{at(reading(0, 0, 150, 0), 20), at(reading(0, 0, 100, 0), 30)}, ""},
		{"a later reading of another measure does not resolve it", []Vitals{at(reading(0, 0, 0, 85), 20), at(reading(120, 80, 0, 0), 30)}, "spo2"},
		{"order given does not matter", []Vitals{at(reading(0, 0, 100, 0), 30), at(reading(0, 0, 150, 0), 20)}, ""},
		{"two at once", []Vitals{at(reading(185, 112, 150, 95), 20)}, "bp,pulse"},
	} {
		var ms []string
		for _, h := range ActiveHolds(tc.vs, dose, DefaultThresholds) {
			ms = append(ms, h.Finding.Measure)
		}
		if strings.Join(ms, ",") != tc.want {
			t.Errorf("%s: holds %v, want %q", tc.name, ms, tc.want)
		}
	}
}

func TestHasFortyMinuteReadingAndPreDischarge(t *testing.T) {
	dose := time.Date(2026, 5, 1, 14, 0, 0, 0, time.UTC)
	at := func(phase string, min int, v Vitals) Vitals {
		v.Phase, v.At = phase, dose.Add(time.Duration(min)*time.Minute)
		return v
	}
	for _, tc := range []struct {
		name string
		vs   []Vitals
		want bool
	}{
		{"none", nil, false},
		{"after the dose at 40", []Vitals{at(PhaseAfterDose, 40, reading(130, 80, 80, 97))}, true},
		{"a check at 30", []Vitals{at(PhaseCheck, 30, reading(130, 80, 0, 0))}, true},
		{"at 61", []Vitals{at(PhaseAfterDose, 61, reading(130, 80, 80, 97))}, false},
		{"no blood pressure", []Vitals{at(PhaseCheck, 40, reading(0, 0, 80, 97))}, false},
		{"entered as before the dose", []Vitals{at(PhasePreDose, 40, reading(130, 80, 80, 97))}, false},
	} {
		if got := HasFortyMinuteReading(dose, tc.vs); got != tc.want {
			t.Errorf("%s: HasFortyMinuteReading = %v, want %v", tc.name, got, tc.want)
		}
	}
	now := dose.Add(130 * time.Minute)
	for _, tc := range []struct {
		name    string
		vs      []Vitals
		wantMin int // minutes after the dose of the reading found; -1 none
		recent  bool
	}{
		{"none", nil, -1, false},
		{"before the dose does not count", []Vitals{at(PhasePreDischarge, -5, reading(120, 80, 70, 98))}, -1, false},
		{"recent", []Vitals{at(PhasePreDischarge, 120, reading(120, 80, 70, 98))}, 120, true},
		{"15 minutes", []Vitals{at(PhasePreDischarge, 115, reading(120, 80, 70, 98))}, 115, true},
		{"stale", []Vitals{at(PhasePreDischarge, 100, reading(120, 80, 70, 98))}, 100, false},
		{"the latest", []Vitals{at(PhasePreDischarge, 125, reading(120, 80, 70, 98)), at(PhasePreDischarge, 100, reading(120, 80, 70, 98))}, 125, true},
		{"other phases do not count", []Vitals{at(PhaseCheck, 125, reading(120, 80, 70, 98))}, -1, false},
	} {
		v, recent := PreDischargeReading(dose, tc.vs, now)
		got := -1
		if v != nil {
			got = MinutesAfter(dose, v.At)
		}
		if got != tc.wantMin || recent != tc.recent {
			t.Errorf("%s: PreDischargeReading = %d min, recent %v; want %d, %v", tc.name, got, recent, tc.wantMin, tc.recent)
		}
	}
}

func TestReadingLabel(t *testing.T) {
	dose := time.Date(2026, 5, 1, 14, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		phase string
		min   int
		want  string
	}{
		{PhasePreDose, -10, "Before the dose"},
		{PhasePreDose, 0, "Before the dose"},
		{PhaseAfterDose, 40, "40-minute reading (40 min after the dose)"},
		{PhaseCheck, 30, "40-minute reading (30 min after the dose)"},
		{PhasePreDischarge, 60, "40-minute reading (60 min after the dose)"},
		{PhaseAfterDose, 6, "Reading 6 min after the dose (entered as the 40-minute reading, but not taken 30–60 minutes after the dose)"},
		{PhaseAfterDose, 61, "Reading 61 min after the dose (entered as the 40-minute reading"},
		{PhasePreDischarge, 125, "Before discharge (125 min after the dose)"},
		{PhaseCheck, 29, "Reading 29 min after the dose"},
		{PhasePreDose, 40, "Reading 40 min after the dose (entered as before the dose)"},
	} {
		v := Vitals{Phase: tc.phase, At: dose.Add(time.Duration(tc.min) * time.Minute)}
		if got := ReadingLabel(v, &dose); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s at %d min = %q, want %q", tc.phase, tc.min, got, tc.want)
		}
	}
	if got := ReadingLabel(Vitals{Phase: PhasePreDose}, nil); got != "Before the dose" {
		t.Errorf("no dose yet = %q", got)
	}
}
