package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// planner opens a migrated SQLite store in t's temporary directory and
// returns a function giving a statement's EXPLAIN QUERY PLAN, one detail
// per line. The store closes when the test ends.
func planner(t *testing.T) func(q string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return func(q string, args ...any) string {
		t.Helper()
		rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+s.d.query(q), args...)
		if err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			b.WriteString(detail + "\n")
		}
		return b.String()
	}
}

// checkPlan reports a plan that lacks one of want or holds one of wantNone.
func checkPlan(t *testing.T, name, got string, want, wantNone []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: plan has no %q:\n%s", name, w, got)
		}
	}
	for _, w := range wantNone {
		if strings.Contains(got, w) {
			t.Errorf("%s: plan has %q:\n%s", name, w, got)
		}
	}
}
