package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/site"
)

// Canaries of a visitor's inquiry: they must reach the inbox and never the log.
const (
	inqName  = "Quinn Canary-Inquiry"
	inqEmail = "quinn.canary@example.org"
	inqPhone = "+1 555 010 7788"
)

var stampRE = regexp.MustCompile(`name="stamp" value="([^"]+)"`)

// inquiryStamp opens the inquiry form as a visitor and returns its stamp.
func (f *fixture) inquiryStamp() string {
	f.t.Helper()
	r := f.do("GET", "/inquiry", nil, "")
	m := stampRE.FindStringSubmatch(r.body)
	if r.status != 200 || m == nil {
		f.t.Fatalf("GET /inquiry = %d without a stamp", r.status)
	}
	return m[1]
}

func inquiryForm(stamp string) url.Values {
	return url.Values{"stamp": {stamp}, "name": {inqName}, "email": {inqEmail}, "phone": {inqPhone}, "preferred": {"text"},
		"psychosis": {"no"}, "meds": {"yes"}, "message": {"Evenings are best."}, "website": {""}}
}

// storedInquiries is every inquiry in the practice, read as its admin.
func (f *fixture) storedInquiries() []*store.Inquiry {
	f.t.Helper()
	list, err := f.st.Inquiries(context.Background(), f.as("admin@example.org"), "all")
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

func TestInquiryHappyPathToInboxAndConversion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	stamp := f.inquiryStamp()
	f.now = f.now.Add(40 * time.Second) // a person filling the form
	r := f.do("POST", "/inquiry", inquiryForm(stamp), "")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/inquiry/thanks" {
		t.Fatalf("POST /inquiry = %d %s, want 303 to the thank-you page", r.status, r.header.Get("Location"))
	}
	list := f.storedInquiries()
	if len(list) != 1 || list[0].Name != inqName || list[0].Phone != inqPhone || list[0].Meds != "yes" || list[0].Preferred != "text" {
		t.Fatalf("stored inquiries = %+v, want the one sent", list)
	}
	id := list[0].ID

	thanks := f.do("GET", "/inquiry/thanks", nil, "")
	main, _, _ := strings.Cut(thanks.body, `<footer class="crisis"`)
	if thanks.status != 200 || !strings.Contains(main, `href="tel:988"`) || !strings.Contains(main, "What happens next") {
		t.Errorf("thank-you page = %d, want what happens next and the crisis lines in the page itself", thanks.status)
	}

	thea := f.signIn("thea@example.org")
	rex := f.signIn("rex@example.org")
	admin := f.signIn("admin@example.org")
	inbox := f.do("GET", "/inquiries", nil, thea)
	if inbox.status != 200 || !strings.Contains(inbox.body, inqName) || !strings.Contains(inbox.body, `href="/inquiries/`+id+`"`) {
		t.Errorf("thea's inbox = %d, want the inquiry listed", inbox.status)
	}
	if r := f.do("GET", "/inquiries", nil, rex); r.status != 200 || strings.Contains(r.body, inqName) {
		t.Errorf("a prescriber's inbox = %d, want the page without any inquiry", r.status)
	}
	if r := f.do("GET", "/inquiries/"+id, nil, rex); r.status != http.StatusNotFound {
		t.Errorf("a prescriber opening an inquiry = %d, want 404", r.status)
	}
	if r := f.do("GET", "/inquiries?status=bogus", nil, thea); r.status != http.StatusUnprocessableEntity {
		t.Errorf("inbox with an unknown filter = %d, want 422", r.status)
	}
	view := f.do("GET", "/inquiries/"+id, nil, thea)
	for _, want := range []string{inqName, inqEmail, "555 010 7788", "A text message", "Evenings are best.", "Talk the pre-screen answers through"} {
		if !strings.Contains(view.body, want) {
			t.Errorf("inquiry page lacks %q", want)
		}
	}
	if n, _, err := f.st.CountAudit(ctx, "inquiry.read", id, "", time.Time{}); err != nil || n != 1 {
		t.Errorf("inquiry.read audit rows = %d, %v; want 1", n, err)
	}

	// Recording a call, with a note; a wrong status comes back at the field.
	if r := f.do("POST", "/inquiries/"+id+"/status", url.Values{"status": {"converted"}, "note": {"Keep this note"}}, admin); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, `id="status-error"`) || !strings.Contains(r.body, "Keep this note") {
		t.Errorf("status converted by hand = %d, want 422 at the status with the note kept", r.status)
	}
	if r := f.do("POST", "/inquiries/"+id+"/status", url.Values{"status": {"contacted"}, "note": {"Left a voicemail."}}, admin); r.status != http.StatusSeeOther {
		t.Fatalf("status contacted = %d", r.status)
	}
	if r := f.do("GET", "/inquiries/"+id, nil, thea); !strings.Contains(r.body, "Left a voicemail.") || !strings.Contains(r.body, "Ada Admin") {
		t.Errorf("inquiry history lacks the note and who wrote it")
	}
	if r := f.do("GET", "/inquiries?status=contacted", nil, thea); !strings.Contains(r.body, inqName) {
		t.Errorf("contacted filter does not list the inquiry")
	}

	// Only a therapist converts; the patient is theirs, at the inquiry stage.
	if r := f.do("POST", "/inquiries/"+id+"/convert", url.Values{}, admin); r.status != http.StatusNotFound {
		t.Errorf("admin converting = %d, want 404", r.status)
	}
	r = f.do("POST", "/inquiries/"+id+"/convert", url.Values{}, thea)
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/patients/") {
		t.Fatalf("thea converting = %d %s, want 303 to the new chart", r.status, loc)
	}
	pid := strings.TrimPrefix(loc, "/patients/")
	p, acc, err := f.st.FindPatient(ctx, f.as("thea@example.org"), pid)
	if err != nil || p.DisplayName != inqName || p.Email != inqEmail || p.Phone != inqPhone || p.Stage != clinic.StageInquiry || acc.Relation != auth.RelOwner {
		t.Errorf("converted patient = %+v, %+v, %v; want thea's, in stage inquiry", p, acc, err)
	}
	theo := f.signIn("theo@example.org")
	if r := f.do("GET", loc, nil, theo); r.status != http.StatusNotFound {
		t.Errorf("theo opening thea's new patient = %d, want 404", r.status)
	}
	if r := f.do("POST", "/inquiries/"+id+"/convert", url.Values{}, theo); r.status != http.StatusConflict {
		t.Errorf("converting twice = %d, want 409", r.status)
	}
	if r := f.do("GET", "/inquiries/"+id, nil, theo); !strings.Contains(r.body, "became a patient") || strings.Contains(r.body, `action="/inquiries/`+id+`/convert"`) {
		t.Errorf("a converted inquiry still offers conversion")
	}

	for _, secret := range []string{inqName, inqEmail, inqPhone, "Evenings are best.", "Left a voicemail."} {
		if strings.Contains(f.logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

func TestInquirySpamIsDroppedSilently(t *testing.T) {
	f := newFixture(t)
	stamp := f.inquiryStamp()
	f.now = f.now.Add(time.Second)
	tooFast := f.do("POST", "/inquiry", inquiryForm(stamp), "")
	f.now = f.now.Add(10 * time.Second)

	honey := inquiryForm(stamp)
	honey.Set("website", "https://spam.example")
	ms, _, _ := strings.Cut(stamp, ".")
	forged := inquiryForm(ms + ".AAAAAAAAAAAAAAAAAAAAAA")
	other := inquiryForm(stamp)
	other.Set("stamp", strings.Replace(stamp, ms, "1", 1)) // a genuine MAC on another time
	missing := inquiryForm("")
	for _, tt := range []struct {
		name string
		r    response
	}{
		{"too fast", tooFast},
		{"honeypot", f.do("POST", "/inquiry", honey, "")},
		{"forged stamp", f.do("POST", "/inquiry", forged, "")},
		{"moved stamp", f.do("POST", "/inquiry", other, "")},
		{"no stamp", f.do("POST", "/inquiry", missing, "")},
	} {
		if tt.r.status != http.StatusSeeOther || tt.r.header.Get("Location") != "/inquiry/thanks" {
			t.Errorf("%s: %d %s, want the same 303 as an accepted inquiry", tt.name, tt.r.status, tt.r.header.Get("Location"))
		}
	}
	// A genuine stamp a day old is a person who left the form open: it is
	// never taken as sent; the form comes back as typed, to send again.
	f.now = f.now.Add(25 * time.Hour)
	if r := f.do("POST", "/inquiry", inquiryForm(stamp), ""); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "press Send again") || !strings.Contains(r.body, inquiryForm(stamp).Get("name")) {
		t.Errorf("a day-old stamp: %d, want the form back as typed", r.status)
	}
	if n := len(f.storedInquiries()); n != 0 {
		t.Errorf("%d inquiries stored from robots, want 0", n)
	}
	if n, _, _ := f.st.CountAudit(context.Background(), "inquiry.create", "", "", time.Time{}); n != 0 {
		t.Errorf("inquiry.create audit rows = %d, want 0", n)
	}
	// The honeypot is there for robots and hidden from people.
	form := f.do("GET", "/inquiry", nil, "").body
	if !regexp.MustCompile(`<div class="site-hp" aria-hidden="true">\s*<label for="website">[^<]*</label>\s*<input id="website" name="website" type="text" tabindex="-1" autocomplete="off" value="">`).MatchString(form) {
		t.Errorf("the inquiry form lacks the hidden honeypot field")
	}
	if strings.Contains(form, "style=") {
		t.Errorf("the inquiry form has an inline style")
	}
}

func TestInquiryRateLimitPerAddress(t *testing.T) {
	f := newFixture(t)
	stamp := f.inquiryStamp()
	f.now = f.now.Add(time.Minute)
	f.remote = "203.0.113.7:5555"
	var stored, limited int
	for i := range 30 {
		r := f.do("POST", "/inquiry", inquiryForm(stamp), "")
		switch r.status {
		case http.StatusSeeOther:
			stored++
		case http.StatusTooManyRequests:
			limited++
			if !strings.Contains(r.body, `href="tel:988"`) || !strings.Contains(r.body, "If you need help now") {
				t.Fatalf("post %d: the 429 page lacks the crisis lines", i+1)
			}
		default:
			t.Fatalf("post %d = %d, want 303 or 429", i+1, r.status)
		}
		f.now = f.now.Add(time.Second)
	}
	if n := len(f.storedInquiries()); n != store.InquiryLimit || stored != store.InquiryLimit || limited != 30-store.InquiryLimit {
		t.Errorf("30 posts from one address: %d stored (%d answered 303), %d limited; want %d stored and the rest 429", n, stored, limited, store.InquiryLimit)
	}
	f.remote = "203.0.113.8:5555"
	if r := f.do("POST", "/inquiry", inquiryForm(stamp), ""); r.status != http.StatusSeeOther {
		t.Errorf("a post from another address = %d, want 303", r.status)
	}
	if n := len(f.storedInquiries()); n != store.InquiryLimit+1 {
		t.Errorf("after another address: %d stored, want %d", n, store.InquiryLimit+1)
	}
}

func TestInquiryValidationKeepsInput(t *testing.T) {
	f := newFixture(t)
	stamp := f.inquiryStamp()
	f.now = f.now.Add(time.Second) // errors come back even before the time check
	form := url.Values{"stamp": {stamp}, "name": {""}, "email": {"quinn@"}, "phone": {""}, "preferred": {"text"}, "psychosis": {"unsure"}, "message": {"Kept message"}}
	r := f.do("POST", "/inquiry", form, "")
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid inquiry = %d, want 422", r.status)
	}
	for _, want := range []string{
		`id="name-error"`, `id="email-error"`, `value="quinn@"`, "Kept message",
		`value="unsure" checked`, `value="text" checked`, `name="stamp" value="` + stamp + `"`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("re-rendered form lacks %s", want)
		}
	}
	if !regexp.MustCompile(`<input id="email"[^>]*aria-describedby="email-hint email-error"[^>]*aria-invalid="true"`).MatchString(r.body) {
		t.Errorf("email input is not marked invalid and tied to its error")
	}
	// Neither email nor phone: the error is at the pair of fields.
	form = url.Values{"stamp": {stamp}, "name": {"Quinn"}}
	r = f.do("POST", "/inquiry", form, "")
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="contact-error"`) || !strings.Contains(r.body, `aria-describedby="email-hint contact-error" aria-invalid="true"`) {
		t.Errorf("inquiry without a way to reach them = %d, want 422 with the contact error", r.status)
	}
	if n := len(f.storedInquiries()); n != 0 {
		t.Errorf("%d invalid inquiries stored", n)
	}
}

// TestFormStamp checks the stamp on its own: genuine, forged, and bound to
// the key.
func TestFormStamp(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	st := site.FormStamp(key, at)
	if got, ok := site.StampTime(key, st); !ok || !got.Equal(at) {
		t.Errorf("stampTime(formStamp) = %v, %v; want %v", got, ok, at)
	}
	for _, bad := range []string{"", ".", "x.y", st + "x", "1" + st, strings.ToUpper(st)} {
		if _, ok := site.StampTime(key, bad); ok {
			t.Errorf("stampTime(%q) accepted", bad)
		}
	}
	if _, ok := site.StampTime([]byte("another key, another key, another"), st); ok {
		t.Errorf("a stamp made with another key was accepted")
	}
	if site.ClientHash(key, "203.0.113.7") == site.ClientHash(key, "203.0.113.8") || strings.Contains(site.ClientHash(key, "203.0.113.7"), "203") {
		t.Errorf("clientHash does not hide or tell apart addresses")
	}
}
