package site_test

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
	"github.com/kapstone/kapstone/internal/store/storetest"
	"github.com/kapstone/kapstone/internal/web/site"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// Canaries of a visitor's inquiry: they must reach the inbox and never the log.
const (
	inqName  = "Quinn Canary-Inquiry"
	inqEmail = "quinn.canary@example.org"
	inqPhone = "+1 555 010 7788"
)

func inquiryForm(stamp string) url.Values {
	return url.Values{"stamp": {stamp}, "name": {inqName}, "email": {inqEmail}, "phone": {inqPhone}, "preferred": {"text"},
		"psychosis": {"no"}, "meds": {"yes"}, "message": {"Evenings are best."}, "website": {""}}
}

func TestInquiryHappyPathToInboxAndConversion(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	stamp := f.InquiryStamp()
	f.Now = f.Now.Add(40 * time.Second) // a person filling the form
	r := f.Do("POST", "/inquiry", inquiryForm(stamp), "")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/inquiry/thanks" {
		t.Fatalf("POST /inquiry = %d %s, want 303 to the thank-you page", r.Status, r.Header.Get("Location"))
	}
	list := f.StoredInquiries()
	if len(list) != 1 || list[0].Name != inqName || list[0].Phone != inqPhone || list[0].Meds != "yes" || list[0].Preferred != "text" {
		t.Fatalf("stored inquiries = %+v, want the one sent", list)
	}
	id := list[0].ID

	thanks := f.Do("GET", "/inquiry/thanks", nil, "")
	main, _, _ := strings.Cut(thanks.Body, `<footer class="crisis"`)
	if thanks.Status != 200 || !strings.Contains(main, `href="tel:988"`) || !strings.Contains(main, "What happens next") {
		t.Errorf("thank-you page = %d, want what happens next and the crisis lines in the page itself", thanks.Status)
	}

	thea := f.SignIn("thea@example.org")
	rex := f.SignIn("rex@example.org")
	admin := f.SignIn("admin@example.org")
	inbox := f.Do("GET", "/inquiries", nil, thea)
	if inbox.Status != 200 || !strings.Contains(inbox.Body, inqName) || !strings.Contains(inbox.Body, `href="/inquiries/`+id+`"`) {
		t.Errorf("thea's inbox = %d, want the inquiry listed", inbox.Status)
	}
	if r := f.Do("GET", "/inquiries", nil, rex); r.Status != 200 || strings.Contains(r.Body, inqName) {
		t.Errorf("a prescriber's inbox = %d, want the page without any inquiry", r.Status)
	}
	if r := f.Do("GET", "/inquiries/"+id, nil, rex); r.Status != http.StatusNotFound {
		t.Errorf("a prescriber opening an inquiry = %d, want 404", r.Status)
	}
	if r := f.Do("GET", "/inquiries?status=bogus", nil, thea); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("inbox with an unknown filter = %d, want 422", r.Status)
	}
	view := f.Do("GET", "/inquiries/"+id, nil, thea)
	for _, want := range []string{inqName, inqEmail, "555 010 7788", "A text message", "Evenings are best.", "Talk the pre-screen answers through"} {
		if !strings.Contains(view.Body, want) {
			t.Errorf("inquiry page lacks %q", want)
		}
	}
	if n, _, err := f.St.CountAudit(ctx, "inquiry.read", id, "", time.Time{}); err != nil || n != 1 {
		t.Errorf("inquiry.read audit rows = %d, %v; want 1", n, err)
	}

	// Recording a call, with a note; a wrong status comes back at the field.
	if r := f.Do("POST", "/inquiries/"+id+"/status", url.Values{"status": {"converted"}, "note": {"Keep this note"}}, admin); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `id="status-error"`) || !strings.Contains(r.Body, "Keep this note") {
		t.Errorf("status converted by hand = %d, want 422 at the status with the note kept", r.Status)
	}
	if r := f.Do("POST", "/inquiries/"+id+"/status", url.Values{"status": {"contacted"}, "note": {"Left a voicemail."}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("status contacted = %d", r.Status)
	}
	if r := f.Do("GET", "/inquiries/"+id, nil, thea); !strings.Contains(r.Body, "Left a voicemail.") || !strings.Contains(r.Body, "Ada Admin") {
		t.Errorf("inquiry history lacks the note and who wrote it")
	}
	if r := f.Do("GET", "/inquiries?status=contacted", nil, thea); !strings.Contains(r.Body, inqName) {
		t.Errorf("contacted filter does not list the inquiry")
	}

	// Only a therapist converts; the patient is theirs, at the inquiry stage.
	if r := f.Do("POST", "/inquiries/"+id+"/convert", url.Values{}, admin); r.Status != http.StatusNotFound {
		t.Errorf("admin converting = %d, want 404", r.Status)
	}
	r = f.Do("POST", "/inquiries/"+id+"/convert", url.Values{}, thea)
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/patients/") {
		t.Fatalf("thea converting = %d %s, want 303 to the new chart", r.Status, loc)
	}
	pid := strings.TrimPrefix(loc, "/patients/")
	p, acc, err := f.St.FindPatient(ctx, f.As("thea@example.org"), pid)
	if err != nil || p.DisplayName != inqName || p.Email != inqEmail || p.Phone != inqPhone || p.Stage != clinic.StageInquiry || acc.Relation != auth.RelOwner {
		t.Errorf("converted patient = %+v, %+v, %v; want thea's, in stage inquiry", p, acc, err)
	}
	theo := f.SignIn("theo@example.org")
	if r := f.Do("GET", loc, nil, theo); r.Status != http.StatusNotFound {
		t.Errorf("theo opening thea's new patient = %d, want 404", r.Status)
	}
	if r := f.Do("POST", "/inquiries/"+id+"/convert", url.Values{}, theo); r.Status != http.StatusConflict {
		t.Errorf("converting twice = %d, want 409", r.Status)
	}
	if r := f.Do("GET", "/inquiries/"+id, nil, theo); !strings.Contains(r.Body, "became a patient") || strings.Contains(r.Body, `action="/inquiries/`+id+`/convert"`) {
		t.Errorf("a converted inquiry still offers conversion")
	}

	for _, secret := range []string{inqName, inqEmail, inqPhone, "Evenings are best.", "Left a voicemail."} {
		if strings.Contains(f.Logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// TestInquiryPossibleSpamIsKept (issue 15): a post that may be a robot's
// but may be a person's (sent within seconds, as autofill does, or without
// a valid stamp) is stored as possible spam and thanked, never dropped with
// a thank-you; it waits apart from the inbox, where staff mark it genuine
// or delete it. A filled honeypot stores nothing and is never thanked.
func TestInquiryPossibleSpamIsKept(t *testing.T) {
	f := webtest.NewFixture(t)
	stamp := f.InquiryStamp()
	f.Now = f.Now.Add(time.Second)
	tooFast := inquiryForm(stamp)
	tooFast.Set("name", "Autofill Person")
	tooFastR := f.Do("POST", "/inquiry", tooFast, "")
	f.Now = f.Now.Add(10 * time.Second)

	ms, _, _ := strings.Cut(stamp, ".")
	forged := inquiryForm(ms + ".AAAAAAAAAAAAAAAAAAAAAA")
	forged.Set("name", "Forged Stamp")
	other := inquiryForm(stamp)
	other.Set("stamp", strings.Replace(stamp, ms, "1", 1)) // a genuine MAC on another time
	other.Set("name", "Moved Stamp")
	missing := inquiryForm("")
	missing.Set("name", "No Stamp")
	for _, tt := range []struct {
		name string
		r    webtest.Response
	}{
		{"too fast", tooFastR},
		{"forged stamp", f.Do("POST", "/inquiry", forged, "")},
		{"moved stamp", f.Do("POST", "/inquiry", other, "")},
		{"no stamp", f.Do("POST", "/inquiry", missing, "")},
	} {
		if tt.r.Status != http.StatusSeeOther || tt.r.Header.Get("Location") != "/inquiry/thanks" {
			t.Errorf("%s: %d %s, want the same 303 as an accepted inquiry (it was stored)", tt.name, tt.r.Status, tt.r.Header.Get("Location"))
		}
	}
	// A filled honeypot: nothing stored, and the page says so, with what was typed.
	honey := inquiryForm(stamp)
	honey.Set("website", "https://spam.example")
	if r := f.Do("POST", "/inquiry", honey, ""); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "was not sent") ||
		!strings.Contains(r.Body, inqName) || strings.Contains(r.Body, "Thank you") {
		t.Errorf("honeypot: %d, want the form back, saying it was not sent", r.Status)
	}
	// A genuine stamp a day old is a person who left the form open: it is
	// never taken as sent; the form comes back as typed, to send again.
	f.Now = f.Now.Add(25 * time.Hour)
	if r := f.Do("POST", "/inquiry", inquiryForm(stamp), ""); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "press Send again") || !strings.Contains(r.Body, inquiryForm(stamp).Get("name")) {
		t.Errorf("a day-old stamp: %d, want the form back as typed", r.Status)
	}
	if n := len(f.StoredInquiries()); n != 0 {
		t.Errorf("%d possible spam listed among ordinary inquiries, want 0", n)
	}
	ctx := context.Background()
	spam, err := storetest.Inquiries(ctx, f.St, f.As("admin@example.org"), store.InquirySpam)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, q := range spam {
		reasons[q.Name] = q.SpamReason
	}
	want := map[string]string{"Autofill Person": store.SpamTooFast, "Forged Stamp": store.SpamNoStamp, "Moved Stamp": store.SpamNoStamp, "No Stamp": store.SpamNoStamp}
	for name, why := range want {
		if reasons[name] != why {
			t.Errorf("possible spam %q kept with reason %q, want %q", name, reasons[name], why)
		}
	}
	if len(spam) != len(want) {
		t.Errorf("%d kept as possible spam, want %d (the honeypot stores nothing)", len(spam), len(want))
	}
	var fast, noStamp string
	for _, q := range spam {
		switch q.Name {
		case "Autofill Person":
			fast = q.ID
		case "No Stamp":
			noStamp = q.ID
		}
	}

	// Staff: the inbox keeps them apart, clearly labelled.
	thea := f.SignIn("thea@example.org")
	open := f.Do("GET", "/inquiries", nil, thea)
	if strings.Contains(open.Body, "Autofill Person") || !strings.Contains(open.Body, "Possible spam (4)") {
		t.Errorf("the open inbox lists possible spam, or lacks its labelled group")
	}
	group := f.Do("GET", "/inquiries?status=spam", nil, thea)
	if group.Status != 200 || !strings.Contains(group.Body, "Autofill Person") || !strings.Contains(group.Body, `id="spam-explained"`) {
		t.Errorf("the possible-spam group = %d without the inquiry and its explanation", group.Status)
	}
	view := f.Do("GET", "/inquiries/"+fast, nil, thea)
	if !strings.Contains(view.Body, `id="possible-spam"`) || !strings.Contains(view.Body, "faster than a person types") {
		t.Errorf("a possible spam's page does not say why it was kept")
	}
	// Marked genuine: into the inbox, with a history entry.
	if r := f.Do("POST", "/inquiries/"+fast+"/status", url.Values{"status": {"genuine"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("mark genuine = %d", r.Status)
	}
	if r := f.Do("GET", "/inquiries", nil, thea); !strings.Contains(r.Body, "Autofill Person") {
		t.Errorf("an inquiry marked genuine is not in the inbox")
	}
	if r := f.Do("GET", "/inquiries/"+fast+"?done=genuine", nil, thea); strings.Contains(r.Body, `id="possible-spam"`) || !strings.Contains(r.Body, "Moved from possible spam") {
		t.Errorf("an inquiry marked genuine still shows as possible spam, or has no history entry")
	}
	// Deleted after a second tap: gone; an ordinary inquiry cannot be deleted this way.
	if r := f.Do("POST", "/inquiries/"+noStamp+"/status", url.Values{"status": {"delete"}}, thea); r.Status != http.StatusOK || !strings.Contains(r.Body, `id="confirm-delete"`) {
		t.Fatalf("delete without confirming = %d, want the question first", r.Status)
	}
	if r := f.Do("GET", "/inquiries/"+noStamp, nil, thea); r.Status != http.StatusOK {
		t.Fatalf("after one tap on delete, the inquiry = %d, want still there", r.Status)
	}
	if r := f.Do("POST", "/inquiries/"+noStamp+"/status", url.Values{"status": {"delete"}, "confirm": {"yes"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("delete = %d", r.Status)
	}
	if r := f.Do("GET", "/inquiries/"+noStamp, nil, thea); r.Status != http.StatusNotFound {
		t.Errorf("a deleted possible spam = %d, want 404", r.Status)
	}
	if r := f.Do("POST", "/inquiries/"+fast+"/status", url.Values{"status": {"delete"}, "confirm": {"yes"}}, thea); r.Status != http.StatusConflict {
		t.Errorf("deleting an ordinary inquiry = %d, want 409", r.Status)
	}
	rex := f.SignIn("rex@example.org")
	if r := f.Do("POST", "/inquiries/"+fast+"/status", url.Values{"status": {"genuine"}}, rex); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
		t.Errorf("a prescriber marking an inquiry = %d, want refused", r.Status)
	}

	// The honeypot is there for robots and hidden from people.
	form := f.Do("GET", "/inquiry", nil, "").Body
	if !regexp.MustCompile(`<div class="site-hp" aria-hidden="true">\s*<label for="website">[^<]*</label>\s*<input id="website" name="website" type="text" tabindex="-1" autocomplete="off" value="">`).MatchString(form) {
		t.Errorf("the inquiry form lacks the hidden honeypot field")
	}
	if strings.Contains(form, "style=") {
		t.Errorf("the inquiry form has an inline style")
	}
}

func TestInquiryRateLimitPerAddress(t *testing.T) {
	f := webtest.NewFixture(t)
	stamp := f.InquiryStamp()
	f.Now = f.Now.Add(time.Minute)
	f.Remote = "203.0.113.7:5555"
	var stored, limited int
	for i := range 30 {
		r := f.Do("POST", "/inquiry", inquiryForm(stamp), "")
		switch r.Status {
		case http.StatusSeeOther:
			stored++
		case http.StatusTooManyRequests:
			limited++
			if !strings.Contains(r.Body, `href="tel:988"`) || !strings.Contains(r.Body, "If you need help now") {
				t.Fatalf("post %d: the 429 page lacks the crisis lines", i+1)
			}
		default:
			t.Fatalf("post %d = %d, want 303 or 429", i+1, r.Status)
		}
		f.Now = f.Now.Add(time.Second)
	}
	if n := len(f.StoredInquiries()); n != store.InquiryLimit || stored != store.InquiryLimit || limited != 30-store.InquiryLimit {
		t.Errorf("30 posts from one address: %d stored (%d answered 303), %d limited; want %d stored and the rest 429", n, stored, limited, store.InquiryLimit)
	}
	f.Remote = "203.0.113.8:5555"
	if r := f.Do("POST", "/inquiry", inquiryForm(stamp), ""); r.Status != http.StatusSeeOther {
		t.Errorf("a post from another address = %d, want 303", r.Status)
	}
	if n := len(f.StoredInquiries()); n != store.InquiryLimit+1 {
		t.Errorf("after another address: %d stored, want %d", n, store.InquiryLimit+1)
	}
}

func TestInquiryValidationKeepsInput(t *testing.T) {
	f := webtest.NewFixture(t)
	stamp := f.InquiryStamp()
	f.Now = f.Now.Add(time.Second) // errors come back even before the time check
	form := url.Values{"stamp": {stamp}, "name": {""}, "email": {"quinn@"}, "phone": {""}, "preferred": {"text"}, "psychosis": {"unsure"}, "message": {"Kept message"}}
	r := f.Do("POST", "/inquiry", form, "")
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid inquiry = %d, want 422", r.Status)
	}
	for _, want := range []string{
		`id="name-error"`, `id="email-error"`, `value="quinn@"`, "Kept message",
		`value="unsure" checked`, `value="text" checked`, `name="stamp" value="` + stamp + `"`,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("re-rendered form lacks %s", want)
		}
	}
	if !regexp.MustCompile(`<input id="email"[^>]*aria-describedby="email-hint email-error"[^>]*aria-invalid="true"`).MatchString(r.Body) {
		t.Errorf("email input is not marked invalid and tied to its error")
	}
	// Neither email nor phone: the error is at the pair of fields.
	form = url.Values{"stamp": {stamp}, "name": {"Quinn"}}
	r = f.Do("POST", "/inquiry", form, "")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="contact-error"`) || !strings.Contains(r.Body, `aria-describedby="email-hint contact-error" aria-invalid="true"`) {
		t.Errorf("inquiry without a way to reach them = %d, want 422 with the contact error", r.Status)
	}
	if n := len(f.StoredInquiries()); n != 0 {
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
