package web

// The public inquiry form and the staff inquiry inbox (issue 8, item 4).
//
// Spam is kept out without third-party CAPTCHAs: a hidden field people
// never fill (the honeypot), a signed stamp of when the form was given out
// (a post within 3 seconds of it, or without a valid stamp less than a day
// old, is not a person), and a limit of store.InquiryLimit inquiries an
// hour per client address. A post caught by the first two is answered
// exactly as if it had been accepted and stores nothing.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// inquiryRoutes are the inquiry form's and inbox's routes.
func (s *Server) inquiryRoutes() []route {
	return []route{
		{"GET /inquiry", public, nil, s.handleInquiryForm},
		{"POST /inquiry", public, nil, s.handleInquiry},
		{"GET /inquiry/thanks", public, nil, s.handleInquiryThanks},

		// Prescribers reach the inbox from the staff menu and are told who
		// answers inquiries; they see none.
		{"GET /inquiries", signedIn, staff, s.handleInquiries},
		{"GET /inquiries/{inquiry}", signedIn, adders, s.handleInquiryView},
		{"POST /inquiries/{inquiry}/status", signedIn, adders, s.handleInquiryStatus},
		{"POST /inquiries/{inquiry}/convert", signedIn, therapists, s.handleInquiryConvert},
	}
}

var therapists = []clinic.Role{clinic.RoleTherapist}

// Stamp limits: a person takes longer than stampMin to fill the form, and
// a form older than stampMax is given out again.
const (
	stampMin = 3 * time.Second
	stampMax = 24 * time.Hour
)

// honeypotField is the hidden field only a robot fills in.
const honeypotField = "website"

// formStamp signs the time the form was given out with the practice's form
// key: "<unix milliseconds>.<MAC>".
func formStamp(key []byte, at time.Time) string {
	ms := strconv.FormatInt(at.UnixMilli(), 10)
	return ms + "." + stampMAC(key, ms)
}

func stampMAC(key []byte, ms string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("inquiry-form\x00" + ms))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// stampTime returns when a genuine stamp was given out; ok is false for a
// missing, malformed or forged one.
func stampTime(key []byte, stamp string) (time.Time, bool) {
	ms, mac, found := strings.Cut(stamp, ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !found || err != nil || !hmac.Equal([]byte(mac), []byte(stampMAC(key, ms))) {
		return time.Time{}, false
	}
	return time.UnixMilli(n), true
}

// clientHash is the keyed hash of a client address that an inquiry keeps
// for the rate limit, instead of the address.
func clientHash(key []byte, addr string) string {
	// One IPv6 client holds a whole /64; count it as one address.
	if ip, err := netip.ParseAddr(addr); err == nil && ip.Is6() && !ip.Is4In6() {
		if p, err := ip.Prefix(64); err == nil {
			addr = p.String()
		}
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("client-addr\x00" + addr))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// inquiryFormData is the inquiry form, blank or with what was typed.
type inquiryFormData struct {
	Q      store.Inquiry
	Stamp  string
	Errors map[string]string
}

// ContactDescribedBy is the aria-describedby of the email and phone
// inputs: their hint, and the error that they both lack, when they do.
func (d inquiryFormData) ContactDescribedBy(field string) string {
	ids := field + "-hint"
	if d.Errors[field] != "" {
		ids += " " + field + "-error"
	}
	if d.Errors["contact"] != "" {
		ids += " contact-error"
	}
	return ids
}

// Invalid reports whether a contact input should be marked invalid.
func (d inquiryFormData) Invalid(field string) bool {
	return d.Errors[field] != "" || d.Errors["contact"] != ""
}

// answerChoices are the pre-screen questions' answers, in form order.
var answerChoices = []struct{ Value, Label string }{{"yes", "Yes"}, {"no", "No"}, {"unsure", "Not sure"}}

// Answers lists the choices of a pre-screen question.
func (inquiryFormData) Answers() []struct{ Value, Label string } { return answerChoices }

func (s *Server) handleInquiryForm(w http.ResponseWriter, r *http.Request) {
	key, err := s.store.FormKey(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "inquiry", "Make an inquiry", inquiryFormData{Stamp: formStamp(key, s.Now())})
}

// handleInquiry takes a post of the inquiry form. Invalid input comes back
// at the field (422) with a stamp of the first issue; a robot (honeypot,
// too fast, bad stamp) is sent to the thank-you page with nothing stored;
// past the hourly limit the answer is 429.
func (s *Server) handleInquiry(w http.ResponseWriter, r *http.Request) {
	key, err := s.store.FormKey(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	q := store.Inquiry{
		Name: r.PostFormValue("name"), Email: r.PostFormValue("email"), Phone: r.PostFormValue("phone"),
		Preferred: r.PostFormValue("preferred"), Psychosis: r.PostFormValue("psychosis"), Meds: r.PostFormValue("meds"),
		Message: r.PostFormValue("message"),
	}
	now := s.Now()
	issued, genuine := stampTime(key, r.PostFormValue("stamp"))
	if fe := store.CheckInquiry(&q); len(fe) > 0 {
		stamp := r.PostFormValue("stamp")
		if !genuine || now.Sub(issued) > stampMax {
			stamp = formStamp(key, now)
		}
		s.render(w, r, http.StatusUnprocessableEntity, "inquiry", "Make an inquiry", inquiryFormData{Q: q, Stamp: stamp, Errors: fe})
		return
	}
	age := now.Sub(issued)
	if genuine && age > stampMax && r.PostFormValue(honeypotField) == "" {
		// A person who left the form open a long time: never pretend it was
		// sent. Show it again, as typed, with a fresh stamp.
		s.log.Info("inquiry form re-offered", "request_id", requestID(r.Context()), "reason", "stale")
		s.render(w, r, http.StatusUnprocessableEntity, "inquiry", "Make an inquiry", inquiryFormData{Q: q, Stamp: formStamp(key, now),
			Errors: map[string]string{"form": "This form was open for a long time, so it was not sent. Check it and press Send again."}})
		return
	}
	if why := dropReason(r.PostFormValue(honeypotField) != "", genuine, age); why != "" {
		// Ids and the reason only: never what was typed.
		s.log.Info("inquiry dropped", "request_id", requestID(r.Context()), "reason", why)
		http.Redirect(w, r, "/inquiry/thanks", http.StatusSeeOther)
		return
	}
	err = s.store.CreateInquiry(r.Context(), s.actor(r), &q, clientHash(key, s.clientAddr(r)))
	var ce *clinic.Error
	switch {
	case errors.As(err, &ce) && ce.Code == clinic.ETooMany:
		s.render(w, r, http.StatusTooManyRequests, "inquiry_limited", "Please try again later", nil)
		return
	case errors.As(err, &ce) && ce.Code == clinic.EInvalid:
		s.render(w, r, http.StatusUnprocessableEntity, "inquiry", "Make an inquiry", inquiryFormData{Q: q, Stamp: r.PostFormValue("stamp"), Errors: ce.Fields})
		return
	case err != nil:
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/inquiry/thanks", http.StatusSeeOther)
}

// dropReason says why a post is taken for a robot's, or "" when it is not.
func dropReason(honeypot, genuine bool, age time.Duration) string {
	switch {
	case honeypot:
		return "honeypot"
	case !genuine:
		return "stamp"
	case age < stampMin:
		return "too fast"
	case age > stampMax:
		return "stale"
	}
	return ""
}

func (s *Server) handleInquiryThanks(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "inquiry_thanks", "Thank you", nil)
}

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

func (s *Server) handleInquiries(w http.ResponseWriter, r *http.Request) {
	actor := s.actor(r)
	d := inquiryInboxData{Status: r.URL.Query().Get("status"), Filters: store.InquiryFilters}
	if d.Status == "" {
		d.Status = "open"
	}
	if actor.Role == clinic.RolePrescriber {
		s.render(w, r, http.StatusOK, "inquiry_inbox", "New inquiries", d)
		return
	}
	d.Allowed = true
	var err error
	if d.Inquiries, err = s.store.Inquiries(r.Context(), actor, d.Status); err != nil {
		s.error(w, r, err)
		return
	}
	_, d.Zone = s.practiceZone(r)
	s.render(w, r, http.StatusOK, "inquiry_inbox", "New inquiries", d)
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

func (s *Server) handleInquiryView(w http.ResponseWriter, r *http.Request) {
	s.inquiryView(w, r, nil, nil, http.StatusOK)
}

func (s *Server) inquiryView(w http.ResponseWriter, r *http.Request, form, errs map[string]string, status int) {
	actor := s.actor(r)
	q, err := s.store.Inquiry(r.Context(), actor, r.PathValue("inquiry"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	_, zone := s.practiceZone(r)
	d := inquiryViewData{Q: q, CanConvert: actor.Role == clinic.RoleTherapist, Zone: zone, Form: form, Errors: errs}
	s.render(w, r, status, "inquiry_detail", "Inquiry", d)
}

func (s *Server) handleInquiryStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("inquiry")
	err := s.store.SetInquiryStatus(r.Context(), s.actor(r), id, r.PostFormValue("status"), r.PostFormValue("note"))
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.inquiryView(w, r, map[string]string{"status": r.PostFormValue("status"), "note": r.PostFormValue("note")}, e.Fields, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/inquiries/"+id, http.StatusSeeOther)
}

func (s *Server) handleInquiryConvert(w http.ResponseWriter, r *http.Request) {
	pid, err := s.store.ConvertInquiry(r.Context(), s.actor(r), r.PathValue("inquiry"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/patients/"+pid, http.StatusSeeOther)
}
