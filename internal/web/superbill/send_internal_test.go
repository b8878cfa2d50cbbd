package superbill

import (
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
)

// TestSendState: a send's state never says the email was sent when no
// mail server is set up (issue 21, the walk: "Email sent" was shown for
// an email kept in the outbox). Table.
func TestSendState(t *testing.T) {
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		outbox, sent, failed bool
		want                 string
	}{
		{false, false, false, "Queued: the email goes out shortly"},
		{false, true, false, "Email sent"},
		{false, false, true, "The email could not be sent"},
		{true, false, false, "Not emailed: no mail server is set up, so the email will be kept in the email outbox"},
		{true, true, false, "Not emailed: no mail server is set up, so the email was kept in the email outbox"},
		{true, false, true, "The email could not be sent"},
	} {
		rows := sendRows([]store.StatementSend{{Kind: store.DocStatement, From: day, To: day.AddDate(0, 1, 0), Sent: c.sent, Failed: c.failed}}, time.UTC, "/portal/billing", c.outbox)
		if len(rows) != 1 || rows[0].State != c.want {
			t.Errorf("outbox %v sent %v failed %v: %+v, want %q", c.outbox, c.sent, c.failed, rows, c.want)
		}
	}
}
