package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
)

// TestSealStateLogsOnce: the sealer runs every 100 ms, so what it finds is
// logged when it starts or changes, never on every pass: a failure, and
// pending rows held back because their signature fails (edited).
func TestSealStateLogsOnce(t *testing.T) {
	var buf bytes.Buffer
	s := sealState{log: slog.New(slog.NewTextHandler(&buf, nil))}
	ctx := context.Background()
	down := errors.New("connection refused")
	for _, c := range []struct {
		name  string
		res   store.SealResult
		err   error
		wants string // the line logged, or "" for none
	}{
		{"sealed", store.SealResult{Sealed: 5}, nil, ""},
		{"failure", store.SealResult{}, down, "audit sealing failed"},
		{"same failure", store.SealResult{}, down, ""},
		{"recovered", store.SealResult{Sealed: 1}, nil, ""},
		{"failure again", store.SealResult{}, down, "audit sealing failed"},
		{"held back", store.SealResult{Held: []int64{7}}, nil, "audit rows left pending"},
		{"still held", store.SealResult{Held: []int64{7}, Sealed: 3}, nil, ""},
		{"another sealer busy", store.SealResult{Busy: true}, nil, ""},
		{"more held", store.SealResult{Held: []int64{7, 9}}, nil, "audit rows left pending"},
	} {
		buf.Reset()
		s.report(ctx, c.res, c.err)
		got := strings.TrimSpace(buf.String())
		switch {
		case c.wants == "" && got != "":
			t.Errorf("%s: logged %q, want nothing", c.name, got)
		case c.wants != "" && !strings.Contains(got, c.wants):
			t.Errorf("%s: logged %q, want %q", c.name, got, c.wants)
		}
	}
}
