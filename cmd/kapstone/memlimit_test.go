package main

import (
	"runtime/debug"
	"testing"
)

// TestServeMemoryLimit: serving sets the default soft memory limit unless
// GOMEMLIMIT chose one and the default GC percentage unless GOGC chose one,
// each on its own, and puts back what there was after.
func TestServeMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	gcBefore := debug.SetGCPercent(-1)
	debug.SetGCPercent(gcBefore)
	gcNow := func() int {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p
	}
	for _, c := range []struct {
		memlimit, gogc string
		wantLimit      int64
		wantGC         int
	}{
		{"", "", defaultMemoryLimit, defaultGCPercent},
		{"1GiB", "", before, defaultGCPercent},
		{"", "150", defaultMemoryLimit, gcBefore},
		{"1GiB", "150", before, gcBefore},
	} {
		restore := serveMemoryLimit(func(k string) string {
			switch k {
			case "GOMEMLIMIT":
				return c.memlimit
			case "GOGC":
				return c.gogc
			}
			return ""
		})
		if got := debug.SetMemoryLimit(-1); got != c.wantLimit {
			t.Errorf("GOMEMLIMIT=%q: limit while serving %d, want %d", c.memlimit, got, c.wantLimit)
		}
		if got := gcNow(); got != c.wantGC {
			t.Errorf("GOGC=%q: GC percent while serving %d, want %d", c.gogc, got, c.wantGC)
		}
		restore()
		if got := debug.SetMemoryLimit(-1); got != before {
			t.Errorf("GOMEMLIMIT=%q: limit after %d, want %d back", c.memlimit, got, before)
		}
		if got := gcNow(); got != gcBefore {
			t.Errorf("GOGC=%q: GC percent after %d, want %d back", c.gogc, got, gcBefore)
		}
	}
}

// TestInProcessServeLeavesMemoryLimit: a server run in this (test)
// process, not by main, does not set the process's soft memory limit.
func TestInProcessServeLeavesMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	gcBefore := debug.SetGCPercent(-1)
	debug.SetGCPercent(gcBefore)
	start(t, nil, "serve", "-addr", "127.0.0.1:0", "-data-dir", t.TempDir())
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit while a server runs in-process = %d, want %d (unchanged)", got, before)
	}
	gcNow := debug.SetGCPercent(-1)
	debug.SetGCPercent(gcNow)
	if gcNow != gcBefore {
		t.Errorf("GC percent while a server runs in-process = %d, want %d (unchanged)", gcNow, gcBefore)
	}
}
