package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestServeRunsJobs: a running kapstone picks up background jobs from the
// database (here a job written by another process, as a second instance
// would), runs it, and records its outcome for the admin jobs page.
func TestServeRunsJobs(t *testing.T) {
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
	// An alert email for an alert that does not exist: the handler runs and
	// fails, which shows the server's runner claimed it.
	id, err := st.Enqueue(ctx, store.JobAlertEmail, `{"alert":"no-such-alert"}`, time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		jobs, err := st.ListJobs(ctx, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.ID == id && j.Attempts > 0 && j.Status != store.JobRunning {
				if !strings.Contains(j.LastError, "alert email") {
					t.Fatalf("job ran with error %q, want the alert email handler's", j.LastError)
				}
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the server's job runner did not run the job within 30 s")
}
