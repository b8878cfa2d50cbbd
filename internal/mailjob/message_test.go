package mailjob_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/mailjob"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestMessageEmailNoContent: a patient's message emails the care team and
// a clinician's reply emails the patient, each saying only that a message
// from the practice waits, with a sign-in link: never the message's text,
// its subject or the patient's name.
func TestMessageEmailNoContent(t *testing.T) {
	f := webtest.NewFixture(t)
	mailer := &fakeMailer{}
	f.Srv.Config.Mailer = mailer
	pat := f.SignIn("pat@example.org")
	const subject, body, reply = "Subject-Canary-6120", "Body-Canary-3391 I feel worse since Tuesday", "Reply-Canary-8874"
	r := f.Do("POST", "/portal/messages", url.Values{"subject": {subject}, "body": {body}}, pat)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("send = %d", r.Status)
	}
	runJobs(f)
	thread := strings.TrimPrefix(strings.Split(r.Header.Get("Location"), "?")[0], "/portal/messages/")
	rr := f.Do("POST", "/patients/"+f.PA.ID+"/messages/"+thread, url.Values{"body": {reply}}, f.SignIn("thea@example.org"))
	if rr.Status != http.StatusSeeOther {
		t.Fatalf("reply = %d", rr.Status)
	}
	runJobs(f)
	if len(mailer.sent) != 2 {
		t.Fatalf("emails = %q, want 2", mailer.sent)
	}
	practice := f.Srv.PracticeName(t.Context())
	team, patient := mailer.sent[0], mailer.sent[1]
	if !strings.HasPrefix(team, "rex@example.org,thea@example.org|") || !strings.Contains(team, "/messages") {
		t.Errorf("team email = %q", team)
	}
	to, rest, _ := strings.Cut(patient, "|")
	subj, _, _ := strings.Cut(rest, "|")
	if to != f.PA.Email || subj != "You have a new message from "+practice || !strings.Contains(patient, "/portal/messages") {
		t.Errorf("patient email = %q", patient)
	}
	for _, m := range mailer.sent {
		for _, secret := range []string{subject, "Body-Canary-3391", reply, webtest.CanaryA, f.PA.ID} {
			if strings.Contains(m, secret) {
				t.Errorf("an email carries %q: %q", secret, m)
			}
		}
	}
	// The wording itself, for any practice: the subject never names the
	// patient.
	s, b := mailjob.MessageEmail("Calm Practice", "https://care.example.org", true, "Call 988.")
	if s != "You have a new message from Calm Practice" || !strings.Contains(b, "https://care.example.org/portal/messages") {
		t.Errorf("MessageEmail = %q, %q", s, b)
	}
}
