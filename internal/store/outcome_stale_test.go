package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// riskyPHQ9 is a PHQ-9 of total on items 1 to 8 with item 9 (thoughts of
// being better off dead or of self-harm) answered "several days".
func riskyPHQ9(total int) measure.Answers {
	a := phq9Answers(total)
	inst, _ := measure.Get("phq9")
	a[inst.Items[8].ID] = 1
	return a
}

// completeRisky completes a risky PHQ-9 for p and checks that it
// committed whole: complete with its score, its alert raised, its audit row.
func completeRisky(ctx context.Context, t *testing.T, f *outcomeFixture, p *store.Patient, total int, what string) {
	t.Helper()
	c, err := f.s.SaveCheckin(ctx, f.therapist, p.ID, "phq9", riskyPHQ9(total), true)
	if err != nil {
		t.Fatalf("%s: completion failed: %v", what, err)
	}
	if !c.Complete || c.Total != total+1 || c.Alert == nil {
		t.Fatalf("%s: completion = complete %v, total %d (want %d), alert %v", what, c.Complete, c.Total, total+1, c.Alert)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM checkins WHERE id = $1 AND status = 'complete'`:                                 1,
		`SELECT count(*) FROM audit_events WHERE action = 'checkin.complete' AND object_id = $1`:              1,
		`SELECT count(*) FROM safety_alerts a JOIN checkins c ON c.patient_id = a.patient_id WHERE c.id = $1`: 1,
	} {
		if n, err := store.CountForTest(ctx, f.s, q, c.ID); err != nil || n != want {
			t.Fatalf("%s: %s = %d, %v; want %d", what, q, n, err, want)
		}
	}
}

// TestCompletionSurvivesOutcomeSummaryFailure: a completion whose outcome
// summary update fails (a first score with no row yet, a later one, one
// among concurrent completions of other patients) still commits, with its
// alert and audit row; the course is noted stale, and the dashboard then
// counts what the check-ins give (the oracle), the summary agreeing again
// row by row.
func TestCompletionSurvivesOutcomeSummaryFailure(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	start := f.now
	failing := f.patient(t, "Failing Summary")
	others := []*store.Patient{f.patient(t, "Other A"), f.patient(t, "Other B"), f.patient(t, "Other C")}
	for _, p := range others {
		f.score(t, p, start, -9, 18)
	}
	broken := errors.New("injected: the summary update failed")
	store.SetOutcomeFaultForTest(f.s, func(pid string) error {
		if pid == failing.ID {
			return broken
		}
		return nil
	})
	f.now = start.Add(time.Hour)
	completeRisky(ctx, t, f, failing, 17, "first score, no summary row yet")
	store.SetOutcomeFaultForTest(f.s, nil)
	f.score(t, failing, start, -8, 20) // a paper score before it: the course is summarized again from its check-ins
	store.SetOutcomeFaultForTest(f.s, func(pid string) error {
		if pid == failing.ID {
			return broken
		}
		return nil
	})
	f.now = start.Add(6 * 7 * 24 * time.Hour)
	completeRisky(ctx, t, f, failing, 9, "a later score")

	// Concurrent completions of other patients (grouped into one commit
	// on SQLite) beside the failing one: each commits with its own summary.
	var wg sync.WaitGroup
	errs := make(chan error, len(others)+1)
	for _, p := range append([]*store.Patient{failing}, others...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := f.s.SaveCheckin(ctx, f.therapist, p.ID, "phq9", riskyPHQ9(5), true); err != nil || c.Alert == nil {
				errs <- errors.Join(err, errors.New("no alert"))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	store.SetOutcomeFaultForTest(f.s, nil)

	if n, err := store.CountForTest(ctx, f.s, `SELECT count(*) FROM outcome_stale WHERE patient_id = $1`, failing.ID); err != nil || n != 3 {
		t.Fatalf("stale notes of the failing patient = %d, %v; want 3", n, err)
	}
	if n, err := store.CountForTest(ctx, f.s, `SELECT count(*) FROM outcome_stale WHERE patient_id <> $1`, failing.ID); err != nil || n != 0 {
		t.Fatalf("stale notes of the others = %d, %v; want none", n, err)
	}
	if diffs, _ := store.OutcomeCoursesAgreeForTest(ctx, f.s); len(diffs) == 0 {
		t.Fatal("the failing patient's summary agrees with its check-ins before the dashboard read: nothing was missed, the test shows nothing")
	}
	sameOutcomes(t, f.s, f.therapist, "after failed summary updates")
	sameOutcomes(t, f.s, f.admin, "after failed summary updates, as an administrator")
	agree(t, f.s, "after the dashboard's read")
	if n, err := store.CountForTest(ctx, f.s, `SELECT count(*) FROM outcome_stale`); err != nil || n != 0 {
		t.Fatalf("stale notes left after the dashboard's read = %d, %v", n, err)
	}
	// The summary goes on from the recomputed row.
	f.now = f.now.Add(2 * 7 * 24 * time.Hour)
	completeRisky(ctx, t, f, failing, 3, "after the recompute")
	agree(t, f.s, "after a completion following the recompute")
	sameOutcomes(t, f.s, f.therapist, "after a completion following the recompute")
}

// TestCompletionDoesNotWaitForOutcomeRefresh: a completion never waits
// behind the dashboard's refresh of the summary. On PostgreSQL the
// refresh's transaction is held open, holding the rows of the patient's
// course it rewrote (kept for another window) and the key of the patient's
// instrument it summarized again (noted stale): the completion commits,
// with its alert and audit row, while it is open. On SQLite, whose writes
// run one at a time, the refresh is one write among the others, and the
// completion waits only for its turn (shown there by the refresh being
// released before the completion is asked). Either way the dashboard then
// counts what the check-ins give.
func TestCompletionDoesNotWaitForOutcomeRefresh(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	start := f.now
	p := f.patient(t, "Busy Dashboard")
	f.score(t, p, start, -10, 20)
	f.score(t, p, start, -6, 12)
	store.SetOutcomeFaultForTest(f.s, func(string) error { return errors.New("injected") })
	f.score(t, p, start, -4, 10) // noted stale: the refresh will summarize p's PHQ-9 again
	store.SetOutcomeFaultForTest(f.s, nil)
	if err := store.ExecForTest(ctx, f.s, `UPDATE outcome_courses SET window_weeks = '1-3' WHERE patient_id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	held, release := make(chan struct{}), make(chan struct{})
	refreshed := make(chan error, 1)
	go func() { refreshed <- store.HoldOutcomeRefreshForTest(ctx, f.s, held, release) }()
	<-held
	f.now = start.Add(time.Hour)
	if f.s.Engine() == store.EnginePostgres {
		// A completion that waited would wait for good: bound it so the
		// test fails instead of hanging.
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		completeRisky(cctx, t, f, p, 14, "while a refresh holds the patient's course")
		cancel()
		if n, err := store.CountForTest(ctx, f.s, `SELECT count(*) FROM outcome_stale WHERE patient_id = $1`, p.ID); err != nil || n < 1 {
			t.Fatalf("stale notes = %d, %v; want the completion's own", n, err)
		}
		close(release)
	} else {
		close(release)
		if err := <-refreshed; err != nil {
			t.Fatal(err)
		}
		refreshed <- nil
		completeRisky(ctx, t, f, p, 14, "after a refresh")
	}
	if err := <-refreshed; err != nil {
		t.Fatal(err)
	}
	sameOutcomes(t, f.s, f.therapist, "after a completion beside a refresh")
	agree(t, f.s, "after a completion beside a refresh and a read")
}
