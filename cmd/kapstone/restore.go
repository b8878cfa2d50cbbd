package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/seal"
	"github.com/kapstone/kapstone/internal/store"
)

const restoreSummary = `Restore an encrypted backup into a new, empty data directory (SQLite) or an
empty PostgreSQL schema (-db), and verify it before it is used.

  kapstone restore -identity backup-identity.txt -data-dir NEW ARCHIVE.age

Restore decrypts the archive, refuses a target that already holds data,
verifies the manifest's signature under the audit key (before anything in
the archive is trusted), checks every file against the manifest, then verifies the restored database
BEFORE reporting success: SQLite's integrity check, every table's row count
and checksum against the manifest, and the audit log (chain, signatures and
checkpoints). If anything fails, the restored database is removed again.

The archive holds no keys. Before restoring, copy from their offline copies:
  the audit key (audit-key.pem) into the new data directory (or -audit-key):
    restore needs its public half to verify the manifest and the audit log;
  the data key file (data-key) into the new data directory (or -data-key):
    without it kapstone cannot read psychotherapy notes and two-step sign-in
    secrets, and will not start on a database that holds them.`

// restoreKeyFiles are the only files a restore target may already hold.
var restoreKeyFiles = []string{"audit-key.pem", "data-key"}

// restoreFailed returns the error of a restore that failed with nothing restored.
func restoreFailed(format string, args ...any) error {
	return fmt.Errorf("restore failed, nothing was restored: "+format, args...)
}

func runRestore(ctx context.Context, args []string, env *runEnv) error {
	var identity string
	cfg, rest, err := parseConfigExtra("restore", flagsFirst(args), env.getenv, env.stdout, restoreSummary, func(fs *flag.FlagSet) {
		fs.StringVar(&identity, "identity", "", "file of the age identity (secret key) the backup was encrypted to")
	})
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return &usageError{"kapstone restore: name one archive: kapstone restore -identity FILE -data-dir NEW ARCHIVE.age"}
	}
	if identity == "" {
		return &usageError{"kapstone restore: give the age identity the backup was encrypted to with -identity FILE"}
	}
	archive := rest[0]
	ids, err := readIdentities(identity)
	if err != nil {
		return err
	}
	dir, err := prepareDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	cfg.DataDir = dir
	dsn := cfg.dsn()
	pg := store.IsPostgresDSN(dsn)
	if err := checkEmptyTarget(ctx, &cfg, pg); err != nil {
		return err
	}
	key, err := audit.LoadKey(cfg.auditKeyPath())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("the audit key is needed to verify the restored audit log, and backups never hold it: copy audit-key.pem from its offline copy to %s (or give -audit-key FILE), then run restore again", cfg.auditKeyPath())
		}
		return fmt.Errorf("audit key: %v", err)
	}
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("archive: %v", unwrapPath(err))
	}
	defer f.Close()
	work, err := os.MkdirTemp(dir, ".restore-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	m, err := unpackArchive(f, ids, identity, work, key, cfg.auditKeyPath())
	if err != nil {
		return err
	}
	if m.AuditKeyID != "" && m.AuditKeyID != key.ID() {
		return restoreFailed("the archive's audit log is signed by audit key %s, but %s holds key %s; give the audit key of the practice that made this backup (-audit-key FILE)", m.AuditKeyID, cfg.auditKeyPath(), key.ID())
	}
	if want := map[bool]string{true: store.EnginePostgres, false: store.EngineSQLite}[pg]; m.Engine != want {
		return restoreFailed("the archive holds a %s database, and the target is %s; restore a PostgreSQL backup with -db postgres://..., a SQLite one without -db", m.Engine, want)
	}
	if known, _ := store.Migrations(m.Engine); m.Schema != "" && !slices.Contains(known, m.Schema) {
		return restoreFailed("the archive's database is at migration %s, which this kapstone (%s) does not know; restore it with the kapstone that made it (%s) or newer", m.Schema, fullVersion(), m.Version)
	}
	var auditRows int64
	if pg {
		auditRows, err = restorePostgres(ctx, dsn, work, m, key)
	} else {
		auditRows, err = restoreSQLite(ctx, dsn, work, m, key)
	}
	if err != nil {
		return err
	}
	// The database is in place and verified: now the checkpoint file.
	if slices.ContainsFunc(m.Files, func(f fileEntry) bool { return f.Name == checkpointsName }) {
		if err := os.Rename(filepath.Join(work, checkpointsName), cfg.checkpointPath()); err != nil {
			return fmt.Errorf("the database was restored and verified, but the audit checkpoint file could not be put in place (%v); copy it from the archive", err)
		}
	}
	var rows int64
	for _, t := range m.Tables {
		rows += t.Rows
	}
	w := env.stdout
	fmt.Fprintf(w, "kapstone: restored the %s backup of %s (kapstone %s, migration %s) into %s\n", m.Engine, m.CreatedAt.Format("2006-01-02 15:04:05 UTC"), m.Version, m.Schema, restoreTargetName(&cfg, pg))
	if !pg {
		fmt.Fprintln(w, "  integrity check: ok")
	}
	fmt.Fprintf(w, "  tables: %d, rows: %d, every row count and checksum matches the manifest\n", len(m.Tables), rows)
	fmt.Fprintf(w, "  audit log intact: %d rows, chain and signatures verify under key %s\n", auditRows, key.ID())
	fmt.Fprintln(w, dataKeyReport(cfg.dataKeyPath(), m.DataKeyIDs))
	return nil
}

// flagsFirst moves the arguments that are not flags (the archive) after the
// flags, so "restore -identity k ARCHIVE -data-dir NEW" works too. Every
// restore flag takes a value.
func flagsFirst(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !isHelp(a) {
				i++
				flags = append(flags, args[i])
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

func restoreTargetName(cfg *config, pg bool) string {
	if pg {
		_, _, schema, _ := libpqTarget(cfg.dsn())
		if schema == "" {
			schema = "the default schema"
		}
		return "PostgreSQL (" + schema + "), data directory " + cfg.DataDir
	}
	return cfg.DataDir
}

// readIdentities reads an age identity file.
func readIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("identity file: %v", unwrapPath(err))
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("identity file %s holds no age secret key (AGE-SECRET-KEY-...): %v; give the file kapstone backup -keygen (or age-keygen) wrote", path, err)
	}
	return ids, nil
}

// checkEmptyTarget refuses a data directory holding anything but the key
// files, and a PostgreSQL schema holding any table.
func checkEmptyTarget(ctx context.Context, cfg *config, pg bool) error {
	entries, err := os.ReadDir(cfg.DataDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !slices.Contains(restoreKeyFiles, e.Name()) {
			return fmt.Errorf("refusing to restore into %s: it is not empty (it holds %s); restore into a new data directory, never over a practice's data", cfg.DataDir, e.Name())
		}
	}
	if !pg {
		if fi, err := os.Stat(cfg.dsn()); err == nil && fi.Size() > 0 {
			return fmt.Errorf("refusing to restore into %s: a database is already there; restore into a new one, never over a practice's data", cfg.dsn())
		}
		return nil
	}
	db, err := sql.Open("pgx", cfg.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT current_schema(), (SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema())`).Scan(&schema, &n); err != nil {
		return fmt.Errorf("cannot reach the target database: %v", err)
	}
	if schema.String == "" {
		return fmt.Errorf("the target database has no schema to restore into (its search_path names none that exists); create it first")
	}
	if n > 0 {
		return fmt.Errorf("refusing to restore into schema %s: it already holds %d tables; restore into an empty database or schema, never over a practice's data", schema.String, n)
	}
	return nil
}

// unpackArchive decrypts and unpacks the archive into dir, checking every
// file against the manifest, and returns the manifest. Nothing in the
// manifest is read before its signature verifies under key (the audit key
// at keyPath): anyone with the backup's public key can make an archive, but
// only the practice's audit key signs its manifest.
func unpackArchive(f io.Reader, ids []age.Identity, identityPath, dir string, key *audit.Key, keyPath string) (*manifest, error) {
	r, err := age.Decrypt(f, ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, restoreFailed("wrong key: the archive is not encrypted to the identity in %s; use the identity whose public key the backup was made for", identityPath)
		}
		return nil, restoreFailed("the archive is not a readable age file, or its header was damaged (%v)", err)
	}
	damaged := func(err error) error {
		return restoreFailed("the archive is damaged or incomplete (%v): it was changed or cut short after it was made; use another backup", err)
	}
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil {
		return nil, damaged(err)
	}
	if hdr.Name != manifestName || hdr.Size > 16<<20 {
		return nil, restoreFailed("the archive does not start with a kapstone manifest; is it a kapstone backup?")
	}
	mb, err := io.ReadAll(tr)
	if err != nil {
		return nil, damaged(err)
	}
	if err := verifyManifest(tr, mb, key, keyPath); err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil || m.Format != backupFormat {
		return nil, restoreFailed("the archive's manifest is not a %s manifest", backupFormat)
	}
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, damaged(err)
		}
		// Only the names a backup writes, each a plain file name: the
		// manifest comes from whoever made the archive (anyone with the
		// public key can), and a name like ../x must not write outside dir.
		if !backupFileNames[hdr.Name] || hdr.Typeflag != tar.TypeReg {
			return nil, restoreFailed("the archive holds %q, which is not a file a kapstone backup contains", hdr.Name)
		}
		i := slices.IndexFunc(m.Files, func(f fileEntry) bool { return f.Name == hdr.Name })
		if i < 0 || seen[hdr.Name] {
			return nil, restoreFailed("the archive holds %q, which its manifest does not list", hdr.Name)
		}
		seen[hdr.Name] = true
		out, err := os.OpenFile(filepath.Join(dir, hdr.Name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(out, h), tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, damaged(err)
		}
		if n != m.Files[i].Size || hex.EncodeToString(h.Sum(nil)) != m.Files[i].SHA256 {
			return nil, restoreFailed("%s in the archive does not match its manifest (size or SHA-256); the archive was altered", hdr.Name)
		}
	}
	// Reading to the end lets age check the final chunk: a cut archive fails.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, damaged(err)
	}
	for _, fe := range m.Files {
		if !seen[fe.Name] {
			return nil, damaged(fmt.Errorf("%s is missing", fe.Name))
		}
	}
	return &m, nil
}

// verifyManifest reads the archive's next file, which must be the
// manifest's signature, and checks it over the manifest's bytes mb under
// the audit key at keyPath.
func verifyManifest(tr *tar.Reader, mb []byte, key *audit.Key, keyPath string) error {
	hdr, err := tr.Next()
	if err != nil && !errors.Is(err, io.EOF) {
		return restoreFailed("the archive is damaged or incomplete (%v): it was changed or cut short after it was made; use another backup", err)
	}
	if err != nil || hdr.Name != manifestSigName || hdr.Size > 4<<10 {
		var old struct {
			Format  string `json:"format"`
			Version string `json:"version"`
		}
		if json.Unmarshal(mb, &old) == nil && old.Format == unsignedFormat {
			return restoreFailed("the archive is a %s backup, made by kapstone %s before backup manifests were signed, so this version cannot trust what it says; restore it with the kapstone release that made it, then make a new backup with this one", unsignedFormat, old.Version)
		}
		return restoreFailed("the archive's manifest is not signed by an audit key, so nothing in the archive can be trusted: it was not made by kapstone backup, or was altered after")
	}
	sig, err := io.ReadAll(tr)
	if err != nil {
		return restoreFailed("the archive is damaged or incomplete (%v): it was changed or cut short after it was made; use another backup", err)
	}
	if err := audit.VerifyDocument(key.Public(), manifestKind, mb, string(sig)); err != nil {
		if errors.Is(err, audit.ErrDocumentSignature) {
			return restoreFailed("the archive's manifest does not match its signature (%v): the manifest was altered or forged after the backup was made; use another backup", err)
		}
		return restoreFailed("the archive's manifest signature cannot be checked with %s (%v); give the audit key of the practice that made this backup (-audit-key FILE)", keyPath, err)
	}
	return nil
}

// compareTables returns an error naming the first table that differs.
func compareTables(got, want []tableSum) error {
	gm := map[string]tableSum{}
	for _, t := range got {
		gm[t.Name] = t
	}
	for _, w := range want {
		g, ok := gm[w.Name]
		switch {
		case !ok:
			return fmt.Errorf("table %s is missing from the restored database", w.Name)
		case g.Rows != w.Rows:
			return fmt.Errorf("table %s has %d rows, the manifest says %d", w.Name, g.Rows, w.Rows)
		case g.SHA256 != w.SHA256:
			return fmt.Errorf("table %s has %d rows as the manifest says, but their checksum differs", w.Name, g.Rows)
		}
		delete(gm, w.Name)
	}
	for n := range gm {
		return fmt.Errorf("the restored database has table %s, which the manifest does not list", n)
	}
	return nil
}

// verifyAudit checks the restored audit log with the checkpoints of the
// archive's checkpoint file (if any) and returns its row count.
func verifyAudit(ctx context.Context, dsn, work string, key *audit.Key) (int64, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	st.SetAuditKey(key)
	if err := st.IntegrityCheck(ctx); err != nil {
		return 0, fmt.Errorf("integrity check: %v", err)
	}
	extra, err := readCheckpoints(filepath.Join(work, checkpointsName))
	if err != nil {
		return 0, err
	}
	problem, n, err := st.VerifyAuditAsStored(ctx, extra) // as restored: rows pending at the backup stay pending, checked by signature
	if err != nil {
		return 0, err
	}
	if problem != nil {
		if problem.Seq > 0 {
			return n, fmt.Errorf("the restored audit log does not verify: first bad row %d: %s (checked %d rows)", problem.Seq, problem.Reason, n)
		}
		return n, fmt.Errorf("the restored audit log does not verify: %s (checked %d rows)", problem.Reason, n)
	}
	return n, nil
}

// restoreSQLite verifies the unpacked database in place in the work
// directory, then moves it to path.
func restoreSQLite(ctx context.Context, path, work string, m *manifest, key *audit.Key) (int64, error) {
	tmp := filepath.Join(work, sqliteDumpName)
	db, err := sql.Open("sqlite3", sqliteRawDSN(tmp))
	if err != nil {
		return 0, err
	}
	var ic string
	err = db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ic)
	if err == nil && ic != "ok" {
		err = errors.New(ic)
	}
	if err != nil {
		db.Close()
		return 0, restoreFailed("the database fails SQLite's integrity check: %v", err)
	}
	got, err := tableSums(ctx, db, store.EngineSQLite)
	db.Close()
	if err != nil {
		return 0, restoreFailed("%v", err)
	}
	if err := compareTables(got, m.Tables); err != nil {
		return 0, restoreFailed("%v", err)
	}
	n, err := verifyAudit(ctx, tmp, work, key)
	if err != nil {
		return 0, restoreFailed("%v", err)
	}
	if _, err := os.Stat(path); err == nil {
		return 0, restoreFailed("%s appeared while restoring; it was left alone", path)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, restoreFailed("moving the verified database into place: %v", err)
	}
	// A write-ahead log left beside it belongs to it (closing normally folds
	// it in and removes it).
	for _, side := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(tmp + side); err == nil {
			if err := os.Rename(tmp+side, path+side); err != nil {
				os.Rename(path, tmp) // not half in place
				return 0, restoreFailed("moving the verified database's %s file into place: %v", side, err)
			}
		}
	}
	return n, nil
}

// restorePostgres loads the dump into the target schema with pg_restore in
// one transaction, verifies it, and empties the schema again if the check
// fails.
func restorePostgres(ctx context.Context, dsn, work string, m *manifest, key *audit.Key) (int64, error) {
	pgRestore, err := pgTool("pg_restore")
	if err != nil {
		return 0, restoreFailed("%v", err)
	}
	target, password, _, err := libpqTarget(dsn)
	if err != nil {
		return 0, err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return 0, err
	}
	if m.PGSchema != schema {
		return 0, restoreFailed("the archive holds schema %s, and the target's is %s; restore into a database (or search_path) whose schema is %s", m.PGSchema, schema, m.PGSchema)
	}
	dump := filepath.Join(work, pgDumpName)
	// The schema exists already (checked empty): leave its own entries out.
	list, err := exec.CommandContext(ctx, pgRestore, "--list", dump).Output()
	if err != nil {
		return 0, restoreFailed("pg_restore cannot read the dump: %v", err)
	}
	var keep []string
	for _, line := range strings.Split(string(list), "\n") {
		if strings.Contains(line, " SCHEMA - ") || strings.Contains(line, " COMMENT - SCHEMA ") {
			continue
		}
		keep = append(keep, line)
	}
	listPath := filepath.Join(work, "restore.list")
	if err := os.WriteFile(listPath, []byte(strings.Join(keep, "\n")), 0o600); err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, pgRestore, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", "--use-list="+listPath, "--dbname="+target, dump)
	cmd.Env = pgEnv(password)
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, restoreFailed("pg_restore failed (%v): %s", err, strings.TrimSpace(string(b)))
	}
	undo := func(why error) (int64, error) {
		quoted := `"` + strings.ReplaceAll(schema, `"`, `""`) + `"`
		if _, err := db.ExecContext(context.WithoutCancel(ctx), `DROP SCHEMA `+quoted+` CASCADE; CREATE SCHEMA `+quoted); err != nil {
			return 0, fmt.Errorf("restore failed: %v; and emptying schema %s again failed too (%v): drop it by hand before using this database", why, schema, err)
		}
		return 0, restoreFailed("%v (the restored tables were removed again)", why)
	}
	got, err := tableSums(ctx, db, store.EnginePostgres)
	if err != nil {
		return undo(err)
	}
	if err := compareTables(got, m.Tables); err != nil {
		return undo(err)
	}
	n, err := verifyAudit(ctx, dsn, work, key)
	if err != nil {
		return undo(err)
	}
	return n, nil
}

// dataKeyReport says whether the data key file holds every key that
// sealed values in the backup, and what to do if not.
func dataKeyReport(path string, need []string) string {
	if len(need) == 0 {
		return "  data keys: the backup holds no encrypted values"
	}
	keys, err := seal.Load(path)
	if err != nil {
		return fmt.Sprintf("  BEFORE YOU SERVE: the database holds values (psychotherapy notes, two-step sign-in secrets) encrypted under data key(s) %s, and backups never hold those keys. Copy the data key file from its offline copy to %s (or point KAPSTONE_DATA_KEY / -data-key at it); kapstone will not start without it", strings.Join(need, ", "), path)
	}
	var missing []string
	for _, id := range need {
		if !slices.Contains(keys.IDs(), id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("  BEFORE YOU SERVE: the data key file %s lacks key(s) %s, under which values in this backup are encrypted; use the key file from the time of the backup (or later: keys are only ever added)", path, strings.Join(missing, ", "))
	}
	return fmt.Sprintf("  data keys: %s holds every key the backup's encrypted values need (%s)", path, strings.Join(need, ", "))
}
