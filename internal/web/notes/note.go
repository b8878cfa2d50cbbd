// Package notes is the signed clinical record (issue 16): clinical
// (progress) notes with their addenda, psychotherapy notes, consents
// signed on paper and their revocation, and the PDFs made of them (a
// signed note, a signed consent, the outcome summary). It is kept apart
// from the staff face for size; the chart (staff) links to it and lists
// the notes, psychotherapy notes and consents itself.
package notes

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers serves the notes routes. It embeds the shared shell state.
type Handlers struct {
	*shell.App
	// ChartForm shows the chart again with a failed chart form's errors
	// at its section (staff's chart page, wired by the server).
	ChartForm func(w http.ResponseWriter, r *http.Request, errors map[string]string, posted string, form url.Values)
}

// New returns the notes handlers over the shared state.
func New(app *shell.App) *Handlers {
	return &Handlers{App: app}
}

// The note page of one
// appointment (the format's sections as labelled textareas with their
// prompts, saved as typed by app.js and by "Save draft" without it;
// "Sign note" with an attestation; then read-only with its signature and
// addenda), and the patient's list of notes.

// noteSectionView is one section of the note page.
type noteSectionView struct {
	Key, Title, Prompt string
	Text               string // what the form shows
	Saved              string // on a stale save: the text saved meanwhile
	Error              string
}

// notePage is the note page's data.
type notePage struct {
	view        *store.View // the page's view (GET), nil for a post's answer
	Patient     *store.Patient
	Note        *store.Note
	Sections    []noteSectionView
	Formats     []clinic.NoteFormat
	Format      string
	FormatTitle string
	Version     int // the version the form saves against
	CanEdit     bool
	CanAddendum bool
	Attest      bool
	Conflict    string // a stale save's message
	Errors      map[string]string
	Notice      string
	Posted      string // the id of the section whose form was posted
	Form        url.Values
	Zone        string
	Dosing      *store.DosingSession // a dosing note's session, read live
	Journal     []store.JournalEntry // an integration note's shared journal
	Kinds       []struct{ Key, Title string }
	// Unsaved is posted text the note could not take (it was signed
	// meanwhile, or is someone else's draft), shown so nothing is lost.
	Unsaved []noteSectionView
	Path    string
}

// notePath is the note page of appointmentID of patientID.
func notePath(patientID, appointmentID string) string {
	return "/patients/" + patientID + "/appointments/" + appointmentID + "/note"
}

// noteInputOf reads the note form.
func noteInputOf(f url.Values) store.NoteInput {
	in := store.NoteInput{Format: f.Get("format"), Sections: map[string]string{}, Attest: f.Get("attest") == "yes"}
	in.Version, _ = strconv.Atoi(f.Get("version"))
	if nf, ok := clinic.NoteFormatOf(in.Format); ok {
		for _, s := range nf.Sections {
			in.Sections[s.Key] = f.Get("section_" + s.Key)
		}
	}
	return in
}

var noteNotices = map[string]string{
	"saved":    "Draft saved.",
	"signed":   "Note signed. It can no longer change; add an addendum below for anything more.",
	"awaiting": "Note signed. It can no longer change, and now waits for your supervisor's co-signature.",
	"addendum": "Addendum signed and added under the note.",
	"carried":  "You are signed in again, and the note you were writing is saved as a draft.",
}

// Note shows the note of the appointment in the path.
func (s *Handlers) Note(w http.ResponseWriter, r *http.Request) {
	d := notePage{Notice: noteNotices[r.URL.Query().Get("done")]}
	if d.Notice != "" {
		d.Posted = "note"
		if r.URL.Query().Get("done") == "addendum" {
			d.Posted = "addenda"
		}
	}
	// One read transaction and one audit row for the page (store.View),
	// naming the note.
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "note.read")
	if !ok {
		return
	}
	defer view.Close()
	d.view = view
	s.notePage(w, r, r.PathValue("patient"), r.PathValue("appointment"), http.StatusOK, d, nil)
}

// notePage renders the note page of appointmentID of patientID with d
// (its form and errors when a post failed), answering err's status when a
// post failed with err.
func (s *Handlers) notePage(w http.ResponseWriter, r *http.Request, patientID, appointmentID string, status int, d notePage, err error) {
	ctx, actor := r.Context(), s.Actor(r)
	if err != nil {
		switch clinic.ErrorCode(err) {
		case clinic.EInvalid:
			status = http.StatusUnprocessableEntity
			if e, ok := err.(*clinic.Error); ok {
				d.Errors = e.Fields
			}
		case clinic.EConflict:
			status, d.Conflict = http.StatusConflict, clinic.ErrorMessage(err)
		case clinic.EForbidden:
			status, d.Conflict = http.StatusForbidden, clinic.ErrorMessage(err)
		default:
			s.Error(w, r, err)
			return
		}
	}
	p, acc, ferr := s.Store.FindPatient(ctx, actor, patientID)
	if ferr != nil {
		s.Error(w, r, ferr)
		return
	}
	n, nerr := s.Store.NoteFor(ctx, actor, patientID, appointmentID)
	if nerr != nil {
		s.Error(w, r, nerr)
		return
	}
	_, d.Zone = s.PracticeZone(r)
	d.Patient, d.Note, d.Formats, d.Path = p, n, clinic.NoteFormats, notePath(patientID, appointmentID)
	d.Kinds = clinic.AddendumKinds
	write := acc.Can(auth.PermNoteWrite)
	d.CanEdit = write && !n.Locked() && (n.ID == "" || n.AuthorID == actor.UserID)
	d.CanAddendum = write && n.Status == clinic.NoteSigned
	format := n.Format
	if n.ID == "" {
		if f := r.URL.Query().Get("format"); f != "" {
			if _, ok := clinic.NoteFormatOf(f); ok {
				format = f
			}
		}
	}
	posted := d.Form != nil && d.Posted == "note"
	if posted && d.CanEdit {
		if _, ok := clinic.NoteFormatOf(d.Form.Get("format")); ok {
			format = d.Form.Get("format")
		}
		d.Attest = d.Form.Get("attest") == "yes"
	}
	f, _ := clinic.NoteFormatOf(format)
	d.Format, d.FormatTitle, d.Version = f.Key, f.Title, n.Version
	tpl := n.Template()
	for _, sec := range f.Sections {
		v := noteSectionView{Key: sec.Key, Title: sec.Title, Prompt: tpl.Prompt(format, sec.Key), Text: n.Sections[sec.Key], Error: d.Errors["section_"+sec.Key]}
		if posted && d.CanEdit {
			v.Text = d.Form.Get("section_" + sec.Key)
			if d.Conflict != "" && format == n.Format {
				v.Saved = n.Sections[sec.Key]
			}
		}
		d.Sections = append(d.Sections, v)
	}
	if posted && !d.CanEdit {
		if pf, ok := clinic.NoteFormatOf(d.Form.Get("format")); ok {
			for _, sec := range pf.Sections {
				if t := strings.TrimSpace(d.Form.Get("section_" + sec.Key)); t != "" {
					d.Unsaved = append(d.Unsaved, noteSectionView{Key: sec.Key, Title: sec.Title, Text: t})
				}
			}
		}
	}
	if posted && d.CanEdit && d.Conflict == "" {
		// An invalid save keeps the version it was made from.
		if v, err := strconv.Atoi(d.Form.Get("version")); err == nil {
			d.Version = v
		}
	}
	switch n.Kind {
	case "dosing":
		if d.Dosing, err = s.Store.NoteDosingSession(ctx, actor, patientID, appointmentID); err != nil {
			s.Error(w, r, err)
			return
		}
	case "integration":
		if d.Journal, err = s.Store.SharedJournal(ctx, actor, patientID); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	title := "Note: " + clinic.AppointmentTitle(n.Kind)
	w.Header().Set("Cache-Control", "no-store")
	s.RenderView(w, r, d.view, status, "note", title, d)
}

// noteSaved is the answer to a note saved in the background (autosave=1).
type noteSaved struct {
	Saved   bool              `json:"saved"`
	Version int               `json:"version,omitempty"`
	At      string            `json:"at,omitempty"` // when, as the page shows it ("10:42")
	Message string            `json:"message,omitempty"`
	Errors  map[string]string `json:"errors,omitempty"`
}

// NoteSave saves the note form as a draft: from "Save draft" (a page
// answer) or the page's script as the clinician types (autosave=1, a
// JSON answer that says saved only when it was).
func (s *Handlers) NoteSave(w http.ResponseWriter, r *http.Request) {
	patientID, apptID := r.PathValue("patient"), r.PathValue("appointment")
	n, err := s.Store.SaveNoteDraft(r.Context(), s.Actor(r), patientID, apptID, noteInputOf(r.PostForm))
	if r.PostFormValue("autosave") == "1" {
		out, status := noteSaved{}, http.StatusOK
		switch clinic.ErrorCode(err) {
		case "":
			loc, _ := s.PracticeZone(r)
			out = noteSaved{Saved: true, Version: n.Version, At: n.UpdatedAt.In(loc).Format("15:04")}
		case clinic.EInvalid:
			status, out.Message = http.StatusUnprocessableEntity, "Something in the note cannot be saved: use “Save draft” to see where."
			if e, ok := err.(*clinic.Error); ok {
				out.Errors = e.Fields
			}
		case clinic.EConflict:
			status, out.Message = http.StatusConflict, clinic.ErrorMessage(err)
		case clinic.EForbidden:
			status, out.Message = http.StatusForbidden, clinic.ErrorMessage(err)
		case clinic.ENotFound:
			status, out.Message = http.StatusNotFound, "This note could not be found."
		default:
			s.LogSaveFailed(r, "note autosave", err)
			status, out.Message = http.StatusServiceUnavailable, "The server could not save just now."
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(out)
		return
	}
	if err != nil {
		s.notePage(w, r, patientID, apptID, 0, notePage{Form: r.PostForm, Posted: "note"}, err)
		return
	}
	shell.SeeOther(w, r, notePath(patientID, apptID)+"?done=saved", "note")
}

// NoteSign saves the note form and signs it.
func (s *Handlers) NoteSign(w http.ResponseWriter, r *http.Request) {
	patientID, apptID := r.PathValue("patient"), r.PathValue("appointment")
	n, err := s.Store.SignNote(r.Context(), s.Actor(r), patientID, apptID, noteInputOf(r.PostForm))
	if err != nil {
		s.notePage(w, r, patientID, apptID, 0, notePage{Form: r.PostForm, Posted: "note"}, err)
		return
	}
	done := "signed"
	if n.Awaiting() {
		done = "awaiting"
	}
	shell.SeeOther(w, r, notePath(patientID, apptID)+"?done="+done, "note")
}

// NoteAddendum adds a signed addendum under a signed note.
func (s *Handlers) NoteAddendum(w http.ResponseWriter, r *http.Request) {
	patientID, apptID := r.PathValue("patient"), r.PathValue("appointment")
	if _, err := s.Store.AddNoteAddendum(r.Context(), s.Actor(r), patientID, apptID, r.PostFormValue("kind"), r.PostFormValue("body")); err != nil {
		s.notePage(w, r, patientID, apptID, 0, notePage{Form: r.PostForm, Posted: "addenda"}, err)
		return
	}
	shell.SeeOther(w, r, notePath(patientID, apptID)+"?done=addendum", "addenda")
}

// ApplyNoteCarry saves a note's draft carried through sign-in
// (shell.Carry) as the user just signed in, with every check an ordinary
// save has, and lands on the note with the text: redirected to it when
// saved, or shown with the text kept and the reason when it was not saved
// (a newer draft saved meanwhile, someone else's draft, the carried draft
// past its time or already applied once: then the text is shown, marked
// not saved yet, for the clinician to review and save). A draft carried
// from another user's ended session is neither saved nor shown: it is not
// this user's. One that does not open is answered with a page saying so.
// It returns false, answering nothing, only for a draft not posted to a
// note.
func (s *Handlers) ApplyNoteCarry(w http.ResponseWriter, r *http.Request, sealed string) bool {
	ctx, actor := r.Context(), s.Actor(r)
	c, err := s.OpenCarry(sealed)
	if err != nil {
		s.Log.Warn("carried draft not opened", "request_id", shell.RequestID(ctx), "err", err.Error())
		s.Error(w, r, clinic.Errorf(clinic.EForbidden, "You are signed in, but the note you were writing when your session ended could not be restored here, so it was not saved. If that window is still open, its text may still be there (use the browser's back button) to copy."))
		return true
	}
	// "/patients/{patient}/appointments/{appointment}/note" or ".../note/sign"
	parts := strings.Split(strings.TrimPrefix(c.Path, "/"), "/")
	if len(parts) < 5 || parts[0] != "patients" || parts[2] != "appointments" || parts[4] != "note" || len(parts) > 6 ||
		len(parts) == 6 && parts[5] != "sign" {
		return false
	}
	if c.User != actor.UserID {
		s.Store.Audit(ctx, actor, store.Entry{Action: "carry.refused", Outcome: store.OutcomeDenied, ObjectType: "user", ObjectID: actor.UserID, Detail: "another user's"})
		s.Error(w, r, clinic.Errorf(clinic.EForbidden, "You are signed in. A note was being written in this browser by someone else whose session ended; it is theirs, so it was not saved under your name and is not shown."))
		return true
	}
	patientID, apptID := parts[1], parts[3]
	form := url.Values{}
	for k, v := range c.Form {
		if k != "attest" { // a carried post is saved as a draft, never signed unseen
			form[k] = v
		}
	}
	notYet := func(why string) {
		s.notePage(w, r, patientID, apptID, 0, notePage{Form: form, Posted: "note"},
			clinic.Errorf(clinic.EConflict, "Not saved yet. This is the note you were writing when your session ended; %s Check the text below and press “Save draft” to keep it.", why))
	}
	if c.Expired(s.Now().UTC()) {
		notYet("it was kept longer than 12 hours, so it was not saved on its own.")
		return true
	}
	fresh, err := s.Store.ClaimCarry(ctx, actor, c.Nonce)
	if err != nil {
		s.Log.Error("carried draft not claimed", "request_id", shell.RequestID(ctx), "err", err.Error())
		notYet("the server could not save it just now.")
		return true
	}
	if !fresh {
		notYet("it was already restored once, so it was not saved again.")
		return true
	}
	if _, err := s.Store.SaveNoteDraft(ctx, actor, patientID, apptID, noteInputOf(form)); err != nil {
		s.notePage(w, r, patientID, apptID, 0, notePage{Form: form, Posted: "note"}, err)
		return true
	}
	shell.SeeOther(w, r, notePath(patientID, apptID)+"?done=carried", "note")
	return true
}

// noteList is the list page's data.
type noteList struct {
	Patient *store.Patient
	Notes   *store.NoteList
	Zone    string
}

// NoteList lists the patient's notes, a page at a time.
func (s *Handlers) NoteList(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "note.list")
	if !ok {
		return
	}
	defer view.Close()
	p, _, err := s.Store.FindPatient(r.Context(), s.Actor(r), r.PathValue("patient"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	list, err := s.Store.Notes(r.Context(), s.Actor(r), p.ID, page)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	_, zone := s.PracticeZone(r)
	s.RenderView(w, r, view, http.StatusOK, "notes", "Notes: "+p.DisplayName, noteList{Patient: p, Notes: list, Zone: zone})
}
