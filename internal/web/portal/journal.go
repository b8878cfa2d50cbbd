package portal

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// journalListData is the portal's journal page.
type journalListData struct {
	Entries []journalItem
	Pending []journalSessionItem
	Notice  string
}

// journalItem is one entry in the list, with its dates in the patient's zone.
type journalItem struct {
	ID      string
	Written string // when first written
	Updated string // when last changed; "" when never
	Session string // the date of the session it is about; "" when none
	Shared  bool
	Excerpt string
}

type journalSessionItem struct {
	ID, Date string
}

// journalFormData is the journal form, for a new entry or an edit.
type journalFormData struct {
	EntryID   string
	SessionID string
	Session   string // the date of the session the entry is about
	Written   string // for an edit: when it was first written
	Prompts   []store.JournalAnswer
	Shared    bool
	Errors    map[string]string
	Error     string // a problem with the whole form
}

// journalDate is the day of t for the patient, in words.
func journalDate(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Monday, January 2, 2006")
}

// excerpt is the start of the entry's first answer, on one line.
func excerpt(e store.JournalEntry) string {
	for _, a := range e.Answers {
		v := strings.Join(strings.Fields(a.Answer), " ")
		if v == "" {
			continue
		}
		if utf8.RuneCountInString(v) > 140 {
			v = string([]rune(v)[:140]) + "…"
		}
		return v
	}
	return ""
}

// ownPatient is the signed-in patient's own record and time zone.
func (s *Handlers) ownPatient(w http.ResponseWriter, r *http.Request) (*store.Patient, *time.Location, bool) {
	p, ok := s.OwnPatient(w, r)
	if !ok {
		return nil, nil, false
	}
	loc, _ := s.PatientZone(r, p)
	return p, loc, true
}

// Journal lists the patient's entries, newest first, after an
// invitation to write about each discharged session that has none yet.
func (s *Handlers) Journal(w http.ResponseWriter, r *http.Request) {
	r, view, ok := s.ownView(w, r, "journal.read")
	if !ok {
		return
	}
	defer view.Close()
	p, loc, ok := s.ownPatient(w, r)
	if !ok {
		return
	}
	ctx, actor := r.Context(), s.Actor(r)
	entries, err := s.Store.JournalEntries(ctx, actor, p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	pending, err := s.Store.PendingJournalSessions(ctx, actor, p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var d journalListData
	for _, js := range pending {
		d.Pending = append(d.Pending, journalSessionItem{ID: js.ID, Date: journalDate(js.At, loc)})
	}
	for _, e := range entries {
		it := journalItem{ID: e.ID, Written: journalDate(e.CreatedAt, loc), Shared: e.Shared, Excerpt: excerpt(e)}
		if e.Version > 1 {
			it.Updated = journalDate(e.UpdatedAt, loc)
		}
		if e.SessionAt != nil {
			it.Session = journalDate(*e.SessionAt, loc)
		}
		d.Entries = append(d.Entries, it)
	}
	switch r.URL.Query().Get("done") {
	case "shared":
		d.Notice = "Saved, and shared with your care team."
	case "private":
		d.Notice = "Saved. This entry is private: only you can read it."
	}
	s.RenderView(w, r, view, http.StatusOK, "portal_journal", "Your journal", d)
}

// JournalNew is the form for a new entry, about the session in
// ?session= when given. A session that already has an entry opens that
// entry instead.
func (s *Handlers) JournalNew(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.ownView(w, r, "journal.read")
	if !ok {
		return
	}
	defer view.Close()
	p, loc, ok := s.ownPatient(w, r)
	if !ok {
		return
	}
	d := journalFormData{Prompts: store.JournalFormPrompts(nil)}
	if id := r.URL.Query().Get("session"); id != "" {
		js, entryID, err := s.Store.JournalSessionFor(r.Context(), s.Actor(r), p.ID, id)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if entryID != "" {
			http.Redirect(w, r, "/portal/journal/entry?id="+entryID, http.StatusSeeOther)
			return
		}
		d.SessionID, d.Session = js.ID, journalDate(js.At, loc)
	}
	s.RenderView(w, r, view, http.StatusOK, "portal_journal_entry", "New journal entry", d)
}

// JournalEntry is one of the patient's entries, open to edit.
func (s *Handlers) JournalEntry(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.ownView(w, r, "journal.read")
	if !ok {
		return
	}
	defer view.Close()
	p, loc, ok := s.ownPatient(w, r)
	if !ok {
		return
	}
	id := r.URL.Query().Get("id")
	if id == "" {
		s.NotFound(w, r)
		return
	}
	e, err := s.Store.JournalEntry(r.Context(), s.Actor(r), p.ID, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.RenderView(w, r, view, http.StatusOK, "portal_journal_entry", "Journal entry", entryForm(e, loc))
}

// entryForm is the form for editing e, as saved.
func entryForm(e *store.JournalEntry, loc *time.Location) journalFormData {
	d := journalFormData{EntryID: e.ID, SessionID: e.SessionID, Written: journalDate(e.CreatedAt, loc), Prompts: store.JournalFormPrompts(e), Shared: e.Shared}
	if e.SessionAt != nil {
		d.Session = journalDate(*e.SessionAt, loc)
	}
	return d
}

// JournalSave saves the form as a new entry or a new version
// of one. A form that cannot be saved comes back with everything typed.
func (s *Handlers) JournalSave(w http.ResponseWriter, r *http.Request) {
	p, loc, ok := s.ownPatient(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	in := store.JournalInput{EntryID: f.Get("entry"), SessionID: f.Get("session"), Answers: map[string]string{}, Shared: f.Get("shared") == "yes"}
	for k, v := range f {
		if id, ok := strings.CutPrefix(k, "answer_"); ok && len(v) > 0 {
			in.Answers[id] = v[0]
		}
	}
	ctx, actor := r.Context(), s.Actor(r)
	id, err := s.Store.SaveJournalEntry(ctx, actor, p.ID, in)
	if err == nil {
		done := map[bool]string{true: "shared", false: "private"}[in.Shared]
		http.Redirect(w, r, "/portal/journal?done="+done+"#entry-"+id, http.StatusSeeOther)
		return
	}
	code := clinic.ErrorCode(err)
	if code != clinic.EInvalid && code != clinic.EConflict {
		s.Error(w, r, err)
		return
	}
	// Show the form again with what was typed, at the prompts it was
	// typed for.
	d := journalFormData{SessionID: in.SessionID, Prompts: store.JournalFormPrompts(nil)}
	if in.EntryID != "" {
		e, ferr := s.Store.JournalEntry(ctx, actor, p.ID, in.EntryID)
		if ferr != nil {
			s.Error(w, r, ferr)
			return
		}
		d = entryForm(e, loc)
	} else if in.SessionID != "" {
		if js, _, ferr := s.Store.JournalSessionFor(ctx, actor, p.ID, in.SessionID); ferr == nil && js != nil {
			d.Session = journalDate(js.At, loc)
		}
	}
	for i := range d.Prompts {
		d.Prompts[i].Answer = in.Answers[d.Prompts[i].PromptID]
	}
	d.Shared = in.Shared
	if e, ok := err.(*clinic.Error); ok && len(e.Fields) > 0 {
		d.Errors = e.Fields
	} else {
		d.Error = clinic.ErrorMessage(err)
	}
	s.Render(w, r, http.StatusUnprocessableEntity, "portal_journal_entry", "Journal entry", d)
}
