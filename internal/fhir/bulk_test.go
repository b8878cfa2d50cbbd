package fhir_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/job"
	"github.com/kapstone/kapstone/internal/store"
)

// bulkAPI is the demo practice's FHIR API with the export's jobs, run by
// the test itself (RunOnce until no job is due), so nothing waits on a
// clock.
type bulkAPI struct {
	*api
	runner *job.Runner
}

// raw sends a request and returns the answer as it is (not checked as
// FHIR: a manifest and NDJSON are not resources).
func (a *bulkAPI) raw(method, u, token string, headers ...string) (int, http.Header, []byte) {
	a.t.Helper()
	if !strings.HasPrefix(u, "http") {
		u = a.base + u
	}
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

var async = []string{"Prefer", "respond-async", "Accept", "application/fhir+json"}

// kickoff starts an export and returns its status URL.
func (a *bulkAPI) kickoff(path, token string) string {
	a.t.Helper()
	r := a.do("GET", path, token, async...)
	if r.status != http.StatusAccepted {
		a.t.Fatalf("kick-off %s = %d, want 202\n%s", path, r.status, r.body)
	}
	loc := r.header.Get("Content-Location")
	if !strings.HasPrefix(loc, a.base+"/bulk-status/") {
		a.t.Fatalf("kick-off %s: Content-Location %q", path, loc)
	}
	return loc
}

// runJobs runs every due job.
func (a *bulkAPI) runJobs() {
	a.t.Helper()
	for range 100 {
		n, err := a.runner.RunOnce(context.Background())
		if err != nil {
			a.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	a.t.Fatal("the jobs do not end")
}

type bulkManifest struct {
	TransactionTime     string `json:"transactionTime"`
	Request             string `json:"request"`
	RequiresAccessToken bool   `json:"requiresAccessToken"`
	Output              []struct {
		Type  string `json:"type"`
		URL   string `json:"url"`
		Count int    `json:"count"`
	} `json:"output"`
	Error []any `json:"error"`
}

// export kicks off path, runs the jobs and returns the manifest and each
// type's lines, every one checked: JSON of its type, valid R4, the
// manifest's count.
func (a *bulkAPI) export(path, token string) (string, bulkManifest, map[string][][]byte) {
	a.t.Helper()
	loc := a.kickoff(path, token)
	a.runJobs()
	status, h, b := a.raw("GET", loc, token)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		a.t.Fatalf("status of %s = %d %s, want 200 application/json\n%s", path, status, h.Get("Content-Type"), b)
	}
	var m bulkManifest
	if err := json.Unmarshal(b, &m); err != nil {
		a.t.Fatal(err)
	}
	if !m.RequiresAccessToken || m.Error == nil || m.TransactionTime == "" || m.Request != a.base+strings.SplitN(path, "?", 2)[0]+queryOf(path) {
		a.t.Errorf("manifest of %s: %s", path, b)
	}
	files := map[string][][]byte{}
	for _, o := range m.Output {
		status, h, body := a.raw("GET", o.URL, token)
		if status != http.StatusOK || h.Get("Content-Type") != "application/fhir+ndjson" {
			a.t.Fatalf("%s = %d %s\n%s", o.URL, status, h.Get("Content-Type"), body)
		}
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(nil, 1<<22)
		for sc.Scan() {
			line := bytes.Clone(sc.Bytes())
			var r struct {
				ResourceType string `json:"resourceType"`
			}
			if err := json.Unmarshal(line, &r); err != nil || r.ResourceType != o.Type {
				a.t.Fatalf("%s: a line of %s is not a %s: %v\n%s", path, o.URL, o.Type, err, line)
			}
			if err := a.check.Check(line); err != nil {
				a.t.Errorf("%s: a line of %s is not valid FHIR R4: %v\n%s", path, o.Type, err, line)
			}
			files[o.Type] = append(files[o.Type], line)
		}
		if len(files[o.Type]) != o.Count {
			a.t.Errorf("%s: %s has %d lines, the manifest says %d", path, o.Type, len(files[o.Type]), o.Count)
		}
	}
	return loc, m, files
}

func queryOf(path string) string {
	if _, q, ok := strings.Cut(path, "?"); ok {
		return "?" + q
	}
	return ""
}

// lineIDs are the ids of lines.
func lineIDs(lines [][]byte) []string {
	var out []string
	for _, l := range lines {
		var r struct {
			ID string `json:"id"`
		}
		json.Unmarshal(l, &r)
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}

// TestBulkExport exports the demo practice through the API, with the
// export's jobs (on SQLite, and on PostgreSQL when KAPSTONE_TEST_POSTGRES
// is set), seeded once for all its parts.
func TestBulkExport(t *testing.T) {
	ctx := context.Background()
	a := &bulkAPI{api: newAPI(t)}
	st := a.st
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a.runner = &job.Runner{Store: st, Worker: "test", Log: log, Handlers: map[string]job.Handler{
		store.BulkExportJobKind: fhir.ExportJob(st), store.BulkSweepJobKind: fhir.SweepJob(st)}}
	start := st.Now().UTC()
	ther := a.tokens["therapist"]

	var full map[string][][]byte // the therapist's whole export
	t.Run("round trip", func(t *testing.T) {
		a.t = t
		loc := a.kickoff("/Patient/$export", ther)
		status, h, _ := a.raw("GET", loc, ther)
		if status != http.StatusAccepted || h.Get("X-Progress") == "" || h.Get("Retry-After") == "" {
			t.Fatalf("status before the job ran = %d, X-Progress %q, Retry-After %q; want 202 with both", status, h.Get("X-Progress"), h.Get("Retry-After"))
		}
		a.runJobs()
		_, m, files := a.export("/Patient/$export", ther)
		full = files
		if got := lineIDs(files["Patient"]); !slices.Equal(got, sorted(a.sees["therapist"])) {
			t.Errorf("the therapist's export has patients %v, want their care team %v", got, sorted(a.sees["therapist"]))
		}
		for _, typ := range []string{"Patient", "CareTeam", "Practitioner", "PractitionerRole", "QuestionnaireResponse", "Observation", "Provenance", "Appointment", "Encounter", "DocumentReference"} {
			if len(files[typ]) == 0 {
				t.Errorf("the export has no %s", typ)
			}
		}
		if len(m.Output) != len(files) {
			t.Errorf("manifest has %d outputs for %d types", len(m.Output), len(files))
		}
		// Every patient's gathering is one audit row (fhir.export); each
		// file fetched is one (fhir.export.download); each kick-off one.
		for action, want := range map[string]int{"fhir.export": 2 * len(a.sees["therapist"]), "fhir.export.download": len(m.Output), "fhir.export.start": 2} {
			n, _, err := st.CountAudit(ctx, action, "", "", start)
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("audit rows %s = %d, want %d", action, n, want)
			}
		}
		// A job run again after the end writes nothing more.
		id := loc[strings.LastIndex(loc, "/")+1:]
		payload, _ := json.Marshal(map[string]string{"export": id})
		if err := fhir.ExportJob(st)(ctx, store.Job{ID: "again", Payload: string(payload), Attempts: 1, MaxAttempts: 10}); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveBulkExportPart(ctx, id, "", "x", 1, nil, false, ""); err != store.ErrBulkExportGone {
			t.Errorf("a part saved to a finished export: %v, want ErrBulkExportGone", err)
		}
		_, _, again := a.export("/Patient/$export", ther)
		for typ := range files {
			if len(again[typ]) != len(files[typ]) {
				t.Errorf("%s: %d lines in a second export, %d in the first", typ, len(again[typ]), len(files[typ]))
			}
		}
	})

	t.Run("many jobs", func(t *testing.T) {
		// Two patients a step, one step a job: the export goes on from
		// job to job through its cursor, and says how far it is.
		a.t = t
		defer fhir.SetBulkBatches(2, 1)()
		loc := a.kickoff("/Patient/$export", ther)
		if n, err := a.runner.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		status, h, _ := a.raw("GET", loc, ther)
		if want := "2 of " + strconv.Itoa(len(a.sees["therapist"])) + " patients"; status != http.StatusAccepted || h.Get("X-Progress") != want {
			t.Errorf("after one job: %d, X-Progress %q, want 202 %q", status, h.Get("X-Progress"), want)
		}
		a.runJobs()
		_, _, files := a.export("/Patient/$export", ther)
		for typ, lines := range full {
			if got := lineIDs(files[typ]); !slices.Equal(got, lineIDs(lines)) {
				t.Errorf("%s: %d lines over many jobs, %d in one", typ, len(got), len(lines))
			}
		}
	})

	t.Run("two workers at once", func(t *testing.T) {
		// Two instances run the same export's job at the same time (a
		// lease lost to another worker): each step is saved from the
		// cursor it started at, so every line is written once.
		a.t = t
		defer fhir.SetBulkBatches(2, 1000)()
		loc := a.kickoff("/Patient/$export", ther)
		id := loc[strings.LastIndex(loc, "/")+1:]
		payload, _ := json.Marshal(map[string]string{"export": id})
		run := fhir.ExportJob(st)
		errs := make(chan error, 2)
		for w := range 2 {
			go func() {
				errs <- run(ctx, store.Job{ID: "worker" + strconv.Itoa(w), Payload: string(payload), Attempts: 1, MaxAttempts: 10})
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		status, _, b := a.raw("GET", loc, ther)
		var m bulkManifest
		if err := json.Unmarshal(b, &m); status != http.StatusOK || err != nil {
			t.Fatalf("status = %d %s", status, b)
		}
		for _, o := range m.Output {
			if o.Count != len(full[o.Type]) {
				t.Errorf("%s: %d lines with two workers, %d with one", o.Type, o.Count, len(full[o.Type]))
			}
		}
		a.runJobs() // the queued job finds the export done
	})

	t.Run("groups and who may export", func(t *testing.T) {
		a.t = t
		admin := a.tokens["admin"]
		_, _, all := a.export("/Patient/$export", admin)
		if got := lineIDs(all["Patient"]); !slices.Equal(got, sorted(a.patients)) {
			t.Errorf("the administrator's export has %d patients, want the practice's %d", len(got), len(a.patients))
		}
		_, _, practice := a.export("/Group/practice/$export", admin)
		if got := lineIDs(practice["Patient"]); !slices.Equal(got, sorted(a.patients)) {
			t.Errorf("Group/practice has %d patients, want %d", len(got), len(a.patients))
		}
		team := "team-" + a.actors["therapist"].UserID
		for _, tok := range []string{admin, ther} {
			_, _, caseload := a.export("/Group/"+team+"/$export", tok)
			if got := lineIDs(caseload["Patient"]); !slices.Equal(got, sorted(a.sees["therapist"])) {
				t.Errorf("Group/%s has patients %v, want %v", team, got, sorted(a.sees["therapist"]))
			}
		}
		g := a.get("/Group/"+team, ther)
		if g.status != 200 || g.json["resourceType"] != "Group" || g.json["quantity"] != float64(len(a.sees["therapist"])) {
			t.Errorf("Group/%s = %d %s", team, g.status, g.body)
		}
		if err := a.check.Check([]byte(g.body)); err != nil {
			t.Errorf("Group/%s is not valid FHIR R4: %v\n%s", team, err, g.body)
		}
		// Another clinician's caseload, the practice for a therapist, a
		// patient's token: refused, and no job runs.
		others, err := st.ListStaff(ctx, clinic.RoleTherapist)
		if err != nil {
			t.Fatal(err)
		}
		other := ""
		for _, u := range others {
			if u.ID != a.actors["therapist"].UserID {
				other = "team-" + u.ID
			}
		}
		for _, c := range []struct {
			path, token string
			want        int
		}{
			{"/Group/" + other + "/$export", ther, 404},
			{"/Group/practice/$export", ther, 404},
			{"/Group/practice", ther, 404},
			{"/Group/" + other, ther, 404},
			{"/Group/nosuch/$export", admin, 404},
			{"/Patient/$export", a.tokens["patient"], 403},
			{"/Group/practice/$export", a.tokens["patient"], 403},
			{"/Group/practice", a.tokens["patient"], 404},
			{"/Patient/$export", "", 401},
		} {
			if c.path == "/Patient/$export" && c.token == "" {
				// A HEAD or POST starts nothing.
				for _, m := range []string{"HEAD", "POST"} {
					if status, _, _ := a.raw(m, "/Patient/$export", ther, async...); status != http.StatusMethodNotAllowed {
						t.Errorf("%s /Patient/$export = %d, want 405", m, status)
					}
				}
			}
			if r := a.get(c.path, c.token, async...); r.status != c.want {
				t.Errorf("%s = %d, want %d\n%s", c.path, r.status, c.want, r.body)
			}
		}
	})

	t.Run("parameters", func(t *testing.T) {
		a.t = t
		for _, c := range []struct {
			query   string
			headers []string
			want    int
		}{
			{"", []string{"Accept", "application/fhir+json"}, 400}, // no Prefer: respond-async
			{"", []string{"Prefer", "respond-async", "Accept", "application/xml"}, 400},
			{"?_outputFormat=text/csv", async, 400},
			{"?_outputFormat=ndjson&_outputFormat=application/ndjson", async, 202},
			{"?_since=yesterday", async, 400},
			{"?_since=2026-01-02", async, 400},
			{"?_type=Patient,Nothing", async, 400},
			{"?_type=Patient,Nothing", append(slices.Clone(async), "Prefer", "respond-async, handling=lenient"), 202},
			{"?patient=Patient/x", async, 400},
			{"?_typeFilter=Observation%3Fcode%3D1", append(slices.Clone(async), "Prefer", "respond-async, handling=lenient"), 202},
			{"?_deidentify=maybe", async, 400},
		} {
			if r := a.get("/Patient/$export"+c.query, ther, c.headers...); r.status != c.want {
				t.Errorf("Patient/$export%s with %v = %d, want %d\n%s", c.query, c.headers, r.status, c.want, r.body)
			}
		}
		a.runJobs()

		_, m, typed := a.export("/Patient/$export?_type=Patient,Observation", ther)
		if len(m.Output) != 2 || len(typed) != 2 || len(typed["Observation"]) != len(full["Observation"]) || len(typed["Patient"]) != len(full["Patient"]) {
			t.Errorf("_type=Patient,Observation gave %d outputs: %v", len(m.Output), keys(typed))
		}

		// _since: the check-ins completed after the middle one.
		var authored []string
		for _, l := range full["QuestionnaireResponse"] {
			var r struct{ Authored string }
			json.Unmarshal(l, &r)
			authored = append(authored, r.Authored)
		}
		slices.Sort(authored)
		mid := authored[len(authored)/2]
		since, _ := time.Parse(time.RFC3339Nano, mid)
		want := 0
		for _, s := range authored {
			if at, _ := time.Parse(time.RFC3339Nano, s); at.After(since) {
				want++
			}
		}
		_, _, newer := a.export("/Patient/$export?_since="+url.QueryEscape(since.Format(time.RFC3339Nano)), ther)
		if len(newer["QuestionnaireResponse"]) != want || want == 0 || want == len(authored) {
			t.Errorf("_since=%s: %d QuestionnaireResponses, want %d of %d", mid, len(newer["QuestionnaireResponse"]), want, len(authored))
		}
		if len(newer["Patient"]) != len(full["Patient"]) {
			t.Errorf("_since left out Patients (whose changes are not timed): %d of %d", len(newer["Patient"]), len(full["Patient"]))
		}
	})

	t.Run("owner only, delete and expiry", func(t *testing.T) {
		a.t = t
		loc, m, _ := a.export("/Patient/$export?_type=Patient", ther)
		file := m.Output[0].URL
		for _, tok := range []string{a.tokens["admin"], a.tokens["patient"]} {
			for _, c := range []struct{ method, u string }{{"GET", loc}, {"GET", file}, {"DELETE", loc}} {
				if status, _, b := a.raw(c.method, c.u, tok); status != 404 {
					t.Errorf("%s %s with another account's token = %d, want 404\n%s", c.method, c.u, status, b)
				}
			}
		}
		if status, _, _ := a.raw("DELETE", loc, ther); status != http.StatusAccepted {
			t.Errorf("DELETE = %d, want 202", status)
		}
		for _, u := range []string{loc, file} {
			if status, _, _ := a.raw("GET", u, ther); status != 404 {
				t.Errorf("GET %s after DELETE = %d, want 404", u, status)
			}
		}
		// A running export deleted: its job stops, nothing is left.
		loc = a.kickoff("/Patient/$export", ther)
		if status, _, _ := a.raw("DELETE", loc, ther); status != http.StatusAccepted {
			t.Errorf("DELETE while pending = %d, want 202", status)
		}
		a.runJobs()
		if status, _, _ := a.raw("GET", loc, ther); status != 404 {
			t.Errorf("status after DELETE = %d, want 404", status)
		}
		// Past their time, the sweep deletes the exports.
		loc, _, _ = a.export("/Patient/$export?_type=Patient", ther)
		id := loc[strings.LastIndex(loc, "/")+1:]
		now := st.Now
		st.Now = func() time.Time { return now().Add(9 * 24 * time.Hour) }
		a.runJobs()
		st.Now = now
		if _, err := st.BulkExportByID(ctx, id); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("an expired export after the sweep: %v, want ENotFound", err)
		}
	})

	t.Run("de-identified", func(t *testing.T) {
		a.t = t
		_, _, deid := a.export("/Patient/$export?_deidentify=true", ther)
		var all bytes.Buffer
		for typ, lines := range deid {
			if len(lines) != len(full[typ]) {
				t.Errorf("%s: %d lines de-identified, %d in the export", typ, len(lines), len(full[typ]))
			}
			for _, l := range lines {
				all.Write(l)
				all.WriteByte('\n')
			}
		}
		for typ := range full {
			if _, ok := deid[typ]; !ok {
				t.Errorf("the de-identified export has no %s", typ)
			}
		}
		text := strings.ToLower(all.String())
		// Every name, email, phone, birth date and id of every patient
		// and member of staff, as the database holds them.
		var secrets []string
		admin := a.admin
		for _, pid := range a.patients {
			p, _, err := st.FindPatient(ctx, admin, pid)
			if err != nil {
				t.Fatal(err)
			}
			secrets = append(secrets, p.ID, p.DisplayName, p.LegalName, p.Email, p.Phone, p.BirthDate, p.EmergencyName, p.EmergencyPhone, p.SupportName, p.SupportPhone,
				fhir.Instant(p.CreatedAt), p.CreatedAt.UTC().Format(time.RFC3339))
		}
		for _, role := range []clinic.Role{clinic.RoleAdmin, clinic.RoleTherapist, clinic.RolePrescriber} {
			us, err := st.ListStaff(ctx, role)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range us {
				secrets = append(secrets, u.ID, u.DisplayName, u.Email, fhir.Instant(u.CreatedAt), u.CreatedAt.UTC().Format(time.RFC3339))
			}
		}
		// Every exact date and time the identified export holds (which
		// the mappers read from the rows), and every id.
		dateTime := regexp.MustCompile(`"(\d{4}-\d{2}-\d{2}T[^"]+)"`)
		for _, lines := range full {
			for _, l := range lines {
				for _, m := range dateTime.FindAllSubmatch(l, -1) {
					secrets = append(secrets, string(m[1]))
				}
			}
			secrets = append(secrets, lineIDs(lines)...)
		}
		found := 0
		for _, s := range secrets {
			if len(strings.TrimSpace(s)) < 4 {
				continue
			}
			if strings.Contains(text, strings.ToLower(s)) {
				found++
				if found < 10 {
					i := strings.Index(text, strings.ToLower(s))
					t.Errorf("the de-identified export holds %q: ...%s...", s, text[max(i-300, 0):min(i+100, len(text))])
				}
			}
		}
		if len(secrets) < 100 {
			t.Fatalf("only %d values to look for", len(secrets))
		}
		// Birth dates are a year; Patients are the dashboard's keys; every
		// reference resolves inside the export.
		have := map[string]bool{}
		for typ, lines := range deid {
			for _, id := range lineIDs(lines) {
				have[typ+"/"+id] = true
			}
		}
		var keys []string
		for _, pid := range a.sees["therapist"] {
			keys = append(keys, st.PatientKey(pid))
		}
		if got := lineIDs(deid["Patient"]); !slices.Equal(got, sorted(keys)) {
			t.Errorf("de-identified Patient ids %v, want the patients' keys %v", got, sorted(keys))
		}
		for _, l := range deid["Patient"] {
			var p struct{ BirthDate string }
			json.Unmarshal(l, &p)
			if p.BirthDate != "" && len(p.BirthDate) != 4 {
				t.Errorf("birthDate %q, want a year", p.BirthDate)
			}
		}
		// A document's content is never in it: its attachment says only
		// what kind of file it was.
		for _, l := range deid["DocumentReference"] {
			var d struct {
				Content []struct{ Attachment map[string]any }
			}
			json.Unmarshal(l, &d)
			for _, c := range d.Content {
				for k := range c.Attachment {
					if k != "contentType" && k != "language" && k != "creation" {
						t.Errorf("a de-identified DocumentReference's attachment has %s: %s", k, l)
					}
				}
			}
		}
		ref := regexp.MustCompile(`"reference":"([A-Za-z]+)/([^"]+)"`)
		for _, m := range ref.FindAllStringSubmatch(all.String(), -1) {
			if !have[m[1]+"/"+m[2]] {
				t.Errorf("a reference to %s/%s that is not in the export", m[1], m[2])
			}
		}
	})
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
