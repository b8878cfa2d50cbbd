package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// The reads of the FHIR API (internal/fhir): one patient's completed
// check-ins and dosing vitals as one list in time order, a page at a time
// by key, filtered in SQL; one record by id; the staff directory. The
// store knows no FHIR: the API says which rows it wants and how many
// resources each row gives (RecordFilter), and maps the rows itself.

// Record kinds: the rows a FHIR Observation or QuestionnaireResponse is
// made from.
const (
	RecordCheckin = "c" // a completed check-in
	RecordVitals  = "v" // one set of dosing-session vitals
)

// RecordWeight says how many resources one completed check-in of an
// instrument gives: Fixed, plus one for each answered item among Items
// (item ids). A check-in that gives none is not listed.
type RecordWeight struct {
	Fixed int
	Items []string
}

// VitalsWeight says which readings of a set of vitals count: each taken
// one that is asked for gives one resource (blood pressure when either
// pressure was taken). A set that gives none is not listed.
type VitalsWeight struct {
	BP, HeartRate, SpO2 bool
}

// TimeCond is one condition on a record's time: at or after From (when
// set) and before To (when set); Not turns it round. A FHIR date search
// parameter's prefix and precision make one.
type TimeCond struct {
	From, To *time.Time
	Not      bool
}

// RecordKey names where a page of records starts: the row of that kind and
// id (which must be one of the patient's), skipping the first Skip
// resources it gives (the rest of the row cut off by the page before).
type RecordKey struct {
	Kind, ID string
	Skip     int
}

// RecordFilter says which of a patient's records to list.
type RecordFilter struct {
	PatientID string
	// Checkins: the completed check-ins of these instruments, each giving
	// what its weight says. Nil: none.
	Checkins map[string]RecordWeight
	// Vitals: the dosing vitals, for a clinician (nobody else reads a
	// dosing session's record, so for anyone else there are none). Nil:
	// none.
	Vitals *VitalsWeight
	// When: every condition must hold.
	When []TimeCond
	// Desc lists the newest first.
	Desc bool
	// From: the page starts at this row (nil: the first page).
	From *RecordKey
	// Limit: at most Limit+1 rows are read (each gives at least one
	// resource, so that is enough to fill Limit resources and know whether
	// more follow). 0 reads none: the count only.
	Limit int
}

// RecordRow is one record: a completed check-in or a set of vitals.
type RecordRow struct {
	Kind    string
	ID      string
	At      time.Time
	Checkin *Checkin
	Vitals  *Vitals
	// Weight is how many resources the row gives under the filter.
	Weight int
}

// RecordPage is one page of records and the number of resources every
// matching row gives together (Total).
type RecordPage struct {
	Rows  []RecordRow
	Total int
}

// recordQuery builds the union of f's rows: columns at, kind, id, w (the
// weight), and the patient's id as $1.
func recordQuery(f RecordFilter) (string, []any, error) {
	args := []any{f.PatientID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var parts []string
	if len(f.Checkins) > 0 {
		insts := slices.Sorted(func(yield func(string) bool) {
			for k := range f.Checkins {
				if !yield(k) {
					return
				}
			}
		})
		var in, cases []string
		for _, inst := range insts {
			w := f.Checkins[inst]
			p := arg(inst)
			in = append(in, p)
			expr := fmt.Sprintf("%d", w.Fixed)
			for _, item := range w.Items {
				// Answers are stored as a JSON object of item id to value
				// (measure.Answers): an answered item is its quoted key.
				expr += fmt.Sprintf(` + CASE WHEN c.answers LIKE %s ESCAPE '\' THEN 1 ELSE 0 END`, arg(`%"`+likeEscape(item)+`":%`))
			}
			cases = append(cases, fmt.Sprintf("WHEN %s THEN %s", p, expr))
		}
		parts = append(parts, `SELECT c.completed_at AS at, 'c' AS kind, c.id AS id, CASE c.instrument `+strings.Join(cases, " ")+` ELSE 0 END AS w
			FROM checkins c WHERE c.patient_id = $1 AND c.status = 'complete' AND c.completed_at IS NOT NULL AND c.instrument IN (`+strings.Join(in, ", ")+`)`)
	}
	if v := f.Vitals; v != nil && (v.BP || v.HeartRate || v.SpO2) {
		var w []string
		if v.BP {
			w = append(w, `CASE WHEN v.systolic IS NOT NULL OR v.diastolic IS NOT NULL THEN 1 ELSE 0 END`)
		}
		if v.HeartRate {
			w = append(w, `CASE WHEN v.heart_rate IS NOT NULL THEN 1 ELSE 0 END`)
		}
		if v.SpO2 {
			w = append(w, `CASE WHEN v.spo2 IS NOT NULL THEN 1 ELSE 0 END`)
		}
		parts = append(parts, `SELECT coalesce(v.taken_at, v.recorded_at) AS at, 'v' AS kind, v.id AS id, `+strings.Join(w, " + ")+` AS w
			FROM dosing_vitals v JOIN dosing_sessions d ON d.id = v.session_id WHERE d.patient_id = $1`)
	}
	if len(parts) == 0 {
		return "", nil, nil
	}
	q := ` FROM (` + strings.Join(parts, " UNION ALL ") + `) u WHERE u.w > 0`
	for _, c := range f.When {
		var conds []string
		if c.From != nil {
			conds = append(conds, "u.at >= "+arg(c.From.UTC()))
		}
		if c.To != nil {
			conds = append(conds, "u.at < "+arg(c.To.UTC()))
		}
		if len(conds) == 0 {
			continue
		}
		cond := "(" + strings.Join(conds, " AND ") + ")"
		if c.Not {
			cond = "NOT " + cond
		}
		q += " AND " + cond
	}
	return q, args, nil
}

// FHIRRecords reads one page of f.PatientID's completed check-ins and
// vitals that match f, oldest first (newest with f.Desc), by key (never an
// OFFSET: the page starts at f.From's row, so a page costs what the first
// does and a record added meanwhile shifts nothing), and counts the
// resources every match gives. The caller must be allowed to read the
// patient's chart (the patient, the care team; a refusal is ENotFound,
// audited as denied); vitals are read for a clinician only. Audited as
// fhir.read (within an open view, named in its one row).
func (s *Store) FHIRRecords(ctx context.Context, actor Actor, f RecordFilter) (*RecordPage, error) {
	if f.Vitals != nil && clinicianOnly(actor) != nil {
		f.Vitals = nil
	}
	out := &RecordPage{}
	err := s.viewAccess(ctx, actor, f.PatientID, auth.PermChart, "fhir.read", func(tx *Tx, _ Access, e *Entry) error {
		e.Detail = "search"
		scope, args, err := recordQuery(f)
		if err != nil || scope == "" {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT CAST(coalesce(sum(u.w), 0) AS BIGINT)`+scope, args...).Scan(&out.Total); err != nil {
			return err
		}
		if f.Limit <= 0 {
			return nil
		}
		cmp, dir := ">=", " ASC"
		if f.Desc {
			cmp, dir = "<=", " DESC"
		}
		q, a := `SELECT u.kind, u.id, u.w`+scope, args
		if k := f.From; k != nil {
			// The key row's time is read from the patient's own rows: a
			// key naming another patient's record matches nothing.
			var at string
			switch k.Kind {
			case RecordCheckin:
				at = `(SELECT k.completed_at FROM checkins k WHERE k.id = $%d AND k.patient_id = $1)`
			case RecordVitals:
				at = `(SELECT coalesce(k.taken_at, k.recorded_at) FROM dosing_vitals k JOIN dosing_sessions kd ON kd.id = k.session_id WHERE k.id = $%d AND kd.patient_id = $1)`
			default:
				return clinic.Errorf(clinic.EInvalid, "The page link is not valid.")
			}
			a = append(slices.Clone(a), k.ID, k.Kind)
			at = fmt.Sprintf(at, len(a)-1)
			q += fmt.Sprintf(` AND (u.at, u.kind, u.id) %s (%s, $%d, $%d)`, cmp, at, len(a), len(a)-1)
		}
		q += ` ORDER BY u.at` + dir + `, u.kind` + dir + `, u.id` + dir + fmt.Sprintf(` LIMIT %d`, f.Limit+1)
		keys, err := queryAll(ctx, tx, func(r scanner) (RecordRow, error) {
			var row RecordRow
			err := r.Scan(&row.Kind, &row.ID, &row.Weight)
			return row, err
		}, q, a...)
		if err != nil {
			return err
		}
		if out.Rows, err = s.recordRows(ctx, tx, f.PatientID, keys); err != nil {
			return err
		}
		return nil
	})
	return out, err
}

// recordRows reads the check-ins and vitals keys name (all patientID's),
// in keys' order.
func (s *Store) recordRows(ctx context.Context, tx *Tx, patientID string, keys []RecordRow) ([]RecordRow, error) {
	var cids, vids []any
	for _, k := range keys {
		if k.Kind == RecordCheckin {
			cids = append(cids, k.ID)
		} else {
			vids = append(vids, k.ID)
		}
	}
	in := func(first int, n int) string {
		ps := make([]string, n)
		for i := range ps {
			ps[i] = fmt.Sprintf("$%d", first+i)
		}
		return strings.Join(ps, ", ")
	}
	checkins := map[string]Checkin{}
	if len(cids) > 0 {
		list, err := queryAll(ctx, tx, scanCheckin, `SELECT `+checkinColumns+` FROM checkins WHERE patient_id = $1 AND id IN (`+in(2, len(cids))+`)`, append([]any{patientID}, cids...)...)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			checkins[c.ID] = c
		}
	}
	vitals := map[string]Vitals{}
	if len(vids) > 0 {
		list, err := queryAll(ctx, tx, scanVitals, `SELECT `+vitalsColumns+` FROM dosing_vitals v JOIN dosing_sessions d ON d.id = v.session_id
			LEFT JOIN users u ON u.id = v.recorded_by WHERE d.patient_id = $1 AND v.id IN (`+in(2, len(vids))+`)`, append([]any{patientID}, vids...)...)
		if err != nil {
			return nil, err
		}
		for _, v := range list {
			vitals[v.ID] = v
		}
	}
	out := make([]RecordRow, 0, len(keys))
	for _, k := range keys {
		if c, ok := checkins[k.ID]; ok && k.Kind == RecordCheckin {
			k.Checkin, k.At = &c, c.CompletedAt
		} else if v, ok := vitals[k.ID]; ok && k.Kind == RecordVitals {
			k.Vitals, k.At = &v, v.At
		} else {
			return nil, fmt.Errorf("store: record %s/%s vanished within one transaction", k.Kind, k.ID)
		}
		out = append(out, k)
	}
	return out, nil
}

// FHIRRecord reads one record by kind and id: a completed check-in, or a
// set of dosing vitals (for a clinician only), with its patient's id, if
// actor may read that patient's chart. Anything else, and a refusal
// (audited as denied), is ENotFound. Audited as fhir.read (within an open
// view of the same patient, named in its one row).
func (s *Store) FHIRRecord(ctx context.Context, actor Actor, kind, id string) (string, *RecordRow, error) {
	notFound := clinic.Errorf(clinic.ENotFound, "We could not find that resource.")
	var lookup string
	switch kind {
	case RecordCheckin:
		lookup = `SELECT patient_id FROM checkins WHERE id = $1 AND status = 'complete' AND completed_at IS NOT NULL`
	case RecordVitals:
		if clinicianOnly(actor) != nil {
			return "", nil, notFound
		}
		lookup = `SELECT d.patient_id FROM dosing_vitals v JOIN dosing_sessions d ON d.id = v.session_id WHERE v.id = $1`
	default:
		return "", nil, notFound
	}
	var patientID string
	err := s.read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, lookup, id).Scan(&patientID) })
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, notFound
	}
	if err != nil {
		return "", nil, err
	}
	var row *RecordRow
	err = s.viewAccess(ctx, actor, patientID, auth.PermChart, "fhir.read", func(tx *Tx, a Access, e *Entry) error {
		rows, err := s.recordRows(ctx, tx, patientID, []RecordRow{{Kind: kind, ID: id, Weight: 1}})
		if err != nil {
			return err
		}
		row = &rows[0]
		e.ObjectType, e.ObjectID = map[string]string{RecordCheckin: "checkin", RecordVitals: "vitals"}[kind], id
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return patientID, row, nil
}

// PageStaff reads one page of the practice's staff accounts, enabled and
// disabled (a FHIR Practitioner says whether it is active), by id, for a
// member of staff: their names and credentials are the practice's
// directory, not a patient's record. ID, when set, reads only that account.
// Anyone else gets ENotFound.
func (s *Store) PageStaff(ctx context.Context, actor Actor, id string, k PageKey) (*Page[*clinic.User], error) {
	if !actor.may(auth.PermStaffApp) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	ks := keyset{Scope: ` FROM users u WHERE u.role <> 'patient'`, Table: "users", Alias: "u", Order: []string{"id"}}
	if id != "" {
		ks.Scope += ` AND u.id = $1`
		ks.Args = []any{id}
	}
	var out *Page[*clinic.User]
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = readPage(ctx, tx, ks, `u.id, u.email, u.display_name, u.role, u.totp_secret, u.disabled_at, u.created_at, u.credentials`, k,
			func(r scanner) (*clinic.User, error) { return scanUser(r) }, func(u *clinic.User) string { return u.ID })
		return err
	})
	return out, err
}
