package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
)

// demoScale adds n scaled patients to the demo practice in dir (demo.Scale),
// once: a data directory that has them already (demo.ScaleFile) is left as
// it is. Progress is a bar redrawn in place when w is a terminal, and a
// plain line every tenth otherwise (a log, a pipe, a test).
func demoScale(ctx context.Context, st *store.Store, dir string, n int, w io.Writer) error {
	if info, ok, err := demo.ReadScaleInfo(dir); err != nil {
		return err
	} else if ok {
		fmt.Fprintf(w, "kapstone demo: %d scaled patients already added (%s)\n", info.Patients, demo.ScaleFile)
		return nil
	}
	bar := newProgress(w, isTerminal(w), n, "patients")
	res, err := demo.Scale(ctx, st, n, auth.DefaultParams, 1, bar.update)
	bar.done()
	if err != nil {
		return fmt.Errorf("kapstone demo -scale: %w", err)
	}
	fmt.Fprintf(w, "kapstone demo: added %s in %.1fs\n", res.BulkCounts, res.Elapsed.Seconds())
	return demo.WriteScaleInfo(dir, demo.ScaleInfo{Patients: n, Password: res.Password, FirstEmail: demo.ScaleEmail(0), LastEmail: demo.ScaleEmail(n - 1)})
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress shows how far a long job has come: on a terminal a bar redrawn
// in place at most ten times a second, elsewhere a line at each tenth.
type progress struct {
	w          io.Writer
	tty        bool
	total      int
	unit       string
	start      time.Time
	last       time.Time
	lastTenth  int
	drawnOnTTY bool
}

func newProgress(w io.Writer, tty bool, total int, unit string) *progress {
	return &progress{w: w, tty: tty, total: total, unit: unit, start: time.Now()}
}

// update reports done of total.
func (p *progress) update(done, total int) {
	if total > 0 {
		p.total = total
	}
	now := time.Now()
	elapsed := now.Sub(p.start).Seconds()
	if p.tty {
		if done < p.total && now.Sub(p.last) < 100*time.Millisecond {
			return
		}
		p.last = now
		const width = 30
		filled := width * done / max(1, p.total)
		fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d/%d %s %.0fs", strings.Repeat("#", filled), strings.Repeat(" ", width-filled),
			100*done/max(1, p.total), done, p.total, p.unit, elapsed)
		p.drawnOnTTY = true
		return
	}
	tenth := 10 * done / max(1, p.total)
	if tenth > p.lastTenth || done == p.total {
		if tenth == p.lastTenth && done == p.total && p.lastTenth == 10 {
			return
		}
		p.lastTenth = tenth
		fmt.Fprintf(p.w, "%d/%d %s (%d%%), %.0fs\n", done, p.total, p.unit, 100*done/max(1, p.total), elapsed)
	}
}

// done ends the bar's line on a terminal.
func (p *progress) done() {
	if p.tty && p.drawnOnTTY {
		fmt.Fprintln(p.w)
	}
}
