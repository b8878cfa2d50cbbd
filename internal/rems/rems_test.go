package rems

import (
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
)

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func bp(min int, sys, dia int, phase string) clinic.Vitals {
	return clinic.Vitals{Phase: phase, Systolic: &sys, Diastolic: &dia, At: t0.Add(time.Duration(min) * time.Minute)}
}

func spo2Only(min int) clinic.Vitals {
	n := 97
	return clinic.Vitals{SpO2: &n, At: t0.Add(time.Duration(min) * time.Minute)}
}

func show(v *clinic.Vitals) string {
	if v == nil {
		return ""
	}
	return v.BP()
}

func TestReadings(t *testing.T) {
	for _, c := range []struct {
		name                     string
		vitals                   []clinic.Vitals
		end                      int // minutes after dose; 0: none
		before, forty, discharge string
	}{
		{"none", nil, 0, "", "", ""},
		{"usual", []clinic.Vitals{bp(-10, 120, 80, "pre_dose"), bp(41, 140, 90, "after_dose"), bp(115, 125, 82, "pre_discharge")}, 125, "120/80", "140/90", "125/82"},
		{"latest before counts; at the dose counts", []clinic.Vitals{bp(-30, 150, 95, ""), bp(0, 121, 81, "")}, 0, "121/81", "", ""},
		{"closest to 40 wins", []clinic.Vitals{bp(31, 130, 85, ""), bp(45, 135, 86, ""), bp(39, 138, 88, "")}, 0, "", "138/88", "135/86"},
		{"tie: the earlier", []clinic.Vitals{bp(44, 131, 80, ""), bp(36, 132, 80, "")}, 0, "", "132/80", "131/80"},
		{"outside the window is not the 40-minute reading", []clinic.Vitals{bp(29, 130, 85, ""), bp(61, 131, 85, "")}, 0, "", "", "131/85"},
		{"window edges count", []clinic.Vitals{bp(60, 133, 85, "")}, 0, "", "133/85", ""},
		{"called pre-dose but after the dose is not before", []clinic.Vitals{bp(5, 150, 90, "pre_dose")}, 0, "", "", "150/90"},
		{"after the end of monitoring does not count", []clinic.Vitals{bp(40, 140, 90, ""), bp(100, 128, 80, ""), bp(130, 126, 80, "")}, 120, "", "140/90", "128/80"},
		{"reading without BP ignored", []clinic.Vitals{spo2Only(-5), spo2Only(40), spo2Only(110)}, 0, "", "", ""},
		{"before discharge must be after the 40-minute one", []clinic.Vitals{bp(20, 150, 99, ""), bp(40, 140, 90, "")}, 0, "", "140/90", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var end time.Time
			if c.end != 0 {
				end = t0.Add(time.Duration(c.end) * time.Minute)
			}
			if got := show(BeforeDose(t0, c.vitals)); got != c.before {
				t.Errorf("before = %q, want %q", got, c.before)
			}
			if got := show(AtForty(t0, c.vitals)); got != c.forty {
				t.Errorf("forty = %q, want %q", got, c.forty)
			}
			if got := show(BeforeDischarge(t0, end, c.vitals)); got != c.discharge {
				t.Errorf("discharge = %q, want %q", got, c.discharge)
			}
		})
	}
}

func TestMinutes(t *testing.T) {
	for _, c := range []struct {
		start, end time.Time
		want       int
		ok         bool
	}{
		{time.Time{}, t0, 0, false},
		{t0, time.Time{}, 0, false},
		{t0, t0.Add(-time.Minute), 0, false},
		{t0, t0.Add(119*time.Minute + 59*time.Second), 119, false},
		{t0, t0.Add(120 * time.Minute), 120, true},
		{t0, t0.Add(150 * time.Minute), 150, true},
	} {
		got := TotalMinutes(c.start, c.end)
		if got != c.want || LongEnough(got) != c.ok {
			t.Errorf("TotalMinutes(%v, %v) = %d (long enough %v), want %d (%v)", c.start, c.end, got, LongEnough(got), c.want, c.ok)
		}
	}
}

func TestWindow(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		now     time.Duration
		days    int
		overdue bool
		words   string
	}{
		{0, 7, false, "due in 7 days"},
		{time.Hour, 7, false, "due in 7 days"},
		{6*day - time.Hour, 2, false, "due in 2 days"},
		{6 * day, 1, false, "due in 1 day"},
		{6*day + time.Hour, 1, false, "due today"},
		{7 * day, 0, false, "due today"},
		{7*day + time.Minute, -1, true, "overdue by 1 day"},
		{10*day + time.Hour, -4, true, "overdue by 4 days"},
	} {
		now := t0.Add(c.now)
		if DaysLeft(t0, now) != c.days || Overdue(t0, now) != c.overdue || Window(t0, now) != c.words {
			t.Errorf("at +%v: days %d overdue %v %q, want %d %v %q", c.now, DaysLeft(t0, now), Overdue(t0, now), Window(t0, now), c.days, c.overdue, c.words)
		}
	}
	if !Due(t0).Equal(t0.Add(7 * day)) {
		t.Errorf("Due = %v", Due(t0))
	}
}

func complete() Form {
	return Form{DoseMg: 56, Lot: "S-1", Start: t0, End: t0.Add(125 * time.Minute), ReadyAt: t0.Add(120 * time.Minute),
		BPBefore: "120/80", BPForty: "140/90", BPDischarge: "125/80", Sedation: No, Dissociation: No, RespDepression: No, SpO2: "96", SAE: No}
}

func TestMissing(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Form)
		want []string
	}{
		{"complete", func(*Form) {}, nil},
		{"84 mg", func(f *Form) { f.DoseMg = 84 }, nil},
		{"other dose", func(f *Form) { f.DoseMg = 28 }, []string{FDose}},
		{"no lot", func(f *Form) { f.Lot = "" }, []string{FLot}},
		{"no start", func(f *Form) { f.Start = time.Time{} }, []string{FStart}},
		{"no end", func(f *Form) { f.End = time.Time{} }, []string{FEnd}},
		{"end before start", func(f *Form) { f.End = t0.Add(-time.Minute) }, []string{FEnd}},
		{"short", func(f *Form) { f.End = t0.Add(90 * time.Minute) }, []string{FMinutes}},
		{"no ready time", func(f *Form) { f.ReadyAt = time.Time{} }, []string{FReady}},
		{"bad BPs", func(f *Form) { f.BPBefore, f.BPForty, f.BPDischarge = "", "high", "120" }, []string{FBPBefore, FBPForty, FBPDischarge}},
		{"unanswered", func(f *Form) { f.Sedation, f.Dissociation, f.RespDepression, f.SAE = "", "maybe", "", "" }, []string{FSedation, FDiss, FResp, FSAE}},
		{"yes needs resolved", func(f *Form) { f.Sedation, f.Dissociation, f.RespDepression = Yes, Yes, Yes }, []string{FSedationGone, FDissGone, FRespGone}},
		{"yes and resolved", func(f *Form) {
			f.Sedation, f.SedationGone, f.Dissociation, f.DissociationGone, f.RespDepression, f.RespGone = Yes, Yes, Yes, No, Yes, Yes
		}, nil},
		{"spo2", func(f *Form) { f.SpO2 = "" }, []string{FSpO2}},
		{"spo2 out of range", func(f *Form) { f.SpO2 = "101" }, []string{FSpO2}},
		{"sae needs words", func(f *Form) { f.SAE = Yes }, []string{FSAEText}},
		{"sae described", func(f *Form) { f.SAE, f.SAEText = Yes, "syncope" }, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := complete()
			c.edit(&f)
			m := Missing(f)
			if len(m) != len(c.want) {
				t.Fatalf("Missing = %v, want keys %v", m, c.want)
			}
			for _, k := range c.want {
				if m[k] == "" {
					t.Errorf("Missing = %v, want %s", m, k)
				}
			}
		})
	}
}

// TestObserved: the form's sedation, dissociation and respiratory answers
// from the readings between the dose and the end of monitoring.
func TestObserved(t *testing.T) {
	at := func(min int) clinic.Vitals { return clinic.Vitals{At: t0.Add(time.Duration(min) * time.Minute)} }
	moaas := func(min, score int) clinic.Vitals { v := at(min); v.MOAAS = &score; return v }
	diss := func(min int, present bool) clinic.Vitals { v := at(min); v.Dissociation = &present; return v }
	resp := func(min int, dep bool, signs ...string) clinic.Vitals {
		v := at(min)
		v.RespDepression, v.RespSigns = &dep, signs
		return v
	}
	end := t0.Add(130 * time.Minute)
	for _, c := range []struct {
		name   string
		end    time.Time
		vitals []clinic.Vitals
		want   [6]string
	}{
		{"nothing recorded: the prescriber answers", end, []clinic.Vitals{at(40)}, [6]string{}},
		{"MOAA/S always 5: no sedation", end, []clinic.Vitals{moaas(40, 5), moaas(120, 5)}, [6]string{No, "", "", "", "", ""}},
		{"sedated, then back to 5: resolved", end, []clinic.Vitals{moaas(40, 3), moaas(120, 5)}, [6]string{Yes, Yes, "", "", "", ""}},
		{"still sedated at the last reading", end, []clinic.Vitals{moaas(40, 5), moaas(120, 4)}, [6]string{Yes, No, "", "", "", ""}},
		{"before the dose does not count", end, []clinic.Vitals{moaas(-10, 3), moaas(40, 5)}, [6]string{No, "", "", "", "", ""}},
		{"after the end does not count", end, []clinic.Vitals{moaas(40, 5), moaas(140, 2)}, [6]string{No, "", "", "", "", ""}},
		{"not ended: every reading after the dose", time.Time{}, []clinic.Vitals{moaas(40, 5), moaas(140, 2)}, [6]string{Yes, No, "", "", "", ""}},
		{"dissociation present, then absent", end, []clinic.Vitals{diss(40, true), diss(90, false)}, [6]string{"", "", Yes, Yes, "", ""}},
		{"dissociation never present", end, []clinic.Vitals{diss(40, false)}, [6]string{"", "", No, "", "", ""}},
		{"respiratory signs without the yes", end, []clinic.Vitals{resp(40, false, "shallow")}, [6]string{"", "", "", "", Yes, No}},
		{"respiratory depression resolved", end, []clinic.Vitals{resp(40, true), resp(60, false)}, [6]string{"", "", "", "", Yes, Yes}},
		{"respiratory never", end, []clinic.Vitals{resp(40, false)}, [6]string{"", "", "", "", No, ""}},
	} {
		var got [6]string
		got[0], got[1], got[2], got[3], got[4], got[5] = Observed(t0, c.end, c.vitals)
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
