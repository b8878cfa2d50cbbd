// Package inquiries serves the staff's inquiry inbox (the messages of the
// website's inquiry form, a page at a time, searched by POST) and one
// inquiry's page, where it is answered, kept as spam or turned into a
// patient. Apart from staff for size.
//
// It imports internal/web/shell and the domain packages, never another
// face. Its routes are in internal/web/routes.go.
package inquiries

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers serves this face's routes. It embeds the shared shell state.
type Handlers struct {
	*shell.App
}

// New returns the face's handlers over the shared state.
func New(app *shell.App) *Handlers {
	return &Handlers{App: app}
}

// pageKey is an inbox page's key as a request carries it (an inquiry id),
// or "" when it cannot be one (the first page is shown).
func pageKey(v string) string {
	if !store.ValidID(v) {
		return ""
	}
	return v
}

// inquiryInboxData is the staff inbox, a page at a time.
type inquiryInboxData struct {
	Inquiries []*store.Inquiry
	Status    string
	Filters   []string
	Allowed   bool // false for a prescriber: the page says who answers inquiries
	Zone      string
	Spam      int  // how many wait as possible spam
	Deleted   bool // a possible spam was just deleted
	// Total is every inquiry matching the filter and search. Next and
	// Prev are the inquiry ids the neighbouring pages start after or end
	// before, "" when there is none. Query is the search (name or email):
	// it is sent by POST and its pages are POST forms too, so a name is
	// never in a URL, a browser's history or a log line.
	Total      int
	Next, Prev string
	Query      string
	Errors     map[string]string
}

// PageURL is the link to the inbox page after (dir "after") or before
// (dir "before") the inquiry id key, with the filter kept.
func (d inquiryInboxData) PageURL(dir, key string) string {
	return "/inquiries?" + url.Values{"status": {d.Status}, dir: {key}}.Encode()
}

// FilterLabel names an inbox filter.
func (inquiryInboxData) FilterLabel(f string) string {
	return map[string]string{"open": "Open", store.InquiryNew: "New", store.InquiryContacted: "Contacted",
		store.InquiryConverted: "Became patients", store.InquiryClosed: "Closed", "all": "All", store.InquirySpam: "Possible spam"}[f]
}

// StatusLabel names an inquiry's status.
func (inquiryInboxData) StatusLabel(st string) string { return inquiryStatusLabel(st) }

func inquiryStatusLabel(st string) string {
	return map[string]string{store.InquiryNew: "New", store.InquiryContacted: "Contacted",
		store.InquiryConverted: "Became a patient", store.InquiryClosed: "Closed", "genuine": "Moved from possible spam to the inbox"}[st]
}

// Inquiries is the inbox: GET /inquiries?status=&after=|before= lists a
// filter a page at a time; POST /inquiries searches it by name or email
// (q), its pages asked for by POST as well, keeping the words out of URLs.
func (s *Handlers) Inquiries(w http.ResponseWriter, r *http.Request) {
	actor := s.Actor(r)
	d := inquiryInboxData{Status: r.FormValue("status"), Filters: store.InquiryFilters}
	if r.Method == http.MethodPost {
		d.Query = strings.TrimSpace(r.PostFormValue("q"))
	}
	if d.Status == "" {
		d.Status = "open"
	}
	if !auth.Can(actor.Role, auth.RelNone, auth.PermInquiries) {
		s.Render(w, r, http.StatusOK, "inquiry_inbox", "New inquiries", d)
		return
	}
	d.Allowed = true
	status := http.StatusOK
	if !slices.Contains(store.InquiryFilters, d.Status) {
		d.Errors, d.Status, status = map[string]string{"status": "Choose one of the inbox's filters."}, "open", http.StatusUnprocessableEntity
	}
	if utf8.RuneCountInString(d.Query) > 100 {
		d.Errors, d.Query, status = map[string]string{"q": "Search with at most 100 characters."}, "", http.StatusUnprocessableEntity
	}
	page, err := s.Store.PageInquiries(r.Context(), actor, store.InquiryFilter{Status: d.Status, Query: d.Query},
		store.PageKey{After: pageKey(r.FormValue("after")), Before: pageKey(r.FormValue("before"))})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d.Inquiries, d.Total, d.Next, d.Prev = page.Rows, page.Total, page.Next, page.Prev
	if d.Spam, err = s.Store.CountPossibleSpam(r.Context(), actor); err != nil {
		s.Error(w, r, err)
		return
	}
	d.Deleted = r.URL.Query().Get("done") == "deleted"
	_, d.Zone = s.PracticeZone(r)
	s.Render(w, r, status, "inquiry_inbox", "New inquiries", d)
}

// inquiryViewData is one inquiry for staff.
type inquiryViewData struct {
	Q          *store.Inquiry
	CanConvert bool
	Zone       string
	Form       map[string]string
	Errors     map[string]string
	Genuine    bool // just moved from possible spam into the inbox
}

// SpamWhy says in words why the inquiry was kept as possible spam.
func (d inquiryViewData) SpamWhy() string {
	return map[string]string{store.SpamTooFast: "it was sent within seconds of the form opening, faster than a person types (a browser filling the form in does this too)",
		store.SpamNoStamp: "it came without the form's own check, as robots send it (an old copy of the page can do this too)"}[d.Q.SpamReason]
}

// Answer says a pre-screen answer in words.
func (inquiryViewData) Answer(a string) string {
	return map[string]string{"yes": "Yes", "no": "No", "unsure": "Not sure", "": "Not answered"}[a]
}

// Preferred says how the person would like to be reached.
func (d inquiryViewData) Preferred() string {
	return map[string]string{"email": "Email", "phone": "A phone call", "text": "A text message"}[d.Q.Preferred]
}

// StatusLabel names a status.
func (inquiryViewData) StatusLabel(st string) string { return inquiryStatusLabel(st) }

// Open reports whether the inquiry can still be answered or converted.
func (d inquiryViewData) Open() bool { return d.Q.Status != store.InquiryConverted }

func (s *Handlers) InquiryView(w http.ResponseWriter, r *http.Request) {
	s.inquiryView(w, r, nil, nil, http.StatusOK)
}

func (s *Handlers) inquiryView(w http.ResponseWriter, r *http.Request, form, errs map[string]string, status int) {
	actor := s.Actor(r)
	q, err := s.Store.Inquiry(r.Context(), actor, r.PathValue("inquiry"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	_, zone := s.PracticeZone(r)
	d := inquiryViewData{Q: q, CanConvert: auth.Can(actor.Role, auth.RelNone, auth.PermConvertInquiry), Zone: zone, Form: form, Errors: errs,
		Genuine: r.URL.Query().Get("done") == "genuine"}
	s.Render(w, r, status, "inquiry_detail", "Inquiry", d)
}

// InquiryStatus records what staff did with an inquiry; for one kept as
// possible spam, status "genuine" moves it into the inbox and "delete"
// deletes it.
func (s *Handlers) InquiryStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("inquiry")
	switch r.PostFormValue("status") {
	case "genuine":
		if err := s.Store.MarkInquiryGenuine(r.Context(), s.Actor(r), id); err != nil {
			s.inquiryFailed(w, r, nil, err)
			return
		}
		http.Redirect(w, r, "/inquiries/"+id+"?done=genuine", http.StatusSeeOther)
		return
	case "delete":
		if r.PostFormValue("confirm") != "yes" {
			// One tap never deletes: ask first, on the same page.
			s.inquiryView(w, r, map[string]string{"confirm_delete": "yes"}, nil, http.StatusOK)
			return
		}
		if err := s.Store.DeleteSpamInquiry(r.Context(), s.Actor(r), id); err != nil {
			s.inquiryFailed(w, r, nil, err)
			return
		}
		http.Redirect(w, r, "/inquiries?status=spam&done=deleted", http.StatusSeeOther)
		return
	}
	form := map[string]string{"status": r.PostFormValue("status"), "note": r.PostFormValue("note")}
	err := s.Store.SetInquiryStatus(r.Context(), s.Actor(r), id, r.PostFormValue("status"), r.PostFormValue("note"))
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.inquiryView(w, r, form, e.Fields, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.inquiryFailed(w, r, form, err)
		return
	}
	http.Redirect(w, r, "/inquiries/"+id, http.StatusSeeOther)
}

// inquiryFailed answers a refused change to an inquiry: a conflict (kept as
// possible spam, worked on, converted meanwhile) is shown on the inquiry's
// page at its form, with what was typed kept (409); anything else is an
// error page.
func (s *Handlers) inquiryFailed(w http.ResponseWriter, r *http.Request, form map[string]string, err error) {
	if clinic.ErrorCode(err) != clinic.EConflict {
		s.Error(w, r, err)
		return
	}
	s.inquiryView(w, r, form, map[string]string{"conflict": clinic.ErrorMessage(err)}, http.StatusConflict)
}

func (s *Handlers) InquiryConvert(w http.ResponseWriter, r *http.Request) {
	pid, err := s.Store.ConvertInquiry(r.Context(), s.Actor(r), r.PathValue("inquiry"))
	if err != nil {
		s.inquiryFailed(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/patients/"+pid, http.StatusSeeOther)
}
