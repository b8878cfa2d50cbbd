package clinic

import "testing"

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
		{"not sure", map[string]string{IntakeRiskQuestion: "unsure"}, false},
		{"blank", map[string]string{IntakeRiskQuestion: ""}, false},
		{"not a choice", map[string]string{IntakeRiskQuestion: "YES!"}, false},
	} {
		if got := IntakeRisk(c.answers); got != c.want {
			t.Errorf("%s: IntakeRisk(%v) = %v, want %v", c.name, c.answers, got, c.want)
		}
	}
}
