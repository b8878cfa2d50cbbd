package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// BenchmarkTwoInstancesAuditedReads measures how audited reads scale from
// one instance to two on one PostgreSQL (before migration 0042 every audited
// transaction took the chain's one advisory lock; now each appends its row
// pending and each store runs a sealer every 100 ms, as the maintenance
// loop does):
// parallel clients read patients through FindPatient (an access check and
// a read, with its audit row, in one write transaction: what every
// audited page view does) from one store, then half of them from each of
// two stores on the same database; and, as the baseline, the same access
// check in a read transaction with no audit row (AuthorizeRecord). It
// prints each configuration's reads per second, the ratios, and the
// average number of transactions queued on the audit lock (pg_locks,
// sampled every 5 ms). Run it once per measurement:
//
//	KAPSTONE_TEST_POSTGRES=... go test -run '^$' -bench TwoInstancesAuditedReads -benchtime 1x ./internal/store/
//
// KAPSTONE_BENCH_SECONDS sets each configuration's duration (default 3)
// and KAPSTONE_BENCH_CLIENTS the parallel clients (default 16).
func BenchmarkTwoInstancesAuditedReads(b *testing.B) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		b.Skip("PostgreSQL only: two instances share a database only on PostgreSQL; set KAPSTONE_TEST_POSTGRES")
	}
	secs, clients := 3, 16
	fmt.Sscan(os.Getenv("KAPSTONE_BENCH_SECONDS"), &secs)
	fmt.Sscan(os.Getenv("KAPSTONE_BENCH_CLIENTS"), &clients)
	ctx := context.Background()
	dsn := storetest.DSN(b)
	one, two := storetest.OpenDSN(b, dsn), storetest.OpenDSN(b, dsn)
	two.SetAuditKey(one.AuditKey())
	hash, _ := auth.HashPassword("a long enough bench password", auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1})
	u := &clinic.User{Email: "thea@example.org", DisplayName: "Thea Therapist", Role: clinic.RoleTherapist}
	if err := one.CreateUser(ctx, store.System, u, hash); err != nil {
		b.Fatal(err)
	}
	thea := store.Actor{UserID: u.ID, Role: u.Role}
	var ids []string
	for i := range 50 {
		p := &store.Patient{DisplayName: fmt.Sprintf("Patient %02d", i)}
		if err := one.CreatePatient(ctx, thea, p, ""); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	db, err := sql.Open("pgx", os.Getenv(storetest.PostgresEnv))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()

	// run has clients goroutines call op on their store (client i on
	// stores[i%len(stores)]) for secs seconds; it returns reads per second
	// and the average number of transactions waiting for the audit lock.
	run := func(stores []*store.Store, op func(s *store.Store, id string) error) (float64, float64) {
		var n atomic.Int64
		var failed atomic.Value
		stop := time.Now().Add(time.Duration(secs) * time.Second)
		var wg sync.WaitGroup
		for _, s := range stores {
			wg.Go(func() {
				for time.Now().Before(stop) {
					if _, err := s.SealAudit(ctx); err != nil {
						failed.Store(err)
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			})
		}
		for c := range clients {
			s := stores[c%len(stores)]
			wg.Go(func() {
				for i := c; time.Now().Before(stop); i++ {
					if err := op(s, ids[i%len(ids)]); err != nil {
						failed.Store(err)
						return
					}
					n.Add(1)
				}
			})
		}
		var samples, waiting int64
		for time.Now().Before(stop) {
			var w int64
			// The audit lock's key, 7041990214, is (classid 1, objid 2747022918).
			if db.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 1 AND objid = 2747022918`).Scan(&w) == nil {
				samples++
				waiting += w
			}
			time.Sleep(5 * time.Millisecond)
		}
		wg.Wait()
		if err, _ := failed.Load().(error); err != nil {
			b.Fatal(err)
		}
		return float64(n.Load()) / float64(secs), float64(waiting) / float64(max(samples, 1))
	}
	audited := func(s *store.Store, id string) error { _, _, err := s.FindPatient(ctx, thea, id); return err }
	plain := func(s *store.Store, id string) error {
		return s.AuthorizeRecord(ctx, thea, id, auth.PermProfile, "GET /bench")
	}
	b.ResetTimer()
	a1, q1 := run([]*store.Store{one}, audited)
	a2, q2 := run([]*store.Store{one, two}, audited)
	p1, _ := run([]*store.Store{one}, plain)
	p2, _ := run([]*store.Store{one, two}, plain)
	b.StopTimer()
	b.ReportMetric(a1, "audited-1inst/s")
	b.ReportMetric(a2, "audited-2inst/s")
	b.ReportMetric(a2/a1, "audited-2inst/1inst")
	b.ReportMetric(p2/p1, "unaudited-2inst/1inst")
	b.Logf("%d clients, %d s each (shared machine: ratios from one run)", clients, secs)
	b.Logf("audited reads:   one instance %.0f/s (%.1f queued on the audit lock), two instances %.0f/s (%.1f queued): ratio %.2f", a1, q1, a2, q2, a2/a1)
	b.Logf("unaudited reads: one instance %.0f/s, two instances %.0f/s: ratio %.2f; audited/unaudited with two instances %.2f", p1, p2, p2/p1, a2/p2)
}
