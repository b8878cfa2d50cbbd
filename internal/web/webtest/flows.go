package webtest

import (
	"context"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/store"
)

// AuditRows returns every audit row with action, oldest first.
func (f *Fixture) AuditRows(action string) []audit.Event {
	f.T.Helper()
	rows, _, err := f.St.FindAudit(context.Background(), f.As("admin@example.org"), store.AuditFilter{Action: action, Sort: "oldest", Limit: 500})
	if err != nil {
		f.T.Fatal(err)
	}
	return rows
}
