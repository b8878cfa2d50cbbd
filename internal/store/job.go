package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Job statuses.
const (
	JobPending = "pending"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// JobMaxAttempts is how many times a job is tried before it is marked failed.
const JobMaxAttempts = 10

// jobErrorMax is the most bytes of an error message kept in last_error.
const jobErrorMax = 500

// ErrLeaseLost is returned by CompleteJob and FailJob when the job is no
// longer running under the worker's lease: the lease expired and another
// worker claimed the job, or the job was already finished.
var ErrLeaseLost = errors.New("job lease lost: the job is no longer held by this worker")

// Job is one durable background job. Payload is JSON holding ids only, never
// PHI. Times are UTC; LockedUntil and DoneAt are zero when not set.
type Job struct {
	ID          string
	Kind        string
	Payload     string
	RunAt       time.Time
	Status      string
	Attempts    int
	MaxAttempts int
	LockedBy    string
	LockedUntil time.Time
	LastError   string // the most recent failure, kept after a later success
	DedupeKey   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	DoneAt      time.Time
}

const jobColumns = `id, kind, payload, run_at, status, attempts, max_attempts, locked_by, locked_until, last_error, dedupe_key, created_at, updated_at, done_at`

// Enqueue adds a job of kind with a JSON payload (empty means {}), to run
// at or after runAt, and returns its id. When dedupeKey is not empty and a
// job with that key already exists (in any status), nothing is added and the
// existing job's id is returned. An empty kind or a payload that is not JSON
// is an EInvalid error.
func (s *Store) Enqueue(ctx context.Context, kind, payload string, runAt time.Time, dedupeKey string) (string, error) {
	var id string
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		id, err = s.EnqueueIn(ctx, tx, kind, payload, runAt, dedupeKey)
		return err
	})
	return id, err
}

// EnqueueIn is Enqueue inside tx, so that a store method can enqueue a job in
// the same transaction as the change that calls for it: the job exists if
// and only if the change was committed. It never aborts tx on a duplicate
// dedupeKey.
func (s *Store) EnqueueIn(ctx context.Context, tx *Tx, kind, payload string, runAt time.Time, dedupeKey string) (string, error) {
	if kind == "" {
		return "", clinic.Errorf(clinic.EInvalid, "A job needs a kind.")
	}
	if payload == "" {
		payload = "{}"
	}
	if !json.Valid([]byte(payload)) {
		return "", clinic.Errorf(clinic.EInvalid, "A job's payload must be JSON.")
	}
	now := s.now()
	if runAt.IsZero() {
		runAt = now
	}
	id := NewID()
	// ON CONFLICT DO NOTHING (no target) covers the partial unique index on
	// dedupe_key on both engines and, unlike a caught unique violation, leaves
	// a PostgreSQL transaction usable.
	res, err := tx.Exec(ctx, `INSERT INTO jobs (id, kind, payload, run_at, status, attempts, max_attempts, locked_by, last_error, dedupe_key, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'pending', 0, $5, '', '', $6, $7, $7) ON CONFLICT DO NOTHING`,
		id, kind, payload, runAt, JobMaxAttempts, dedupeKey, now)
	if err != nil {
		return "", err
	}
	if n, err := res.RowsAffected(); err != nil {
		return "", err
	} else if n == 1 {
		return id, nil
	}
	if dedupeKey == "" {
		return "", fmt.Errorf("enqueue %s: id collision", kind)
	}
	var existing string
	if err := tx.QueryRow(ctx, `SELECT id FROM jobs WHERE dedupe_key = $1`, dedupeKey).Scan(&existing); err != nil {
		return "", fmt.Errorf("enqueue %s: find job with the same dedupe key: %w", kind, err)
	}
	return existing, nil
}

// ClaimJobs marks up to limit jobs as running under worker for lease and
// returns them, oldest run_at first. A job can be claimed when it is pending
// and due, or running with an expired lease (its worker died or overran)
// and attempts left. A running job whose lease expired on its last attempt
// is marked failed instead, with LastError JobWorkerLost, so a job that
// kills or hangs its worker every time is not retried for ever.
// kinds limits the claim (and that marking) to those kinds; empty means any
// kind. Each claim counts as an attempt. It returns no jobs, not an error,
// when none is due.
//
// Claiming happens in one write transaction: the candidates are selected
// (on PostgreSQL with FOR UPDATE SKIP LOCKED, so instances claiming at the
// same moment lock different rows and never wait for each other; SQLite's
// single writer serialises claims), then each is updated only if it is still
// claimable, and only the rows that update reports are returned. The re-check
// in the UPDATE is a second guard: it keeps a claim correct even if the rows
// were read without locks.
func (s *Store) ClaimJobs(ctx context.Context, worker string, kinds []string, limit int, lease time.Duration) ([]Job, error) {
	if worker == "" {
		return nil, errors.New("claim jobs: no worker name")
	}
	if limit <= 0 || lease <= 0 {
		return nil, nil
	}
	var out []Job
	err := s.write(ctx, func(tx *Tx) error {
		out = nil
		now := s.now()
		// kindIn is the kinds condition; its placeholders follow $1 (now).
		var kindIn string
		kindArgs := []any{now}
		if len(kinds) > 0 {
			ph := make([]string, len(kinds))
			for i, k := range kinds {
				kindArgs = append(kindArgs, k)
				ph[i] = "$" + strconv.Itoa(len(kindArgs))
			}
			kindIn = ` AND kind IN (` + strings.Join(ph, ", ") + `)`
		}
		if err := failExhaustedJobs(ctx, tx, s.d, now, kindIn, kindArgs); err != nil {
			return err
		}
		args := slices.Clone(kindArgs)
		args = append(args, limit)
		q := `SELECT id FROM jobs WHERE ((status = 'pending' AND run_at <= $1) OR (status = 'running' AND locked_until < $1 AND attempts < max_attempts))` +
			kindIn + ` ORDER BY run_at, id LIMIT $` + strconv.Itoa(len(args)) + s.d.skipLocked()
		ids, err := queryStrings(ctx, tx, q, args...)
		if err != nil {
			return err
		}
		slices.Sort(ids)
		until := now.Add(lease)
		for _, id := range ids {
			row := tx.QueryRow(ctx, `UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3
				WHERE id = $4 AND ((status = 'pending' AND run_at <= $3) OR (status = 'running' AND locked_until < $3 AND attempts < max_attempts))
				RETURNING `+jobColumns, worker, until, now, id)
			j, err := scanJob(row)
			if err := noRows(err); err != nil {
				return err
			}
			if j != nil {
				out = append(out, *j)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Job) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// JobWorkerLost is the LastError of a job ClaimJobs marked failed because
// its lease expired on its last attempt.
const JobWorkerLost = "the worker stopped or timed out on every attempt"

// failExhaustedJobs marks failed, inside a claim's transaction, the running
// jobs whose lease expired on their last attempt; kindIn and kindArgs are
// the claim's kinds condition and its arguments, $1 being now. On
// PostgreSQL the rows are locked first, skipping any another transaction
// holds, and updated one by one in id order, so two claims never wait on
// each other here; the UPDATE re-checks the condition.
func failExhaustedJobs(ctx context.Context, tx *Tx, d *dialect, now time.Time, kindIn string, kindArgs []any) error {
	ids, err := queryStrings(ctx, tx, `SELECT id FROM jobs WHERE status = 'running' AND locked_until < $1 AND attempts >= max_attempts`+
		kindIn+` ORDER BY id`+d.skipLocked(), kindArgs...)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.Exec(ctx, `UPDATE jobs SET status = 'failed', locked_until = NULL, last_error = $1, updated_at = $2, done_at = $2
			WHERE id = $3 AND status = 'running' AND locked_until < $2 AND attempts >= max_attempts`, JobWorkerLost, now, id); err != nil {
			return err
		}
	}
	return nil
}

// CompleteJob marks job id done if it is still running under worker. It
// returns ErrLeaseLost otherwise (another worker took it over after the
// lease expired, or it is already finished); the job is then left alone.
func (s *Store) CompleteJob(ctx context.Context, id, worker string) error {
	return s.write(ctx, func(tx *Tx) error {
		now := s.now()
		res, err := tx.Exec(ctx, `UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = $1, done_at = $1
			WHERE id = $2 AND status = 'running' AND locked_by = $3`, now, id, worker)
		return leaseHeld(res, err)
	})
}

// FailJob records errMsg (cut to one short line; it must hold no PHI, and
// anything in it that looks like an email address is replaced by
// "<address>" in case it does) for job id, running under worker. The job
// goes back to pending to run again at retryAt, or, when it has used all
// its attempts, becomes failed for good.
// It returns ErrLeaseLost, changing nothing, when the job is no longer
// running under worker.
func (s *Store) FailJob(ctx context.Context, id, worker, errMsg string, retryAt time.Time) error {
	msg := shortError(errMsg)
	return s.write(ctx, func(tx *Tx) error {
		now := s.now()
		res, err := tx.Exec(ctx, `UPDATE jobs SET status = 'failed', locked_until = NULL, last_error = $1, updated_at = $2, done_at = $2
			WHERE id = $3 AND status = 'running' AND locked_by = $4 AND attempts >= max_attempts`, msg, now, id, worker)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		res, err = tx.Exec(ctx, `UPDATE jobs SET status = 'pending', locked_by = '', locked_until = NULL, run_at = $1, last_error = $2, updated_at = $3
			WHERE id = $4 AND status = 'running' AND locked_by = $5 AND attempts < max_attempts`, retryAt, msg, now, id, worker)
		return leaseHeld(res, err)
	})
}

// ListJobs returns up to limit jobs with status (all statuses when empty):
// pending jobs soonest first, others most recently updated first.
func (s *Store) ListJobs(ctx context.Context, status string, limit int) ([]Job, error) {
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + jobColumns + ` FROM jobs`
	args := []any{}
	if status != "" {
		q += ` WHERE status = $1`
		args = append(args, status)
	}
	if status == JobPending {
		q += ` ORDER BY run_at, id`
	} else {
		q += ` ORDER BY updated_at DESC, id DESC`
	}
	args = append(args, limit)
	q += ` LIMIT $` + strconv.Itoa(len(args))
	var out []Job
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(r scanner) (Job, error) {
			j, err := scanJob(r)
			if err != nil {
				return Job{}, err
			}
			return *j, nil
		}, q, args...)
		return err
	})
	return out, err
}

// Job lists of the jobs page: JobsWaiting is running and pending jobs
// together, soonest first; the others (JobFailed, JobDone, and "" for
// every job) are most recently updated first.
const JobsWaiting = "waiting"

// PageJobs is ListJobs a page at a time, read by key (see PageKey: the key
// is a job's id), with the count of every job in the list. list is
// JobFailed, JobsWaiting, JobDone, JobRunning, JobPending or "" (every
// job); anything else is EInvalid. Jobs carry ids, never patient
// information, so it is not audited; the page asking is for
// administrators (auth.PermJobs).
func (s *Store) PageJobs(ctx context.Context, list string, k PageKey) (*Page[Job], error) {
	ks := keyset{Scope: ` FROM jobs j WHERE 1 = 1`, Table: "jobs", Alias: "j", Order: []string{"updated_at", "id"}, Desc: true}
	switch list {
	case "":
	case JobsWaiting:
		ks.Scope, ks.Order, ks.Desc = ` FROM jobs j WHERE j.status IN ('running', 'pending')`, []string{"run_at", "id"}, false
	case JobPending:
		ks.Scope, ks.Args, ks.Order, ks.Desc = ` FROM jobs j WHERE j.status = $1`, []any{list}, []string{"run_at", "id"}, false
	case JobFailed, JobDone, JobRunning:
		ks.Scope, ks.Args = ` FROM jobs j WHERE j.status = $1`, []any{list}
	default:
		return nil, clinic.Errorf(clinic.EInvalid, "Choose failed, waiting or finished jobs.")
	}
	var out *Page[Job]
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = readPage(ctx, tx, ks, `j.`+strings.ReplaceAll(jobColumns, ", ", ", j."), k, func(r scanner) (Job, error) {
			j, err := scanJob(r)
			if err != nil {
				return Job{}, err
			}
			return *j, nil
		}, func(j Job) string { return j.ID })
		return err
	})
	return out, err
}

// leaseHeld turns an UPDATE that matched no row into ErrLeaseLost.
func leaseHeld(res interface{ RowsAffected() (int64, error) }, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return ErrLeaseLost
	}
	return nil
}

func queryStrings(ctx context.Context, tx *Tx, q string, args ...any) ([]string, error) {
	return queryAll(ctx, tx, func(r scanner) (v string, err error) { return v, r.Scan(&v) }, q, args...)
}

func scanJob(row interface{ Scan(...any) error }) (*Job, error) {
	var j Job
	var attempts, maxAttempts int64
	var lockedUntil, doneAt nullTime
	if err := row.Scan(&j.ID, &j.Kind, &j.Payload, &j.RunAt, &j.Status, &attempts, &maxAttempts, &j.LockedBy,
		&lockedUntil, &j.LastError, &j.DedupeKey, &j.CreatedAt, &j.UpdatedAt, &doneAt); err != nil {
		return nil, err
	}
	j.Attempts, j.MaxAttempts = int(attempts), int(maxAttempts)
	j.RunAt, j.CreatedAt, j.UpdatedAt = j.RunAt.UTC(), j.CreatedAt.UTC(), j.UpdatedAt.UTC()
	j.LockedUntil, j.DoneAt = lockedUntil.t, doneAt.t
	return &j, nil
}

// shortError makes msg one line of at most jobErrorMax bytes, cut on a rune
// boundary, with its email addresses redacted.
func shortError(msg string) string {
	msg = strings.Join(strings.Fields(RedactAddresses(msg)), " ")
	if len(msg) <= jobErrorMax {
		return msg
	}
	cut := jobErrorMax - len("…")
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}

// RetryJobsNow makes every job that failed, or waits to be retried after
// an error, due now with a fresh set of attempts: for an admin once the
// cause (say, the mail server) is fixed. Returns how many. Audited.
func (s *Store) RetryJobsNow(ctx context.Context, actor Actor) (int, error) {
	if !actor.may(auth.PermJobs) {
		return 0, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var n int64
	err := s.write(ctx, func(tx *Tx) error {
		now := s.now()
		res, err := tx.Exec(ctx, `UPDATE jobs SET status = 'pending', run_at = $1, attempts = 0, updated_at = $1
			WHERE status = 'failed' OR (status = 'pending' AND last_error <> '' AND run_at > $1)`, now)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return s.appendAudit(ctx, tx, actor, Entry{Action: "jobs.retry", ObjectType: "job", Detail: "count=" + strconv.FormatInt(n, 10)})
	})
	return int(n), err
}

// addressRE matches what looks like an email address, in angle brackets or
// not, with its @ written plainly or URL-encoded (%40). It errs towards
// matching: a stray user@host in an error is redacted too.
var addressRE = regexp.MustCompile(`<?[^\s<>()\[\]{}"` + "`" + `,;:@]+(?:@|%40)[^\s<>()\[\]{}"` + "`" + `,;:@]+>?`)

// RedactAddresses returns s with everything that looks like an email
// address replaced by "<address>". Mail servers echo recipients in their
// error replies ("550 5.1.1 <pat@example.org>: Recipient address
// rejected"), and a patient's address is PHI: errors pass through this
// before they are stored with a job or logged.
func RedactAddresses(s string) string {
	if !strings.Contains(s, "@") && !strings.Contains(s, "%40") {
		return s
	}
	return addressRE.ReplaceAllString(s, "<address>")
}
