package main

import (
	"runtime/debug"
	"testing"
)

// TestServeMemoryLimit: serving sets the default soft memory limit unless
// GOMEMLIMIT chose one, and puts back the limit there was after.
func TestServeMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	for _, c := range []struct {
		env  string
		want int64
	}{{"", defaultMemoryLimit}, {"1GiB", before}} {
		restore := serveMemoryLimit(func(k string) string {
			if k == "GOMEMLIMIT" {
				return c.env
			}
			return ""
		})
		if got := debug.SetMemoryLimit(-1); got != c.want {
			t.Errorf("GOMEMLIMIT=%q: limit while serving %d, want %d", c.env, got, c.want)
		}
		restore()
		if got := debug.SetMemoryLimit(-1); got != before {
			t.Errorf("GOMEMLIMIT=%q: limit after %d, want %d back", c.env, got, before)
		}
	}
}

// TestInProcessServeLeavesMemoryLimit: a server run in this (test)
// process, not by main, does not set the process's soft memory limit.
func TestInProcessServeLeavesMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	start(t, nil, "serve", "-addr", "127.0.0.1:0", "-data-dir", t.TempDir())
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit while a server runs in-process = %d, want %d (unchanged)", got, before)
	}
}
