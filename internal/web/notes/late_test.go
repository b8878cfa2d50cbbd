package notes_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestLateNotesPage: Thea's attended appointment with only a draft, a
// week ago, is on her late list and the admin's (metadata, never the
// draft's text), not on Theo's; once signed it drops off.
func TestLateNotesPage(t *testing.T) {
	f := webtest.NewFixture(t)
	thea, theo, admin, pat := f.SignIn("thea@example.org"), f.SignIn("theo@example.org"), f.SignIn("admin@example.org"), f.SignIn("pat@example.org")
	id := store.NewID()
	at := f.Now.Add(-7 * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	if _, err := f.RawDB().Exec(`INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at, outcome) VALUES ($1, $2, 'integration', $3, 50, $4, $4, $3, 'attended')`,
		id, f.PA.ID, at, f.Users["thea@example.org"].ID); err != nil {
		t.Fatal(err)
	}
	path := "/patients/" + f.PA.ID + "/appointments/" + id + "/note"
	if r := f.Do("POST", path, noteForm("0", "Draft-Text-Never-Listed"), thea); r.Status != http.StatusSeeOther {
		t.Fatalf("draft = %d", r.Status)
	}
	r := f.Do("GET", "/notes/late", nil, thea)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `href="`+path+`"`) || !strings.Contains(r.Body, "Draft") || !strings.Contains(r.Body, "4 days") {
		t.Fatalf("Thea's late notes = %d %s", r.Status, r.Body)
	}
	webtest.CheckShell(t, "late notes", r)
	if b := f.Do("GET", "/patients", nil, thea).Body; !strings.Contains(b, `href="/notes/late" class="badge badge-bad">1 late note</a>`) {
		t.Error("the caseload has no late-notes badge")
	}
	if !strings.Contains(r.Body, `href="/notes/late"`) {
		t.Error("the staff navigation has no Late notes link")
	}
	a := f.Do("GET", "/notes/late", nil, admin)
	if a.Status != http.StatusOK || !strings.Contains(a.Body, webtest.CanaryA) || !strings.Contains(a.Body, "Thea Therapist") || strings.Contains(a.Body, path) {
		t.Errorf("the admin's late notes = %d (want the patient and clinician, no link into the note)", a.Status)
	}
	for who, body := range map[string]string{"thea": r.Body, "admin": a.Body} {
		if strings.Contains(body, "Draft-Text-Never-Listed") {
			t.Errorf("%s's late list shows the note's text", who)
		}
	}
	if b := f.Do("GET", "/notes/late", nil, theo).Body; strings.Contains(b, webtest.CanaryA) {
		t.Error("Theo sees Thea's late note")
	}
	if r := f.Do("GET", "/notes/late", nil, pat); r.Status != http.StatusNotFound {
		t.Errorf("a patient's late notes = %d", r.Status)
	}
	sign := noteForm("1", "Signed now.")
	sign.Set("attest", "yes")
	if r := f.Do("POST", path+"/sign", sign, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("sign = %d", r.Status)
	}
	if b := f.Do("GET", "/notes/late", nil, thea).Body; strings.Contains(b, path) || !strings.Contains(b, "No late notes.") {
		t.Error("a signed note is still late")
	}
}
