package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/kapstone/kapstone/internal/audit"
)

// groupStore opens a SQLite store on a new file with a table kv and an
// audit key, its writes grouped.
func groupStore(t *testing.T) (*Store, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "group.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if s.group == nil {
		t.Fatal("a SQLite store does not group its writes")
	}
	key, err := audit.LoadOrCreateKey(filepath.Join(dir, "audit-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	s.SetAuditKey(key)
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return s, path
}

// holdGroups replaces s's writer with one that takes its next group only
// when told (a send on the channel returned), and whose queue holds the
// writes sent meanwhile, so a test knows which writes form one group.
func holdGroups(s *Store) *groupWriter {
	s.group.close()
	g := &groupWriter{s: s, reqs: make(chan *groupReq, groupMax), stop: make(chan struct{}), hold: make(chan struct{})}
	go g.run()
	s.group = g
	return g
}

func kvRows(t *testing.T, s *Store) map[int]bool {
	t.Helper()
	got := map[int]bool{}
	err := s.read(context.Background(), func(tx *Tx) error {
		ks, err := queryAll(context.Background(), tx, func(r scanner) (k int, err error) { err = r.Scan(&k); return k, err }, `SELECT k FROM kv ORDER BY k`)
		for _, k := range ks {
			got[k] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestGroupCommitIsolation: writes asked at the same time commit once,
// together, and each is answered for itself: one that fails, breaks a
// constraint or panics leaves nothing behind (its audit row neither) and
// takes nothing of the others with it; one whose caller gave up before
// its turn never runs; the audit chain of what committed verifies.
func TestGroupCommitIsolation(t *testing.T) {
	s, _ := groupStore(t)
	ctx := context.Background()
	insert := func(k int, then error) func(*Tx) error {
		return func(tx *Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO kv (k, v) VALUES ($1, $2)`, k, "v"); err != nil {
				return err
			}
			if err := s.appendAudit(ctx, tx, System, Entry{Action: "kv.put", ObjectType: "kv", ObjectID: fmt.Sprint(k)}); err != nil {
				return err
			}
			return then
		}
	}
	if err := s.write(ctx, insert(100, nil)); err != nil { // before the group
		t.Fatal(err)
	}
	g := holdGroups(s)
	gone, cancel := context.WithCancel(ctx)
	defer cancel()
	refused := errors.New("refused")
	ran5 := false
	cases := []struct {
		ctx     context.Context
		fn      func(*Tx) error
		wantErr bool
		panics  bool
	}{
		{ctx, insert(1, nil), false, false},
		{ctx, insert(2, refused), true, false},
		{ctx, insert(100, nil), true, false}, // the key is taken
		{ctx, func(tx *Tx) error { insert(4, nil)(tx); panic("boom") }, false, true},
		{gone, func(tx *Tx) error { ran5 = true; return insert(5, nil)(tx) }, true, false},
		{ctx, insert(6, nil), false, false},
	}
	errs := make([]error, len(cases))
	panics := make([]any, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.write(c.ctx, c.fn)
		})
	}
	for len(g.reqs) < len(cases) {
		runtime.Gosched() // every write queued
	}
	cancel() // write 5's caller gives up while it waits its turn
	before := s.groupCommits.Load()
	g.hold <- struct{}{}
	wg.Wait()
	g.close()
	s.group = newGroupWriter(s) // writes no longer held (FindAudit below writes its own row)
	for i, c := range cases {
		if (errs[i] != nil) != c.wantErr || (panics[i] != nil) != c.panics {
			t.Errorf("write %d: err %v, panic %v; want error %v, panic %v", i, errs[i], panics[i], c.wantErr, c.panics)
		}
	}
	if !errors.Is(errs[1], refused) {
		t.Errorf("the refused write's error = %v, want its own", errs[1])
	}
	if ran5 {
		t.Error("a write whose caller gave up before its turn ran")
	}
	ranLate := false
	if err := s.write(gone, func(*Tx) error { ranLate = true; return nil }); err == nil || ranLate {
		t.Errorf("a write asked after its caller gave up: err %v, ran %v; want an error and no run", err, ranLate)
	}
	if n := s.groupCommits.Load() - before; n != 1 {
		t.Errorf("%d group commits, want the 6 writes in 1", n)
	}
	want := map[int]bool{1: true, 6: true, 100: true}
	if got := kvRows(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	rows, _, err := s.FindAudit(ctx, Actor{Role: "admin"}, AuditFilter{Action: "kv.put", Sort: "oldest"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ObjectID)
	}
	if fmt.Sprint(ids) != "[100 1 6]" && fmt.Sprint(ids) != "[100 6 1]" {
		t.Errorf("kv.put audit rows for %v, want 100 then 1 and 6", ids)
	}
	if p, _, err := s.VerifyAudit(ctx, nil); err != nil || p != nil {
		t.Errorf("audit verify: %v %v", p, err)
	}
}

// TestGroupCommitDurable: many writers at once, each audited; every
// acknowledged write is in the database file and its log when the
// process stops without closing it (a copy of the files taken then, as a
// crash would leave them), with an audit chain that verifies.
func TestGroupCommitDurable(t *testing.T) {
	s, path := groupStore(t)
	ctx := context.Background()
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				k := w*each + i
				errs <- s.write(ctx, func(tx *Tx) error {
					if _, err := tx.Exec(ctx, `INSERT INTO kv (k, v) VALUES ($1, $2)`, k, "v"); err != nil {
						return err
					}
					return s.appendAudit(ctx, tx, System, Entry{Action: "kv.put", ObjectType: "kv", ObjectID: fmt.Sprint(k)})
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The files as they are now, the store still open.
	crash := filepath.Join(t.TempDir(), "crash.db")
	for _, suffix := range []string{"", "-wal"} {
		copyFile(t, path+suffix, crash+suffix)
	}
	c, err := Open(ctx, crash)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetAuditKey(s.key)
	if got := kvRows(t, c); len(got) != writers*each {
		t.Errorf("%d rows after the crash, want every acknowledged write (%d)", len(got), writers*each)
	}
	if p, _, err := c.VerifyAudit(ctx, nil); err != nil || p != nil {
		t.Errorf("audit verify after the crash: %v %v", p, err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitLost: when a group's transaction is lost under it (as
// SQLite rolls one back on a full disk or an I/O error; here a write ends
// it), every write run in it is answered with an error, none
// acknowledged, and the writes not run yet go on in a new transaction.
func TestGroupCommitLost(t *testing.T) {
	s, _ := groupStore(t)
	ctx := context.Background()
	g := holdGroups(s)
	insert := func(k int, end bool) func(*Tx) error {
		return func(tx *Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO kv (k, v) VALUES ($1, $2)`, k, "v"); err != nil {
				return err
			}
			if end {
				_, err := tx.tx.ExecContext(ctx, `ROLLBACK`)
				return err
			}
			return nil
		}
	}
	fns := []func(*Tx) error{insert(1, false), insert(2, true), insert(3, false)}
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = s.write(ctx, fn) })
		for len(g.reqs) < i+1 {
			runtime.Gosched() // queued in this order
		}
	}
	g.hold <- struct{}{} // the group of three (the one not run goes on at once)
	wg.Wait()
	g.close()
	if errs[0] == nil || errs[1] == nil || errs[2] != nil {
		t.Errorf("errors %v, want the two run in the lost transaction refused and the third committed", errs)
	}
	if got := kvRows(t, s); fmt.Sprint(got) != fmt.Sprint(map[int]bool{3: true}) {
		t.Errorf("rows %v, want only 3", got)
	}
}

// TestGroupCommitGoexit: a write whose fn ends its goroutine (t.Fatal
// called inside a write, a test's mistake) is answered with an error, so
// are the others of its group (their transaction is gone), and the store
// goes on writing instead of leaving every later write waiting for good.
func TestGroupCommitGoexit(t *testing.T) {
	s, _ := groupStore(t)
	ctx := context.Background()
	put := func(k int) func(*Tx) error {
		return func(tx *Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO kv (k, v) VALUES ($1, $2)`, k, "v")
			return err
		}
	}
	exit := func(tx *Tx) error {
		if err := put(1)(tx); err != nil {
			return err
		}
		runtime.Goexit()
		return nil
	}
	if err := s.write(ctx, exit); err == nil {
		t.Error("a write that ended its goroutine was acknowledged")
	}
	if err := s.write(ctx, put(2)); err != nil {
		t.Fatalf("the next write: %v", err)
	}
	// In a group: both answered with an error, neither kept.
	g := holdGroups(s)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = s.write(ctx, put(3)) })
	for len(g.reqs) < 1 {
		runtime.Gosched()
	}
	wg.Go(func() { errs[1] = s.write(ctx, exit) })
	for len(g.reqs) < 2 {
		runtime.Gosched()
	}
	g.hold <- struct{}{}
	wg.Wait()
	if errs[0] == nil || errs[1] == nil {
		t.Errorf("group with a write that ended its goroutine: errors %v", errs)
	}
	wg.Go(func() { errs[0] = s.write(ctx, put(4)) })
	g.hold <- struct{}{} // the new writer takes its next group
	wg.Wait()
	if errs[0] != nil {
		t.Fatalf("a write after the group: %v", errs[0])
	}
	g.close()
	s.group = newGroupWriter(s)
	want := map[int]bool{2: true, 4: true}
	if got := kvRows(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", got, want)
	}
}
