package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// GroupCommit makes a SQLite store opened after it is set run the write
// transactions asked for at the same time in one database transaction
// with one durable commit (its fsync), each in a savepoint of its own
// (false: one transaction and one commit each, as benchmarks compare).
// PostgreSQL, whose writers run side by side, never groups.
//
// What each caller of write sees does not change: its fn runs alone (the
// writer runs one fn at a time), sees every change committed or grouped
// before it, and write returns nil only once the commit holding its
// changes is durable (synchronous=FULL). An fn that fails (or panics) is
// rolled back to its savepoint, its changes and audit rows with it, and
// the others of its group go on; a caller that gave up before its turn
// gets an error and nothing of it runs. A commit that fails is an error
// to every caller in the group, none acknowledged. Statements of a grouped
// fn are not interrupted when its caller goes away (an interrupted write
// would roll back the whole group's transaction in SQLite), as if its
// request had come a moment sooner; if the transaction is lost all the
// same (a full disk, an I/O error), the callers already run in it get an
// error and those not yet run go on in a new one.
var GroupCommit = true

// groupMax is the most write transactions one commit holds.
const groupMax = 64

// groupSavepoint names the savepoint of each write in a group.
const groupSavepoint = "kapstone_write"

// groupWriter is the goroutine that runs a SQLite store's writes.
type groupWriter struct {
	s    *Store
	reqs chan *groupReq
	stop chan struct{}
	once sync.Once
	// hold, when not nil (tests), is received from before each group
	// is taken from the queue, so the writes sent meanwhile form one.
	hold chan struct{}
}

type groupReq struct {
	ctx context.Context
	fn  func(*Tx) error
	res chan groupRes // buffered: the writer never waits for its caller
}

type groupRes struct {
	err      error
	panicked bool
	pv       any
}

func newGroupWriter(s *Store) *groupWriter {
	g := &groupWriter{s: s, reqs: make(chan *groupReq), stop: make(chan struct{})}
	go g.run()
	return g
}

// close stops the writer; writes asked after it are refused.
func (g *groupWriter) close() { g.once.Do(func() { close(g.stop) }) }

// write hands fn to the writer and waits for its answer (see GroupCommit).
func (g *groupWriter) write(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		// Gone already: nothing of it runs. (Checked first because a select
		// with both cases ready picks one at random.)
		return unavailable(err)
	}
	r := &groupReq{ctx: ctx, fn: fn, res: make(chan groupRes, 1)}
	select {
	case g.reqs <- r:
	case <-g.stop:
		return unavailable(errors.New("store: closed"))
	case <-ctx.Done():
		// Never handed over: nothing of it ran. (A caller that cannot hand
		// its write over, e.g. a write asked from inside another, is
		// answered when its context ends instead of waiting for good.)
		return unavailable(ctx.Err())
	}
	res := <-r.res // answered in every case, after the commit when there is one
	if res.panicked {
		panic(res.pv)
	}
	return res.err
}

func (g *groupWriter) run() {
	for {
		if g.hold != nil {
			select {
			case <-g.hold:
			case <-g.stop:
				return
			}
		}
		var batch []*groupReq
		select {
		case r := <-g.reqs:
			batch = append(batch, r)
		case <-g.stop:
			return
		}
	more:
		for len(batch) < groupMax {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		g.runGroup(batch)
	}
}

// runGroup writes batch. An fn that ends its goroutine (runtime.Goexit:
// t.Fatal called inside a write, a test's mistake) would take the writer
// with it and leave every later write waiting for good; instead each
// write of the group is answered with an error (one answered already
// keeps its answer) and a new writer takes over.
func (g *groupWriter) runGroup(batch []*groupReq) {
	normal := false
	defer func() {
		if normal {
			return
		}
		for _, r := range batch {
			select {
			case r.res <- groupRes{err: unavailable(errors.New("store: a write ended its goroutine"))}:
			default: // answered already
			}
		}
		go g.run()
	}()
	g.s.writeGroup(batch)
	normal = true
}

// runFn runs fn on t, catching a panic.
func runFn(fn func(*Tx) error, t *Tx) (res groupRes) {
	defer func() {
		if v := recover(); v != nil {
			res = groupRes{panicked: true, pv: v}
		}
	}()
	return groupRes{err: fn(t)}
}

// writeGroup runs batch's writes in one transaction, each in its own
// savepoint, commits them once and answers each.
func (s *Store) writeGroup(batch []*groupReq) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.res <- groupRes{err: unavailable(err)} // gave up before its turn: nothing ran
			continue
		}
		live = append(live, r)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		r := live[0]
		r.res <- runFn(func(*Tx) error { return s.writeOne(r.ctx, r.fn) }, nil)
		return
	}
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		for _, r := range live {
			r.res <- groupRes{err: unavailable(err)}
		}
		return
	}
	defer tx.Rollback()
	ctx := context.Background()
	type ran struct {
		r *groupReq
		t *Tx
	}
	var done []ran
	// lost answers every write run in the transaction with err (none of
	// it can commit now) and runs the ones not run yet in a new one; when
	// none had run, the database cannot be used: each is answered so.
	lost := func(err error, rest []*groupReq) {
		tx.Rollback()
		for _, d := range done {
			d.r.res <- groupRes{err: unavailable(err)}
		}
		if len(rest) == len(live) {
			for _, r := range rest {
				r.res <- groupRes{err: unavailable(err)}
			}
			return
		}
		if len(rest) > 0 {
			s.writeGroup(rest)
		}
	}
	for i, r := range live {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT `+groupSavepoint); err != nil {
			lost(err, live[i:])
			return
		}
		s.stats.writes.Add(1)
		t := &Tx{tx: tx, d: s.d, s: s, grouped: true}
		res := runFn(r.fn, t)
		if res.err != nil || res.panicked {
			// Its changes go, the group's stay.
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO `+groupSavepoint); err != nil {
				if !res.panicked {
					res.err = unavailable(fmt.Errorf("%w (then: %v)", res.err, err))
				}
				r.res <- res
				lost(err, live[i+1:])
				return
			}
			if _, err := tx.ExecContext(ctx, `RELEASE `+groupSavepoint); err != nil {
				r.res <- groupRes{err: unavailable(err)}
				lost(err, live[i+1:])
				return
			}
			if !res.panicked {
				res.err = s.unavailableIf(res.err)
			}
			r.res <- res
			continue
		}
		if _, err := tx.ExecContext(ctx, `RELEASE `+groupSavepoint); err != nil {
			done = append(done, ran{r, t})
			lost(err, live[i+1:])
			return
		}
		done = append(done, ran{r, t})
	}
	if len(done) == 0 {
		return // every write failed: nothing to commit
	}
	if err := tx.Commit(); err != nil {
		for _, d := range done {
			d.r.res <- groupRes{err: unavailable(err)}
		}
		return
	}
	s.groupCommits.Add(1)
	for _, d := range done {
		s.auditAppends.Add(uint64(d.t.audits))
		d.r.res <- groupRes{}
	}
}
