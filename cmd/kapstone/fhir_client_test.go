package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/fhir/fhirtest"
	"github.com/kapstone/kapstone/internal/npmtarball"
)

// fhirClientDir holds the node script and its pinned dependency
// (fhir-kit-client 2.0.3, package-lock.json).
var fhirClientDir = filepath.Join("..", "..", "internal", "fhir", "testdata", "client")

// nodeClient installs the client script's dependencies (npm ci, from the
// lock file, no install scripts) in a temporary directory and returns it,
// or skips t when node 20 or later, npm or the registry is not there
// (failing instead with KAPSTONE_REQUIRE_NETWORK=1, as CI sets).
func nodeClient(t *testing.T) string {
	t.Helper()
	unavailable := func(err error) string {
		npmtarball.Unavailable(t, "node 20+ with npm and the npm registry (for fhir-kit-client)", fhirtest.RequireEnv, err)
		return ""
	}
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return unavailable(err)
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	if major, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0]); major < 20 {
		return unavailable(errors.New("node " + v + " is older than 20, which fhir-kit-client 2 needs"))
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "client.mjs"} {
		b, err := os.ReadFile(filepath.Join(fhirClientDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return unavailable(errors.New(err.Error() + ": " + string(out)))
	}
	return dir
}

// TestFHIRClientLibrary is the acceptance test: a FHIR client
// library kapstone did not write (fhir-kit-client, run with node) reads a
// patient of the demo practice through a real server with a personal API
// token made by `kapstone token create`, searches the patient's
// Observations by LOINC code and date, and pages through them by the
// server's next links; what it saw is checked against the API's own
// answers.
func TestFHIRClientLibrary(t *testing.T) {
	client := nodeClient(t)
	dir := t.TempDir()
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	b, err := os.ReadFile(filepath.Join(dir, demo.LoginsFile))
	if err != nil {
		t.Fatal(err)
	}
	var logins []demo.Login
	if err := json.Unmarshal(b, &logins); err != nil {
		t.Fatal(err)
	}
	email := ""
	for _, l := range logins {
		if l.Role == "therapist" {
			email = l.Email
			break
		}
	}
	code, out, errOut := kapstone(t, "token", "create", "-email", email, "-scope", "read", "-ttl", "1h", "-data-dir", dir)
	if code != 0 {
		t.Fatalf("token create = %d: %s", code, errOut)
	}
	token := strings.TrimSpace(out)
	base := in.url + "/fhir"

	// The patient: the therapist's patient with the most PHQ-9 totals, found
	// through the API itself.
	fhirGet := func(path string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode != 200 {
			t.Fatalf("GET %s = %d (%v): %v", path, res.StatusCode, err, m)
		}
		return m
	}
	patient, most := "", 0
	for _, e := range fhirGet("/Patient?_count=200")["entry"].([]any) {
		id := e.(map[string]any)["resource"].(map[string]any)["id"].(string)
		n := int(fhirGet("/Observation?" + url.Values{"patient": {id}, "code": {"http://loinc.org|44261-6"}, "_summary": {"count"}}.Encode())["total"].(float64))
		if n > most {
			patient, most = id, n
		}
	}
	if most < 3 {
		t.Fatalf("no patient of the therapist's has three PHQ-9 totals (most: %d)", most)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "client.mjs", base, token, patient)
	cmd.Dir = client
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node client.mjs: %v\n%s", err, stderr.String())
	}
	var got struct {
		Patient struct {
			ResourceType, ID string
		}
		FHIRVersion string
		Total       int
		Pages       int
		Entries     []struct {
			ID, Code, Date string
			Value          float64
		}
		Missing     int
		MissingType string
	}
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("client output is not JSON: %v\n%s", err, stdout)
	}
	t.Logf("fhir-kit-client: %s", stdout)
	if got.Patient.ResourceType != "Patient" || got.Patient.ID != patient || got.FHIRVersion != "4.0.1" {
		t.Errorf("client read %+v, FHIR %s; want Patient/%s, 4.0.1", got.Patient, got.FHIRVersion, patient)
	}
	if got.Total != most || len(got.Entries) != most || got.Pages != (most+1)/2 {
		t.Errorf("client paged %d entries on %d pages (total %d), want %d on %d", len(got.Entries), got.Pages, got.Total, most, (most+1)/2)
	}
	seen := map[string]bool{}
	for i, e := range got.Entries {
		if seen[e.ID] || e.Code != "44261-6" || e.Date == "" || !strings.HasSuffix(e.ID, "-44261-6") {
			t.Errorf("entry %d: %+v (a repeat, or not a PHQ-9 total)", i, e)
		}
		seen[e.ID] = true
		if i > 0 && e.Date > got.Entries[i-1].Date {
			t.Errorf("entry %d (%s) is newer than the one before (%s): _sort=-date", i, e.Date, got.Entries[i-1].Date)
		}
	}
	if got.Missing != http.StatusNotFound || got.MissingType != "OperationOutcome" {
		t.Errorf("a missing patient: %d %s, want 404 with an OperationOutcome", got.Missing, got.MissingType)
	}
}
