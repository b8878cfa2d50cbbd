package store

import (
	"fmt"
	"strings"
	"testing"
)

// TestOutstandingBalancesPlans: on SQLite, the statements a page of the
// outstanding balances runs read the page and not the practice: the
// count sums billing_totals' 16 shard rows; a later (or earlier) page walks
// billing_balances_owing from its key with no sort and looks each row's
// patient up by id; none sums a ledger table. The practice's ledger
// totals too read billing_totals' shards and no ledger table. A plan is a count, not a
// clock, so it holds on a loaded machine; BenchmarkOutstandingBalances
// times a page at 10 and at 10,000 billed patients.
func TestOutstandingBalancesPlans(t *testing.T) {
	plan := planner(t)
	ks := outstandingKeyset()
	page := func(cmp, dir string) string {
		return `SELECT pt.id, pt.display_name, b.open_cents, b.credit_cents` + ks.Scope +
			fmt.Sprintf(` AND (b.sort_name, b.id) %s (SELECT k.sort_name, k.id FROM billing_balances k WHERE k.id = $1) ORDER BY b.sort_name %s, b.id %s LIMIT 51`, cmp, dir, dir)
	}
	ledger := []string{"charges", "payments", "payment_applications", "refunds", "adjustments", "charge_corrections"}
	for _, c := range []struct {
		name, q  string
		want     []string
		wantNone []string
	}{
		{"count", ks.Count, []string{"SCAN billing_totals"}, append([]string{"billing_balances"}, ledger...)},
		{"ledger totals", ledgerTotalsQuery, []string{"SCAN billing_totals"}, append([]string{"billing_balances"}, ledger...)},
		{"first page", `SELECT pt.id, pt.display_name, b.open_cents, b.credit_cents` + ks.Scope + ` ORDER BY b.sort_name, b.id LIMIT 51`,
			[]string{"SCAN b USING INDEX billing_balances_owing", "SEARCH pt USING INDEX sqlite_autoindex_patients_1 (id=?)"}, append([]string{"TEMP B-TREE", "SCAN pt"}, ledger...)},
		{"a later page", page(">", "ASC"), []string{"SEARCH b USING INDEX billing_balances_owing (sort_name>?)", "SEARCH pt USING INDEX sqlite_autoindex_patients_1 (id=?)"}, append([]string{"TEMP B-TREE", "SCAN"}, ledger...)},
		{"a page before", page("<", "DESC"), []string{"SEARCH b USING INDEX billing_balances_owing (sort_name<?)"}, append([]string{"TEMP B-TREE", "SCAN"}, ledger...)},
	} {
		var args []any
		if strings.Contains(c.q, "$1") {
			args = []any{"k"}
		}
		checkPlan(t, c.name, plan(c.q, args...), c.want, c.wantNone)
	}
}
