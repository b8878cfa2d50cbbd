package store

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"
)

// StatementCache is how many prepared statements each SQLite connection
// keeps, by query text, for stores opened after it is set (0: none, every
// query compiled afresh, as benchmarks compare). The least recently used
// is finalized when a new one needs the room, so queries built with fmt
// (a LIMIT in the text) cannot grow it without bound. PostgreSQL needs no
// cache of ours: pgx's stdlib driver keeps one per connection already
// (QueryExecModeCacheStatement, its default).
var StatementCache = 256

// cachingConnector opens SQLite connections that keep their prepared
// statements (cachingConn).
type cachingConnector struct {
	driver.Connector
	size int
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &cachingConn{inner: dc, size: c.size, byQuery: map[string]*list.Element{}, lru: list.New()}, nil
}

// sqliteConn is what the SQLite driver's connection does that the cache
// uses.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
}

// cachingConn is one database connection with its own statement cache. A
// connection is used by one goroutine at a time (database/sql), so the
// cache needs no lock. A statement still being read (its rows open) is
// busy: the same text asked for meanwhile is prepared apart and finalized
// after use. SQLite recompiles a kept statement itself after a schema
// change (selectsStar: one whose columns could change is not kept); a
// lost connection is closed by database/sql with its cache.
type cachingConn struct {
	inner   driver.Conn
	size    int
	byQuery map[string]*list.Element // of *cachedStmt
	lru     *list.List               // front: most recently used
}

type cachedStmt struct {
	query string
	st    driver.Stmt
	busy  bool
}

func (c *cachingConn) sc() sqliteConn { return c.inner.(sqliteConn) }

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.inner.Prepare(query) }

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.sc().PrepareContext(ctx, query)
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.sc().BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.sc().BeginTx(ctx, opts)
}

// CheckNamedValue accepts what the driver's statements bind as they are
// and leaves anything else (a named string type, an sql.Null*) to
// database/sql's default conversion, as the driver's statements do.
func (c *cachingConn) CheckNamedValue(v *driver.NamedValue) error {
	switch v.Value.(type) {
	case bool, int, int64, float64, string, []byte, time.Time, nil:
		return nil
	}
	return driver.ErrSkip
}

// Raw is the SQLite connection (for the backup API and the like).
func (c *cachingConn) Raw() *sqlite3.Conn {
	if r, ok := c.inner.(interface{ Raw() *sqlite3.Conn }); ok {
		return r.Raw()
	}
	return nil
}

// Close finalizes the kept statements and closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		errs = append(errs, e.Value.(*cachedStmt).st.Close())
	}
	c.lru.Init()
	clear(c.byQuery)
	return errors.Join(append(errs, c.inner.Close())...)
}

// stmt returns query's kept statement, marked busy, preparing and keeping
// it if needed; or, when it is busy, one prepared apart (kept false).
func (c *cachingConn) stmt(ctx context.Context, query string) (cs *cachedStmt, kept bool, err error) {
	if e, ok := c.byQuery[query]; ok {
		cs = e.Value.(*cachedStmt)
		if !cs.busy {
			c.lru.MoveToFront(e)
			cs.busy = true
			return cs, true, nil
		}
		st, err := c.sc().PrepareContext(ctx, query)
		if err != nil {
			return nil, false, err
		}
		return &cachedStmt{query: query, st: st, busy: true}, false, nil
	}
	st, err := c.sc().PrepareContext(ctx, query)
	if err != nil {
		return nil, false, err
	}
	cs = &cachedStmt{query: query, st: st, busy: true}
	if selectsStar(query) {
		return cs, false, nil
	}
	for c.lru.Len() >= c.size {
		// Make room: the least recently used statement not in use.
		e := c.lru.Back()
		for e != nil && e.Value.(*cachedStmt).busy {
			e = e.Prev()
		}
		if e == nil {
			return cs, false, nil // all in use: this one is not kept
		}
		old := c.lru.Remove(e).(*cachedStmt)
		delete(c.byQuery, old.query)
		old.st.Close()
	}
	c.byQuery[query] = c.lru.PushFront(cs)
	return cs, true, nil
}

// selectsStar reports whether query selects "*" of a table: such a
// statement is never kept, as a kept one would still report the columns
// it was compiled with after a schema change adds one (SQLite recompiles
// it only when it is next stepped).
func selectsStar(query string) bool {
	return strings.Contains(query, "SELECT *") || strings.Contains(query, ".*")
}

// done releases a statement after use: a kept one for the next use, one
// prepared apart finalized.
func (c *cachingConn) done(cs *cachedStmt, kept bool) error {
	if kept {
		cs.busy = false
		return nil
	}
	return cs.st.Close()
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		// No arguments: the driver runs the text as it is (it may be
		// several statements, as a migration is).
		return c.sc().ExecContext(ctx, query, args)
	}
	cs, kept, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := cs.st.(driver.StmtExecContext).ExecContext(ctx, args)
	return res, errors.Join(err, c.done(cs, kept))
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, kept, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := cs.st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, errors.Join(err, c.done(cs, kept))
	}
	return &cachedRows{Rows: rows, release: func() error { return c.done(cs, kept) }}, nil
}

// cachedRows releases its statement when closed (the driver's rows reset
// it for the next use).
type cachedRows struct {
	driver.Rows
	release func() error
	closed  bool
}

func (r *cachedRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return errors.Join(r.Rows.Close(), r.release())
}

// ResetSession and IsValid pass database/sql's checks through to the
// driver's connection when it has them.
func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// openSQLite opens a SQLite pool on dsn whose connections keep their
// statements (StatementCache of them each; none when it is 0).
func openSQLite(dsn string) (*sql.DB, error) {
	db, err := sql.Open("sqlite3", dsn)
	if err != nil || StatementCache <= 0 {
		return db, err
	}
	dc, ok := db.Driver().(driver.DriverContext)
	if !ok {
		return db, nil
	}
	db.Close() // never used: only its driver was wanted
	c, err := dc.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(cachingConnector{Connector: c, size: StatementCache}), nil
}
