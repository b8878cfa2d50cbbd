package shell

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kapstone/kapstone/internal/obs"
)

// alertCountTTL is how long the open-alert count is reused between scrapes.
const alertCountTTL = 15 * time.Second

// collectStore registers the metrics read from the store at each scrape:
// both connection pools, the job queue, audit rows appended and the open
// safety alerts (a COUNT kept for alertCountTTL).
func (s *App) collectStore() {
	var (
		mu        sync.Mutex
		alerts    int64
		alertsErr bool
		alertsAt  time.Time
	)
	s.Metrics.Collect(func(w *obs.Writer) {
		wst, rst, shared := s.Store.PoolStats()
		type pool struct {
			name                                    string
			open, inUse, idle, max                  int
			waits                                   int64
			waited                                  time.Duration
			closedIdle, closedLifetime, closedLimit int64
		}
		ps := []pool{{"write", wst.OpenConnections, wst.InUse, wst.Idle, wst.MaxOpenConnections, wst.WaitCount, wst.WaitDuration, wst.MaxIdleClosed, wst.MaxLifetimeClosed, wst.MaxIdleTimeClosed}}
		if !shared {
			ps = append(ps, pool{"read", rst.OpenConnections, rst.InUse, rst.Idle, rst.MaxOpenConnections, rst.WaitCount, rst.WaitDuration, rst.MaxIdleClosed, rst.MaxLifetimeClosed, rst.MaxIdleTimeClosed})
		}
		gauges := []struct {
			name, help string
			v          func(pool) float64
		}{
			{"kapstone_db_connections_open", "Connections open in the pool (write: the writer's; read: the readers', on SQLite; PostgreSQL has one pool, named write).", func(p pool) float64 { return float64(p.open) }},
			{"kapstone_db_connections_in_use", "Connections of the pool in use.", func(p pool) float64 { return float64(p.inUse) }},
			{"kapstone_db_connections_idle", "Connections of the pool idle.", func(p pool) float64 { return float64(p.idle) }},
			{"kapstone_db_connections_max", "Most connections the pool may open (0: no limit).", func(p pool) float64 { return float64(p.max) }},
		}
		for _, g := range gauges {
			w.Family(g.name, "gauge", g.help)
			for _, p := range ps {
				w.Sample(g.name, g.v(p), "pool", p.name)
			}
		}
		w.Family("kapstone_db_wait_total", "counter", "Times a query waited for a free connection of the pool.")
		for _, p := range ps {
			w.Sample("kapstone_db_wait_total", float64(p.waits), "pool", p.name)
		}
		w.Family("kapstone_db_wait_seconds_total", "counter", "Time spent waiting for a free connection of the pool.")
		for _, p := range ps {
			w.Sample("kapstone_db_wait_seconds_total", p.waited.Seconds(), "pool", p.name)
		}
		w.Family("kapstone_db_connections_closed_total", "counter", "Connections the pool closed, by reason (max_idle, max_lifetime, max_idle_time).")
		for _, p := range ps {
			w.Sample("kapstone_db_connections_closed_total", float64(p.closedIdle), "pool", p.name, "reason", "max_idle")
			w.Sample("kapstone_db_connections_closed_total", float64(p.closedLifetime), "pool", p.name, "reason", "max_lifetime")
			w.Sample("kapstone_db_connections_closed_total", float64(p.closedLimit), "pool", p.name, "reason", "max_idle_time")
		}

		w.Family("kapstone_audit_appends_total", "counter", "Audit rows this process appended in transactions that committed.")
		w.Sample("kapstone_audit_appends_total", float64(s.Store.AuditAppends()))

		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		depth, err := s.Store.JobDepth(ctx)
		w.Family("kapstone_jobs", "gauge", "Background jobs in the database by status: pending (the queue), running, failed (for good, after their last attempt).")
		if err == nil {
			for _, st := range []string{"pending", "running", "failed"} {
				w.Sample("kapstone_jobs", float64(depth[st]), "status", st)
			}
		}
		failed := 0
		if err != nil {
			failed++
		}

		mu.Lock()
		if time.Since(alertsAt) > alertCountTTL {
			n, err := s.Store.OpenAlertCount(ctx)
			alerts, alertsErr, alertsAt = n, err != nil, time.Now()
		}
		n, bad := alerts, alertsErr
		mu.Unlock()
		if bad {
			failed++
		} else {
			w.Family("kapstone_safety_alerts_open", "gauge", "Safety alerts not yet acknowledged, practice-wide (counted at most every 15 seconds).")
			w.Sample("kapstone_safety_alerts_open", float64(n))
		}
		w.Family("kapstone_metrics_query_errors", "gauge", "Queries of this scrape that failed (their metrics are left out).")
		w.Sample("kapstone_metrics_query_errors", float64(failed))
	})
}

// MetricsHandler serves the metrics in the Prometheus text format, to
// whoever reaches it: the command mounts it alone on the -metrics-addr
// listener; on the main listener it is guarded by MetricsPage.
func (s *App) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if _, err := s.Metrics.WriteTo(w); err != nil && r.Context().Err() == nil {
			s.Log.WarnContext(r.Context(), "metrics: write failed", "err", err.Error())
		}
	})
}

// MetricsPage is /metrics on the main listener. It answers only when a
// metrics token is configured (Config.MetricsToken) and the request carries
// it as "Authorization: Bearer <token>" (compared in constant time); any
// other request gets the ordinary 404 page, as for a page that does not
// exist. Without a token, metrics are off here (the command may serve them
// on a separate bind address instead).
func (s *App) MetricsPage(w http.ResponseWriter, r *http.Request) {
	if !s.metricsAuthorized(r) {
		s.NotFound(w, r)
		return
	}
	s.MetricsHandler().ServeHTTP(w, r)
}

func (s *App) metricsAuthorized(r *http.Request) bool {
	want := s.Config.MetricsToken
	if want == "" {
		return false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) == 1
}
