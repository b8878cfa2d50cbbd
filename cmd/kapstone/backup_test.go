package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// drillTarget is where the drill's practice lives: a data directory, and on
// PostgreSQL a schema of the test database.
type drillTarget struct {
	dir, dsn string // dsn is "" on SQLite
}

func (d drillTarget) args() []string {
	if d.dsn != "" {
		return []string{"-data-dir", d.dir, "-db", d.dsn}
	}
	return []string{"-data-dir", d.dir}
}

func (d drillTarget) openDB(t *testing.T) (*sql.DB, string) {
	t.Helper()
	if d.dsn != "" {
		db, err := sql.Open("pgx", d.dsn)
		if err != nil {
			t.Fatal(err)
		}
		return db, store.EnginePostgres
	}
	db, err := sql.Open("sqlite3", sqliteRawDSN(filepath.Join(d.dir, "kapstone.db")))
	if err != nil {
		t.Fatal(err)
	}
	return db, store.EngineSQLite
}

// sums returns the target's per-table row counts and checksums.
func (d drillTarget) sums(t *testing.T) []tableSum {
	t.Helper()
	db, engine := d.openDB(t)
	defer db.Close()
	s, err := tableSums(context.Background(), db, engine)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tableCount is how many tables the target's database holds (0: wiped).
func (d drillTarget) tableCount(t *testing.T) int {
	t.Helper()
	if d.dsn == "" {
		if _, err := os.Stat(filepath.Join(d.dir, "kapstone.db")); err != nil {
			return 0
		}
	}
	return len(d.sums(t))
}

// wipe removes the practice's data but keeps its key files, as a machine
// rebuilt from its offline key copies would have them.
func (d drillTarget) wipe(t *testing.T) {
	t.Helper()
	entries, _ := os.ReadDir(d.dir)
	for _, e := range entries {
		if !slices.Contains(restoreKeyFiles, e.Name()) {
			if err := os.RemoveAll(filepath.Join(d.dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	if d.dsn != "" {
		db, _ := d.openDB(t)
		defer db.Close()
		var schema string
		if err := db.QueryRow(`SELECT current_schema()`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE; CREATE SCHEMA ` + schema); err != nil {
			t.Fatal(err)
		}
	}
}

// archiveEntry is one file of an archive, as stored.
type archiveEntry struct {
	name string
	body []byte
}

// readArchive decrypts archive with id and returns its files in order
// (the manifest, its signature, then the others).
func readArchive(t *testing.T, archive string, id age.Identity) []archiveEntry {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := age.Decrypt(f, id)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(r)
	var out []archiveEntry
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, archiveEntry{hdr.Name, b})
	}
}

// readManifest decrypts archive with id and returns its manifest.
func readManifest(t *testing.T, archive string, id age.Identity) manifest {
	t.Helper()
	var m manifest
	if e := readArchive(t, archive, id); len(e) == 0 || e[0].name != manifestName || json.Unmarshal(e[0].body, &m) != nil {
		t.Fatalf("the archive does not start with a manifest: %v", e)
	}
	return m
}

// rewriteArchive re-packs archive with its files changed by edit (given
// each file's name and bytes; the manifest last, after the files' sizes and
// hashes were recomputed), encrypted to the backup's public key (which
// anyone may hold), and returns the new archive's path. The manifest is
// signed by sign; with sign nil, the archive keeps the original signature,
// as a forger without the audit key must (or none, if unsigned).
func rewriteArchive(t *testing.T, archive string, id *age.X25519Identity, editFile func(name string, b []byte) []byte, editManifest func(*manifest), sign *audit.Key, unsigned bool) string {
	t.Helper()
	var m manifest
	var sig []byte
	files := map[string][]byte{}
	for _, e := range readArchive(t, archive, id) {
		switch e.name {
		case manifestName:
			json.Unmarshal(e.body, &m)
		case manifestSigName:
			sig = e.body
		default:
			files[e.name] = editFile(e.name, e.body)
		}
	}
	for i, fe := range m.Files {
		sum := sha256.Sum256(files[fe.Name])
		m.Files[i].Size, m.Files[i].SHA256 = int64(len(files[fe.Name])), hex.EncodeToString(sum[:])
	}
	editManifest(&m)
	out := filepath.Join(t.TempDir(), "forged.age")
	of, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := age.Encrypt(of, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(enc)
	mb, _ := json.MarshalIndent(m, "", "  ")
	tarBytes(tw, manifestName, mb, m.CreatedAt)
	if sign != nil {
		sig = []byte(sign.SignDocument(manifestKind, mb) + "\n")
	}
	if !unsigned {
		tarBytes(tw, manifestSigName, sig, m.CreatedAt)
	}
	for _, fe := range m.Files {
		tarBytes(tw, fe.Name, files[fe.Name], m.CreatedAt)
	}
	if err := errors2(tw.Close(), enc.Close(), of.Close()); err != nil {
		t.Fatal(err)
	}
	return out
}

func errors2(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// TestBackupRestoreDrill seeds the demo practice, backs it up with
// `kapstone backup` while `kapstone serve` runs and takes audited requests,
// wipes it, and restores it with `kapstone restore`: a wrong key, a
// tampered or truncated archive, a manifest forged (checksums recomputed
// over a changed database) without the audit key that signs it, unsigned
// or signed by another key, an archive whose manifest disagrees with its
// database, and a missing audit key all fail with their own error and
// leave no database behind; the good archive restores to the same rows,
// checksums, accounts and audit log, and a second restore over it is
// refused. On PostgreSQL when KAPSTONE_TEST_POSTGRES is set.
func TestBackupRestoreDrill(t *testing.T) {
	ctx := context.Background()
	p := drillTarget{dir: t.TempDir()}
	if dsn := storetest.DSN(t); store.IsPostgresDSN(dsn) {
		p.dsn = dsn
	}
	// Seed the demo practice through the program's own store opening.
	cfg := defaultConfig("serve")
	cfg.DataDir, cfg.DB = p.dir, p.dsn
	st, err := openStore(ctx, &cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	logins, err := demo.Seed(ctx, st, p.dir, auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint(ctx, &cfg, st); err != nil {
		t.Fatal(err)
	}
	st.Close()
	os.Remove(filepath.Join(p.dir, demo.LoginsFile)) // passwords: not part of the practice's data

	keyDir := t.TempDir() // the backup identity lives off the server
	code, out, errOut := kapstone(t, "backup", "-keygen", filepath.Join(keyDir, "id.txt"))
	if code != 0 {
		t.Fatalf("backup -keygen = %d %q %q", code, out, errOut)
	}
	pub := regexp.MustCompile(`age1[0-9a-z]+`).FindString(out)
	idText, _ := os.ReadFile(filepath.Join(keyDir, "id.txt"))
	id, err := age.ParseX25519Identity(regexp.MustCompile(`AGE-SECRET-KEY-[0-9A-Z]+`).FindString(string(idText)))
	if err != nil || id.Recipient().String() != pub {
		t.Fatalf("identity file %q does not match public key %q: %v", idText, pub, err)
	}

	// Online: the server runs and audited requests keep coming during the backup.
	in := start(t, nil, append([]string{"serve", "-addr", "127.0.0.1:0"}, p.args()...)...)
	stopLoad := make(chan struct{})
	var requests atomic.Int64
	var wg sync.WaitGroup
	load := func() {
		defer wg.Done()
		c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for i := 0; ; i++ {
			select {
			case <-stopLoad:
				return
			default:
			}
			res, err := c.PostForm(in.url+"/login", url.Values{"email": {"nobody" + itoa(i%5) + "@example.org"}, "password": {"wrong"}})
			if err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				requests.Add(1)
			}
		}
	}
	wg.Add(2)
	go load()
	go load()
	for deadline := time.Now().Add(30 * time.Second); requests.Load() < 3 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	backups := t.TempDir()
	code, out, errOut = kapstone(t, append([]string{"backup", "-to", backups, "-recipient", pub, "-keep", "3"}, p.args()...)...)
	close(stopLoad)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup = %d %q %q", code, out, errOut)
	}
	if err := in.stop(t); err != nil {
		t.Fatal(err)
	}
	t.Logf("backup while serving %d failed-login requests: %s", requests.Load(), strings.TrimSpace(out))
	archives, _ := filepath.Glob(filepath.Join(backups, "kapstone-*.age"))
	if len(archives) != 1 {
		t.Fatalf("backup directory holds %v, want one archive", archives)
	}
	archive := archives[0]
	if fi, _ := os.Stat(archive); fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("archive mode %v, want no access for group or others", fi.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(p.dir, ".backup-*")); len(left) > 0 {
		t.Errorf("the plain copy was left in the data directory: %v", left)
	}
	// The archive is encrypted: no table name, no demo patient in it, and
	// the keys are never in it.
	raw, _ := os.ReadFile(archive)
	for _, plain := range []string{"audit_events", "SQLite format", "PGDMP", logins[len(logins)-1].Email} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Errorf("the archive holds %q in plain text", plain)
		}
	}
	m := readManifest(t, archive, id)
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, checkpointsName) || slices.Contains(names, "audit-key.pem") || slices.Contains(names, "data-key") || len(m.DataKeyIDs) == 0 {
		t.Errorf("archive files %v, data keys %v: want the checkpoint file, no key file, and the sealing keys' ids", names, m.DataKeyIDs)
	}
	before := map[string]tableSum{}
	for _, ts := range m.Tables {
		before[ts.Name] = ts
	}
	if before["users"].Rows < 5 || before["audit_events"].Rows < 20 {
		t.Fatalf("manifest tables %v: want the demo's accounts and audit rows", m.Tables)
	}
	// Answers read before the wipe, to compare after the restore.
	_, usersBefore, _ := kapstone(t, append([]string{"user", "list"}, p.args()...)...)

	p.wipe(t)
	mustFail := func(name, want string, args ...string) {
		t.Helper()
		code, out, errOut := kapstone(t, append([]string{"restore"}, args...)...)
		if code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("%s: restore = %d %q %q, want an error saying %q", name, code, out, errOut, want)
		}
		t.Logf("%s: %s", name, strings.TrimSpace(errOut))
		if n := p.tableCount(t); n != 0 {
			t.Errorf("%s: the target holds %d tables after a failed restore, want none", name, n)
		}
		if _, err := os.Stat(filepath.Join(p.dir, "kapstone.db")); err == nil {
			t.Errorf("%s: a database was left in the data directory", name)
		}
		if left, _ := filepath.Glob(filepath.Join(p.dir, ".restore-*")); len(left) > 0 {
			t.Errorf("%s: temporary files left: %v", name, left)
		}
	}
	idFile := filepath.Join(keyDir, "id.txt")
	other, _ := age.GenerateX25519Identity()
	otherFile := filepath.Join(keyDir, "other.txt")
	os.WriteFile(otherFile, []byte(other.String()+"\n"), 0o600)
	mustFail("wrong identity", "wrong key", append([]string{"-identity", otherFile, archive}, p.args()...)...)

	tampered := filepath.Join(t.TempDir(), "tampered.age")
	bad := bytes.Clone(raw)
	bad[len(bad)/2] ^= 0x01
	os.WriteFile(tampered, bad, 0o600)
	mustFail("tampered archive", "damaged", append([]string{"-identity", idFile, tampered}, p.args()...)...)

	truncated := filepath.Join(t.TempDir(), "truncated.age")
	os.WriteFile(truncated, raw[:len(raw)-100], 0o600)
	mustFail("truncated archive", "damaged", append([]string{"-identity", idFile, truncated}, p.args()...)...)

	same := func(_ string, b []byte) []byte { return b }
	// Anyone with the backup's public key can make an archive whose audit
	// rows verify while other tables changed, with every checksum
	// recomputed; without the audit key they cannot sign its manifest.
	morePatients := func(m *manifest) {
		for i := range m.Tables {
			if m.Tables[i].Name == "patients" {
				m.Tables[i].Rows++
			}
		}
	}
	forged := rewriteArchive(t, archive, id, same, morePatients, nil, false)
	mustFail("forged manifest, the old signature", "manifest does not match its signature", append([]string{"-identity", idFile, forged}, p.args()...)...)
	forged = rewriteArchive(t, archive, id, same, func(*manifest) {}, nil, true)
	mustFail("unsigned manifest", "manifest is not signed", append([]string{"-identity", idFile, forged}, p.args()...)...)
	// An archive from before signed manifests (v1) is refused by name, with what to do.
	forged = rewriteArchive(t, archive, id, same, func(m *manifest) { m.Format = unsignedFormat }, nil, true)
	mustFail("unsigned v1 archive", "a "+unsignedFormat+" backup, made by kapstone", append([]string{"-identity", idFile, forged}, p.args()...)...)
	stranger, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	forged = rewriteArchive(t, archive, id, same, morePatients, stranger, false)
	mustFail("manifest signed by another audit key", "signed with audit key "+stranger.ID(), append([]string{"-identity", idFile, forged}, p.args()...)...)
	if p.dsn == "" {
		// The whole attack on SQLite: a patient renamed in the database,
		// its file hash and every table checksum recomputed to match.
		renamed := renamePatient(t, dbOf(t, archive, id))
		forged = rewriteArchive(t, archive, id, func(name string, b []byte) []byte {
			if name != sqliteDumpName {
				return b
			}
			return renamed
		}, func(m *manifest) { m.Tables = sqliteSums(t, renamed) }, nil, false)
		mustFail("database changed, checksums recomputed", "manifest does not match its signature", append([]string{"-identity", idFile, forged}, p.args()...)...)
	}

	// The checks after the signature, as if the audit key were stolen too.
	practiceKey, err := audit.LoadKey(filepath.Join(p.dir, "audit-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	forged = rewriteArchive(t, archive, id, same, morePatients, practiceKey, false)
	mustFail("manifest disagrees", "table patients has", append([]string{"-identity", idFile, forged}, p.args()...)...)
	// A checkpoint line altered (and the manifest made to agree): audit verify fails.
	forged = rewriteArchive(t, archive, id, func(name string, b []byte) []byte {
		if name != checkpointsName {
			return b
		}
		i := bytes.LastIndex(b, []byte(" head=")) + len(" head=")
		b = bytes.Clone(b)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return b
	}, func(*manifest) {}, practiceKey, false)
	mustFail("checkpoint altered", "audit log does not verify", append([]string{"-identity", idFile, forged}, p.args()...)...)
	// A file name that climbs out of the working directory (anyone with
	// the public key can make an archive) is refused before it is written.
	forged = rewriteArchive(t, archive, id, same, func(m *manifest) {
		empty := sha256.Sum256(nil)
		for i := range m.Files {
			if m.Files[i].Name == checkpointsName {
				m.Files[i].Name, m.Files[i].Size, m.Files[i].SHA256 = "../escaped.txt", 0, hex.EncodeToString(empty[:])
			}
		}
	}, practiceKey, false)
	mustFail("name outside the working directory", "not a file a kapstone backup contains", append([]string{"-identity", idFile, forged}, p.args()...)...)
	if _, err := os.Stat(filepath.Join(p.dir, "escaped.txt")); err == nil {
		t.Errorf("restore wrote ../escaped.txt outside its working directory")
	}

	noKeys := drillTarget{dir: t.TempDir(), dsn: p.dsn}
	code, _, errOut = kapstone(t, append([]string{"restore", "-identity", idFile, archive}, noKeys.args()...)...)
	if code == 0 || !strings.Contains(errOut, "backups never hold it: copy audit-key.pem") {
		t.Errorf("restore without the audit key = %d %q, want it to say where the key comes from", code, errOut)
	}

	// The drill: restore the good archive (archive before the flags, as people type it).
	code, out, errOut = kapstone(t, append([]string{"restore", "-identity", idFile, archive}, p.args()...)...)
	if code != 0 {
		t.Fatalf("restore = %d %q %q", code, out, errOut)
	}
	for _, want := range []string{"every row count and checksum matches the manifest", "audit log intact", "holds every key the backup's encrypted values need"} {
		if !strings.Contains(out, want) {
			t.Errorf("restore summary lacks %q:\n%s", want, out)
		}
	}
	t.Logf("restore: %s", out)
	after := p.sums(t)
	if len(after) != len(m.Tables) {
		t.Fatalf("restored %d tables, the backup had %d", len(after), len(m.Tables))
	}
	for _, ts := range after {
		if before[ts.Name] != ts {
			t.Errorf("table %s restored as %+v, backed up as %+v", ts.Name, ts, before[ts.Name])
		}
	}
	_, usersAfter, _ := kapstone(t, append([]string{"user", "list"}, p.args()...)...)
	if usersAfter != usersBefore || !strings.Contains(usersAfter, logins[0].Email) {
		t.Errorf("user list after restore:\n%s\nbefore:\n%s", usersAfter, usersBefore)
	}
	code, out, errOut = kapstone(t, append([]string{"audit", "verify"}, p.args()...)...)
	if code != 0 || !strings.Contains(out, "audit log intact") {
		t.Errorf("audit verify after restore = %d %q %q", code, out, errOut)
	}
	// The restored practice serves, and a patient signs in.
	in = start(t, nil, append([]string{"serve", "-addr", "127.0.0.1:0"}, p.args()...)...)
	var patient demo.Login
	for _, l := range logins {
		if l.Role == "patient" {
			patient = l
			break
		}
	}
	c := noRedirect()
	if res := login(t, c, in.url, patient.Email, patient.Password); res.StatusCode != http.StatusSeeOther {
		t.Errorf("patient sign-in on the restored practice = %d, want a redirect", res.StatusCode)
	}
	if err := in.stop(t); err != nil {
		t.Fatal(err)
	}
	mustFailNonEmpty := func() {
		code, _, errOut := kapstone(t, append([]string{"restore", "-identity", idFile, archive}, p.args()...)...)
		if code == 0 || !strings.Contains(errOut, "refusing to restore") {
			t.Errorf("restore over the restored practice = %d %q, want a refusal", code, errOut)
		}
	}
	mustFailNonEmpty()
	if got := p.sums(t); len(got) != len(after) {
		t.Errorf("the refused restore changed the database")
	}
}

// dbOf returns the SQLite database file in archive.
func dbOf(t *testing.T, archive string, id age.Identity) []byte {
	t.Helper()
	for _, e := range readArchive(t, archive, id) {
		if e.name == sqliteDumpName {
			return e.body
		}
	}
	t.Fatal("the archive holds no SQLite database")
	return nil
}

// sqliteOf writes the SQLite database file db to a temporary file and
// opens it; the caller closes it.
func sqliteOf(t *testing.T, db []byte) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "forged.db")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := sql.Open("sqlite3", sqliteRawDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	return d, path
}

// renamePatient returns the SQLite database file db with one patient renamed.
func renamePatient(t *testing.T, db []byte) []byte {
	t.Helper()
	d, path := sqliteOf(t, db)
	if _, err := d.Exec(`UPDATE patients SET display_name = 'Forged Name' WHERE id = (SELECT min(id) FROM patients)`); err != nil {
		t.Fatal(err)
	}
	d.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sqliteSums is tableSums of the SQLite database file db.
func sqliteSums(t *testing.T, db []byte) []tableSum {
	t.Helper()
	d, _ := sqliteOf(t, db)
	defer d.Close()
	s, err := tableSums(context.Background(), d, store.EngineSQLite)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPruneBackups keeps the newest archives by the time in their names
// and leaves other files alone.
// TestRemoveStaleWork: a backup removes the working directories (with a
// plain database copy in them) that a killed backup or restore left in the
// data directory, once they are old enough not to belong to a live run.
func TestRemoveStaleWork(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	mk := func(name string, age time.Duration) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(p, "kapstone.db"), []byte("plain"), 0o600)
		os.Chtimes(p, now.Add(-age), now.Add(-age))
		return p
	}
	oldBackup, oldRestore := mk(".backup-1", 7*time.Hour), mk(".restore-2", 30*time.Hour)
	live, other := mk(".backup-3", time.Minute), mk("media", 100*time.Hour)
	removeStaleWork(dir, now)
	for _, p := range []string{oldBackup, oldRestore} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was left behind", filepath.Base(p))
		}
	}
	for _, p := range []string{live, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
}

func TestPruneBackups(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"kapstone-sqlite-20260101T000000Z.age", "kapstone-postgres-20260301T000000Z.age", "kapstone-sqlite-20260201T000000Z.age", "notes.txt", ".kapstone-sqlite-x.age.partial-1"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o600)
	}
	removed, err := pruneBackups(dir, 2)
	if err != nil || !slices.Equal(removed, []string{"kapstone-sqlite-20260101T000000Z.age"}) {
		t.Fatalf("pruneBackups = %v, %v", removed, err)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 4 {
		t.Errorf("left %d files, want 4", len(left))
	}
}

// TestBackupUsage: a backup without a recipient, or with a secret key as
// recipient, is refused with a message that says what to give.
func TestBackupUsage(t *testing.T) {
	dir := t.TempDir()
	id, _ := age.GenerateX25519Identity()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-to", dir}, "give at least one age public key"},
		{[]string{"-to", dir, "-recipient", id.String()}, "SECRET age identity"},
		{[]string{"-to", dir, "-recipient", "age1nope"}, "a recipient looks like age1"},
		{[]string{"-recipient", id.Recipient().String()}, "give the backup directory with -to"},
	} {
		code, _, errOut := kapstone(t, append([]string{"backup", "-data-dir", dir}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("backup %v = %d %q, want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// TestTableSums: a table's checksum does not depend on the order of its
// rows, and changes with any value, a value moved to another column, a
// NULL for an empty string, or a row added.
func TestTableSums(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite3", sqliteRawDSN(filepath.Join(t.TempDir(), "t.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sumOf := func(rows ...[2]any) tableSum {
		t.Helper()
		mustExec(t, db, `DROP TABLE IF EXISTS x`)
		mustExec(t, db, `CREATE TABLE x (a TEXT, b TEXT)`)
		for _, r := range rows {
			mustExec(t, db, `INSERT INTO x (a, b) VALUES (?, ?)`, r[0], r[1])
		}
		s, err := tableSums(ctx, db, store.EngineSQLite)
		if err != nil || len(s) != 1 {
			t.Fatalf("tableSums = %v, %v", s, err)
		}
		return s[0]
	}
	base := sumOf([2]any{"1", "one"}, [2]any{"2", "two"})
	if got := sumOf([2]any{"2", "two"}, [2]any{"1", "one"}); got != base {
		t.Errorf("rows in another order: %v, want %v", got, base)
	}
	if sumOf([2]any{"1", ""}).SHA256 == sumOf([2]any{"1", nil}).SHA256 {
		t.Error("a NULL and an empty string give the same checksum")
	}
	for name, rows := range map[string][][2]any{
		"a value changed": {{"1", "one"}, {"2", "twO"}},
		"values swapped":  {{"one", "1"}, {"2", "two"}},
		"split moved":     {{"1o", "ne"}, {"2", "two"}},
		"a row added":     {{"1", "one"}, {"2", "two"}, {"2", "two"}},
	} {
		if got := sumOf(rows...); got.SHA256 == base.SHA256 {
			t.Errorf("%s: checksum unchanged", name)
		}
	}
}
