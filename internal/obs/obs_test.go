package obs

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRequestIDHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewRequestIDHandler(slog.NewJSONHandler(&buf, nil))).With("part", "web")
	ctx := WithRequestID(context.Background(), "0123456789abcdef")
	log.InfoContext(ctx, "with context")
	log.InfoContext(ctx, "named already", "request_id", "0123456789abcdef")
	log.Info("no context")
	log.WithGroup("g").WarnContext(ctx, "in a group", "k", 1)
	var got []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if got[0]["request_id"] != "0123456789abcdef" || got[0]["part"] != "web" {
		t.Errorf("with context: %v", got[0])
	}
	if n := strings.Count(strings.Split(buf.String(), "\n")[1], "request_id"); n != 1 {
		t.Errorf("a line naming request_id itself has it %d times", n)
	}
	if _, ok := got[2]["request_id"]; ok {
		t.Errorf("a line without a request's context has a request id: %v", got[2])
	}
	if g, _ := got[3]["g"].(map[string]any); g == nil || g["request_id"] != "0123456789abcdef" {
		t.Errorf("in a group: %v", got[3])
	}
	if h := NewRequestIDHandler(NewRequestIDHandler(slog.NewJSONHandler(&buf, nil))); h.(RequestIDHandler).inner == nil {
		t.Error("wrapped twice")
	} else if _, twice := h.(RequestIDHandler).inner.(RequestIDHandler); twice {
		t.Error("a handler already wrapped is wrapped again")
	}
}

func TestMetricsFormat(t *testing.T) {
	m := NewMetrics("v1 \"quoted\"\\")
	m.ObserveRequest("GET /a/{id}", 200, 500*time.Microsecond) // first bucket
	m.ObserveRequest("GET /a/{id}", 0, 5*time.Millisecond)     // on a bound: that bucket
	m.ObserveRequest("GET /a/{id}", 404, 20*time.Second)       // +Inf only
	m.Collect(func(w *Writer) {
		w.Family("x_total", "counter", "Help with \\ and\na newline.")
		w.Sample("x_total", 2, "l", "a\"b\\c\nd")
	})
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`kapstone_http_requests_total{route="GET /a/{id}",code="200",class="2xx"} 2`,
		`kapstone_http_requests_total{route="GET /a/{id}",code="404",class="4xx"} 1`,
		`kapstone_http_request_duration_seconds_bucket{route="GET /a/{id}",le="0.001"} 1`,
		`kapstone_http_request_duration_seconds_bucket{route="GET /a/{id}",le="0.0025"} 1`,
		`kapstone_http_request_duration_seconds_bucket{route="GET /a/{id}",le="0.005"} 2`,
		`kapstone_http_request_duration_seconds_bucket{route="GET /a/{id}",le="10"} 2`,
		`kapstone_http_request_duration_seconds_bucket{route="GET /a/{id}",le="+Inf"} 3`,
		`kapstone_http_request_duration_seconds_count{route="GET /a/{id}"} 3`,
		`kapstone_http_request_duration_seconds_sum{route="GET /a/{id}"} 20.0055`,
		"# TYPE kapstone_http_request_duration_seconds histogram\n",
		`kapstone_build_info{version="v1 \"quoted\"\\",go_version=`,
		"# HELP x_total Help with \\\\ and\\na newline.\n# TYPE x_total counter\n",
		`x_total{l="a\"b\\c\nd"} 2` + "\n",
		"go_goroutines ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}
