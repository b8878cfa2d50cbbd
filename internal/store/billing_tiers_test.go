package store_test

import (
	"context"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
)

// TestBillingTierNameOnce (issue 21 walk F8): two current tiers cannot
// share a name, whatever its case; a removed tier's name is free again.
func TestBillingTierNameOnce(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	first := store.Tier{Name: "Reduced 75%", Percent: 75}
	if err := pr.s.AddTier(ctx, pr.admin, &first); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		percent int
		ok      bool
	}{
		{"Reduced 75%", 75, false},
		{"reduced 75%", 60, false},
		{"  Reduced 75%  ", 75, false},
		{"Reduced 50%", 50, true},
	} {
		err := pr.s.AddTier(ctx, pr.admin, &store.Tier{Name: c.name, Percent: c.percent})
		if got := err == nil; got != c.ok || !c.ok && fieldOf(err, "name") == "" {
			t.Errorf("AddTier(%q) = %v, want ok %v (else a field error at the name)", c.name, err, c.ok)
		}
	}
	if err := pr.s.ArchiveTier(ctx, pr.admin, first.ID); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.AddTier(ctx, pr.admin, &store.Tier{Name: "Reduced 75%", Percent: 75}); err != nil {
		t.Errorf("the removed tier's name again: %v", err)
	}
	tiers, err := pr.s.SlidingTiers(ctx, pr.admin)
	if err != nil || len(tiers) != 2 {
		t.Errorf("tiers %+v, %v; want 2", tiers, err)
	}
}
