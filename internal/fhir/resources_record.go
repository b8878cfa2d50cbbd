package fhir

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/store"
)

// The rest of a patient's record, as rows of resourceTypes: the same
// sections Everything gathers, each readable by id and searchable by
// patient. Access is the store's (one view of the patient per request,
// one audit row); a section the policy does not give the caller (a
// patient reads no dosing records, prescriptions or clinical notes) is
// asked of the policy first, as Everything asks, so a search of it is
// empty and a read of it not found, with no refusal provoked.

func init() {
	idParam := searchParam{"_id", "token", spBase + "Resource-id", "The resource's id."}
	// of is a patient-scoped type's parameters: _id, patient (R4's
	// clinical-patient where it has it), subject where R4 defines it for
	// the type (kapstone takes it everywhere, as for patient), and extra.
	of := func(typ string, extra ...searchParam) []searchParam {
		patient := spBase + "clinical-patient"
		if typ == "Appointment" || typ == "Provenance" {
			patient = spBase + typ + "-patient"
		}
		subject := ""
		if !slices.Contains([]string{"Appointment", "Consent", "Provenance"}, typ) {
			subject = spBase + typ + "-subject"
		}
		return append([]searchParam{idParam,
			{"patient", "reference", patient, "The patient (Patient/id or id): one. A patient's own token may leave it out."},
			{"subject", "reference", subject, "The same as patient."},
		}, extra...)
	}
	status := func(typ, doc string) searchParam {
		return searchParam{"status", "token", spBase + typ + "-status", doc}
	}
	date := func(def, doc string) searchParam {
		return searchParam{"date", "date", spBase + def, doc + ", with a prefix (eq, ne, lt, le, gt, ge, sa, eb); a date without a time is a UTC day."}
	}
	for _, d := range []*resourceDef{
		{
			typ: "PractitionerRole", doc: "What each member of staff does for the practice (their role, and their profession where a credential names one), for a member of staff (a patient's token finds none; their care team's members are in CareTeam and $everything).",
			params: []searchParam{idParam}, read: readPractitionerRole, search: searchPractitionerRoles,
		},
		{
			typ: "CareTeam", doc: "A patient's care team (one per patient), each member a Practitioner with their role.",
			profiles: []string{ProfileCareTeam}, params: of("CareTeam", status("CareTeam", "active or inactive.")),
			includes: []string{"CareTeam:participant"},
			read:     careTeams.read, search: careTeams.search,
		},
		{
			typ: "Appointment", doc: "A patient's booked appointments (not cancelled): booked, fulfilled (attended) or noshow.",
			params: of("Appointment",
				date("Appointment-date", "When it starts"),
				status("Appointment", "booked, fulfilled or noshow; a comma between them is or.")),
			sort: "date", read: readAppointment, search: searchAppointments,
		},
		{
			typ: "Encounter", doc: "Dosing sessions, for clinicians (a patient's token finds none).",
			profiles: []string{ProfileEncounter},
			params:   of("Encounter", date("clinical-date", "When the session was opened")),
			sort:     "date", read: readEncounter, search: searchEncounters,
		},
		{
			typ: "MedicationStatement", doc: "The medications a patient listed in their newest submitted intake; for clinicians also the ketamine prescriptions recorded (kapstone records, it does not e-prescribe).",
			params: of("MedicationStatement", status("MedicationStatement", "active or stopped.")),
			read:   medications.read, search: medications.search,
		},
		{
			typ: "Flag", doc: "Screening flags of the newest submitted intake, and suicide-risk safety alerts (active while open).",
			params: of("Flag", searchParam{"status", "token", "", "active or inactive (kapstone's own: R4 defines no status parameter for Flag)."}),
			read:   flags.read, search: flags.search,
		},
		{
			typ: "Consent", doc: "Every signature of every kind of consent, active while it is the one that holds.",
			params: of("Consent", status("Consent", "active or inactive.")),
			read:   consents.read, search: consents.search,
		},
		{
			typ: "CarePlan", doc: "A patient's courses of treatment, oldest first.",
			profiles: []string{ProfileCarePlan}, params: of("CarePlan", status("CarePlan", "active, on-hold, revoked or completed.")),
			read: carePlans.read, search: carePlans.search,
		},
		{
			typ: "DocumentReference", doc: "Signed clinical notes (metadata and a link to the PDF, never the text), for clinicians (a patient's token finds none). Psychotherapy notes are never served.",
			profiles: []string{ProfileDocumentReference},
			params:   of("DocumentReference", date("DocumentReference-date", "When it was signed")),
			sort:     "date", read: readDocumentReference, search: searchDocumentReferences,
		},
		{
			typ: "Provenance", doc: "Who answered each completed check-in (its QuestionnaireResponse), and, for clinicians, who signed each note (its DocumentReference).",
			profiles: []string{ProfileProvenance}, params: of("Provenance"),
			read: readProvenance, search: searchProvenance,
		},
	} {
		resourceTypes[d.typ] = d
		resourceOrder = append(resourceOrder, d.typ)
	}
}

// withPatient runs fn in one view of patientID (inView) with the patient
// and the caller's access to them, read first: a patient the caller may
// not see is ENotFound.
func (h *Handler) withPatient(ctx context.Context, c *caller, patientID string, fn func(ctx context.Context, p *store.Patient, acc store.Access) error) error {
	return h.inView(ctx, c, patientID, func(ctx context.Context) error {
		p, acc, err := h.Store.FindPatient(ctx, c.actor, patientID)
		if err != nil {
			return err
		}
		return fn(ctx, p, acc)
	})
}

// readsNotes and readsDosing are Everything's checks: a clinician who may
// read the patient's notes, and a clinician (the store answers dosing
// records to a caseload only).
func readsNotes(c *caller, acc store.Access) bool {
	return acc.Can(auth.PermNoteRead) && auth.CanSome(c.actor.Role, auth.PermCaseload)
}

func readsDosing(c *caller, acc store.Access) bool {
	return acc.Can(auth.PermChart) && auth.CanSome(c.actor.Role, auth.PermCaseload)
}

// statusOf is the status of the resources a status parameter filters.
func statusOf(r Resource) string {
	switch r := r.(type) {
	case CareTeam:
		return r.Status
	case MedicationStatement:
		return r.Status
	case Flag:
		return r.Status
	case Consent:
		return r.Status
	case CarePlan:
		return r.Status
	}
	return ""
}

// statusFilter reads the status parameter: each value a comma list of
// codes (or), every value to hold; nil when absent.
func statusFilter(v url.Values) (func(string) bool, error) {
	vals, ok := v["status"]
	if !ok {
		return nil, nil
	}
	sets, err := parseTokens("status", vals)
	if err != nil {
		return nil, err
	}
	return func(s string) bool {
		for _, alts := range sets {
			if !slices.ContainsFunc(alts, func(t Token) bool { return t.Code == s }) {
				return false
			}
		}
		return true
	}, nil
}

// wholeList is a type whose resources of one patient are few and bounded
// by the patient's record (a care team, courses, consents, flags, an
// intake's medications): read whole in one view, filtered and paged in Go.
type wholeList struct {
	typ string
	// owner finds the patient of a resource id (ENotFound if none).
	owner func(ctx context.Context, h *Handler, id string) (string, error)
	// list reads the patient's resources of the type, and with include
	// what each includes (by resource id).
	list func(ctx context.Context, h *Handler, c *caller, p *store.Patient, acc store.Access, include bool) ([]Resource, map[string][]Resource, error)
}

func (w wholeList) read(ctx context.Context, h *Handler, c *caller, id string) (Resource, error) {
	pid, err := w.owner(ctx, h, id)
	if err != nil {
		return nil, err
	}
	var out Resource
	err = h.withPatient(ctx, c, pid, func(ctx context.Context, p *store.Patient, acc store.Access) error {
		list, _, err := w.list(ctx, h, c, p, acc, false)
		for _, r := range list {
			if r.ResourceID() == id {
				out = r
			}
		}
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

func (w wholeList) search(ctx context.Context, h *Handler, c *caller, q *query, v url.Values) (Resource, error) {
	pid, err := patientOf(ctx, h, c, v)
	if err != nil {
		return nil, err
	}
	keep, err := statusFilter(v)
	if err != nil {
		return nil, err
	}
	var list []Resource
	var inc map[string][]Resource
	err = h.withPatient(ctx, c, pid, func(ctx context.Context, p *store.Patient, acc store.Access) error {
		var err error
		list, inc, err = w.list(ctx, h, c, p, acc, len(q.include) > 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	list = slices.DeleteFunc(list, func(r Resource) bool {
		return (len(q.ids) > 0 && !slices.Contains(q.ids, r.ResourceID())) || (keep != nil && !keep(statusOf(r)))
	})
	total := len(list)
	if q.summary {
		return c.bundle(w.typ, q, total, nil, ""), nil
	}
	if q.cursor != "" {
		start, err := afterCursor(q)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(list, func(r Resource) bool { return r.ResourceID() == start })
		if i < 0 {
			return nil, badParam(cursorParam, "this page link is not valid: start the search again.")
		}
		list = list[i:]
	}
	next := ""
	if len(list) > q.count {
		next, list = encodeCursor(list[q.count].ResourceID()), list[:q.count]
	}
	b := c.bundle(w.typ, q, total, list, next)
	for _, r := range list {
		c.include(b, inc[r.ResourceID()]...)
	}
	return b, nil
}

// include adds resources to a searchset as included (search mode
// include), each once and never one already in it.
func (c *caller) include(b *Bundle, rs ...Resource) {
	for _, r := range rs {
		url := c.base + "/" + r.ResourceType() + "/" + r.ResourceID()
		if slices.ContainsFunc(b.Entry, func(e BundleEntry) bool { return e.FullURL == url }) {
			continue
		}
		b.Entry = append(b.Entry, BundleEntry{FullURL: url, Resource: r, Search: &BundleSearch{Mode: "include"}})
	}
}

// prefixOwner is the owner of a composite id that starts with the
// patient's id and then sep (store ids hold no "-").
func prefixOwner(sep string) func(context.Context, *Handler, string) (string, error) {
	return func(_ context.Context, _ *Handler, id string) (string, error) {
		pid, _, ok := strings.Cut(id, sep)
		if !ok || pid == "" || !ValidID(pid) {
			return "", notFound
		}
		return pid, nil
	}
}

// storeOwner is the owner of a row's id, from the store.
func storeOwner(kind string) func(context.Context, *Handler, string) (string, error) {
	return func(ctx context.Context, h *Handler, id string) (string, error) {
		return h.Store.FHIROwner(ctx, kind, id)
	}
}

// CareTeam

var careTeams = wholeList{
	typ: "CareTeam",
	owner: func(_ context.Context, _ *Handler, id string) (string, error) {
		pid, ok := strings.CutSuffix(id, "-care-team")
		if !ok || strings.Contains(pid, "-") {
			return "", notFound
		}
		return pid, nil
	},
	list: func(ctx context.Context, h *Handler, c *caller, p *store.Patient, acc store.Access, include bool) ([]Resource, map[string][]Resource, error) {
		if !acc.Can(auth.PermProfile) {
			return nil, nil, nil
		}
		team, err := h.Store.CareTeam(ctx, c.actor, p.ID)
		if err != nil {
			return nil, nil, err
		}
		ct, err := c.m.CareTeam(p.ID, team)
		if err != nil {
			return nil, nil, err
		}
		var inc []Resource
		if include {
			// CareTeam:participant: the members, read with the team
			// (no other read, so nothing beyond what the team shows).
			for _, tm := range team {
				pr, err := c.m.Practitioner(tm.User)
				if err != nil {
					return nil, nil, err
				}
				inc = append(inc, pr)
			}
		}
		return []Resource{ct}, map[string][]Resource{ct.ID: inc}, nil
	},
}

// MedicationStatement

var medications = wholeList{
	typ: "MedicationStatement",
	owner: func(ctx context.Context, h *Handler, id string) (string, error) {
		if strings.Contains(id, "-intake-") {
			return prefixOwner("-intake-")(ctx, h, id)
		}
		return h.Store.FHIROwner(ctx, store.OwnerPrescription, id)
	},
	list: func(ctx context.Context, h *Handler, c *caller, p *store.Patient, acc store.Access, _ bool) ([]Resource, map[string][]Resource, error) {
		if !acc.Can(auth.PermChart) {
			return nil, nil, nil
		}
		sc, err := h.Store.FHIRScreening(ctx, c.actor, p.ID)
		if err != nil {
			return nil, nil, err
		}
		var out []Resource
		if sc.Screened != nil {
			meds, err := c.m.IntakeMedications(p, sc.Screened)
			if err != nil {
				return nil, nil, err
			}
			for _, m := range meds {
				out = append(out, m)
			}
		}
		if acc.Can(auth.PermClinicalRead) {
			rx, err := h.Store.FindPrescriptions(ctx, c.actor, p.ID)
			if err != nil {
				return nil, nil, err
			}
			var all []store.Prescription
			if rx.Current != nil {
				all = append(all, *rx.Current)
			}
			for _, r := range append(all, rx.Past...) {
				ms, err := c.m.Prescription(p.ID, r)
				if err != nil {
					return nil, nil, err
				}
				out = append(out, ms)
			}
		}
		return out, nil, nil
	},
}

// Flag

var flags = wholeList{
	typ: "Flag",
	owner: func(ctx context.Context, h *Handler, id string) (string, error) {
		if strings.Contains(id, "-") {
			return prefixOwner("-")(ctx, h, id)
		}
		return h.Store.FHIROwner(ctx, store.OwnerAlert, id)
	},
	list: func(ctx context.Context, h *Handler, c *caller, p *store.Patient, acc store.Access, _ bool) ([]Resource, map[string][]Resource, error) {
		if !acc.Can(auth.PermChart) {
			return nil, nil, nil
		}
		sc, err := h.Store.FHIRScreening(ctx, c.actor, p.ID)
		if err != nil {
			return nil, nil, err
		}
		fs, err := c.m.ScreeningFlags(p.ID, sc.Screened, sc.Flags)
		if err != nil {
			return nil, nil, err
		}
		var out []Resource
		for _, f := range fs {
			out = append(out, f)
		}
		for _, a := range sc.Alerts {
			f, err := c.m.SafetyAlert(a)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, f)
		}
		return out, nil, nil
	},
}

// Consent

var consents = wholeList{
	typ:   "Consent",
	owner: storeOwner(store.OwnerSignature),
	list: func(ctx context.Context, h *Handler, c *caller, p *store.Patient, acc store.Access, _ bool) ([]Resource, map[string][]Resource, error) {
		if !acc.Can(auth.PermChart) {
			return nil, nil, nil
		}
		list, err := h.Store.PatientConsents(ctx, c.actor, p.ID)
		if err != nil {
			return nil, nil, err
		}
		var out []Resource
		for _, cs := range list {
			rs, err := c.m.Consents(p.ID, cs)
			if err != nil {
				return nil, nil, err
			}
			for _, r := range rs {
				out = append(out, r)
			}
		}
		return out, nil, nil
	},
}

// CarePlan

var carePlans = wholeList{
	typ:   "CarePlan",
	owner: prefixOwner("-course-"),
	list: func(ctx context.Context, h *Handler, c *caller, p *store.Patient, acc store.Access, _ bool) ([]Resource, map[string][]Resource, error) {
		if !acc.Can(auth.PermChart) {
			return nil, nil, nil
		}
		tl, err := h.Store.Timeline(ctx, c.actor, p.ID)
		if err != nil {
			return nil, nil, err
		}
		plans, err := c.m.CarePlans(p, tl)
		if err != nil {
			return nil, nil, err
		}
		var out []Resource
		for _, pl := range plans {
			out = append(out, pl)
		}
		return out, nil, nil
	},
}

// PractitionerRole

func readPractitionerRole(ctx context.Context, h *Handler, c *caller, id string) (Resource, error) {
	page, err := h.Store.PageStaff(ctx, c.actor, id, store.PageKey{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(page.Rows) == 0 {
		return nil, notFound
	}
	return c.m.PractitionerRole(page.Rows[0])
}

func searchPractitionerRoles(ctx context.Context, h *Handler, c *caller, q *query, _ url.Values) (Resource, error) {
	if len(q.ids) > 1 {
		return nil, badParam("_id", "kapstone finds one practitioner role by id at a time.")
	}
	id := ""
	if len(q.ids) == 1 {
		id = q.ids[0]
	}
	after, err := afterCursor(q)
	if err != nil {
		return nil, err
	}
	page, err := h.Store.PageStaff(ctx, c.actor, id, store.PageKey{After: after, Limit: max(q.count, 1)})
	if isNotFound(err) {
		return c.bundle("PractitionerRole", q, 0, nil, ""), nil
	}
	if err != nil {
		return nil, err
	}
	return pageBundle(c, "PractitionerRole", q, page.Total, page.Rows, page.Next, c.m.PractitionerRole)
}

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
	var entries []Resource
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
	return c.bundle("Provenance", q, total, entries, next), nil
}
