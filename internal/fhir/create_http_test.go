package fhir_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/fhir/fhirtest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestPostQuestionnaireResponseHTTP: the acceptance line through
// the whole web server. A patient's app POSTs a PHQ-9 with item 9 = 2 to
// /fhir/QuestionnaireResponse with the patient's read-and-write token: 201
// with the QuestionnaireResponse as stored and its Location (which reads
// back), and the alert is on the therapist's caseload page. A read-only
// token is refused (403), so is a body that is not JSON (415), a body that
// cannot be read (400), one that breaks a rule (422, with its FHIRPath),
// and another patient's subject (404, nothing stored); the
// CapabilityStatement lists create for QuestionnaireResponse only.
func TestPostQuestionnaireResponseHTTP(t *testing.T) {
	f := webtest.NewFixture(t)
	check := fhirtest.Validator(t)
	f.Assign("phq9", "weekly")
	pat := f.As("pat@example.org")
	token := func(scope store.TokenScope) string {
		t.Helper()
		tok, _, err := f.St.CreateAPITokenFor(t.Context(), pat.UserID, store.APITokenInput{Label: "app", Scope: scope, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	write, read := token(store.ScopeWrite), token(store.ScopeRead)
	send := func(method, path, tok, contentType string, body []byte) (*httptest.ResponseRecorder, map[string]any) {
		t.Helper()
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		f.Srv.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s = %d, not JSON: %s", method, path, rec.Code, rec.Body)
		}
		if err := check.Check(rec.Body.Bytes()); err != nil {
			t.Errorf("%s %s answered invalid FHIR: %v\n%s", method, path, err, rec.Body)
		}
		return rec, out
	}
	good := qrJSON("phq9", f.PA.ID, 1, 2, byLOINC, byLA)
	good["authored"] = f.Now.Add(-time.Hour).Format(time.RFC3339)
	bad := qrJSON("phq9", f.PA.ID, 1, 0, byID, byInteger)
	bad["status"] = "in-progress"
	theirs := qrJSON("phq9", f.PB.ID, 1, 2, byID, byInteger)
	for _, c := range []struct {
		name, tok, ct string
		body          []byte
		status        int
		want          string
	}{
		{"a read-only token", read, fhir.ContentType, encode(t, good), http.StatusForbidden, "reads only"},
		{"not JSON", write, "text/plain", encode(t, good), http.StatusUnsupportedMediaType, "JSON"},
		{"unreadable", write, fhir.ContentType, []byte(`{"resourceType":`), http.StatusBadRequest, ""},
		{"a broken rule", write, fhir.ContentType, encode(t, bad), http.StatusUnprocessableEntity, "QuestionnaireResponse.status"},
		{"another patient", write, fhir.ContentType, encode(t, theirs), http.StatusNotFound, ""},
	} {
		rec, out := send("POST", "/fhir/QuestionnaireResponse", c.tok, c.ct, c.body)
		if rec.Code != c.status || out["resourceType"] != "OperationOutcome" || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%s: %d %s, want %d with an OperationOutcome saying %q", c.name, rec.Code, rec.Body, c.status, c.want)
		}
	}
	if got := f.OpenAlerts(); len(got) != 0 {
		t.Fatalf("refused posts opened alerts: %+v", got)
	}

	rec, out := send("POST", "/fhir/QuestionnaireResponse", write, fhir.ContentType+"; charset=utf-8", encode(t, good))
	if rec.Code != http.StatusCreated || out["resourceType"] != "QuestionnaireResponse" || out["status"] != "completed" {
		t.Fatalf("POST = %d %s, want 201 with the QuestionnaireResponse", rec.Code, rec.Body)
	}
	id, _ := out["id"].(string)
	loc := rec.Header().Get("Location")
	if id == "" || !strings.HasSuffix(loc, "/fhir/QuestionnaireResponse/"+id) {
		t.Errorf("Location %q for id %q", loc, id)
	}
	back, again := send("GET", "/fhir/QuestionnaireResponse/"+id, read, "", nil)
	if back.Code != http.StatusOK || again["id"] != id {
		t.Errorf("reading the Location back = %d %s", back.Code, back.Body)
	}
	if open := f.OpenAlerts(); len(open) != 1 || open[0].Source != "phq9" {
		t.Fatalf("open alerts %+v, want the PHQ-9's", open)
	}
	page := f.Do("GET", "/patients", nil, f.SignIn("thea@example.org"))
	if !strings.Contains(page.Body, "Safety alerts") || !strings.Contains(page.Body, webtest.CanaryA) || !strings.Contains(page.Body, "more than half the days") {
		t.Error("the therapist's caseload page does not show the alert of the posted PHQ-9")
	}

	// Only QuestionnaireResponse takes POST, and metadata says so.
	if rec, _ := send("POST", "/fhir/Patient", write, fhir.ContentType, []byte(`{}`)); rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /fhir/Patient = %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	if rec, _ := send("PUT", "/fhir/QuestionnaireResponse", write, fhir.ContentType, []byte(`{}`)); rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("PUT /fhir/QuestionnaireResponse = %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	_, meta := send("GET", "/fhir/metadata", "", "", nil)
	creates := map[string]bool{}
	for _, r := range meta["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
		res := r.(map[string]any)
		for _, in := range res["interaction"].([]any) {
			if in.(map[string]any)["code"] == "create" {
				creates[res["type"].(string)] = true
			}
		}
	}
	if len(creates) != 1 || !creates["QuestionnaireResponse"] {
		t.Errorf("the CapabilityStatement lists create for %v, want QuestionnaireResponse only", creates)
	}
}
