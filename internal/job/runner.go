// Package job runs durable background jobs (reminders, check-in
// invitations) kept in the database, safely with several kapstone instances
// sharing one database.
//
// A job is claimed with a lease, so it runs at least once: a worker that dies
// or overruns its lease loses the job to another worker, which runs it
// again. Handlers must therefore be idempotent: running one twice must have
// the effect of running it once (check what was already done, or use a
// dedupe key when enqueueing follow-up work). Within that, the runner makes
// sure a job is not run twice at the same time: a claim is a compare-and-swap
// in the database, each handler's context ends before its lease does, and a
// worker whose lease was taken over cannot mark the job done.
package job

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kapstone/kapstone/internal/store"
)

// Handler does the work of one job. It must be idempotent, should return
// when ctx ends (its lease is about to expire), and must not put PHI in its
// error: the error is logged and stored with the job (with anything that
// looks like an email address redacted, as a second line of defence).
type Handler func(ctx context.Context, j store.Job) error

// Defaults for a Runner's zero fields.
const (
	DefaultPoll  = time.Second
	DefaultLease = 5 * time.Minute
	DefaultBatch = 4
)

// Runner claims due jobs from Store and runs them with Handlers. Set the
// fields before the first call to Run or RunOnce and do not change them
// afterwards; a Runner is then safe for concurrent use, and Run may be
// called from several goroutines.
type Runner struct {
	Store *store.Store
	// Worker names this runner in the jobs it holds; default host:pid:random.
	Worker string
	// Handlers maps a job kind to its handler. Only these kinds are claimed.
	Handlers map[string]Handler
	// Poll is how long Run waits when no job is due; default DefaultPoll.
	Poll time.Duration
	// Lease is how long a claimed job is held; default DefaultLease. A
	// handler's context ends at nine tenths of it.
	Lease time.Duration
	// Batch is how many jobs one claim takes and runs at once; default DefaultBatch.
	Batch int
	// Log receives one line per failure; default slog.Default().
	Log *slog.Logger
	// Backoff is how long to wait before retrying after attempt (1 for the
	// first) failed; default DefaultBackoff.
	Backoff func(attempt int) time.Duration

	once  sync.Once
	cfg   config
	claim atomic.Uint64

	ran, failed, failedForGood atomic.Uint64 // Stats
}

// Stats counts, since the Runner was made, the jobs it ran, the attempts
// that failed, and the jobs marked failed for good after their last attempt.
type Stats struct{ Ran, Failed, FailedForGood uint64 }

// Stats returns the Runner's counts so far.
func (r *Runner) Stats() Stats {
	return Stats{Ran: r.ran.Load(), Failed: r.failed.Load(), FailedForGood: r.failedForGood.Load()}
}

// config is a Runner's fields with the defaults filled in, fixed at first use.
type config struct {
	worker   string
	kinds    []string
	handlers map[string]Handler
	poll     time.Duration
	lease    time.Duration
	batch    int
	log      *slog.Logger
	backoff  func(int) time.Duration
}

func (r *Runner) config() *config {
	r.once.Do(func() {
		c := config{
			worker:   r.Worker,
			handlers: make(map[string]Handler, len(r.Handlers)),
			poll:     r.Poll,
			lease:    r.Lease,
			batch:    r.Batch,
			log:      r.Log,
			backoff:  r.Backoff,
		}
		for k, h := range r.Handlers {
			c.handlers[k] = h
			c.kinds = append(c.kinds, k)
		}
		slices.Sort(c.kinds)
		if c.worker == "" {
			c.worker = DefaultWorker()
		}
		if c.poll <= 0 {
			c.poll = DefaultPoll
		}
		if c.lease <= 0 {
			c.lease = DefaultLease
		}
		if c.batch <= 0 {
			c.batch = DefaultBatch
		}
		if c.log == nil {
			c.log = slog.Default()
		}
		if c.backoff == nil {
			c.backoff = DefaultBackoff
		}
		r.cfg = c
	})
	return &r.cfg
}

// DefaultWorker returns host:pid:random, a name no other runner has.
func DefaultWorker() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	b := make([]byte, 4)
	crand.Read(b)
	return host + ":" + strconv.Itoa(os.Getpid()) + ":" + hex.EncodeToString(b)
}

// DefaultBackoff waits 30 s after the first failure and doubles each time
// (1 min, 2 min, ...) up to 1 h, then adds up to a quarter more at random so
// that jobs that failed together do not all retry together.
func DefaultBackoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return d + rand.N(d/4+1)
}

// Run claims and runs due jobs until ctx ends, then waits for the jobs in
// hand to finish (their contexts end with ctx) and returns nil. It returns
// an error at once only when the Runner cannot work: no Store or no
// Handlers. Database errors are logged and retried after Poll.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.check(); err != nil {
		return err
	}
	c := r.config()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		n, err := r.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			c.log.Error("job: claim failed", "worker", c.worker, "err", err)
		}
		if err == nil && n == c.batch {
			t.Reset(0) // more may be due
		} else {
			t.Reset(c.poll)
		}
	}
}

// RunOnce claims up to Batch due jobs, runs them concurrently, records each
// outcome, and returns how many it claimed. Its error is about the claim
// only; a job that fails is retried after Backoff (or marked failed after its
// last attempt), and a lost lease is logged.
func (r *Runner) RunOnce(ctx context.Context) (int, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	c := r.config()
	// Each claim holds its jobs under its own name, so a job this runner
	// overran and then claimed again cannot be completed by the overrunning
	// handler.
	worker := c.worker + "#" + strconv.FormatUint(r.claim.Add(1), 10)
	start := time.Now()
	jobs, err := r.Store.ClaimJobs(ctx, worker, c.kinds, c.batch, c.lease)
	if err != nil {
		return 0, err
	}
	deadline := start.Add(c.lease * 9 / 10)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { r.run(ctx, c, worker, deadline, j) })
	}
	wg.Wait()
	return len(jobs), nil
}

func (r *Runner) check() error {
	if r.Store == nil {
		return errors.New("job runner: no store")
	}
	if len(r.Handlers) == 0 {
		return errors.New("job runner: no handlers")
	}
	return nil
}

// run runs one claimed job and records its outcome.
func (r *Runner) run(ctx context.Context, c *config, worker string, deadline time.Time, j store.Job) {
	jctx, cancel := context.WithDeadline(ctx, deadline)
	err := call(jctx, c.handlers[j.Kind], j)
	cancel()
	r.ran.Add(1)
	if err != nil {
		r.failed.Add(1)
	}
	// Record the outcome even when ctx ended meanwhile (shutdown).
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer scancel()
	log := c.log.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "worker", worker)
	if err == nil {
		if err := r.Store.CompleteJob(sctx, j.ID, worker); err != nil {
			log.Error("job: ran, but could not mark it done", "err", err)
		}
		return
	}
	retryAt := r.Store.Now().Add(c.backoff(j.Attempts))
	if ctx.Err() != nil {
		retryAt = r.Store.Now() // interrupted by shutdown, not the job's fault
	}
	final := j.Attempts >= j.MaxAttempts
	// Handlers must keep PHI out of their errors, but a mail server's reply
	// may still carry a patient's address: it is redacted before it is
	// logged (FailJob redacts what it stores).
	msg := store.RedactAddresses(err.Error())
	if ferr := r.Store.FailJob(sctx, j.ID, worker, msg, retryAt); ferr != nil {
		log.Error("job: failed, and could not record it", "err", msg, "record_err", store.RedactAddresses(ferr.Error()))
		return
	}
	if final {
		r.failedForGood.Add(1)
		log.Error("job: failed for good", "err", msg)
	} else {
		log.Warn("job: failed, will retry", "err", msg, "retry_at", retryAt)
	}
}

// call runs h, turning a panic into an error.
func call(ctx context.Context, h Handler, j store.Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	if h == nil {
		return fmt.Errorf("no handler for kind %q", j.Kind)
	}
	return h(ctx, j)
}
