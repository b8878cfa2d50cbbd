package job_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/job"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLog(t *testing.T) (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runner log:\n%s", buf)
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// startRuns runs r.Run in n goroutines and returns a function that stops
// them and waits.
func startRuns(t *testing.T, ctx context.Context, r *job.Runner, n int) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := r.Run(ctx); err != nil {
				t.Errorf("Run(%s): %v", r.Worker, err)
			}
		})
	}
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s: %v", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func countJobs(t *testing.T, s *store.Store, status string) int {
	t.Helper()
	jobs, err := s.ListJobs(context.Background(), status, 100000)
	if err != nil {
		t.Fatal(err)
	}
	return len(jobs)
}

// TestTwoRunnersRunEachJobOnce: two runners, each on its own store (two
// instances) with two Run loops,
// against one database run 1,000 jobs exactly once each and leave none
// pending (on PostgreSQL when KAPSTONE_TEST_POSTGRES is set).
func TestTwoRunnersRunEachJobOnce(t *testing.T) {
	dsn := storetest.DSN(t)
	s := storetest.OpenDSN(t, dsn)
	s2 := storetest.OpenDSN(t, dsn) // a second instance: its own connection pool
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 1000
	want := map[string]bool{}
	for i := range n {
		id, err := s.Enqueue(ctx, "count", fmt.Sprintf(`{"n":%d}`, i), time.Now(), "")
		if err != nil {
			t.Fatal(err)
		}
		want[id] = true
	}
	var mu sync.Mutex
	runs := map[string][]string{} // job id → workers that ran it
	log, _ := testLog(t)
	newRunner := func(name string, s *store.Store) *job.Runner {
		return &job.Runner{
			Store:  s,
			Worker: name,
			Poll:   5 * time.Millisecond,
			Lease:  30 * time.Second,
			Batch:  8,
			Log:    log,
			Handlers: map[string]job.Handler{"count": func(ctx context.Context, j store.Job) error {
				mu.Lock()
				runs[j.ID] = append(runs[j.ID], name)
				mu.Unlock()
				return nil
			}},
		}
	}
	a, b := newRunner("a", s), newRunner("b", s2)
	stopA := startRuns(t, ctx, a, 2)
	stopB := startRuns(t, ctx, b, 2)
	waitFor(t, ctx, "all jobs done", func() bool { return countJobs(t, s, store.JobDone) == n })
	stopA()
	stopB()

	byWorker := map[string]int{}
	for id, ws := range runs {
		if !want[id] {
			t.Errorf("ran %s, which was never enqueued", id)
		}
		if len(ws) != 1 {
			t.Errorf("job %s ran %d times (%v), want once", id, len(ws), ws)
		}
		byWorker[ws[0]]++
	}
	if len(runs) != n {
		t.Errorf("%d jobs ran, want %d", len(runs), n)
	}
	for _, st := range []string{store.JobPending, store.JobRunning, store.JobFailed} {
		if k := countJobs(t, s, st); k != 0 {
			t.Errorf("%d jobs left %s, want 0", k, st)
		}
	}
	t.Logf("%s: runner a ran %d jobs, runner b %d", s.Engine(), byWorker["a"], byWorker["b"])
}

// TestRetryWithBackoff: a handler that fails twice and then succeeds is
// retried after Backoff; its job ends done after three attempts.
func TestRetryWithBackoff(t *testing.T) {
	s := storetest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := s.Enqueue(ctx, "flaky", "{}", time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var attempts []int
	var backoffs []int
	log, _ := testLog(t)
	r := &job.Runner{
		Store: s, Worker: "w", Poll: 5 * time.Millisecond, Log: log,
		Backoff: func(attempt int) time.Duration {
			mu.Lock()
			backoffs = append(backoffs, attempt)
			mu.Unlock()
			return time.Millisecond
		},
		Handlers: map[string]job.Handler{"flaky": func(ctx context.Context, j store.Job) error {
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, j.Attempts)
			if len(attempts) <= 2 {
				return errors.New("smtp: 451 try again later")
			}
			return nil
		}},
	}
	stop := startRuns(t, ctx, r, 1)
	waitFor(t, ctx, "the job done", func() bool { return countJobs(t, s, store.JobDone) == 1 })
	stop()
	if fmt.Sprint(attempts) != "[1 2 3]" || fmt.Sprint(backoffs) != "[1 2]" {
		t.Errorf("handler saw attempts %v and Backoff was asked for %v, want [1 2 3] and [1 2]", attempts, backoffs)
	}
	done, err := s.ListJobs(ctx, store.JobDone, 10)
	if err != nil || len(done) != 1 || done[0].ID != id || done[0].Attempts != 3 || done[0].LastError != "smtp: 451 try again later" {
		t.Errorf("done jobs = %+v, %v; want %s after 3 attempts with the last error kept", done, err, id)
	}
}

// TestFailsForGood: a job that always fails ends failed after its last
// attempt, with the error, and is not run again.
func TestFailsForGood(t *testing.T) {
	s := storetest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Enqueue(ctx, "broken", "{}", time.Now(), ""); err != nil {
		t.Fatal(err)
	}
	log, _ := testLog(t)
	var mu sync.Mutex
	calls := 0
	r := &job.Runner{
		Store: s, Worker: "w", Log: log,
		Backoff: func(int) time.Duration { return 0 },
		Handlers: map[string]job.Handler{"broken": func(ctx context.Context, j store.Job) error {
			mu.Lock()
			calls++
			mu.Unlock()
			panic("boom")
		}},
	}
	for range store.JobMaxAttempts + 3 {
		if _, err := r.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	failed, err := s.ListJobs(ctx, store.JobFailed, 10)
	if err != nil || len(failed) != 1 || failed[0].Attempts != store.JobMaxAttempts || !strings.Contains(failed[0].LastError, "panicked: boom") {
		t.Errorf("failed jobs = %+v, %v; want one after %d attempts, with the panic as its error", failed, err, store.JobMaxAttempts)
	}
	if calls != store.JobMaxAttempts {
		t.Errorf("handler called %d times, want %d", calls, store.JobMaxAttempts)
	}
}

// TestDeadWorkerJobTakenOver: a worker hangs past its lease; the other
// runner runs the job, and the hung worker, when it finally returns, cannot
// mark the job done (it logs the lost lease).
func TestDeadWorkerJobTakenOver(t *testing.T) {
	s := storetest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := s.Enqueue(ctx, "mail", "{}", time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	logA, bufA := testLog(t)
	logB, _ := testLog(t)
	hung := make(chan struct{})
	release := make(chan struct{})
	var mu sync.Mutex
	var ranBy []string
	a := &job.Runner{
		Store: s, Worker: "a", Lease: 200 * time.Millisecond, Log: logA,
		Handlers: map[string]job.Handler{"mail": func(ctx context.Context, j store.Job) error {
			mu.Lock()
			ranBy = append(ranBy, "a")
			mu.Unlock()
			close(hung)
			<-release // ignores ctx: hangs past its lease
			return nil
		}},
	}
	b := &job.Runner{
		Store: s, Worker: "b", Poll: 5 * time.Millisecond, Lease: time.Minute, Log: logB,
		Handlers: map[string]job.Handler{"mail": func(ctx context.Context, j store.Job) error {
			mu.Lock()
			ranBy = append(ranBy, "b")
			mu.Unlock()
			return nil
		}},
	}
	aDone := make(chan error, 1)
	go func() {
		_, err := a.RunOnce(ctx)
		aDone <- err
	}()
	<-hung
	stopB := startRuns(t, ctx, b, 1)
	waitFor(t, ctx, "b to finish the job", func() bool { return countJobs(t, s, store.JobDone) == 1 })
	stopB()
	close(release)
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ranBy) != "[a b]" {
		t.Errorf("ran by %v, want [a b] (b after a's lease expired)", ranBy)
	}
	done, err := s.ListJobs(ctx, store.JobDone, 10)
	if err != nil || len(done) != 1 || done[0].ID != id || !strings.HasPrefix(done[0].LockedBy, "b#") || done[0].Attempts != 2 {
		t.Errorf("done jobs = %+v, %v; want %s completed by b on attempt 2", done, err, id)
	}
	if !strings.Contains(bufA.String(), store.ErrLeaseLost.Error()) {
		t.Errorf("runner a's log does not report the lost lease:\n%s", bufA)
	}
}

// TestRestartFinishesPending: a runner handles part of the jobs and stops
// (one job it claimed is never finished, as if the process died); a new
// runner on a freshly opened store finishes everything that was left.
func TestRestartFinishesPending(t *testing.T) {
	dsn := storetest.DSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	open := func() *store.Store {
		s, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	var mu sync.Mutex
	runs := map[string]int{}
	handlers := map[string]job.Handler{"invite": func(ctx context.Context, j store.Job) error {
		mu.Lock()
		runs[j.ID]++
		mu.Unlock()
		return nil
	}}
	log, _ := testLog(t)

	s1 := open()
	for i := range 10 {
		if _, err := s1.Enqueue(ctx, "invite", fmt.Sprintf(`{"n":%d}`, i), time.Now(), ""); err != nil {
			t.Fatal(err)
		}
	}
	r1 := &job.Runner{Store: s1, Worker: "first", Batch: 3, Log: log, Handlers: handlers}
	if n, err := r1.RunOnce(ctx); err != nil || n != 3 {
		t.Fatalf("first RunOnce = %d, %v; want 3", n, err)
	}
	// The first process claims one more and dies before finishing it.
	lost, err := s1.ClaimJobs(ctx, "first#dying", []string{"invite"}, 1, 100*time.Millisecond)
	if err != nil || len(lost) != 1 {
		t.Fatalf("ClaimJobs = %v, %v; want one job", lost, err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := open()
	defer s2.Close()
	r2 := &job.Runner{Store: s2, Poll: 5 * time.Millisecond, Log: log, Handlers: handlers}
	stop := startRuns(t, ctx, r2, 1)
	waitFor(t, ctx, "all jobs done after the restart", func() bool { return countJobs(t, s2, store.JobDone) == 10 })
	stop()
	if len(runs) != 10 {
		t.Errorf("%d jobs ran, want 10", len(runs))
	}
	for id, k := range runs {
		if k != 1 {
			t.Errorf("job %s ran %d times, want once", id, k)
		}
	}
	if k := countJobs(t, s2, store.JobPending) + countJobs(t, s2, store.JobRunning); k != 0 {
		t.Errorf("%d jobs left pending or running, want 0", k)
	}
}

func TestDefaultBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		base    time.Duration
	}{
		{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {4, 4 * time.Minute},
		{7, 32 * time.Minute}, {8, time.Hour}, {20, time.Hour}, {1000, time.Hour},
	} {
		for range 20 {
			if got := job.DefaultBackoff(tc.attempt); got < tc.base || got > tc.base+tc.base/4 {
				t.Errorf("DefaultBackoff(%d) = %v, want between %v and %v", tc.attempt, got, tc.base, tc.base+tc.base/4)
			}
		}
	}
}

func TestRunnerNeedsStoreAndHandlers(t *testing.T) {
	if err := (&job.Runner{}).Run(context.Background()); err == nil {
		t.Error("Run with no store succeeded, want an error")
	}
	if _, err := (&job.Runner{Store: storetest.Open(t)}).RunOnce(context.Background()); err == nil {
		t.Error("RunOnce with no handlers succeeded, want an error")
	}
}

// TestFailureLogsNoAddress: a handler error that carries an email address
// (a mail server's reply, say) is logged and stored with the address
// redacted, both while the job will be retried and when it fails for good.
func TestFailureLogsNoAddress(t *testing.T) {
	s := storetest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Enqueue(ctx, "mail", "{}", time.Now(), ""); err != nil {
		t.Fatal(err)
	}
	log, buf := testLog(t)
	r := &job.Runner{
		Store: s, Worker: "w", Log: log,
		Backoff: func(int) time.Duration { return 0 },
		Handlers: map[string]job.Handler{"mail": func(ctx context.Context, j store.Job) error {
			return errors.New(`reminder email failed: 550 "5.1.1 <pat@example.org>: Recipient address rejected"`)
		}},
	}
	for range store.JobMaxAttempts {
		if n, err := r.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RunOnce = %d, %v; want 1 job", n, err)
		}
	}
	out := buf.String()
	if !strings.Contains(out, "will retry") || !strings.Contains(out, "failed for good") {
		t.Fatalf("log has no retry and final failure lines:\n%s", out)
	}
	if strings.Contains(out, "pat") || strings.Contains(out, "example.org") || !strings.Contains(out, "<address>") {
		t.Errorf("log does not redact the address:\n%s", out)
	}
	failed, err := s.ListJobs(ctx, store.JobFailed, 10)
	if err != nil || len(failed) != 1 {
		t.Fatalf("failed jobs = %+v, %v; want 1", failed, err)
	}
	if got, want := failed[0].LastError, `reminder email failed: 550 "5.1.1 <address>: Recipient address rejected"`; got != want {
		t.Errorf("last_error = %q, want %q", got, want)
	}
}
