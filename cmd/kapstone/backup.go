package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/bits"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/store"
)

// Backups are age-encrypted tar streams. The archive holds manifest.json
// (first), its signature by the audit key (manifest.sig, second: anyone
// with the age public key can make an archive, so restore trusts nothing in
// it before that signature verifies under the audit key it was given), the
// database (kapstone.db, a consistent SQLite copy made with
// VACUUM INTO, or kapstone.pgdump, pg_dump's custom format) and the audit
// checkpoint file. It never holds the audit signing key or the data keys:
// those are kept apart, offline, and restore asks for them.

// backupFormat names the archive's layout: v2 has the signed manifest
// (manifest.sig); v1 archives, from before it, are refused by name
// (unsignedFormat).
const backupFormat = "kapstone-backup-v2"

// unsignedFormat is the format of archives made before manifests were
// signed: nothing in one can be trusted by a restore that checks the
// signature, so restore names it and says what to do.
const unsignedFormat = "kapstone-backup-v1"

const (
	manifestName    = "manifest.json"
	manifestSigName = "manifest.sig"
	// manifestKind is the kind of document the manifest is signed as
	// (audit.SignDocument).
	manifestKind    = "backup-manifest"
	sqliteDumpName  = "kapstone.db"
	pgDumpName      = "kapstone.pgdump"
	checkpointsName = "audit-checkpoints.log"
)

// backupFileNames are the files an archive may hold after its manifest;
// restore refuses any other name.
var backupFileNames = map[string]bool{sqliteDumpName: true, pgDumpName: true, checkpointsName: true}

// manifest describes a backup: what made it, and what a restore must find.
type manifest struct {
	Format     string      `json:"format"`
	Version    string      `json:"kapstone_version"`
	Engine     string      `json:"engine"`
	Schema     string      `json:"schema_version"`
	PGSchema   string      `json:"pg_schema,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	AuditKeyID string      `json:"audit_key_id,omitempty"`
	DataKeyIDs []string    `json:"data_key_ids"`
	Tables     []tableSum  `json:"tables"`
	Files      []fileEntry `json:"files"`
}

// tableSum is one table's row count and checksum: the SHA-256 of its
// columns, its row count and the sum of its rows' hashes, so it does not
// depend on the order rows are read in.
type tableSum struct {
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"`
}

// fileEntry is one file of the archive besides the manifest.
type fileEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

const backupSummary = `Make an encrypted backup of the database while kapstone runs.

The backup is consistent (SQLite: VACUUM INTO; PostgreSQL: pg_dump) and is
encrypted with age to the recipient public keys (age1...) before it reaches
the backup directory: the plain copy lives only briefly in the data
directory (mode 0600) and is removed. The archive holds the database, the
audit checkpoint file and a manifest (per-table row counts and checksums)
signed with the audit key, which restore verifies first. It never holds the audit signing key or the data keys: keep those
separately, offline; kapstone restore asks for them.

  kapstone backup -to /srv/backups -recipient age1... -keep 30
  kapstone backup -keygen backup-identity.txt   make a key pair; prints the public key

Run it from cron or a systemd timer (see the README); -keep N removes all
but the newest N archives after a successful backup.`

func runBackup(ctx context.Context, args []string, env *runEnv) error {
	var (
		to, recipFile, keygen string
		recips                []string
		keep                  int
	)
	if v := env.getenv("KAPSTONE_BACKUP_RECIPIENTS"); v != "" {
		recips = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	}
	to = env.getenv("KAPSTONE_BACKUP_DIR")
	if v := env.getenv("KAPSTONE_BACKUP_KEEP"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return &usageError{fmt.Sprintf("KAPSTONE_BACKUP_KEEP=%q is not a count of archives", v)}
		}
		keep = n
	}
	cfg, rest, err := parseConfigExtra("backup", args, env.getenv, env.stdout, backupSummary, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", to, "directory the encrypted archive is written to (env KAPSTONE_BACKUP_DIR)")
		fs.Func("recipient", "age public key (age1...) the backup is encrypted to; repeat for several (env KAPSTONE_BACKUP_RECIPIENTS, comma-separated)", func(s string) error {
			recips = append(recips, s)
			return nil
		})
		fs.StringVar(&recipFile, "recipients-file", "", "file of age public keys, one a line")
		fs.IntVar(&keep, "keep", keep, "after a successful backup, keep only the newest N archives in -to (0 keeps all; env KAPSTONE_BACKUP_KEEP)")
		fs.StringVar(&keygen, "keygen", "", "write a new age identity (secret key) to this file, print its public key, and exit")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("kapstone backup: unexpected argument %q; run 'kapstone backup -h'", rest[0])}
	}
	if keygen != "" {
		return backupKeygen(keygen, env)
	}
	recipients, err := parseRecipients(recips, recipFile)
	if err != nil {
		return err
	}
	if to == "" {
		return &usageError{"kapstone backup: give the backup directory with -to DIR (or KAPSTONE_BACKUP_DIR)"}
	}
	if keep < 0 {
		return &usageError{"kapstone backup: -keep must be 0 (keep all) or more"}
	}
	dir, err := prepareDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	cfg.DataDir = dir
	if err := os.MkdirAll(to, 0o700); err != nil {
		return fmt.Errorf("backup directory %s cannot be created (%v); choose another with -to", to, unwrapPath(err))
	}
	path, m, err := makeBackup(ctx, &cfg, to, recipients)
	if err != nil {
		return err
	}
	var rows int64
	for _, t := range m.Tables {
		rows += t.Rows
	}
	fmt.Fprintf(env.stdout, "kapstone: backup written to %s (%s, schema %s, %d tables, %d rows, encrypted to %d recipient(s))\n", path, m.Engine, m.Schema, len(m.Tables), rows, len(recipients))
	fmt.Fprintln(env.stdout, "kapstone: the archive holds no keys: keep the audit key and the data key file apart from it, offline")
	if keep > 0 {
		removed, err := pruneBackups(to, keep)
		for _, r := range removed {
			fmt.Fprintf(env.stdout, "kapstone: removed old backup %s\n", r)
		}
		if err != nil {
			return fmt.Errorf("the backup was written, but removing old backups failed: %v", err)
		}
	}
	return nil
}

// backupKeygen writes a new X25519 identity to path (never over a file)
// and prints its public key.
func backupKeygen(path string, env *runEnv) error {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("cannot write the identity to %s (%v); it is never written over an existing file", path, unwrapPath(err))
	}
	fmt.Fprintf(f, "# created: %s\n# public key: %s\n%s\n", time.Now().UTC().Format(time.RFC3339), id.Recipient(), id)
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "kapstone: backup identity (secret) written to %s: keep it OFF the server and off the backup host; restore needs it.\npublic key (give it to kapstone backup -recipient): %s\n", path, id.Recipient())
	return nil
}

// parseRecipients reads the age recipients from flags and a file.
func parseRecipients(list []string, file string) ([]age.Recipient, error) {
	var text strings.Builder
	for _, r := range list {
		r = strings.TrimSpace(r)
		if r != "" {
			text.WriteString(r + "\n")
		}
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("recipients file: %v", unwrapPath(err))
		}
		text.Write(b)
		text.WriteString("\n")
	}
	if strings.Contains(strings.ToUpper(text.String()), "AGE-SECRET-KEY-") {
		return nil, &usageError{"kapstone backup: a recipient is a SECRET age identity (AGE-SECRET-KEY-...); give its public key (age1..., printed by kapstone backup -keygen or age-keygen -y) and keep the secret key off this machine"}
	}
	if strings.TrimSpace(text.String()) == "" {
		return nil, &usageError{"kapstone backup: give at least one age public key with -recipient age1... (or -recipients-file, or KAPSTONE_BACKUP_RECIPIENTS); make one with kapstone backup -keygen FILE"}
	}
	rs, err := age.ParseRecipients(strings.NewReader(text.String()))
	if err != nil {
		return nil, &usageError{fmt.Sprintf("kapstone backup: %v; a recipient looks like age1 followed by 58 letters and digits", err)}
	}
	return rs, nil
}

// staleWorkAge is how old a backup's or restore's working directory in the
// data directory must be before the next backup removes it as left behind.
const staleWorkAge = 6 * time.Hour

// removeStaleWork removes the working directories (.backup-*, .restore-*)
// that a backup or restore killed outright (SIGKILL, out of memory, power)
// left in dataDir, with the plain database copy in them; those that are
// younger than staleWorkAge may belong to a run still going, and are kept.
func removeStaleWork(dataDir string, now time.Time) {
	for _, pat := range []string{".backup-*", ".restore-*"} {
		matches, _ := filepath.Glob(filepath.Join(dataDir, pat))
		for _, m := range matches {
			if fi, err := os.Lstat(m); err == nil && fi.IsDir() && now.Sub(fi.ModTime()) > staleWorkAge {
				os.RemoveAll(m)
			}
		}
	}
}

// makeBackup writes one encrypted archive into dir and returns its path.
func makeBackup(ctx context.Context, cfg *config, dir string, recipients []age.Recipient) (string, *manifest, error) {
	m := &manifest{Format: backupFormat, Version: fullVersion(), CreatedAt: time.Now().UTC().Truncate(time.Second), DataKeyIDs: []string{}}
	removeStaleWork(cfg.DataDir, time.Now())
	work, err := os.MkdirTemp(cfg.DataDir, ".backup-")
	if err != nil {
		return "", nil, fmt.Errorf("cannot make a temporary directory in the data directory %s: %v", cfg.DataDir, unwrapPath(err))
	}
	defer os.RemoveAll(work) // the plain copy never outlives the backup
	// The audit key signs the manifest, so a restore can tell this archive
	// from one made by anyone else holding the backup's public key.
	key, err := audit.LoadKey(cfg.auditKeyPath())
	if err != nil {
		return "", nil, fmt.Errorf("the audit key %s, which signs the backup's manifest, cannot be used (%v); run kapstone backup where kapstone serves, with its data directory (or -audit-key FILE)", cfg.auditKeyPath(), unwrapPath(err))
	}
	// The checkpoint file first: the log only grows, so every checkpoint
	// read now covers rows the database copy made after it holds.
	cpPath := filepath.Join(work, checkpointsName)
	hasCP, err := copyCompleteLines(cfg.checkpointPath(), cpPath)
	if err != nil {
		return "", nil, fmt.Errorf("audit checkpoint file: %v", err)
	}
	dsn := cfg.dsn()
	var dbName string
	if store.IsPostgresDSN(dsn) {
		dbName = pgDumpName
		err = dumpPostgres(ctx, dsn, filepath.Join(work, dbName), m)
	} else {
		dbName = sqliteDumpName
		err = dumpSQLite(ctx, dsn, filepath.Join(work, dbName), m)
	}
	if err != nil {
		return "", nil, err
	}
	// The ids of the data keys that sealed values (never the keys): restore
	// checks that the key file given to it holds them.
	keyDSN := dsn
	if !store.IsPostgresDSN(dsn) {
		keyDSN = filepath.Join(work, dbName)
	}
	if m.DataKeyIDs, err = sealedKeyIDs(ctx, keyDSN); err != nil {
		return "", nil, err
	}
	names := []string{dbName}
	if hasCP {
		names = append(names, checkpointsName)
	}
	for _, n := range names {
		fe, err := hashFile(filepath.Join(work, n))
		if err != nil {
			return "", nil, err
		}
		fe.Name = n
		m.Files = append(m.Files, fe)
	}
	name := fmt.Sprintf("kapstone-%s-%s.age", m.Engine, m.CreatedAt.Format("20060102T150405Z"))
	final := filepath.Join(dir, name)
	if _, err := os.Stat(final); err == nil {
		return "", nil, fmt.Errorf("%s already exists (a backup made within the same second); try again", final)
	}
	part, err := os.CreateTemp(dir, "."+name+".partial-")
	if err != nil {
		return "", nil, fmt.Errorf("cannot write in the backup directory %s: %v", dir, unwrapPath(err))
	}
	ok := false
	defer func() {
		if !ok {
			part.Close()
			os.Remove(part.Name())
		}
	}()
	bw := bufio.NewWriterSize(part, 1<<20)
	enc, err := age.Encrypt(bw, recipients...)
	if err != nil {
		return "", nil, err
	}
	tw := tar.NewWriter(enc)
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := tarBytes(tw, manifestName, mb, m.CreatedAt); err != nil {
		return "", nil, err
	}
	if err := tarBytes(tw, manifestSigName, []byte(key.SignDocument(manifestKind, mb)+"\n"), m.CreatedAt); err != nil {
		return "", nil, err
	}
	for _, fe := range m.Files {
		if err := tarFile(tw, filepath.Join(work, fe.Name), fe, m.CreatedAt); err != nil {
			return "", nil, err
		}
	}
	if err := errors.Join(tw.Close(), enc.Close(), bw.Flush(), part.Sync(), part.Close()); err != nil {
		return "", nil, fmt.Errorf("writing the archive: %v", err)
	}
	if err := os.Rename(part.Name(), final); err != nil {
		return "", nil, err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return final, m, nil
}

// copyCompleteLines copies src up to its last newline (a line being
// appended is left out) and reports whether src existed.
func copyCompleteLines(src, dst string) (bool, error) {
	b, err := os.ReadFile(src)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	return true, os.WriteFile(dst, b, 0o600)
}

func hashFile(path string) (fileEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileEntry{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return fileEntry{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
}

func tarBytes(tw *tar.Writer, name string, b []byte, at time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: at, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

func tarFile(tw *tar.Writer, path string, fe fileEntry, at time.Time) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(&tar.Header{Name: fe.Name, Mode: 0o600, Size: fe.Size, ModTime: at, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.CopyN(tw, f, fe.Size)
	return err
}

// pruneBackups removes all but the newest keep archives in dir (by the
// time in their names) and returns the ones removed.
func pruneBackups(dir string, keep int) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var all []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, "kapstone-") && strings.HasSuffix(n, ".age") {
			all = append(all, n)
		}
	}
	// Names are kapstone-<engine>-<UTC time>.age: sort by the time part.
	sort.Slice(all, func(i, j int) bool { return stamp(all[i]) < stamp(all[j]) })
	var removed []string
	for len(all) > keep {
		if err := os.Remove(filepath.Join(dir, all[0])); err != nil {
			return removed, err
		}
		removed = append(removed, all[0])
		all = all[1:]
	}
	return removed, nil
}

func stamp(name string) string {
	name = strings.TrimSuffix(name, ".age")
	return name[strings.LastIndexByte(name, '-')+1:]
}

// sqliteRawDSN opens a SQLite file for kapstone's own checks, without
// changing its journal mode.
func sqliteRawDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)"
}

// dumpSQLite copies the live database at path into out with VACUUM INTO (a
// consistent snapshot; writers keep going) and fills m from the copy.
func dumpSQLite(ctx context.Context, path, out string, m *manifest) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database at %s (%v); give the data directory with -data-dir or the database with -db", path, unwrapPath(err))
	}
	// An empty file of our own, so the copy is 0600 whatever the umask.
	if err := os.WriteFile(out, nil, 0o600); err != nil {
		return err
	}
	db, err := sql.Open("sqlite3", sqliteRawDSN(path))
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, out)
	db.Close()
	if err != nil {
		return fmt.Errorf("copying the database (VACUUM INTO): %v", err)
	}
	m.Engine = store.EngineSQLite
	cp, err := sql.Open("sqlite3", sqliteRawDSN(out))
	if err != nil {
		return err
	}
	defer cp.Close()
	return fillManifest(ctx, cp, store.EngineSQLite, m)
}

// fillManifest reads what the manifest says about the database q.
func fillManifest(ctx context.Context, q querier, engine string, m *manifest) error {
	var err error
	if m.Tables, err = tableSums(ctx, q, engine); err != nil {
		return err
	}
	if err := q.QueryRowContext(ctx, `SELECT coalesce(max(version), '') FROM schema_migrations`).Scan(&m.Schema); err != nil {
		return fmt.Errorf("reading the schema version: %v", err)
	}
	var id sql.NullString
	err = q.QueryRowContext(ctx, `SELECT key_id FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	m.AuditKeyID = id.String
	return nil
}

// querier is what tableSums needs of a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// tableSums returns every table's row count and checksum, by name.
func tableSums(ctx context.Context, q querier, engine string) ([]tableSum, error) {
	list := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if engine == store.EnginePostgres {
		list = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := q.QueryContext(ctx, list)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]tableSum, 0, len(names))
	for _, n := range names {
		ts, err := tableSumOf(ctx, q, n)
		if err != nil {
			return nil, fmt.Errorf("checksum of table %s: %v", n, err)
		}
		out = append(out, ts)
	}
	return out, nil
}

func tableSumOf(ctx context.Context, q querier, name string) (tableSum, error) {
	rows, err := q.QueryContext(ctx, `SELECT * FROM "`+strings.ReplaceAll(name, `"`, `""`)+`"`)
	if err != nil {
		return tableSum{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return tableSum{}, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	// The rows' hashes are added up modulo 2^256 (a multiset hash): the
	// sum does not depend on the order rows come in, and memory stays flat
	// however large the table.
	var sum [4]uint64
	var n int64
	var buf bytes.Buffer
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return tableSum{}, err
		}
		buf.Reset()
		for _, v := range vals {
			writeValue(&buf, v)
		}
		rh := sha256.Sum256(buf.Bytes())
		var carry uint64
		for i := 3; i >= 0; i-- {
			sum[i], carry = bits.Add64(sum[i], binary.BigEndian.Uint64(rh[i*8:]), carry)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return tableSum{}, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d\n", strings.Join(cols, ","), n)
	binary.Write(h, binary.BigEndian, sum)
	return tableSum{Name: name, Rows: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeValue writes v unambiguously: a type letter, a length, the bytes.
func writeValue(buf *bytes.Buffer, v any) {
	var kind byte
	var s string
	switch x := v.(type) {
	case nil:
		kind = 'n'
	case []byte:
		kind, s = 'b', string(x)
	case string:
		kind, s = 's', x
	case time.Time:
		kind, s = 't', x.UTC().Format(time.RFC3339Nano)
	default:
		kind, s = 'v', fmt.Sprintf("%T:%v", x, x)
	}
	buf.WriteByte(kind)
	buf.WriteString(strconv.Itoa(len(s)))
	buf.WriteByte(':')
	buf.WriteString(s)
}

// pgTool finds a PostgreSQL client program on PATH or in Debian's
// /usr/lib/postgresql/<version>/bin (the newest).
func pgTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) < pgMajor(dirs[j]) })
	if len(dirs) > 0 {
		return dirs[len(dirs)-1], nil
	}
	return "", fmt.Errorf("%s is not installed (not on PATH, nor in /usr/lib/postgresql/*/bin): install the PostgreSQL client programs (Debian/Ubuntu: apt-get install postgresql-client), of the server's major version or newer", name)
}

func pgMajor(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// libpqTarget turns kapstone's PostgreSQL URL into what pg_dump and
// pg_restore take: a URL with only libpq's parameters, the password apart
// (passed in PGPASSWORD, never on a command line) and the schema of its
// search_path ("" for the default).
func libpqTarget(dsn string) (u string, password, schema string, err error) {
	pu, err := url.Parse(dsn)
	if err != nil {
		return "", "", "", fmt.Errorf("the database URL does not parse: %v", err)
	}
	if pu.User != nil {
		password, _ = pu.User.Password()
		pu.User = url.User(pu.User.Username())
	}
	q := pu.Query()
	schema = strings.TrimSpace(strings.Split(q.Get("search_path"), ",")[0])
	keep := url.Values{}
	for _, k := range []string{"sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name", "host", "port", "dbname", "user", "target_session_attrs"} {
		if v, ok := q[k]; ok {
			keep[k] = v
		}
	}
	pu.RawQuery = keep.Encode()
	return pu.String(), password, schema, nil
}

// pgEnv is the environment for a PostgreSQL client program.
func pgEnv(password string) []string {
	env := os.Environ()
	if password != "" {
		env = append(env, "PGPASSWORD="+password)
	}
	return env
}

// dumpPostgres runs pg_dump on a snapshot it shares with the transaction
// that computes the manifest, so both see the same rows.
func dumpPostgres(ctx context.Context, dsn, out string, m *manifest) error {
	pgDump, err := pgTool("pg_dump")
	if err != nil {
		return err
	}
	target, password, schema, err := libpqTarget(dsn)
	if err != nil {
		return err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("cannot reach the database: %v", err)
	}
	defer tx.Rollback()
	var snap string
	if err := tx.QueryRowContext(ctx, `SELECT pg_export_snapshot()`).Scan(&snap); err != nil {
		return err
	}
	if schema == "" {
		if err := tx.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return err
		}
	}
	m.Engine, m.PGSchema = store.EnginePostgres, schema
	if err := fillManifest(ctx, tx, store.EnginePostgres, m); err != nil {
		return err
	}
	if err := os.WriteFile(out, nil, 0o600); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, pgDump, "--format=custom", "--no-owner", "--no-privileges", "--snapshot="+snap, "--schema="+schema, "--file="+out, "--dbname="+target)
	cmd.Env = pgEnv(password)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_dump failed (%v): %s", err, strings.TrimSpace(string(b)))
	}
	return nil
}

// sealedKeyIDs returns the ids of the data keys that sealed values in the
// database dsn, sorted.
func sealedKeyIDs(ctx context.Context, dsn string) ([]string, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	held, err := st.SealedKeyIDs(ctx)
	if err != nil {
		return nil, err
	}
	ids := sortedKeys(held)
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}
