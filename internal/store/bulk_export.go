package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// FHIR Bulk Data export (issue 19): the export's row in bulk_exports, its
// NDJSON parts in bulk_export_files, and the jobs that fill and sweep them.
// The gathering itself (which resources, through the access policy) is
// package fhir's; the store keeps the request, the progress and the
// files, and says who may read them: the export's owner only.

// Bulk export statuses.
const (
	BulkPending = "pending"
	BulkRunning = "running"
	BulkDone    = "done"
	BulkFailed  = "failed"
)

// Job kinds of the bulk export: the export itself (payload {"export": id}),
// and the sweep that deletes expired exports.
const (
	BulkExportJobKind = "fhir.export"
	BulkSweepJobKind  = "fhir.export.sweep"
)

// BulkExportTTL is how long an export's files are kept after it ends; an
// export that never ends is swept BulkExportTTL after the longest it may
// run (bulkExportMaxRun).
const BulkExportTTL = 24 * time.Hour

// bulkExportMaxRun bounds how long an export may stay unfinished before
// the sweep removes it.
const bulkExportMaxRun = 7 * 24 * time.Hour

// GroupPractice is the Group of every patient of the practice; a care
// team's caseload is GroupTeamPrefix followed by the clinician's user id.
const (
	GroupPractice   = "practice"
	GroupTeamPrefix = "team-"
)

// BulkExport is one export: what was asked, and how far it is.
type BulkExport struct {
	ID, UserID string
	Request    string // the kick-off's URL, as the manifest repeats it
	Base       string // the FHIR base URL at kick-off, for the resources' references
	Group      string // "" for Patient/$export
	Types      []string
	Since      *time.Time
	Deidentify bool
	Status     string
	// TransactionTime is the kick-off's time: the export holds what was
	// recorded up to about then (each patient is read at its turn).
	TransactionTime time.Time
	After           string // the last patient done (ids in order)
	Done, Total     int    // patients done, of the patients to export
	Error           string // why it failed (no PHI)
	CreatedAt       time.Time
	FinishedAt      *time.Time
	ExpiresAt       time.Time
}

// BulkFile is one resource type's file of a finished export.
type BulkFile struct {
	Type  string
	Lines int
}

// BulkPart is one part of a type's NDJSON file: Lines lines in Body.
type BulkPart struct {
	Type  string
	Lines int
	Body  []byte
}

// BulkStatus is an export and, when it is done, its files.
type BulkStatus struct {
	Export BulkExport
	Files  []BulkFile // by type
}

// PatientKey is the dashboard's pseudonym of the patient with id
// (CourseResult's PatientKey): a keyed hash of the id under the audit key.
// It reads nothing.
func (s *Store) PatientKey(id string) string {
	return s.ExportMAC("patient", id)[:12]
}

// ExportMAC is the keyed hash (audit.Key.MAC, hex) of id under label, for
// the pseudonyms of a de-identified export: no one without the key can
// tell whose they are by guessing.
func (s *Store) ExportMAC(label, id string) string {
	return s.key.MAC(label, []byte(id))
}

// bulkGroupScope is the FROM and WHERE of the patients of group (""
// for Patient/$export) that actor may export: for Patient/$export every
// patient actor may list (patientScope: the practice for an
// administrator, the care team's for a clinician); the practice's Group
// for an administrator; a care team's Group for an administrator or the
// clinician themself. Anything else is ENotFound.
func bulkGroupScope(actor Actor, group string) (string, []any, error) {
	switch {
	case group == "":
		return patientScope(actor, PatientFilter{})
	case group == GroupPractice && actor.may(auth.PermDirectory):
		return ` FROM patients p WHERE p.archived_at IS NULL`, nil, nil
	case strings.HasPrefix(group, GroupTeamPrefix):
		uid := strings.TrimPrefix(group, GroupTeamPrefix)
		if actor.may(auth.PermDirectory) || (actor.may(auth.PermCaseload) && uid == actor.UserID) {
			return ` FROM patients p JOIN care_team t ON t.patient_id = p.id
				WHERE t.user_id = $1 AND t.removed_at IS NULL AND p.archived_at IS NULL`, []any{uid}, nil
		}
	}
	return "", nil, clinic.Errorf(clinic.ENotFound, "We could not find that group.")
}

// BulkGroup is a Group the caller may export: its id, name and size.
type BulkGroup struct {
	ID, Name string
	Size     int
}

// FindBulkGroup returns the Group id names, when actor may export it
// (bulkGroupScope): the practice, or a clinician's care team (a staff
// member who is enabled and has a caseload). Audited as a read of the list.
func (s *Store) FindBulkGroup(ctx context.Context, actor Actor, id string) (*BulkGroup, error) {
	scope, args, err := bulkGroupScope(actor, id)
	if err != nil {
		return nil, err
	}
	g := &BulkGroup{ID: id, Name: "Every patient of the practice"}
	err = s.write(ctx, func(tx *Tx) error {
		if uid, ok := strings.CutPrefix(id, GroupTeamPrefix); ok {
			var name, role string
			err := tx.QueryRow(ctx, `SELECT display_name, role FROM users WHERE id = $1 AND disabled_at IS NULL`, uid).Scan(&name, &role)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !auth.CanSome(clinic.Role(role), auth.PermCaseload)) {
				return clinic.Errorf(clinic.ENotFound, "We could not find that group.")
			} else if err != nil {
				return err
			}
			g.Name = "The care team caseload of " + name
		}
		if err := tx.QueryRow(ctx, `SELECT count(*)`+scope, args...).Scan(&g.Size); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "patient.list", ObjectType: "group", ObjectID: id})
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// StartBulkExport records a new export of e's group (and its types,
// since and de-identification) for actor, a member of staff, and enqueues
// its job, audited (fhir.export.start) in the same transaction. A group
// actor may not export is ENotFound; a patient's account is EForbidden.
func (s *Store) StartBulkExport(ctx context.Context, actor Actor, e BulkExport) (*BulkExport, error) {
	if !actor.may(auth.PermCaseload) && !actor.may(auth.PermDirectory) {
		return nil, clinic.Errorf(clinic.EForbidden, "Only staff export patients' records.")
	}
	scope, args, err := bulkGroupScope(actor, e.Group)
	if err != nil {
		return nil, err
	}
	now := s.now()
	e.ID, e.UserID, e.Status = NewID(), actor.UserID, BulkPending
	e.TransactionTime, e.CreatedAt, e.ExpiresAt = now, now, now.Add(bulkExportMaxRun+BulkExportTTL)
	var since any
	if e.Since != nil {
		since = e.Since.UTC()
	}
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*)`+scope, args...).Scan(&e.Total); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO bulk_exports (id, user_id, request, base, group_id, types, since, deidentify, status,
			transaction_time, patients_total, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			e.ID, e.UserID, e.Request, e.Base, e.Group, strings.Join(e.Types, ","), since, e.Deidentify, e.Status,
			e.TransactionTime, e.Total, now, e.ExpiresAt); err != nil {
			return err
		}
		payload, _ := json.Marshal(map[string]string{"export": e.ID})
		if _, err := s.EnqueueIn(ctx, tx, BulkExportJobKind, string(payload), now, "fhir.export:"+e.ID); err != nil {
			return err
		}
		if _, err := s.EnqueueIn(ctx, tx, BulkSweepJobKind, `{}`, e.ExpiresAt, "fhir.export.sweep:"+e.ID); err != nil {
			return err
		}
		detail := "group " + e.Group
		if e.Group == "" {
			detail = "all patients"
		}
		if e.Deidentify {
			detail += ", de-identified"
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "fhir.export.start", ObjectType: "bulk_export", ObjectID: e.ID, Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

const bulkColumns = `id, user_id, request, base, group_id, types, since, deidentify, status, transaction_time, after_patient,
	patients_done, patients_total, error, created_at, finished_at, expires_at`

func scanBulkExport(r scanner) (*BulkExport, error) {
	var e BulkExport
	var types string
	var since, finished nullTime
	err := r.Scan(&e.ID, &e.UserID, &e.Request, &e.Base, &e.Group, &types, &since, &e.Deidentify, &e.Status, &e.TransactionTime,
		&e.After, &e.Done, &e.Total, &e.Error, &e.CreatedAt, &finished, &e.ExpiresAt)
	if err != nil {
		return nil, err
	}
	if types != "" {
		e.Types = strings.Split(types, ",")
	}
	e.Since, e.FinishedAt = since.ptr(), finished.ptr()
	e.TransactionTime, e.CreatedAt, e.ExpiresAt = e.TransactionTime.UTC(), e.CreatedAt.UTC(), e.ExpiresAt.UTC()
	return &e, nil
}

var errBulkNotFound = clinic.Errorf(clinic.ENotFound, "We could not find that export.")

// BulkExportStatus returns actor's export id with its files (when done).
// Another user's export, an expired one or one deleted is ENotFound.
func (s *Store) BulkExportStatus(ctx context.Context, actor Actor, id string) (*BulkStatus, error) {
	var out BulkStatus
	err := s.read(ctx, func(tx *Tx) error {
		e, err := scanBulkExport(tx.QueryRow(ctx, `SELECT `+bulkColumns+` FROM bulk_exports WHERE id = $1 AND user_id = $2 AND expires_at > $3`,
			id, actor.UserID, s.now()))
		if errors.Is(err, sql.ErrNoRows) {
			return errBulkNotFound
		} else if err != nil {
			return err
		}
		out.Export = *e
		if e.Status != BulkDone {
			return nil
		}
		out.Files, err = queryAll(ctx, tx, func(r scanner) (BulkFile, error) {
			var f BulkFile
			return f, r.Scan(&f.Type, &f.Lines)
		}, `SELECT type, sum(lines) FROM bulk_export_files WHERE export_id = $1 GROUP BY type ORDER BY type`, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteBulkExport deletes actor's export id and its files (a running
// export's job stops at its next part), audited (fhir.export.delete).
func (s *Store) DeleteBulkExport(ctx context.Context, actor Actor, id string) error {
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM bulk_exports WHERE id = $1 AND user_id = $2 AND expires_at > $3`, id, actor.UserID, s.now())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errBulkNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM bulk_export_files WHERE export_id = $1`, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "fhir.export.delete", ObjectType: "bulk_export", ObjectID: id})
	})
}

// ReadBulkExportFile hands each part of the file of typ of actor's
// finished export id to each, in order, after auditing the download
// (fhir.export.download; the rows go to the client as they are read). An
// export not actor's, not done, expired, or without that type is
// ENotFound. It reads one part at a time.
func (s *Store) ReadBulkExportFile(ctx context.Context, actor Actor, id, typ string, each func([]byte) error) error {
	err := s.write(ctx, func(tx *Tx) error {
		var n int
		err := tx.QueryRow(ctx, `SELECT count(*) FROM bulk_exports x JOIN bulk_export_files f ON f.export_id = x.id
			WHERE x.id = $1 AND x.user_id = $2 AND x.status = $3 AND x.expires_at > $4 AND f.type = $5`,
			id, actor.UserID, BulkDone, s.now(), typ).Scan(&n)
		if err != nil {
			return err
		}
		if n == 0 {
			return errBulkNotFound
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "fhir.export.download", ObjectType: "bulk_export", ObjectID: id, Detail: typ})
	})
	if err != nil {
		return err
	}
	for part := 0; ; {
		var body []byte
		err := s.read(ctx, func(tx *Tx) error {
			return tx.QueryRow(ctx, `SELECT part, body FROM bulk_export_files WHERE export_id = $1 AND type = $2 AND part > $3 ORDER BY part LIMIT 1`,
				id, typ, part).Scan(&part, &body)
		})
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := each(body); err != nil {
			return err
		}
	}
}

// BulkExportByID is the export id for its job (no actor: the job acts as
// the export's owner through the policy when it reads the record). A
// deleted export is ENotFound.
func (s *Store) BulkExportByID(ctx context.Context, id string) (*BulkExport, error) {
	var e *BulkExport
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		e, err = scanBulkExport(tx.QueryRow(ctx, `SELECT `+bulkColumns+` FROM bulk_exports WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errBulkNotFound
		}
		return err
	})
	return e, err
}

// BulkExportPatients returns the ids of the next patients of e (its group,
// as actor may export it: bulkGroupScope) after the id after, in id order,
// at most limit of them.
func (s *Store) BulkExportPatients(ctx context.Context, actor Actor, e *BulkExport, after string, limit int) ([]string, error) {
	scope, args, err := bulkGroupScope(actor, e.Group)
	if err != nil {
		return nil, err
	}
	var ids []string
	err = s.read(ctx, func(tx *Tx) error {
		a := append(args, after)
		ids, err = queryAll(ctx, tx, func(r scanner) (string, error) {
			var id string
			return id, r.Scan(&id)
		}, `SELECT p.id`+scope+` AND p.id > $`+strconv.Itoa(len(a))+` ORDER BY p.id LIMIT `+strconv.Itoa(max(limit, 1)), a...)
		return err
	})
	return ids, err
}

// ErrBulkExportGone is SaveBulkExportPart's answer when the export is no
// longer the job's to write: deleted, finished, or moved on by another
// worker (its cursor is not the one the job started from).
var ErrBulkExportGone = errors.New("store: the bulk export was deleted, finished, or moved on by another worker")

// SaveBulkExportPart records a step of export id's job in one
// transaction: the parts (each appended to its type's file), the new
// cursor after and the count of patients done, and, when final, the end
// (status done, or failed with errMsg when it is not empty; the files then
// expire BulkExportTTL later, when a sweep job is due). It writes only if
// the export is still pending or running from the cursor from, so a job
// that lost its lease, or an export deleted meanwhile, writes nothing
// (ErrBulkExportGone).
func (s *Store) SaveBulkExportPart(ctx context.Context, id, from, after string, done int, parts []BulkPart, final bool, errMsg string) error {
	return s.write(ctx, func(tx *Tx) error {
		now := s.now()
		status, expires, finished := BulkRunning, now.Add(bulkExportMaxRun+BulkExportTTL), any(nil)
		if final {
			status, expires, finished = BulkDone, now.Add(BulkExportTTL), now
			if errMsg != "" {
				status = BulkFailed
			}
		}
		res, err := tx.Exec(ctx, `UPDATE bulk_exports SET status = $1, after_patient = $2, patients_done = $3, error = $4, finished_at = $5, expires_at = $6
			WHERE id = $7 AND status IN ('pending', 'running') AND after_patient = $8`,
			status, after, done, RedactAddresses(errMsg), finished, expires, id, from)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrBulkExportGone
		}
		for _, p := range parts {
			if p.Lines == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO bulk_export_files (export_id, type, part, lines, body)
				SELECT $1, $2, coalesce(max(part), 0) + 1, $3, $4 FROM bulk_export_files WHERE export_id = $1 AND type = $2`,
				id, p.Type, p.Lines, p.Body); err != nil {
				return err
			}
		}
		if final {
			_, err := s.EnqueueIn(ctx, tx, BulkSweepJobKind, `{}`, expires, "fhir.export.sweep.done:"+id)
			return err
		}
		return nil
	})
}

// SweepBulkExports deletes up to limit expired exports with their files,
// and returns how many it deleted.
func (s *Store) SweepBulkExports(ctx context.Context, limit int) (int, error) {
	var n int
	err := s.write(ctx, func(tx *Tx) error {
		ids, err := queryAll(ctx, tx, func(r scanner) (string, error) {
			var id string
			return id, r.Scan(&id)
		}, `SELECT id FROM bulk_exports WHERE expires_at <= $1 ORDER BY expires_at LIMIT `+strconv.Itoa(max(limit, 1)), s.now())
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.Exec(ctx, `DELETE FROM bulk_export_files WHERE export_id = $1`, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM bulk_exports WHERE id = $1`, id); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}
