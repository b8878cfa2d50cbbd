package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestDemoSeedsInThePracticesEvening: the demo seeds at half past midnight
// UTC, when it is still the evening before in the practice's time zone
// (Chicago). It used to date the paper consents by the UTC day, a day in
// the future for the practice, which the store refuses: `kapstone demo`
// failed every evening from 18:00 Chicago time until midnight.
func TestDemoSeedsInThePracticesEvening(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	evening := time.Now().UTC().Truncate(24 * time.Hour).Add(30 * time.Minute)
	st.Now = func() time.Time { return evening }
	if _, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatalf("seeding at %s: %v", evening.Format(time.RFC3339), err)
	}
}
