package demo_test

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
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
	"github.com/kapstone/kapstone/internal/web"
)

// TestScale: demo --scale 50 adds 50 patients with years of history in
// bulk, on the engine under test: the counts add up, every stored score
// agrees with measure.Score of its stored answers, the run is one
// demo.scale audit row and the chain still verifies, and the pages that
// read the generated history (chart, outcomes, caseload, portal) answer 200.
func TestScale(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	params := auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}
	logins, err := demo.Seed(ctx, st, t.TempDir(), params)
	if err != nil {
		t.Fatal(err)
	}
	var calls, last int
	res, err := demo.Scale(ctx, st, 50, params, 1, func(done, total int) { calls, last = calls+1, done })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scale 50 on %s: %s in %v", st.Engine(), res.BulkCounts, res.Elapsed)
	if res.Patients != 50 || res.Checkins < 50*10 || res.Appointments < 50 || res.DosingSessions == 0 || res.Notes == 0 || res.Messages == 0 {
		t.Errorf("counts = %s, want 50 patients with check-ins, appointments, dosing sessions, notes and messages", res.BulkCounts)
	}
	if calls == 0 || last != 50 {
		t.Errorf("progress called %d times, last with %d, want the end at 50", calls, last)
	}
	if _, err := demo.Scale(ctx, st, 50, params, 1, nil); err == nil {
		t.Error("a second Scale on the same practice succeeded, want a refusal")
	}
	if n, _, err := st.CountAudit(ctx, "demo.scale", "", "", time.Time{}); err != nil || n != 1 {
		t.Errorf("demo.scale audit rows = %d, %v, want 1", n, err)
	}
	if p, n, err := st.VerifyAudit(ctx, nil); err != nil || p != nil {
		t.Errorf("audit verify after scale: problem %+v, %v (%d rows)", p, err, n)
	}

	// Patient 0: their own record, owned by the first therapist.
	u, _, err := st.FindUserByEmail(ctx, demo.ScaleEmail(0))
	if err != nil || u == nil {
		t.Fatalf("patient 0's account: %v", err)
	}
	me := store.Actor{UserID: u.ID, Role: clinic.RolePatient}
	pt, err := st.FindOwnPatient(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.FindMeasures(ctx, me, pt.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Checkins) < 2 || len(m.Assignments) != 2 {
		t.Fatalf("patient 0: %d check-ins, %d assignments, want some of each", len(m.Checkins), len(m.Assignments))
	}
	for _, c := range m.Checkins {
		inst, _ := measure.Get(c.Instrument)
		r, err := measure.Score(inst, c.Answers)
		if err != nil || r.Total != c.Total || r.Band.Label != c.Band || string(r.Risk) != c.Risk || c.CourseID == "" {
			t.Fatalf("check-in %s: stored %d %q %q (course %q), scored %+v %v", c.ID, c.Total, c.Band, c.Risk, c.CourseID, r, err)
		}
	}

	srv, err := web.NewServer(web.DefaultConfig(), st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, target string, form url.Values, cookie string) *http.Response {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req := httptest.NewRequest(method, target, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: srv.CookieName(), Value: cookie})
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Result()
	}
	cookieOf := func(r *http.Response) string {
		for _, c := range r.Cookies() {
			if c.Name == srv.CookieName() {
				return c.Value
			}
		}
		return ""
	}
	signIn := func(email, password, secret string) string {
		r := do("POST", "/login", url.Values{"email": {email}, "password": {password}}, "")
		tok := cookieOf(r)
		if r.StatusCode != http.StatusSeeOther || tok == "" {
			t.Fatalf("sign-in of %s = %d", email, r.StatusCode)
		}
		if secret != "" {
			code, _ := auth.TOTPCode(secret, time.Now())
			r = do("POST", "/login/mfa", url.Values{"code": {code}}, tok)
			if tok = cookieOf(r); r.StatusCode != http.StatusSeeOther || tok == "" {
				t.Fatalf("second factor of %s = %d", email, r.StatusCode)
			}
		}
		return tok
	}
	therapists, err := st.ListStaff(ctx, clinic.RoleTherapist)
	if err != nil {
		t.Fatal(err)
	}
	// The bulk load fills the unread counts the navigation reads
	// (message_unread) as the app keeps them: equal to counting every
	// message each clinician has not read.
	for _, th := range therapists {
		a := store.Actor{UserID: th.ID, Role: th.Role}
		n, err := st.StaffUnreadMessages(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		m, err := st.UnreadMessagesForStaff(ctx, a, scaledPatientIDs(t, st, a))
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, k := range m {
			sum += k
		}
		if n != sum || n == 0 {
			t.Errorf("%s's unread count after scale = %d, counting every message %d; want equal, and some", th.DisplayName, n, sum)
		}
		// And the caseload's count (caseload_sizes, kept by triggers)
		// equals the caseload listed whole.
		page, err := st.PagePatients(ctx, a, store.PatientFilter{}, store.PageKey{})
		if err != nil {
			t.Fatal(err)
		}
		all, err := st.ListPatients(ctx, a, store.PatientFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != len(all) || page.Total == 0 {
			t.Errorf("%s's caseload count after scale = %d, listing it %d; want equal, and some", th.DisplayName, page.Total, len(all))
		}
	}
	var owner demo.Login
	for _, l := range logins {
		if strings.EqualFold(l.Email, therapists[0].Email) {
			owner = l
		}
	}
	staff := signIn(owner.Email, owner.Password, owner.TOTPSecret)
	portal := signIn(demo.ScaleEmail(0), res.Password, "")
	for _, c := range []struct{ path, cookie string }{
		{"/patients/" + pt.ID, staff},
		{"/patients/" + pt.ID + "/messages", staff},
		{"/outcomes", staff},
		{"/patients", staff},
		{"/portal", portal},
		{"/portal/progress", portal},
	} {
		r := do("GET", c.path, nil, c.cookie)
		b, _ := io.ReadAll(r.Body)
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", c.path, r.StatusCode)
		}
		if c.path == "/patients/"+pt.ID && !strings.Contains(string(b), pt.DisplayName) {
			t.Errorf("the chart of patient 0 does not show their name %q", pt.DisplayName)
		}
	}
}

// scaledPatientIDs lists every patient on a's caseload.
func scaledPatientIDs(t *testing.T, st *store.Store, a store.Actor) []string {
	t.Helper()
	ps, err := st.ListPatients(context.Background(), a, store.PatientFilter{})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}
