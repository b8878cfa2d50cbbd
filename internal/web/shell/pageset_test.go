package shell

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestPageSetsBoundedAndZoned renders from many goroutines at once, each
// reader in a different zone: every page shows its own reader's zone
// (never another render's), and no more template sets exist than
// maxPageSets, however many zones and renders there are. Before, a set was
// parsed and kept for each zone name a patient record held (about 31 MB
// each, parsed under one lock every render took).
func TestPageSetsBoundedAndZoned(t *testing.T) {
	app, err := New(Config{Country: "US"}, storetest.Open(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	zones := []string{"America/Chicago", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney", "America/Denver", "Pacific/Auckland", "Africa/Nairobi"}
	moment := time.Date(2026, 12, 3, 16, 4, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			zone := zones[i%len(zones)]
			loc, err := loadZone(zone)
			if err != nil {
				errs <- err.Error()
				return
			}
			ps, err := app.takePages(context.Background())
			if err != nil {
				errs <- err.Error()
				return
			}
			ps.loc = loc
			when := ps.funcs["when"].(func(time.Time) string)
			time.Sleep(time.Millisecond) // overlap with other renders
			got := when(moment)
			app.putPages(ps)
			if want := moment.In(loc).Format("Jan 2, 2006, 15:04 MST"); got != want {
				errs <- zone + ": " + got + ", want " + want + " (a set shared by two renders)"
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if app.pageSets > maxPageSets() {
		t.Errorf("%d template sets for %d zones; at most %d", app.pageSets, len(zones), maxPageSets())
	}
	t.Logf("64 renders in %d zones used %d template sets (max %d)", len(zones), app.pageSets, maxPageSets())
}
