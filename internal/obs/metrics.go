package obs

import (
	"bufio"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LatencyBuckets are the upper bounds, in seconds, of the request latency
// histogram's buckets.
var LatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics holds the server's request counters and latency histograms, and
// the collectors that write the rest (database pools, jobs, alerts) when
// scraped. A request is counted under its route pattern, never its path, so
// no id or other patient data reaches a label and the number of series is
// bounded by the route table. It is safe for concurrent use.
type Metrics struct {
	mu         sync.RWMutex
	routes     map[string]*routeStats
	collectors []func(*Writer)
	start      time.Time
	version    string
}

type routeStats struct {
	mu      sync.Mutex
	codes   map[int]uint64
	buckets []uint64 // per bucket, not cumulative; the last is +Inf
	sum     float64
	count   uint64
}

// NewMetrics returns an empty set of metrics for a server of version.
func NewMetrics(version string) *Metrics {
	return &Metrics{routes: map[string]*routeStats{}, start: time.Now(), version: version}
}

// ObserveRequest counts one request answered on route (a route pattern,
// or "unmatched") with status code, taking d.
func (m *Metrics) ObserveRequest(route string, code int, d time.Duration) {
	if code == 0 {
		code = 200 // nothing written: net/http answers 200
	}
	m.mu.RLock()
	rs := m.routes[route]
	m.mu.RUnlock()
	if rs == nil {
		m.mu.Lock()
		if rs = m.routes[route]; rs == nil {
			rs = &routeStats{codes: map[int]uint64{}, buckets: make([]uint64, len(LatencyBuckets)+1)}
			m.routes[route] = rs
		}
		m.mu.Unlock()
	}
	sec := d.Seconds()
	i, _ := slices.BinarySearch(LatencyBuckets, sec)
	rs.mu.Lock()
	rs.codes[code]++
	rs.buckets[i]++
	rs.sum += sec
	rs.count++
	rs.mu.Unlock()
}

// Collect adds f, called on every scrape to write metrics of its own.
func (m *Metrics) Collect(f func(*Writer)) {
	m.mu.Lock()
	m.collectors = append(m.collectors, f)
	m.mu.Unlock()
}

// WriteTo writes every metric in the Prometheus text exposition format
// (version 0.0.4): the requests, the Go runtime, then each collector's.
func (m *Metrics) WriteTo(out io.Writer) (int64, error) {
	bw := bufio.NewWriter(out)
	w := &Writer{w: bw}
	m.mu.RLock()
	names := make([]string, 0, len(m.routes))
	for k := range m.routes {
		names = append(names, k)
	}
	collectors := slices.Clone(m.collectors)
	m.mu.RUnlock()
	slices.Sort(names)

	type snap struct {
		codes   map[int]uint64
		buckets []uint64
		sum     float64
		count   uint64
	}
	snaps := make([]snap, len(names))
	for i, n := range names {
		m.mu.RLock()
		rs := m.routes[n]
		m.mu.RUnlock()
		rs.mu.Lock()
		snaps[i] = snap{codes: make(map[int]uint64, len(rs.codes)), buckets: slices.Clone(rs.buckets), sum: rs.sum, count: rs.count}
		for c, v := range rs.codes {
			snaps[i].codes[c] = v
		}
		rs.mu.Unlock()
	}

	w.Family("kapstone_http_requests_total", "counter", "HTTP requests answered, by route pattern (never the path) and status code.")
	for i, n := range names {
		codes := make([]int, 0, len(snaps[i].codes))
		for c := range snaps[i].codes {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		for _, c := range codes {
			w.Sample("kapstone_http_requests_total", float64(snaps[i].codes[c]), "route", n, "code", strconv.Itoa(c), "class", strconv.Itoa(c/100)+"xx")
		}
	}
	w.Family("kapstone_http_request_duration_seconds", "histogram", "Time from a request's arrival to the end of its answer, by route pattern.")
	for i, n := range names {
		var cum uint64
		for b, le := range LatencyBuckets {
			cum += snaps[i].buckets[b]
			w.Sample("kapstone_http_request_duration_seconds_bucket", float64(cum), "route", n, "le", formatFloat(le))
		}
		cum += snaps[i].buckets[len(LatencyBuckets)]
		w.Sample("kapstone_http_request_duration_seconds_bucket", float64(cum), "route", n, "le", "+Inf")
		w.Sample("kapstone_http_request_duration_seconds_sum", snaps[i].sum, "route", n)
		w.Sample("kapstone_http_request_duration_seconds_count", float64(snaps[i].count), "route", n)
	}

	m.writeRuntime(w)
	for _, f := range collectors {
		f(w)
	}
	if err := bw.Flush(); err != nil {
		return w.n, err
	}
	return w.n, w.err
}

// writeRuntime writes the process's and the Go runtime's own metrics.
func (m *Metrics) writeRuntime(w *Writer) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.Family("kapstone_build_info", "gauge", "Always 1; the version label names the running build.")
	w.Sample("kapstone_build_info", 1, "version", m.version, "go_version", runtime.Version())
	w.Family("process_start_time_seconds", "gauge", "When the process started, in seconds since the Unix epoch.")
	w.Sample("process_start_time_seconds", float64(m.start.UnixNano())/1e9)
	w.Family("go_goroutines", "gauge", "Goroutines that currently exist.")
	w.Sample("go_goroutines", float64(runtime.NumGoroutine()))
	w.Family("go_memstats_heap_alloc_bytes", "gauge", "Bytes of allocated heap objects.")
	w.Sample("go_memstats_heap_alloc_bytes", float64(ms.HeapAlloc))
	w.Family("go_memstats_heap_inuse_bytes", "gauge", "Bytes in in-use heap spans.")
	w.Sample("go_memstats_heap_inuse_bytes", float64(ms.HeapInuse))
	w.Family("go_memstats_heap_objects", "gauge", "Allocated heap objects.")
	w.Sample("go_memstats_heap_objects", float64(ms.HeapObjects))
	w.Family("go_memstats_sys_bytes", "gauge", "Bytes of memory obtained from the operating system.")
	w.Sample("go_memstats_sys_bytes", float64(ms.Sys))
	w.Family("go_gc_cycles_total", "counter", "Completed garbage collection cycles.")
	w.Sample("go_gc_cycles_total", float64(ms.NumGC))
	w.Family("go_gc_pause_seconds_total", "counter", "Total time the world was stopped for garbage collection.")
	w.Sample("go_gc_pause_seconds_total", float64(ms.PauseTotalNs)/1e9)
}

// Writer writes metric families in the text exposition format. A
// collector calls Family once per metric name, then Sample for each series.
type Writer struct {
	w   *bufio.Writer
	n   int64
	err error
}

// Family writes the HELP and TYPE lines of the metric name; typ is
// counter, gauge, histogram or untyped.
func (w *Writer) Family(name, typ, help string) {
	w.write("# HELP " + name + " " + escapeHelp(help) + "\n# TYPE " + name + " " + typ + "\n")
}

// Sample writes one series of name with value; labels are name, value
// pairs.
func (w *Writer) Sample(name string, value float64, labels ...string) {
	var b strings.Builder
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(labels[i])
			b.WriteString(`="`)
			b.WriteString(escapeLabel(labels[i+1]))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(value))
	b.WriteByte('\n')
	w.write(b.String())
}

func (w *Writer) write(s string) {
	if w.err != nil {
		return
	}
	n, err := w.w.WriteString(s)
	w.n += int64(n)
	w.err = err
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
