package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/bearer"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// Content types: FHIR's own, and plain JSON for clients that ask for it.
const (
	ContentType = "application/fhir+json"
	jsonType    = "application/json"
)

// Handler serves the FHIR R4 API under /fhir/: GET /fhir/metadata without
// a credential, and read and search of the resource types in its table
// (resourceTypes) with a personal API token sent as "Authorization: Bearer"
// (internal/bearer), never a session cookie. Access is the store's: the
// same policy and audit as the web pages, one audit row per request.
type Handler struct {
	Store *store.Store
	// Base returns the FHIR base URL for a request: absolute, without a
	// trailing slash ("https://clinic.example/fhir").
	Base func(*http.Request) string
	Log  *slog.Logger
	// Origin returns a request's client address and request id (the Addr
	// and RequestID of the actor it gives), for the audit log; nil leaves
	// them empty.
	Origin func(*http.Request) store.Actor
	// Realm names the practice in WWW-Authenticate challenges.
	Realm string
	// Now is the clock of the refused-token limit (nil: time.Now).
	Now func() time.Time
}

// caller is who a request speaks for, and where.
type caller struct {
	actor store.Actor
	base  string
	m     Mapper
	// patient is a SMART token's patient context: it sees that patient
	// alone (inView answers any other not found).
	patient string
}

// ServeHTTP answers one request under /fhir/.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ct, ok := responseType(r)
	if !ok {
		h.fail(w, r, ContentType, http.StatusNotAcceptable, "not-supported", "kapstone's FHIR API speaks JSON only: _format=json, application/fhir+json or application/json.")
		return
	}
	path := strings.Trim(strings.TrimPrefix(r.URL.Path, "/fhir"), "/")
	segs := strings.Split(path, "/")
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	if path == "metadata" && get {
		h.write(w, r, ct, http.StatusOK, h.Capability(h.Base(r)))
		return
	}
	if h.serveSMART(w, r, path) { // discovery and the token endpoint (smart.go)
		return
	}
	var origin store.Actor
	if h.Origin != nil {
		o := h.Origin(r)
		origin.Addr, origin.RequestID = o.Addr, o.RequestID
	}
	api, err := bearer.Authenticate(r, h.Store)
	if err != nil {
		var be *bearer.Error
		if errors.As(err, &be) && be == bearer.ErrInvalid {
			// A token that does not work is audited, and counts against
			// the caller's address: past the limit the answer is 429 and
			// no more rows are written (tokens carry 256 bits, so this
			// bounds the log, not the guessing).
			if wait, err := h.refused(r.Context(), origin); err != nil {
				h.error(w, r, ct, err)
				return
			} else if wait > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
				h.fail(w, r, ct, http.StatusTooManyRequests, "throttled", "Too many requests with API tokens that do not work from this address. Wait and try again.")
				return
			}
		}
		if be != nil {
			w.Header().Set("WWW-Authenticate", be.Challenge(h.Realm))
			code := "login"
			if be == bearer.ErrMalformed {
				code = "invalid"
			}
			h.fail(w, r, ct, be.Status(), code, be.Message)
			return
		}
		h.error(w, r, ct, err)
		return
	}
	actor := api.Actor
	actor.Addr, actor.RequestID = origin.Addr, origin.RequestID
	c := &caller{actor: actor, base: h.Base(r), m: Mapper{Base: h.Base(r)}, patient: api.PatientID}
	if !smartAllows(api.SMART, r.Method, segs) {
		h.fail(w, r, ct, http.StatusForbidden, "forbidden", "This app's token was not granted that (its SMART scopes do not name this resource type and interaction).")
		return
	}
	if h.bulk(w, r, ct, c, segs) { // Bulk Data export and its Groups (bulk.go)
		return
	}
	if def, ok := resourceTypes[path]; ok && def.create != nil && r.Method == http.MethodPost {
		h.create(w, r, ct, api.Scope, c, def)
		return
	}
	if !get {
		allow := "GET, HEAD"
		if def, ok := resourceTypes[path]; ok && def.create != nil {
			allow += ", POST"
		}
		w.Header().Set("Allow", allow)
		h.fail(w, r, ct, http.StatusMethodNotAllowed, "not-supported", "kapstone's FHIR API reads and searches (GET), and takes new QuestionnaireResponses (POST); nothing else.")
		return
	}
	if len(segs) == 3 && segs[0] == "Patient" && segs[2] == "$everything" {
		h.everything(w, r, ct, c, segs[1])
		return
	}
	def, ok := resourceTypes[segs[0]]
	if !ok || len(segs) > 2 || path == "" {
		h.fail(w, r, ct, http.StatusNotFound, "not-supported", "kapstone's FHIR API has no such resource type or operation. See /fhir/metadata for what it serves.")
		return
	}
	var res Resource
	if len(segs) == 2 {
		if !ValidID(segs[1]) {
			h.fail(w, r, ct, http.StatusNotFound, "not-found", "We could not find that resource.")
			return
		}
		res, err = def.read(r.Context(), h, c, segs[1])
	} else {
		strict := preferStrict(r)
		var q *query
		if q, err = parseQuery(r.URL.Query(), def.params, def.sort, strict); err == nil {
			if err = q.checkIncludes(def.includes); err == nil {
				res, err = def.search(r.Context(), h, c, q, r.URL.Query())
			}
		}
	}
	if err != nil {
		h.error(w, r, ct, err)
		return
	}
	h.write(w, r, ct, http.StatusOK, res)
}

// create answers POST /fhir/{Type} for a type that takes new resources:
// only with a token that writes, only a JSON body, 201 with the resource as
// stored and its Location. A refusal of the resource itself keeps its 422
// (a rule the resource breaks, with each issue's FHIRPath); a body that
// cannot be read is a 400.
func (h *Handler) create(w http.ResponseWriter, r *http.Request, ct string, scope store.TokenScope, c *caller, def *resourceDef) {
	if !scope.Writes() {
		h.fail(w, r, ct, http.StatusForbidden, "forbidden", "This API token reads only. Make one that reads and writes (under Your account) to send answers.")
		return
	}
	if mt := strings.TrimSpace(strings.SplitN(r.Header.Get("Content-Type"), ";", 2)[0]); mt != ContentType && mt != jsonType {
		h.fail(w, r, ct, http.StatusUnsupportedMediaType, "not-supported", "Send the resource as JSON: Content-Type application/fhir+json.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCreateBody))
	if err != nil {
		h.fail(w, r, ct, http.StatusRequestEntityTooLarge, "too-costly", "The request is too large.")
		return
	}
	res, err := def.create(r.Context(), h, c, body)
	if err != nil {
		status, out := Outcome(err)
		if status >= 500 {
			h.Log.ErrorContext(r.Context(), "fhir: create failed", "type", def.typ, "code", clinic.ErrorCode(err), "err", err)
		}
		h.write(w, r, ct, status, out)
		return
	}
	w.Header().Set("Location", c.base+"/"+res.ResourceType()+"/"+res.ResourceID())
	h.write(w, r, ct, http.StatusCreated, res)
}

// maxCreateBody bounds a POST's body; the resource's own limit (e.g.
// MaxQuestionnaireResponse) is checked by its decoder with a clear answer.
const maxCreateBody = 1 << 20

// createQuestionnaireResponse records a completed questionnaire sent from
// another app (DecodeQuestionnaireResponse, then the portal's one check-in
// path through RecordQuestionnaireResponse).
func createQuestionnaireResponse(ctx context.Context, h *Handler, c *caller, body []byte) (Resource, error) {
	in, err := DecodeQuestionnaireResponse(body)
	if err != nil {
		return nil, err
	}
	rec, err := c.m.RecordQuestionnaireResponse(ctx, h.Store, c.actor, in)
	if err != nil {
		return nil, err
	}
	return &rec.QuestionnaireResponse, nil
}

// preferStrict reports whether the request asks for strict handling of
// search parameters (Prefer: handling=strict).
func preferStrict(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for p := range strings.SplitSeq(v, ",") {
			p = strings.ReplaceAll(strings.TrimSpace(p), " ", "")
			if strings.EqualFold(p, "handling=strict") {
				return true
			}
		}
	}
	return false
}

// responseType is the content type to answer with: _format (json,
// application/json, application/fhir+json) or else FHIR's own; ok false
// for a format kapstone does not speak (XML, Turtle).
func responseType(r *http.Request) (string, bool) {
	f := r.URL.Query().Get("_format")
	switch strings.TrimSpace(strings.SplitN(f, ";", 2)[0]) {
	case "", "json", ContentType:
		return ContentType, true
	case jsonType:
		return jsonType, true
	}
	return "", false
}

// write answers res as JSON.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, ct string, status int, res Resource) {
	b, err := json.Marshal(res)
	if err != nil {
		h.Log.ErrorContext(r.Context(), "fhir: a resource could not be written", "type", res.ResourceType(), "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception","diagnostics":"Something went wrong on our side."}]}`)
	}
	w.Header().Set("Content-Type", ct+"; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// fail answers an OperationOutcome with one issue.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, ct string, status int, code, msg string) {
	h.write(w, r, ct, status, &OperationOutcome{Issue: []OutcomeIssue{{Severity: "error", Code: code, Diagnostics: msg}}})
}

// error answers err through Outcome; an unexpected one is logged (never
// with PHI: the error's code and the request's id only).
func (h *Handler) error(w http.ResponseWriter, r *http.Request, ct string, err error) {
	status, out := Outcome(err)
	if status >= 500 {
		h.Log.ErrorContext(r.Context(), "fhir: request failed", "code", clinic.ErrorCode(err), "err", err)
	}
	if status == http.StatusUnprocessableEntity {
		status = http.StatusBadRequest // a search parameter's field error is a bad request
	}
	h.write(w, r, ct, status, out)
}

// inView runs fn in one store view of patientID (one read transaction and
// one audit row, action fhir.read, for the request), then finishes the
// view before anything read is answered.
func (h *Handler) inView(ctx context.Context, c *caller, patientID string, fn func(ctx context.Context) error) error {
	if c.patient != "" && patientID != c.patient {
		return clinic.Errorf(clinic.ENotFound, "We could not find that resource.")
	}
	vctx, view, err := h.Store.BeginView(ctx, c.actor, patientID, "fhir.read")
	if err != nil {
		return err
	}
	defer view.Close()
	if err := fn(vctx); err != nil {
		return err
	}
	return view.Finish(ctx)
}

// tokenFailures limits the audited refusals of tokens that do not work:
// as many per address in the window as a sign-in link's (20 in 15
// minutes), counted from the audit log so every instance agrees.
var tokenFailures = struct {
	action string
	max    int
	window time.Duration
}{"apitoken.failure", 20, 15 * time.Minute}

// refused audits a refused token from origin's address and returns 0, or,
// when the address is past the limit, how long it must wait (and audits
// nothing).
func (h *Handler) refused(ctx context.Context, origin store.Actor) (time.Duration, error) {
	now := time.Now().UTC()
	if h.Now != nil {
		now = h.Now().UTC()
	}
	n, oldest, err := h.Store.CountAudit(ctx, tokenFailures.action, "", origin.Addr, now.Add(-tokenFailures.window))
	if err != nil {
		return 0, err
	}
	if n >= tokenFailures.max {
		return max(oldest.Add(tokenFailures.window).Sub(now), time.Second), nil
	}
	return 0, h.Store.Audit(ctx, origin, store.Entry{Action: tokenFailures.action, Outcome: store.OutcomeFailure, ObjectType: "apitoken"})
}
