// Package storetest gives tests a fresh, migrated database: a SQLite file in
// a temporary directory, or, when KAPSTONE_TEST_POSTGRES is set, a new schema
// in that PostgreSQL database, dropped when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/seal"
	"github.com/kapstone/kapstone/internal/store"
)

// PostgresEnv names the variable that holds a PostgreSQL URL for tests.
const PostgresEnv = "KAPSTONE_TEST_POSTGRES"

// DSN returns a database name for one test: a SQLite path under t.TempDir(),
// or a PostgreSQL URL whose search_path is a new, empty schema.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		return filepath.Join(t.TempDir(), "kapstone.db")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema on %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// keyrings holds each test database's data keys, so that two stores on
// one DSN (two instances) share them, as instances share the key file.
var keyrings sync.Map // dsn -> *seal.Keyring

// Keyring returns the in-memory data keys of the test database dsn, made on
// first use.
func Keyring(t testing.TB, dsn string) *seal.Keyring {
	t.Helper()
	if k, ok := keyrings.Load(dsn); ok {
		return k.(*seal.Keyring)
	}
	k, err := seal.New()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := keyrings.LoadOrStore(dsn, k)
	return got.(*seal.Keyring)
}

// Open returns a migrated store on a fresh database, closed when the test ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	return OpenDSN(t, DSN(t))
}

// OpenDSN is Open on a given database; opening one DSN twice gives two
// independent stores (two connection pools), as two kapstone instances
// sharing one database would have.
func OpenDSN(t testing.TB, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	key, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	s.SetAuditKey(key)
	s.SetKeyring(Keyring(t, dsn))
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}
