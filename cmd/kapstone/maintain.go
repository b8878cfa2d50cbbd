package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/kapstone/kapstone/internal/store"
)

// How often a running server signs a checkpoint of the audit log (only
// when rows were added since the last one) and deletes ended sessions. A
// cut of the log's tail after the last checkpoint cannot be seen, so
// checkpoints are frequent.
const (
	checkpointEvery = time.Minute
	purgeEvery      = time.Hour
	// On PostgreSQL audited transactions append their rows pending, and a
	// sealer chains them (store.SealAudit, one instance at a time): the
	// rows of the last sealEvery are not yet in the chain.
	sealEvery = 100 * time.Millisecond
)

// maintain does the server's periodic housekeeping until ctx ends: it signs
// checkpoints of the audit log (kept in the database and appended to the
// checkpoint file outside it) and deletes sessions that have ended.
func maintain(ctx context.Context, cfg *config, st *store.Store, log *slog.Logger) {
	cp := time.NewTicker(checkpointEvery)
	defer cp.Stop()
	purge := time.NewTicker(purgeEvery)
	defer purge.Stop()
	doPurge := func() {
		if n, err := st.PurgeSessions(ctx, idleMax(cfg)); err != nil && ctx.Err() == nil {
			log.Error("session purge failed", "err", err.Error())
		} else if n > 0 {
			log.Info("ended sessions purged", "count", n)
		}
	}
	doCheckpoint := func() {
		if err := checkpoint(ctx, cfg, st); err != nil && ctx.Err() == nil {
			log.Error("audit checkpoint failed", "err", err.Error())
		}
	}
	var seal <-chan time.Time
	if st.SealsAudit() {
		t := time.NewTicker(sealEvery)
		defer t.Stop()
		seal = t.C
	}
	sealer := sealState{log: log}
	doCheckpoint()
	doPurge()
	for {
		select {
		case <-ctx.Done():
			return
		case <-seal:
			res, err := st.SealAudit(ctx)
			if ctx.Err() == nil {
				sealer.report(ctx, res, err)
			}
		case <-cp.C:
			doCheckpoint()
		case <-purge.C:
			doPurge()
		}
	}
}

// sealState logs what the sealer finds once, not every sealEvery: a
// failure when it starts or changes, pending rows held back (their
// signature fails: edited) when their number changes.
type sealState struct {
	log     *slog.Logger
	lastErr string
	held    int
}

func (s *sealState) report(ctx context.Context, res store.SealResult, err error) {
	if err != nil {
		if err.Error() != s.lastErr {
			s.log.ErrorContext(ctx, "audit sealing failed", "err", err.Error())
		}
		s.lastErr = err.Error()
		return
	}
	s.lastErr = ""
	if res.Busy || len(res.Held) == s.held {
		return
	}
	s.held = len(res.Held)
	if s.held > 0 {
		s.log.ErrorContext(ctx, "audit rows left pending: their signature does not verify (edited in the database); run kapstone audit verify", "count", s.held, "first_id", res.Held[0])
	}
}

func idleMax(cfg *config) time.Duration { return max(cfg.IdleStaff, cfg.IdlePatient) }

// checkpoint signs the audit log's head and appends the checkpoint to the
// file in the data directory (fsynced), unless the file already ends with it.
// A line that cannot be written whole (a full disk) is taken back, so the
// file never holds a torn line.
func checkpoint(ctx context.Context, cfg *config, st *store.Store) error {
	cp, err := st.Checkpoint(ctx)
	if err != nil {
		return err
	}
	line := cp.String()
	path := cfg.checkpointPath()
	if last, _ := lastLine(path); last == line {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	_, err = fmt.Fprintln(f, line)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		// A line cut short (a full disk) would make every later verify
		// fail, and the next line would be glued to it: put the file back
		// as it was. The checkpoint is in the database, and the next one
		// covers it.
		f.Truncate(fi.Size())
		f.Close()
		return err
	}
	return f.Close()
}

func lastLine(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := string(b)
	for len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			return s[i+1:], nil
		}
	}
	return s, nil
}
