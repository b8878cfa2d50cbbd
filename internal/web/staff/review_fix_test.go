package staff_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// keptMail is an email server that keeps what it is given.
type keptMail struct {
	mu   sync.Mutex
	sent []string // "to|subject|body"
}

func (m *keptMail) Send(_ context.Context, to []string, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, strings.Join(to, ",")+"|"+subject+"|"+body)
	return nil
}

var portalLinkRE = regexp.MustCompile(`value="https?://[^"]+/invite/([A-Za-z0-9_-]+)"`)

// TestPatientInvitationFollowsCorrectedEmail (review of issue 15): a portal
// invitation emailed to a mistyped address stops working once the
// therapist corrects the address on the record, and the new invitation
// ("Send a new invitation link") is emailed to the corrected address, the
// one it names; the page's "Any earlier invitation link no longer works"
// is then true.
func TestPatientInvitationFollowsCorrectedEmail(t *testing.T) {
	f := webtest.NewFixture(t)
	mb := &keptMail{}
	f.Srv.Config.Mailer, f.Srv.OutboxOnly = mb, false
	p := &store.Patient{DisplayName: "Pia Portal", Email: "pia@exmaple.org"}
	if err := f.St.CreatePatient(context.Background(), f.As("thea@example.org"), p, ""); err != nil {
		t.Fatal(err)
	}
	thea := f.SignIn("thea@example.org")
	chart := "/patients/" + p.ID
	invite := func(what string) string {
		t.Helper()
		r := f.Do("POST", chart+"/invite", url.Values{}, thea)
		m := portalLinkRE.FindStringSubmatch(r.Body)
		if r.Status != http.StatusOK || m == nil {
			t.Fatalf("%s = %d without an invitation link", what, r.Status)
		}
		return m[1]
	}
	first := invite("first invitation")
	if len(mb.sent) != 1 || !strings.HasPrefix(mb.sent[0], "pia@exmaple.org|") {
		t.Fatalf("emails = %q, want one to the address on the record", mb.sent)
	}
	saved, _, err := f.St.FindPatient(context.Background(), f.As("thea@example.org"), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	details := url.Values{"display_name": {saved.DisplayName}, "email": {"pia@example.org"}, "version": {strconv.FormatInt(saved.Version, 10)}}
	if r := f.Do("POST", chart+"/details", details, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("correcting the email = %d, want 303", r.Status)
	}
	if r := f.Do("GET", "/invite/"+first, nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("the invitation to the mistyped address = %d after the correction, want 404", r.Status)
	}
	second := invite("new invitation")
	if len(mb.sent) != 2 || !strings.HasPrefix(mb.sent[1], "pia@example.org|") || !strings.Contains(mb.sent[1], "/invite/"+second) {
		t.Errorf("emails = %q, want the new link sent to the corrected address", mb.sent)
	}
	if r := f.Do("GET", "/invite/"+second, nil, ""); r.Status != http.StatusOK {
		t.Errorf("the new invitation = %d, want 200", r.Status)
	}
	t.Logf("emails sent: %d", len(mb.sent))
}

// TestPossibleSpamConflictAtForm (review of issue 15): an inquiry kept as
// possible spam cannot be added as a patient or given a status before it
// is moved to the inbox, and one worked on is not deleted; each refusal is
// a 409 page with the reason at the form (not a 500), and nothing changes.
func TestPossibleSpamConflictAtForm(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	spam := &store.Inquiry{Name: "Quick Typer", Email: "quick@example.org", Preferred: "email"}
	worked := &store.Inquiry{Name: "Worked Before", Email: "worked@example.org", Preferred: "email"}
	for _, q := range []*store.Inquiry{spam, worked} {
		q.SpamReason = store.SpamTooFast
		if err := f.St.CreateInquiry(ctx, store.Actor{}, q, "addr"); err != nil {
			t.Fatal(err)
		}
	}
	thea := f.SignIn("thea@example.org")
	atForm := func(what string, r webtest.Response, want string) {
		t.Helper()
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, `id="inquiry-conflict"`) || !strings.Contains(r.Body, want) || !strings.Contains(r.Body, `id="possible-spam"`) {
			t.Errorf("%s = %d, want 409 with %q at the possible-spam form", what, r.Status, want)
		}
	}
	atForm("adding possible spam as a patient", f.Do("POST", "/inquiries/"+spam.ID+"/convert", url.Values{}, thea), "Move it to the inbox first")
	atForm("marking possible spam contacted", f.Do("POST", "/inquiries/"+spam.ID+"/status", url.Values{"status": {"contacted"}, "note": {"Called."}}, thea), "Move it to the inbox first")
	if q, err := f.St.Inquiry(ctx, f.As("thea@example.org"), spam.ID); err != nil || q.Status != store.InquiryNew || q.PatientID != "" {
		t.Errorf("possible spam after refused work = %+v, %v; want untouched", q, err)
	}

	// Worked on while kept as possible spam (before the rule): not deleted.
	if _, err := f.RawDB().Exec(`UPDATE inquiries SET status = 'contacted' WHERE id = $1`, worked.ID); err != nil {
		t.Fatal(err)
	}
	atForm("deleting possible spam worked on", f.Do("POST", "/inquiries/"+worked.ID+"/status", url.Values{"status": {"delete"}, "confirm": {"yes"}}, thea), "has been worked on")
	if r := f.Do("GET", "/inquiries/"+worked.ID, nil, thea); r.Status != http.StatusOK {
		t.Errorf("the worked-on inquiry after a refused delete = %d, want 200", r.Status)
	}
}
