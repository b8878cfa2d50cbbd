package fhir

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/store"
)

// Paged lists: appointments, dosing sessions, signed notes.

// listFilter reads the common parts of a paged list's search: the
// patient, _id (one) and the date parameter.
func listFilter(ctx context.Context, h *Handler, c *caller, q *query, v url.Values) (store.FHIRFilter, store.PageKey, error) {
	var f store.FHIRFilter
	pid, err := patientOf(ctx, h, c, v)
	if err != nil {
		return f, store.PageKey{}, err
	}
	if len(q.ids) > 1 {
		return f, store.PageKey{}, badParam("_id", "kapstone finds one resource by id at a time here.")
	}
	f.PatientID, f.Desc = pid, q.desc
	if len(q.ids) == 1 {
		f.ID = q.ids[0]
	}
	if f.When, err = datesOf("date", v); err != nil {
		return f, store.PageKey{}, err
	}
	after, err := afterCursor(q)
	if err != nil {
		return f, store.PageKey{}, err
	}
	return f, store.PageKey{After: after, Limit: max(q.count, 1)}, nil
}

// readByOwner reads the resource id of a paged list (search, with the
// filter's ID set) in a view of its patient.
func readByOwner[T any](ctx context.Context, h *Handler, c *caller, kind, id string, one func(ctx context.Context, acc store.Access, f store.FHIRFilter) (*T, error)) (*T, error) {
	pid, err := h.Store.FHIROwner(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	var out *T
	err = h.withPatient(ctx, c, pid, func(ctx context.Context, _ *store.Patient, acc store.Access) error {
		var err error
		out, err = one(ctx, acc, store.FHIRFilter{PatientID: pid, ID: id})
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, notFound
	}
	return out, nil
}

// Appointment

var appointmentOutcome = map[string]string{"booked": "", "fulfilled": "attended", "noshow": "no_show"}

func (c *caller) appointments(ctx context.Context, h *Handler, f store.FHIRFilter, k store.PageKey) (*store.Page[Appointment], error) {
	page, err := h.Store.FHIRAppointments(ctx, c.actor, f, k)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(page.Rows))
	for i, ap := range page.Rows {
		ids[i] = ap.ID
	}
	clinician, err := h.Store.ClinicianIDs(ctx, c.actor, f.PatientID, ids)
	if err != nil {
		return nil, err
	}
	out := &store.Page[Appointment]{Total: page.Total, Next: page.Next}
	for _, ap := range page.Rows {
		a, err := c.m.Appointment(f.PatientID, ap, clinician[ap.ID])
		if err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, a)
	}
	return out, nil
}

func searchAppointments(ctx context.Context, h *Handler, c *caller, q *query, v url.Values) (Resource, error) {
	f, k, err := listFilter(ctx, h, c, q, v)
	if err != nil {
		return nil, err
	}
	if vals, ok := v["status"]; ok {
		sets, err := parseTokens("status", vals)
		if err != nil {
			return nil, err
		}
		f.Outcomes = []string{}
		for st, outcome := range appointmentOutcome {
			all := true
			for _, alts := range sets {
				all = all && slices.ContainsFunc(alts, func(t Token) bool { return t.Code == st })
			}
			if all {
				f.Outcomes = append(f.Outcomes, outcome)
			}
		}
		slices.Sort(f.Outcomes)
	}
	var page *store.Page[Appointment]
	err = h.withPatient(ctx, c, f.PatientID, func(ctx context.Context, _ *store.Patient, acc store.Access) error {
		if !acc.Can(auth.PermChart) {
			page = &store.Page[Appointment]{}
			return nil
		}
		var err error
		page, err = c.appointments(ctx, h, f, k)
		return err
	})
	if err != nil {
		return nil, err
	}
	return pageBundle(c, "Appointment", q, page.Total, page.Rows, page.Next, func(a Appointment) (Appointment, error) { return a, nil })
}

func readAppointment(ctx context.Context, h *Handler, c *caller, id string) (Resource, error) {
	a, err := readByOwner(ctx, h, c, store.OwnerAppointment, id, func(ctx context.Context, acc store.Access, f store.FHIRFilter) (*Appointment, error) {
		if !acc.Can(auth.PermChart) {
			return nil, nil
		}
		page, err := c.appointments(ctx, h, f, store.PageKey{Limit: 1})
		if err != nil || len(page.Rows) == 0 {
			return nil, err
		}
		return &page.Rows[0], nil
	})
	if err != nil {
		return nil, err
	}
	return *a, nil
}

// Encounter

func (c *caller) encounters(ctx context.Context, h *Handler, f store.FHIRFilter, k store.PageKey) (*store.Page[Encounter], error) {
	page, err := h.Store.FHIRSessions(ctx, c.actor, f, k)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(page.Rows))
	for i, s := range page.Rows {
		ids[i] = s.ID
	}
	clinician, err := h.Store.ClinicianIDs(ctx, c.actor, f.PatientID, ids)
	if err != nil {
		return nil, err
	}
	out := &store.Page[Encounter]{Total: page.Total, Next: page.Next}
	for _, s := range page.Rows {
		e, err := c.m.Encounter(f.PatientID, s, clinician[s.ID])
		if err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, e)
	}
	return out, nil
}

func searchEncounters(ctx context.Context, h *Handler, c *caller, q *query, v url.Values) (Resource, error) {
	f, k, err := listFilter(ctx, h, c, q, v)
	if err != nil {
		return nil, err
	}
	page := &store.Page[Encounter]{}
	err = h.withPatient(ctx, c, f.PatientID, func(ctx context.Context, _ *store.Patient, acc store.Access) error {
		if !readsDosing(c, acc) {
			return nil
		}
		var err error
		page, err = c.encounters(ctx, h, f, k)
		return err
	})
	if err != nil {
		return nil, err
	}
	return pageBundle(c, "Encounter", q, page.Total, page.Rows, page.Next, func(e Encounter) (Encounter, error) { return e, nil })
}

func readEncounter(ctx context.Context, h *Handler, c *caller, id string) (Resource, error) {
	e, err := readByOwner(ctx, h, c, store.OwnerSession, id, func(ctx context.Context, acc store.Access, f store.FHIRFilter) (*Encounter, error) {
		if !readsDosing(c, acc) {
			return nil, nil
		}
		page, err := c.encounters(ctx, h, f, store.PageKey{Limit: 1})
		if err != nil || len(page.Rows) == 0 {
			return nil, err
		}
		return &page.Rows[0], nil
	})
	if err != nil {
		return nil, err
	}
	return *e, nil
}

// DocumentReference

func searchDocumentReferences(ctx context.Context, h *Handler, c *caller, q *query, v url.Values) (Resource, error) {
	f, k, err := listFilter(ctx, h, c, q, v)
	if err != nil {
		return nil, err
	}
	page := &store.Page[store.SignedNote]{}
	err = h.withPatient(ctx, c, f.PatientID, func(ctx context.Context, _ *store.Patient, acc store.Access) error {
		if !readsNotes(c, acc) {
			return nil
		}
		var err error
		page, err = h.Store.FHIRNotes(ctx, c.actor, f, k)
		return err
	})
	if err != nil {
		return nil, err
	}
	return pageBundle(c, "DocumentReference", q, page.Total, page.Rows, page.Next, func(n store.SignedNote) (DocumentReference, error) {
		return c.m.DocumentReference(n.Note, n.SessionID)
	})
}

// signedNote reads one signed note by id in a view of its patient.
func (h *Handler) signedNote(ctx context.Context, c *caller, id string) (*store.SignedNote, error) {
	return readByOwner(ctx, h, c, store.OwnerNote, id, func(ctx context.Context, acc store.Access, f store.FHIRFilter) (*store.SignedNote, error) {
		if !readsNotes(c, acc) {
			return nil, nil
		}
		page, err := h.Store.FHIRNotes(ctx, c.actor, f, store.PageKey{Limit: 1})
		if err != nil || len(page.Rows) == 0 {
			return nil, err
		}
		return &page.Rows[0], nil
	})
}

func readDocumentReference(ctx context.Context, h *Handler, c *caller, id string) (Resource, error) {
	n, err := h.signedNote(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return c.m.DocumentReference(n.Note, n.SessionID)
}

// Provenance: the check-ins' (by when they were completed), then, for a
// clinician, the signed notes' (by when they were signed). A page's
// cursor says which list it is in ("c" and the check-in it starts at, or
// "n" and the note it starts after).

func readProvenance(ctx context.Context, h *Handler, c *caller, id string) (Resource, error) {
	if cid, ok := strings.CutSuffix(id, "-answered"); ok {
		pid, row, err := h.Store.FHIRRecord(ctx, c.actor, store.RecordCheckin, cid)
		if err != nil {
			return nil, err
		}
		if _, ok := Shipped(row.Checkin.Instrument); !ok {
			return nil, notFound
		}
		return c.m.CheckinProvenance(pid, *row.Checkin)
	}
	if nid, ok := strings.CutSuffix(id, "-signed"); ok {
		n, err := h.signedNote(ctx, c, nid)
		if err != nil {
			return nil, err
		}
		return c.m.NoteProvenance(n.Note)
	}
	return nil, notFound
}

func searchProvenance(ctx context.Context, h *Handler, c *caller, q *query, v url.Values) (Resource, error) {
	pid, err := patientOf(ctx, h, c, v)
	if err != nil {
		return nil, err
	}
	phase, key := "c", ""
	if q.cursor != "" {
		parts, err := decodeCursor(q.cursor, 2)
		if err != nil {
			return nil, err
		}
		if phase, key = parts[0], parts[1]; (phase != "c" && phase != "n") || (key != "" && !ValidID(key)) || (phase == "c" && key == "") {
			return nil, badParam(cursorParam, "this page link is not valid: start the search again.")
		}
	}
	f := store.RecordFilter{PatientID: pid, Checkins: map[string]store.RecordWeight{}, Limit: q.count}
	for _, id := range shippedIDs() {
		f.Checkins[id] = store.RecordWeight{Fixed: 1}
	}
	if phase == "c" && key != "" {
		f.From = &store.RecordKey{Kind: store.RecordCheckin, ID: key}
	}
	if q.summary || phase == "n" {
		f.Limit = 0 // the count only
	}
	var entries, targets []Resource
	total, next := 0, ""
	err = h.withPatient(ctx, c, pid, func(ctx context.Context, _ *store.Patient, acc store.Access) error {
		rec, err := h.Store.FHIRRecords(ctx, c.actor, f)
		if err != nil {
			return err
		}
		total = rec.Total
		for i, row := range rec.Rows {
			if i == q.count {
				next = encodeCursor("c", row.ID)
				break
			}
			pv, err := c.m.CheckinProvenance(pid, *row.Checkin)
			if err != nil {
				return err
			}
			entries = append(entries, pv)
			if len(q.include) > 0 { // Provenance:target, from the row read
				qr, err := c.m.QuestionnaireResponse(pid, *row.Checkin)
				if err != nil {
					return err
				}
				targets = append(targets, qr)
			}
		}
		if !readsNotes(c, acc) {
			return nil
		}
		left := q.count - len(entries)
		if next != "" || q.summary {
			left = 0
		}
		k := store.PageKey{Limit: max(left, 1)}
		if phase == "n" {
			k.After = key
		}
		notes, err := h.Store.FHIRNotes(ctx, c.actor, store.FHIRFilter{PatientID: pid}, k)
		if err != nil {
			return err
		}
		total += notes.Total
		if left == 0 {
			if next == "" && !q.summary && notes.Total > 0 {
				next = encodeCursor("n", "")
			}
			return nil
		}
		for _, n := range notes.Rows {
			pv, err := c.m.NoteProvenance(n.Note)
			if err != nil {
				return err
			}
			entries = append(entries, pv)
			if len(q.include) > 0 {
				d, err := c.m.DocumentReference(n.Note, n.SessionID)
				if err != nil {
					return err
				}
				targets = append(targets, d)
			}
		}
		if notes.Next != "" {
			next = encodeCursor("n", notes.Next)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if q.summary {
		return c.bundle("Provenance", q, total, nil, ""), nil
	}
	b := c.bundle("Provenance", q, total, entries, next)
	c.include(b, targets...)
	return b, nil
}
