package measure

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestSignal(t *testing.T) {
	phq9 := mustGet(t, "phq9")
	risk := mustGet(t, "risk")
	zeros := answersFor(t, phq9, 0)
	with := func(base Answers, changes Answers) Answers {
		a := maps.Clone(base)
		maps.Copy(a, changes)
		return a
	}
	for _, tc := range []struct {
		name     string
		inst     Instrument
		a        Answers
		level    RiskLevel
		urgency  Urgency
		severity int
		items    []string
		words    string
	}{
		{"PHQ-9 nothing answered", phq9, Answers{}, RiskNone, UrgencyNone, 0, nil, ""},
		{"PHQ-9 all 0", phq9, zeros, RiskNone, UrgencyNone, 0, nil, ""},
		{"PHQ-9 severe, item 9 = 0", phq9, with(answersFor(t, phq9, 24), nil), RiskNone, UrgencyNone, 0, nil, ""},
		{"PHQ-9 item 9 = 1 alone (partial)", phq9, Answers{"phq9_9": 1}, RiskPositive, UrgencyUrgent, 1, []string{"phq9_9"},
			"PHQ-9 item 9 (thoughts that they would be better off dead, or of hurting themselves): several days"},
		{"PHQ-9 item 9 = 2", phq9, with(zeros, Answers{"phq9_9": 2}), RiskPositive, UrgencyUrgent, 2, []string{"phq9_9"},
			"PHQ-9 item 9 (thoughts that they would be better off dead, or of hurting themselves): more than half the days"},
		{"PHQ-9 item 9 = 3", phq9, with(zeros, Answers{"phq9_9": 3}), RiskPositive, UrgencyUrgent, 3, []string{"phq9_9"},
			"PHQ-9 item 9 (thoughts that they would be better off dead, or of hurting themselves): nearly every day"},
		{"PHQ-9 item 9 = 4 is not on the scale: ignored", phq9, Answers{"phq9_9": 4}, RiskNone, UrgencyNone, 0, nil, ""},
		{"PHQ-9 unknown id ignored", phq9, Answers{"risk_5": 1}, RiskNone, UrgencyNone, 0, nil, ""},
		{"risk nothing answered", risk, Answers{}, RiskNone, UrgencyNone, 0, nil, ""},
		{"risk all no", risk, Answers{"risk_1": 0, "risk_2": 0, "risk_6": 0}, RiskNone, UrgencyNone, 0, nil, ""},
		{"risk Q1 yes alone", risk, Answers{"risk_1": 1}, RiskLow, UrgencyWorkingDay, 1, []string{"risk_1"},
			"Risk screen: low risk. Question 1 (wish to be dead): yes"},
		{"risk Q2 yes alone", risk, Answers{"risk_1": 0, "risk_2": 1}, RiskLow, UrgencyWorkingDay, 1, []string{"risk_2"},
			"Risk screen: low risk. Question 2 (active thoughts of suicide): yes"},
		{"risk Q3 yes", risk, Answers{"risk_1": 1, "risk_2": 1, "risk_3": 1}, RiskModerate, UrgencyUrgent, 2, []string{"risk_1", "risk_2", "risk_3"}, ""},
		{"risk Q4 yes", risk, Answers{"risk_2": 1, "risk_4": 1}, RiskHigh, UrgencyUrgent, 3, []string{"risk_2", "risk_4"}, ""},
		{"risk Q5 yes", risk, Answers{"risk_2": 1, "risk_5": 1}, RiskHigh, UrgencyUrgent, 3, []string{"risk_2", "risk_5"}, ""},
		{"defect 1: Q1 yes, Q2 no, Q5 yes", risk, Answers{"risk_1": 1, "risk_2": 0, "risk_5": 1, "risk_6": 0}, RiskHigh, UrgencyUrgent, 3, []string{"risk_1", "risk_5"},
			"Risk screen: high risk. Question 1 (wish to be dead): yes; question 5 (a plan, with intent to carry it out): yes"},
		{"risk Q2 no, Q3 yes (skipped) counts", risk, Answers{"risk_2": 0, "risk_3": 1}, RiskModerate, UrgencyUrgent, 2, []string{"risk_3"}, ""},
		{"risk behaviour ever, when not yet said", risk, Answers{"risk_6": 1}, RiskModerate, UrgencyUrgent, 2, []string{"risk_6"}, ""},
		{"risk behaviour more than 3 months ago", risk, Answers{"risk_6": 1, "risk_6_recent": 0}, RiskModerate, UrgencyUrgent, 2, []string{"risk_6"}, ""},
		{"risk behaviour within 3 months", risk, Answers{"risk_6": 1, "risk_6_recent": 1}, RiskHigh, UrgencyUrgent, 3, []string{"risk_6", "risk_6_recent"}, ""},
		{"risk recent yes after Q6 no (skipped) counts", risk, Answers{"risk_6": 0, "risk_6_recent": 1}, RiskHigh, UrgencyUrgent, 3, []string{"risk_6_recent"}, ""},
		{"risk recent no alone is no endorsement", risk, Answers{"risk_6": 0, "risk_6_recent": 0}, RiskNone, UrgencyNone, 0, nil, ""},
		{"risk answer 2 is not on the scale: ignored", risk, Answers{"risk_5": 2}, RiskNone, UrgencyNone, 0, nil, ""},
		{"risk low and moderate: the highest wins", risk, Answers{"risk_1": 1, "risk_6": 1, "risk_6_recent": 0}, RiskModerate, UrgencyUrgent, 2, []string{"risk_1", "risk_6"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Signal(tc.inst, tc.a)
			var ids []string
			for _, e := range got.Items {
				ids = append(ids, e.Item)
			}
			if got.Level != tc.level || got.Urgency != tc.urgency || got.Severity != tc.severity || !slices.Equal(ids, tc.items) {
				t.Errorf("Signal = level %q urgency %q severity %d items %v; want %q %q %d %v", got.Level, got.Urgency, got.Severity, ids, tc.level, tc.urgency, tc.severity, tc.items)
			}
			if got.Positive() != (tc.level != RiskNone) || got.Alert != got.Positive() {
				t.Errorf("Positive/Alert = %v/%v, want both %v", got.Positive(), got.Alert, tc.level != RiskNone)
			}
			if tc.words != "" && got.Words() != tc.words {
				t.Errorf("Words = %q, want %q", got.Words(), tc.words)
			}
			if tc.level == RiskNone && got.Words() != "" {
				t.Errorf("Words = %q, want none", got.Words())
			}
		})
	}
}

// TestSignalOtherInstruments: the GAD-7, GAD-2, PHQ-2 and PCL-5 have no risk
// item, so even their highest answers give no signal.
func TestSignalOtherInstruments(t *testing.T) {
	for _, id := range []string{"gad7", "gad2", "phq2", "pcl5"} {
		inst := mustGet(t, id)
		a := answersFor(t, inst, inst.Max)
		if s := Signal(inst, a); s.Positive() || s.Alert || s.Urgency != UrgencyNone {
			t.Errorf("%s at its maximum: Signal = %+v, want none", id, s)
		}
	}
}

func TestUrgencyAndHigher(t *testing.T) {
	for _, tc := range []struct {
		u             Urgency
		rank          int
		words, toUser string
	}{
		{UrgencyNone, 0, "", ""},
		{UrgencyWorkingDay, 1, "review within a working day", ": they are asked to look at your answers within a working day"},
		{UrgencyUrgent, 2, "urgent: review today", " as urgent: they are asked to look at your answers today"},
		{Urgency("something else"), 2, "urgent: review today", " as urgent: they are asked to look at your answers today"},
	} {
		if tc.u.Rank() != tc.rank || tc.u.Words() != tc.words || tc.u.PatientWords() != tc.toUser {
			t.Errorf("%q: rank %d words %q patient %q; want %d %q %q", tc.u, tc.u.Rank(), tc.u.Words(), tc.u.PatientWords(), tc.rank, tc.words, tc.toUser)
		}
	}
	for _, tc := range []struct {
		level RiskLevel
		want  Urgency
	}{{RiskNone, UrgencyNone}, {RiskLow, UrgencyWorkingDay}, {RiskModerate, UrgencyUrgent}, {RiskHigh, UrgencyUrgent}, {RiskPositive, UrgencyUrgent}} {
		if got := tc.level.Urgency(); got != tc.want {
			t.Errorf("%q.Urgency() = %q, want %q", tc.level, got, tc.want)
		}
	}
	risk := mustGet(t, "risk")
	phq9 := mustGet(t, "phq9")
	low, moderate, high := Signal(risk, Answers{"risk_1": 1}), Signal(risk, Answers{"risk_3": 1}), Signal(risk, Answers{"risk_5": 1})
	one, three := Signal(phq9, Answers{"phq9_9": 1}), Signal(phq9, Answers{"phq9_9": 3})
	for _, tc := range []struct {
		name string
		a, b RiskSignal
		want bool
	}{
		{"high over moderate", high, moderate, true},
		{"moderate over low", moderate, low, true},
		{"low not over high", low, high, false},
		{"low over none", low, RiskSignal{}, true},
		{"equal is not higher", high, high, false},
		{"item 9 nearly every day over several days", three, one, true},
		{"item 9 several days not over nearly every day", one, three, false},
	} {
		if got := tc.a.Higher(tc.b); got != tc.want {
			t.Errorf("%s: Higher = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestValidateAndParse(t *testing.T) {
	phq9 := mustGet(t, "phq9")
	risk := mustGet(t, "risk")
	for _, tc := range []struct {
		name     string
		inst     Instrument
		a        Answers
		ok       Answers
		bad      map[string]string
		original int
	}{
		{"empty", phq9, Answers{}, Answers{}, map[string]string{}, 0},
		{"all valid", phq9, Answers{"phq9_1": 0, "phq9_9": 3, "phq9_difficulty": 2}, Answers{"phq9_1": 0, "phq9_9": 3, "phq9_difficulty": 2}, map[string]string{}, 3},
		{"off the scale", phq9, Answers{"phq9_1": 4, "phq9_2": -1, "phq9_3": 1}, Answers{"phq9_3": 1},
			map[string]string{"phq9_1": "That answer is not one of the choices.", "phq9_2": "That answer is not one of the choices."}, 3},
		{"unknown id", phq9, Answers{"gad7_1": 1, "phq9_1": 1}, Answers{"phq9_1": 1}, map[string]string{"gad7_1": "That question is not part of this form."}, 2},
		{"skipped branch kept", risk, Answers{"risk_1": 1, "risk_2": 0, "risk_5": 1}, Answers{"risk_1": 1, "risk_2": 0, "risk_5": 1}, map[string]string{}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, bad := Validate(tc.inst, tc.a)
			if !maps.Equal(ok, tc.ok) || !maps.Equal(bad, tc.bad) {
				t.Errorf("Validate = %v, %v; want %v, %v", ok, bad, tc.ok, tc.bad)
			}
			if len(tc.a) != tc.original {
				t.Errorf("Validate changed its input: %v", tc.a)
			}
		})
	}
	form := map[string]string{"risk_1": " 1 ", "risk_2": "0", "risk_3": "", "risk_4": "abc", "risk_5": "1", "risk_6": "2", "action": "save"}
	ok, bad := Parse(risk, func(id string) string { return form[id] })
	if want := (Answers{"risk_1": 1, "risk_2": 0, "risk_5": 1}); !maps.Equal(ok, want) {
		t.Errorf("Parse answers = %v, want %v", ok, want)
	}
	if want := map[string]string{"risk_4": "That answer is not one of the choices.", "risk_6": "That answer is not one of the choices."}; !maps.Equal(bad, want) {
		t.Errorf("Parse refused = %v, want %v", bad, want)
	}
}

// randomAnswers makes a random answer set for inst: each item is left out,
// answered on its scale, or (with invalid) answered off it; sometimes an id
// that is not an item is added. With complete, every asked required item is
// answered on its scale.
func randomAnswers(rng *rand.Rand, inst Instrument, invalid, complete bool) Answers {
	a := Answers{}
	for _, it := range inst.Items {
		switch n := rng.IntN(10); {
		case n < 3 && !complete:
		case n == 3 && invalid:
			a[it.ID] = []int{-1, 5, 9, 2}[rng.IntN(4)]
			if hasOption(it, a[it.ID]) {
				a[it.ID] = 99
			}
		case n < 5 && complete && it.ShowIf != "":
			// sometimes leave a branch item out; filled below if asked
		default:
			a[it.ID] = it.Options[rng.IntN(len(it.Options))].Value
		}
	}
	if invalid && rng.IntN(4) == 0 {
		a["not_an_item_"+strconv.Itoa(rng.IntN(3))] = 1
	}
	if complete {
		for _, it := range inst.Items {
			if _, ok := a[it.ID]; !ok && asked(it, a) && required(inst, it) {
				a[it.ID] = it.Options[rng.IntN(len(it.Options))].Value
			}
		}
	}
	return a
}

// TestSignalProperties checks, over many random answer sets, partial and
// complete, for every instrument, what must always hold: the signal is
// positive exactly when some risk or triage item is endorsed, and then it
// alerts, with the level of the highest endorsed item and its urgency;
// adding answers never lowers it; Score's Risk equals the signal on every
// complete set and never refuses an answer for the branching; validation
// never drops a valid answer.
func TestSignalProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 2026))
	for _, inst := range All() {
		for n := range 2000 {
			invalid, complete := n%3 == 0, n%2 == 0 && n%3 != 0
			a := randomAnswers(rng, inst, invalid, complete)
			valid, bad := Validate(inst, a)
			// Validation never drops a valid answer, and refuses exactly the rest.
			for id, v := range a {
				_, isBad := bad[id]
				isValid := false
				for _, it := range inst.Items {
					isValid = isValid || (it.ID == id && hasOption(it, v))
				}
				if got, kept := valid[id]; isValid != (kept && got == v) || isValid == isBad {
					t.Fatalf("%s %v: Validate kept %v refused %v for %s", inst.ID, a, kept, isBad, id)
				}
			}
			if len(valid)+len(bad) != len(a) {
				t.Fatalf("%s %v: Validate %v + %v does not account for every answer", inst.ID, a, valid, bad)
			}
			s := Signal(inst, a)
			if !Signal(inst, valid).equal(s) {
				t.Fatalf("%s %v: Signal differs on the validated answers", inst.ID, a)
			}
			// Positive ⇔ some endorsed item; level is the highest; alert and urgency follow.
			want := RiskNone
			var endorsed []string
			for _, it := range inst.Items {
				v, ok := valid[it.ID]
				if !ok {
					continue
				}
				if it.Risk && v > 0 {
					endorsed, want = append(endorsed, it.ID), RiskPositive
				}
				for _, r := range inst.Triage {
					if r.Item == it.ID && r.Value == v {
						if !slices.Contains(endorsed, it.ID) {
							endorsed = append(endorsed, it.ID)
						}
						if r.Level.rank() > want.rank() {
							want = r.Level
						}
					}
				}
			}
			var got []string
			for _, e := range s.Items {
				got = append(got, e.Item)
				if !strings.Contains(strings.ToLower(s.Words()), e.Words) {
					t.Fatalf("%s %v: Words %q lacks %q", inst.ID, a, s.Words(), e.Words)
				}
			}
			// The form's marks (RiskAnswer) agree with Signal: an answer set
			// is positive exactly when one of its answers is marked.
			marked := false
			for id, v := range valid {
				marked = marked || RiskAnswer(inst, id, v)
			}
			if marked != s.Positive() {
				t.Fatalf("%s %v: RiskAnswer marks %v, Signal positive %v", inst.ID, a, marked, s.Positive())
			}
			if s.Positive() != (len(endorsed) > 0) || s.Alert != s.Positive() || s.Level != want || !slices.Equal(got, endorsed) {
				t.Fatalf("%s %v: Signal = %+v; want level %q items %v", inst.ID, a, s, want, endorsed)
			}
			if (s.Urgency == UrgencyNone) == s.Positive() || (s.Urgency == UrgencyWorkingDay) != (s.Level == RiskLow) {
				t.Fatalf("%s %v: urgency %q for level %q", inst.ID, a, s.Urgency, s.Level)
			}
			// More answers never lower the signal.
			more := maps.Clone(valid)
			maps.Copy(more, randomAnswers(rng, inst, false, false))
			for id, v := range valid {
				more[id] = v
			}
			if Signal(inst, valid).Higher(Signal(inst, more)) {
				t.Fatalf("%s: adding answers to %v lowered the signal (%v)", inst.ID, valid, more)
			}
			// Score agrees with Signal, and refuses only missing, off-scale or unknown answers.
			r, err := Score(inst, a)
			if err == nil && r.Risk != s.Level {
				t.Fatalf("%s %v: Score risk %q, Signal %q", inst.ID, a, r.Risk, s.Level)
			}
			if complete && err != nil {
				t.Fatalf("%s %v: complete set refused: %v", inst.ID, a, err)
			}
			if ve, ok := err.(*ValidationError); ok {
				for id, m := range ve.Fields {
					if _, given := valid[id]; given {
						t.Fatalf("%s %v: Score refused the valid answer %s: %s", inst.ID, a, id, m)
					}
				}
			}
		}
	}
}

func TestRiskAnswer(t *testing.T) {
	phq9, _ := Get("phq9")
	risk, _ := Get("risk")
	gad7, _ := Get("gad7")
	for _, c := range []struct {
		inst     Instrument
		id       string
		v        int
		want     bool
		question bool
	}{
		{phq9, "phq9_9", 0, false, true},
		{phq9, "phq9_9", 1, true, true},
		{phq9, "phq9_9", 3, true, true},
		{phq9, "phq9_9", 4, false, true}, // not a choice
		{phq9, "phq9_1", 3, false, false},
		{risk, "risk_1", 1, true, true},
		{risk, "risk_1", 0, false, true},
		{risk, "risk_2", 1, true, true},
		{risk, "risk_5", 1, true, true},
		{risk, "nope", 1, false, false},
		{gad7, "gad7_1", 3, false, false},
	} {
		if got := RiskAnswer(c.inst, c.id, c.v); got != c.want {
			t.Errorf("RiskAnswer(%s, %s, %d) = %v, want %v", c.inst.ID, c.id, c.v, got, c.want)
		}
		if got := RiskQuestion(c.inst, c.id); got != c.question {
			t.Errorf("RiskQuestion(%s, %s) = %v, want %v", c.inst.ID, c.id, got, c.question)
		}
	}
	// Every risk screen question has a risk answer: each shows crisis help.
	for _, it := range risk.Items {
		if !RiskQuestion(risk, it.ID) {
			t.Errorf("risk screen %s has no risk answer", it.ID)
		}
	}
}

// equal reports whether two signals say the same.
func (s RiskSignal) equal(t RiskSignal) bool {
	return s.Level == t.Level && s.Urgency == t.Urgency && s.Severity == t.Severity && s.Words() == t.Words() && len(s.Items) == len(t.Items)
}
