package admin_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

var (
	inviteLinkRE = regexp.MustCompile(`value="https?://[^"]+/invite/([A-Za-z0-9_-]+)"`)
	resendRE     = regexp.MustCompile(`action="/admin/invitations/([0-9a-f]+)/resend"`)
)

// mailbox is an email server that keeps what it is given, or refuses it.
type mailbox struct {
	mu   sync.Mutex
	fail bool
	sent []string // "to|subject|body"
}

func (m *mailbox) Send(_ context.Context, to []string, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("550 mailbox unavailable")
	}
	m.sent = append(m.sent, strings.Join(to, ",")+"|"+subject+"|"+body)
	return nil
}

func inviteToken(t *testing.T, what string, r webtest.Response) string {
	t.Helper()
	m := inviteLinkRE.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("%s = %d without an invitation link", what, r.Status)
	}
	return m[1]
}

// TestInvitationsListResendRevoke: a staff invitation is listed (who, role,
// by whom, until when) on the accounts page; sending it again makes a new
// link and kills the old one; withdrawing it kills the new one; each is
// audited; without an email server the page says the link was not emailed,
// and nothing puts the link in the outbox. Only administrators manage them.
func TestInvitationsListResendRevoke(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	made := f.Do("POST", "/admin/users", url.Values{"email": {"nia@example.org"}, "display_name": {"Nia Newcomer"}, "role": {"therapist"}}, admin)
	first := inviteToken(t, "invite", made)
	for _, want := range []string{"It was not emailed: no email server is set up", `data-copy="the-link"`, "Invitations not yet accepted", "Nia Newcomer"} {
		if !strings.Contains(made.Body, want) {
			t.Errorf("page after inviting lacks %q", want)
		}
	}
	outbox, err := f.St.OutboxEmails(context.Background(), f.As("admin@example.org"), 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range outbox {
		if strings.Contains(e.Body, "/invite/") {
			t.Errorf("the invitation link was kept in the outbox: %q", e.Subject)
		}
	}

	list := f.Do("GET", "/admin/users", nil, admin)
	for _, want := range []string{"Nia Newcomer", "nia@example.org", "Therapist", "invited by Ada Admin", "Works until"} {
		if !strings.Contains(list.Body, want) {
			t.Errorf("invitation list lacks %q", want)
		}
	}
	m := resendRE.FindStringSubmatch(list.Body)
	if m == nil {
		t.Fatal("no way to send the invitation again")
	}
	// Another role cannot touch it.
	if r := f.Do("POST", "/admin/invitations/"+m[1]+"/revoke", url.Values{}, f.SignIn("thea@example.org")); r.Status != http.StatusNotFound {
		t.Errorf("therapist withdrawing a staff invitation = %d, want 404", r.Status)
	}

	again := f.Do("POST", "/admin/invitations/"+m[1]+"/resend", url.Values{}, admin)
	second := inviteToken(t, "send again", again)
	if second == first || !strings.Contains(again.Body, "The earlier link no longer works") {
		t.Fatalf("sending again gave the same link or no word about the old one")
	}
	if r := f.Do("GET", "/invite/"+first, nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("old link after sending again = %d, want 404", r.Status)
	}
	if r := f.Do("GET", "/invite/"+second, nil, ""); r.Status != http.StatusOK {
		t.Errorf("new link = %d, want 200", r.Status)
	}
	if rows := f.AuditRows("token.invite.resend"); len(rows) != 1 || rows[0].ActorID != f.Users["admin@example.org"].ID {
		t.Errorf("token.invite.resend rows = %+v, want one by the admin", rows)
	}

	m = resendRE.FindStringSubmatch(again.Body)
	if m == nil {
		t.Fatal("the new invitation is not listed")
	}
	if r := f.Do("POST", "/admin/invitations/"+m[1]+"/revoke", url.Values{}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("withdraw = %d, want 303", r.Status)
	}
	if r := f.Do("GET", "/invite/"+second, nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("withdrawn link = %d, want 404", r.Status)
	}
	if rows := f.AuditRows("token.invite.revoke"); len(rows) != 1 || rows[0].ActorID != f.Users["admin@example.org"].ID {
		t.Errorf("token.invite.revoke rows = %+v, want one by the admin", rows)
	}
	after := f.Do("GET", "/admin/users?done=revoked", nil, admin)
	if strings.Contains(after.Body, "nia@example.org") || !strings.Contains(after.Body, "its link no longer works") {
		t.Error("after withdrawing, the invitation is still listed or no notice says so")
	}
	if r := f.Do("POST", "/admin/invitations/"+m[1]+"/revoke", url.Values{}, admin); r.Status != http.StatusNotFound {
		t.Errorf("withdrawing twice = %d, want 404", r.Status)
	}
}

// TestInvitationEmailed: with an email server, a staff invitation and a
// patient's portal invitation are emailed to the person (the practice's
// name and the link, nothing about the patient), and the page says so; a
// refused email is reported as not sent.
func TestInvitationEmailed(t *testing.T) {
	f := webtest.NewFixture(t)
	mb := &mailbox{}
	f.Srv.Config.Mailer, f.Srv.OutboxOnly = mb, false
	admin := f.SignIn("admin@example.org")
	r := f.Do("POST", "/admin/users", url.Values{"email": {"nia@example.org"}, "display_name": {"Nia Newcomer"}, "role": {"prescriber"}}, admin)
	tok := inviteToken(t, "invite", r)
	if !strings.Contains(r.Body, "It was emailed to nia@example.org") {
		t.Error("the page does not say the invitation was emailed")
	}
	if len(mb.sent) != 1 || !strings.HasPrefix(mb.sent[0], "nia@example.org|") || !strings.Contains(mb.sent[0], "/invite/"+tok) || !strings.Contains(mb.sent[0], f.Srv.PracticeName(context.Background())) {
		t.Fatalf("emails = %q, want the link to nia with the practice's name", mb.sent)
	}

	// A patient without an account, invited from their record.
	p := &store.Patient{DisplayName: "Pia Canary-Portal", Email: "pia@example.org"}
	if err := f.St.CreatePatient(context.Background(), f.As("thea@example.org"), p, ""); err != nil {
		t.Fatal(err)
	}
	thea := f.SignIn("thea@example.org")
	pr := f.Do("POST", "/patients/"+p.ID+"/invite", url.Values{}, thea)
	ptok := inviteToken(t, "patient invite", pr)
	if !strings.Contains(pr.Body, "It was emailed to pia@example.org") {
		t.Error("the chart does not say the portal invitation was emailed")
	}
	if len(mb.sent) != 2 || !strings.HasPrefix(mb.sent[1], "pia@example.org|") || !strings.Contains(mb.sent[1], "/invite/"+ptok) {
		t.Fatalf("emails = %q, want the portal link to pia", mb.sent)
	}
	for _, phi := range []string{"Pia", "Canary", "Thea", "ketamine", "patient"} {
		if strings.Contains(strings.SplitN(mb.sent[1], "|", 2)[1], phi) {
			t.Errorf("the patient's invitation email carries %q", phi)
		}
	}

	mb.fail = true
	failed := f.Do("POST", "/admin/users", url.Values{"email": {"obi@example.org"}, "display_name": {"Obi Other"}, "role": {"therapist"}}, admin)
	inviteToken(t, "invite with a failing server", failed)
	if !strings.Contains(failed.Body, "Emailing it to obi@example.org failed, so it was not sent") || strings.Contains(failed.Body, "It was emailed") {
		t.Error("a refused email is not reported as not sent")
	}
	t.Logf("emails sent: %d", len(mb.sent))
}

// TestPatientInvitationOnRecord: the owning therapist sees the patient's
// pending portal invitation on the record, sends a new link (the old one
// stops working) and withdraws it (audited under the patient); another
// therapist cannot.
func TestPatientInvitationOnRecord(t *testing.T) {
	f := webtest.NewFixture(t)
	p := &store.Patient{DisplayName: "Pia Portal", Email: "pia@example.org"}
	if err := f.St.CreatePatient(context.Background(), f.As("thea@example.org"), p, ""); err != nil {
		t.Fatal(err)
	}
	thea := f.SignIn("thea@example.org")
	chart := "/patients/" + p.ID
	first := inviteToken(t, "invite", f.Do("POST", chart+"/invite", url.Values{}, thea))
	page := f.Do("GET", chart, nil, thea)
	for _, want := range []string{"Portal invitation sent", "by Thea Therapist", "Send a new invitation link", `action="` + chart + `/invite/revoke#profile"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("record with a pending invitation lacks %q", want)
		}
	}
	second := inviteToken(t, "send again", f.Do("POST", chart+"/invite", url.Values{}, thea))
	if r := f.Do("GET", "/invite/"+first, nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("old portal link = %d, want 404", r.Status)
	}
	if r := f.Do("POST", chart+"/invite/revoke", url.Values{}, f.SignIn("theo@example.org")); r.Status != http.StatusNotFound {
		t.Errorf("another therapist withdrawing = %d, want 404", r.Status)
	}
	if r := f.Do("POST", chart+"/invite/revoke", url.Values{}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("withdraw = %d, want 303", r.Status)
	}
	if r := f.Do("GET", "/invite/"+second, nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("withdrawn portal link = %d, want 404", r.Status)
	}
	var mine int
	for _, e := range f.AuditRows("token.invite.revoke") {
		if e.PatientID == p.ID && e.ActorID == f.Users["thea@example.org"].ID && e.Outcome == "success" {
			mine++
		}
	}
	if mine != 1 {
		t.Errorf("successful token.invite.revoke rows under the patient = %d, want 1", mine)
	}
	if after := f.Do("GET", chart+"?done=invite-revoked", nil, thea); strings.Contains(after.Body, "Portal invitation sent") || !strings.Contains(after.Body, "Make a portal invitation") {
		t.Error("after withdrawing, the record still shows the invitation")
	}
}
