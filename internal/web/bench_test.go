package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
	"github.com/kapstone/kapstone/internal/web"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// BenchmarkHomePage serves the home page through the whole handler (request
// id, security headers, CSRF check, session lookup, template, practice
// settings read). BenchmarkBaselinePage serves the same bytes from a bare
// net/http handler in the same run, so the two can be compared on any machine.
func BenchmarkHomePage(b *testing.B) {
	srv := benchServer(b)
	req := httptest.NewRequest("GET", "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET / = %d", rec.Code)
		}
	}
}

func BenchmarkBaselinePage(b *testing.B) {
	srv := benchServer(b)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body := rec.Body.Bytes()
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	})
	req := httptest.NewRequest("GET", "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		bare.ServeHTTP(rec, req)
	}
}

// BenchmarkSignedInPage serves /account to a signed-in patient: a session
// lookup and its durable touch (one committed write) per request.
func BenchmarkSignedInPage(b *testing.B) {
	srv := benchServer(b)
	rec := httptest.NewRecorder()
	form := strings.NewReader("email=bench%40example.org&password=" + strings.ReplaceAll(webtest.TestPassword, " ", "+"))
	req := httptest.NewRequest("POST", "/login", form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	srv.ServeHTTP(rec, req)
	var tok string
	for _, c := range rec.Result().Cookies() {
		if c.Name == srv.CookieName() { // not the device cookie set beside it
			tok = c.Value
		}
	}
	if tok == "" {
		b.Fatalf("login = %d, no cookie", rec.Code)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/account", nil)
		req.AddCookie(&http.Cookie{Name: srv.CookieName(), Value: tok})
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET /account = %d %s", rec.Code, rec.Header().Get("Location"))
		}
	}
}

func benchServer(b *testing.B) *web.Server {
	st := storetest.Open(b)
	cfg := web.DefaultConfig()
	srv, err := web.NewServer(cfg, st, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	hash, _ := auth.HashPassword(webtest.TestPassword, webtest.Cheap)
	if err := st.CreateUser(context.Background(), store.System, &clinic.User{Email: "bench@example.org", DisplayName: "Bench", Role: clinic.RolePatient}, hash); err != nil {
		b.Fatal(err)
	}
	return srv
}

// benchPost adds a published post of a typical length (about 900 words,
// with headings, a list and a link) by a therapist, and returns its path.
func benchPost(b *testing.B, srv *web.Server) string {
	ctx := context.Background()
	u := &clinic.User{Email: "writer@example.org", DisplayName: "Wren Writer", Role: clinic.RoleTherapist}
	if err := srv.Store.CreateUser(ctx, store.System, u, "x"); err != nil {
		b.Fatal(err)
	}
	var body strings.Builder
	for i := range 6 {
		body.WriteString("## Part " + strings.Repeat("I", i+1) + "\n\nPreparation is where most of the work happens. " +
			strings.Repeat("We talk about intentions, the room, music and who is present, and we agree on touch before anything else. ", 6) +
			"\n\n- Eat lightly as instructed\n- Arrange a ride home\n- Bring questions\n\nRead more on [what to expect](/what-to-expect).\n\n")
	}
	p := &store.Post{Title: "What to expect on a dosing day", Summary: "About three hours, start to finish.", Body: body.String(), Tags: []string{"dosing", "preparation"}, Status: store.PostPublished}
	if err := srv.Store.SavePost(ctx, store.Actor{UserID: u.ID, Role: u.Role}, p); err != nil {
		b.Fatal(err)
	}
	return "/blog/" + p.Slug
}

// reqPerSec reports requests per second beside ns/op, as the issue asks.
func reqPerSec(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkBlogPostPage serves a blog post to visitors through the whole
// handler (middleware, route guard, the public page cache with its ETag).
// BenchmarkBlogPostBaseline serves the same bytes from a bare net/http
// handler in the same run: compare their req/s.
func BenchmarkBlogPostPage(b *testing.B) {
	srv := benchServer(b)
	path := benchPost(b, srv)
	req := httptest.NewRequest("GET", path, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", path, rec.Code)
		}
	}
	reqPerSec(b)
}

func BenchmarkBlogPostBaseline(b *testing.B) {
	srv := benchServer(b)
	path := benchPost(b, srv)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	body := rec.Body.Bytes()
	if len(body) < 5000 {
		b.Fatalf("the post page is only %d bytes", len(body))
	}
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	})
	req := httptest.NewRequest("GET", path, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		bare.ServeHTTP(rec, req)
	}
	reqPerSec(b)
}

// BenchmarkBlogPostUncached renders the post page afresh every time (as
// the first visitor after an edit would get it), for comparison.
func BenchmarkBlogPostUncached(b *testing.B) {
	srv := benchServer(b)
	path := benchPost(b, srv)
	req := httptest.NewRequest("GET", path, nil)
	b.ReportAllocs()
	for b.Loop() {
		srv.PublicPages.Clear()
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", path, rec.Code)
		}
	}
	reqPerSec(b)
}
