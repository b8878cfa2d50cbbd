package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// answersOf spreads total over the first scored items of instrument id
// (PHQ-9 and GAD-7 items score 0 to 3; PHQ-9 item 9 is left at 0).
func answersOf(t *testing.T, id string, total int) measure.Answers {
	t.Helper()
	inst, ok := measure.Get(id)
	if !ok {
		t.Fatalf("no instrument %s", id)
	}
	a := measure.Answers{}
	var scored []string
	for _, it := range inst.Items {
		if it.Scored {
			a[it.ID] = 0
			scored = append(scored, it.ID)
		}
	}
	if id == "phq9" {
		scored = scored[:8]
	}
	for i := 0; total > 0; i = (i + 1) % len(scored) {
		if a[scored[i]] < 3 {
			a[scored[i]]++
			total--
		}
	}
	return a
}

// outcomeKey is what the dashboard tells one course apart by.
type outcomeKey struct {
	instrument, therapist, period string
	status                        measure.FollowUpStatus
	baseline, followUp            int
}

// countsOfResults counts per-course results as OutcomeCounts groups them.
func countsOfResults(rs []store.CourseResult) map[outcomeKey]int {
	m := map[outcomeKey]int{}
	for _, r := range rs {
		k := outcomeKey{r.Instrument, r.Therapist, r.Outcome.Period(), r.Outcome.Status, r.Outcome.Baseline.Total, r.Outcome.FollowUp.Total}
		if r.Outcome.Status == measure.FollowUpPending {
			k.period = ""
		}
		m[k]++
	}
	return m
}

func countsOf(cs []store.OutcomeCount) map[outcomeKey]int {
	m := map[outcomeKey]int{}
	for _, c := range cs {
		m[outcomeKey{c.Instrument, c.Therapist, c.Period, c.Outcome.Status, c.Outcome.Baseline.Total, c.Outcome.FollowUp.Total}] += c.N
	}
	return m
}

// sameOutcomes checks that the summary's answers (Outcomes, OutcomeCounts)
// are the ones computed from every check-in (the oracle), for actor.
func sameOutcomes(t *testing.T, s *store.Store, actor store.Actor, what string) {
	t.Helper()
	ctx := context.Background()
	insts := []string{"phq9", "gad7"}
	want, ww, err := s.OutcomesFromCheckinsForTest(ctx, actor, "outcomes.read", insts)
	if err != nil {
		t.Fatal(err)
	}
	got, gw, err := s.Outcomes(ctx, actor, "outcomes.read", insts)
	if err != nil {
		t.Fatal(err)
	}
	if gw != ww || len(got) != len(want) {
		t.Fatalf("%s: %d courses with window %v from the summary, %d with %v from the check-ins", what, len(got), gw, len(want), ww)
	}
	for i := range want {
		if g, w := fmt.Sprintf("%+v", got[i]), fmt.Sprintf("%+v", want[i]); g != w {
			t.Fatalf("%s: course %d from the summary %s\nfrom the check-ins %s", what, i, g, w)
		}
	}
	counts, cw, err := s.OutcomeCounts(ctx, actor, "outcomes.read", insts)
	if err != nil || cw != ww {
		t.Fatalf("%s: counts with window %v, %v", what, cw, err)
	}
	if g, w := fmt.Sprint(countsOf(counts)), fmt.Sprint(countsOfResults(want)); g != w {
		t.Fatalf("%s: counts from the summary %s\nfrom the check-ins %s", what, g, w)
	}
}

// agree checks that every row of the summary equals its course summarized
// from the raw check-ins.
func agree(t *testing.T, s *store.Store, what string) {
	t.Helper()
	diffs, err := store.OutcomeCoursesAgreeForTest(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Fatalf("%s: the summary differs from its check-ins:\n%s", what, strings.Join(diffs, "\n"))
	}
}

// TestOutcomeCoursesFollowEveryWrite: over a random sequence of writes —
// check-ins completed now, paper ones dated in the past (before a course's
// first score, on the same day as others, at the same moment as the
// latest), unfinished saves, courses closed and reopened, the follow-up
// window changed, a patient archived — the summary kept in each write's
// transaction always equals the courses summarized again from the
// check-ins, and the dashboard's answers from it (per course and counted)
// equal those computed from every check-in, for an administrator and for
// each therapist.
func TestOutcomeCoursesFollowEveryWrite(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	other := &clinic.User{Email: "o@example.org", DisplayName: "Otto", Role: clinic.RoleTherapist}
	if err := f.s.CreateUser(ctx, store.System, other, "h"); err != nil {
		t.Fatal(err)
	}
	otto := store.Actor{UserID: other.ID, Role: other.Role}
	var pts []*store.Patient
	var owners []store.Actor
	for i := range 5 {
		owner := f.therapist
		if i%2 == 1 {
			owner = otto
		}
		p := &store.Patient{DisplayName: fmt.Sprintf("Patient %d", i)}
		if err := f.s.CreatePatient(ctx, owner, p, ""); err != nil {
			t.Fatal(err)
		}
		pts, owners = append(pts, p), append(owners, owner)
	}
	windows := []measure.Window{{FromWeeks: 1, ToWeeks: 3}, measure.DefaultWindow, {FromWeeks: 2, ToWeeks: 20}}
	rng := rand.New(rand.NewPCG(18, 44))
	steps := 160
	if testing.Short() {
		steps = 60
	}
	for step := range steps {
		i := rng.IntN(len(pts))
		p, owner := pts[i], owners[i]
		inst := []string{"phq9", "gad7"}[rng.IntN(2)]
		total := rng.IntN(22)
		var what string
		switch op := rng.IntN(20); {
		case op < 7:
			what = "completed now"
			if _, err := f.s.SaveCheckin(ctx, owner, p.ID, inst, answersOf(t, inst, total), true); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		case op < 13:
			// On a past day at midnight (the same moment as other paper
			// scores of that day), or at this very moment.
			at := f.now.Truncate(24 * time.Hour).Add(-time.Duration(rng.IntN(140)) * 24 * time.Hour)
			if rng.IntN(4) == 0 {
				at = f.now
			}
			what = "on paper " + at.Format(time.DateTime)
			if _, err := f.s.EnterPaperCheckin(ctx, owner, p.ID, inst, answersOf(t, inst, total), at); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		case op < 14:
			what = "saved unfinished"
			a := answersOf(t, inst, total)
			for k := range a {
				delete(a, k)
				break
			}
			if _, err := f.s.SaveCheckin(ctx, owner, p.ID, inst, a, false); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		case op < 17:
			what = "a week or more later"
			f.now = f.now.Add(time.Duration(7+rng.IntN(30)) * 24 * time.Hour)
		case op < 18:
			what = "course closed, then reopened"
			if err := f.s.ChangeStage(ctx, owner, p.ID, clinic.StageClosed, "Series complete."); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			f.now = f.now.Add(time.Hour)
			if err := f.s.ChangeStage(ctx, owner, p.ID, clinic.StageScreening, "Returned."); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			f.now = f.now.Add(time.Hour)
		default:
			w := windows[rng.IntN(len(windows))]
			what = "window " + w.String()
			if err := f.s.SaveOutcomeWindow(ctx, f.admin, w); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
		agree(t, f.s, fmt.Sprintf("step %d (%s)", step, what))
		if step%10 == 9 {
			for _, a := range []store.Actor{f.admin, f.therapist, otto} {
				sameOutcomes(t, f.s, a, fmt.Sprintf("step %d, %s", step, a.UserID))
			}
		}
	}
	// An archived patient's courses are kept, and no longer counted.
	if err := store.ExecForTest(ctx, f.s, `UPDATE patients SET archived_at = $1 WHERE id = $2`, f.now, pts[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, a := range []store.Actor{f.admin, f.therapist, otto} {
		sameOutcomes(t, f.s, a, "after an archive")
	}
}

// TestOutcomeCoursesRefreshStaleRows: a row kept for another window than
// the practice's (as a completion racing a window change on PostgreSQL can
// leave) is computed again before it is read, in SQL, to what the
// check-ins give.
func TestOutcomeCoursesRefreshStaleRows(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	p := f.patient(t, "Stale Row")
	f.score(t, p, f.now, -10, 20)
	f.score(t, p, f.now, -8, 9)
	f.score(t, p, f.now, -2, 4)
	if err := store.ExecForTest(ctx, f.s, `UPDATE outcome_courses SET window_weeks = '1-3', follow_up_id = NULL, follow_up_at = NULL, follow_up_total = NULL, period = 'x'`); err != nil {
		t.Fatal(err)
	}
	if diffs, _ := store.OutcomeCoursesAgreeForTest(ctx, f.s); len(diffs) == 0 {
		t.Fatal("a row spoiled by hand agrees with its check-ins: the comparison sees nothing")
	}
	sameOutcomes(t, f.s, f.therapist, "after a stale row")
	agree(t, f.s, "after the dashboard's read")
}

// TestOutcomeCoursesMigrationBackfill: migration 0044 fills the summary
// from the check-ins already there, on either engine: courses numbered or
// without a course (counted as the first), scores at the same moment,
// a window saved by the practice (and an unreadable one, which reads as
// the default).
func TestOutcomeCoursesMigrationBackfill(t *testing.T) {
	for _, setting := range []string{"2-9", "", "12-4"} {
		t.Run("window "+setting, func(t *testing.T) {
			ctx := context.Background()
			s := openThrough(t, "0043_~") // every migration before 0044
			u := &clinic.User{Email: "t@example.org", DisplayName: "Thea", Role: clinic.RoleTherapist}
			oldSchemaUser(t, s, u)
			base := time.Date(2025, 3, 3, 9, 30, 0, 123456000, time.UTC)
			exec := func(q string, args ...any) {
				t.Helper()
				if err := store.ExecForTest(ctx, s, q, args...); err != nil {
					t.Fatal(err)
				}
			}
			if setting != "" {
				exec(`INSERT INTO practice_settings (key, value, updated_at) VALUES ('outcome_window', $1, $2)`, setting, base)
			}
			for _, pid := range []string{"p1", "p2"} {
				exec(`INSERT INTO patients (id, display_name, created_by, created_at, updated_at, stage) VALUES ($1, $1, $2, $3, $3, 'dosing')`, pid, u.ID, base)
				exec(`INSERT INTO courses (id, patient_id, number, started_at) VALUES ($1, $2, 1, $3)`, pid+"-k1", pid, base)
				exec(`INSERT INTO courses (id, patient_id, number, started_at) VALUES ($1, $2, 2, $3)`, pid+"-k2", pid, base.Add(200*24*time.Hour))
				exec(`INSERT INTO care_team (id, patient_id, user_id, team_role, is_owner, added_by, added_at) VALUES ($1, $2, $3, 'therapist', true, $3, $4)`, pid+"-t", pid, u.ID, base)
			}
			n := 0
			add := func(pid, inst string, course any, days float64, total int) {
				n++
				at := base.Add(time.Duration(days * 24 * float64(time.Hour)))
				exec(`INSERT INTO checkins (id, patient_id, instrument, status, answers, total, author_id, started_at, completed_at, course_id) VALUES ($1, $2, $3, 'complete', '{}', $4, $5, $6, $6, $7)`,
					fmt.Sprintf("c%03d", n), pid, inst, total, u.ID, at, course)
			}
			add("p1", "phq9", "p1-k1", 0, 20)
			add("p1", "phq9", "p1-k1", 14, 15) // two weeks: inside 2-9 only
			add("p1", "phq9", "p1-k1", 28, 12) // four weeks: inside both
			add("p1", "phq9", "p1-k1", 28, 11) // the same moment, a later id
			add("p1", "phq9", "p1-k1", 84, 6)  // twelve weeks to the microsecond: the default window's last moment
			add("p1", "phq9", "p1-k2", 210, 16)
			add("p1", "gad7", nil, 3, 12) // no course: the first
			add("p1", "gad7", "p1-k1", 40, 5)
			add("p2", "phq9", "p2-k1", 1, 9)
			exec(`INSERT INTO checkins (id, patient_id, instrument, status, answers, author_id, started_at, course_id) VALUES ('c-open', 'p2', 'phq9', 'in_progress', '{}', $1, $2, 'p2-k1')`, u.ID, base)
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM outcome_courses`); err != nil || n != 4 {
				t.Errorf("summary rows = %d, %v; want 4 (p1 PHQ-9 twice, p1 GAD-7, p2 PHQ-9)", n, err)
			}
			agree(t, s, "after migration 0044")
		})
	}
}

// TestOutcomeCoursesOnTheDemo: on the demo practice (seeded through the
// app, then grown with demo --scale, whose bulk writer fills the summary
// itself), the summary equals its check-ins, and the dashboard's figures
// from it equal the ones computed from every check-in, for the
// administrator and every therapist, before and after the window changes.
func TestOutcomeCoursesOnTheDemo(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	params := auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}
	if _, err := demo.Seed(ctx, st, t.TempDir(), params); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Scale(ctx, st, 40, params, 1, nil); err != nil {
		t.Fatal(err)
	}
	agree(t, st, "the demo")
	var actors []store.Actor
	for _, role := range []clinic.Role{clinic.RoleAdmin, clinic.RoleTherapist} {
		us, err := st.ListStaff(ctx, role)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			actors = append(actors, store.Actor{UserID: u.ID, Role: u.Role})
		}
	}
	if len(actors) < 2 {
		t.Fatalf("demo staff = %d, want an administrator and therapists", len(actors))
	}
	for _, a := range actors {
		sameOutcomes(t, st, a, "demo, "+string(a.Role)+" "+a.UserID)
	}
	if err := st.SaveOutcomeWindow(ctx, actors[0], measure.Window{FromWeeks: 17, ToWeeks: 35}); err != nil {
		t.Fatal(err)
	}
	agree(t, st, "the demo with a 17-35 week window")
	for _, a := range actors {
		sameOutcomes(t, st, a, "demo 17-35, "+string(a.Role)+" "+a.UserID)
	}
}

// TestOutcomeCoursesConcurrentWindowChange: check-ins completed while an
// administrator changes the follow-up window (concurrent transactions on
// PostgreSQL; one writer at a time on SQLite) all succeed, nothing
// deadlocks, and once the dashboard has read the summary (computing again
// any row kept for an older window) it equals its check-ins and the
// dashboard's answers equal those from every check-in.
func TestOutcomeCoursesConcurrentWindowChange(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	var tick atomic.Int64
	base := f.now
	f.s.Now = func() time.Time { return base.Add(time.Duration(tick.Add(1)) * 36 * time.Hour) }
	var pts []*store.Patient
	for i := range 4 {
		pts = append(pts, f.patient(t, fmt.Sprintf("Concurrent %d", i)))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i, p := range pts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 12 {
				inst := []string{"phq9", "gad7"}[n%2]
				if _, err := f.s.SaveCheckin(ctx, f.therapist, p.ID, inst, answersOf(t, inst, (i*7+n*5)%22), true); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := range 8 {
			w := []measure.Window{{FromWeeks: 1, ToWeeks: 3}, measure.DefaultWindow}[n%2]
			if err := f.s.SaveOutcomeWindow(ctx, f.admin, w); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sameOutcomes(t, f.s, f.admin, "after concurrent writes")
	agree(t, f.s, "after concurrent writes and a read")
}

// BenchmarkOutcomeCounts: the dashboard's read of a scaled demo practice
// from the outcome summary, beside the computation from every check-in
// it replaced (the oracle), as an administrator.
func BenchmarkOutcomeCounts(b *testing.B) {
	ctx := context.Background()
	st := storetest.Open(b)
	params := auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}
	if _, err := demo.Seed(ctx, st, b.TempDir(), params); err != nil {
		b.Fatal(err)
	}
	if _, err := demo.Scale(ctx, st, 300, params, 1, nil); err != nil {
		b.Fatal(err)
	}
	admins, err := st.ListStaff(ctx, clinic.RoleAdmin)
	if err != nil || len(admins) == 0 {
		b.Fatalf("admins: %v", err)
	}
	admin := store.Actor{UserID: admins[0].ID, Role: admins[0].Role}
	b.Run("summary", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := st.OutcomeCounts(ctx, admin, "outcomes.read", []string{"phq9"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("checkins", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := st.OutcomesFromCheckinsForTest(ctx, admin, "outcomes.read", []string{"phq9"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
