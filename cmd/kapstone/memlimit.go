package main

import (
	"runtime/debug"
)

// defaultMemoryLimit is the Go runtime's soft memory limit while kapstone
// serves, unless GOMEMLIMIT sets one (issue 18: peak RSS <= 256 MB with 64
// clients on the caseload). The rest of the resident set is not the Go
// heap's: the binary (~25 MB) and each SQLite connection's WebAssembly
// memory (mapped apart, its page cache PRAGMA cache_size -2000 = 2 MB and
// SQLite's own allocations; one writer and max(2, CPUs) readers). Near the
// limit the collector runs more often instead of letting the heap double
// (GOGC) under a burst of large pages; it is soft, so a heap that truly
// needs more gets it.
const defaultMemoryLimit = 160 << 20

// defaultGCPercent is the collector's pacing (GOGC) while kapstone serves,
// unless GOGC sets one. The live heap of a serving kapstone is small (tens
// of MB: sessions, prepared statements, the page cache) and every page
// allocates afresh, so Go's default of 100 starts a collection each time
// the heap has grown by that small amount: about every hundred chart views.
// At 400 the collector runs a quarter as often; the soft memory limit
// above, not the percentage, is what bounds the heap under load, so the
// peak stays where it was. Measured with kapstone loadtest -only c
// (SQLite, 1,000 patients, 8 clients, 10 s, alternating runs on a 2-core
// machine): 329 and 356 chart views/s at 100, 366 and 393 at 400; the
// collector's share of the CPU profile fell from 12% to 3%, and the peak
// RSS of the caseload with 64 clients at 10,000 patients stayed under the
// 256 MB target (184 MB).
const defaultGCPercent = 400

// ownProcess is set by main: kapstone is the whole process, so settings
// of the whole process (the soft memory limit) are its to make. Servers run
// in a test's process (run, in-process) leave them alone: many serve at once
// there, under the race detector, and a 160 MiB limit shared by all of them
// kept the collector running.
var ownProcess bool

// serveMemoryLimit sets defaultMemoryLimit when GOMEMLIMIT is not set and
// defaultGCPercent when GOGC is not set, and returns the function that puts
// back what there was (the tests run servers in one process).
func serveMemoryLimit(getenv func(string) string) (restore func()) {
	var undo []func()
	if getenv("GOMEMLIMIT") == "" {
		old := debug.SetMemoryLimit(defaultMemoryLimit)
		undo = append(undo, func() { debug.SetMemoryLimit(old) })
	}
	if getenv("GOGC") == "" {
		old := debug.SetGCPercent(defaultGCPercent)
		undo = append(undo, func() { debug.SetGCPercent(old) })
	}
	return func() {
		for _, f := range undo {
			f()
		}
	}
}
