package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/kapstone/kapstone/internal/seal"
	"github.com/kapstone/kapstone/internal/store"
)

const keysSummary = `Work with the data keys: the file (default <data-dir>/data-key) of the
AES-256 keys that encrypt psychotherapy notes and two-step sign-in (TOTP)
secrets in the database. Without that file this data cannot be read: keep a
copy off this machine, apart from the database backups.

  kapstone keys status   list the keys in the file (the last one seals new
                         values) and how many values each one sealed
  kapstone keys rotate   add a new key to the file, then re-encrypt every
                         sealed value under it, in small batches (a running
                         kapstone keeps working meanwhile and picks up the
                         new key by itself); prints and audits the counts.
                         Older keys stay in the file: backups made before
                         need them. Back the file up again afterwards.`

func runKeys(ctx context.Context, args []string, env *runEnv) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			_, err := parseConfig("keys", args, env.getenv, env.stdout, keysSummary)
			return err
		}
		return &usageError{"kapstone keys: name an action: status or rotate; run 'kapstone keys -h'"}
	}
	action, args := args[0], args[1:]
	if action != "status" && action != "rotate" {
		return &usageError{fmt.Sprintf("kapstone keys: unknown action %q; use status or rotate", action)}
	}
	cfg, err := parseConfig("keys", args, env.getenv, env.stdout, keysSummary)
	if err != nil {
		return err
	}
	log := newLogger(env.stderr, cfg.LogLevel)
	st, err := openStore(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if action == "rotate" {
		if err := keysRotate(ctx, &cfg, st, log, env); err != nil {
			return err
		}
	}
	return keysStatus(ctx, &cfg, st, env)
}

// keysRotate adds a new data key, saves the key file, and only then
// re-seals every value under the new key.
func keysRotate(ctx context.Context, cfg *config, st *store.Store, log *slog.Logger, env *runEnv) error {
	keys := st.Keyring()
	path := cfg.dataKeyPath()
	// Saved before anything is sealed under it: no value is ever sealed
	// under a key that exists only in memory. AddKeyToFile locks the file
	// and reads it afresh, so two rotations at once both keep their keys.
	id, err := seal.AddKeyToFile(path)
	if err != nil {
		return fmt.Errorf("cannot add a new data key to %s (%v); nothing was re-encrypted and the file is as it was", path, unwrapPath(err))
	}
	if !keys.Refresh() || !slices.Contains(keys.IDs(), id) {
		return fmt.Errorf("the new data key %s is in %s but could not be loaded back; nothing was re-encrypted: run kapstone keys rotate again", id, path)
	}
	fmt.Fprintf(env.stdout, "kapstone: new data key %s added to %s\n", id, path)
	res, err := st.ResealAll(ctx, store.System, func(column, row string, err error) {
		log.Warn("sealed value does not open; left as it was", "column", column, "row", row, "err", err.Error())
	})
	if err != nil {
		return fmt.Errorf("re-encryption stopped: %v; the values done so far are under %s, the rest still under older keys (all in %s); run kapstone keys rotate again", err, id, path)
	}
	total, failed := 0, 0
	var parts []string
	for _, c := range columnsOf(res.Resealed) {
		total += res.Resealed[c]
		parts = append(parts, fmt.Sprintf("%s %d", c, res.Resealed[c]))
	}
	for _, n := range res.Failed {
		failed += n
	}
	fmt.Fprintf(env.stdout, "kapstone: re-encrypted %d values under %s (%s)\n", total, id, strings.Join(parts, ", "))
	fmt.Fprintf(env.stdout, "kapstone: back up %s again now, off this machine: the copy from before lacks key %s\n", path, id)
	if res.Left > failed {
		fmt.Fprintf(env.stdout, "kapstone: %d values written meanwhile are still under an older key (readable: that key stays in the file)\n", res.Left-failed)
	}
	if failed > 0 {
		return fmt.Errorf("%d sealed values did not open (changed, moved to another row, or under a key the file lacks) and were left as they were; the log names their rows", failed)
	}
	return nil
}

// keysStatus prints the keys and how many values each sealed.
func keysStatus(ctx context.Context, cfg *config, st *store.Store, env *runEnv) error {
	keys := st.Keyring()
	status, err := st.SealStatus(ctx)
	if err != nil {
		return err
	}
	byKey := map[string]int{}
	plain := 0
	for _, c := range status {
		for id, n := range c.ByKey {
			byKey[id] += n
		}
		plain += c.Plain
	}
	w := env.stdout
	ids := keys.IDs()
	fmt.Fprintf(w, "data keys in %s (oldest first; the current one seals new values):\n", cfg.dataKeyPath())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  KEY\tVALUES\t")
	for _, id := range ids {
		mark := ""
		if id == keys.Current() {
			mark = "current"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", id, byKey[id], mark)
	}
	for _, id := range sortedKeys(byKey) {
		if !slices.Contains(ids, id) {
			fmt.Fprintf(tw, "  %s\t%d\tNOT IN THE FILE: these values cannot be read\n", id, byKey[id])
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "by column:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range status {
		var parts []string
		for _, id := range sortedKeys(c.ByKey) {
			parts = append(parts, fmt.Sprintf("%d under %s", c.ByKey[id], id))
		}
		if c.Plain > 0 {
			parts = append(parts, fmt.Sprintf("%d NOT ENCRYPTED", c.Plain))
		}
		if len(parts) == 0 {
			parts = []string{"none"}
		}
		fmt.Fprintf(tw, "  %s\t%s\n", c.Column, strings.Join(parts, ", "))
	}
	tw.Flush()
	if plain > 0 {
		return fmt.Errorf("%d values are not encrypted", plain)
	}
	return nil
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// columnsOf is sortedKeys for the rotation's per-column counts.
func columnsOf(m map[string]int) []string { return sortedKeys(m) }

// loadDataKeys loads the data key file at path for the database st. It
// makes a new file only while the database holds no sealed value (a fresh
// install, or one upgrading from before data keys); once it does, a missing
// file, or one without a key the data was sealed under, stops kapstone with
// what to do: a new key would not open that data, and sealing more under it
// would split the data between two keys.
func loadDataKeys(ctx context.Context, st *store.Store, path string, log *slog.Logger) (*seal.Keyring, error) {
	held, err := st.SealedKeyIDs(ctx)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, n := range held {
		total += n
	}
	keys, err := seal.Load(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && total == 0:
		keys, err = seal.LoadOrCreate(path)
		if err != nil {
			return nil, fmt.Errorf("data key: cannot create %s (%v); choose another place with KAPSTONE_DATA_KEY / -data-key", path, unwrapPath(err))
		}
		log.Info("data key file created: keep a copy off this machine, apart from the database backups", "file", path, "key", keys.Current())
		return keys, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("data key file %s is missing, but the database holds %d values encrypted under key %s (two-step sign-in secrets, psychotherapy notes): without the file they cannot be read. Restore the file from the copy kept off this machine (or point KAPSTONE_DATA_KEY / -data-key at it); kapstone will not make a new key over encrypted data",
			path, total, strings.Join(sortedKeys(held), ", "))
	case err != nil:
		return nil, fmt.Errorf("data key file %s cannot be used (%v); check KAPSTONE_DATA_KEY / -data-key, or restore the file from the copy kept off this machine", path, unwrapPath(err))
	}
	var missing []string
	n := 0
	for _, id := range sortedKeys(held) {
		if !slices.Contains(keys.IDs(), id) {
			missing = append(missing, id)
			n += held[id]
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("data key file %s lacks key %s, under which the database holds %d encrypted values: it is another database's key file, or a copy from before a rotation. Restore the newest copy kept off this machine (or point KAPSTONE_DATA_KEY / -data-key at it)",
			path, strings.Join(missing, ", "), n)
	}
	return keys, nil
}
