// Package storetest gives tests a fresh, migrated database of their own.
//
// Migrating takes 40-odd migrations, each a transaction of DDL; done for
// every test it was most of the suite's database time (on PostgreSQL with
// fsync on, seconds per test). So each test process migrates one template
// database per engine, once (template.go), and every test gets a copy of it:
// on SQLite a copy of the template's file in the test's temporary directory;
// on PostgreSQL a database of its own made with CREATE DATABASE ... TEMPLATE,
// dropped when the test ends. Each copy is independent and fully migrated;
// DSN still gives an empty database, for tests that migrate (or run the
// program that migrates) themselves.
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
// Its user must be allowed to create databases (CREATE DATABASE); CI's and
// the development cluster's postgres user is a superuser.
const PostgresEnv = "KAPSTONE_TEST_POSTGRES"

// DSN returns an empty database for one test: a SQLite path under
// t.TempDir(), or a PostgreSQL URL whose search_path is a new, empty schema,
// dropped when the test ends. Tests of migration itself use it; most tests
// want MigratedDSN or Open.
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

// MigratedDSN returns a new database for one test, already migrated: a
// copy of this test process's template (template.go). On SQLite it is a
// file under t.TempDir(); on PostgreSQL a URL naming a database of its own,
// dropped when the test ends.
func MigratedDSN(t testing.TB) string {
	t.Helper()
	if base := os.Getenv(PostgresEnv); base != "" {
		return pgCopy(t, base)
	}
	return sqliteCopy(t)
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

// dsns maps each store OpenDSN made to its database's DSN (StoreDSN).
var dsns sync.Map // *store.Store -> string

// StoreDSN returns the DSN of a store made by Open or OpenDSN, for a test
// that reads or writes the database beside the store (raw rows no Store
// method makes); it fails the test for any other store.
func StoreDSN(t testing.TB, s *store.Store) string {
	t.Helper()
	dsn, ok := dsns.Load(s)
	if !ok {
		t.Fatal("storetest.StoreDSN: the store was not made by storetest")
	}
	return dsn.(string)
}

// Open returns a migrated store on a fresh database (a copy of the
// template), closed when the test ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	return OpenDSN(t, MigratedDSN(t))
}

// OpenDSN is Open on a given database, which it migrates (on a copy of the
// template there is nothing left to apply); opening one DSN twice gives two
// independent stores (two connection pools), as two kapstone instances
// sharing one database would have. Each store signs audit rows with a new
// key of its own; the stores of one DSN share its data keys (Keyring).
func OpenDSN(t testing.TB, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		dsns.Delete(s)
		s.Close()
	})
	key, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	s.SetAuditKey(key)
	s.SetKeyring(Keyring(t, dsn))
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	dsns.Store(s, dsn)
	return s
}
