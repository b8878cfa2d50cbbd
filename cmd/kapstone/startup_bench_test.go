package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// readyWriter is a server's standard output that closes ready at its
// "listening on" line.
type readyWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	ready chan struct{}
	once  sync.Once
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "kapstone: listening on ") {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

// BenchmarkServeReady times `kapstone serve` from its start to its
// "listening on" line, on a practice whose therapist wrote many sealed
// psychotherapy notes (about 2 kB each): start-up reads which data keys
// are in use from the key-use table, not from every note, so the time
// should not grow with them (issue 18: ready in under a second at 10,000
// patients). On PostgreSQL when KAPSTONE_TEST_POSTGRES is set.
func BenchmarkServeReady(b *testing.B) {
	for _, notes := range []int{1, 20000} {
		b.Run(fmt.Sprintf("notes=%d", notes), func(b *testing.B) {
			ctx := context.Background()
			cfg := defaultConfig("serve")
			cfg.DataDir = b.TempDir()
			if dsn := storetest.DSN(b); store.IsPostgresDSN(dsn) {
				cfg.DB = dsn
			}
			st, err := openStore(ctx, &cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			th := &clinic.User{Email: "bench@example.org", DisplayName: "Bench", Role: clinic.RoleTherapist}
			if err := st.CreateUser(ctx, store.System, th, "h"); err != nil {
				b.Fatal(err)
			}
			p := &store.Patient{DisplayName: "Many Notes"}
			if err := st.CreatePatient(ctx, store.Actor{UserID: th.ID, Role: th.Role}, p, ""); err != nil {
				b.Fatal(err)
			}
			key := st.Keyring().Current()
			st.Close()
			driver, dsn := "sqlite3", sqliteRawDSN(cfg.dsn())
			if cfg.DB != "" {
				driver, dsn = "pgx", cfg.DB
			}
			db, err := sql.Open(driver, dsn)
			if err != nil {
				b.Fatal(err)
			}
			// Generated ids and a key id: nothing here needs quoting.
			if _, err := db.Exec(fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
				INSERT INTO psychotherapy_notes (id, patient_id, author_id, body_sealed, version, created_at, updated_at)
				SELECT 'bench' || i, '%s', '%s', 'seal1:%s:%s' || i, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM n`,
				notes, p.ID, th.ID, key, strings.Repeat("A", 2000))); err != nil {
				b.Fatal(err)
			}
			db.Close()
			args := []string{"kapstone", "serve", "-addr", "127.0.0.1:0", "-data-dir", cfg.DataDir}
			if cfg.DB != "" {
				args = append(args, "-db", cfg.DB)
			}
			for b.Loop() {
				ctx, cancel := context.WithCancel(ctx)
				out := &readyWriter{ready: make(chan struct{})}
				done := make(chan error, 1)
				go func() {
					done <- run(ctx, args, func(string) string { return "" }, strings.NewReader(""), out, io.Discard)
				}()
				select {
				case <-out.ready:
				case err := <-done:
					b.Fatalf("kapstone serve stopped before listening: %v", err)
				}
				b.StopTimer()
				cancel()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
