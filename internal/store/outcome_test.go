package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// phq9Answers spreads total over the PHQ-9's first eight items (item 9: 0).
func phq9Answers(total int) measure.Answers {
	inst, _ := measure.Get("phq9")
	a := measure.Answers{}
	for _, it := range inst.Items {
		if it.Scored {
			a[it.ID] = 0
		}
	}
	for i := 0; total > 0; i = (i + 1) % 8 {
		if id := inst.Items[i].ID; a[id] < 3 {
			a[id]++
			total--
		}
	}
	return a
}

// outcomeFixture is a store with a settable clock, a therapist and an admin.
type outcomeFixture struct {
	s         *store.Store
	now       time.Time
	therapist store.Actor
	admin     store.Actor
}

func newOutcomeFixture(t *testing.T) *outcomeFixture {
	f := &outcomeFixture{s: storetest.Open(t), now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	f.s.Now = func() time.Time { return f.now }
	ctx := context.Background()
	for _, u := range []*clinic.User{
		{Email: "t@example.org", DisplayName: "Thea", Role: clinic.RoleTherapist},
		{Email: "a@example.org", DisplayName: "Ada", Role: clinic.RoleAdmin},
	} {
		if err := f.s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
		if u.Role == clinic.RoleAdmin {
			f.admin = store.Actor{UserID: u.ID, Role: u.Role}
		} else {
			f.therapist = store.Actor{UserID: u.ID, Role: u.Role}
		}
	}
	return f
}

func (f *outcomeFixture) patient(t *testing.T, name string) *store.Patient {
	t.Helper()
	p := &store.Patient{DisplayName: name}
	if err := f.s.CreatePatient(context.Background(), f.therapist, p, ""); err != nil {
		t.Fatal(err)
	}
	return p
}

// score enters a paper PHQ-9 of total, weeks after the fixture's start.
func (f *outcomeFixture) score(t *testing.T, p *store.Patient, start time.Time, weeks float64, total int) *store.Checkin {
	t.Helper()
	c, err := f.s.EnterPaperCheckin(context.Background(), f.therapist, p.ID, "phq9", phq9Answers(total), start.Add(time.Duration(weeks*7*24)*time.Hour))
	if err != nil || c.Total != total {
		t.Fatalf("paper PHQ-9 %d = %+v, %v", total, c, err)
	}
	return c
}

func (f *outcomeFixture) stage(t *testing.T, p *store.Patient, to clinic.Stage, reason string) {
	t.Helper()
	if err := f.s.ChangeStage(context.Background(), f.therapist, p.ID, to, reason); err != nil {
		t.Fatalf("stage %s: %v", to, err)
	}
}

// TestOutcomesPerCourse: a patient with two courses has two outcomes, the
// second from its own first score (not the first score ever); a score from
// before the patient was added belongs to their first course; a patient
// whose window closed with no score in it is counted as without a
// follow-up; the caseload's sparkline shows the latest course only.
func TestOutcomesPerCourse(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	start := f.now

	twice := f.patient(t, "Two Courses")
	c0 := f.score(t, twice, start, -1, 20) // a referral PHQ-9, before they were added
	f.now = start.Add(10 * 7 * 24 * time.Hour)
	f.score(t, twice, start, 6, 8)
	f.stage(t, twice, clinic.StageClosed, "Series complete.")
	f.now = start.Add(30 * 7 * 24 * time.Hour)
	if err := f.s.ChangeStage(ctx, f.therapist, twice.ID, clinic.StageScreening, ""); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("reopening without a reason = %v, want EInvalid", err)
	}
	f.stage(t, twice, clinic.StageScreening, "Returned after a relapse.")
	f.now = start.Add(40 * 7 * 24 * time.Hour)
	c2 := f.score(t, twice, start, 31, 14)
	f.score(t, twice, start, 37, 12)

	lost := f.patient(t, "No Follow-up")
	f.score(t, lost, start, 0, 15)
	f.score(t, lost, start, 2, 14) // before the window: not a follow-up

	waiting := f.patient(t, "Still Waiting")
	f.score(t, waiting, start, 39, 18)

	// The administrator counts the same courses, but gets no patient keys:
	// it cannot tell whose they are.
	counted, _, err := f.s.Outcomes(ctx, f.admin, "outcomes.read", []string{"phq9"})
	if err != nil || len(counted) != 4 {
		t.Fatalf("admin's outcomes = %d, %v; want the 4 courses", len(counted), err)
	}
	for _, r := range counted {
		if r.PatientKey != "" {
			t.Errorf("the admin got a course with patient key %q, want none", r.PatientKey)
		}
	}
	// The therapist gets a key per patient.
	results, w, err := f.s.Outcomes(ctx, f.therapist, "outcomes.read", []string{"phq9"})
	if err != nil {
		t.Fatal(err)
	}
	if w != measure.DefaultWindow {
		t.Errorf("window = %v, want the default %v", w, measure.DefaultWindow)
	}
	type got struct {
		course, baseline, followUp int
		status                     measure.FollowUpStatus
		response                   bool
	}
	byKey := map[string][]got{}
	var tl measure.Tally
	for _, r := range results {
		byKey[r.PatientKey] = append(byKey[r.PatientKey], got{r.Course, r.Outcome.Baseline.Total, r.Outcome.FollowUp.Total, r.Outcome.Status, r.Outcome.Outcome.Response})
		tl.Add(r.Outcome)
	}
	var two, one []got
	for _, v := range byKey {
		if len(v) == 2 {
			two = v
		}
		if len(v) == 1 && v[0].status == measure.FollowUpMissing {
			one = v
		}
	}
	if len(results) != 4 || len(two) != 2 {
		t.Fatalf("outcomes = %+v; want 4 courses, two of one patient", byKey)
	}
	if want := (got{1, 20, 8, measure.FollowUpDone, true}); two[0] != want {
		t.Errorf("first course = %+v, want %+v", two[0], want)
	}
	if want := (got{2, 14, 12, measure.FollowUpDone, false}); two[1] != want {
		t.Errorf("second course = %+v, want %+v (its own baseline, 14; not 20)", two[1], want)
	}
	if one == nil || one[0].baseline != 15 {
		t.Errorf("the patient without a follow-up = %+v, want a missing follow-up from 15", one)
	}
	if tl.FollowedUp != 2 || tl.Missing != 1 || tl.Pending != 1 || tl.IntentionToTreat() != 3 || tl.Response != 1 {
		t.Errorf("tally = %+v (ITT %d); want 2 followed up, 1 missing, 1 pending, ITT 3, 1 response", tl, tl.IntentionToTreat())
	}

	m, err := f.s.FindMeasures(ctx, f.therapist, twice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Checkins) != 4 || m.Checkins[0].ID != c0.ID || m.Checkins[0].CourseID == "" || m.Checkins[1].CourseID != m.Checkins[0].CourseID ||
		m.Checkins[2].ID != c2.ID || m.Checkins[2].CourseID == m.Checkins[0].CourseID || m.Checkins[3].CourseID != m.Checkins[2].CourseID {
		t.Errorf("check-in courses = %+v; want the first two in one course, the last two in another", m.Checkins)
	}
	scores, err := f.s.CaseloadScores(ctx, f.therapist, "phq9", []string{twice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if pts := scores[twice.ID]; len(pts) != 2 || pts[0].Total != 14 {
		t.Errorf("caseload scores = %+v, want the latest course's two, from 14", pts)
	}
	if n, err := store.CountForTest(ctx, f.s, `SELECT count(*) FROM courses WHERE patient_id = $1 AND closed_at IS NOT NULL AND number = 1`, twice.ID); err != nil || n != 1 {
		t.Errorf("closed first courses = %d, %v; want 1", n, err)
	}

	// Clinicians count only their care teams' patients.
	other := &clinic.User{Email: "o@example.org", DisplayName: "Otto", Role: clinic.RoleTherapist}
	if err := f.s.CreateUser(ctx, store.System, other, "h"); err != nil {
		t.Fatal(err)
	}
	if r, _, err := f.s.Outcomes(ctx, store.Actor{UserID: other.ID, Role: other.Role}, "outcomes.read", []string{"phq9"}); err != nil || len(r) != 0 {
		t.Errorf("another therapist's outcomes = %d, %v; want none", len(r), err)
	}
	if _, _, err := f.s.Outcomes(ctx, store.Actor{UserID: "x", Role: clinic.RolePatient}, "outcomes.read", []string{"phq9"}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a patient's outcomes = %v, want ENotFound", err)
	}
}

// TestOutcomeWindowSetting: the follow-up window is an admin's, within
// bounds, and the outcomes use it.
func TestOutcomeWindowSetting(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	if w, err := f.s.OutcomeWindow(ctx); err != nil || w != measure.DefaultWindow {
		t.Errorf("unset window = %v, %v; want the default", w, err)
	}
	if err := f.s.SaveOutcomeWindow(ctx, f.therapist, measure.Window{FromWeeks: 2, ToWeeks: 6}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist saving the window = %v, want ENotFound", err)
	}
	err := f.s.SaveOutcomeWindow(ctx, f.admin, measure.Window{FromWeeks: 12, ToWeeks: 4})
	if e, ok := err.(*clinic.Error); !ok || e.Code != clinic.EInvalid || e.Fields["to_weeks"] == "" {
		t.Errorf("a window ending before it starts = %v, want EInvalid at to_weeks", err)
	}
	if err := f.s.SaveOutcomeWindow(ctx, f.admin, measure.Window{FromWeeks: 1, ToWeeks: 3}); err != nil {
		t.Fatal(err)
	}
	p := f.patient(t, "Short Window")
	f.score(t, p, f.now, -6, 20)
	f.score(t, p, f.now, -4, 9) // two weeks after the baseline: inside 1–3 weeks, not inside 4–12
	r, w, err := f.s.Outcomes(ctx, f.admin, "outcomes.read", []string{"phq9"})
	if err != nil || w != (measure.Window{FromWeeks: 1, ToWeeks: 3}) || len(r) != 1 || r[0].Outcome.Status != measure.FollowUpDone || r[0].Outcome.FollowUp.Total != 9 {
		t.Errorf("outcomes with a 1–3-week window = %+v, %v, %v; want the 9 as follow-up", r, w, err)
	}
}

// TestCoursesMigrationBackfill: a database from before migration 0023
// gets one course per patient (closed for a closed patient), and every
// check-in, completed ones included, belongs to it.
func TestCoursesMigrationBackfill(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "0022_~") // every migration before 0023
	u := &clinic.User{Email: "t@example.org", DisplayName: "Thea", Role: clinic.RoleTherapist}
	oldSchemaUser(t, s, u)
	now := time.Now().UTC().Truncate(time.Second)
	for _, p := range []struct{ id, stage string }{{"p-open", "dosing"}, {"p-closed", "closed"}} {
		if err := store.ExecForTest(ctx, s, `INSERT INTO patients (id, display_name, created_by, created_at, updated_at, stage) VALUES ($1, $1, $2, $3, $3, $4)`, p.id, u.ID, now.Add(-100*24*time.Hour), p.stage); err != nil {
			t.Fatal(err)
		}
		if err := store.ExecForTest(ctx, s, `INSERT INTO checkins (id, patient_id, instrument, status, answers, total, author_id, started_at, completed_at) VALUES ($1, $2, 'phq9', 'complete', '{}', 12, $3, $4, $4)`, p.id+"-c", p.id, u.ID, now.Add(-50*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.ExecForTest(ctx, s, `INSERT INTO stage_changes (id, patient_id, from_stage, to_stage, reason, actor_id, at) VALUES ('sc1', 'p-closed', 'follow_up', 'closed', 'Done.', $1, $2)`, u.ID, now.Add(-10*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		q    string
		want int
	}{
		{`SELECT count(*) FROM courses WHERE number = 1 AND started_at IS NOT NULL`, 2},
		{`SELECT count(*) FROM courses WHERE patient_id = 'p-closed' AND closed_at IS NOT NULL`, 1},
		{`SELECT count(*) FROM courses WHERE patient_id = 'p-open' AND closed_at IS NULL`, 1},
		{`SELECT count(*) FROM checkins c JOIN courses k ON k.id = c.course_id AND k.patient_id = c.patient_id`, 2},
	} {
		if n, err := store.CountForTest(ctx, s, q.q); err != nil || n != q.want {
			t.Errorf("%s = %d, %v; want %d", q.q, n, err, q.want)
		}
	}
	if err := store.ExecForTest(ctx, s, `UPDATE checkins SET total = 0 WHERE id = 'p-open-c'`); err == nil {
		t.Error("a completed check-in changed after the migration: the immutability trigger is gone")
	}
}
