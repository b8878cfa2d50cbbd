package admin_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestNoteTemplateSettings: an admin changes the integration template
// (format and a prompt); a note started afterwards uses it, a note already
// started keeps its format; the reset brings kapstone's default back; a
// clinician cannot reach the settings.
func TestNoteTemplateSettings(t *testing.T) {
	f := webtest.NewFixture(t)
	admin, thea := f.SignIn("admin@example.org"), f.SignIn("thea@example.org")
	appt := func(minutesAgo int) string {
		id := store.NewID()
		at := f.Now.Add(-time.Duration(minutesAgo) * time.Minute).UTC().Format("2006-01-02T15:04:05.000000Z07:00")
		if _, err := f.RawDB().Exec(`INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at) VALUES ($1, $2, 'integration', $3, 50, $4, $4, $3)`,
			id, f.PA.ID, at, f.Users["thea@example.org"].ID); err != nil {
			t.Fatal(err)
		}
		return "/patients/" + f.PA.ID + "/appointments/" + id + "/note"
	}
	old := appt(120)
	if r := f.Do("POST", old, url.Values{"format": {"dap"}, "version": {"0"}, "section_data": {"Begun in DAP."}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("draft = %d", r.Status)
	}

	r := f.Do("GET", "/admin/notes", nil, admin)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `href="/admin/notes/templates/integration"`) || !strings.Contains(r.Body, `value="3"`) {
		t.Fatalf("note settings = %d", r.Status)
	}
	webtest.CheckShell(t, "note settings", r)
	r = f.Do("GET", "/admin/notes/templates/integration?format=soap", nil, admin)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="prompt_subjective"`) {
		t.Fatalf("template form = %d", r.Status)
	}
	webtest.CheckShell(t, "note template", r)
	for _, p := range []string{"/admin/notes", "/admin/notes/templates/integration"} {
		if r := f.Do("GET", p, nil, thea); r.Status != http.StatusNotFound {
			t.Errorf("GET %s as a therapist = %d", p, r.Status)
		}
	}
	if r := f.Do("POST", "/admin/notes/templates/integration", url.Values{"format": {"soap"}, "prompt_subjective": {"Sneaky."}}, thea); r.Status != http.StatusNotFound {
		t.Errorf("a therapist saves a template = %d", r.Status)
	}
	if r := f.Do("POST", "/admin/notes/templates/integration", url.Values{"format": {"soap"}, "prompt_plan": {"two\nlines"}}, admin); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="prompt_plan-error"`) {
		t.Errorf("a bad prompt = %d", r.Status)
	}
	if r := f.Do("POST", "/admin/notes/templates/integration", url.Values{"format": {"soap"}, "prompt_subjective": {"What came back from the session, in their words."}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("save template = %d %s", r.Status, r.Body)
	}
	fresh := f.Do("GET", appt(60), nil, thea)
	if b := html.UnescapeString(fresh.Body); !strings.Contains(b, "What came back from the session, in their words.") || !strings.Contains(b, `name="format" value="soap"`) {
		t.Error("a note started after the change does not use the practice's template")
	}
	if b := f.Do("GET", old, nil, thea).Body; !strings.Contains(b, `name="format" value="dap"`) || !strings.Contains(b, "Begun in DAP.") {
		t.Error("the note started before the change lost its format")
	}
	if r := f.Do("POST", "/admin/notes/templates/integration/reset", url.Values{}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("reset = %d", r.Status)
	}
	if b := f.Do("GET", appt(30), nil, thea).Body; !strings.Contains(b, `name="format" value="dap"`) {
		t.Error("after the reset a new note does not start in kapstone's default format")
	}
	// Late after N days: the admin's setting, checked at the field.
	if r := f.Do("POST", "/admin/notes/late", url.Values{"late_days": {"zero"}}, admin); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="late_days-error"`) || !strings.Contains(r.Body, `value="zero"`) {
		t.Errorf("bad days = %d", r.Status)
	}
	if r := f.Do("POST", "/admin/notes/late", url.Values{"late_days": {"5"}}, admin); r.Status != http.StatusSeeOther {
		t.Errorf("save days = %d", r.Status)
	}
	if r := f.Do("POST", "/admin/notes/late", url.Values{"late_days": {"5"}}, thea); r.Status != http.StatusNotFound {
		t.Errorf("a therapist saves the days = %d", r.Status)
	}
	if len(f.AuditRows("setting.change")) < 3 {
		t.Error("the changes are not audited")
	}
}
