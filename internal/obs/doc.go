// Package obs is kapstone's observability: the Prometheus metrics the
// server exposes at /metrics (metrics.go: counters, gauges and latency
// histograms written in the Prometheus text exposition format with the
// standard library alone), and the request id that every log line written
// while serving a request carries (log.go: a slog handler that reads it from
// the context).
//
// It imports nothing of kapstone's, so the store, the job runner, the web
// layer and the command can all feed it.
package obs
