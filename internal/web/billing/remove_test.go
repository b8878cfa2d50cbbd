package billing_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestFeesRemove: the fees page says one word for taking a fee, a tier or
// a package away, "Remove", each behind a disclosure that asks before it
// is done (no script: the page's policy allows none); a removal posted
// without its confirmation removes nothing and asks; confirmed, it is
// removed and the notice says so in the same word; removed twice, the
// answer says it may have been removed already.
func TestFeesRemove(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	for _, post := range []struct {
		path string
		form url.Values
	}{
		{"/admin/fees/schedule", url.Values{"kind": {"intake"}, "code": {"90791"}, "description": {"Intake evaluation"}, "amount": {"250"}}},
		{"/admin/fees/tiers", url.Values{"name": {"Reduced 75%"}, "percent": {"75"}}},
		{"/admin/fees/packages", url.Values{"name": {"Two integration sessions"}, "kind": {"integration"}, "sessions": {"2"}, "price": {"250"}}},
	} {
		if r := f.Do("POST", post.path, post.form, admin); r.Status != http.StatusSeeOther {
			t.Fatalf("POST %s = %d", post.path, r.Status)
		}
	}
	page := f.Do("GET", "/admin/fees", nil, admin).Body
	text := visible(page)
	for _, word := range []string{"Archive", "archive", "Take off", "Stop selling", "Delete", "delete"} {
		if strings.Contains(text, word) {
			t.Errorf("the fees page says %q", word)
		}
	}
	if n := strings.Count(page, `<details class="inline-details"><summary>Remove<span class="visually-hidden">`); n != 3 {
		t.Errorf("%d Remove disclosures, want 3 (a fee, a tier, a package)", n)
	}
	actions := regexp.MustCompile(`action="(/admin/fees/(?:schedule|tiers|packages)/[^"/]+/archive)" class="stack"><input type="hidden" name="confirm" value="yes">`).FindAllStringSubmatch(page, -1)
	if len(actions) != 3 {
		t.Fatalf("%d confirmed removal forms, want 3:\n%s", len(actions), page)
	}
	for _, c := range []struct {
		action, question, notice, gone string
	}{
		{actions[0][1], "Remove this fee from the schedule?", "Fee removed from the schedule.", "Intake evaluation"},
		{actions[1][1], "Remove this tier?", "Tier removed.", "pays 75% of the fee"},
		{actions[2][1], "Remove this package?", "Package removed: it is no longer sold.", "Two integration sessions"},
	} {
		ask := f.Do("POST", c.action, url.Values{}, admin)
		if ask.Status != http.StatusOK || !strings.Contains(ask.Body, `id="confirm-remove" role="alert"`) || !strings.Contains(ask.Body, c.question) ||
			!strings.Contains(ask.Body, `action="`+c.action+`"`) || !strings.Contains(ask.Body, c.gone) {
			t.Errorf("POST %s unconfirmed = %d, want the page asking %q with the entry still there", c.action, ask.Status, c.question)
		}
		done := f.Do("POST", c.action, url.Values{"confirm": {"yes"}}, admin)
		if done.Status != http.StatusSeeOther {
			t.Fatalf("POST %s confirmed = %d", c.action, done.Status)
		}
		loc, _, _ := strings.Cut(done.Header.Get("Location"), "#")
		if after := f.Do("GET", loc, nil, admin).Body; !strings.Contains(after, c.notice) || strings.Contains(visible(after), c.gone) {
			t.Errorf("after removing: no %q, or %q still listed", c.notice, c.gone)
		}
		again := f.Do("POST", c.action, url.Values{"confirm": {"yes"}}, admin)
		if again.Status != http.StatusNotFound || !strings.Contains(again.Body, "it may have been removed already") {
			t.Errorf("removed twice = %d", again.Status)
		}
	}
}
