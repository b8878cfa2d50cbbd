package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestTwoInstancesSealOneChain: two stores (two instances' pools) on one
// PostgreSQL database append audit rows concurrently, each with no lock,
// while both run their sealers at the same time; every row ends up in one
// chain that verifies, with no gap, each row exactly once, and nothing
// left pending.
func TestTwoInstancesSealOneChain(t *testing.T) {
	requirePostgres(t)
	ctx := context.Background()
	dsn := storetest.DSN(t)
	a, b := storetest.OpenDSN(t, dsn), storetest.OpenDSN(t, dsn)
	b.SetAuditKey(a.AuditKey()) // instances share the key file
	const writers, each = 8, 40
	stop := make(chan struct{})
	var sealers sync.WaitGroup
	var sealErr [2]error
	var busy [2]int
	for i, s := range []*store.Store{a, b} {
		sealers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := s.SealAudit(ctx)
				if err != nil {
					sealErr[i] = err
					return
				}
				if res.Busy {
					busy[i]++
				}
				if len(res.Held) > 0 {
					sealErr[i] = fmt.Errorf("sealer held back rows %v", res.Held)
					return
				}
			}
		})
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		s := []*store.Store{a, b}[w%2]
		wg.Go(func() {
			for i := range each {
				errs <- s.Audit(ctx, store.Actor{UserID: "u", Role: clinic.RoleTherapist}, store.Entry{Action: "test.concurrent", ObjectID: fmt.Sprintf("w%d-%d", w, i)})
			}
		})
	}
	wg.Wait()
	close(stop)
	sealers.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, err := range sealErr {
		if err != nil {
			t.Fatalf("sealer %d: %v", i, err)
		}
	}
	t.Logf("sealer calls that found the other one sealing: %v", busy)
	p, n, err := b.VerifyAudit(ctx, nil)
	if err != nil || p != nil || n != writers*each {
		t.Fatalf("VerifyAudit = %v, %d, %v; want intact with %d rows", p, n, err, writers*each)
	}
	if left, err := store.PendingAuditForTest(ctx, a); err != nil || left != 0 {
		t.Fatalf("%d rows still pending after verify sealed (%v), want 0", left, err)
	}
	rows, _, err := a.FindAudit(ctx, store.Actor{UserID: "admin", Role: clinic.RoleAdmin}, store.AuditFilter{Action: "test.concurrent", Sort: "oldest", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, r := range rows {
		if i > 0 && r.Seq <= rows[i-1].Seq {
			t.Fatalf("rows out of order: seq %d after %d", r.Seq, rows[i-1].Seq)
		}
		ids = append(ids, r.ObjectID)
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != writers*each {
		t.Fatalf("%d distinct rows in the chain, want %d (each row once)", len(ids), writers*each)
	}
}

// TestSealerOneAtATime: while one sealer holds the lock, another returns
// at once with Busy and seals nothing (it never waits on it); once the
// lock is free it seals everything, and a second call finds nothing left.
func TestSealerOneAtATime(t *testing.T) {
	requirePostgres(t)
	ctx := context.Background()
	dsn := storetest.DSN(t)
	s := storetest.OpenDSN(t, dsn)
	for i := range 5 {
		if err := s.Audit(ctx, store.System, store.Entry{Action: "test.event", ObjectID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7041990214)`); err != nil {
		t.Fatal(err)
	}
	res, err := s.SealAudit(ctx)
	if err != nil || !res.Busy || res.Sealed != 0 {
		t.Fatalf("SealAudit while another sealer holds the lock = %+v, %v; want busy, nothing sealed", res, err)
	}
	other.Rollback()
	// Waiting: the advisory lock is the database's, so another package's
	// tests on the same PostgreSQL may be sealing their own schema's rows.
	if res, err = s.SealAuditWait(ctx); err != nil || res.Busy || res.Sealed != 5 {
		t.Fatalf("SealAudit = %+v, %v; want 5 sealed", res, err)
	}
	if res, err = s.SealAudit(ctx); err != nil || res.Sealed != 0 {
		t.Fatalf("SealAudit again = %+v, %v; want nothing left", res, err)
	}
	if p, n, err := s.VerifyAudit(ctx, nil); err != nil || p != nil || n != 5 {
		t.Fatalf("VerifyAudit = %v, %d, %v; want intact with 5 rows", p, n, err)
	}
}

// TestPendingRowEditedIsFound: a pending row edited before it is sealed
// (by someone with write access to the database, past its trigger) is
// never chained: the sealer holds it back and chains the rows after it,
// and verify reports it; the untouched rows verify. Each field is tried.
func TestPendingRowEditedIsFound(t *testing.T) {
	requirePostgres(t)
	for _, set := range []string{
		`detail = 'nothing to see'`, `actor_id = 'someone-else'`, `action = 'test.other'`, `at = at - interval '1 hour'`,
		`patient_id = 'p2'`, `outcome = 'denied'`, `client_addr = '192.0.2.99'`, `id = id + 1000`,
	} {
		t.Run(set, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t)
			s := storetest.OpenDSN(t, dsn)
			for i := range 3 {
				if err := s.Audit(ctx, store.Actor{UserID: "u1", Role: clinic.RoleTherapist, Addr: "192.0.2.1"}, store.Entry{Action: "test.event", PatientID: "p1", ObjectID: fmt.Sprint(i), Detail: "d"}); err != nil {
					t.Fatal(err)
				}
			}
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, `UPDATE audit_pending SET detail = 'x'`); err == nil {
				t.Fatal("UPDATE audit_pending succeeded, want the trigger to refuse it")
			}
			if _, err := db.ExecContext(ctx, `DELETE FROM audit_pending`); err == nil {
				t.Fatal("DELETE FROM audit_pending outside the sealer succeeded, want the trigger to refuse it")
			}
			for _, q := range []string{`ALTER TABLE audit_pending DISABLE TRIGGER USER`, `UPDATE audit_pending SET ` + set + ` WHERE id = (SELECT min(id) + 1 FROM audit_pending)`, `ALTER TABLE audit_pending ENABLE TRIGGER USER`} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(q, err)
				}
			}
			// As a restore verifies: nothing sealed, the edit found all the same.
			p, n, err := s.VerifyAuditAsStored(ctx, nil)
			if left, _ := store.PendingAuditForTest(ctx, s); err != nil || p == nil || n != 0 || left != 3 {
				t.Fatalf("VerifyAuditAsStored = %v, %d, %v with %d pending; want the edited pending row found, nothing sealed", p, n, err, left)
			}
			p, n, err = s.VerifyAudit(ctx, nil)
			if err != nil || p == nil || n != 2 {
				t.Fatalf("VerifyAudit = %v, %d, %v; want the edited pending row found, 2 rows chained", p, n, err)
			}
			t.Log(p.Reason)
			res, err := s.SealAuditWait(ctx) // not Busy because another package's sealer holds the database's lock
			if err != nil || len(res.Held) != 1 || res.Sealed != 0 {
				t.Fatalf("SealAudit = %+v, %v; want the edited row held back, nothing else to seal", res, err)
			}
		})
	}
}

// TestRecentReadersSeePendingRows: rate limits, the recent sign-in check
// and the patient's access report count a row the moment it commits, before
// any sealer has chained it (on SQLite every row is chained at once).
func TestRecentReadersSeePendingRows(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	since := time.Now().Add(-time.Minute)
	anon := store.Actor{Addr: "198.51.100.7"}
	for range 3 {
		if err := s.Audit(ctx, anon, store.Entry{Action: "login.failure", Outcome: store.OutcomeFailure, ObjectType: "user", ObjectID: "u9"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Audit(ctx, anon, store.Entry{Action: "login.success", ObjectType: "user", ObjectID: "u9"}); err != nil {
		t.Fatal(err)
	}
	if s.Engine() == store.EnginePostgres {
		if n, err := store.PendingAuditForTest(ctx, s); err != nil || n != 4 {
			t.Fatalf("%d rows pending (%v), want 4: the test must read them unsealed", n, err)
		}
	}
	for _, c := range []struct {
		name           string
		action, object string
		addr           string
		want           int
	}{
		{"failures for the account", "login.failure", "u9", "", 3},
		{"failures from the address", "login.failure", "", "198.51.100.7", 3},
		{"failures for both", "login.failure", "u9", "198.51.100.7", 3},
		{"another address", "login.failure", "", "198.51.100.8", 0},
		{"successes", "login.success", "u9", "", 1},
	} {
		n, oldest, err := s.CountAudit(ctx, c.action, c.object, c.addr, since)
		if err != nil || n != c.want {
			t.Errorf("%s: CountAudit = %d, %v; want %d", c.name, n, err, c.want)
		}
		if c.want > 0 && oldest.Before(since) {
			t.Errorf("%s: oldest = %v, before %v", c.name, oldest, since)
		}
	}
	if ok, err := s.SignedInFrom(ctx, "u9", "198.51.100.7", since); err != nil || !ok {
		t.Errorf("SignedInFrom = %v, %v; want true from the pending row", ok, err)
	}
}

// TestAccessReportShowsPendingRows: the patient's access report lists a
// look at their record the moment it commits, before it is sealed, and as
// the newest row, after those already in the chain.
func TestAccessReportShowsPendingRows(t *testing.T) {
	ctx := context.Background()
	rp := newRiskPractice(t)
	if _, err := rp.s.SealAuditWait(ctx); err != nil {
		t.Fatal(err)
	}
	rp.now = rp.now.Add(time.Minute)
	if _, _, err := rp.s.FindPatient(ctx, rp.therapist, rp.p.ID); err != nil {
		t.Fatal(err)
	}
	if rp.s.Engine() == store.EnginePostgres {
		if n, err := store.PendingAuditForTest(ctx, rp.s); err != nil || n != 1 {
			t.Fatalf("%d rows pending (%v), want the read's 1", n, err)
		}
	}
	report, err := rp.s.AccessReport(ctx, rp.patient)
	if err != nil {
		t.Fatal(err)
	}
	if len(report) < 2 || report[0].Action != "patient.read" || !report[0].At.Equal(rp.now) {
		t.Fatalf("access report = %+v, want the therapist's read first (newest), then the sealed rows", report)
	}
}
