// Package messages is the secure messages face (issue 17): the patient's
// threads with their care team in the portal, the care team's shared inbox,
// and a patient's threads from their chart. Every page that lists or shows
// messages carries the notice that messages are not for emergencies, with
// the crisis lines as tap links (the template "message-notice").
package messages

import (
	"context"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers serves the messages pages.
type Handlers struct {
	*shell.App
}

// New returns the messages handlers over app.
func New(app *shell.App) *Handlers { return &Handlers{App: app} }

// listData is a patient's threads: the portal's messages page (with the
// form for a new thread) or, for staff, the patient's threads from the chart.
type listData struct {
	Staff     bool
	PatientID string
	Patient   string // the patient's name (staff)
	Threads   []store.MessageThread
	Subject   string // a new thread's form, as typed
	Body      string
	Errors    map[string]string
	Max       int
	// Unsent is set when the patient's message could not be sent and
	// what they typed holds words of acute risk: the page shows crisis
	// help (with the practice's phone) though nothing was sent.
	Unsent    bool
	Phone     string       // the practice's phone, for crisis help
	PhoneHref template.URL // its tel: link
}

// threadData is one thread and its reply form.
type threadData struct {
	Staff     bool
	PatientID string
	Patient   string // the patient's name (staff)
	Thread    *store.MessageThread
	Messages  []store.Message
	Sent      *store.Message // the reader's message just sent (?sent=), found in the thread
	Body      string         // the reply, as typed
	Errors    map[string]string
	Max       int
	Unsent    bool         // as listData.Unsent, for a reply
	Phone     string       // the practice's phone, for crisis help after a risk message
	PhoneHref template.URL // its tel: link
}

// Action is where the reply form posts.
func (d threadData) Action() string {
	if d.Staff {
		return "/patients/" + d.PatientID + "/messages/" + d.Thread.ID
	}
	return "/portal/messages/" + d.Thread.ID
}

// Back is the page the thread was reached from.
func (d threadData) Back() string {
	if d.Staff {
		return "/patients/" + d.PatientID + "/messages"
	}
	return "/portal/messages"
}

// inboxData is the care team's shared inbox.
type inboxData struct {
	Threads []store.MessageThread
	Page    int
	More    bool
}

// Prev and Next are the neighbouring page numbers.
func (d inboxData) Prev() int { return d.Page - 1 }
func (d inboxData) Next() int { return d.Page + 1 }

// fieldErrors returns err's field messages when it is a validation error.
func fieldErrors(err error) (map[string]string, bool) {
	var ce *clinic.Error
	if e, ok := err.(*clinic.Error); ok {
		ce = e
	}
	if ce == nil || ce.Code != clinic.EInvalid || len(ce.Fields) == 0 {
		return nil, false
	}
	return ce.Fields, true
}

// PortalList is the patient's threads, newest first, and the form to
// start a new one.
func (s *Handlers) PortalList(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, p, ok := s.OwnView(w, r, "message.list")
	if !ok {
		return
	}
	defer view.Close()
	s.portalList(w, r, view, p, listData{}, http.StatusOK)
}

// portalList renders the patient's threads, in view when there is one.
func (s *Handlers) portalList(w http.ResponseWriter, r *http.Request, view *store.View, p *store.Patient, d listData, status int) {
	threads, err := s.Store.PatientThreads(r.Context(), s.Actor(r), p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d.Threads, d.PatientID, d.Max = threads, p.ID, store.MaxMessage
	s.RenderView(w, r, view, status, "messages", "Messages", d)
}

// PortalStart starts a thread with the patient's first message. A message
// that cannot be sent comes back with what was typed and the error at its
// field.
func (s *Handlers) PortalStart(w http.ResponseWriter, r *http.Request) {
	p, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	in := store.MessageInput{Subject: r.PostForm.Get("subject"), Body: r.PostForm.Get("body")}
	sent, err := s.Store.StartThread(r.Context(), s.Actor(r), p.ID, in)
	if err == nil {
		http.Redirect(w, r, "/portal/messages/"+sent.ThreadID+"?sent="+sent.MessageID+"#sent", http.StatusSeeOther)
		return
	}
	fe, ok := fieldErrors(err)
	if !ok {
		s.Error(w, r, err)
		return
	}
	d := listData{Subject: in.Subject, Body: in.Body, Errors: fe}
	if len(in.RiskPhrases()) > 0 {
		d.Unsent = true
		d.Phone, d.PhoneHref = s.practicePhone(r.Context())
	}
	s.portalList(w, r, nil, p, d, http.StatusUnprocessableEntity)
}

// practicePhone is the practice's phone and its tel: link, for crisis
// help; "" when the practice has none (or it cannot be read: the crisis
// lines are shown all the same).
func (s *Handlers) practicePhone(ctx context.Context) (string, template.URL) {
	ps, err := s.Store.Practice(ctx)
	if err != nil || ps.Phone == "" {
		return "", ""
	}
	return ps.Phone, telHref(ps.Phone)
}

// PortalThread is one of the patient's threads; reading it marks it read.
func (s *Handlers) PortalThread(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, p, ok := s.OwnView(w, r, "message.read")
	if !ok {
		return
	}
	defer view.Close()
	s.thread(w, r, view, p.ID, threadData{}, http.StatusOK)
}

// PortalReply adds the patient's reply to one of their threads.
func (s *Handlers) PortalReply(w http.ResponseWriter, r *http.Request) {
	p, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	s.reply(w, r, p.ID, threadData{})
}

// PatientThreads is, for a clinician on the care team, the patient's
// threads (reached from the chart).
func (s *Handlers) PatientThreads(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "message.list")
	if !ok {
		return
	}
	defer view.Close()
	ctx, actor, id := r.Context(), s.Actor(r), r.PathValue("patient")
	threads, err := s.Store.PatientThreads(ctx, actor, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := listData{Staff: true, PatientID: id, Patient: s.patientName(ctx, actor, id), Threads: threads}
	s.RenderView(w, r, view, http.StatusOK, "messages", "Messages with "+d.Patient, d)
}

// patientName is the patient's name for a clinician who may read their
// messages (the store checked); "" when it cannot be read.
func (s *Handlers) patientName(ctx context.Context, actor store.Actor, id string) string {
	p, _, err := s.Store.FindPatient(ctx, actor, id)
	if err != nil || p == nil {
		return ""
	}
	return p.DisplayName
}

// StaffThread is one of the patient's threads for a clinician on the care
// team; reading it marks it read by them.
func (s *Handlers) StaffThread(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "message.read")
	if !ok {
		return
	}
	defer view.Close()
	s.thread(w, r, view, r.PathValue("patient"), threadData{Staff: true}, http.StatusOK)
}

// StaffReply adds a clinician's reply to one of the patient's threads.
func (s *Handlers) StaffReply(w http.ResponseWriter, r *http.Request) {
	s.reply(w, r, r.PathValue("patient"), threadData{Staff: true})
}

// thread renders one thread with d's form state, in view when there is
// one.
func (s *Handlers) thread(w http.ResponseWriter, r *http.Request, view *store.View, patientID string, d threadData, status int) {
	ctx, actor := r.Context(), s.Actor(r)
	th, msgs, err := s.Store.Thread(ctx, actor, patientID, r.PathValue("thread"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d.PatientID, d.Thread, d.Messages, d.Max = patientID, th, msgs, store.MaxMessage
	if d.Staff {
		d.Patient = s.patientName(ctx, actor, patientID)
	}
	// "Sent" is said only of a message that is in this thread, by this
	// reader: the link cannot make the page claim anything else.
	if id := r.URL.Query().Get("sent"); id != "" && status == http.StatusOK {
		for i := range msgs {
			if msgs[i].ID == id && msgs[i].AuthorID == actor.UserID {
				d.Sent = &msgs[i]
			}
		}
	}
	if d.Sent != nil && d.Sent.Risk || d.Unsent {
		d.Phone, d.PhoneHref = s.practicePhone(ctx)
	}
	// The subject is the page's heading, never its title: titles are kept
	// in the browser's history.
	s.RenderView(w, r, view, status, "message_thread", "Conversation", d)
}

// reply saves the reply in the form and goes back to the thread, or shows
// the thread again with the reply kept and the error at its field.
func (s *Handlers) reply(w http.ResponseWriter, r *http.Request, patientID string, d threadData) {
	in := store.MessageInput{Body: r.PostForm.Get("body")}
	sent, err := s.Store.ReplyMessage(r.Context(), s.Actor(r), patientID, r.PathValue("thread"), in)
	if err == nil {
		to := "/portal/messages/" + sent.ThreadID
		if d.Staff {
			to = "/patients/" + patientID + "/messages/" + sent.ThreadID
		}
		http.Redirect(w, r, to+"?sent="+sent.MessageID+"#sent", http.StatusSeeOther)
		return
	}
	fe, ok := fieldErrors(err)
	if !ok {
		s.Error(w, r, err)
		return
	}
	d.Body, d.Errors = in.Body, fe
	// A patient's words of acute risk get crisis help even when the
	// message could not be sent (a clinician's are not screened).
	d.Unsent = !d.Staff && len(in.RiskPhrases()) > 0
	s.thread(w, r, nil, patientID, d, http.StatusUnprocessableEntity)
}

// Inbox is the care team's shared inbox: the threads of the patients on
// the clinician's care teams, newest first, a page at a time (?page=, from
// 1).
func (s *Handlers) Inbox(w http.ResponseWriter, r *http.Request) {
	// A page number past the store's last (or unreadable) is page 1, as
	// the skills pages do: page-1 never overflows the offset.
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 || page > store.MaxInboxPage {
		page = 1
	}
	threads, more, err := s.Store.StaffInbox(r.Context(), s.Actor(r), page-1)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "messages_inbox", "Messages", inboxData{Threads: threads, Page: page, More: more})
}

// telHref is the tel: link of a phone number the practice settings
// accepted: the leading + and the digits before any extension.
func telHref(phone string) template.URL {
	number, _, _ := strings.Cut(strings.ToLower(phone), "x")
	var b strings.Builder
	for i, c := range strings.TrimSpace(number) {
		if c >= '0' && c <= '9' || c == '+' && i == 0 {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return template.URL("tel:" + b.String())
}
