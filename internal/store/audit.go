package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/seal"
)

// Actor is who is acting: the access policy decides with it and the audit
// log records it. A zero Actor is the system (migrations, jobs, the CLI).
type Actor struct {
	UserID    string
	Role      clinic.Role
	Addr      string // client IP address
	RequestID string
}

// System is the actor for work no person asked for in a request. Its role,
// auth.RoleSystem, is allowed what the policy allows it (auth.Can).
var System = Actor{Role: auth.RoleSystem}

// may reports whether the policy (auth.Can) allows actor the practice-wide
// permission p, which the relation does not decide.
func (actor Actor) may(p auth.Permission) bool { return auth.Can(actor.Role, auth.RelNone, p) }

// ownRelation is how actor stands to a thing whose owner (author, profile
// holder) is ownerID: auth.RelSelf for their own, auth.RelNone otherwise.
func ownRelation(actor Actor, ownerID string) auth.Relation {
	if actor.UserID != "" && actor.UserID == ownerID {
		return auth.RelSelf
	}
	return auth.RelNone
}

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeDenied  = "denied"
)

// Entry is what happened, for one audit row: ids and codes only, never PHI.
type Entry struct {
	Action     string
	Outcome    string
	PatientID  string
	ObjectType string
	ObjectID   string
	Detail     string
	// Emergency marks an access made through emergency access. The audit
	// writer (appendAudit) sets it itself for every row about a patient
	// whose actor stands to them by a live emergency grant, and the row's
	// detail then starts with "emergency", whatever Detail or Emergency a
	// caller set: no caller can leave the mark out or erase it.
	Emergency bool
}

// emergencyMark starts the detail of an audit row for an emergency access.
const emergencyMark = "emergency"

// auditDetail is the detail stored for e: e.Detail, after the emergency
// mark when e.Emergency ("emergency", or "emergency; <detail>").
func auditDetail(e Entry) string {
	if !e.Emergency || e.Detail == emergencyMark || strings.HasPrefix(e.Detail, emergencyMark+"; ") {
		return e.Detail
	}
	if e.Detail == "" {
		return emergencyMark
	}
	return emergencyMark + "; " + e.Detail
}

// isEmergencyDetail reports whether a stored audit detail carries the
// emergency mark (auditDetail).
func isEmergencyDetail(d string) bool {
	return d == emergencyMark || strings.HasPrefix(d, emergencyMark+"; ")
}

// SetAuditKey gives the store the key that signs audit rows. Every store
// must have one before its first audited write.
func (s *Store) SetAuditKey(k *audit.Key) { s.key = k }

// SetKeyring gives the store the data keys that seal psychotherapy notes
// and TOTP secrets at rest (package seal). Without them those writes fail.
func (s *Store) SetKeyring(k *seal.Keyring) { s.keys = k }

// Keyring returns the store's data keys (nil if none were set).
func (s *Store) Keyring() *seal.Keyring { return s.keys }

// AuditKey returns the key that signs audit rows.
func (s *Store) AuditKey() *audit.Key { return s.key }

// appendAudit adds e as the next audit row inside tx, so the row commits or
// rolls back with the change it records. On SQLite (one writer) it is
// chained onto the log's head at once; on PostgreSQL it is appended pending,
// with no lock, and chained by the sealer (auditseal.go).
func (s *Store) appendAudit(ctx context.Context, tx *Tx, a Actor, e Entry) error {
	if s.key == nil {
		return errors.New("audit: no signing key")
	}
	// The emergency mark is the writer's to set, from the data, for every
	// row about a patient: success or refusal, read or write, whichever
	// store function or handler made the entry.
	if e.PatientID != "" && a.UserID != "" {
		rel, err := s.relation(ctx, tx, a, e.PatientID)
		if err != nil {
			return fmt.Errorf("audit: relation: %w", err)
		}
		e.Emergency = rel == auth.RelEmergency
	}
	if e.Outcome == "" {
		e.Outcome = OutcomeSuccess
	}
	ev := audit.Event{
		At:      s.now(),
		ActorID: a.UserID, ActorRole: string(a.Role),
		Action: e.Action, Outcome: e.Outcome, PatientID: e.PatientID,
		ObjectType: e.ObjectType, ObjectID: e.ObjectID,
		ClientAddr: a.Addr, RequestID: a.RequestID, Detail: auditDetail(e),
	}
	if s.pendingAudit(ctx, tx) {
		// PostgreSQL: unchained, no lock (auditseal.go).
		if err := s.appendPending(ctx, tx, &ev); err != nil {
			return err
		}
		tx.audits++
		return nil
	}
	// SQLite: one writer at a time already holds the head. (PostgreSQL
	// before migration 0042: the lock.)
	if err := s.d.lockAudit(ctx, tx.tx); err != nil {
		return fmt.Errorf("audit: lock: %w", err)
	}
	prevSeq, prevHash := int64(0), audit.GenesisHash
	err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&prevSeq, &prevHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit: read head: %w", err)
	}
	ev.Seq = prevSeq + 1
	s.key.Seal(prevHash, &ev)
	_, err = tx.Exec(ctx, `INSERT INTO audit_events (seq, at, actor_id, actor_role, action, outcome, patient_id, object_type, object_id, client_addr, request_id, detail, prev_hash, hash, sig)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		ev.Seq, ev.At, ev.ActorID, ev.ActorRole, ev.Action, ev.Outcome, ev.PatientID, ev.ObjectType, ev.ObjectID, ev.ClientAddr, ev.RequestID, ev.Detail, ev.PrevHash, ev.Hash, ev.Sig)
	if err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	tx.audits++
	return nil
}

// Audit records one event in its own transaction: for events that change
// nothing else, such as a refused sign-in or a denied page.
func (s *Store) Audit(ctx context.Context, a Actor, e Entry) error {
	return s.write(ctx, func(tx *Tx) error { return s.appendAudit(ctx, tx, a, e) })
}

// CountAudit counts rows with action at or after since whose object id is
// objectID (when not empty) and whose client address is addr (when not
// empty). Rate limits are counted from the audit log, so every instance
// sees the same numbers; rows not yet sealed count (dialect.auditFrom), so a
// failed sign-in counts the moment it commits.
func (s *Store) CountAudit(ctx context.Context, action, objectID, addr string, since time.Time) (int, time.Time, error) {
	var n int
	var oldest time.Time
	err := s.read(ctx, func(tx *Tx) error {
		where := ` FROM ` + s.d.auditFrom(s.pendingAudit(ctx, tx)) + ` WHERE action = $1 AND at >= $2`
		args := []any{action, since}
		if objectID != "" {
			args = append(args, objectID)
			where += fmt.Sprintf(` AND object_id = $%d`, len(args))
		}
		if addr != "" {
			args = append(args, addr)
			where += fmt.Sprintf(` AND client_addr = $%d`, len(args))
		}
		if err := tx.QueryRow(ctx, `SELECT count(*)`+where, args...).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		// A plain column (not min()), so both drivers scan it as a time.
		return tx.QueryRow(ctx, `SELECT at`+where+` ORDER BY at LIMIT 1`, args...).Scan(&oldest)
	})
	return n, oldest.UTC(), err
}

// SignedInFrom reports whether the user fully signed in from addr since
// the given time (a login.success row from that address, sealed or not).
// An empty userID matches nothing.
func (s *Store) SignedInFrom(ctx context.Context, userID, addr string, since time.Time) (bool, error) {
	if userID == "" {
		userID = "-"
	}
	var n int
	err := s.read(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM `+s.d.auditFrom(s.pendingAudit(ctx, tx))+` WHERE action = 'login.success' AND object_id = $1 AND client_addr = $2 AND at >= $3`, userID, addr, since).Scan(&n)
	})
	return n > 0, err
}

// AuditFilter selects audit rows for the viewer. Sort is one of the keys of
// auditSorts; anything else is refused.
type AuditFilter struct {
	PatientID string
	ActorID   string
	Action    string // exact, or a prefix ending in "." (e.g. "login.")
	From, To  time.Time
	Sort      string
	Offset    int
	Limit     int
	// After and Before page by key (the log grows by the thousand a day,
	// so a deep page must cost what the first does): After reads the rows
	// that follow the row with seq After in Sort's order, Before the rows
	// that come before the row with seq Before (still in Sort's order).
	// Either one overrides Offset.
	After, Before int64
}

// detail is f as an audit row's detail: the filter's ids, action, dates,
// sort and page.
func (f AuditFilter) detail() string {
	var b strings.Builder
	add := func(k, v string) {
		if v != "" {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(k + "=" + v)
		}
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	add("patient", f.PatientID)
	add("actor", f.ActorID)
	add("action", f.Action)
	add("from", day(f.From))
	add("to", day(f.To))
	add("sort", f.Sort)
	add("offset", strconv.Itoa(f.Offset))
	if f.After > 0 {
		add("after", strconv.FormatInt(f.After, 10))
	}
	if f.Before > 0 {
		add("before", strconv.FormatInt(f.Before, 10))
	}
	return b.String()
}

var auditSorts = map[string]string{
	"newest": "seq DESC",
	"oldest": "seq ASC",
}

// AuditSorts lists the sort keys FindAudit accepts.
func AuditSorts() []string { return []string{"newest", "oldest"} }

// FindAudit returns audit rows matching f and whether more follow (with
// f.Before: whether more come before), if
// actor may read the audit log (auth.PermAuditLog: administrators); anyone
// else is ENotFound. An unknown sort key is EInvalid: sort keys come from an
// allow-list, never from SQL text. The look is itself audited, in the same
// transaction, as audit.read with the filter (ids, action, dates, sort and
// page; no patient information).
func (s *Store) FindAudit(ctx context.Context, actor Actor, f AuditFilter) ([]audit.Event, bool, error) {
	if !actor.may(auth.PermAuditLog) {
		return nil, false, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	order, ok := auditSorts[f.Sort]
	if f.Sort == "" {
		order, ok = auditSorts["newest"], true
	}
	if !ok {
		return nil, false, &clinic.Error{Code: clinic.EInvalid, Message: "Choose newest or oldest first.", Fields: map[string]string{"sort": "Choose newest or oldest first."}}
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.PatientID != "" {
		add("patient_id = $%d", f.PatientID)
	}
	if f.ActorID != "" {
		add("actor_id = $%d", f.ActorID)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			// A prefix as a range, so the index serves it: "login." <= action < "login/".
			add("action >= $%d", f.Action)
			add("action < $%d", f.Action[:len(f.Action)-1]+"/")
		} else {
			add("action = $%d", f.Action)
		}
	}
	if !f.From.IsZero() {
		add("at >= $%d", f.From)
	}
	if !f.To.IsZero() {
		add("at < $%d", f.To)
	}
	backward := false
	if f.After > 0 || f.Before > 0 {
		newest := order == auditSorts["newest"]
		switch {
		case f.After > 0 && newest:
			add("seq < $%d", f.After)
		case f.After > 0:
			add("seq > $%d", f.After)
		case newest:
			add("seq > $%d", f.Before)
			order, backward = auditSorts["oldest"], true
		default:
			add("seq < $%d", f.Before)
			order, backward = auditSorts["newest"], true
		}
		f.Offset = 0
	}
	q := `SELECT seq, at, actor_id, actor_role, action, outcome, patient_id, object_type, object_id, client_addr, request_id, detail, prev_hash, hash, sig FROM audit_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY %s LIMIT %d OFFSET %d", order, f.Limit+1, f.Offset)
	// Rows carry their seq once sealed: seal what has committed, so the
	// viewer shows every row up to now (the caller's own among them).
	if _, err := s.sealAudit(ctx, true); err != nil {
		return nil, false, err
	}
	var out []audit.Event
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		if out, err = queryAll(ctx, tx, scanAudit, q, args...); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "audit.read", ObjectType: "audit", Detail: f.detail()})
	})
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	if backward {
		slices.Reverse(out)
	}
	return out, more, err
}

func scanAudit(rows scanner) (audit.Event, error) {
	var e audit.Event
	err := rows.Scan(&e.Seq, &e.At, &e.ActorID, &e.ActorRole, &e.Action, &e.Outcome, &e.PatientID, &e.ObjectType, &e.ObjectID, &e.ClientAddr, &e.RequestID, &e.Detail, &e.PrevHash, &e.Hash, &e.Sig)
	e.At = e.At.UTC()
	return e, err
}

// VerifyAudit reads the whole audit log in order and checks its chain,
// signatures and checkpoints. extra are checkpoints kept outside the
// database (the data directory's checkpoint file). It returns the first
// problem, or nil when the log is intact, and the number of rows read.
func (s *Store) VerifyAudit(ctx context.Context, extra []audit.Checkpoint) (*audit.Problem, int64, error) {
	p, n, _, err := s.VerifyAuditWitness(ctx, extra, nil)
	return p, n, err
}

// VerifyAuditWitness is VerifyAudit that also holds the log to witnessed,
// checkpoints read from a copy kept off the machine (audit.ScanWitness): it
// returns the first problem (a witnessed checkpoint the log no longer
// reaches, or disagrees with, is one), the number of rows read, and what
// was found about the witness copy (its forged lines among them).
//
// On PostgreSQL it first seals the pending rows that have committed
// (SealAudit), then checks the signature of every row still pending (one
// whose signature fails is never sealed, and is reported here), and then
// the chain; pending rows are read before the chain, so a row sealed
// meanwhile is checked at least once.
func (s *Store) VerifyAuditWitness(ctx context.Context, extra []audit.Checkpoint, witnessed []audit.Witnessed) (*audit.Problem, int64, audit.WitnessResult, error) {
	if _, err := s.sealAudit(ctx, true); err != nil {
		return nil, 0, audit.WitnessResult{}, err
	}
	return s.verifyAudit(ctx, extra, witnessed)
}

// VerifyAuditAsStored is VerifyAudit that changes nothing: it does not seal
// first, so rows still pending are checked by their own signatures only (a
// restore verifies the database exactly as the backup holds it).
func (s *Store) VerifyAuditAsStored(ctx context.Context, extra []audit.Checkpoint) (*audit.Problem, int64, error) {
	p, n, _, err := s.verifyAudit(ctx, extra, nil)
	return p, n, err
}

func (s *Store) verifyAudit(ctx context.Context, extra []audit.Checkpoint, witnessed []audit.Witnessed) (*audit.Problem, int64, audit.WitnessResult, error) {
	_, pendingProblem, err := s.verifyPending(ctx)
	if err != nil {
		return nil, 0, audit.WitnessResult{}, err
	}
	var cps []audit.Checkpoint
	err = s.read(ctx, func(tx *Tx) error {
		var err error
		cps, err = queryAll(ctx, tx, func(row scanner) (audit.Checkpoint, error) {
			var c audit.Checkpoint
			err := row.Scan(&c.Size, &c.Head, &c.At, &c.KeyID, &c.Sig)
			c.At = c.At.UTC()
			return c, err
		}, `SELECT size, head, at, key_id, sig FROM audit_checkpoints ORDER BY size`)
		return err
	})
	if err != nil {
		return nil, 0, audit.WitnessResult{}, err
	}
	cps = append(cps, extra...)
	v := audit.NewVerifier(s.key.Public(), cps)
	v.Witness(witnessed)
	var problem *audit.Problem
	err = s.read(ctx, func(tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT seq, at, actor_id, actor_role, action, outcome, patient_id, object_type, object_id, client_addr, request_id, detail, prev_hash, hash, sig FROM audit_events ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				return err
			}
			if p := v.Add(e); p != nil && problem == nil {
				problem = p
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, audit.WitnessResult{}, err
	}
	if problem == nil {
		problem = v.Finish()
	}
	if problem == nil {
		problem = pendingProblem
	}
	return problem, v.Count(), v.WitnessResult(), nil
}

// Checkpoint signs the current head of the audit log, stores the
// checkpoint, queues its sending to the configured audit witnesses, and
// returns it. It returns the last checkpoint unchanged when no row was added
// since. On PostgreSQL it holds the sealer's lock and seals the pending rows
// first, so a checkpoint covers every row committed before it.
func (s *Store) Checkpoint(ctx context.Context) (audit.Checkpoint, error) {
	var cp audit.Checkpoint
	err := s.write(ctx, func(tx *Tx) error {
		if s.pendingAudit(ctx, tx) {
			if _, err := s.lockSeal(ctx, tx, true); err != nil {
				return err
			}
			if _, _, err := s.sealIn(ctx, tx); err != nil {
				return err
			}
		} else if err := s.d.lockAudit(ctx, tx.tx); err != nil {
			return err
		}
		var size int64
		var head string
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&size, &head)
		if errors.Is(err, sql.ErrNoRows) {
			size, head = 0, audit.GenesisHash
		} else if err != nil {
			return err
		}
		var last int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(size), -1) FROM audit_checkpoints`).Scan(&last); err != nil {
			return err
		}
		cp = s.key.SignCheckpoint(size, head, s.now())
		if last == size {
			return tx.QueryRow(ctx, `SELECT size, head, at, key_id, sig FROM audit_checkpoints WHERE size = $1`, size).Scan(&cp.Size, &cp.Head, &cp.At, &cp.KeyID, &cp.Sig)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_checkpoints (size, head, at, key_id, sig) VALUES ($1, $2, $3, $4, $5)`, cp.Size, cp.Head, cp.At, cp.KeyID, cp.Sig); err != nil {
			return err
		}
		// The audit witness sends it off the machine (in the same
		// transaction: a stored checkpoint is always queued).
		return s.enqueueWitnessIn(ctx, tx, cp.At)
	})
	cp.At = cp.At.UTC()
	return cp, err
}
