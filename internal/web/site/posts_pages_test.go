package site_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

var (
	postRowRE   = regexp.MustCompile(`Draft number \d+`)
	postsNextRE = regexp.MustCompile(`<a href="(/site/posts\?after=[^"]+)" rel="next">Older</a>`)
	postsPrevRE = regexp.MustCompile(`<a href="(/site/posts\?before=[^"]+)" rel="prev">Newer</a>`)
)

// TestPostsPages: the editors' list of posts shows a page of them with the
// count of all and an Older link keyed by a post id; the older page shows
// the rest, with a Newer link.
func TestPostsPages(t *testing.T) {
	f := webtest.NewFixture(t)
	const made = store.DefaultPageSize + 4
	for i := range made {
		f.Post("thea@example.org", store.Post{Title: fmt.Sprintf("Draft number %d", i), Status: store.PostDraft})
	}
	theo := f.SignIn("theo@example.org")
	r := f.Do("GET", "/site/posts", nil, theo)
	next := postsNextRE.FindStringSubmatch(r.Body)
	if n := len(postRowRE.FindAllString(r.Body, -1)); r.Status != http.StatusOK || n != store.DefaultPageSize || next == nil || postsPrevRE.MatchString(r.Body) ||
		!strings.Contains(r.Body, fmt.Sprintf("%d posts, %d on this page", made, store.DefaultPageSize)) {
		t.Fatalf("first page of posts = %d with %d posts, next %v; want %d of %d", r.Status, n, next, store.DefaultPageSize, made)
	}
	r = f.Do("GET", html.UnescapeString(next[1]), nil, theo)
	if n := len(postRowRE.FindAllString(r.Body, -1)); n != made-store.DefaultPageSize || postsNextRE.MatchString(r.Body) || !postsPrevRE.MatchString(r.Body) {
		t.Errorf("older page of posts has %d, want %d and a Newer link only", n, made-store.DefaultPageSize)
	}
}
