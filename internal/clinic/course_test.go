package clinic

import (
	"testing"
	"time"
)

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
		{StageClosed, StageInquiry, "Returned in March after a relapse.", true, ""},
		{StageClosed, StageScreening, "", false, "reason"},
		{StageClosed, StageDosing, "Returned.", false, "stage"},
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

func TestStartsCourse(t *testing.T) {
	for _, from := range Stages {
		for _, to := range Stages {
			want := from == StageClosed && to != StageClosed
			if got := StartsCourse(from, to); got != want {
				t.Errorf("StartsCourse(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
}

func TestCourseAt(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, day) }
	courses := []Course{ // out of order on purpose
		{ID: "c2", Number: 2, Started: d(100)},
		{ID: "c1", Number: 1, Started: d(0), Closed: d(60)},
		{ID: "c3", Number: 3, Started: d(200)},
	}
	for _, tc := range []struct {
		name string
		day  int
		want string
	}{
		{"before every course: the first (a paper baseline from the referral)", -30, "c1"},
		{"at the first course's start", 0, "c1"},
		{"during the first course", 30, "c1"},
		{"after it closed, before the next: its follow-up", 80, "c1"},
		{"at the second course's start", 100, "c2"},
		{"during the second", 150, "c2"},
		{"the latest course", 400, "c3"},
	} {
		if got, ok := CourseAt(courses, d(tc.day)); !ok || got.ID != tc.want {
			t.Errorf("%s: CourseAt(day %d) = %s, %v; want %s", tc.name, tc.day, got.ID, ok, tc.want)
		}
	}
	same := []Course{{ID: "b", Number: 2, Started: d(5)}, {ID: "a", Number: 1, Started: d(5)}}
	if got, _ := CourseAt(same, d(5)); got.ID != "b" {
		t.Errorf("CourseAt(two starting at once) = %s, want the later number, b", got.ID)
	}
	if got, _ := CourseAt(same, d(1)); got.ID != "a" {
		t.Errorf("CourseAt(before two starting at once) = %s, want the first number, a", got.ID)
	}
	if _, ok := CourseAt(nil, d(0)); ok {
		t.Error("CourseAt(no courses) ok = true, want false")
	}
}
