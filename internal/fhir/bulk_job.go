package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// BulkTypes are the resource types a bulk export writes, in the order of
// its manifest: a patient's record as Everything gathers it, and the staff
// as Practitioners and PractitionerRoles.
var BulkTypes = []string{
	"Patient", "CareTeam", "Practitioner", "PractitionerRole", "QuestionnaireResponse", "Observation", "Provenance",
	"Appointment", "Encounter", "MedicationStatement", "Flag", "Consent", "CarePlan", "DocumentReference",
}

// sinceFields is what _since compares, per type: the first of these
// fields the resource has (its JSON path), the time its record was last
// written or, for a record written once and not changed afterwards, when
// it was made. A resource of a type not listed here (Patient, CareTeam,
// Practitioner, PractitionerRole, CarePlan, Flag: rows whose changes
// kapstone does not time) is always exported, so that _since never leaves
// out a change: a client gets more than changed, never less.
//
//   - Appointment: meta.lastUpdated (the appointment row's changed_at).
//   - QuestionnaireResponse: authored (a check-in is completed once).
//   - Observation: issued (a score, when its check-in was completed), or
//     effectiveDateTime (a vital sign, recorded once at that time).
//   - Provenance: recorded.
//   - Encounter: period.start (a dosing session: its vitals are written
//     during it; a session edited days later may be missed).
//   - MedicationStatement: dateAsserted (the intake's or prescription's).
//   - Consent: dateTime (signed once; a withdrawal is a new row).
//   - DocumentReference: date (the note's signing; an addendum moves it).
var sinceFields = map[string][]string{
	"Appointment":           {"meta.lastUpdated"},
	"QuestionnaireResponse": {"authored"},
	"Observation":           {"issued", "effectiveDateTime"},
	"Provenance":            {"recorded"},
	"Encounter":             {"period.start"},
	"MedicationStatement":   {"dateAsserted"},
	"Consent":               {"dateTime"},
	"DocumentReference":     {"date"},
}

// changedSince reports whether a resource of typ (its JSON b) belongs in
// an export with _since: see sinceFields.
func changedSince(typ string, b []byte, since time.Time) bool {
	paths, ok := sinceFields[typ]
	if !ok {
		return true
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return true
	}
	for _, p := range paths {
		var v any = m
		for part := range strings.SplitSeq(p, ".") {
			o, _ := v.(map[string]any)
			v = o[part]
		}
		s, ok := v.(string)
		if !ok {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return true
		}
		return t.After(since)
	}
	return true
}

// bulkBatch is how many patients one step of an export gathers before
// its files and cursor are saved together; bulkBatchesPerJob is how many
// steps one job takes before it hands the rest to a new job (so one job
// never nears its lease, and other jobs get their turn). Variables so a
// test can make an export of the demo take many jobs.
var (
	bulkBatch         = 25
	bulkBatchesPerJob = 40
)

// ExportJob returns the handler of the bulk export job
// (store.BulkExportJobKind): it gathers the export's patients a batch at
// a time, each with Everything inside a store view of the patient as the
// export's owner (so the one access policy decides, and each patient's
// export is one audit row, action fhir.export), and saves each batch's
// NDJSON lines with the cursor in one transaction. It is idempotent: a
// batch is saved only from the cursor it started from, so a job run twice
// (a lost lease) writes each line once. Near its deadline it enqueues its
// own continuation and returns. The staff are written last, as
// Practitioners and PractitionerRoles, with the end of the export.
func ExportJob(st *store.Store) func(context.Context, store.Job) error {
	return func(ctx context.Context, j store.Job) error {
		var p struct {
			Export string `json:"export"`
		}
		if err := json.Unmarshal([]byte(j.Payload), &p); err != nil || p.Export == "" {
			return errors.New("fhir export job: no export id in the payload")
		}
		e, err := st.BulkExportByID(ctx, p.Export)
		if clinic.ErrorCode(err) == clinic.ENotFound {
			return nil // deleted
		} else if err != nil {
			return err
		}
		if e.Status == store.BulkDone || e.Status == store.BulkFailed {
			return nil
		}
		err = runExport(ctx, st, e)
		if errors.Is(err, store.ErrBulkExportGone) {
			return nil
		}
		if errors.Is(err, errContinue) {
			payload, _ := json.Marshal(map[string]string{"export": e.ID})
			_, err = st.Enqueue(context.WithoutCancel(ctx), store.BulkExportJobKind, string(payload), time.Time{}, "fhir.export:"+e.ID+":"+j.ID)
			return err
		}
		if err != nil && j.Attempts >= j.MaxAttempts {
			// The last attempt: the export ends as failed, so its status
			// says so rather than "in progress" until it expires.
			if now, ferr := st.BulkExportByID(context.WithoutCancel(ctx), e.ID); ferr == nil {
				_ = st.SaveBulkExportPart(context.WithoutCancel(ctx), e.ID, now.After, now.After, now.Done, nil, true, "The export could not be completed; kick it off again.")
			}
		}
		return err
	}
}

// SweepJob returns the handler of the sweep job (store.BulkSweepJobKind):
// it deletes expired exports and their files.
func SweepJob(st *store.Store) func(context.Context, store.Job) error {
	return func(ctx context.Context, _ store.Job) error {
		for {
			n, err := st.SweepBulkExports(ctx, 50)
			if err != nil || n < 50 {
				return err
			}
		}
	}
}

// errContinue stops a job near its deadline: a new job goes on.
var errContinue = errors.New("fhir export: continued in a new job")

// runExport gathers e from its cursor.
func runExport(ctx context.Context, st *store.Store, e *store.BulkExport) error {
	u, _, err := st.FindUserByID(ctx, e.UserID)
	if err != nil {
		return err
	}
	if u.DisabledAt != nil {
		return st.SaveBulkExportPart(ctx, e.ID, e.After, e.After, e.Done, nil, true, "The account that asked for this export is disabled.")
	}
	actor := store.Actor{UserID: u.ID, Role: u.Role, RequestID: "bulk-export-" + e.ID}
	w := newExportWriter(st, e)
	from, done := e.After, e.Done
	for step := 0; ; step++ {
		if dl, ok := ctx.Deadline(); step == bulkBatchesPerJob || (ok && time.Until(dl) < 30*time.Second) {
			return errContinue
		}
		ids, err := st.BulkExportPatients(ctx, actor, e, from, bulkBatch)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := w.patient(ctx, actor, id); err != nil {
				return err
			}
		}
		final := len(ids) < bulkBatch
		if final {
			if err := w.staff(ctx); err != nil {
				return err
			}
		}
		after := from
		if len(ids) > 0 {
			after = ids[len(ids)-1]
		}
		if err := st.SaveBulkExportPart(ctx, e.ID, from, after, done+len(ids), w.flush(), final, ""); err != nil {
			return err
		}
		if final {
			return nil
		}
		from, done = after, done+len(ids)
	}
}

// exportWriter collects a batch's NDJSON lines, per type.
type exportWriter struct {
	st    *store.Store
	e     *store.BulkExport
	m     Mapper
	types map[string]bool // nil: every type
	deid  *Deidentifier
	buf   map[string]*bytes.Buffer
	lines map[string]int
}

func newExportWriter(st *store.Store, e *store.BulkExport) *exportWriter {
	w := &exportWriter{st: st, e: e, m: Mapper{Base: e.Base}, buf: map[string]*bytes.Buffer{}, lines: map[string]int{}}
	if len(e.Types) > 0 {
		w.types = map[string]bool{}
		for _, t := range e.Types {
			w.types[t] = true
		}
	}
	if e.Deidentify {
		origin := e.Base
		if u, err := url.Parse(e.Base); err == nil && u.Host != "" {
			origin = u.Scheme + "://" + u.Host
		}
		w.deid = &Deidentifier{MAC: st.ExportMAC, Origin: origin, OldestYear: e.TransactionTime.Year() - 89}
	}
	return w
}

// patient gathers one patient's record in a view of its own (one audit
// row, fhir.export). A patient the owner may no longer read (moved off
// the care team since the kick-off) is left out.
func (w *exportWriter) patient(ctx context.Context, actor store.Actor, id string) error {
	vctx, view, err := w.st.BeginView(ctx, actor, id, "fhir.export")
	if err != nil {
		return err
	}
	defer view.Close()
	b, err := Everything(vctx, w.st, actor, id, w.m)
	if isNotFound(err) {
		return view.Finish(ctx)
	}
	if err != nil {
		return err
	}
	if err := view.Finish(ctx); err != nil {
		return err
	}
	for _, en := range b.Entry {
		switch en.Resource.ResourceType() {
		case "Practitioner", "PractitionerRole":
			continue // the staff are written once, at the end
		}
		if err := w.add(en.Resource, id); err != nil {
			return err
		}
	}
	return nil
}

// staff writes every enabled member of staff as a Practitioner and a
// PractitionerRole (the practice's staff list, no patient information):
// every clinician a patient's resource refers to is one of them, or has
// left (a reference by id, as in Everything).
func (w *exportWriter) staff(ctx context.Context) error {
	if w.types != nil && !w.types["Practitioner"] && !w.types["PractitionerRole"] {
		return nil
	}
	for _, role := range []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber, clinic.RoleAdmin} {
		us, err := w.st.ListStaff(ctx, role)
		if err != nil {
			return err
		}
		for _, u := range us {
			pr, err := w.m.Practitioner(u)
			if err != nil {
				return err
			}
			if err := w.add(pr, ""); err != nil {
				return err
			}
			role, err := w.m.PractitionerRole(u)
			if err != nil {
				return err
			}
			if err := w.add(role, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// add writes r (of patientID, "" for none) as a line of its type's file,
// when the export asks for its type and, with _since, it changed since.
func (w *exportWriter) add(r Resource, patientID string) error {
	typ := r.ResourceType()
	if w.types != nil && !w.types[typ] {
		return nil
	}
	if !slices.Contains(BulkTypes, typ) {
		return errors.New("fhir export: a resource type not in BulkTypes: " + typ)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if w.e.Since != nil && !changedSince(typ, b, *w.e.Since) {
		return nil
	}
	if w.deid != nil {
		if b, err = w.deid.Resource(b, patientID); err != nil {
			return err
		}
	}
	buf := w.buf[typ]
	if buf == nil {
		buf = &bytes.Buffer{}
		w.buf[typ] = buf
	}
	buf.Write(b)
	buf.WriteByte('\n')
	w.lines[typ]++
	return nil
}

// flush hands the batch's lines as parts, and starts a new batch.
func (w *exportWriter) flush() []store.BulkPart {
	var parts []store.BulkPart
	for _, typ := range BulkTypes {
		if buf := w.buf[typ]; buf != nil && buf.Len() > 0 {
			parts = append(parts, store.BulkPart{Type: typ, Lines: w.lines[typ], Body: bytes.Clone(buf.Bytes())})
		}
	}
	w.buf, w.lines = map[string]*bytes.Buffer{}, map[string]int{}
	return parts
}
