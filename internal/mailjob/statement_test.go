package mailjob_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/mailjob"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestStatementEmailNoContent: sending a statement to the patient records
// the send and queues one email, which goes to the patient and says only
// that a document waits in the portal, with the link: no amount, no name,
// no period, no code.
func TestStatementEmailNoContent(t *testing.T) {
	f := webtest.NewFixture(t)
	mailer := &fakeMailer{}
	f.Srv.Config.Mailer = mailer
	ctx := context.Background()
	thea := f.As("thea@example.org")
	if err := f.St.SetFee(ctx, f.As("admin@example.org"), &store.FeeEntry{Kind: "integration", Code: "90837", Description: "Psychotherapy-Canary-5521", Cents: 43217}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.St.RecordPayment(ctx, thea, f.PA.ID, store.PaymentInput{Cents: 31415, Method: billing.MethodCash}); err != nil {
		t.Fatal(err)
	}
	// A statement: a superbill of no service is not sent (issue 21, the walk).
	r := f.Do("POST", "/patients/"+f.PA.ID+"/statements/send", url.Values{"kind": {"statement"}, "period": {"this-year"}}, f.SignIn("thea@example.org"))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("send = %d", r.Status)
	}
	runJobs(f)
	if len(mailer.sent) != 1 {
		t.Fatalf("emails = %q, want 1", mailer.sent)
	}
	m := mailer.sent[0]
	if to, _, _ := strings.Cut(m, "|"); to != f.PA.Email || !strings.Contains(m, "/portal/billing") {
		t.Errorf("email = %q", m)
	}
	for _, secret := range []string{"$", "314.15", "432.17", "90837", "Canary-5521", "superbill", "Superbill", f.PA.DisplayName, webtest.CanaryA, f.PA.ID} {
		if secret != "" && strings.Contains(m, secret) {
			t.Errorf("the email carries %q: %q", secret, m)
		}
	}
	s, b := mailjob.StatementEmail("Calm Practice", "https://care.example.org", "Call 988.")
	if s != "A document from Calm Practice is ready in your portal" || !strings.Contains(b, "https://care.example.org/portal/billing") || !strings.HasSuffix(b, "Call 988.") {
		t.Errorf("StatementEmail = %q, %q", s, b)
	}
}
