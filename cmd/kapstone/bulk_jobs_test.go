package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestServeRunsBulkExportJobs: the running program's job runner takes the
// FHIR bulk export's jobs (an export deleted before its job ran, and the
// sweep) and the chaperone watch: a kind without a handler would never be
// claimed.
func TestServeRunsBulkExportJobs(t *testing.T) {
	dsn := storetest.DSN(t)
	args := []string{"serve", "-addr", "127.0.0.1:0"}
	if store.IsPostgresDSN(dsn) {
		args = append(args, "-db", dsn, "-data-dir", t.TempDir())
	} else {
		args = append(args, "-data-dir", filepath.Dir(dsn))
	}
	start(t, nil, args...)
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := map[string]bool{}
	for kind, payload := range map[string]string{store.BulkExportJobKind: `{"export":"no-such-export"}`, store.BulkSweepJobKind: `{}`,
		store.JobChaperoneWatch: `{"session":"no-such-session"}`} { // and a remote session's chaperone watch (issue 20)
		id, err := st.Enqueue(ctx, kind, payload, time.Now(), "")
		if err != nil {
			t.Fatal(err)
		}
		want[id] = true
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		jobs, err := st.ListJobs(ctx, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, j := range jobs {
			if want[j.ID] && j.Status == store.JobDone {
				done++
			}
		}
		if done == len(want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the server's job runner did not run the bulk export's jobs within 30 s")
}
