package admin

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Note settings (issue 16): after how many days an unsigned note is late,
// and each appointment kind's note template (format and prompts).

type noteSettingsData struct {
	LateDays  string
	Templates []store.PracticeNoteTemplate
	Formats   []clinic.NoteFormat
	Notice    string
	Posted    string
	Errors    map[string]string
}

// NoteSettings shows the note settings page.
func (s *Handlers) NoteSettings(w http.ResponseWriter, r *http.Request) {
	d := noteSettingsData{}
	switch r.URL.Query().Get("done") {
	case "late":
		d.Notice, d.Posted = "Saved. The late-notes list counts from this number of days.", "late"
	case "template":
		d.Notice, d.Posted = "Template saved. Notes started from now on use it; notes already started keep their format.", "templates"
	case "reset":
		d.Notice, d.Posted = "Kapstone's default template is back for that kind. Notes already started keep their format.", "templates"
	}
	s.noteSettingsPage(w, r, http.StatusOK, d)
}

func (s *Handlers) noteSettingsPage(w http.ResponseWriter, r *http.Request, status int, d noteSettingsData) {
	var err error
	if d.Templates, err = s.Store.NoteTemplates(r.Context(), s.Actor(r)); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.LateDays == "" {
		days, err := s.Store.NoteLateDays(r.Context())
		if err != nil {
			s.Error(w, r, err)
			return
		}
		d.LateDays = strconv.Itoa(days)
	}
	d.Formats = clinic.NoteFormats
	s.Render(w, r, status, "note_settings", "Note settings", d)
}

// NoteLateDaysSave saves after how many days an unsigned note is late.
func (s *Handlers) NoteLateDaysSave(w http.ResponseWriter, r *http.Request) {
	raw := r.PostFormValue("late_days")
	if err := s.Store.SetNoteLateDays(r.Context(), s.Actor(r), raw); err != nil {
		if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
			s.noteSettingsPage(w, r, http.StatusUnprocessableEntity, noteSettingsData{LateDays: raw, Errors: e.Fields, Posted: "late"})
			return
		}
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/admin/notes?done=late", "late")
}

type noteTemplateData struct {
	Template store.PracticeNoteTemplate
	Format   clinic.NoteFormat
	Formats  []clinic.NoteFormat
	Prompts  map[string]string // what the form shows, by section
	Errors   map[string]string
	Posted   string
}

// NoteTemplateForm shows one kind's template, in the format asked
// (?format=) or its own.
func (s *Handlers) NoteTemplateForm(w http.ResponseWriter, r *http.Request) {
	s.noteTemplatePage(w, r, http.StatusOK, r.URL.Query().Get("format"), nil, nil)
}

func (s *Handlers) noteTemplatePage(w http.ResponseWriter, r *http.Request, status int, format string, form url.Values, errs map[string]string) {
	list, err := s.Store.NoteTemplates(r.Context(), s.Actor(r))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := noteTemplateData{Formats: clinic.NoteFormats, Errors: errs, Prompts: map[string]string{}}
	found := false
	for _, t := range list {
		if t.Kind == r.PathValue("kind") {
			d.Template, found = t, true
		}
	}
	if !found {
		s.NotFound(w, r)
		return
	}
	if form != nil {
		d.Posted = "template"
	}
	f, ok := clinic.NoteFormatOf(format)
	if !ok {
		f, _ = clinic.NoteFormatOf(d.Template.Format)
	}
	d.Format = f
	for _, sec := range f.Sections {
		switch {
		case form != nil:
			d.Prompts[sec.Key] = form.Get("prompt_" + sec.Key)
		case f.Key == d.Template.Format:
			d.Prompts[sec.Key] = d.Template.Prompts[sec.Key]
		}
	}
	s.Render(w, r, status, "note_template", "Note template: "+d.Template.Title, d)
}

// NoteTemplateSave saves one kind's template.
func (s *Handlers) NoteTemplateSave(w http.ResponseWriter, r *http.Request) {
	t := clinic.NoteTemplate{Kind: r.PathValue("kind"), Format: r.PostFormValue("format"), Prompts: map[string]string{}}
	if f, ok := clinic.NoteFormatOf(t.Format); ok {
		for _, sec := range f.Sections {
			t.Prompts[sec.Key] = r.PostFormValue("prompt_" + sec.Key)
		}
	}
	if err := s.Store.SaveNoteTemplate(r.Context(), s.Actor(r), t); err != nil {
		if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
			s.noteTemplatePage(w, r, http.StatusUnprocessableEntity, t.Format, r.PostForm, e.Fields)
			return
		}
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/admin/notes?done=template", "templates")
}

// NoteTemplateReset puts kapstone's default template back for one kind.
func (s *Handlers) NoteTemplateReset(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.ResetNoteTemplate(r.Context(), s.Actor(r), r.PathValue("kind")); err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/admin/notes?done=reset", "templates")
}
