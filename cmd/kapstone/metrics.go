package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/kapstone/kapstone/internal/job"
	"github.com/kapstone/kapstone/internal/obs"
	"github.com/kapstone/kapstone/internal/web"
)

// collectJobs adds the job runner's counts to the metrics.
func collectJobs(m *obs.Metrics, r *job.Runner) {
	m.Collect(func(w *obs.Writer) {
		st := r.Stats()
		w.Family("kapstone_job_runs_total", "counter", "Job attempts this process ran.")
		w.Sample("kapstone_job_runs_total", float64(st.Ran))
		w.Family("kapstone_job_failures_total", "counter", "Job attempts this process ran that failed (to be retried, or failed for good).")
		w.Sample("kapstone_job_failures_total", float64(st.Failed))
		w.Family("kapstone_job_failed_for_good_total", "counter", "Jobs this process marked failed after their last attempt.")
		w.Sample("kapstone_job_failed_for_good_total", float64(st.FailedForGood))
	})
}

// serveMetrics starts the separate metrics listener when -metrics-addr is
// given: it serves /metrics (and nothing else) without a token, so it
// belongs on a loopback or private address. It returns the function that
// stops it.
func serveMetrics(cfg *config, srv *web.Server, log *slog.Logger, stdout io.Writer) (func(), error) {
	if cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	ln, err := listen(cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	metrics := srv.MetricsHandler()
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/metrics" || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
				http.NotFound(w, r)
				return
			}
			metrics.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go hs.Serve(ln)
	log.Info("metrics listening", "addr", ln.Addr().String())
	fmt.Fprintf(stdout, "kapstone: metrics on http://%s/metrics\n", ln.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	}, nil
}
