package web

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
	form := strings.NewReader("email=bench%40example.org&password=" + strings.ReplaceAll(testPassword, " ", "+"))
	req := httptest.NewRequest("POST", "/login", form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	srv.ServeHTTP(rec, req)
	var tok string
	for _, c := range rec.Result().Cookies() {
		tok = c.Value
	}
	if tok == "" {
		b.Fatalf("login = %d, no cookie", rec.Code)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/account", nil)
		req.AddCookie(&http.Cookie{Name: srv.cookieName(), Value: tok})
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET /account = %d", rec.Code)
		}
	}
}

func benchServer(b *testing.B) *Server {
	st := storetest.Open(b)
	cfg := DefaultConfig()
	srv, err := NewServer(cfg, st, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	hash, _ := auth.HashPassword(testPassword, cheap)
	if err := st.CreateUser(context.Background(), store.System, &clinic.User{Email: "bench@example.org", DisplayName: "Bench", Role: clinic.RolePatient}, hash); err != nil {
		b.Fatal(err)
	}
	return srv
}
