package fhir

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// FHIR Bulk Data Access 2.0 export (https://hl7.org/fhir/uv/bulkdata/):
//
//	GET /fhir/Patient/$export             every patient the token's account may list
//	GET /fhir/Group/{id}/$export          a Group: "practice" (administrators) or
//	                                      "team-{user id}" (a clinician's care-team caseload:
//	                                      administrators, or that clinician)
//	GET /fhir/Group/{id}                  the Group itself (no members listed)
//	GET|DELETE /fhir/bulk-status/{id}     the export's status; DELETE cancels and deletes it
//	GET /fhir/bulk-file/{id}/{Type}.ndjson one file of a finished export
//
// Kick-off needs Prefer: respond-async and takes _outputFormat
// (application/fhir+ndjson, application/ndjson, ndjson), _since (an
// instant), _type (types, commas or repeated) and kapstone's own
// _deidentify=true (Deidentifier); any other parameter, or a type not
// exported, is a 400 unless Prefer: handling=lenient. The status and the
// files answer only the token's account that kicked off the export (any
// other: 404), and expire store.BulkExportTTL after the export ends.

const (
	bulkStatusPath = "bulk-status"
	bulkFilePath   = "bulk-file"
	ndjsonType     = "application/fhir+ndjson"
)

// Group is a set of patients a bulk export can be asked for (R4 Group):
// the practice, or a clinician's care-team caseload. Its members are not
// listed: the export is the way to them.
type Group struct {
	ID       string `json:"id,omitempty"`
	Type     string `json:"type"`
	Actual   bool   `json:"actual"`
	Name     string `json:"name,omitempty"`
	Quantity *int   `json:"quantity,omitempty"`
}

func (Group) ResourceType() string { return "Group" }
func (r Group) ResourceID() string { return r.ID }
func (r Group) MarshalJSON() ([]byte, error) {
	type t Group
	return marshal(r.ResourceType(), t(r))
}

// bulk answers the bulk export's requests (segs: the path under /fhir/)
// and reports whether it did; any other path is the handler's.
func (h *Handler) bulk(w http.ResponseWriter, r *http.Request, ct string, c *caller, segs []string) bool {
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case len(segs) == 2 && segs[0] == "Patient" && segs[1] == "$export",
		len(segs) == 3 && segs[0] == "Group" && segs[2] == "$export":
		if r.Method != http.MethodGet { // a HEAD must not start an export
			h.notAllowed(w, r, ct, "GET")
			return true
		}
		group := ""
		if segs[0] == "Group" {
			group = segs[1]
		}
		h.kickoff(w, r, ct, c, group)
	case len(segs) == 2 && segs[0] == "Group":
		if !get {
			h.notAllowed(w, r, ct, "GET, HEAD")
			return true
		}
		g, err := h.Store.FindBulkGroup(r.Context(), c.actor, segs[1])
		if err != nil {
			h.error(w, r, ct, err)
			return true
		}
		h.write(w, r, ct, http.StatusOK, Group{ID: g.ID, Type: "person", Actual: true, Name: g.Name, Quantity: Int(g.Size)})
	case len(segs) == 2 && segs[0] == bulkStatusPath:
		switch {
		case r.Method == http.MethodDelete:
			if err := h.Store.DeleteBulkExport(r.Context(), c.actor, segs[1]); err != nil {
				h.error(w, r, ct, err)
				return true
			}
			h.write(w, r, ct, http.StatusAccepted, &OperationOutcome{Issue: []OutcomeIssue{{Severity: "information", Code: "informational", Diagnostics: "The export was cancelled and its files deleted."}}})
		case get:
			h.status(w, r, ct, c, segs[1])
		default:
			h.notAllowed(w, r, ct, "GET, HEAD, DELETE")
		}
	case len(segs) == 3 && segs[0] == bulkFilePath:
		if !get {
			h.notAllowed(w, r, ct, "GET, HEAD")
			return true
		}
		h.file(w, r, ct, c, segs[1], segs[2])
	default:
		return false
	}
	return true
}

func (h *Handler) notAllowed(w http.ResponseWriter, r *http.Request, ct, allow string) {
	w.Header().Set("Allow", allow)
	h.fail(w, r, ct, http.StatusMethodNotAllowed, "not-supported", "That method is not served here.")
}

// exportRequest is a kick-off's parameters.
type exportRequest struct {
	types      []string
	since      *time.Time
	deidentify bool
}

// parseExport reads a kick-off's parameters: a field error for anything
// it does not take, unless lenient (then it is ignored).
func parseExport(v url.Values, lenient bool) (exportRequest, error) {
	var out exportRequest
	for k, vals := range v {
		switch k {
		case "_format":
		case "_outputFormat":
			for _, f := range vals {
				switch f {
				case ndjsonType, "application/ndjson", "ndjson":
				default:
					return out, badParam(k, "kapstone exports NDJSON only: _outputFormat=application/fhir+ndjson.")
				}
			}
		case "_since":
			if len(vals) != 1 {
				return out, badParam(k, "Give _since once.")
			}
			t, err := time.Parse(time.RFC3339Nano, vals[0])
			if err != nil {
				return out, badParam(k, "_since must be a FHIR instant, such as 2026-01-02T15:04:05Z.")
			}
			t = t.UTC()
			out.since = &t
		case "_type":
			for _, list := range vals {
				for typ := range strings.SplitSeq(list, ",") {
					typ = strings.TrimSpace(typ)
					switch {
					case slices.Contains(BulkTypes, typ):
						if !slices.Contains(out.types, typ) {
							out.types = append(out.types, typ)
						}
					case !lenient:
						return out, badParam(k, "kapstone does not export that resource type. It exports "+strings.Join(BulkTypes, ", ")+".")
					}
				}
			}
			if len(out.types) == 0 && !lenient {
				return out, badParam(k, "Name at least one resource type.")
			}
		case "_deidentify":
			switch strings.Join(vals, ",") {
			case "true":
				out.deidentify = true
			case "false":
			default:
				return out, badParam(k, "_deidentify is true or false.")
			}
		default:
			if !lenient {
				return out, badParam(k, "kapstone's export does not take this parameter (it takes _outputFormat, _since, _type and _deidentify). Send Prefer: handling=lenient to have it ignored.")
			}
		}
	}
	return out, nil
}

// prefers reports whether the request's Prefer header holds token.
func prefers(r *http.Request, token string) bool {
	for _, v := range r.Header.Values("Prefer") {
		for p := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(p), " ", ""), token) {
				return true
			}
		}
	}
	return false
}

// kickoff starts an export of group ("" for Patient/$export).
func (h *Handler) kickoff(w http.ResponseWriter, r *http.Request, ct string, c *caller, group string) {
	if !prefers(r, "respond-async") {
		h.fail(w, r, ct, http.StatusBadRequest, "invalid", "A bulk export runs in the background: send Prefer: respond-async.")
		return
	}
	if a := r.Header.Get("Accept"); a != "" && !strings.Contains(a, ContentType) && !strings.Contains(a, jsonType) && !strings.Contains(a, "*/*") {
		h.fail(w, r, ct, http.StatusBadRequest, "invalid", "Send Accept: application/fhir+json.")
		return
	}
	req, err := parseExport(r.URL.Query(), prefers(r, "handling=lenient"))
	if err != nil {
		h.error(w, r, ct, err)
		return
	}
	if group != "" && !ValidID(group) {
		h.fail(w, r, ct, http.StatusNotFound, "not-found", "We could not find that group.")
		return
	}
	request := c.base + strings.TrimPrefix(r.URL.Path, "/fhir")
	if r.URL.RawQuery != "" {
		request += "?" + r.URL.RawQuery
	}
	e, err := h.Store.StartBulkExport(r.Context(), c.actor, store.BulkExport{
		Request: request, Base: c.base, Group: group, Types: req.types, Since: req.since, Deidentify: req.deidentify})
	if err != nil {
		h.error(w, r, ct, err)
		return
	}
	w.Header().Set("Content-Location", c.base+"/"+bulkStatusPath+"/"+e.ID)
	h.write(w, r, ct, http.StatusAccepted, &OperationOutcome{Issue: []OutcomeIssue{{Severity: "information", Code: "informational",
		Diagnostics: "The export has started. Poll the URL in Content-Location for its progress and, when it is done, its files."}}})
}

// manifest is a finished export's answer.
type manifest struct {
	TransactionTime     string           `json:"transactionTime"`
	Request             string           `json:"request"`
	RequiresAccessToken bool             `json:"requiresAccessToken"`
	Output              []manifestOutput `json:"output"`
	Error               []manifestOutput `json:"error"`
}

type manifestOutput struct {
	Type  string `json:"type"`
	URL   string `json:"url"`
	Count int    `json:"count"`
}

// status answers the status of the caller's export id.
func (h *Handler) status(w http.ResponseWriter, r *http.Request, ct string, c *caller, id string) {
	st, err := h.Store.BulkExportStatus(r.Context(), c.actor, id)
	if err != nil {
		h.error(w, r, ct, err)
		return
	}
	e := st.Export
	switch e.Status {
	case store.BulkPending, store.BulkRunning:
		w.Header().Set("X-Progress", strconv.Itoa(e.Done)+" of "+strconv.Itoa(e.Total)+" patients")
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusAccepted)
		return
	case store.BulkFailed:
		h.fail(w, r, ct, http.StatusInternalServerError, "exception", "The export failed: "+e.Error)
		return
	}
	m := manifest{TransactionTime: Instant(e.TransactionTime), Request: e.Request, RequiresAccessToken: true,
		Output: []manifestOutput{}, Error: []manifestOutput{}}
	files := map[string]int{}
	for _, f := range st.Files {
		files[f.Type] = f.Lines
	}
	for _, typ := range BulkTypes {
		if n, ok := files[typ]; ok {
			m.Output = append(m.Output, manifestOutput{Type: typ, URL: c.base + "/" + bulkFilePath + "/" + e.ID + "/" + typ + ".ndjson", Count: n})
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		h.error(w, r, ct, err)
		return
	}
	w.Header().Set("Content-Type", jsonType+"; charset=utf-8")
	w.Header().Set("Expires", e.ExpiresAt.UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	w.Write(append(b, '\n'))
}

// file answers one NDJSON file of the caller's finished export id.
func (h *Handler) file(w http.ResponseWriter, r *http.Request, ct string, c *caller, id, name string) {
	typ, ok := strings.CutSuffix(name, ".ndjson")
	if !ok || !slices.Contains(BulkTypes, typ) {
		h.fail(w, r, ct, http.StatusNotFound, "not-found", "We could not find that file.")
		return
	}
	started := false
	err := h.Store.ReadBulkExportFile(r.Context(), c.actor, id, typ, func(b []byte) error {
		if !started {
			started = true
			w.Header().Set("Content-Type", ndjsonType)
			w.WriteHeader(http.StatusOK)
		}
		_, err := w.Write(b)
		return err
	})
	if err != nil && !started {
		h.error(w, r, ct, err)
		return
	}
	if err != nil {
		// The status was sent: the client sees a file cut short.
		h.Log.ErrorContext(r.Context(), "fhir: an export file could not be sent whole", "code", clinic.ErrorCode(err), "err", err)
	}
}

// bulkCapability adds the export operations to the CapabilityStatement:
// Patient's $export on Patient, and Group's among the server's operations
// (Group is not one of the searchable types: it is read, GET Group/{id},
// only to name what an export can be asked for).
func bulkCapability(rest *CapabilityRest) {
	rest.Operation = append(rest.Operation, CapabilityOperation{Name: "export", Definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"})
	for i := range rest.Resource {
		if rest.Resource[i].Type == "Patient" {
			rest.Resource[i].Operation = append(rest.Resource[i].Operation, CapabilityOperation{Name: "export", Definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"})
		}
	}
	rest.Documentation += ` Bulk Data export (FHIR Bulk Data 2.0, staff tokens): GET Patient/$export, or Group/{id}/$export for the Group "practice" (every patient; administrators) or "team-{user id}" (a clinician's care-team caseload; administrators and that clinician), with Prefer: respond-async; _outputFormat, _since, _type, and kapstone's own _deidentify=true, which writes ids as keyed hashes (a Patient's is the outcomes dashboard's patient key), moves every date by a per-patient offset of days and seconds, keeps a birth date's year only, and leaves out names, contact details, identifiers, narrative and free text. The status URL and files answer only the account that asked, for 24 hours.`
}
