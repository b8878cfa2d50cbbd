package notes_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestPsychNoteWriteAndEdit: the author writes a note from the chart's
// private section, linked to one of the patient's appointments; a
// validation error answers 422 at the field with the text kept; the saved
// note opens for editing, a save from a stale window is refused with both
// texts shown; the chart lists the note by its session, never its text; the
// prescriber on the same team sees the section with none of thea's notes.
func TestPsychNoteWriteAndEdit(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	ap := &store.Appointment{Kind: "integration", StartsAt: f.Now.Add(2 * time.Hour), Minutes: 60}
	if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, ap); err != nil {
		t.Fatal(err)
	}
	thea, rex := f.SignIn("thea@example.org"), f.SignIn("rex@example.org")
	base := "/patients/" + f.PA.ID

	chart := f.Do("GET", base, nil, thea)
	for _, want := range []string{`id="psychnotes"`, "My psychotherapy notes (private)", "visible only to you", "You have written no psychotherapy notes", base + "/psychnotes/new", `href="#psychnotes"`} {
		if !strings.Contains(chart.Body, want) {
			t.Errorf("the chart as the author lacks %q", want)
		}
	}

	form := f.Do("GET", base+"/psychnotes/new?appointment="+ap.ID, nil, thea)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `<option value="`+ap.ID+`" selected>`) || !strings.Contains(form.Body, "Private.") {
		t.Fatalf("new note form = %d, want the appointment chosen and the privacy line:\n%s", form.Status, form.Body)
	}
	webtest.CheckHeaders(t, "new note form", form.Header)

	// Empty text: 422 at the field, the choice kept.
	r := f.Do("POST", base+"/psychnotes", url.Values{"body": {"   "}, "appointment": {ap.ID}}, thea)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty note = %d, want 422", r.Status)
	}
	checkSummary(t, "empty note", r.Body, "psychnote", "psychnote-body")
	if !strings.Contains(r.Body, `<option value="`+ap.ID+`" selected>`) {
		t.Error("the failed form lost the chosen session")
	}
	// A control character: 422, the text kept.
	r = f.Do("POST", base+"/psychnotes", url.Values{"body": {"kept words\x07"}, "appointment": {"not-theirs"}}, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "kept words") {
		t.Fatalf("bad note = %d, want 422 with the text kept", r.Status)
	}
	checkSummary(t, "bad note", r.Body, "psychnote", "psychnote-body", "psychnote-appointment")

	const text = "Spoke of the winter her father left. Grief, not guilt."
	r = f.Do("POST", base+"/psychnotes", url.Values{"body": {text}, "appointment": {ap.ID}}, thea)
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, base+"/psychnotes/") || !strings.HasSuffix(loc, "?done=created#psychnote") {
		t.Fatalf("create = %d to %q", r.Status, loc)
	}
	notePath := strings.TrimSuffix(loc, "?done=created#psychnote")
	page := f.Do("GET", strings.TrimSuffix(loc, "#psychnote"), nil, thea)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, text) || !strings.Contains(page.Body, "Note saved. Only you can read it.") || !strings.Contains(page.Body, `name="version" value="1"`) {
		t.Fatalf("the saved note's page = %d:\n%s", page.Status, page.Body)
	}

	// The chart lists it by its session, without its text.
	chart = f.Do("GET", base, nil, thea)
	if !strings.Contains(chart.Body, notePath) || !strings.Contains(chart.Body, "Integration") || strings.Contains(chart.Body, "winter her father") {
		t.Errorf("the chart's private section: want a link named by the session and no text")
	}
	// The prescriber on the team has the section, empty: thea's note is
	// not there.
	rexChart := f.Do("GET", base, nil, rex)
	if !strings.Contains(rexChart.Body, `id="psychnotes"`) || strings.Contains(rexChart.Body, notePath) {
		t.Errorf("the chart as the prescriber: want the section without thea's note")
	}
	if r := f.Do("GET", notePath, nil, rex); r.Status != http.StatusNotFound || strings.Contains(r.Body, "winter") {
		t.Errorf("the note as the prescriber = %d, want 404 without the text", r.Status)
	}

	// Edit; then a stale window's save is refused, both texts shown.
	r = f.Do("POST", notePath, url.Values{"body": {text + " Second thoughts."}, "appointment": {""}, "version": {"1"}}, thea)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != notePath+"?done=saved#psychnote" {
		t.Fatalf("save = %d to %q", r.Status, r.Header.Get("Location"))
	}
	r = f.Do("POST", notePath, url.Values{"body": {"from the old window"}, "version": {"1"}}, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "from the old window") || !strings.Contains(r.Body, "Second thoughts.") ||
		!strings.Contains(r.Body, "The note as saved now") || !strings.Contains(r.Body, `name="version" value="2"`) {
		t.Fatalf("stale save = %d, want 422 with both texts and the new version:\n%s", r.Status, r.Body)
	}
	checkSummary(t, "stale save", r.Body, "psychnote", "psychnote-body")
	page = f.Do("GET", notePath, nil, thea)
	if !strings.Contains(page.Body, "Second thoughts.") || strings.Contains(page.Body, "from the old window") || strings.Contains(page.Body, `selected>Integration`) {
		t.Errorf("after the stale save the note is not the edited one")
	}
	list := f.Do("GET", base+"/psychnotes", nil, thea)
	if list.Status != http.StatusOK || !strings.Contains(list.Body, notePath) || strings.Contains(list.Body, "winter") {
		t.Errorf("the list page = %d, want the note's link and no text", list.Status)
	}
}
