package clinic

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestClearanceCurrent(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	t1, t2, t3 := t0.Add(24*time.Hour), t0.Add(48*time.Hour), t0.Add(72*time.Hour)
	basis := Intake{
		Answers:      map[string]string{"mania_history": "no", "heart_disease": "no", "glaucoma": "unsure"},
		Medications:  []MedicationLine{{Name: "Lexapro", Dose: "10 mg", Frequency: "daily"}, {Name: "Vitamin D", Dose: "2000 IU"}},
		Allergies:    "Penicillin",
		HistoryNotes: "",
		Goals:        "Feel less stuck.",
	}
	// with returns a copy of basis changed by fn.
	with := func(fn func(in *Intake)) Intake {
		in := Intake{Answers: map[string]string{}, Allergies: basis.Allergies, HistoryNotes: basis.HistoryNotes, Goals: basis.Goals}
		for k, v := range basis.Answers {
			in.Answers[k] = v
		}
		in.Medications = append(in.Medications, basis.Medications...)
		fn(&in)
		return in
	}
	same := func(in *Intake) {}
	questions := map[string]string{"mania_history": "Have you ever had mania?", "heart_disease": "Do you have heart disease?"}
	long := strings.Repeat("asthma as a child, ", 10)

	tests := []struct {
		name  string
		later []SentIntake
		want  []ClearanceChange // nil: current
	}{
		{"no later version", nil, nil},
		{"a re-save with nothing changed", []SentIntake{{Version: 2, Intake: with(same), At: t1}}, nil},
		{"case, spacing and order of medications do not count", []SentIntake{{Version: 2, At: t1, Intake: with(func(in *Intake) {
			in.Medications = []MedicationLine{{Name: " vitamin d ", Dose: "2000  iu"}, {Name: "LEXAPRO", Dose: "10 MG", Frequency: "Daily"}}
			in.Allergies = "  penicillin "
		})}}, nil},
		{"goals alone do not count", []SentIntake{{Version: 2, Intake: with(func(in *Intake) { in.Goals = "Sleep better." }), At: t1}}, nil},
		{"an empty medication line does not count", []SentIntake{{Version: 2, Intake: with(func(in *Intake) {
			in.Medications = append(in.Medications, MedicationLine{Name: " "})
		}), At: t1}}, nil},
		{"a change undone in a later version", []SentIntake{
			{Version: 2, Intake: with(func(in *Intake) { in.Answers["mania_history"] = "yes" }), At: t1},
			{Version: 3, Intake: with(same), At: t2},
		}, nil},
		{"answer changed", []SentIntake{{Version: 2, Intake: with(func(in *Intake) { in.Answers["mania_history"] = "yes" }), At: t1}},
			[]ClearanceChange{{What: "answer to “Have you ever had mania?” changed from no to yes", At: t1}}},
		{"answer changed to not sure, question without words", []SentIntake{{Version: 2, Intake: with(func(in *Intake) { in.Answers["glaucoma"] = "yes"; in.Answers["stroke"] = "unsure" }), At: t1}},
			[]ClearanceChange{{What: "answer to “glaucoma” changed from not sure to yes", At: t1}, {What: "new answer not sure to “stroke”", At: t1}}},
		{"answer withdrawn", []SentIntake{{Version: 2, Intake: with(func(in *Intake) { delete(in.Answers, "heart_disease") }), At: t1}},
			[]ClearanceChange{{What: "answer no to “Do you have heart disease?” withdrawn", At: t1}}},
		{"medication added", []SentIntake{{Version: 2, Intake: with(func(in *Intake) {
			in.Medications = append(in.Medications, MedicationLine{Name: "Adderall XR", Dose: "20mg", Frequency: "morning"})
		}), At: t1}}, []ClearanceChange{{What: "new medication: Adderall XR 20mg morning", At: t1}}},
		{"medication stopped", []SentIntake{{Version: 2, Intake: with(func(in *Intake) { in.Medications = in.Medications[1:] }), At: t1}},
			[]ClearanceChange{{What: "medication no longer listed: Lexapro 10 mg daily", At: t1}}},
		{"dose changed", []SentIntake{{Version: 2, Intake: with(func(in *Intake) { in.Medications[0].Dose = "20 mg" }), At: t1}},
			[]ClearanceChange{{What: "medication changed: Lexapro 10 mg daily → Lexapro 20 mg daily", At: t1}}},
		{"a second line for the same drug", []SentIntake{{Version: 2, Intake: with(func(in *Intake) {
			in.Medications = append(in.Medications, MedicationLine{Name: "lexapro", Dose: "5 mg", Frequency: "at night"})
		}), At: t1}}, []ClearanceChange{{What: "medication changed: Lexapro 10 mg daily → Lexapro 10 mg daily + lexapro 5 mg at night", At: t1}}},
		{"allergies changed and removed, history added", []SentIntake{
			{Version: 2, Intake: with(func(in *Intake) { in.Allergies = "Penicillin, latex" }), At: t1},
			{Version: 3, Intake: with(func(in *Intake) { in.Allergies = "Penicillin, latex"; in.HistoryNotes = long }), At: t2},
		}, []ClearanceChange{{What: "allergies: added “latex”", At: t1}, {What: "history notes added: “" + string([]rune(strings.TrimSpace(long))[:79]) + "…”", At: t2}}},
		{"text added at the end is shown on its own", []SentIntake{{Version: 2, Intake: with(func(in *Intake) { in.Allergies = "Penicillin (rash).  Latex too" }), At: t1}},
			[]ClearanceChange{{What: "allergies: added “(rash). Latex too”", At: t1}}},
		{"allergies removed", []SentIntake{{Version: 2, Intake: with(func(in *Intake) { in.Allergies = "" }), At: t1}},
			[]ClearanceChange{{What: "allergies removed", At: t1}}},
		{"allergies replaced", []SentIntake{{Version: 2, Intake: with(func(in *Intake) { in.Allergies = "latex" }), At: t1}},
			[]ClearanceChange{{What: "allergies changed to “latex”", At: t1}}},
		{"each change dated by the version that made it; versions given out of order", []SentIntake{
			{Version: 4, Intake: with(func(in *Intake) {
				in.Answers["mania_history"] = "yes"
				in.Medications[0].Dose = "20 mg"
			}), At: t3},
			{Version: 2, Intake: with(func(in *Intake) { in.Medications[0].Dose = "20 mg" }), At: t1},
			{Version: 3, Intake: with(func(in *Intake) { in.Medications[0].Dose = "20 mg"; in.Goals = "x" }), At: t2},
		}, []ClearanceChange{
			{What: "medication changed: Lexapro 10 mg daily → Lexapro 20 mg daily", At: t1},
			{What: "answer to “Have you ever had mania?” changed from no to yes", At: t3},
		}},
		{"a medication changed twice is dated by the last change", []SentIntake{
			{Version: 2, Intake: with(func(in *Intake) { in.Medications[0].Dose = "20 mg" }), At: t1},
			{Version: 3, Intake: with(func(in *Intake) { in.Medications[0].Dose = "15 mg" }), At: t2},
		}, []ClearanceChange{{What: "medication changed: Lexapro 10 mg daily → Lexapro 15 mg daily", At: t2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClearanceCurrent(basis, tt.later, questions)
			if got.Current != (tt.want == nil) || !reflect.DeepEqual(got.Changes, tt.want) {
				t.Errorf("ClearanceCurrent = current %v, changes %q; want current %v, changes %q", got.Current, got.Changes, tt.want == nil, tt.want)
			}
		})
	}
}

func TestClearanceCurrentFromEmptyBasis(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	got := ClearanceCurrent(Intake{}, []SentIntake{{Version: 2, At: at, Intake: Intake{HistoryNotes: "Migraine", Allergies: "latex", Medications: []MedicationLine{{Name: "Sertraline"}}}}}, nil)
	want := []ClearanceChange{{What: "new medication: Sertraline", At: at}, {What: "allergies added: “latex”", At: at}, {What: "history notes added: “Migraine”", At: at}}
	if got.Current || !reflect.DeepEqual(got.Changes, want) {
		t.Errorf("ClearanceCurrent(empty basis) = %v %q, want not current, %q", got.Current, got.Changes, want)
	}
}

func TestClearanceStatusDescribe(t *testing.T) {
	at := time.Date(2026, 12, 2, 14, 5, 0, 0, time.UTC)
	st := ClearanceStatus{Changes: []ClearanceChange{{What: "new medication: Adderall", At: at}, {What: "allergies removed", At: at.Add(time.Hour)}}}
	if got, want := st.Describe(nil), "new medication: Adderall (intake sent Wed Dec 2, 2026, 14:05 UTC). allergies removed (intake sent Wed Dec 2, 2026, 15:05 UTC)"; got != want {
		t.Errorf("Describe(nil) = %q, want %q", got, want)
	}
	ny := time.FixedZone("EST", -5*3600)
	if got, want := st.Describe(ny), "new medication: Adderall (intake sent Wed Dec 2, 2026, 09:05 EST). allergies removed (intake sent Wed Dec 2, 2026, 10:05 EST)"; got != want {
		t.Errorf("Describe(New York) = %q, want %q", got, want)
	}
	// Changes sent together are listed together, with one time.
	st.Changes = append(st.Changes, ClearanceChange{What: "history notes removed", At: at.Add(time.Hour)})
	if got, want := st.Describe(nil), "new medication: Adderall (intake sent Wed Dec 2, 2026, 14:05 UTC). allergies removed; history notes removed (intake sent Wed Dec 2, 2026, 15:05 UTC)"; got != want {
		t.Errorf("Describe(two at once) = %q, want %q", got, want)
	}
	wantGroups := []ClearanceChanges{{What: []string{"new medication: Adderall"}, At: at}, {What: []string{"allergies removed", "history notes removed"}, At: at.Add(time.Hour)}}
	if got := st.ByTime(); !reflect.DeepEqual(got, wantGroups) {
		t.Errorf("ByTime = %v, want %v", got, wantGroups)
	}
	if got := (ClearanceStatus{Current: true}).Describe(nil); got != "" {
		t.Errorf("Describe(current) = %q, want empty", got)
	}
}
