package clinic

import "testing"

func TestCheckTransition(t *testing.T) {
	tests := []struct {
		from, to Stage
		reason   string
		ok       bool
		field    string
	}{
		{StageInquiry, StageScreening, "", true, ""},
		{StageScreening, StageMedical, "", true, ""},
		{StageMedical, StagePreparation, "", true, ""},
		{StagePreparation, StageDosing, "", true, ""},
		{StageDosing, StageIntegration, "", true, ""},
		{StageIntegration, StageDosing, "", true, ""},
		{StageIntegration, StageFollowUp, "", true, ""},
		{StageFollowUp, StageClosed, "Series complete.", true, ""},
		{StageFollowUp, StageClosed, "", false, "reason"},
		{StageScreening, StageNotEligible, "", false, "reason"},
		{StageScreening, StageNotEligible, "History of mania in the past month.", true, ""},
		{StageDosing, StagePaused, "  ", false, "reason"},
		{StagePaused, StageDosing, "", true, ""},
		{StageMedical, StageScreening, "", false, "reason"},
		{StageMedical, StageScreening, "Prescriber needs the cardiology letter.", true, ""},
		{StageInquiry, StageDosing, "", false, "stage"},
		{StageClosed, StageInquiry, "reopen", false, "stage"},
		{StageNotEligible, StageScreening, "", true, ""},
		{StageInquiry, "bogus", "", false, "stage"},
	}
	for _, tt := range tests {
		err := CheckTransition(tt.from, tt.to, tt.reason)
		if (err == nil) != tt.ok {
			t.Errorf("CheckTransition(%s, %s, %q) = %v, want ok %v", tt.from, tt.to, tt.reason, err, tt.ok)
			continue
		}
		if err != nil {
			if _, ok := err.(*Error).Fields[tt.field]; !ok {
				t.Errorf("CheckTransition(%s, %s, %q) error fields %v, want %q", tt.from, tt.to, tt.reason, err.(*Error).Fields, tt.field)
			}
		}
	}
	for _, s := range Stages {
		if s.Title() == "" || !s.Valid() {
			t.Errorf("stage %q has no title or is not valid", s)
		}
	}
}
