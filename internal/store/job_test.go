package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// jobClock gives a store a clock the test moves by hand.
type jobClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *jobClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *jobClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func jobStore(t *testing.T) (*store.Store, *jobClock) {
	t.Helper()
	s := storetest.Open(t)
	c := &jobClock{now: time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC)}
	s.Now = c.Now
	return s, c
}

func claimOne(t *testing.T, s *store.Store, worker string, lease time.Duration) *store.Job {
	t.Helper()
	jobs, err := s.ClaimJobs(context.Background(), worker, nil, 1, lease)
	if err != nil {
		t.Fatalf("ClaimJobs(%s): %v", worker, err)
	}
	if len(jobs) == 0 {
		return nil
	}
	return &jobs[0]
}

func jobByID(t *testing.T, s *store.Store, id string) store.Job {
	t.Helper()
	all, err := s.ListJobs(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range all {
		if j.ID == id {
			return j
		}
	}
	t.Fatalf("job %s not listed", id)
	return store.Job{}
}

func TestEnqueueDedupe(t *testing.T) {
	s, c := jobStore(t)
	ctx := context.Background()
	id1, err := s.Enqueue(ctx, "reminder", `{"appointment":"a1"}`, c.Now(), "reminder:a1:48h")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := s.Enqueue(ctx, "reminder", `{"appointment":"a1","other":true}`, c.Now().Add(time.Hour), "reminder:a1:48h")
	if err != nil {
		t.Fatal(err)
	}
	if id2 != id1 {
		t.Errorf("second Enqueue with the same key = %s, want the first job's id %s", id2, id1)
	}
	// An empty key never deduplicates; an empty payload is {}.
	for range 2 {
		if _, err := s.Enqueue(ctx, "sweep", "", c.Now(), ""); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.ListJobs(ctx, store.JobPending, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("ListJobs(pending) has %d jobs, want 3: %+v", len(all), all)
	}
	j := jobByID(t, s, id1)
	if j.Payload != `{"appointment":"a1"}` || j.Kind != "reminder" || j.DedupeKey != "reminder:a1:48h" ||
		j.Status != store.JobPending || j.Attempts != 0 || j.MaxAttempts != store.JobMaxAttempts ||
		!j.RunAt.Equal(c.Now()) || !j.CreatedAt.Equal(c.Now()) || !j.LockedUntil.IsZero() || !j.DoneAt.IsZero() {
		t.Errorf("job after dedupe = %+v, want the first enqueue unchanged", j)
	}
	for _, p := range all {
		if p.Kind == "sweep" && p.Payload != "{}" {
			t.Errorf("empty payload stored as %q, want {}", p.Payload)
		}
	}
	if _, err := s.Enqueue(ctx, "reminder", "not json", c.Now(), ""); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("Enqueue with a non-JSON payload = %v, want EInvalid", err)
	}
	if _, err := s.Enqueue(ctx, "", "{}", c.Now(), ""); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("Enqueue with no kind = %v, want EInvalid", err)
	}
	// A key stays taken after its job is done.
	jobs, err := s.ClaimJobs(ctx, "w", []string{"reminder"}, 10, time.Minute)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("ClaimJobs = %d jobs, %v; want 1", len(jobs), err)
	}
	if err := s.CompleteJob(ctx, id1, "w"); err != nil {
		t.Fatal(err)
	}
	if id3, err := s.Enqueue(ctx, "reminder", "{}", c.Now(), "reminder:a1:48h"); err != nil || id3 != id1 {
		t.Errorf("Enqueue of a done job's key = %s, %v; want %s, nil", id3, err, id1)
	}
}

func TestClaimRespectsRunAtAndKinds(t *testing.T) {
	s, c := jobStore(t)
	ctx := context.Background()
	later, err := s.Enqueue(ctx, "a", "{}", c.Now().Add(time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	now, err := s.Enqueue(ctx, "a", "{}", c.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Enqueue(ctx, "b", "{}", c.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := s.ClaimJobs(ctx, "w", []string{"a"}, 10, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].ID != now {
		t.Fatalf("ClaimJobs(kind a) = %+v, want only the due job %s", jobs, now)
	}
	j := jobs[0]
	if j.Status != store.JobRunning || j.LockedBy != "w" || j.Attempts != 1 || !j.LockedUntil.Equal(c.Now().Add(2*time.Hour)) {
		t.Errorf("claimed job = %+v, want running, locked by w until now+2h, attempt 1", j)
	}
	if jobs, _ := s.ClaimJobs(ctx, "w", []string{"a"}, 10, time.Minute); len(jobs) != 0 {
		t.Errorf("second ClaimJobs(kind a) = %+v, want nothing due", jobs)
	}
	c.Add(time.Hour)
	jobs, err = s.ClaimJobs(ctx, "w", nil, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, j := range jobs {
		got[j.ID] = true
	}
	if len(jobs) != 2 || !got[later] || !got[other] {
		t.Errorf("ClaimJobs(any kind) an hour later = %+v, want %s and %s", jobs, later, other)
	}
}

func TestLeaseExpiry(t *testing.T) {
	s, c := jobStore(t)
	ctx := context.Background()
	id, err := s.Enqueue(ctx, "a", "{}", c.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	if j := claimOne(t, s, "a", time.Minute); j == nil || j.ID != id {
		t.Fatalf("claim by a = %+v, want %s", j, id)
	}
	c.Add(59 * time.Second)
	if j := claimOne(t, s, "b", time.Minute); j != nil {
		t.Fatalf("claim by b within a's lease = %+v, want nothing", j)
	}
	c.Add(2 * time.Second)
	j := claimOne(t, s, "b", time.Minute)
	if j == nil || j.ID != id || j.Attempts != 2 || j.LockedBy != "b" {
		t.Fatalf("claim by b after a's lease expired = %+v, want %s, attempt 2, locked by b", j, id)
	}
	if err := s.CompleteJob(ctx, id, "a"); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("CompleteJob by a, which lost the lease = %v, want ErrLeaseLost", err)
	}
	if err := s.FailJob(ctx, id, "a", "late", c.Now()); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("FailJob by a, which lost the lease = %v, want ErrLeaseLost", err)
	}
	if got := jobByID(t, s, id); got.Status != store.JobRunning || got.LockedBy != "b" || got.LastError != "" {
		t.Errorf("after a's late calls job = %+v, want still running under b", got)
	}
	if err := s.CompleteJob(ctx, id, "b"); err != nil {
		t.Fatalf("CompleteJob by b: %v", err)
	}
	got := jobByID(t, s, id)
	if got.Status != store.JobDone || !got.DoneAt.Equal(c.Now()) || !got.LockedUntil.IsZero() {
		t.Errorf("completed job = %+v, want done at now", got)
	}
	if err := s.CompleteJob(ctx, id, "b"); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("second CompleteJob = %v, want ErrLeaseLost", err)
	}
	c.Add(time.Hour)
	if j := claimOne(t, s, "c", time.Minute); j != nil {
		t.Errorf("claim after done = %+v, want nothing", j)
	}
	// A worker that overran its lease may still finish the job when nobody
	// has taken it over.
	id2, _ := s.Enqueue(ctx, "a", "{}", c.Now(), "")
	claimOne(t, s, "slow", time.Minute)
	c.Add(time.Hour)
	if err := s.CompleteJob(ctx, id2, "slow"); err != nil {
		t.Errorf("CompleteJob after an expired lease nobody took over = %v, want nil", err)
	}
}

func TestFailJobBackoffAndMaxAttempts(t *testing.T) {
	s, c := jobStore(t)
	ctx := context.Background()
	id, err := s.Enqueue(ctx, "a", "{}", c.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= store.JobMaxAttempts; attempt++ {
		j := claimOne(t, s, "w", time.Minute)
		if j == nil || j.Attempts != attempt {
			t.Fatalf("claim %d = %+v, want the job at attempt %d", attempt, j, attempt)
		}
		if err := s.FailJob(ctx, id, "other", "x", c.Now()); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("FailJob by a worker that does not hold it = %v, want ErrLeaseLost", err)
		}
		retry := c.Now().Add(time.Duration(attempt) * time.Minute)
		msg := fmt.Sprintf("smtp: 451 try again\n(attempt %d) %s", attempt, strings.Repeat("é", 400))
		if err := s.FailJob(ctx, id, "w", msg, retry); err != nil {
			t.Fatalf("FailJob %d: %v", attempt, err)
		}
		got := jobByID(t, s, id)
		if !strings.HasPrefix(got.LastError, fmt.Sprintf("smtp: 451 try again (attempt %d) é", attempt)) || len(got.LastError) > 500 || strings.Contains(got.LastError, "\n") {
			t.Errorf("last_error = %q (%d bytes), want the message on one line, at most 500 bytes", got.LastError, len(got.LastError))
		}
		if attempt == store.JobMaxAttempts {
			if got.Status != store.JobFailed || !got.DoneAt.Equal(c.Now()) {
				t.Errorf("after the last attempt job = %+v, want failed", got)
			}
			break
		}
		if got.Status != store.JobPending || !got.RunAt.Equal(retry) || got.LockedBy != "" || !got.LockedUntil.IsZero() {
			t.Fatalf("after failure %d job = %+v, want pending at %v", attempt, got, retry)
		}
		c.Add(time.Duration(attempt)*time.Minute - time.Second)
		if j := claimOne(t, s, "w", time.Minute); j != nil {
			t.Fatalf("claim before retry time = %+v, want nothing", j)
		}
		c.Add(time.Second)
	}
	c.Add(24 * time.Hour)
	if j := claimOne(t, s, "w", time.Minute); j != nil {
		t.Errorf("claim of a failed job = %+v, want nothing", j)
	}
	failed, err := s.ListJobs(ctx, store.JobFailed, 10)
	if err != nil || len(failed) != 1 || failed[0].ID != id || failed[0].Attempts != store.JobMaxAttempts {
		t.Errorf("ListJobs(failed) = %+v, %v; want the job with %d attempts", failed, err, store.JobMaxAttempts)
	}
}

func TestListJobs(t *testing.T) {
	s, c := jobStore(t)
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		id, err := s.Enqueue(ctx, "a", "{}", c.Now().Add(time.Duration(5-i)*time.Minute), "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	c.Add(10 * time.Minute)
	jobs, err := s.ClaimJobs(ctx, "w", nil, 2, time.Minute)
	if err != nil || len(jobs) != 2 || jobs[0].ID != ids[4] || jobs[1].ID != ids[3] {
		t.Fatalf("ClaimJobs(limit 2) = %+v, %v; want the two earliest, %s and %s", jobs, err, ids[4], ids[3])
	}
	c.Add(time.Second)
	if err := s.CompleteJob(ctx, ids[4], "w"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status string
		want   []string
	}{
		{store.JobPending, []string{ids[2], ids[1], ids[0]}},
		{store.JobRunning, []string{ids[3]}},
		{store.JobDone, []string{ids[4]}},
		{store.JobFailed, nil},
	} {
		jobs, err := s.ListJobs(ctx, tc.status, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, j := range jobs {
			got = append(got, j.ID)
			if j.Status != tc.status {
				t.Errorf("ListJobs(%s) listed a %s job", tc.status, j.Status)
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("ListJobs(%s) = %v, want %v", tc.status, got, tc.want)
		}
	}
	all, err := s.ListJobs(ctx, "", 10)
	if err != nil || len(all) != 5 || all[0].ID != ids[4] {
		t.Errorf("ListJobs(all) = %d jobs, %v; want 5, most recently updated (%s) first", len(all), err, ids[4])
	}
	if two, _ := s.ListJobs(ctx, "", 2); len(two) != 2 {
		t.Errorf("ListJobs(limit 2) = %d jobs, want 2", len(two))
	}
}

// TestConcurrentClaimsExactlyOnce: many claimers at once never share a job.
func TestConcurrentClaimsExactlyOnce(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	const n = 200
	for i := range n {
		if _, err := s.Enqueue(ctx, "a", fmt.Sprintf(`{"n":%d}`, i), time.Now().Add(-time.Second), ""); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		worker := fmt.Sprintf("w%d", w)
		wg.Go(func() {
			for {
				jobs, err := s.ClaimJobs(ctx, worker, []string{"a"}, 5, time.Minute)
				if err != nil {
					errs <- err
					return
				}
				if len(jobs) == 0 {
					return
				}
				for _, j := range jobs {
					mu.Lock()
					seen[j.ID]++
					mu.Unlock()
					if err := s.CompleteJob(ctx, j.ID, worker); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != n {
		t.Errorf("%d jobs claimed, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("job %s claimed %d times, want once", id, k)
		}
	}
}

// TestFailJobRedactsAddresses: a mail server's reply that echoes a
// recipient, passed to FailJob as the error, is stored without the address.
func TestFailJobRedactsAddresses(t *testing.T) {
	s, c := jobStore(t)
	ctx := context.Background()
	id, err := s.Enqueue(ctx, "reminder", "{}", c.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	claimOne(t, s, "w", time.Minute)
	msg := "reminder email failed: sending SMTP RCPT TO command: 550 \"5.1.1 <Pat.O'Neil+k@Example.org>: Recipient address rejected\", " +
		"affected recipient(s): <Pat.O'Neil+k@Example.org>, also pat%40example.org"
	if err := s.FailJob(ctx, id, "w", msg, c.Now()); err != nil {
		t.Fatal(err)
	}
	got := jobByID(t, s, id).LastError
	want := "reminder email failed: sending SMTP RCPT TO command: 550 \"5.1.1 <address>: Recipient address rejected\", " +
		"affected recipient(s): <address>, also <address>"
	if got != want {
		t.Errorf("last_error = %q, want %q", got, want)
	}
	for _, leak := range []string{"@", "%40", "Neil", "xample"} {
		if strings.Contains(got, leak) {
			t.Errorf("last_error %q contains %q", got, leak)
		}
	}
}

// TestClaimFailsJobWhoseWorkerAlwaysDies: a job whose worker dies (its
// lease expires) on every attempt is claimed max_attempts times and then
// marked failed by the next claim, not claimed again.
func TestClaimFailsJobWhoseWorkerAlwaysDies(t *testing.T) {
	s, c := jobStore(t)
	ctx := context.Background()
	id, err := s.Enqueue(ctx, "crash", "{}", c.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Enqueue(ctx, "other", "{}", c.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= store.JobMaxAttempts; attempt++ {
		jobs, err := s.ClaimJobs(ctx, fmt.Sprintf("w%d", attempt), []string{"crash"}, 5, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 1 || jobs[0].ID != id || jobs[0].Attempts != attempt {
			t.Fatalf("claim %d = %+v, want the job at attempt %d", attempt, jobs, attempt)
		}
		c.Add(time.Minute + time.Second) // the worker died: its lease runs out
	}
	// A claim for other kinds leaves it alone.
	if jobs, err := s.ClaimJobs(ctx, "x", []string{"other"}, 5, time.Minute); err != nil || len(jobs) != 1 || jobs[0].ID != other {
		t.Fatalf("claim of kind other = %+v, %v; want only %s", jobs, err, other)
	}
	if got := jobByID(t, s, id); got.Status != store.JobRunning {
		t.Fatalf("after a claim of other kinds the job is %s, want still running", got.Status)
	}
	jobs, err := s.ClaimJobs(ctx, "last", []string{"crash"}, 5, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 0 {
		t.Fatalf("claim after the last attempt's lease expired = %+v, want nothing", jobs)
	}
	got := jobByID(t, s, id)
	if got.Status != store.JobFailed || got.Attempts != store.JobMaxAttempts || got.LastError != store.JobWorkerLost ||
		!got.DoneAt.Equal(c.Now()) || !got.LockedUntil.IsZero() {
		t.Errorf("job after its last lease expired = %+v, want failed after %d attempts with %q", got, store.JobMaxAttempts, store.JobWorkerLost)
	}
	c.Add(24 * time.Hour)
	if j := claimOne(t, s, "later", time.Minute); j != nil && j.ID == id {
		t.Errorf("the failed job was claimed again: %+v", j)
	}
	// An admin's retry gives it a fresh set of attempts.
	if n, err := s.RetryJobsNow(ctx, store.System); err != nil || n != 1 {
		t.Fatalf("RetryJobsNow = %d, %v; want 1", n, err)
	}
	if j := claimOne(t, s, "after-retry", time.Minute); j == nil || j.ID != id || j.Attempts != 1 {
		t.Errorf("claim after RetryJobsNow = %+v, want the job at attempt 1", j)
	}
}
