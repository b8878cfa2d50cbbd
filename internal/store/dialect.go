package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"github.com/ncruces/go-sqlite3"
	_ "github.com/ncruces/go-sqlite3/driver" // registers "sqlite3"
)

// dialect is the only place where SQLite and PostgreSQL differ. Every query
// elsewhere is written once, with PostgreSQL's $1 placeholders.
type dialect struct {
	name string // "sqlite" or "postgres"

	// timeLayouts are the layouts, tried in order, of a time that an
	// aggregate (max, min) returns as text (see parseTime).
	timeLayouts []string

	mu     sync.Mutex
	rebind map[string]string // SQLite: query text with $N rewritten to ?N
}

// sqliteTimeLayout is how SQLite stores times: Tx turns every time argument
// into UTC, so the zone is always "Z" and every value has the same width.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// Engine names, as reported by Store.Engine.
const (
	EngineSQLite   = "sqlite"
	EnginePostgres = "postgres"
)

// sqliteTimeLayouts: SQLite returns an aggregate of a time column as the
// text the driver stored.
var sqliteTimeLayouts = []string{sqliteTimeLayout}

// postgresTimeLayouts: the pgx driver returns a timestamptz, which
// database/sql turns into RFC 3339 text; the others are PostgreSQL's own
// text forms of a timestamptz.
var postgresTimeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05.999999Z07:00"}

// IsPostgresDSN reports whether dsn names a PostgreSQL database.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// OpenHint says what an operator should check when the database dsn names
// cannot be opened.
func OpenHint(dsn string) string {
	if IsPostgresDSN(dsn) {
		return "check that PostgreSQL is running and KAPSTONE_DB / -db is right"
	}
	return "check the path and its permissions"
}

// UnknownScheme returns dsn's scheme ("mysql://") when it names a kind of
// database kapstone does not speak, and "" for a PostgreSQL URL or a SQLite
// file path.
func UnknownScheme(dsn string) string {
	if i := strings.Index(dsn, "://"); i > 0 && !IsPostgresDSN(dsn) {
		return dsn[:i+3]
	}
	return ""
}

// checkDSN says what is wrong with dsn before anything is opened: a SQLite
// file's directory must exist (the file itself is created if missing).
func checkDSN(dsn string) error {
	if IsPostgresDSN(dsn) {
		return nil
	}
	dir := filepath.Dir(dsn)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("database directory %s does not exist or is not a directory", dir)
	}
	return nil
}

// openEngine opens the writer and reader pools for dsn. For SQLite, dsn is a
// file path; the writer is a single connection that starts every transaction
// with BEGIN IMMEDIATE, and the readers are a small pool.
func openEngine(ctx context.Context, dsn string) (d *dialect, w, r *sql.DB, err error) {
	if IsPostgresDSN(dsn) {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, nil, nil, err
		}
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(10)
		return &dialect{name: EnginePostgres, timeLayouts: postgresTimeLayouts}, db, db, nil
	}
	path, err := filepath.Abs(dsn)
	if err != nil {
		return nil, nil, nil, err
	}
	// Order matters: busy_timeout first (driver docs). synchronous=FULL makes
	// every acknowledged commit survive a power loss, not only a process crash.
	// Times are written in one fixed-width UTC layout, so text order is time order.
	// recursive_triggers makes INSERT OR REPLACE fire the DELETE triggers of
	// the row it replaces; without it, REPLACE rewrites a signed note, a
	// published consent or an audit row past the triggers that lock them.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)&_pragma=recursive_triggers(ON)" +
		"&_timefmt=" + url.QueryEscape(sqliteTimeLayout)
	u := (&url.URL{Scheme: "file", OmitHost: true, Path: path}).String()
	// The writer keeps its statement journals in memory: a group of writes
	// (GroupCommit) gives each a savepoint, whose journal would otherwise
	// go to a new temporary file once past 64 KiB, in every group.
	w, err = openSQLite(u + "?" + pragmas + "&_pragma=temp_store(memory)&_txlock=immediate")
	if err != nil {
		return nil, nil, nil, err
	}
	// The readers are query-only for good: the driver then begins their
	// transactions with a plain BEGIN, where it would otherwise switch
	// PRAGMA query_only on and off around each one, a flag pragma that
	// expires every statement the connection keeps (stmtcache.go), so
	// each would be compiled again in every read transaction.
	// They keep more of the file in their page cache than SQLite's
	// default 2 MB: a page view (a caseload page's rows, badges and
	// sparklines, a chart) touches a few MB of a large practice's file,
	// and pages read again from the OS on every view cost more the larger
	// the practice (issue 18). Bounded: a few readers of readerCacheKiB.
	r, err = openSQLite(u + "?" + pragmas + "&_pragma=query_only(1)" + fmt.Sprintf("&_pragma=cache_size(-%d)", readerCacheKiB) + "&_txlock=deferred")
	if err != nil {
		w.Close()
		return nil, nil, nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	n := max(2, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &dialect{name: EngineSQLite, timeLayouts: sqliteTimeLayouts, rebind: map[string]string{}}, w, r, nil
}

// readerCacheKiB is each SQLite reader connection's page cache, in KiB.
const readerCacheKiB = 8 << 10

// checkWriter checks, once the writer answers, that the engine is set up as
// kapstone needs. On SQLite it writes to the file, so a read-only directory
// fails now and not at the first save, and checks the journal is in WAL
// mode. PostgreSQL needs nothing more.
func (d *dialect) checkWriter(ctx context.Context, w *sql.DB) error {
	if d.name != EngineSQLite {
		return nil
	}
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return err
	}
	var mode string
	if err := w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	return nil
}

// connectError is the one-line error Open returns when the database named
// by dsn does not answer: PostgreSQL's address without its password, or the
// SQLite file's path.
func (d *dialect) connectError(dsn string, err error) error {
	if d.name == EnginePostgres {
		return fmt.Errorf("cannot connect to PostgreSQL at %s: %v", redactDSN(dsn), oneLine(err))
	}
	return fmt.Errorf("cannot open SQLite database %s: %v", dsn, oneLine(err))
}

// parseTime reads a time that an aggregate (max, min) returned as text, in
// the engine's layouts; the zero time when none fits.
func (d *dialect) parseTime(s string) time.Time {
	for _, layout := range d.timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// query returns q in the engine's placeholder syntax. PostgreSQL takes $N as
// written. The SQLite driver binds $N by order of appearance, not by number,
// so $N becomes ?N (outside string literals and quoted identifiers); results
// are cached per query text.
func (d *dialect) query(q string) string {
	if d.name != EngineSQLite {
		return q
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.rebind[q]; ok {
		return s
	}
	s := rebindNumbered(q)
	d.rebind[q] = s
	return s
}

// rebindNumbered rewrites $N placeholders to ?N, leaving text inside
// '...' literals, "..." identifiers, -- and /* */ comments alone. Queries
// never use PostgreSQL's $$ quoting (migrations, which may, are not rebound).
func rebindNumbered(q string) string {
	var b strings.Builder
	b.Grow(len(q))
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j - 1
			continue
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			end := len(q)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(q[i:end])
			i = end - 1
			continue
		case c == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			c = '?'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// isUniqueViolation reports whether err is a unique-constraint failure.
func (d *dialect) isUniqueViolation(err error) bool {
	var se *sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode() == sqlite3.CONSTRAINT_UNIQUE || se.ExtendedCode() == sqlite3.CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// isUnavailable reports whether err means the database cannot be used
// right now, not that the query was wrong: on SQLite a full or failing disk
// (SQLITE_FULL, SQLITE_IOERR, SQLITE_CANTOPEN), a database locked past the
// busy timeout; on PostgreSQL a lost or refused connection, a server
// shutting down or out of disk (SQLSTATE classes 08, 53 and 57P). Such a
// failure is the store's EUnavailable: "try again later", never a bug page.
func (d *dialect) isUnavailable(err error) bool {
	if err == nil {
		return false
	}
	// SQLite's codes first: they also look like net.Error (Temporary, Timeout).
	var sc sqlite3.ErrorCode
	if errors.As(err, &sc) {
		switch sc {
		case sqlite3.FULL, sqlite3.IOERR, sqlite3.CANTOPEN, sqlite3.BUSY, sqlite3.LOCKED, sqlite3.READONLY, sqlite3.NOLFS:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") || strings.HasPrefix(pe.Code, "57P")
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// lockMigrations serialises schema changes between instances. On PostgreSQL
// it takes a transaction-scoped advisory lock; SQLite's BEGIN IMMEDIATE
// already excludes other writers.
func (d *dialect) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	if d.name != EnginePostgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7041990213)`)
	return err
}

// lockAudit serialises inline appends to the audit log's hash chain for the
// rest of the transaction, on PostgreSQL before audit_pending exists (a
// database not yet migrated to 0042); the sealer takes the same lock. SQLite
// has one writer at a time already.
func (d *dialect) lockAudit(ctx context.Context, tx *sql.Tx) error {
	if d.name != EnginePostgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7041990214)`)
	return err
}

// auditFrom is what readers of recent audit rows select FROM, as "a": on
// SQLite the log itself; on PostgreSQL (pending: Store.pendingAudit) the log and the rows not yet sealed
// (audit_pending, auditseal.go), with pend (0 sealed, 1 pending) and n (seq,
// or the pending id) to order them by (auditNewest).
func (d *dialect) auditFrom(pending bool) string {
	if !pending {
		return `audit_events a`
	}
	const cols = `at, actor_id, actor_role, action, outcome, patient_id, object_type, object_id, client_addr, request_id, detail`
	return `(SELECT 0 AS pend, seq AS n, ` + cols + ` FROM audit_events UNION ALL SELECT 1 AS pend, id AS n, ` + cols + ` FROM audit_pending) a`
}

// auditNewest orders auditFrom's rows newest first: pending rows come after
// every sealed row (they will be sealed after them).
func (d *dialect) auditNewest(pending bool) string {
	if !pending {
		return `a.seq DESC`
	}
	return `a.pend DESC, a.n DESC`
}

// lockSchedule serialises bookings for the rest of the transaction, so two
// instances cannot both find a slot free and both fill it. SQLite has one
// writer at a time already; PostgreSQL takes a transaction-scoped advisory
// lock (booking is rare enough that one lock for the practice is fine).
func (d *dialect) lockSchedule(ctx context.Context, tx *sql.Tx) error {
	if d.name != EnginePostgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7041990215)`)
	return err
}

// lockPatientRisk serialises, per patient, everything that touches their
// check-ins and safety alerts for the rest of the transaction: check-in
// saves (so two background saves never both start a check-in or take the
// same answer version), raising or adding to an alert, and acknowledging
// one (so a risk answer is never added to an alert that a clinician is
// acknowledging at that moment). SQLite has one writer at a time already;
// PostgreSQL takes a transaction-scoped advisory lock keyed by the patient
// (taking it again in the same transaction is harmless).
func (d *dialect) lockPatientRisk(ctx context.Context, tx *sql.Tx, patientID string) error {
	if d.name != EnginePostgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7041990, hashtext($1))`, patientID)
	return err
}

// lockPatientMessages serialises, per patient, the recounts of what their
// care team has not read (syncUnread) for the rest of the transaction.
// SQLite has one writer at a time already.
func (d *dialect) lockPatientMessages(ctx context.Context, tx *sql.Tx, patientID string) error {
	if d.name != EnginePostgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7041992, hashtext($1))`, patientID)
	return err
}

// lockInquiryAddr serialises, per client address (its hash), new
// inquiries for the rest of the transaction, so two at once cannot both be
// under the limit. SQLite has one writer at a time already; PostgreSQL takes
// a transaction-scoped advisory lock keyed by the address.
func (d *dialect) lockInquiryAddr(ctx context.Context, tx *sql.Tx, addrHash string) error {
	if d.name != EnginePostgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7041991, hashtext($1))`, addrHash)
	return err
}

// lockPatientConsent serialises, per patient, everything that changes or
// relies on their consent for the rest of the transaction: signing,
// recording a paper signature, revoking, and the dosing session's writes
// (whose gate and dose re-check the KAP consent), so a revocation
// committing at the same moment as a dose is never missed. SQLite has one
// writer at a time already; PostgreSQL locks the patient's row with FOR NO
// KEY UPDATE, which excludes the other consent paths but not inserts of
// rows that merely reference the patient (they take FOR KEY SHARE).
func (d *dialect) lockPatientConsent(ctx context.Context, tx *sql.Tx, patientID string) error {
	if d.name != EnginePostgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT id FROM patients WHERE id = $1 FOR NO KEY UPDATE`, patientID)
	return err
}

// skipLocked is appended to the SELECT that picks jobs to claim. On
// PostgreSQL it locks the rows it returns and passes over rows another
// transaction has locked, so concurrent claimers take different jobs instead
// of queueing behind each other. SQLite has a single writer, so a claim
// never meets another one and needs no row locks.
func (d *dialect) skipLocked() string {
	if d.name == EnginePostgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// integrityCheck runs the engine's own consistency check and returns nil when
// it finds nothing wrong. PostgreSQL has no equivalent online check; it
// answers nil.
func (d *dialect) integrityCheck(ctx context.Context, db *sql.DB) error {
	if d.name != EngineSQLite {
		return nil
	}
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity_check: %s", res)
	}
	return nil
}

// timestampType is the column type for times.
func (d *dialect) timestampType() string {
	if d.name == EnginePostgres {
		return "TIMESTAMPTZ"
	}
	return "TIMESTAMP"
}

// migrationDir is the folder of embedded migrations for the engine.
func (d *dialect) migrationDir() string {
	return "migrations/" + d.name
}

// bulkCacheKiB is the page cache SQLite's writer uses while the demo seeds
// in bulk (store.SeedBulk), so a large transaction's pages are written
// once, at commit, and not spilled to the log on the way. The driver gives
// each connection 256 MB in all (more panics with "out of memory").
const bulkCacheKiB = 64 << 10

// bulkBegin sets up tx for a large seeding transaction and returns the
// statement that puts the engine back as it was (run after commit, outside
// any transaction). SQLite: a larger page cache on the writer's connection.
// PostgreSQL: this transaction's commit does not wait for the disk (the
// demo's data, seeded again on a new database if lost).
func (d *dialect) bulkBegin(ctx context.Context, tx *sql.Tx) (restore string, err error) {
	if d.name == EnginePostgres {
		_, err = tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`)
		return "", err
	}
	_, err = tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, bulkCacheKiB))
	return `PRAGMA cache_size = -2000`, err
}

// bulkTime is t (in UTC, at microsecond precision) as a bulk insert binds
// it: on SQLite the text the driver would store (sqliteTimeLayout), made
// by the caller; on PostgreSQL the time itself.
func (d *dialect) bulkTime(t time.Time) any {
	if d.name == EngineSQLite {
		return t.Format(sqliteTimeLayout)
	}
	return t
}

// forUpdateNoWait is forUpdate that fails at once (lockNotAvailable)
// instead of waiting for another transaction's lock.
func (d *dialect) forUpdateNoWait() string {
	if d.name == EnginePostgres {
		return " FOR UPDATE NOWAIT"
	}
	return ""
}

// lockNotAvailable reports whether err is PostgreSQL's refusal of a
// NOWAIT lock (55P03).
func (d *dialect) lockNotAvailable(err error) bool {
	var pe *pgconn.PgError
	return d.name == EnginePostgres && errors.As(err, &pe) && pe.Code == "55P03"
}

// forUpdate is appended to a SELECT of rows the transaction will write
// from what it read: on PostgreSQL it locks them until the end of the
// transaction; SQLite has one writer at a time already ("").
func (d *dialect) forUpdate() string {
	if d.name == EnginePostgres {
		return " FOR UPDATE"
	}
	return ""
}

// plusHours is the SQL of time column col plus hours, an integer SQL
// expression, exactly: on PostgreSQL an interval of hours (no time zone's
// clock change moves it); on SQLite, whose times are fixed-width UTC text
// (sqliteTimeLayout), the hours are added to the seconds and the
// microseconds kept as they are, so the text still compares as time.
func (d *dialect) plusHours(col, hours string) string {
	if d.name == EnginePostgres {
		return col + ` + make_interval(hours => ` + hours + `)`
	}
	return `strftime('%Y-%m-%dT%H:%M:%S', substr(` + col + `, 1, 19), '+' || (` + hours + `) || ' hours') || substr(` + col + `, 20)`
}

// quarter is the SQL of time expression x's calendar quarter in UTC, as
// "2026 Q1" (measure.Quarter).
func (d *dialect) quarter(x string) string {
	if d.name == EnginePostgres {
		return `to_char((` + x + `) AT TIME ZONE 'UTC', 'YYYY') || ' Q' || to_char((` + x + `) AT TIME ZONE 'UTC', 'Q')`
	}
	return `substr(` + x + `, 1, 4) || ' Q' || ((CAST(substr(` + x + `, 6, 2) AS INTEGER) + 2) / 3)`
}
