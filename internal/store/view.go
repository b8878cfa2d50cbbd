package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/kapstone/kapstone/internal/auth"
)

// View is one page's look at one patient's record (issue 18: a page view
// is one read transaction and one audit row). While it is open, every read
// the page makes through the store with the View's context runs in the
// View's one read transaction, and each audited read of the record
// (viewAccess: the chart, measures, notes, ...) is checked exactly as on
// its own (authorize in the same transaction, a refusal audited as denied
// and answered ENotFound) but, instead of committing its own audit row,
// names itself in the View. Finish then writes one audit row naming every
// section read, before the page is answered: nothing is shown that was not
// audited. A View is used by one request at a time.
type View struct {
	s         *Store
	actor     Actor
	patientID string
	action    string

	tx      *sql.Tx
	shown   []string
	objects []string // the records read other than the patient's own, as type/id
	// markedRead counts the messages the view's closing write marks read
	// by its reader (a thread opened): the page's own unread counts,
	// read before that write, leave them out.
	markedRead int
	emergency  bool
	after      []func(context.Context, *Tx) error
	done       bool
	readDone   bool                       // the read transaction has ended (endRead)
	allowed    map[auth.Permission]Access // permissions authorize granted in this view
	// rel and relExists are the actor's relation to the patient and whether
	// the patient exists, once relKnown (viewRelation).
	rel       auth.Relation
	relExists bool
	relKnown  bool
	relReads  int // how many times it was read (once: TestViewReadsTheRelationOnce)
}

type viewKey struct{}

// BeginView opens a view of patientID for actor, to be audited as action
// (e.g. chart.read), and returns the context the page's store calls must
// use. Call Finish before showing anything read in it, and Close (deferred)
// in every case.
func (s *Store) BeginView(ctx context.Context, actor Actor, patientID, action string) (context.Context, *View, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d.name == EnginePostgres {
		// One snapshot for the whole page, as SQLite's read transaction is.
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.r.BeginTx(ctx, opts)
	if err != nil {
		return ctx, nil, unavailable(err)
	}
	s.stats.reads.Add(1)
	v := &View{s: s, actor: actor, patientID: patientID, action: action, tx: tx}
	return context.WithValue(ctx, viewKey{}, v), v, nil
}

// Close ends the view if Finish did not: what was read is audited all the
// same (a page that failed halfway read part of the record), so a deferred
// Close leaves no read unaudited. It does nothing after Finish.
func (v *View) Close() error {
	if v == nil || v.done {
		return nil
	}
	return v.Finish(context.Background())
}

// Shown lists the sections read in the view so far (their audit actions
// in words, with what each named in parentheses), in order.
func (v *View) Shown() []string { return append([]string(nil), v.shown...) }

// Finish ends the view's read transaction and, when any section of the
// record was read, writes the view's one audit row (its action, about the
// patient, its detail listing the sections) together with the writes the
// reads asked for (a consult thread marked read), in one write transaction
// that commits durably before Finish returns. A failed commit is an error:
// the page must not show what was read.
func (v *View) Finish(ctx context.Context) error {
	if v == nil {
		return nil
	}
	if v.done {
		return errors.New("store: view finished twice")
	}
	v.done = true
	v.endRead() // read-only: nothing to commit
	if len(v.shown) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx) // what was read is audited even if the client left
	return v.s.write(ctx, func(tx *Tx) error {
		for _, fn := range v.after {
			if err := fn(ctx, tx); err != nil {
				return err
			}
		}
		e := Entry{Action: v.action, PatientID: v.patientID, ObjectType: "patient", ObjectID: v.patientID,
			Detail: "shown: " + strings.Join(v.shown, ", ")}
		if len(v.objects) == 1 {
			// A page about one record (a note, a thread): the row names
			// it, as the record's own read did, so a search of the audit
			// log by the record finds the view.
			e.ObjectType, e.ObjectID, _ = strings.Cut(v.objects[0], "/")
		}
		if v.emergency {
			// Read under an emergency grant: marked even if the grant
			// ended between the read and this row (appendAudit marks it
			// too while the grant is live).
			e.Detail = emergencyMark + "; " + e.Detail
		}
		return v.s.appendAudit(ctx, tx, v.actor, e)
	})
}

// viewOf returns the open view of this store in ctx, or nil.
func (s *Store) viewOf(ctx context.Context) *View {
	v, _ := ctx.Value(viewKey{}).(*View)
	if v == nil || v.done || v.readDone || v.s != s {
		return nil
	}
	return v
}

// viewTx is the open view's read transaction in ctx, or nil.
func (s *Store) viewTx(ctx context.Context) *Tx {
	if v := s.viewOf(ctx); v != nil {
		return &Tx{tx: v.tx, d: s.d, s: s, view: v}
	}
	return nil
}

// viewAccess is patientAccess for a read that changes nothing: inside an
// open view of the same patient by the same actor (BeginView) it runs fn
// in the view's read transaction after the same check (authorize), and
// names action (with the detail fn set) in the view's one audit row
// instead of writing its own; a refusal is audited as denied and answered
// ENotFound as always. Outside a view it is patientAccess.
func (s *Store) viewAccess(ctx context.Context, actor Actor, patientID string, p auth.Permission, action string, fn func(tx *Tx, a Access, e *Entry) error) error {
	v := s.viewOf(ctx)
	if v == nil || v.actor != actor || v.patientID != patientID {
		return s.patientAccess(ctx, actor, patientID, p, action, fn)
	}
	tx := &Tx{tx: v.tx, d: s.d, s: s, view: v}
	err := func() error {
		a, ok := v.allowed[p]
		if !ok {
			// Checked once per permission in the view: its one snapshot
			// gives the same answer to the same question.
			var err error
			if a, err = s.authorize(ctx, tx, actor, patientID, p); err != nil {
				return err
			}
			if v.allowed == nil {
				v.allowed = map[auth.Permission]Access{}
			}
			v.allowed[p] = a
		}
		e := Entry{Action: action}
		if err := fn(tx, a, &e); err != nil {
			return err
		}
		if a.Relation == auth.RelEmergency {
			v.emergency = true
		}
		v.note(e)
		return nil
	}()
	var d errDenied
	if errors.As(err, &d) {
		// The refusal is audited in a write transaction of its own. On
		// PostgreSQL reads and writes share one pool, so the view's read
		// transaction is ended first: a view never holds a connection
		// while it waits for a second one (enough refused views at once
		// would otherwise take the whole pool and wait for ever). The
		// page answers not-found; later reads run on their own.
		v.endRead()
	}
	return s.auditDenied(ctx, actor, patientID, p, action, s.unavailableIf(err))
}

// endViewRead ends the read transaction of the view open in ctx, if any,
// before a refusal is audited in a write transaction of its own: on
// PostgreSQL reads and writes share one pool, and a view never holds a
// connection while it waits for a second one (see viewAccess). The page
// answers the refusal; the view still audits what it read before.
func (s *Store) endViewRead(ctx context.Context) {
	if v := s.viewOf(ctx); v != nil {
		v.endRead()
	}
}

// endRead ends the view's read transaction early (a refused section): the
// view stays open to audit what was read before, but reads no more.
func (v *View) endRead() {
	if !v.readDone {
		v.readDone = true
		v.tx.Rollback()
	}
}

// note adds a section read to the view's list (once for each distinct
// action, record and detail). A section about a record other than the
// patient's own (a note, a thread) names it by type and id.
func (v *View) note(e Entry) {
	// In words (measures read, note list), not the action codes, which
	// the audit log's pages keep to the action column.
	name := strings.ReplaceAll(e.Action, ".", " ")
	var about []string
	if e.ObjectID != "" && e.ObjectID != v.patientID {
		obj := e.ObjectType + "/" + e.ObjectID
		about = append(about, obj)
		if !slices.Contains(v.objects, obj) {
			v.objects = append(v.objects, obj)
		}
	}
	if d := strings.TrimSpace(e.Detail); d != "" {
		about = append(about, d)
	}
	if len(about) > 0 {
		name += " (" + strings.Join(about, "; ") + ")"
	}
	for _, s := range v.shown {
		if s == name {
			return
		}
	}
	v.shown = append(v.shown, name)
}

// afterView runs fn in the view's closing write transaction when tx is a
// view's, else at once in tx: for the small writes a read makes (a thread
// marked read), which a read transaction cannot hold.
func (tx *Tx) afterView(ctx context.Context, fn func(context.Context, *Tx) error) error {
	if tx.view != nil {
		tx.view.after = append(tx.view.after, fn)
		return nil
	}
	return fn(ctx, tx)
}

// txStats counts the transactions a store has begun.
type txStats struct {
	reads, writes atomic.Int64
}

// Transactions returns how many read and write transactions the store has
// begun since it was opened (a view's read transaction counts once).
func (s *Store) Transactions() (reads, writes int64) {
	return s.stats.reads.Load(), s.stats.writes.Load()
}

// BeginOwnView is BeginView for a patient's own record (the portal's
// pages): it opens the view's read transaction, finds the patient record
// of actor's account in it (FindOwnPatient: ENotFound when the account has
// none) and returns it with the view of it, so the page's first read is
// the view's too. The patient record is not a section shown until the
// page reads it through the store (FindPatient, FindMeasures, ...).
func (s *Store) BeginOwnView(ctx context.Context, actor Actor, action string) (context.Context, *View, *Patient, error) {
	vctx, v, err := s.BeginView(ctx, actor, "", action)
	if err != nil {
		return ctx, nil, nil, err
	}
	tx := &Tx{tx: v.tx, d: s.d, s: s, view: v}
	p, err := scanPatient(tx.QueryRow(vctx, `SELECT `+patientColumns+` FROM patients p WHERE p.user_id = $1 AND p.archived_at IS NULL`, actor.UserID))
	if err != nil {
		v.done = true
		v.endRead()
		return ctx, nil, nil, s.unavailableIf(err)
	}
	v.patientID = p.ID
	return vctx, v, p, nil
}

// unreadSeen takes from n, an unread count of actor's read in ctx, the
// messages that the view open in ctx marks read by actor when it closes:
// the thread page's navigation counts the thread it shows as read.
func (s *Store) unreadSeen(ctx context.Context, actor Actor, n int) int {
	if v := s.viewOf(ctx); v != nil && v.actor.UserID == actor.UserID {
		return max(0, n-v.markedRead)
	}
	return n
}
