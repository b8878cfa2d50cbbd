package fhir

import (
	"database/sql"
	"errors"
	"net/http"
	"slices"

	"github.com/kapstone/kapstone/internal/clinic"
)

// outcomeOf is the one table from kapstone's error codes (internal/clinic)
// to an HTTP status and a FHIR IssueType.
var outcomeOf = map[string]struct {
	status int
	issue  string
}{
	clinic.EInvalid:      {http.StatusBadRequest, "invalid"},
	clinic.ENotFound:     {http.StatusNotFound, "not-found"},
	clinic.EUnauthorized: {http.StatusUnauthorized, "login"},
	clinic.EForbidden:    {http.StatusForbidden, "forbidden"},
	clinic.EConflict:     {http.StatusConflict, "conflict"},
	clinic.ETooMany:      {http.StatusTooManyRequests, "throttled"},
	clinic.EUnavailable:  {http.StatusServiceUnavailable, "transient"},
	clinic.EInternal:     {http.StatusInternalServerError, "exception"},
}

// Outcome maps err to the HTTP status and the OperationOutcome a FHIR
// client gets. The diagnostic is the error's user-safe message
// (clinic.ErrorMessage), never its cause: an unexpected error says only
// that something went wrong. An EInvalid error with Fields is 422 (the
// content broke kapstone's rules) with one issue per field, in field
// order, the field in expression; without Fields it is 400 (the request
// itself could not be used). A missing row that was not typed
// (sql.ErrNoRows) is 404, as on the web pages: never a 500. A nil err is
// 200 with one informational issue.
func Outcome(err error) (int, *OperationOutcome) {
	if err == nil {
		return http.StatusOK, &OperationOutcome{Issue: []OutcomeIssue{{Severity: "information", Code: "informational", Diagnostics: "All OK"}}}
	}
	code := clinic.ErrorCode(err)
	msg := clinic.ErrorMessage(err)
	if code == clinic.EInternal && errors.Is(err, sql.ErrNoRows) {
		code, msg = clinic.ENotFound, "We could not find that resource."
	}
	o, ok := outcomeOf[code]
	if !ok {
		// A code this table does not know is a bug: answered as one, with
		// the generic message (ErrorMessage of nil).
		o, code, msg = outcomeOf[clinic.EInternal], clinic.EInternal, clinic.ErrorMessage(nil)
	}
	status := o.status
	var e *clinic.Error
	if code == clinic.EInvalid && errors.As(err, &e) && len(e.Fields) > 0 {
		status = http.StatusUnprocessableEntity
		fields := make([]string, 0, len(e.Fields))
		for f := range e.Fields {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		out := &OperationOutcome{}
		for _, f := range fields {
			out.Issue = append(out.Issue, OutcomeIssue{Severity: "error", Code: o.issue, Diagnostics: e.Fields[f], Expression: []string{f}})
		}
		return status, out
	}
	return status, &OperationOutcome{Issue: []OutcomeIssue{{Severity: "error", Code: o.issue, Diagnostics: msg}}}
}
