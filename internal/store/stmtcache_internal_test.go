package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/ncruces/go-sqlite3"
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

// TestReaderKeepsStatements: a statement kept by a reader connection is
// compiled once, not again in every read transaction (the readers are
// query-only from the start: the driver's per-transaction PRAGMA
// query_only, a flag pragma, expired every kept statement), and a reader
// still refuses to write.
func TestReaderKeepsStatements(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "reader.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.r.SetMaxOpenConns(1) // one reader connection, whose statements are looked at
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES (1, 'a'), (2, 'b')`); err != nil {
		t.Fatal(err)
	}
	const q = `SELECT v FROM kv WHERE k = $1`
	for i := range 5 {
		err := s.read(ctx, func(tx *Tx) error {
			var v string
			return tx.QueryRow(ctx, q, 1+i%2).Scan(&v)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	c, err := s.r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reprepared := -1
	err = c.Raw(func(dc any) error {
		if e, ok := dc.(*cachingConn).byQuery[s.d.query(q)]; ok {
			reprepared = e.Value.(*cachedStmt).st.(interface {
				Status(sqlite3.StmtStatus, bool) int
			}).Status(sqlite3.STMTSTATUS_REPREPARE, false)
		}
		return nil
	})
	c.Close() // the one reader connection, for the read below
	if err != nil {
		t.Fatal(err)
	}
	if reprepared != 0 {
		t.Errorf("the kept statement was compiled again %d times in 5 read transactions, want 0 (-1: not kept)", reprepared)
	}
	err = s.read(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO kv (k, v) VALUES ($1, $2)`, 3, "c")
		return err
	})
	if err == nil {
		t.Error("a read transaction wrote")
	}
}
