// Package store keeps kapstone's data in SQLite (embedded, the default) or
// PostgreSQL, with one query text for both. Public methods open a
// transaction and compose unexported helpers that take it.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/seal"
)

// Store is a handle on the database. It is safe for concurrent use.
type Store struct {
	d *dialect
	w *sql.DB // writes (SQLite: one connection)
	r *sql.DB // reads (SQLite: a pool; PostgreSQL: same as w)

	key  *audit.Key    // signs audit rows
	keys *seal.Keyring // seals data at rest (psychotherapy notes, TOTP secrets)

	dsn      string // what Open was given: the change listener connects with it (notify.go)
	instance string // names this store in its change announcements, so it skips its own

	group        *groupWriter // SQLite: runs the writes, grouped (GroupCommit); nil: each on its own
	groupCommits atomic.Int64 // commits that held more than one write

	auditAppends atomic.Uint64 // audit rows committed by write (AuditAppends)
	auditPending atomic.Bool   // PostgreSQL: audit_pending exists, audit rows are appended pending (auditseal.go)
	stats        txStats       // transactions begun (view.go)

	// Now returns the current time; tests replace it.
	Now func() time.Time

	// outcomeFault, when set (tests), is called at the start of each
	// outcome summary update (keepOutcomeCourse); an error fails the
	// update as a database error would.
	outcomeFault func(patientID string) error
}

// Open connects to the database named by dsn: a postgres:// URL, or else the
// path of a SQLite file, created if missing. It checks the connection but does
// not migrate; call Migrate. Errors are one line that says what to fix.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if dsn == "" {
		return nil, errors.New("no database given")
	}
	if err := checkDSN(dsn); err != nil {
		return nil, err
	}
	d, w, r, err := openEngine(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s := &Store{d: d, w: w, r: r, dsn: dsn, instance: NewID(), Now: time.Now}
	if d.name == EngineSQLite && GroupCommit {
		s.group = newGroupWriter(s)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := s.ping(pctx); err != nil {
		s.Close()
		return nil, d.connectError(dsn, err)
	}
	return s, nil
}

// ping checks that the writer can reach the database and that the engine
// is set up as kapstone needs (dialect.checkWriter).
func (s *Store) ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return err
	}
	return s.d.checkWriter(ctx, s.w)
}

// Engine names the database engine: EngineSQLite or EnginePostgres.
func (s *Store) Engine() string { return s.d.name }

// Ping reports whether the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// IntegrityCheck runs SQLite's integrity_check and returns nil when it says
// ok. On PostgreSQL it returns nil.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	return s.d.integrityCheck(ctx, s.w)
}

// Close closes both pools. On SQLite the last connection to close checkpoints the WAL.
func (s *Store) Close() error {
	if s.group != nil {
		s.group.close()
	}
	var err error
	if s.r != s.w {
		err = s.r.Close()
	}
	return errors.Join(err, s.w.Close())
}

// Tx is a transaction whose queries use $N placeholders on either engine.
// Time arguments are stored in UTC at microsecond precision, so what is read
// back equals what was written on both engines.
type Tx struct {
	tx   *sql.Tx
	d    *dialect
	s    *Store
	view *View // the page view whose read transaction this is (view.go), or nil
	// grouped: the transaction holds other callers' writes too
	// (GroupCommit), so a statement is never interrupted when its own
	// caller goes away (SQLite would roll the whole transaction back).
	grouped bool

	audits int // audit rows appended in it (counted at commit: Store.AuditAppends)
}

func (t *Tx) args(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = v.UTC().Truncate(time.Microsecond)
		case *time.Time:
			if v != nil {
				args[i] = v.UTC().Truncate(time.Microsecond)
			}
		}
	}
	return args
}

// ctx is the context a statement runs with: ctx, not cancelled with it
// when the transaction is grouped.
func (t *Tx) ctx(ctx context.Context) context.Context {
	if t.grouped {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// Exec runs a statement that returns no rows.
func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = t.ctx(ctx)
	return t.tx.ExecContext(ctx, t.d.query(q), t.args(args)...)
}

// Query runs a query that returns rows.
func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = t.ctx(ctx)
	return t.tx.QueryContext(ctx, t.d.query(q), t.args(args)...)
}

// QueryRow runs a query that returns at most one row.
func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = t.ctx(ctx)
	return t.tx.QueryRowContext(ctx, t.d.query(q), t.args(args)...)
}

// write runs fn in a read-write transaction and commits it when fn returns
// nil. A failed COMMIT is returned as an error: nothing is acknowledged that
// was not made durable. On SQLite, writes asked at the same time share one
// transaction and its commit, each in a savepoint of its own (GroupCommit).
func (s *Store) write(ctx context.Context, fn func(*Tx) error) error {
	if s.group != nil {
		return s.group.write(ctx, fn)
	}
	return s.writeOne(ctx, fn)
}

// writeOne is write in a transaction of fn's own.
func (s *Store) writeOne(ctx context.Context, fn func(*Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	s.stats.writes.Add(1)
	defer tx.Rollback()
	t := &Tx{tx: tx, d: s.d, s: s}
	if err := fn(t); err != nil {
		return s.unavailableIf(err)
	}
	if err := tx.Commit(); err != nil {
		return unavailable(err)
	}
	s.auditAppends.Add(uint64(t.audits))
	return nil
}

// read runs fn in a read-only transaction: the open page view's (View),
// when ctx carries one of this store, else its own.
func (s *Store) read(ctx context.Context, fn func(*Tx) error) error {
	if vt := s.viewTx(ctx); vt != nil {
		return s.unavailableIf(fn(vt))
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return unavailable(err)
	}
	s.stats.reads.Add(1)
	defer tx.Rollback()
	return s.unavailableIf(fn(&Tx{tx: tx, d: s.d, s: s}))
}

func unavailable(err error) error {
	return &clinic.Error{Code: clinic.EUnavailable, Message: "The database is not available right now. Nothing was saved; please try again.", Err: err}
}

// unavailableIf returns err as EUnavailable when it says the database could
// not be used (a lost connection, a full disk: dialect.isUnavailable) and
// carries no code of its own yet; any other err is returned as it is. A
// query that fails halfway through a transaction is then answered like a
// failed BEGIN or COMMIT: 503, try again, and not a 500 as if it were a bug.
func (s *Store) unavailableIf(err error) error {
	if err == nil || clinic.ErrorCode(err) != clinic.EInternal || !s.d.isUnavailable(err) {
		return err
	}
	return unavailable(err)
}

// now returns the store clock's time in UTC at microsecond precision.
func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a new 26-character identifier: 48 bits of milliseconds (so
// ids sort by creation time) and 80 random bits.
func NewID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	rand.Read(b[6:])
	return idEncoding.EncodeToString(b[:])
}

// redactDSN returns dsn with any password blanked, from the user part and
// from a password= parameter.
// ValidID reports whether s has the form of an id NewID makes.
func ValidID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefghjkmnpqrstvwxyz", c) {
			return false
		}
	}
	return true
}

func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable database URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "***")
		u.RawQuery = q.Encode()
	}
	return strings.Replace(u.String(), "%2A%2A%2A", "***", -1)
}

// oneLine joins a multi-line driver error into one line, keeping its cause.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// nullTime scans a nullable time.
type nullTime struct {
	t     time.Time
	valid bool
}

func (n *nullTime) Scan(v any) error {
	var nt sql.NullTime
	if err := nt.Scan(v); err != nil {
		return err
	}
	n.t, n.valid = nt.Time.UTC(), nt.Valid
	return nil
}

func (n nullTime) ptr() *time.Time {
	if !n.valid {
		return nil
	}
	t := n.t
	return &t
}

// noRows turns sql.ErrNoRows into a nil error (the caller returns a nil
// pointer for "none").
func noRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// scanner is a row being read: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// queryAll runs q in tx and turns every row into a T with scan.
func queryAll[T any](ctx context.Context, tx *Tx, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanID reads a row of one text column (an id).
func scanID(r scanner) (string, error) {
	var id string
	err := r.Scan(&id)
	return id, err
}

// anys is ids as query arguments.
func anys(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// queryMap runs q in tx and turns every row into a key and a value with
// scan. The map is never nil; a later row with the same key wins.
func queryMap[K comparable, V any](ctx context.Context, tx *Tx, scan func(scanner) (K, V, error), q string, args ...any) (map[K]V, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[K]V{}
	for rows.Next() {
		k, v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}
