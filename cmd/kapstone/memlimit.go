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

// ownProcess is set by main: kapstone is the whole process, so settings
// of the whole process (the soft memory limit) are its to make. Servers run
// in a test's process (run, in-process) leave them alone: many serve at once
// there, under the race detector, and a 160 MiB limit shared by all of them
// kept the collector running.
var ownProcess bool

// serveMemoryLimit sets defaultMemoryLimit when GOMEMLIMIT is not set and
// returns the function that puts back the limit there was (the tests run
// servers in one process).
func serveMemoryLimit(getenv func(string) string) (restore func()) {
	if getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	old := debug.SetMemoryLimit(defaultMemoryLimit)
	return func() { debug.SetMemoryLimit(old) }
}
