package staff

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// inquiryInboxData is the staff inbox.
type inquiryInboxData struct {
	Inquiries []*store.Inquiry
	Status    string
	Filters   []string
	Allowed   bool // false for a prescriber: the page says who answers inquiries
	Zone      string
}

// FilterLabel names an inbox filter.
func (inquiryInboxData) FilterLabel(f string) string {
	return map[string]string{"open": "Open", store.InquiryNew: "New", store.InquiryContacted: "Contacted",
		store.InquiryConverted: "Became patients", store.InquiryClosed: "Closed", "all": "All"}[f]
}

// StatusLabel names an inquiry's status.
func (inquiryInboxData) StatusLabel(st string) string { return inquiryStatusLabel(st) }

func inquiryStatusLabel(st string) string {
	return map[string]string{store.InquiryNew: "New", store.InquiryContacted: "Contacted",
		store.InquiryConverted: "Became a patient", store.InquiryClosed: "Closed"}[st]
}

func (s *Handlers) Inquiries(w http.ResponseWriter, r *http.Request) {
	actor := s.Actor(r)
	d := inquiryInboxData{Status: r.URL.Query().Get("status"), Filters: store.InquiryFilters}
	if d.Status == "" {
		d.Status = "open"
	}
	if !auth.Can(actor.Role, auth.RelNone, auth.PermInquiries) {
		s.Render(w, r, http.StatusOK, "inquiry_inbox", "New inquiries", d)
		return
	}
	d.Allowed = true
	var err error
	if d.Inquiries, err = s.Store.Inquiries(r.Context(), actor, d.Status); err != nil {
		s.Error(w, r, err)
		return
	}
	_, d.Zone = s.PracticeZone(r)
	s.Render(w, r, http.StatusOK, "inquiry_inbox", "New inquiries", d)
}

// inquiryViewData is one inquiry for staff.
type inquiryViewData struct {
	Q          *store.Inquiry
	CanConvert bool
	Zone       string
	Form       map[string]string
	Errors     map[string]string
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
	d := inquiryViewData{Q: q, CanConvert: auth.Can(actor.Role, auth.RelNone, auth.PermConvertInquiry), Zone: zone, Form: form, Errors: errs}
	s.Render(w, r, status, "inquiry_detail", "Inquiry", d)
}

func (s *Handlers) InquiryStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("inquiry")
	err := s.Store.SetInquiryStatus(r.Context(), s.Actor(r), id, r.PostFormValue("status"), r.PostFormValue("note"))
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.inquiryView(w, r, map[string]string{"status": r.PostFormValue("status"), "note": r.PostFormValue("note")}, e.Fields, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/inquiries/"+id, http.StatusSeeOther)
}

func (s *Handlers) InquiryConvert(w http.ResponseWriter, r *http.Request) {
	pid, err := s.Store.ConvertInquiry(r.Context(), s.Actor(r), r.PathValue("inquiry"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/patients/"+pid, http.StatusSeeOther)
}
