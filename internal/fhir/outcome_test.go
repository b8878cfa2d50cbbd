package fhir_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/fhir/fhirtest"
)

// clinicCodes reads every error code constant (E...) declared in
// internal/clinic/error.go, so a code added there without a row here
// fails TestOutcome.
func clinicCodes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../clinic/error.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for i, n := range s.(*ast.ValueSpec).Names {
				if strings.HasPrefix(n.Name, "E") {
					lit := s.(*ast.ValueSpec).Values[i].(*ast.BasicLit)
					v, _ := strconv.Unquote(lit.Value)
					codes = append(codes, v)
				}
			}
		}
	}
	if len(codes) < 8 {
		t.Fatalf("read %d error codes from clinic/error.go, want at least 8", len(codes))
	}
	return codes
}

// TestOutcome: every error code of internal/clinic maps to its HTTP
// status and IssueType, with the user-safe message as the diagnostic and
// never the cause; field errors give one issue per field; each outcome is
// a valid R4 OperationOutcome.
func TestOutcome(t *testing.T) {
	cause := errors.New("pq: relation secret_table does not exist")
	wrap := func(code, msg string) error { return &clinic.Error{Code: code, Message: msg, Err: cause} }
	cases := []struct {
		name   string
		err    error
		status int
		issues []fhir.OutcomeIssue
	}{
		{"invalid, no fields", wrap(clinic.EInvalid, "The date is not a date."), 400,
			[]fhir.OutcomeIssue{{Severity: "error", Code: "invalid", Diagnostics: "The date is not a date."}}},
		{"invalid, fields", &clinic.Error{Code: clinic.EInvalid, Message: "Please correct the highlighted fields.", Fields: map[string]string{"phq9_9": "Choose an answer.", "phq9_1": "That answer is not one of the choices."}}, 422,
			[]fhir.OutcomeIssue{
				{Severity: "error", Code: "invalid", Diagnostics: "That answer is not one of the choices.", Expression: []string{"phq9_1"}},
				{Severity: "error", Code: "invalid", Diagnostics: "Choose an answer.", Expression: []string{"phq9_9"}}}},
		{"not found", wrap(clinic.ENotFound, "We could not find that patient."), 404,
			[]fhir.OutcomeIssue{{Severity: "error", Code: "not-found", Diagnostics: "We could not find that patient."}}},
		{"unauthorized", wrap(clinic.EUnauthorized, "The token has expired."), 401,
			[]fhir.OutcomeIssue{{Severity: "error", Code: "login", Diagnostics: "The token has expired."}}},
		{"forbidden", wrap(clinic.EForbidden, "This token may only read."), 403,
			[]fhir.OutcomeIssue{{Severity: "error", Code: "forbidden", Diagnostics: "This token may only read."}}},
		{"conflict", wrap(clinic.EConflict, "Someone else changed this first."), 409,
			[]fhir.OutcomeIssue{{Severity: "error", Code: "conflict", Diagnostics: "Someone else changed this first."}}},
		{"too many", wrap(clinic.ETooMany, "Too many requests; wait a minute."), 429,
			[]fhir.OutcomeIssue{{Severity: "error", Code: "throttled", Diagnostics: "Too many requests; wait a minute."}}},
		{"unavailable", wrap(clinic.EUnavailable, "The database is not answering."), 503,
			[]fhir.OutcomeIssue{{Severity: "error", Code: "transient", Diagnostics: "The database is not answering."}}},
		{"internal", wrap(clinic.EInternal, "Something went wrong on our side. Please try again."), 500,
			[]fhir.OutcomeIssue{{Severity: "error", Code: "exception", Diagnostics: "Something went wrong on our side. Please try again."}}},
		{"untyped error", fmt.Errorf("read: %w", cause), 500,
			[]fhir.OutcomeIssue{{Severity: "error", Code: "exception", Diagnostics: "Something went wrong on our side. Please try again."}}},
		{"unknown code", wrap("gremlins", "Gremlins."), 500,
			[]fhir.OutcomeIssue{{Severity: "error", Code: "exception", Diagnostics: "Something went wrong on our side. Please try again."}}},
		{"untyped missing row", fmt.Errorf("find: %w", sql.ErrNoRows), 404,
			[]fhir.OutcomeIssue{{Severity: "error", Code: "not-found", Diagnostics: "We could not find that resource."}}},
		{"no error", nil, 200,
			[]fhir.OutcomeIssue{{Severity: "information", Code: "informational", Diagnostics: "All OK"}}},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[clinic.ErrorCode(tc.err)] = true
		status, out := fhir.Outcome(tc.err)
		if status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, status, tc.status)
		}
		got, _ := json.Marshal(out)
		want, _ := json.Marshal(fhir.OperationOutcome{Issue: tc.issues})
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, want)
		}
		if strings.Contains(string(got), "secret_table") {
			t.Errorf("%s: the cause reached the client: %s", tc.name, got)
		}
		if status >= 400 && http.StatusText(status) == "" {
			t.Errorf("%s: %d is not an HTTP status", tc.name, status)
		}
		fhirtest.Validate(t, tc.name, got)
	}
	for _, code := range clinicCodes(t) {
		if !covered[code] {
			t.Errorf("clinic error code %q has no case in TestOutcome", code)
		}
	}
}
