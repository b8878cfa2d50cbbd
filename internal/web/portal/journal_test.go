package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestJournalPromptAfterDischarge: a discharged session with no entry
// invites the patient to write; writing takes the invitation away; a
// second visit to the invitation opens the entry; other patients reach
// neither the session nor the entry.
func TestJournalPromptAfterDischarge(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	session := f.InsertDosingSession(f.PA.ID, "discharged", time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC))
	f.InsertDosingSession(f.PA.ID, "dosed", f.Now.Add(-time.Hour)) // not discharged yet: no invitation

	list := f.Do("GET", "/portal/journal", nil, pat)
	if list.Status != http.StatusOK || !strings.Contains(list.Body, "Write about your session on Tuesday, November 24, 2026") ||
		strings.Count(list.Body, "Write about your session") != 1 || !strings.Contains(list.Body, `href="/portal/journal/new?session=`+session+`"`) {
		t.Fatalf("GET /portal/journal = %d, want one invitation to write about the discharged session:\n%s", list.Status, list.Body)
	}
	webtest.CheckShell(t, "journal", list)
	form := f.Do("GET", "/portal/journal/new?session="+session, nil, pat)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, "After your session on Tuesday, November 24, 2026") ||
		!strings.Contains(form.Body, `<label for="answer-0">What stood out for you?</label>`) || !strings.Contains(form.Body, `name="session" value="`+session+`"`) ||
		!strings.Contains(form.Body, "Share with my care team") || strings.Contains(form.Body, `name="shared" value="yes" aria-describedby="journal-shared-hint" checked`) {
		t.Fatalf("GET /portal/journal/new?session= = %d, want the prompts about the session, private by default:\n%s", form.Status, form.Body)
	}

	// Nothing written: refused, and what was ticked is kept.
	r := f.Do("POST", "/portal/journal", url.Values{"session": {session}, "answer_body": {"   "}, "shared": {"yes"}}, pat)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Write something for at least one of the questions") ||
		!strings.Contains(r.Body, `aria-invalid="true" aria-describedby="answer-0-error answer-0-hint"`) || !strings.Contains(r.Body, " checked>") {
		t.Errorf("POST an empty entry = %d, want 422 with the error at the first prompt and the choice kept:\n%s", r.Status, r.Body)
	}

	r = f.Do("POST", "/portal/journal", url.Values{"session": {session}, "answer_stood_out": {"The music & the light <b>."}, "answer_carry": {"Slow mornings."}}, pat)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/portal/journal?done=private#entry-") {
		t.Fatalf("POST the entry = %d %q, want 303 back to the journal", r.Status, r.Header.Get("Location"))
	}
	entry := strings.TrimPrefix(r.Header.Get("Location"), "/portal/journal?done=private#entry-")
	list = f.Do("GET", "/portal/journal?done=private", nil, pat)
	if strings.Contains(list.Body, "Write about your session") || !strings.Contains(list.Body, "After your session on Tuesday, November 24, 2026") ||
		!strings.Contains(list.Body, "Private") || !strings.Contains(list.Body, "The music &amp; the light &lt;b&gt;.") || !strings.Contains(list.Body, "only you can read it") {
		t.Errorf("the journal after writing still invites, or lacks the entry:\n%s", list.Body)
	}

	// The invitation's link now opens the entry, to change it.
	if r := f.Do("GET", "/portal/journal/new?session="+session, nil, pat); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal/journal/entry?id="+entry {
		t.Errorf("GET new for a session with an entry = %d %q, want 303 to the entry", r.Status, r.Header.Get("Location"))
	}
	edit := f.Do("GET", "/portal/journal/entry?id="+entry, nil, pat)
	if edit.Status != http.StatusOK || !strings.Contains(edit.Body, "Slow mornings.</textarea>") || !strings.Contains(edit.Body, `name="entry" value="`+entry+`"`) {
		t.Fatalf("GET the entry = %d, want the form with the text:\n%s", edit.Status, edit.Body)
	}
	r = f.Do("POST", "/portal/journal", url.Values{"entry": {entry}, "answer_stood_out": {"The music."}, "answer_carry": {"Slow mornings, and a walk."}, "shared": {"yes"}}, pat)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal/journal?done=shared#entry-"+entry {
		t.Fatalf("POST the edit = %d %q, want 303 to the same entry", r.Status, r.Header.Get("Location"))
	}
	list = f.Do("GET", "/portal/journal", nil, pat)
	if !strings.Contains(list.Body, "Shared with your care team") || !strings.Contains(list.Body, "changed") {
		t.Errorf("the journal after sharing does not say so:\n%s", list.Body)
	}

	// Patient B reaches neither A's session nor A's entry.
	bea := f.SignIn("bea@example.org")
	for _, path := range []string{"/portal/journal/new?session=" + session, "/portal/journal/entry?id=" + entry} {
		if r := f.Do("GET", path, nil, bea); r.Status != http.StatusNotFound || strings.Contains(r.Body, "Slow mornings") {
			t.Errorf("GET %s as patient B = %d, want 404 without the text", path, r.Status)
		}
	}
	if r := f.Do("POST", "/portal/journal", url.Values{"entry": {entry}, "answer_stood_out": {"overwritten"}}, bea); r.Status != http.StatusNotFound {
		t.Errorf("POST to A's entry as patient B = %d, want 404", r.Status)
	}
	if r := f.Do("GET", "/portal/journal", nil, bea); strings.Contains(r.Body, "Write about your session") || strings.Contains(r.Body, "Slow mornings") {
		t.Errorf("patient B's journal shows A's session or entry")
	}
}
