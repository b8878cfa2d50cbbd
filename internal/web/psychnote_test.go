package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/pdfdoc/pdftest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// psychCanary is what therapist thea writes in a psychotherapy note on
// patient A; psychCanaryWord is the part of it looked for everywhere.
const (
	psychCanary     = "Psychnote-Canary-e41c: she spoke of the blue caravan by the weir"
	psychCanaryWord = "Psychnote-Canary-e41c"
)

// TestPsychNoteCanary is issue 16's acceptance test for psychotherapy
// notes. Thea writes one on patient A (linked to an appointment); then
// every GET route of the program is crawled as every other caller (a second
// therapist on A's team, the prescriber on it, a therapist with emergency
// access to A, a therapist of another team, an admin, the patient and
// another patient, and no one), with the note's own ids filled in, and as
// thea herself. Only thea's pages of the note itself show its text: no
// other page, no export download (the outcomes CSV, the portal's calendar
// file, thea's calendar feed, and the text of every PDF: the signed
// clinical note of the same appointment, the outcome summary, the signed
// consent), no audit log page, no log line. The
// patient's "who looked at my record" does not even show that notes exist.
// Others' writes to it are refused. The database holds no plain text of
// it: not the SQLite file, its WAL, nor a backup copy (VACUUM INTO); on
// PostgreSQL, not the table's raw rows nor the audit log.
func TestPsychNoteCanary(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	hash, _ := auth.HashPassword(webtest.TestPassword, webtest.Cheap)
	for _, u := range []*clinic.User{
		{Email: "tom@example.org", DisplayName: "Tom Therapist", Role: clinic.RoleTherapist},
		{Email: "tess@example.org", DisplayName: "Tess Therapist", Role: clinic.RoleTherapist},
	} {
		if err := f.St.CreateUserWithTOTP(ctx, store.System, u, hash, webtest.TOTPSecret); err != nil {
			t.Fatal(err)
		}
		f.Users[u.Email] = u
	}
	if err := f.St.AddTeamMember(ctx, f.As("thea@example.org"), f.PA.ID, f.Users["tom@example.org"].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.St.GrantEmergencyAccess(ctx, f.As("tess@example.org"), f.PA.ID, "Patient called in crisis; their therapist is away."); err != nil {
		t.Fatal(err)
	}
	ap := &store.Appointment{Kind: "integration", StartsAt: f.Now.Add(3 * time.Hour), Minutes: 60}
	if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, ap); err != nil {
		t.Fatal(err)
	}
	session := f.InsertDosingSession(f.PA.ID, "gate", f.Now.Add(-10*time.Minute))
	feedToken := "psychnote-canary-feed-token-0123456789abcdef"
	if err := f.St.CreateCalendarFeed(ctx, f.As("thea@example.org"), auth.HashToken(feedToken)); err != nil {
		t.Fatal(err)
	}

	callers := map[string]string{}
	for _, who := range []string{"thea", "tom", "rex", "tess", "theo", "admin", "pA", "pB"} {
		email := webtest.ActorEmail[who]
		if email == "" {
			email = who + "@example.org"
		}
		callers[who] = f.SignIn(email)
	}
	callers["anon"] = ""

	thea := callers["thea"]
	base := "/patients/" + f.PA.ID
	r := f.Do("POST", base+"/psychnotes", url.Values{"body": {psychCanary}, "appointment": {ap.ID}}, thea)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("thea's note = %d", r.Status)
	}
	noteID := strings.TrimSuffix(strings.TrimPrefix(r.Header.Get("Location"), base+"/psychnotes/"), "?done=created#psychnote")
	if !store.ValidID(noteID) {
		t.Fatalf("note id %q from %q", noteID, r.Header.Get("Location"))
	}

	// A signed clinical note on the same appointment and a signed consent,
	// so that the crawl's PDF routes answer with real documents, whose text
	// (pdftotext) is searched like any page.
	const clinicalText = "Clinical-Note-7b2d: settled and oriented throughout"
	noteIn := store.NoteInput{Format: clinic.NoteSOAP, Sections: map[string]string{
		"subjective": clinicalText, "objective": "Calm.", "assessment": "Stable.", "plan": "Integration next week."}}
	if _, err := f.St.SaveNoteDraft(ctx, f.As("thea@example.org"), f.PA.ID, ap.ID, noteIn); err != nil {
		t.Fatal(err)
	}
	noteIn.Version, noteIn.Attest = 1, true
	if _, err := f.St.SignNote(ctx, f.As("thea@example.org"), f.PA.ID, ap.ID, noteIn); err != nil {
		t.Fatal(err)
	}
	var signature string
	cs, err := f.St.PatientConsents(ctx, f.As("pat@example.org"), f.PA.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Kind == clinic.ConsentKAP {
			g, err := f.St.SignConsent(ctx, f.As("pat@example.org"), f.PA.ID, store.SignInput{DocumentID: c.Latest.ID, TextHash: c.Latest.Hash(), TypedName: f.PA.DisplayName, Agreed: true})
			if err != nil {
				t.Fatal(err)
			}
			signature = g.ID
		}
	}

	// Others' writes are refused as for a note that does not exist.
	for _, who := range []string{"tom", "rex", "tess", "theo", "admin", "pA"} {
		if r := f.Do("POST", base+"/psychnotes/"+noteID, url.Values{"body": {"overwritten"}, "version": {"1"}}, callers[who]); r.Status != http.StatusNotFound {
			t.Errorf("POST the note as %s = %d, want 404", who, r.Status)
		}
	}
	if r := f.Do("POST", base+"/psychnotes", url.Values{"body": {"by emergency access"}}, callers["tess"]); r.Status != http.StatusNotFound {
		t.Errorf("a new note by emergency access = %d, want 404", r.Status)
	}

	// The crawl: every GET route, ids filled with this practice's records,
	// and the pages whose queries reach the note's rows.
	var paths []string
	for _, rt := range f.Srv.RouteTable() {
		if !strings.HasPrefix(rt.Pattern, "GET ") {
			continue
		}
		pattern := strings.NewReplacer("{psychnote}", noteID, "{appointment}", ap.ID, "{session}", session,
			"{signature}", signature, "{kind}", clinic.ConsentKAP).Replace(rt.Pattern)
		_, path, _ := f.Target(pattern)
		if rt.Pattern == "GET /calendar/{token}" {
			path = "/calendar/" + feedToken
		}
		paths = append(paths, path)
	}
	paths = append(paths,
		"/admin/audit?action=psychnote.", "/admin/audit?patient="+f.PA.ID, "/admin/audit?actor="+f.Users["thea@example.org"].ID,
		base+"/psychnotes?page=1", base+"/psychnotes/new?appointment="+ap.ID, "/patients?q=caravan")
	notePages := map[string]bool{base + "/psychnotes/" + noteID: true}
	requests, theaSaw := 0, 0
	pdfs, readNote := map[string]int{}, false
	for _, path := range paths {
		for who, cookie := range callers {
			r := f.Do("GET", path, nil, cookie)
			requests++
			if r.Status >= 500 {
				t.Errorf("GET %s as %s = %d", path, who, r.Status)
			}
			body := r.Body
			if r.Status == http.StatusOK && r.Header.Get("Content-Type") == "application/pdf" {
				body = pdftest.Flat(pdftest.Text(t, []byte(body)))
				pdfs[path]++
				if who == "thea" && strings.HasSuffix(path, "/note.pdf") && strings.Contains(body, clinicalText) {
					readNote = true
				}
			}
			if !strings.Contains(body, psychCanaryWord) && !strings.Contains(body, "blue caravan") {
				continue
			}
			if who == "thea" && notePages[path] {
				theaSaw++
				continue
			}
			t.Errorf("GET %s as %s (status %d) shows the psychotherapy note", path, who, r.Status)
		}
	}
	if len(pdfs) < 4 || !readNote {
		t.Errorf("read PDFs from %v (thea's clinical note read: %v); want the note, the outcome summary and the consent from the chart and the portal", pdfs, readNote)
	}
	if theaSaw != 1 {
		t.Errorf("thea saw her note on %d pages, want 1 (its own page)", theaSaw)
	}
	t.Logf("crawled %d GET paths as %d callers: %d requests, PDFs read %v", len(paths), len(callers), requests, pdfs)

	// The patient's report of who looked at their record does not show
	// that psychotherapy notes exist.
	report := f.Do("GET", "/portal/access", nil, callers["pA"])
	if report.Status != http.StatusOK || strings.Contains(strings.ToLower(report.Body), "psychotherapy") || strings.Contains(report.Body, "psychnote") {
		t.Errorf("the patient's access report (%d) tells of psychotherapy notes", report.Status)
	}
	if rows := f.AuditRows("psychnote.read"); len(rows) == 0 {
		t.Error("no psychnote.read audit row: the crawl did not reach the note")
	}
	denied := 0
	for _, row := range f.AuditRows("route.denied") {
		if row.PatientID == f.PA.ID && row.ActorID == f.Users["tess@example.org"].ID && strings.Contains(row.Detail, "perm=psychnote; GET /patients/{patient}/psychnotes/new") {
			denied++
		}
	}
	if denied == 0 {
		t.Error("emergency access's refused note form is not audited with its route")
	}
	if strings.Contains(f.Logs.String(), psychCanaryWord) || strings.Contains(f.Logs.String(), "caravan") {
		t.Error("the logs hold the note's text")
	}

	// The database: no plain text anywhere.
	db := f.RawDB()
	if _, err := f.St.SealAuditWait(context.Background()); err != nil { // PostgreSQL: the pending audit rows too
		t.Fatal(err)
	}
	var audits int
	if err := db.QueryRow(`SELECT count(*) FROM audit_events WHERE detail LIKE '%caravan%' OR detail LIKE '%Canary-e41c%'`).Scan(&audits); err != nil || audits != 0 {
		t.Errorf("%d audit rows hold the text (%v)", audits, err)
	}
	if os.Getenv(storetest.PostgresEnv) != "" {
		rows, err := db.Query(`SELECT t::text FROM psychotherapy_notes t`)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var row string
			rows.Scan(&row)
			n++
			if strings.Contains(row, psychCanaryWord) || strings.Contains(row, "caravan") || !strings.Contains(row, "seal1:") {
				t.Errorf("the table's raw row is not sealed: %s", row)
			}
		}
		rows.Close()
		var inAudit int
		if err := db.QueryRow(`SELECT count(*) FROM audit_events t WHERE t::text LIKE '%caravan%'`).Scan(&inAudit); err != nil || inAudit != 0 {
			t.Errorf("%d audit rows hold the text (%v)", inAudit, err)
		}
		if n != 1 {
			t.Errorf("%d psychotherapy note rows, want 1", n)
		}
		return
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if _, err := db.Exec(`VACUUM INTO '` + backup + `'`); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(t.TempDir()), "*", "kapstone.db*"))
	files = append(files, backup)
	total, dbs := 0, 0
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		total += len(data)
		if strings.HasSuffix(name, ".db") {
			dbs++
		}
		for _, needle := range []string{psychCanaryWord, "blue caravan"} {
			if bytes.Contains(data, []byte(needle)) {
				t.Errorf("%s holds %q in plain text", filepath.Base(name), needle)
			}
		}
	}
	if dbs < 2 {
		t.Errorf("looked in %v: want the database and its backup", files)
	}
	t.Logf("looked through %d files, %d bytes (database, WAL, backup)", len(files), total)
}
