package clinic

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var gateNow = time.Date(2026, 5, 1, 14, 0, 0, 0, time.UTC)

// passingGate is a gate with every line answered just now.
func passingGate() GateFacts {
	rec := func(v string) GateRecord {
		return GateRecord{ID: "r-" + v, Value: v, At: gateNow.Add(-10 * time.Minute)}
	}
	pre := reading(128, 82, 72, 98)
	pre.ID, pre.At = "pre1", gateNow.Add(-5*time.Minute)
	return GateFacts{
		Status: SessionGate, HasPrescription: true, SessionsAuthorised: 6, SessionsUsed: 1,
		Items: map[string]GateRecord{
			"medications": {ID: "list1", Value: `["sertraline"]`, At: gateNow.Add(-10 * time.Minute)}, "meds_reviewed": rec("yes"),
			"fasting": rec("yes"), "pregnancy": rec(PregnancyNotApplicable), "escort": rec("Sam"), "escort_ok": rec("yes"),
		},
		PreDose: []Vitals{pre}, Thresholds: DefaultThresholds,
	}
}

func TestGate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*GateFacts)
		want map[string]string // item → in its message; nil: passes
	}{
		{"passes", func(*GateFacts) {}, nil},
		{"ready still checked", func(f *GateFacts) { f.Status = SessionReady }, nil},
		{"dosed: nothing to check", func(f *GateFacts) { f.Status = SessionDosed; f.Items = nil; f.PreDose = nil }, nil},
		{"clearance", func(f *GateFacts) { f.ClearanceProblem = "Clearance out of date: intake changed." }, map[string]string{"clearance": "out of date"}},
		{"no prescription", func(f *GateFacts) { f.HasPrescription = false }, map[string]string{"prescription": "no current prescription"}},
		{"sessions used", func(f *GateFacts) { f.SessionsUsed = 6 }, map[string]string{"prescription": "(6) has been used"}},
		{"no limit recorded", func(f *GateFacts) { f.SessionsAuthorised, f.SessionsUsed = 0, 9 }, nil},
		{"consent not current", func(f *GateFacts) {
			f.ConsentProblem = ConsentGateProblem(ConsentStanding{Status: ConsentNotSigned})
		}, map[string]string{"consent": "has not signed the KAP informed consent"}},
		{"an attested consent line no longer counts", func(f *GateFacts) {
			f.Items["consent"] = GateRecord{Value: "yes", At: gateNow}
			f.ConsentProblem = ConsentGateProblem(ConsentStanding{Status: ConsentRevoked})
		}, map[string]string{"consent": "revoked"}},
		{"medications missing", func(f *GateFacts) { delete(f.Items, "medications") }, map[string]string{"medications": "record the list"}},
		{"medications not reviewed", func(f *GateFacts) { delete(f.Items, "meds_reviewed") }, map[string]string{"medications": "Confirm you have reviewed"}},
		{"new interacting", func(f *GateFacts) { f.NewInteracting = []string{"Xanax 0.5 mg (benzodiazepine)"} },
			map[string]string{"medications": "Xanax 0.5 mg (benzodiazepine). The prescriber must review it"}},
		{"new interacting reviewed by the prescriber", func(f *GateFacts) {
			f.NewInteracting = []string{"Xanax (benzodiazepine)"}
			f.Items["meds_prescriber"] = GateRecord{Value: "list:list1", ByRole: RolePrescriber, At: gateNow}
		}, nil},
		{"reviewed by a therapist", func(f *GateFacts) {
			f.NewInteracting = []string{"Xanax (benzodiazepine)"}
			f.Items["meds_prescriber"] = GateRecord{Value: "list:list1", ByRole: RoleTherapist, At: gateNow}
		}, map[string]string{"medications": "Xanax"}},
		{"review of an older list", func(f *GateFacts) {
			f.NewInteracting = []string{"Xanax (benzodiazepine)"}
			f.Items["meds_prescriber"] = GateRecord{Value: "list:list0", ByRole: RolePrescriber, At: gateNow}
		}, map[string]string{"medications": "Xanax"}},
		{"fasting", func(f *GateFacts) { f.Items["fasting"] = GateRecord{Value: "", At: gateNow} }, map[string]string{"fasting": "fasted"}},
		{"pregnancy", func(f *GateFacts) { f.Items["pregnancy"] = GateRecord{Value: "maybe", At: gateNow} }, map[string]string{"pregnancy": "not pregnant"}},
		{"escort unnamed", func(f *GateFacts) { f.Items["escort"] = GateRecord{Value: "", At: gateNow} }, map[string]string{"escort": "takes the patient home"}},
		{"escort unconfirmed", func(f *GateFacts) { delete(f.Items, "escort_ok") }, map[string]string{"escort": "takes the patient home"}},
		{"no pre-dose reading", func(f *GateFacts) { f.PreDose = nil }, map[string]string{"vitals": "blood pressure, pulse and SpO₂ before the dose"}},
		// H1: a partial re-take does not clear a hold of a measure it left out.
		{"pulse 150, then a blood-pressure-only re-take: still on hold", func(f *GateFacts) {
			f.PreDose[0].HeartRate = ip(150)
			bpOnly := reading(124, 80, 0, 0)
			bpOnly.ID, bpOnly.At = "pre2", gateNow.Add(-1*time.Minute)
			f.PreDose = append(f.PreDose, bpOnly)
		}, map[string]string{"vitals": "pulse 150 is above the hold threshold (130)"}},
		{"SpO₂ 85, then a re-take without SpO₂: still on hold", func(f *GateFacts) {
			f.PreDose[0].SpO2 = ip(85)
			re := reading(124, 80, 72, 0)
			re.ID, re.At = "pre2", gateNow.Add(-1*time.Minute)
			f.PreDose = append(f.PreDose, re)
		}, map[string]string{"vitals": "SpO₂ 85%"}},
		{"a full re-take clears the hold", func(f *GateFacts) {
			f.PreDose[0].HeartRate = ip(150)
			re := reading(124, 80, 88, 97)
			re.ID, re.At = "pre2", gateNow.Add(-1*time.Minute)
			f.PreDose = append(f.PreDose, re)
		}, nil},
		{"no pulse or SpO₂ reading in the hour", func(f *GateFacts) { f.PreDose[0].HeartRate, f.PreDose[0].SpO2 = nil, nil },
			map[string]string{"vitals": "no pulse or SpO₂ reading from the last hour"}},
		{"a pulse only from more than an hour ago does not count", func(f *GateFacts) {
			f.PreDose[0].HeartRate = nil
			old := reading(0, 0, 72, 0)
			old.ID, old.At = "pre0", gateNow.Add(-70*time.Minute)
			f.PreDose = append(f.PreDose, old)
		}, map[string]string{"vitals": "no pulse reading"}},
		{"a hold more than an hour old no longer counts", func(f *GateFacts) {
			old := reading(0, 0, 150, 0)
			old.ID, old.At = "pre0", gateNow.Add(-70*time.Minute)
			f.PreDose = append(f.PreDose, old)
		}, nil},
		{"override names both readings on hold", func(f *GateFacts) {
			f.PreDose[0].HeartRate = ip(150)
			re := reading(170, 105, 0, 0)
			re.ID, re.At = "pre2", gateNow.Add(-1*time.Minute)
			f.PreDose = append(f.PreDose, re)
			f.Items["override"] = GateRecord{Value: "vitals:pre1,pre2", ByRole: RolePrescriber, At: gateNow}
		}, nil},
		{"override of one reading does not cover a second one on hold", func(f *GateFacts) {
			f.PreDose[0].HeartRate = ip(150)
			re := reading(170, 105, 0, 0)
			re.ID, re.At = "pre2", gateNow.Add(-1*time.Minute)
			f.PreDose = append(f.PreDose, re)
			f.Items["override"] = GateRecord{Value: "vitals:pre1", ByRole: RolePrescriber, At: gateNow}
		}, map[string]string{"vitals": "blood pressure 170/105"}},
		{"old reading", func(f *GateFacts) { f.PreDose[0].At = gateNow.Add(-61 * time.Minute) }, map[string]string{"vitals": "(128/82 · pulse 72 · SpO₂ 98%) is more than an hour old"}},
		{"bp hold", func(f *GateFacts) { f.PreDose[0].Systolic, f.PreDose[0].Diastolic = ip(165), ip(105) },
			map[string]string{"vitals": "blood pressure 165/105 is above the hold threshold (160/100)"}},
		{"bp caution passes", func(f *GateFacts) { f.PreDose[0].Systolic = ip(150) }, nil},
		{"pulse 150 holds", func(f *GateFacts) { f.PreDose[0].HeartRate = ip(150) }, map[string]string{"vitals": "pulse 150 is above the hold threshold (130)"}},
		{"pulse 35 holds", func(f *GateFacts) { f.PreDose[0].HeartRate = ip(35) }, map[string]string{"vitals": "pulse 35 is below the hold threshold (40)"}},
		{"spo2 85 holds", func(f *GateFacts) { f.PreDose[0].SpO2 = ip(85) }, map[string]string{"vitals": "SpO₂ 85% is below the hold threshold (90%)"}},
		{"hold overridden by the prescriber for this reading", func(f *GateFacts) {
			f.PreDose[0].SpO2 = ip(85)
			f.Items["override"] = GateRecord{Value: "vitals:pre1", ByRole: RolePrescriber, At: gateNow}
		}, nil},
		{"override for another reading", func(f *GateFacts) {
			f.PreDose[0].SpO2 = ip(85)
			f.Items["override"] = GateRecord{Value: "vitals:pre0", ByRole: RolePrescriber, At: gateNow}
		}, map[string]string{"vitals": "SpO₂ 85%"}},
		{"override by a therapist", func(f *GateFacts) {
			f.PreDose[0].HeartRate = ip(150)
			f.Items["override"] = GateRecord{Value: "vitals:pre1", ByRole: RoleTherapist, At: gateNow}
		}, map[string]string{"vitals": "pulse 150"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := passingGate()
			tc.edit(&f)
			got := Gate(f, gateNow)
			if len(got) != len(tc.want) {
				t.Fatalf("Gate = %v, want problems at %v", got, tc.want)
			}
			for k, w := range tc.want {
				if !strings.Contains(got[k], w) {
					t.Errorf("problem %s = %q, want it to contain %q", k, got[k], w)
				}
			}
		})
	}
}

func TestDischarge(t *testing.T) {
	dose := time.Date(2026, 5, 1, 14, 0, 0, 0, time.UTC)
	all := []string{"vitals", "oriented", "gait", "nausea", "escort", "aftercare"}
	at := func(phase string, min int, v Vitals) Vitals {
		v.Phase, v.At = phase, dose.Add(time.Duration(min)*time.Minute)
		return v
	}
	withMOAAS := func(v Vitals, n int) Vitals { v.MOAAS = ip(n); return v }
	fine := func() DischargeFacts {
		return DischargeFacts{Status: SessionDosed, DoseAt: dose, Met: all, Thresholds: DefaultThresholds, Vitals: []Vitals{
			at(PhaseAfterDose, 40, reading(138, 88, 84, 97)),
			at(PhasePreDischarge, 118, withMOAAS(reading(124, 78, 68, 98), 5)),
		}}
	}
	for _, tc := range []struct {
		name string
		min  int // minutes after the dose
		edit func(*DischargeFacts)
		want string // "" passes
	}{
		{"ready", 125, func(*DischargeFacts) {}, ""},
		{"not dosed", 125, func(f *DischargeFacts) { f.Status = SessionReady }, "Only a session in progress"},
		{"criterion unmet", 125, func(f *DischargeFacts) {
			f.Met = slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == "nausea" })
		}, "nausea settled is not ticked"},
		{"6 minutes after the dose", 6, func(f *DischargeFacts) {
			f.Vitals = []Vitals{at(PhasePreDischarge, 5, reading(158, 99, 138, 82))}
		}, "dosed 6 minutes ago: the minimum observation time is 120 minutes (REMS: at least 2 hours). The patient can leave in 114 minutes"},
		{"119 minutes", 119, func(*DischargeFacts) {}, "minimum observation time is 120"},
		{"the practice's 90 minutes", 95, func(f *DischargeFacts) {
			f.Thresholds.ObservationMinutes = 90
			f.Vitals[1].At = dose.Add(90 * time.Minute)
		}, ""},
		{"early with the prescriber's reason", 70, func(f *DischargeFacts) {
			f.EarlyReason = true
			f.Vitals[1].At = dose.Add(65 * time.Minute)
		}, ""},
		{"early with a reason still needs a recent reading", 70, func(f *DischargeFacts) {
			f.EarlyReason = true
			f.Vitals[1].At = dose.Add(50 * time.Minute)
		}, "taken 20 minutes ago"},
		{"early with a reason, no 40-minute reading yet", 10, func(f *DischargeFacts) {
			f.EarlyReason = true
			f.Vitals = []Vitals{at(PhasePreDischarge, 8, withMOAAS(reading(124, 78, 68, 98), 5))}
		}, ""},
		{"no 40-minute reading", 125, func(f *DischargeFacts) { f.Vitals[0].At = dose.Add(20 * time.Minute) }, "30–60 minutes after the dose"},
		{"the 40-minute reading is by time, not by its name", 125, func(f *DischargeFacts) { f.Vitals[0].Phase = PhaseCheck; f.Vitals[0].At = dose.Add(55 * time.Minute) }, ""},
		{"a reading entered as before the dose is not the 40-minute reading", 125, func(f *DischargeFacts) { f.Vitals[0].Phase = PhasePreDose }, "30–60 minutes"},
		{"a hold entered as before the dose but taken after it counts", 125, func(f *DischargeFacts) {
			f.Vitals = append(f.Vitals, at(PhasePreDose, 119, reading(0, 0, 0, 85)))
		}, "SpO₂ 85%"},
		{"a 40-minute reading without blood pressure does not count", 125, func(f *DischargeFacts) { f.Vitals[0] = at(PhaseCheck, 40, reading(0, 0, 80, 97)) }, "30–60 minutes"},
		{"no pre-discharge reading", 125, func(f *DischargeFacts) { f.Vitals = f.Vitals[:1] }, "vitals before discharge first"},
		{"pre-discharge reading 16 minutes old", 134, func(*DischargeFacts) {}, "taken 16 minutes ago"},
		{"pre-discharge reading 15 minutes old", 133, func(*DischargeFacts) {}, ""},
		{"bp hold on a later check", 125, func(f *DischargeFacts) { f.Vitals = append(f.Vitals, at(PhaseCheck, 120, reading(185, 112, 0, 0))) }, "185/112"},
		{"spo2 hold at discharge", 125, func(f *DischargeFacts) { f.Vitals[1].SpO2 = ip(85) }, "SpO₂ 85% is below the hold threshold"},
		{"pulse hold earlier, not re-taken", 125, func(f *DischargeFacts) {
			f.Vitals[1].HeartRate = nil
			f.Vitals = append(f.Vitals, at(PhaseCheck, 90, reading(0, 0, 150, 0)))
		}, "pulse 150"},
		{"pulse hold resolved by a later reading", 125, func(f *DischargeFacts) {
			f.Vitals = append(f.Vitals, at(PhaseCheck, 90, reading(0, 0, 150, 0)))
		}, ""},
		// Sedation (REFERENCE §7.2): MOAA/S ≤ 2 holds; discharge needs 5 or the pre-dose score.
		{"moaas 2 holds discharge", 125, func(f *DischargeFacts) { f.Vitals[1].MOAAS = ip(2) }, "MOAA/S 2"},
		{"moaas 2 earlier, back to 5", 125, func(f *DischargeFacts) { f.Vitals[0].MOAAS, f.Vitals[1].MOAAS = ip(2), ip(5) }, ""},
		{"moaas 4 at discharge: not resolved", 125, func(f *DischargeFacts) { f.Vitals[1].MOAAS = ip(4) }, "Sedation has not resolved"},
		{"moaas 4 is the patient's baseline", 125, func(f *DischargeFacts) {
			f.Vitals[1].MOAAS = ip(4)
			f.Vitals = append(f.Vitals, at(PhasePreDose, -10, Vitals{MOAAS: ip(4)}))
		}, ""},
		{"baseline 4, now 3", 125, func(f *DischargeFacts) {
			f.Vitals[1].MOAAS = ip(3)
			f.Vitals = append(f.Vitals, at(PhasePreDose, -10, Vitals{MOAAS: ip(4)}))
		}, "the patient's score before the dose"},
		{"no moaas recorded since the dose", 125, func(f *DischargeFacts) {
			f.Vitals[1].MOAAS = nil
			f.Vitals = append(f.Vitals, at(PhasePreDose, -10, Vitals{MOAAS: ip(5)}))
		}, "No MOAA/S (sedation score) has been recorded since the dose"},
		{"no moaas at all", 125, func(f *DischargeFacts) { f.Vitals[1].MOAAS = nil }, "No MOAA/S"},
		{"moaas 5 on the 40-minute reading only is the latest", 125, func(f *DischargeFacts) { f.Vitals[0].MOAAS, f.Vitals[1].MOAAS = ip(5), nil }, ""},
		{"no moaas, baseline 4: needs 4", 125, func(f *DischargeFacts) {
			f.Vitals[1].MOAAS = nil
			f.Vitals = append(f.Vitals, at(PhasePreDose, -10, Vitals{MOAAS: ip(4)}))
		}, "needs a score of 4, the patient's score before the dose"},
		{"early reason does not pass a missing moaas", 70, func(f *DischargeFacts) {
			f.EarlyReason = true
			f.Vitals[1] = at(PhasePreDischarge, 65, reading(124, 78, 68, 98))
		}, "No MOAA/S"},
		{"early reason does not pass unresolved sedation", 70, func(f *DischargeFacts) {
			f.EarlyReason = true
			f.Vitals[1] = at(PhasePreDischarge, 65, reading(124, 78, 68, 98))
			f.Vitals[1].MOAAS = ip(3)
		}, "Sedation has not resolved"},
		{"respiratory depression holds", 125, func(f *DischargeFacts) { f.Vitals[1].RespDepression = bp(true) }, "respiratory depression"},
		{"respiratory depression resolved later", 125, func(f *DischargeFacts) {
			f.Vitals[0].RespDepression = bp(true)
			f.Vitals[1].RespDepression = bp(false)
		}, ""},
		{"dissociation does not hold", 125, func(f *DischargeFacts) { f.Vitals[1].Dissociation, f.Vitals[1].DissociationIntensity = bp(true), ip(8) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fine()
			tc.edit(&f)
			got := Discharge(f, dose.Add(time.Duration(tc.min)*time.Minute))
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("Discharge = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseDoseAndDifference(t *testing.T) {
	for _, tc := range []struct {
		amount, unit string
		want         string // "" not ok
	}{
		{"200", "mg", "200 mg"},
		{"200 mg", "", "200 mg"},
		{" 37.5 ", "mg", "37.5 mg"},
		{"0.5", "mg/kg", "0.5 mg/kg"},
		{"0.5 MG/KG", "", "0.5 mg/kg"},
		{"500", "µg", "500 mcg"},
		{"150-200 mg", "", ""},
		{"0", "mg", ""},
		{"two hundred", "mg", ""},
		{"200", "ml", ""},
		{"", "mg", ""},
	} {
		d, ok := ParseDose(tc.amount, tc.unit)
		if got := map[bool]string{true: d.String()}[ok]; got != tc.want {
			t.Errorf("ParseDose(%q, %q) = %q, want %q", tc.amount, tc.unit, got, tc.want)
		}
	}
	mg := func(n float64) DoseAmount { return DoseAmount{n, "mg"} }
	sl, im := RouteSublingual, RouteIntramuscular
	for _, tc := range []struct {
		given             DoseAmount
		route             string
		prescribed, rxRte string
		want              string
	}{
		{mg(200), sl, "200 mg", sl, ""},
		{mg(200), sl, "200mg", sl, ""},
		{mg(150), sl, "200 mg", sl, "150 mg differs from the prescribed 200 mg per session"},
		{DoseAmount{0.5, "mg/kg"}, im, "0.5 mg/kg", im, ""},
		{mg(35), im, "0.5 mg/kg", im, "35 mg differs from the prescribed 0.5 mg/kg"},
		{mg(200), sl, "150-200 mg", sl, "is not one amount"},
		{mg(200), sl, "", sl, "no prescribed dose"},
		// H2: the route is compared too.
		{mg(200), im, "200 mg", sl, "Given intramuscular, but the prescription is sublingual lozenge / troche."},
		{mg(150), im, "200 mg", sl, "150 mg differs from the prescribed 200 mg per session. Given intramuscular"},
	} {
		if got := DoseDifference(tc.given, tc.route, tc.prescribed, tc.rxRte); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("DoseDifference(%v, %s, %q, %s) = %q, want %q", tc.given, tc.route, tc.prescribed, tc.rxRte, got, tc.want)
		}
	}
	if got := PrescribedWords("200 mg", sl); got != "200 mg per session, sublingual lozenge / troche" {
		t.Errorf("PrescribedWords = %q", got)
	}
}

func TestCheckDose(t *testing.T) {
	for _, tc := range []struct {
		dose string
		ok   bool
	}{
		{"200 mg", true}, {"37.5mg", true}, {" 100 MG ", true}, {"0.5 mg/kg", true}, {"500 mcg", true},
		// Free text cannot be compared with the dose given, so it is refused at the field.
		{"200 mg sublingual", false}, {"0.5 mg/kg over 40 min", false}, {"150-200 mg", false}, {"two lozenges", false}, {"", false},
	} {
		if got := CheckDose(tc.dose); (got == "") != tc.ok {
			t.Errorf("CheckDose(%q) = %q, want ok %v", tc.dose, got, tc.ok)
		}
	}
}
