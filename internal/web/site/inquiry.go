package site

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
	"github.com/kapstone/kapstone/internal/web/shell"
)

var Therapists = []clinic.Role{clinic.RoleTherapist}

// Stamp limits: a person takes longer than stampMin to fill the form, and
// a form older than stampMax is given out again.
const (
	stampMin = 3 * time.Second
	stampMax = 24 * time.Hour
)

// honeypotField is the hidden field only a robot fills in.
const honeypotField = "website"

// FormStamp signs the time the form was given out with the practice's form
// key: "<unix milliseconds>.<MAC>".
func FormStamp(key []byte, at time.Time) string {
	ms := strconv.FormatInt(at.UnixMilli(), 10)
	return ms + "." + stampMAC(key, ms)
}

func stampMAC(key []byte, ms string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("inquiry-form\x00" + ms))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// StampTime returns when a genuine stamp was given out; ok is false for a
// missing, malformed or forged one.
func StampTime(key []byte, stamp string) (time.Time, bool) {
	ms, mac, found := strings.Cut(stamp, ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !found || err != nil || !hmac.Equal([]byte(mac), []byte(stampMAC(key, ms))) {
		return time.Time{}, false
	}
	return time.UnixMilli(n), true
}

// ClientHash is the keyed hash of a client address that an inquiry keeps
// for the rate limit, instead of the address.
func ClientHash(key []byte, addr string) string {
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

func (s *Handlers) InquiryForm(w http.ResponseWriter, r *http.Request) {
	key, err := s.Store.FormKey(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "inquiry", "Make an inquiry", inquiryFormData{Stamp: FormStamp(key, s.Now())})
}

// Inquiry takes a post of the inquiry form. Invalid input comes back
// at the field (422) with a stamp of the first issue. A post that may be a
// robot's but may as well be a person's (sent faster than a person types,
// as a browser's autofill does, or without a valid stamp) is stored as
// possible spam, for staff to mark genuine or delete, and thanked: it was
// received. A filled honeypot is a robot's: nothing is stored, and the form
// comes back as typed, saying it was not sent (never a thank-you). Past the
// hourly limit the answer is 429.
func (s *Handlers) Inquiry(w http.ResponseWriter, r *http.Request) {
	key, err := s.Store.FormKey(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	q := store.Inquiry{
		Name: r.PostFormValue("name"), Email: r.PostFormValue("email"), Phone: r.PostFormValue("phone"),
		Preferred: r.PostFormValue("preferred"), Psychosis: r.PostFormValue("psychosis"), Meds: r.PostFormValue("meds"),
		Message: r.PostFormValue("message"),
	}
	now := s.Now()
	issued, genuine := StampTime(key, r.PostFormValue("stamp"))
	if fe := store.CheckInquiry(&q); len(fe) > 0 {
		stamp := r.PostFormValue("stamp")
		if !genuine || now.Sub(issued) > stampMax {
			stamp = FormStamp(key, now)
		}
		s.Render(w, r, http.StatusUnprocessableEntity, "inquiry", "Make an inquiry", inquiryFormData{Q: q, Stamp: stamp, Errors: fe})
		return
	}
	age := now.Sub(issued)
	if genuine && age > stampMax && r.PostFormValue(honeypotField) == "" {
		// A person who left the form open a long time: never pretend it was
		// sent. Show it again, as typed, with a fresh stamp.
		s.Log.Info("inquiry form re-offered", "request_id", shell.RequestID(r.Context()), "reason", "stale")
		s.Render(w, r, http.StatusUnprocessableEntity, "inquiry", "Make an inquiry", inquiryFormData{Q: q, Stamp: FormStamp(key, now),
			Errors: map[string]string{"form": "This form was open for a long time, so it was not sent. Check it and press Send again."}})
		return
	}
	if r.PostFormValue(honeypotField) != "" {
		// Ids and the reason only: never what was typed.
		s.Log.Info("inquiry refused", "request_id", shell.RequestID(r.Context()), "reason", "honeypot")
		s.Render(w, r, http.StatusUnprocessableEntity, "inquiry", "Make an inquiry", inquiryFormData{Q: q, Stamp: FormStamp(key, now),
			Errors: map[string]string{"form": "Your message was not sent. Check it and press Send again."}})
		return
	}
	q.SpamReason = spamReason(genuine, age)
	err = s.Store.CreateInquiry(r.Context(), s.Actor(r), &q, ClientHash(key, s.ClientAddr(r)))
	var ce *clinic.Error
	switch {
	case errors.As(err, &ce) && ce.Code == clinic.ETooMany:
		s.Render(w, r, http.StatusTooManyRequests, "inquiry_limited", "Please try again later", nil)
		return
	case errors.As(err, &ce) && ce.Code == clinic.EInvalid:
		s.Render(w, r, http.StatusUnprocessableEntity, "inquiry", "Make an inquiry", inquiryFormData{Q: q, Stamp: r.PostFormValue("stamp"), Errors: ce.Fields})
		return
	case err != nil:
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/inquiry/thanks", http.StatusSeeOther)
}

// spamReason says why a post may be a robot's (a store.Spam* reason), or
// "" when it looks like a person's.
func spamReason(genuine bool, age time.Duration) string {
	switch {
	case !genuine:
		return store.SpamNoStamp
	case age < stampMin:
		return store.SpamTooFast
	}
	return ""
}

func (s *Handlers) InquiryThanks(w http.ResponseWriter, r *http.Request) {
	s.Render(w, r, http.StatusOK, "inquiry_thanks", "Thank you", nil)
}
