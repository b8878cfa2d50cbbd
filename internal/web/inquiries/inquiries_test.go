package inquiries_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

var (
	inquiryRowRE   = regexp.MustCompile(`<li><a href="/inquiries/[^"/]+">`)
	inquiryOlderRE = regexp.MustCompile(`<a href="(/inquiries\?[^"]*)" rel="next">Older</a>`)
	inquiryNewerRE = regexp.MustCompile(`<a href="(/inquiries\?[^"]*)" rel="prev">Newer</a>`)
	hiddenAfterRE  = regexp.MustCompile(`<input type="hidden" name="after" value="([^"]+)">`)
)

// TestInquiryInboxPages: an inbox longer than a page shows a page, the
// count of all, and an "Older" link keyed by an inquiry id that keeps the
// filter (no name in it); the older page holds the rest and links back.
// A search is sent by POST and its pages are POST forms, so the words are
// in no URL; words in a URL are not searched. A prescriber sees none.
func TestInquiryInboxPages(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	n := store.DefaultPageSize + 5
	for i := range n {
		q := &store.Inquiry{Name: fmt.Sprintf("Paged Inquirer %03d", i), Email: fmt.Sprintf("p%d@example.org", i)}
		if i == 7 {
			q.Name = "Quinn Rivera"
		}
		if err := f.St.CreateInquiry(ctx, store.Actor{}, q, fmt.Sprintf("addr-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	spam := &store.Inquiry{Name: "Robot Spammer", Email: "bot@example.org", SpamReason: store.SpamTooFast}
	if err := f.St.CreateInquiry(ctx, store.Actor{}, spam, "addr-bot"); err != nil {
		t.Fatal(err)
	}
	thea := f.SignIn("thea@example.org")

	r := f.Do("GET", "/inquiries", nil, thea)
	older := inquiryOlderRE.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || len(inquiryRowRE.FindAllString(r.Body, -1)) != store.DefaultPageSize || older == nil ||
		!strings.Contains(r.Body, fmt.Sprintf("%d inquiries", n)) || inquiryNewerRE.MatchString(r.Body) {
		t.Fatalf("first inbox page = %d, %d rows, older %v; want %d rows of %d and an Older link only", r.Status, len(inquiryRowRE.FindAllString(r.Body, -1)), older, store.DefaultPageSize, n)
	}
	link := html.UnescapeString(older[1])
	if strings.Contains(link, "Inquirer") || strings.Contains(link, "Rivera") || !strings.Contains(link, "status=open") {
		t.Errorf("older link %q: want an id key and the filter, never a name", link)
	}
	r = f.Do("GET", link, nil, thea)
	if rows := len(inquiryRowRE.FindAllString(r.Body, -1)); r.Status != http.StatusOK || rows != 5 || inquiryOlderRE.MatchString(r.Body) || !inquiryNewerRE.MatchString(r.Body) {
		t.Errorf("older page = %d with %d rows; want the 5 left and a Newer link only", r.Status, rows)
	}

	// A key from outside the filter (the possible spam) reads the first page.
	r = f.Do("GET", "/inquiries?status=open&after="+spam.ID, nil, thea)
	if len(inquiryRowRE.FindAllString(r.Body, -1)) != store.DefaultPageSize || inquiryNewerRE.MatchString(r.Body) {
		t.Errorf("a key outside the filter: want the first page")
	}

	// The search: by POST, one match.
	r = f.Do("POST", "/inquiries", url.Values{"q": {"rivera"}, "status": {"open"}}, thea)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Quinn Rivera") || strings.Contains(r.Body, "Paged Inquirer") || !strings.Contains(r.Body, "1 inquiry matches") {
		t.Errorf("POST search = %d, want Quinn Rivera alone", r.Status)
	}
	// Many matches: the older page is a POST form carrying the search.
	r = f.Do("POST", "/inquiries", url.Values{"q": {"paged inquirer"}, "status": {"open"}}, thea)
	after := hiddenAfterRE.FindStringSubmatch(r.Body)
	if after == nil || inquiryOlderRE.MatchString(r.Body) || !strings.Contains(r.Body, fmt.Sprintf("%d inquiries match", n-1)) {
		t.Fatalf("a search of many: want an Older form, no link, and the count")
	}
	r = f.Do("POST", "/inquiries", url.Values{"q": {"paged inquirer"}, "status": {"open"}, "after": {after[1]}}, thea)
	if rows := len(inquiryRowRE.FindAllString(r.Body, -1)); rows != 4 {
		t.Errorf("the search's older page has %d rows, want 4", rows)
	}
	// Words in a URL are not a search.
	r = f.Do("GET", "/inquiries?q=rivera", nil, thea)
	if !strings.Contains(r.Body, fmt.Sprintf("%d inquiries", n)) {
		t.Errorf("GET ?q= searched; the search is POST only")
	}
	if r := f.Do("POST", "/inquiries", url.Values{"q": {strings.Repeat("x", 101)}}, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "at most 100 characters") {
		t.Errorf("a long search = %d, want 422 with the field's message", r.Status)
	}
	// A prescriber, even with a key, lists nothing.
	if r := f.Do("POST", "/inquiries", url.Values{"q": {"rivera"}, "after": {spam.ID}}, f.SignIn("rex@example.org")); r.Status != http.StatusOK || strings.Contains(r.Body, "Rivera") || strings.Contains(r.Body, "Inquirer") {
		t.Errorf("a prescriber's search = %d, want the page without any inquiry", r.Status)
	}
}
