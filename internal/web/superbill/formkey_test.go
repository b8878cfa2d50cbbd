package superbill_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestSendFormTwice (issue 21 walk F1): each send form carries its own
// one-time key; "Send the statement" posted twice (a double click) queues
// one email, and both posts land on the same page; the superbill's form,
// with its own key, sends.
func TestSendFormTwice(t *testing.T) {
	d := webtest.NewDemoSite(t)
	ctx := context.Background()
	lena := d.Session(lenaEmail)
	jordan := d.PatientID(lenaEmail, "Jordan")
	jobs := func() int {
		list, err := d.St.ListJobs(ctx, "pending", 500)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, j := range list {
			if j.Kind == store.JobStatementEmail {
				n++
			}
		}
		return n
	}
	page := d.Do(lena, "GET", "/patients/"+jordan+"/statements", nil).Body.String()
	keys := map[string]string{}
	for _, m := range regexp.MustCompile(`name="kind" value="(\w+)"><input type="hidden" name="form_key" value="([^"]+)">`).FindAllStringSubmatch(page, -1) {
		keys[m[1]] = m[2]
	}
	if len(keys) != 2 || keys["superbill"] == keys["statement"] {
		t.Fatalf("the send forms' keys: %v, want one each", keys)
	}
	send := func(kind string) *http.Response {
		t.Helper()
		r := d.Do(lena, "POST", "/patients/"+jordan+"/statements/send", url.Values{"kind": {kind}, "period": {"this-year"}, "form_key": {keys[kind]}})
		if r.Code != http.StatusSeeOther {
			t.Fatalf("send %s = %d:\n%s", kind, r.Code, r.Body)
		}
		return r.Result()
	}
	first, second := send("statement"), send("statement")
	if first.Header.Get("Location") != second.Header.Get("Location") {
		t.Errorf("the form posted twice lands on %q, then %q", first.Header.Get("Location"), second.Header.Get("Location"))
	}
	if n := jobs(); n != 1 {
		t.Errorf("%d emails queued by the statement's form posted twice, want 1", n)
	}
	send("superbill")
	if n := jobs(); n != 2 {
		t.Errorf("%d emails queued after the superbill's form, want 2", n)
	}
}
