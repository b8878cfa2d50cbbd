package webtest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
	"github.com/kapstone/kapstone/internal/web"
)

// DemoSite is the demo practice (demo.Seed, on the test's engine) behind
// a server, for tests of what the demo shows its users.
type DemoSite struct {
	T   *testing.T
	St  *store.Store
	Srv *web.Server
}

// NewDemoSite seeds the demo practice and starts its server.
func NewDemoSite(t *testing.T) *DemoSite {
	t.Helper()
	st := storetest.Open(t)
	if _, err := demo.Seed(context.Background(), st, t.TempDir(), Cheap); err != nil {
		t.Fatal(err)
	}
	srv, err := web.NewServer(web.DefaultConfig(), st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &DemoSite{T: t, St: st, Srv: srv}
}

// Actor is the store actor of the demo user with email.
func (d *DemoSite) Actor(email string) store.Actor {
	d.T.Helper()
	u, _, err := d.St.FindUserByEmail(context.Background(), email)
	if err != nil {
		d.T.Fatal(err)
	}
	return store.Actor{UserID: u.ID, Role: u.Role}
}

// Session signs the demo user with email in (second factor done) and
// returns the session token.
func (d *DemoSite) Session(email string) string {
	d.T.Helper()
	ctx := context.Background()
	u, _, err := d.St.FindUserByEmail(ctx, email)
	if err != nil {
		d.T.Fatal(err)
	}
	token := auth.NewToken()
	now := time.Now().UTC()
	sess := &store.Session{IDHash: auth.HashToken(token), User: u, MFADone: true, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := d.St.StartSession(ctx, store.Actor{UserID: u.ID, Role: u.Role}, "", sess, store.Entry{Action: "login.success"}); err != nil {
		d.T.Fatal(err)
	}
	return token
}

// Do sends one request with the session token through the whole handler;
// a form is posted as a same-origin browser would.
func (d *DemoSite) Do(token, method, path string, form url.Values) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://example.com")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	req.AddCookie(&http.Cookie{Name: d.Srv.CookieName(), Value: token})
	rec := httptest.NewRecorder()
	d.Srv.ServeHTTP(rec, req)
	return rec
}

// PatientID is the id of the one patient named name in owner's directory.
func (d *DemoSite) PatientID(owner, name string) string {
	d.T.Helper()
	pg, err := d.St.PagePatients(context.Background(), d.Actor(owner), store.PatientFilter{Query: name}, store.PageKey{Limit: 5})
	if err != nil || len(pg.Patients) != 1 {
		d.T.Fatalf("patient %s: %v", name, err)
	}
	return pg.Patients[0].ID
}
