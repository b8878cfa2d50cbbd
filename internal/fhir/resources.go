package fhir

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// searchParam is one search parameter a resource type takes, as the
// CapabilityStatement lists it.
type searchParam struct {
	Name, Type, Definition, Doc string
}

const spBase = "http://hl7.org/fhir/SearchParameter/"

// resourceDef is one resource type the API serves: how it is read and
// searched, and what it says of itself in the CapabilityStatement. The
// table resourceTypes routes requests and writes /fhir/metadata, so the
// CapabilityStatement says exactly what is served.
type resourceDef struct {
	typ      string
	doc      string
	profiles []string
	params   []searchParam
	sort     string   // the parameter _sort takes ("" for none)
	includes []string // the _include values served (searchInclude)
	read     func(ctx context.Context, h *Handler, c *caller, id string) (Resource, error)
	search   func(ctx context.Context, h *Handler, c *caller, q *query, v url.Values) (Resource, error)
	// create, when set, takes a new resource of the type (POST /fhir/Type
	// with a token that writes): it answers the resource as stored.
	create func(ctx context.Context, h *Handler, c *caller, body []byte) (Resource, error)
}

var resourceTypes = map[string]*resourceDef{}

// resourceOrder is the table's order, for the CapabilityStatement.
var resourceOrder []string

func init() {
	idParam := searchParam{"_id", "token", spBase + "Resource-id", "The resource's id (one for Patient)."}
	patientParams := []searchParam{
		{"patient", "reference", "", "The patient (Patient/id or id): one. A patient's own token may leave it out."},
		{"subject", "reference", "", "The same as patient."},
	}
	for _, d := range []*resourceDef{
		{
			typ: "Patient", doc: "The patients the token's account may see: a patient themself; a clinician their care team's patients (their caseload, by name); an administrator every patient.",
			profiles: []string{ProfilePatient}, params: []searchParam{idParam},
			read: readPatient, search: searchPatients,
		},
		{
			typ: "Practitioner", doc: "The practice's staff, for a member of staff (a patient's token finds none).",
			params: []searchParam{idParam}, read: readStaff(Mapper.Practitioner), search: searchStaff("Practitioner", Mapper.Practitioner),
		},
		{
			typ: "Questionnaire", doc: "The questionnaires kapstone ships (PHQ-9, GAD-7, PHQ-2), built from its measure definitions with their LOINC codes.",
			params: []searchParam{idParam, {"url", "uri", spBase + "conformance-url", "The canonical URL."}},
			read:   readQuestionnaire, search: searchQuestionnaires,
		},
		{
			typ: "QuestionnaireResponse", doc: "Completed check-ins of the shipped questionnaires. Create (POST, a token that reads and writes): a completed PHQ-9, GAD-7 or PHQ-2 answered in another app, for the token's own patient or a patient on the care team; scored, stored and checked for risk exactly as the portal's check-in (a positive risk answer alerts the care team), answered 201 with the QuestionnaireResponse as stored.",
			profiles: []string{ProfileQuestionnaireResponse},
			params: append(withDefs(patientParams, "QuestionnaireResponse"),
				searchParam{"authored", "date", spBase + "QuestionnaireResponse-authored", "When it was completed, with a prefix (eq, ne, lt, le, gt, ge, sa, eb); a date without a time is a UTC day."},
				searchParam{"questionnaire", "reference", spBase + "QuestionnaireResponse-questionnaire", "The Questionnaire's canonical URL."}),
			sort: "authored", read: readQuestionnaireResponse, search: searchQuestionnaireResponses, create: createQuestionnaireResponse,
		},
		{
			typ: "Observation", doc: "Scores of completed check-ins (panel, total with its band as interpretation, items; LOINC-coded, category survey, derived from the QuestionnaireResponse) and dosing-session vital signs (blood pressure 85354-9, heart rate 8867-4, SpO2 2708-6/59408-5; category vital-signs; for clinicians).",
			profiles: []string{ProfileScreeningAssessment, ProfileBloodPressure, ProfileHeartRate, ProfilePulseOximetry},
			params: append(withDefs(patientParams, "Observation"),
				searchParam{"code", "token", spBase + "clinical-code", "LOINC code (http://loinc.org|code or code); a comma between codes is or."},
				searchParam{"category", "token", spBase + "Observation-category", "survey or vital-signs."},
				searchParam{"date", "date", spBase + "clinical-date", "When it was observed, with a prefix (eq, ne, lt, le, gt, ge, sa, eb); a date without a time is a UTC day."}),
			sort: "date", includes: []string{"Observation:derived-from"}, read: readObservation, search: searchObservations,
		},
	} {
		resourceTypes[d.typ] = d
		resourceOrder = append(resourceOrder, d.typ)
	}
}

// withDefs fills the patient and subject parameters' definitions for typ.
func withDefs(ps []searchParam, typ string) []searchParam {
	out := slices.Clone(ps)
	for i := range out {
		if out[i].Name == "patient" && typ == "Observation" {
			out[i].Definition = spBase + "clinical-patient"
		} else {
			out[i].Definition = spBase + typ + "-" + out[i].Name
		}
	}
	return out
}

// notFound is the answer for anything the caller may not see or that does
// not exist: the same answer, never 403.
var notFound = clinic.Errorf(clinic.ENotFound, "We could not find that resource.")

func isNotFound(err error) bool {
	return clinic.ErrorCode(err) == clinic.ENotFound || errors.Is(err, sql.ErrNoRows)
}

// bundle is a searchset of entries, with the total and the self and next
// links (absolute; next "" when this is the last page).
func (c *caller) bundle(typ string, q *query, total int, entries []Resource, next string) *Bundle {
	b := &Bundle{Type: "searchset", Total: Int(total), Link: []BundleLink{{Relation: "self", URL: q.link(c.base, typ, q.cursor)}}}
	if next != "" {
		b.Link = append(b.Link, BundleLink{Relation: "next", URL: q.link(c.base, typ, next)})
	}
	for _, r := range entries {
		b.Entry = append(b.Entry, BundleEntry{FullURL: c.base + "/" + r.ResourceType() + "/" + r.ResourceID(), Resource: r, Search: &BundleSearch{Mode: "match"}})
	}
	return b
}

// Patient

func readPatient(ctx context.Context, h *Handler, c *caller, id string) (Resource, error) {
	var p *store.Patient
	err := h.inView(ctx, c, id, func(ctx context.Context) error {
		var err error
		p, _, err = h.Store.FindPatient(ctx, c.actor, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	out, err := c.m.Patient(p)
	return out, err
}

// ownPatient is the patient record of a patient's own account, or "" for
// any other account.
func ownPatient(ctx context.Context, h *Handler, c *caller) (string, error) {
	p, err := h.Store.FindOwnPatient(ctx, c.actor)
	switch {
	case isNotFound(err):
		return "", nil
	case err != nil:
		return "", err
	}
	return p.ID, nil
}

func searchPatients(ctx context.Context, h *Handler, c *caller, q *query, _ url.Values) (Resource, error) {
	own, err := ownPatient(ctx, h, c)
	if err != nil {
		return nil, err
	}
	if len(q.ids) > 1 {
		return nil, badParam("_id", "kapstone finds one patient by id at a time.")
	}
	one := ""
	switch {
	case own != "" && len(q.ids) == 1 && q.ids[0] != own:
		return c.bundle("Patient", q, 0, nil, ""), nil
	case own != "":
		one = own
	case len(q.ids) == 1:
		one = q.ids[0]
	}
	if one != "" {
		p, err := readPatient(ctx, h, c, one)
		if isNotFound(err) {
			return c.bundle("Patient", q, 0, nil, ""), nil
		}
		if err != nil {
			return nil, err
		}
		if q.summary {
			return c.bundle("Patient", q, 1, nil, ""), nil
		}
		return c.bundle("Patient", q, 1, []Resource{p}, ""), nil
	}
	after, err := afterCursor(q)
	if err != nil {
		return nil, err
	}
	page, err := h.Store.PagePatients(ctx, c.actor, store.PatientFilter{}, store.PageKey{After: after, Limit: max(q.count, 1)})
	if isNotFound(err) {
		return c.bundle("Patient", q, 0, nil, ""), nil
	}
	if err != nil {
		return nil, err
	}
	return pageBundle(c, "Patient", q, page.Total, page.Patients, page.Next, c.m.Patient)
}

// afterCursor is the key a keyset page of one list starts after: "" for
// the first page, else the one part of q's cursor.
func afterCursor(q *query) (string, error) {
	if q.cursor == "" {
		return "", nil
	}
	parts, err := decodeCursor(q.cursor, 1)
	if err != nil {
		return "", err
	}
	return parts[0], nil
}

// pageBundle answers one keyset page of a list of typ (rows, of total in
// all, next the key after its last row or ""), each row mapped by mapOne;
// the total alone under _summary=count.
func pageBundle[T any, R Resource](c *caller, typ string, q *query, total int, rows []T, next string, mapOne func(T) (R, error)) (Resource, error) {
	if q.summary {
		return c.bundle(typ, q, total, nil, ""), nil
	}
	entries := make([]Resource, 0, len(rows))
	for _, row := range rows {
		r, err := mapOne(row)
		if err != nil {
			return nil, err
		}
		entries = append(entries, r)
	}
	if next != "" {
		next = encodeCursor(next)
	}
	return c.bundle(typ, q, total, entries, next), nil
}

// Practitioner (and PractitionerRole): the staff directory, one staff
// account a resource of the type mapOne makes.

func readStaff[R Resource](mapOne func(Mapper, *clinic.User) (R, error)) func(context.Context, *Handler, *caller, string) (Resource, error) {
	return func(ctx context.Context, h *Handler, c *caller, id string) (Resource, error) {
		page, err := h.Store.PageStaff(ctx, c.actor, id, store.PageKey{Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(page.Rows) == 0 {
			return nil, notFound
		}
		return mapOne(c.m, page.Rows[0])
	}
}

func searchStaff[R Resource](typ string, mapOne func(Mapper, *clinic.User) (R, error)) func(context.Context, *Handler, *caller, *query, url.Values) (Resource, error) {
	return func(ctx context.Context, h *Handler, c *caller, q *query, _ url.Values) (Resource, error) {
		if len(q.ids) > 1 {
			return nil, badParam("_id", "kapstone finds one staff member by id at a time.")
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
			return c.bundle(typ, q, 0, nil, ""), nil
		}
		if err != nil {
			return nil, err
		}
		return pageBundle(c, typ, q, page.Total, page.Rows, page.Next, func(u *clinic.User) (R, error) { return mapOne(c.m, u) })
	}
}

// Questionnaire

// shippedIDs are the instruments that have a Questionnaire, in
// internal/measure's order.
func shippedIDs() []string {
	var out []string
	for _, inst := range measure.All() {
		if _, ok := Shipped(inst.ID); ok {
			out = append(out, inst.ID)
		}
	}
	return out
}

func readQuestionnaire(_ context.Context, _ *Handler, c *caller, id string) (Resource, error) {
	if _, ok := Shipped(id); !ok {
		return nil, notFound
	}
	return c.m.Questionnaire(id)
}

// instrumentsOf reads the questionnaire (or url) parameter: canonical URLs
// (optionally |version) of shipped Questionnaires, a comma between them
// or. Nil when the parameter is absent; an unknown URL matches nothing.
func instrumentsOf(name string, v url.Values) []string {
	vals, ok := v[name]
	if !ok {
		return nil
	}
	var sets [][]string
	for _, val := range vals {
		var set []string
		for u := range strings.SplitSeq(val, ",") {
			u, _, _ = strings.Cut(u, "|")
			for _, id := range shippedIDs() {
				if u == QuestionnaireURL(id) || u == "Questionnaire/"+id {
					set = append(set, id)
				}
			}
		}
		sets = append(sets, set)
	}
	out := []string{}
	for _, id := range shippedIDs() {
		all := true
		for _, s := range sets {
			all = all && slices.Contains(s, id)
		}
		if all {
			out = append(out, id)
		}
	}
	return out
}

func searchQuestionnaires(_ context.Context, _ *Handler, c *caller, q *query, v url.Values) (Resource, error) {
	ids := shippedIDs()
	if urls := instrumentsOf("url", v); urls != nil {
		ids = slices.DeleteFunc(ids, func(id string) bool { return !slices.Contains(urls, id) })
	}
	if len(q.ids) > 0 {
		ids = slices.DeleteFunc(ids, func(id string) bool { return !slices.Contains(q.ids, id) })
	}
	total := len(ids)
	if q.cursor != "" {
		parts, err := decodeCursor(q.cursor, 1)
		if err != nil {
			return nil, err
		}
		if i := slices.Index(ids, parts[0]); i >= 0 {
			ids = ids[i:]
		}
	}
	if q.summary {
		return c.bundle("Questionnaire", q, total, nil, ""), nil
	}
	next := ""
	if len(ids) > q.count {
		next, ids = encodeCursor(ids[q.count]), ids[:q.count]
	}
	var entries []Resource
	for _, id := range ids {
		r, err := c.m.Questionnaire(id)
		if err != nil {
			return nil, err
		}
		entries = append(entries, r)
	}
	return c.bundle("Questionnaire", q, total, entries, next), nil
}

// Records: QuestionnaireResponse and Observation.

// patientOf reads the patient (or subject) parameter; without one, a
// patient's own token searches their own record and anyone else is asked
// for one.
func patientOf(ctx context.Context, h *Handler, c *caller, v url.Values) (string, error) {
	var ids []string
	for _, name := range []string{"patient", "subject"} {
		for _, val := range v[name] {
			id, err := reference(name, val, c.base)
			if err != nil {
				return "", err
			}
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	switch ids = slices.Compact(ids); len(ids) {
	case 1:
		return ids[0], nil
	case 0:
	default:
		return "", badParam("patient", "kapstone searches one patient at a time.")
	}
	own, err := ownPatient(ctx, h, c)
	if err != nil {
		return "", err
	}
	if own == "" {
		return "", badParam("patient", "give the patient (patient=Patient/id): kapstone searches one patient's record at a time.")
	}
	return own, nil
}

// datesOf reads a date parameter's values (each must hold).
func datesOf(name string, v url.Values) ([]store.TimeCond, error) {
	var out []store.TimeCond
	for _, val := range v[name] {
		if strings.Contains(val, ",") {
			return nil, badParam(name, "one date per parameter: repeat the parameter for a range (date=ge...&date=lt...).")
		}
		c, err := parseDate(name, val)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// fromCursor reads a records cursor: kind, id and how many of the row's
// resources the pages before showed.
func fromCursor(q *query) (*store.RecordKey, error) {
	if q.cursor == "" {
		return nil, nil
	}
	parts, err := decodeCursor(q.cursor, 3)
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(parts[2])
	if err != nil || n < 0 || (parts[0] != store.RecordCheckin && parts[0] != store.RecordVitals) || !ValidID(parts[1]) {
		return nil, badParam(cursorParam, "this page link is not valid: start the search again.")
	}
	return &store.RecordKey{Kind: parts[0], ID: parts[1], Skip: n}, nil
}

// pageRecords reads one page of f for the search q and expands each row
// into its resources (expand), the page cut after q.count resources; the
// next page starts where it was cut.
func pageRecords(ctx context.Context, h *Handler, c *caller, typ string, q *query, f store.RecordFilter, expand func(store.RecordRow) ([]Resource, error)) (Resource, error) {
	from, err := fromCursor(q)
	if err != nil {
		return nil, err
	}
	f.From, f.Desc, f.Limit = from, q.desc, q.count
	if q.summary {
		f.Limit = 0
	}
	var page *store.RecordPage
	err = h.inView(ctx, c, f.PatientID, func(ctx context.Context) error {
		var err error
		page, err = h.Store.FHIRRecords(ctx, c.actor, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	var entries []Resource
	next := ""
rows:
	for i, row := range page.Rows {
		res, err := expand(row)
		if err != nil {
			return nil, err
		}
		skip := 0
		if i == 0 && from != nil && row.Kind == from.Kind && row.ID == from.ID {
			skip = min(from.Skip, len(res))
		}
		for j := skip; j < len(res); j++ {
			if len(entries) == q.count {
				next = encodeCursor(row.Kind, row.ID, strconv.Itoa(j))
				break rows
			}
			entries = append(entries, res[j])
		}
	}
	return c.bundle(typ, q, page.Total, entries, next), nil
}

func searchQuestionnaireResponses(ctx context.Context, h *Handler, c *caller, q *query, v url.Values) (Resource, error) {
	pid, err := patientOf(ctx, h, c, v)
	if err != nil {
		return nil, err
	}
	when, err := datesOf("authored", v)
	if err != nil {
		return nil, err
	}
	insts := instrumentsOf("questionnaire", v)
	if insts == nil {
		insts = shippedIDs()
	}
	f := store.RecordFilter{PatientID: pid, Checkins: map[string]store.RecordWeight{}, When: when}
	for _, id := range insts {
		f.Checkins[id] = store.RecordWeight{Fixed: 1}
	}
	return pageRecords(ctx, h, c, "QuestionnaireResponse", q, f, func(row store.RecordRow) ([]Resource, error) {
		qr, err := c.m.QuestionnaireResponse(pid, *row.Checkin)
		return []Resource{qr}, err
	})
}

func readQuestionnaireResponse(ctx context.Context, h *Handler, c *caller, id string) (Resource, error) {
	pid, row, err := h.Store.FHIRRecord(ctx, c.actor, store.RecordCheckin, id)
	if err != nil {
		return nil, err
	}
	if _, ok := Shipped(row.Checkin.Instrument); !ok {
		return nil, notFound
	}
	return c.m.QuestionnaireResponse(pid, *row.Checkin)
}
