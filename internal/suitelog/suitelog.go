// Package suitelog lets the attack and fault suites report their counts
// where CI shows them. `go test` without -v prints nothing of a test that
// passes, so Count also appends the line to the file named by
// KAPSTONE_SUITE_REPORT (set by .ci/run, which prints the file after
// `make test`). It is imported by tests only.
package suitelog

import (
	"fmt"
	"os"
	"testing"
)

// Count logs a suite's counts with t.Logf and, when KAPSTONE_SUITE_REPORT
// names a file, appends them there as one line naming the engine and the
// test. A report that cannot be written fails the test: CI relies on it.
func Count(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	t.Log(msg)
	path := os.Getenv("KAPSTONE_SUITE_REPORT")
	if path == "" {
		return
	}
	engine := "sqlite"
	if os.Getenv("KAPSTONE_TEST_POSTGRES") != "" {
		engine = "postgres"
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatalf("suite report: %v", err)
	}
	defer f.Close()
	// One write per line: O_APPEND keeps lines from parallel test
	// binaries whole.
	if _, err := fmt.Fprintf(f, "[%s] %s: %s\n", engine, t.Name(), msg); err != nil {
		t.Fatalf("suite report: %v", err)
	}
}
