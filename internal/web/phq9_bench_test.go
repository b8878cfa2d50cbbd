package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// BenchmarkPHQ9Completion completes a PHQ-9 in the portal through the
// whole handler (session, CSRF check, form, scoring, the audited write
// with its alert check, the redirect), one durable commit each, as the
// load generator's scenario (e) does: loadtest -only e measures it under
// concurrent clients, this one its cost per completion.
func BenchmarkPHQ9Completion(b *testing.B) {
	srv := benchServer(b)
	ctx := context.Background()
	st := srv.Store
	thea := &clinic.User{Email: "thea@example.org", DisplayName: "Thea Therapist", Role: clinic.RoleTherapist}
	if err := st.CreateUser(ctx, store.System, thea, "x"); err != nil {
		b.Fatal(err)
	}
	as := store.Actor{UserID: thea.ID, Role: thea.Role}
	p := &store.Patient{DisplayName: "Pat Patient", Email: "pat@example.org"}
	if err := st.CreatePatient(ctx, as, p, ""); err != nil {
		b.Fatal(err)
	}
	tok := &store.AuthToken{Hash: auth.HashToken("invite"), Purpose: store.TokenInvite, Email: p.Email, DisplayName: p.DisplayName, Role: clinic.RolePatient, PatientID: p.ID}
	if err := st.CreateToken(ctx, as, tok); err != nil {
		b.Fatal(err)
	}
	hash, _ := auth.HashPassword(webtest.TestPassword, webtest.Cheap)
	if err := st.AcceptAccountToken(ctx, store.Actor{}, tok.Hash, store.TokenInvite, &clinic.User{DisplayName: p.DisplayName}, hash); err != nil {
		b.Fatal(err)
	}
	if err := st.AssignMeasure(ctx, as, p.ID, "phq9", "weekly"); err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/login", strings.NewReader("email=pat%40example.org&password="+strings.ReplaceAll(webtest.TestPassword, " ", "+")))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	srv.ServeHTTP(rec, req)
	var cookie string
	for _, c := range rec.Result().Cookies() {
		if c.Name == srv.CookieName() {
			cookie = c.Value
		}
	}
	if cookie == "" {
		b.Fatalf("login = %d, no cookie", rec.Code)
	}
	phq9, _ := measure.Get("phq9")
	var bodies []string
	for v := range 3 {
		f := webtest.PHQ9Form("complete", v, 0)
		for i, it := range phq9.Items {
			if !it.Risk {
				f.Set(it.ID, strconv.Itoa((v+i)%3))
			}
		}
		bodies = append(bodies, f.Encode())
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		req := httptest.NewRequest("POST", "/portal/checkins/phq9", strings.NewReader(bodies[n%len(bodies)]))
		n++
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: srv.CookieName(), Value: cookie})
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/portal/checkins?done=phq9" {
			b.Fatalf("POST /portal/checkins/phq9 = %d to %q", rec.Code, rec.Header().Get("Location"))
		}
	}
	reqPerSec(b)
}
