package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/kapstone/kapstone/internal/audit"
)

const auditSummary = `Work with the tamper-evident audit log.

  kapstone audit verify      recompute the hash chain, check every row's signature
                             and every signed checkpoint (in the database and in
                             the data directory's audit-checkpoints.log); names
                             the first bad row and exits 1 if anything is wrong
  kapstone audit checkpoint  sign the log's head now (the server also does this
                             at start, hourly and at shutdown)`

func runAudit(ctx context.Context, args []string, env *runEnv) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			_, err := parseConfig("audit", args, env.getenv, env.stdout, auditSummary)
			return err
		}
		return &usageError{"kapstone audit: name an action: verify or checkpoint; run 'kapstone audit -h'"}
	}
	action, args := args[0], args[1:]
	if action != "verify" && action != "checkpoint" {
		return &usageError{fmt.Sprintf("kapstone audit: unknown action %q; use verify or checkpoint", action)}
	}
	cfg, err := parseConfig("audit", args, env.getenv, env.stdout, auditSummary)
	if err != nil {
		return err
	}
	log := newLogger(env.stderr, cfg.LogLevel)
	st, err := openStoreKey(ctx, &cfg, log, audit.LoadKey) // a check never makes a new key
	if err != nil {
		return err
	}
	defer st.Close()
	if action == "checkpoint" {
		if err := checkpoint(ctx, &cfg, st); err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, "kapstone: audit checkpoint signed and appended to", cfg.checkpointPath())
		return nil
	}
	extra, err := readCheckpoints(cfg.checkpointPath())
	if err != nil {
		return err
	}
	problem, n, err := st.VerifyAudit(ctx, extra)
	if err != nil {
		return err
	}
	if problem != nil {
		if problem.Seq > 0 {
			return fmt.Errorf("audit log damaged: first bad row %d: %s (checked %d rows)", problem.Seq, problem.Reason, n)
		}
		return fmt.Errorf("audit log damaged: %s (checked %d rows)", problem.Reason, n)
	}
	fmt.Fprintf(env.stdout, "audit log intact: %d rows, chain and signatures verify, %d checkpoints from %s agree\n", n, len(extra), cfg.checkpointPath())
	return nil
}

// readCheckpoints reads the checkpoint file; a missing file is no checkpoints.
func readCheckpoints(path string) ([]audit.Checkpoint, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []audit.Checkpoint
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		cp, err := audit.ParseCheckpoint(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, line, err)
		}
		out = append(out, cp)
	}
	return out, sc.Err()
}
