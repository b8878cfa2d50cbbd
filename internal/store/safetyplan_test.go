package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// TestSafetyPlanVersions: the patient and the care team build the plan
// together; every save is a new version with who saved it, the history
// keeps them all, an unchanged save makes none, and reads and writes are
// audited.
func TestSafetyPlanVersions(t *testing.T) {
	ctx := context.Background()
	pp := newPrepPractice(t)
	s := pp.s
	ps, err := s.Practice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ps.Phone = "+1 555 010 9999"
	if ps.TimeZone == "" {
		ps.TimeZone = "America/New_York"
	}
	if err := s.SavePractice(ctx, store.System, ps); err != nil {
		t.Fatalf("SavePractice: %v", err)
	}
	if ok, at, err := s.SafetyPlanExists(ctx, pp.pat, pp.patID); err != nil || ok || !at.IsZero() {
		t.Fatalf("SafetyPlanExists before any save = %v, %v, %v; want false", ok, at, err)
	}
	v, changed, err := s.SaveSafetyPlan(ctx, pp.thea, pp.patID, 0, map[string][]string{
		clinic.PlanWarningSigns: {"  I stop answering texts  ", "", "I can't sleep\r\nI skip meals"},
		clinic.PlanPeople:       {"Sam (sister) 555 010 2345"},
		"not_a_section":         {"dropped"},
	})
	if err != nil || v != 1 || !changed {
		t.Fatalf("first save = %d, %v, %v; want version 1", v, changed, err)
	}
	// The patient adds their reasons on top of version 1.
	v, changed, err = s.SaveSafetyPlan(ctx, pp.pat, pp.patID, 1, map[string][]string{
		clinic.PlanWarningSigns: {"I stop answering texts", "I can't sleep", "I skip meals"},
		clinic.PlanPeople:       {"Sam (sister) 555 010 2345"},
		clinic.PlanReasons:      {"My dog, Biscuit"},
	})
	if err != nil || v != 2 || !changed {
		t.Fatalf("patient's save = %d, %v, %v; want version 2", v, changed, err)
	}
	// The same plan again saves nothing.
	v, changed, err = s.SaveSafetyPlan(ctx, pp.rex, pp.patID, 2, map[string][]string{
		clinic.PlanWarningSigns: {"I stop answering texts", "I can't sleep", "I skip meals"},
		clinic.PlanPeople:       {"Sam (sister) 555 010 2345"},
		clinic.PlanReasons:      {"My dog, Biscuit"},
	})
	if err != nil || v != 2 || changed {
		t.Fatalf("unchanged save = %d, %v, %v; want version 2, not changed", v, changed, err)
	}
	plan, pc, err := s.SafetyPlan(ctx, pp.rex, pp.patID)
	if err != nil || plan == nil {
		t.Fatalf("SafetyPlan = %v, %v", plan, err)
	}
	if plan.Version != 2 || plan.AuthorName != pp.patName || plan.AuthorRole != clinic.RolePatient {
		t.Errorf("current plan = version %d by %q (%s); want 2 by %q", plan.Version, plan.AuthorName, plan.AuthorRole, pp.patName)
	}
	if plan.AuthorID != pp.pat.UserID || plan.AuthorID == "" {
		t.Errorf("current plan's author id = %q; want the patient's user %q (the page's saved notice is checked against it)", plan.AuthorID, pp.pat.UserID)
	}
	if got := strings.Join(plan.Lines(clinic.PlanWarningSigns), "|"); got != "I stop answering texts|I can't sleep|I skip meals" {
		t.Errorf("warning signs = %q", got)
	}
	if len(plan.Sections) != 3 {
		t.Errorf("sections = %v; want the three written (an unknown key dropped)", plan.Sections)
	}
	if pc.PracticePhone != "+1 555 010 9999" || !strings.Contains(pc.Therapist, pp.theaName) {
		t.Errorf("plan context = %+v; want the practice's phone and %q", pc, pp.theaName)
	}
	hist, err := s.SafetyPlanHistory(ctx, pp.pat, pp.patID)
	if err != nil || len(hist) != 2 {
		t.Fatalf("history = %d versions, %v; want 2", len(hist), err)
	}
	if hist[0].Version != 2 || hist[1].Version != 1 || hist[1].AuthorName != pp.theaName || hist[1].AuthorID != pp.thea.UserID || len(hist[1].Lines(clinic.PlanReasons)) != 0 {
		t.Errorf("history = %+v; want version 2 then thea's version 1 without reasons", hist)
	}
	if ok, at, err := s.SafetyPlanExists(ctx, pp.pat, pp.patID); err != nil || !ok || !at.Equal(hist[0].At) {
		t.Errorf("SafetyPlanExists = %v, %v, %v; want true at %v", ok, at, err, hist[0].At)
	}
	for action, want := range map[string]int{"safety_plan.save": 3, "safety_plan.read": 1, "safety_plan.history": 1} {
		n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = $1 AND patient_id = $2 AND outcome = 'success'`, action, pp.patID)
		if err != nil || n != want {
			t.Errorf("audit rows for %s = %d, %v; want %d", action, n, err, want)
		}
	}
	t.Logf("%d versions saved, 1 unchanged save refused to make a version", len(hist))
}

// TestSafetyPlanStaleEdit: a save started from an older version is refused
// with EConflict and saves nothing, so the page can show both texts.
func TestSafetyPlanStaleEdit(t *testing.T) {
	ctx := context.Background()
	pp := newPrepPractice(t)
	s := pp.s
	if _, _, err := s.SaveSafetyPlan(ctx, pp.pat, pp.patID, 0, map[string][]string{clinic.PlanCoping: {"Walk"}}); err != nil {
		t.Fatal(err)
	}
	// Thea opened version 1; the patient saves version 2 meanwhile.
	if _, _, err := s.SaveSafetyPlan(ctx, pp.pat, pp.patID, 1, map[string][]string{clinic.PlanCoping: {"Walk", "Music"}}); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.SaveSafetyPlan(ctx, pp.thea, pp.patID, 1, map[string][]string{clinic.PlanCoping: {"Walk", "Breathing"}})
	var ce *clinic.Error
	if clinic.ErrorCode(err) != clinic.EConflict || !errorsAs(err, &ce) || !strings.Contains(ce.Fields["plan"], "version 2") {
		t.Fatalf("stale save = %v; want EConflict naming version 2", err)
	}
	// A first save when a plan exists is stale too.
	if _, _, err := s.SaveSafetyPlan(ctx, pp.rex, pp.patID, 0, map[string][]string{clinic.PlanCoping: {"x"}}); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("save from no plan over version 2 = %v; want EConflict", err)
	}
	hist, err := s.SafetyPlanHistory(ctx, pp.thea, pp.patID)
	if err != nil || len(hist) != 2 || strings.Join(hist[0].Lines(clinic.PlanCoping), "|") != "Walk|Music" {
		t.Fatalf("after the stale saves: %d versions, %v, %+v; want the patient's two, unchanged", len(hist), err, hist)
	}
	// Saving again from the version now shown succeeds.
	if v, _, err := s.SaveSafetyPlan(ctx, pp.thea, pp.patID, 2, map[string][]string{clinic.PlanCoping: {"Walk", "Music", "Breathing"}}); err != nil || v != 3 {
		t.Errorf("save from version 2 = %d, %v; want 3", v, err)
	}
	// Bad input: a message at the section, nothing saved.
	_, _, err = s.SaveSafetyPlan(ctx, pp.pat, pp.patID, 3, map[string][]string{clinic.PlanReasons: {strings.Repeat("a", clinic.PlanMaxLineRune+1)}})
	if clinic.ErrorCode(err) != clinic.EInvalid || !errorsAs(err, &ce) || ce.Fields[clinic.PlanReasons] == "" {
		t.Errorf("too long a line = %v; want EInvalid at reasons", err)
	}
}

// TestSafetyPlanAccess: only the patient and their care team read or save
// the plan; another patient, another team's therapist and an admin are
// told it does not exist, and the refusal is audited; a therapist with
// emergency access reads it but cannot save it.
func TestSafetyPlanAccess(t *testing.T) {
	ctx := context.Background()
	pp := newPrepPractice(t)
	s := pp.s
	if _, _, err := s.SaveSafetyPlan(ctx, pp.pat, pp.patID, 0, map[string][]string{clinic.PlanReasons: {"Biscuit"}}); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]store.Actor{"bea": pp.bea, "theo": pp.theo, "ada": pp.ada} {
		if _, _, err := s.SafetyPlan(ctx, a, pp.patID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s reads pat's plan: %v; want ENotFound", name, err)
		}
		if _, err := s.SafetyPlanHistory(ctx, a, pp.patID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s reads pat's history: %v; want ENotFound", name, err)
		}
		if _, _, err := s.SafetyPlanExists(ctx, a, pp.patID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s asks whether pat has a plan: %v; want ENotFound", name, err)
		}
		if _, _, err := s.SaveSafetyPlan(ctx, a, pp.patID, 1, map[string][]string{clinic.PlanReasons: {"x"}}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s saves pat's plan: %v; want ENotFound", name, err)
		}
	}
	n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action LIKE 'safety_plan.%' AND outcome = 'denied' AND patient_id = $1`, pp.patID)
	if err != nil || n != 12 {
		t.Errorf("denied safety_plan audit rows = %d, %v; want 12", n, err)
	}

	// A therapist with emergency access reads the plan (a crisis is when
	// it is needed) but never saves it.
	if _, err := s.GrantEmergencyAccess(ctx, pp.theo, pp.patID, "Pat called in crisis; the care team is away."); err != nil {
		t.Fatal(err)
	}
	if plan, _, err := s.SafetyPlan(ctx, pp.theo, pp.patID); err != nil || plan == nil {
		t.Errorf("theo with emergency access reads pat's plan: %+v, %v", plan, err)
	}
	if _, _, err := s.SaveSafetyPlan(ctx, pp.theo, pp.patID, 1, map[string][]string{clinic.PlanReasons: {"x"}}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("theo with emergency access saves pat's plan: %v; want ENotFound", err)
	}
}
