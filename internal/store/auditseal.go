package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kapstone/kapstone/internal/audit"
)

// How audit rows are written depends on the engine (TWO-INSTANCES.md):
//
//   - SQLite has one writer: appendAudit chains each row onto the head inline.
//   - PostgreSQL: appendAudit appends the row unchained to audit_pending,
//     signed over its fields and id (audit.Key.SignPending), with no lock
//     and no read of the head, so audited transactions of every instance
//     run and commit side by side. A sealer (SealAudit; one at a time, any
//     instance) chains pending rows in id order into audit_events.
//
// Readers that count recent rows read both tables (dialect.auditFrom);
// Checkpoint, VerifyAudit and FindAudit seal first.

// auditSealLock is the advisory lock the sealer holds (it was the chain's
// one lock before pending rows; an older instance that still appends inline
// takes it too, so the two never chain at once).
const auditSealLock = 7041990214

// auditSealBatch is how many pending rows one statement of the sealer chains.
const auditSealBatch = 500

// SealsAudit reports whether the store appends audit rows pending and so
// needs SealAudit called (PostgreSQL); on SQLite rows are chained inline.
func (s *Store) SealsAudit() bool { return s.d.name == EnginePostgres }

// pendingAudit reports whether audit rows are appended pending: on
// PostgreSQL once audit_pending exists (migration 0042; before it, as on
// SQLite, rows are chained inline under the lock). Asked in tx, so no
// second connection is needed; a yes is remembered.
func (s *Store) pendingAudit(ctx context.Context, tx *Tx) bool {
	if s.d.name != EnginePostgres {
		return false
	}
	if s.auditPending.Load() {
		return true
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('audit_pending') IS NOT NULL`).Scan(&ok); err != nil {
		// The transaction has failed anyway; its next statement says why.
		return false
	}
	if ok {
		s.auditPending.Store(true)
	}
	return ok
}

// appendPending is appendAudit's PostgreSQL half: ev (not yet chained) goes
// to audit_pending inside tx, signed with its id.
func (s *Store) appendPending(ctx context.Context, tx *Tx, ev *audit.Event) error {
	var id int64
	if err := tx.QueryRow(ctx, `SELECT nextval('audit_pending_id_seq')`).Scan(&id); err != nil {
		return fmt.Errorf("audit: pending id: %w", err)
	}
	sig := s.key.SignPending(id, ev)
	_, err := tx.Exec(ctx, `INSERT INTO audit_pending (id, at, actor_id, actor_role, action, outcome, patient_id, object_type, object_id, client_addr, request_id, detail, sig)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		id, ev.At, ev.ActorID, ev.ActorRole, ev.Action, ev.Outcome, ev.PatientID, ev.ObjectType, ev.ObjectID, ev.ClientAddr, ev.RequestID, ev.Detail, sig)
	if err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	return nil
}

// SealResult is what one SealAudit did.
type SealResult struct {
	Sealed int     // pending rows chained into audit_events
	Busy   bool    // another sealer held the lock: nothing was done
	Held   []int64 // ids of pending rows left pending: their signature does not verify (edited)
}

// SealAudit chains the committed pending audit rows, in id order, onto the
// log's head and removes them from audit_pending, in one transaction. Only
// one sealer runs at a time (an advisory lock any instance may take): when
// another holds it, SealAudit returns at once with Busy set. A pending row
// whose signature does not verify is never chained: it is left in
// audit_pending, where VerifyAudit reports it, and named in Held. A row
// still being written by an open transaction is not visible yet and is
// sealed by a later call. On SQLite it does nothing.
func (s *Store) SealAudit(ctx context.Context) (SealResult, error) {
	return s.sealAudit(ctx, false)
}

// SealAuditWait is SealAudit that waits for another sealer to finish
// instead of returning Busy: for a reader (or a test) that must find every
// row committed before it in the chain.
func (s *Store) SealAuditWait(ctx context.Context) (SealResult, error) {
	return s.sealAudit(ctx, true)
}

// sealAudit is SealAudit; with wait, it waits for the lock instead of
// returning Busy (readers that must see their own rows sealed).
func (s *Store) sealAudit(ctx context.Context, wait bool) (SealResult, error) {
	var res SealResult
	if !s.SealsAudit() {
		return res, nil
	}
	if s.key == nil {
		return res, errors.New("audit: no signing key")
	}
	err := s.write(ctx, func(tx *Tx) error {
		res = SealResult{}
		if !s.pendingAudit(ctx, tx) {
			return nil
		}
		got, err := s.lockSeal(ctx, tx, wait)
		if err != nil || !got {
			res.Busy = !got
			return err
		}
		res.Sealed, res.Held, err = s.sealIn(ctx, tx)
		return err
	})
	return res, err
}

// lockSeal takes the sealer's lock in tx (waiting for it when wait, else
// reporting false if another holds it) and marks tx as the sealer's, whom
// audit_pending's trigger lets delete rows.
func (s *Store) lockSeal(ctx context.Context, tx *Tx, wait bool) (bool, error) {
	q := `SELECT pg_try_advisory_xact_lock($1), set_config('kapstone.sealing', 'on', true)`
	if wait {
		q = `SELECT true, set_config('kapstone.sealing', 'on', true) FROM (SELECT pg_advisory_xact_lock($1)) l`
	}
	var got bool
	var flag string
	if err := tx.QueryRow(ctx, q, int64(auditSealLock)).Scan(&got, &flag); err != nil {
		return false, fmt.Errorf("audit: seal lock: %w", err)
	}
	return got || wait, nil
}

// sealIn chains every pending row visible to tx (whose sealer lock it
// holds) and returns how many it sealed and the ids of those it held back.
func (s *Store) sealIn(ctx context.Context, tx *Tx) (int, []int64, error) {
	seq, head := int64(0), audit.GenesisHash
	err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&seq, &head)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, fmt.Errorf("audit: read head: %w", err)
	}
	pub := s.key.Public()
	sealed, after := 0, int64(0)
	var held []int64
	for {
		type pending struct {
			id  int64
			ev  audit.Event
			sig string
		}
		// SKIP LOCKED: a row someone holds (an edit in progress) is
		// passed over now and sealed, or held, on a later pass.
		rows, err := queryAll(ctx, tx, func(r scanner) (pending, error) {
			var p pending
			err := r.Scan(&p.id, &p.ev.At, &p.ev.ActorID, &p.ev.ActorRole, &p.ev.Action, &p.ev.Outcome, &p.ev.PatientID, &p.ev.ObjectType, &p.ev.ObjectID, &p.ev.ClientAddr, &p.ev.RequestID, &p.ev.Detail, &p.sig)
			p.ev.At = p.ev.At.UTC()
			return p, err
		}, fmt.Sprintf(`SELECT id, at, actor_id, actor_role, action, outcome, patient_id, object_type, object_id, client_addr, request_id, detail, sig
			FROM audit_pending WHERE id > $1 ORDER BY id LIMIT %d FOR UPDATE SKIP LOCKED`, auditSealBatch), after)
		if err != nil {
			return sealed, held, fmt.Errorf("audit: read pending: %w", err)
		}
		if len(rows) == 0 {
			return sealed, held, nil
		}
		var (
			ids                                                                   []int64
			seqs                                                                  []int64
			ats                                                                   []time.Time
			actors, roles, actions, outcomes, patients, otypes, oids, addrs, reqs []string
			details, prevs, hashes, sigs                                          []string
		)
		for _, p := range rows {
			after = p.id
			if !audit.VerifyPending(pub, p.id, &p.ev, p.sig) {
				held = append(held, p.id)
				continue
			}
			ev := p.ev
			seq++
			ev.Seq = seq
			s.key.Seal(head, &ev)
			head = ev.Hash
			ids, seqs, ats = append(ids, p.id), append(seqs, ev.Seq), append(ats, ev.At)
			actors, roles, actions, outcomes = append(actors, ev.ActorID), append(roles, ev.ActorRole), append(actions, ev.Action), append(outcomes, ev.Outcome)
			patients, otypes, oids, addrs, reqs = append(patients, ev.PatientID), append(otypes, ev.ObjectType), append(oids, ev.ObjectID), append(addrs, ev.ClientAddr), append(reqs, ev.RequestID)
			details, prevs, hashes, sigs = append(details, ev.Detail), append(prevs, ev.PrevHash), append(hashes, ev.Hash), append(sigs, ev.Sig)
		}
		if len(ids) > 0 {
			_, err = tx.Exec(ctx, `INSERT INTO audit_events (seq, at, actor_id, actor_role, action, outcome, patient_id, object_type, object_id, client_addr, request_id, detail, prev_hash, hash, sig)
				SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])`,
				seqs, ats, actors, roles, actions, outcomes, patients, otypes, oids, addrs, reqs, details, prevs, hashes, sigs)
			if err != nil {
				return sealed, held, fmt.Errorf("audit: seal: %w", err)
			}
			if _, err := tx.Exec(ctx, `DELETE FROM audit_pending WHERE id = ANY($1::bigint[])`, ids); err != nil {
				return sealed, held, fmt.Errorf("audit: seal: remove pending: %w", err)
			}
			sealed += len(ids)
		}
		if len(rows) < auditSealBatch {
			return sealed, held, nil
		}
	}
}

// verifyPending checks the signature of every pending row (PostgreSQL)
// and returns how many there are and the first whose signature fails.
func (s *Store) verifyPending(ctx context.Context) (int64, *audit.Problem, error) {
	if !s.SealsAudit() {
		return 0, nil, nil
	}
	pub := s.key.Public()
	var n int64
	var problem *audit.Problem
	err := s.read(ctx, func(tx *Tx) error {
		if !s.pendingAudit(ctx, tx) {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT id, at, actor_id, actor_role, action, outcome, patient_id, object_type, object_id, client_addr, request_id, detail, sig FROM audit_pending ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var e audit.Event
			var sig string
			if err := rows.Scan(&id, &e.At, &e.ActorID, &e.ActorRole, &e.Action, &e.Outcome, &e.PatientID, &e.ObjectType, &e.ObjectID, &e.ClientAddr, &e.RequestID, &e.Detail, &sig); err != nil {
				return err
			}
			n++
			if problem == nil && !audit.VerifyPending(pub, id, &e, sig) {
				problem = &audit.Problem{Reason: fmt.Sprintf("pending row %d (not yet chained): signature does not verify (edited)", id)}
			}
		}
		return rows.Err()
	})
	return n, problem, err
}
