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
	doCheckpoint()
	doPurge()
	for {
		select {
		case <-ctx.Done():
			return
		case <-cp.C:
			doCheckpoint()
		case <-purge.C:
			doPurge()
		}
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
