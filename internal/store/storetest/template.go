package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/seal"
	"github.com/kapstone/kapstone/internal/store"
)

// migrateFresh opens dsn, migrates it with a throw-away audit key and data
// keys (a new database has nothing to seal or sign: Migrate only creates
// tables and publishes the original consent documents), calls then, and
// closes the store.
func migrateFresh(ctx context.Context, dsn, keyDir string, then func(*store.Store) error) error {
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	key, err := audit.LoadOrCreateKey(filepath.Join(keyDir, "audit-key.pem"))
	if err != nil {
		return err
	}
	s.SetAuditKey(key)
	keys, err := seal.New()
	if err != nil {
		return err
	}
	s.SetKeyring(keys)
	if _, err := s.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate the template: %w", err)
	}
	if then != nil {
		return then(s)
	}
	return nil
}

// sqliteTemplate is the bytes of a migrated SQLite database, made once per
// test process: migrated in a temporary directory, then written out whole
// with VACUUM INTO (a consistent snapshot in one file, with nothing left in
// a WAL), read into memory and the directory removed.
var sqliteTemplate = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "kapstone-storetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "kapstone.db")
	snapshot := filepath.Join(dir, "template.db")
	err = migrateFresh(context.Background(), path, dir, nil)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.Exec(`VACUUM INTO $1`, snapshot); err != nil {
		return nil, fmt.Errorf("VACUUM INTO the template: %w", err)
	}
	return os.ReadFile(snapshot)
})

// sqliteCopy writes a copy of the SQLite template into a new file under
// t.TempDir() and returns its path.
func sqliteCopy(t testing.TB) string {
	t.Helper()
	b, err := sqliteTemplate()
	if err != nil {
		t.Fatalf("storetest: SQLite template: %v", err)
	}
	path := filepath.Join(t.TempDir(), "kapstone.db")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pgTemplate is this test process's PostgreSQL template: a database named
// kt_<owner>_tmpl, migrated once, with no connection left open to it (CREATE
// DATABASE ... TEMPLATE refuses a template anyone is connected to). Every
// copy is a database kt_<owner>_<n>.
//
// A test process that dies (a timeout, a kill) cannot drop its databases,
// so the owner holds a session advisory lock for as long as it lives, on a
// connection kept open for nothing else; a new owner drops every kt_
// database whose owner's lock is free (pgSweep).
type pgTemplate struct {
	base  string  // KAPSTONE_TEST_POSTGRES
	admin *sql.DB // on base: CREATE and DROP DATABASE
	owner string  // hex, unique to this process
	name  string  // the template database
	n     atomic.Int64
}

var pgTemplates sync.Map // base URL -> func() (*pgTemplate, error)

func pgTemplateFor(base string) (*pgTemplate, error) {
	f, _ := pgTemplates.LoadOrStore(base, sync.OnceValues(func() (*pgTemplate, error) { return newPGTemplate(base) }))
	return f.(func() (*pgTemplate, error))()
}

// ownerLockKey is the advisory lock key that says owner is alive.
func ownerLockKey(owner string) int64 {
	b, _ := hex.DecodeString(owner)
	return int64(binary.BigEndian.Uint64(append([]byte{0x6b, 0x74}, b...)[:8]))
}

func newPGTemplate(base string) (*pgTemplate, error) {
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	p := &pgTemplate{base: base, admin: admin, owner: hex.EncodeToString(b)}
	p.name = "kt_" + p.owner + "_tmpl"
	// The lock's connection stays open (and out of the pool) until the
	// process exits, which releases the lock.
	hold, err := admin.Conn(ctx)
	if err != nil {
		admin.Close()
		return nil, err
	}
	if _, err := hold.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, ownerLockKey(p.owner)); err != nil {
		hold.Close()
		admin.Close()
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := pgSweep(ctx, admin, p.owner); err != nil {
		return nil, err
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+p.name); err != nil {
		return nil, fmt.Errorf("CREATE DATABASE (the %s user must be allowed to create databases): %w", PostgresEnv, err)
	}
	dir, err := os.MkdirTemp("", "kapstone-storetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := migrateFresh(ctx, p.dsn(p.name), dir, nil); err != nil {
		admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+p.name+` WITH (FORCE)`)
		return nil, err
	}
	return p, nil
}

// pgSweep drops the databases of test processes that are gone: every kt_
// database whose owner (not self) holds no lock.
func pgSweep(ctx context.Context, admin *sql.DB, self string) error {
	rows, err := admin.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'kt\_%'`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	gone := map[string]bool{}
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, n := range names {
		parts := strings.Split(n, "_")
		if len(parts) != 3 || len(parts[1]) != 12 || parts[1] == self {
			continue
		}
		owner := parts[1]
		if _, err := hex.DecodeString(owner); err != nil {
			continue
		}
		dead, seen := gone[owner]
		if !seen {
			var free bool
			if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, ownerLockKey(owner)).Scan(&free); err != nil {
				return err
			}
			if free {
				conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, ownerLockKey(owner))
			}
			gone[owner], dead = free, free
		}
		if dead {
			// Another sweeper may have dropped it first.
			admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+n+` WITH (FORCE)`)
		}
	}
	return nil
}

// dsn is base naming database db (KAPSTONE_TEST_POSTGRES's other
// parameters kept).
func (p *pgTemplate) dsn(db string) string {
	u, err := url.Parse(p.base)
	if err != nil {
		return ""
	}
	u.Path = "/" + db
	return u.String()
}

// pgCopy makes a new database from this process's template and returns its
// URL; the database is dropped when the test ends, with any connection a
// test left open.
func pgCopy(t testing.TB, base string) string {
	t.Helper()
	if _, err := url.Parse(base); err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	p, err := pgTemplateFor(base)
	if err != nil {
		t.Fatalf("storetest: PostgreSQL template: %v", err)
	}
	name := fmt.Sprintf("kt_%s_%d", p.owner, p.n.Add(1))
	if _, err := p.admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + p.name); err != nil {
		t.Fatalf("storetest: copy the template: %v", err)
	}
	t.Cleanup(func() {
		if _, err := p.admin.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("storetest: drop %s: %v", name, err)
		}
	})
	return p.dsn(name)
}
