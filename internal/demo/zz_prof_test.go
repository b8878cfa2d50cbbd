package demo_test

import (
	"context"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

func TestZZProf(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	params := auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}
	if _, err := demo.Seed(ctx, st, t.TempDir(), params); err != nil {
		t.Fatal(err)
	}
	res, err := demo.Scale(ctx, st, 1000, params, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s in %v", res.BulkCounts, res.Elapsed)
}
