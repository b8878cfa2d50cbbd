package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
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
  kapstone audit verify -witness FILE
                             also check the log against a copy of its checkpoints
                             kept off this machine: a saved mailbox (mbox or .eml)
                             of the audit witness emails, or the file of a log
                             collector that received them (see Admin > Audit
                             witness). Fails on any witnessed checkpoint the log
                             no longer reaches or disagrees with, and on a
                             witness line whose signature does not verify
  kapstone audit checkpoint  sign the log's head now (the server also does this
                             at start, every minute while rows are added, and at
                             shutdown)

Without a witness copy, verify cannot show that rows after the last checkpoint
on this machine, or newer checkpoints, were not removed: whoever can write the
database and the data directory can cut both. Only a copy kept elsewhere shows it.

Exit status of verify: 0 the log verifies (and reaches every witnessed
checkpoint); 1 it does not, a witness line is forged, the witness file holds no
checkpoint, or the check could not run (say, no key); 2 a usage mistake.`

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
	var witnessPath string
	cfg, rest, err := parseConfigExtra("audit", args, env.getenv, env.stdout, auditSummary, func(fs *flag.FlagSet) {
		if action == "verify" {
			fs.StringVar(&witnessPath, "witness", "", "file of witnessed checkpoints (a saved mailbox of the audit witness emails, or a collector's file) to check the log against")
		}
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("kapstone audit %s: unexpected argument %q; run 'kapstone audit -h'", action, rest[0])}
	}
	var witness audit.WitnessScan
	if witnessPath != "" {
		b, err := os.ReadFile(witnessPath)
		if err != nil {
			return fmt.Errorf("witness file: %v", unwrapPath(err))
		}
		witness = audit.ScanWitness(string(b))
		if len(witness.Found) == 0 {
			return fmt.Errorf("witness file %s holds no kapstone audit checkpoint line, so it proves nothing; give the saved mailbox or collector file that received the audit witness", witnessPath)
		}
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
	problem, n, wr, err := st.VerifyAuditWitness(ctx, extra, witness.Found)
	if err != nil {
		return err
	}
	if problem != nil {
		if problem.Seq > 0 {
			return fmt.Errorf("audit log damaged: first bad row %d: %s (checked %d rows)", problem.Seq, problem.Reason, n)
		}
		return fmt.Errorf("audit log damaged: %s (checked %d rows)", problem.Reason, n)
	}
	if len(wr.Forged) > 0 {
		return fmt.Errorf("witness file %s: %d line(s) carry this log's key id but are not its signed checkpoints: %s. The log itself verifies (%d rows), but someone altered or forged the witness copy", witnessPath, len(wr.Forged), wr.Forged[0], n)
	}
	fmt.Fprintf(env.stdout, "audit log intact: %d rows, chain and signatures verify, %d checkpoints from %s agree\n", n, len(extra), cfg.checkpointPath())
	if witnessPath == "" {
		fmt.Fprintln(env.stdout, "not proven: without a witness copy this cannot show that rows after the last checkpoint, or newer checkpoints, were not removed; run with -witness FILE (the checkpoints sent off this machine) to check that")
		return nil
	}
	if wr.Trusted == 0 {
		return fmt.Errorf("witness file %s: none of its %d checkpoint lines is signed with this log's key (%d are another key's), so it proves nothing about this log", witnessPath, len(witness.Found), wr.OtherKey)
	}
	fmt.Fprintf(env.stdout, "witness %s: %d witnessed checkpoints verify and the log reaches them all; the newest, witnessed at %s, covers %d rows\n",
		witnessPath, wr.Trusted, wr.Newest.At.UTC().Format("2006-01-02 15:04:05 UTC"), wr.Newest.Size)
	if wr.OtherKey > 0 {
		fmt.Fprintf(env.stdout, "witness %s: %d lines signed with another key were not used\n", witnessPath, wr.OtherKey)
	}
	if witness.Unreadable > 0 {
		fmt.Fprintf(env.stdout, "witness %s: %d mentions of a checkpoint could not be read (cut short or mangled) and were not used\n", witnessPath, witness.Unreadable)
	}
	if n > wr.Newest.Size {
		fmt.Fprintf(env.stdout, "not proven: the newest witnessed checkpoint covers %d of the %d rows; that no rows after it were removed needs a newer witness copy\n", wr.Newest.Size, n)
	}
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
