package fhir

import (
	"context"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/smart"
)

// TestSMARTAllows: a SMART token's scopes decide the type and interaction
// of each request: POST creates, Type/id reads, Type searches, and an
// operation ($everything, $export) needs read and search of every type; a
// personal token (no SMART scopes) is left to its own read/write scope.
func TestSMARTAllows(t *testing.T) {
	set := func(s string) *smart.Set {
		v, err := smart.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	obs := set("patient/Observation.rs patient/QuestionnaireResponse.c")
	all := set("system/*.rs")
	for _, tc := range []struct {
		scopes *smart.Set
		method string
		path   string
		ok     bool
	}{
		{nil, "POST", "QuestionnaireResponse", true},
		{nil, "GET", "Patient/p1", true},
		{obs, "GET", "Observation/o1", true},
		{obs, "GET", "Observation", true},
		{obs, "GET", "Patient/p1", false},
		{obs, "GET", "Patient", false},
		{obs, "POST", "QuestionnaireResponse", true},
		{obs, "POST", "Observation", false},
		{obs, "GET", "QuestionnaireResponse/q1", false},
		{obs, "GET", "Patient/p1/$everything", false},
		{obs, "GET", "Patient/$export", false},
		{all, "GET", "Patient/p1/$everything", true},
		{all, "GET", "Patient/$export", true},
		{all, "GET", "Condition", true},
		{all, "POST", "QuestionnaireResponse", false},
		{set("patient/Observation.r"), "GET", "Observation", false},
		{set("patient/Observation.s"), "GET", "Observation/o1", false},
	} {
		if got := smartAllows(tc.scopes, tc.method, strings.Split(tc.path, "/")); got != tc.ok {
			t.Errorf("%v %s %s = %v, want %v", tc.scopes, tc.method, tc.path, got, tc.ok)
		}
	}
	if c := SMARTConfig("https://clinic.example/fhir"); c.TokenEndpoint != "https://clinic.example/fhir/token" || c.AuthorizationEndpoint != "https://clinic.example/oauth/authorize" {
		t.Errorf("SMARTConfig endpoints = %q, %q", c.TokenEndpoint, c.AuthorizationEndpoint)
	}
}

// TestPatientContextView: a token with a patient context opens no view of
// another patient (not found), before the store is asked.
func TestPatientContextView(t *testing.T) {
	h := &Handler{}
	err := h.inView(context.Background(), &caller{patient: "p1"}, "p2", func(context.Context) error {
		t.Error("the view of another patient was opened")
		return nil
	})
	if clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("inView of another patient = %v, want ENotFound", err)
	}
}
