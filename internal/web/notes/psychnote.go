package notes

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Psychotherapy notes (issue 16 item 4; SECURITY.md 1.2): the author's own
// notes on a patient, kept apart from the record. Only the author ever
// sees one: the chart shows the viewer their own (staff's psychNoteSection), and
// the note's page is refused to anyone else by the store, answered as a
// page that does not exist.

// psychNotePageSize is how many notes a page of the full list shows.
const psychNotePageSize = 20

// psychNoteListData is the page listing the viewer's notes on one patient.
type psychNoteListData struct {
	Patient  *store.Patient
	Notes    []store.PsychNote
	Page     int // from 1
	More     bool
	Previous int // the previous page's number, 0 on the first
}

// PsychNoteList is GET /patients/{patient}/psychnotes: the viewer's own
// notes on the patient, newest first, a page at a time (?page=).
func (s *Handlers) PsychNoteList(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "psychnote.list")
	if !ok {
		return
	}
	defer view.Close()
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 || page > 10000 {
		page = 1
	}
	notes, more, err := s.Store.PsychNotes(r.Context(), s.Actor(r), r.PathValue("patient"),
		store.PsychNotePage{Limit: psychNotePageSize, Offset: (page - 1) * psychNotePageSize})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, ok := s.pathPatient(w, r)
	if !ok {
		return
	}
	s.RenderView(w, r, view, http.StatusOK, "psychnotes", "My psychotherapy notes", psychNoteListData{Patient: p, Notes: notes, Page: page, More: more, Previous: page - 1})
}

// psychNoteData is the page that writes or edits one note.
type psychNoteData struct {
	Patient *store.Patient
	Note    *store.PsychNote // the note as saved; nil for a new one
	// Body, Appointment and Version are the form's values: the saved note's,
	// or what was typed into a form that failed.
	Body        string
	Appointment string
	Version     int64
	// Appointments are the patient's appointments the note may belong to,
	// newest first.
	Appointments []store.Appointment
	Errors       map[string]string
	Posted       string // "psychnote" when the form was posted and failed
	Notice       string
	Action       string // the form's action
}

// psychNoteAppointments are the appointments a note may belong to: the
// patient's appointments that have begun or begin within a day (a note
// is written after a session, sometimes prepared just before), newest
// first, the 50 newest (read so in SQL, however many years of them there
// are), and always the one the note belongs to already.
func (s *Handlers) psychNoteAppointments(r *http.Request, patientID, keep string) ([]store.Appointment, error) {
	return s.Store.RecentAppointments(r.Context(), s.Actor(r), patientID, s.Now().Add(24*time.Hour), keep, 50)
}

// psychNotePage renders the note page with d, filling in the patient and
// the appointments, in view when there is one.
func (s *Handlers) psychNotePage(w http.ResponseWriter, r *http.Request, view *store.View, d psychNoteData, status int) {
	p, ok := s.pathPatient(w, r)
	if !ok {
		return
	}
	d.Patient = p
	keep := d.Appointment
	if d.Note != nil {
		keep = d.Note.AppointmentID
	}
	var err error
	if d.Appointments, err = s.psychNoteAppointments(r, p.ID, keep); err != nil {
		s.Error(w, r, err)
		return
	}
	d.Action = "/patients/" + p.ID + "/psychnotes"
	title := "New psychotherapy note"
	if d.Note != nil {
		d.Action += "/" + d.Note.ID
		title = "Psychotherapy note"
	}
	s.RenderView(w, r, view, status, "psychnote", title, d)
}

// PsychNoteNew is GET /patients/{patient}/psychnotes/new: the form for a
// new note, belonging to ?appointment= when given.
func (s *Handlers) PsychNoteNew(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View):
	// the form shows the patient and their appointments.
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "appointments.read")
	if !ok {
		return
	}
	defer view.Close()
	// The policy's check that the viewer may write here (the care team,
	// not emergency access, not an admin), refused as every other note
	// page is, first in the view, before anything is read.
	if err := s.Store.AuthorizeRecord(r.Context(), s.Actor(r), r.PathValue("patient"), auth.PermPsychNote, r.Pattern); err != nil {
		s.Error(w, r, err)
		return
	}
	s.psychNotePage(w, r, view, psychNoteData{Appointment: r.URL.Query().Get("appointment")}, http.StatusOK)
}

// PsychNoteCreate is POST /patients/{patient}/psychnotes.
func (s *Handlers) PsychNoteCreate(w http.ResponseWriter, r *http.Request) {
	n := &store.PsychNote{Body: r.PostFormValue("body"), AppointmentID: r.PostFormValue("appointment")}
	err := s.Store.CreatePsychNote(r.Context(), s.Actor(r), r.PathValue("patient"), n)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.psychNotePage(w, r, nil, psychNoteData{Body: r.PostFormValue("body"), Appointment: n.AppointmentID, Errors: e.Fields, Posted: "psychnote"}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/patients/"+url.PathEscape(r.PathValue("patient"))+"/psychnotes/"+n.ID+"?done=created", "psychnote")
}

// psychNoteDone are the notices after a save, by the redirect's done=.
var psychNoteDone = map[string]string{
	"created": "Note saved. Only you can read it.",
	"saved":   "Changes saved.",
}

// PsychNoteEdit is GET /patients/{patient}/psychnotes/{psychnote}: the
// note, opened for its author.
func (s *Handlers) PsychNoteEdit(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View),
	// naming the note.
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "psychnote.read")
	if !ok {
		return
	}
	defer view.Close()
	n, err := s.Store.PsychNote(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("psychnote"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := psychNoteData{Note: n, Body: n.Body, Appointment: n.AppointmentID, Version: n.Version}
	if text, ok := psychNoteDone[r.URL.Query().Get("done")]; ok {
		d.Notice, d.Posted = text, "psychnote"
	}
	s.psychNotePage(w, r, view, d, http.StatusOK)
}

// PsychNoteSave is POST /patients/{patient}/psychnotes/{psychnote}. A
// stale version (the note was saved in another window since) is shown
// again with the typed text kept and the saved text beside it.
func (s *Handlers) PsychNoteSave(w http.ResponseWriter, r *http.Request) {
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	n := &store.PsychNote{ID: r.PathValue("psychnote"), Body: r.PostFormValue("body"), AppointmentID: r.PostFormValue("appointment"), Version: version}
	err := s.Store.UpdatePsychNote(r.Context(), s.Actor(r), r.PathValue("patient"), n)
	if e, ok := err.(*clinic.Error); ok && (e.Code == clinic.EInvalid || e.Code == clinic.EConflict) {
		saved, ferr := s.Store.PsychNote(r.Context(), s.Actor(r), r.PathValue("patient"), n.ID)
		if ferr != nil {
			s.Error(w, r, ferr)
			return
		}
		d := psychNoteData{Note: saved, Body: r.PostFormValue("body"), Appointment: n.AppointmentID, Version: version, Errors: e.Fields, Posted: "psychnote"}
		if e.Code == clinic.EConflict {
			// Saving again now knowingly replaces the newer text.
			d.Version = saved.Version
		}
		s.psychNotePage(w, r, nil, d, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/patients/"+url.PathEscape(r.PathValue("patient"))+"/psychnotes/"+n.ID+"?done=saved", "psychnote")
}

// pathPatient is the patient the URL names ({patient}). When it cannot be
// read, pathPatient has already answered the request (as Error does) and
// ok is false.
func (s *Handlers) pathPatient(w http.ResponseWriter, r *http.Request) (p *store.Patient, ok bool) {
	p, _, err := s.Store.FindPatient(r.Context(), s.Actor(r), r.PathValue("patient"))
	if err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	return p, true
}
