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
			params: []searchParam{idParam}, read: readStaff(Mapper.PractitionerRole), search: searchStaff("PractitionerRole", Mapper.PractitionerRole),
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
			typ: "Flag", doc: "Screening flags of the newest submitted intake, and the latest 20 suicide-risk safety alerts, as the chart shows them (active while open).",
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
			profiles: []string{ProfileProvenance}, params: of("Provenance"), includes: []string{"Provenance:target"},
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
			out = appendAll(out, meds)
		}
		if acc.Can(auth.PermClinicalRead) {
			rx, err := h.Store.FindPrescriptions(ctx, c.actor, p.ID)
			if err != nil {
				return nil, nil, err
			}
			mss, err := c.m.Prescriptions(p.ID, rx)
			if err != nil {
				return nil, nil, err
			}
			out = appendAll(out, mss)
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
		out = appendAll(out, fs)
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
			out = appendAll(out, rs)
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
		out = appendAll(out, plans)
		return out, nil, nil
	},
}

// appendAll appends resources of one type to a list of resources.
func appendAll[R Resource](out []Resource, rs []R) []Resource {
	for _, r := range rs {
		out = append(out, r)
	}
	return out
}
