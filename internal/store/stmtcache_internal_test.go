package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// cacheLen is the number of statements kept by one connection of db.
func cacheLen(t *testing.T, db *sql.DB) int {
	t.Helper()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n := -1
	if err := c.Raw(func(dc any) error {
		if cc, ok := dc.(*cachingConn); ok {
			n = cc.lru.Len()
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStatementCache: a SQLite connection keeps at most StatementCache
// statements (queries built with fmt cannot grow it), the same text run
// again while its rows are still being read gives right answers, a kept
// statement sees a schema change, and the cache can be turned off.
func TestStatementCache(t *testing.T) {
	old := StatementCache
	StatementCache = 4
	defer func() { StatementCache = old }()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	err = s.write(ctx, func(tx *Tx) error {
		for i := range 20 {
			// Twenty texts (as fmt makes them) through a cache of four.
			if _, err := tx.Exec(ctx, `INSERT INTO kv (k, v) VALUES ($1, $2) -- `+string(rune('a'+i)), i, "v"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := cacheLen(t, s.w); n != 4 {
		t.Errorf("the writer's connection keeps %d statements, want 4 (the bound)", n)
	}
	// The same text again while its first rows are still open.
	var pairs int
	err = s.read(ctx, func(tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT k FROM kv WHERE k < $1 ORDER BY k`, 5)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k int
			if err := rows.Scan(&k); err != nil {
				return err
			}
			inner, err := queryAll(ctx, tx, func(r scanner) (v int, err error) { err = r.Scan(&v); return v, err }, `SELECT k FROM kv WHERE k < $1 ORDER BY k`, k)
			if err != nil {
				return err
			}
			if len(inner) != k {
				t.Errorf("inner query for k < %d gave %d rows", k, len(inner))
			}
			pairs++
		}
		return rows.Err()
	})
	if err != nil || pairs != 5 {
		t.Fatalf("nested reads of one text: %d outer rows, %v", pairs, err)
	}
	// A kept SELECT * sees a column added after it was prepared.
	cols := func() int {
		var n int
		if err := s.write(ctx, func(tx *Tx) error {
			rows, err := tx.Query(ctx, `SELECT * FROM kv WHERE k = $1`, 1)
			if err != nil {
				return err
			}
			defer rows.Close()
			c, err := rows.Columns()
			n = len(c)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := cols()
	if _, err := s.w.ExecContext(ctx, `ALTER TABLE kv ADD COLUMN w TEXT`); err != nil {
		t.Fatal(err)
	}
	if after := cols(); before != 2 || after != 3 {
		t.Errorf("SELECT * columns before and after a schema change: %d and %d, want 2 and 3", before, after)
	}
	// Turned off: plain connections.
	StatementCache = 0
	s2, err := Open(ctx, filepath.Join(t.TempDir(), "plain.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n := cacheLen(t, s2.w); n != -1 {
		t.Errorf("with StatementCache 0 the connection keeps statements (%d)", n)
	}
}

// TestReadTransactionsKeepStatements: a reader connection is read-only
// for good (PRAGMA query_only), so the driver does not turn query_only on
// and off around each read transaction: that flag pragma expires every
// statement the connection keeps, and SQLite compiled each again on its
// next use (seen in a profile of the portal home as _sqlite3Prepare under
// sqlite3_step, 12% of its CPU; gone with this). Kept statements are used
// across read transactions.
func TestReadTransactionsKeepStatements(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "reprepare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	s.r.SetMaxOpenConns(1) // every read on the one connection
	for i := range 5 {
		if err := s.read(ctx, func(tx *Tx) error {
			var n int
			return tx.QueryRow(ctx, `SELECT count(*) FROM kv WHERE k > $1`, i).Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n := cacheLen(t, s.r); n != 1 {
		t.Errorf("the reader keeps %d statements, want 1", n)
	}
	c, err := s.r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var qo bool
	if err := c.QueryRowContext(ctx, `PRAGMA query_only`).Scan(&qo); err != nil || !qo {
		t.Errorf("reader query_only = %v (%v), want true", qo, err)
	}
	if err := s.w.QueryRowContext(ctx, `PRAGMA query_only`).Scan(&qo); err != nil || qo {
		t.Errorf("writer query_only = %v (%v), want false", qo, err)
	}
}
