package clinic

import (
	"strings"
	"testing"
)

func TestMedicationLineText(t *testing.T) {
	tests := []struct {
		m    MedicationLine
		want string
	}{
		{MedicationLine{Name: "Lexapro", Dose: "10 mg", Frequency: "daily, and Xanax at night"}, "Lexapro 10 mg daily, and Xanax at night"},
		{MedicationLine{Name: "Lexapro", Frequency: "daily"}, "Lexapro daily"},
		{MedicationLine{Name: " Lexapro ", Dose: " 10  mg "}, "Lexapro 10 mg"},
		{MedicationLine{Name: "Lexapro"}, "Lexapro"},
		{MedicationLine{Dose: "10 mg", Frequency: "\tat night\n"}, "10 mg at night"},
		{MedicationLine{}, ""},
	}
	for _, tc := range tests {
		if got := tc.m.Text(); got != tc.want {
			t.Errorf("%+v.Text() = %q, want %q", tc.m, got, tc.want)
		}
	}
}

func TestIntakeRisk(t *testing.T) {
	for _, c := range []struct {
		name    string
		answers map[string]string
		want    bool
	}{
		{"no answers", nil, false},
		{"unanswered", map[string]string{"suicide_attempt": "yes"}, false},
		{"yes", map[string]string{IntakeRiskQuestion: "yes"}, true},
		{"yes among others", map[string]string{"suicide_attempt": "no", IntakeRiskQuestion: "yes", "psychosis": "unsure"}, true},
		{"no", map[string]string{IntakeRiskQuestion: "no"}, false},
		{"not sure", map[string]string{IntakeRiskQuestion: "unsure"}, true},
		{"blank", map[string]string{IntakeRiskQuestion: ""}, false},
		{"not a choice", map[string]string{IntakeRiskQuestion: "YES!"}, false},
	} {
		if got := IntakeRisk(c.answers); got != c.want {
			t.Errorf("%s: IntakeRisk(%v) = %v, want %v", c.name, c.answers, got, c.want)
		}
		if words := IntakeRiskWords(c.answers); c.want && !strings.Contains(words, map[bool]string{true: "not sure", false: "yes to"}[c.answers[IntakeRiskQuestion] == "unsure"]) {
			t.Errorf("%s: IntakeRiskWords = %q", c.name, words)
		}
	}
}
