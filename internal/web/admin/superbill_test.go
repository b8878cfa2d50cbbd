package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// practiceForm is the practice page's form as the browser sends it.
func practiceForm(t *testing.T, f *webtest.Fixture, admin string) url.Values {
	t.Helper()
	page := f.Do("GET", "/admin/practice", nil, admin)
	form := url.Values{}
	for _, m := range strings.Split(page.Body, "<input ")[1:] {
		name, value := attr(m, "name"), attr(m, "value")
		if name != "" {
			form.Set(name, value)
		}
	}
	return form
}

func attr(tag, name string) string {
	_, after, ok := strings.Cut(tag, name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, `"`)
	return v
}

// TestPracticeSuperbillFields: the administrator sets the practice's
// address, EIN and NPI on the practice page; a wrong NPI or EIN is a
// message at its field, and nothing is saved.
func TestPracticeSuperbillFields(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	form := practiceForm(t, f, admin)
	form.Set("time_zone", "America/New_York")
	form.Set("address_line1", "100 Example Ave")
	form.Set("address_city", "Springfield")
	form.Set("address_state", "IL")
	form.Set("address_postal_code", "62701")
	form.Set("tax_id", "12-3456780")
	form.Set("npi", "2000000003")
	bad := f.Do("POST", "/admin/practice", form, admin)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `id="npi-error"`) || strings.Contains(bad.Body, `id="tax_id-error"`) ||
		!strings.Contains(bad.Body, `value="100 Example Ave"`) {
		t.Fatalf("a wrong NPI = %d, want 422 with its message and the input kept:\n%s", bad.Status, bad.Body)
	}
	form.Set("npi", "2000000002")
	if r := f.Do("POST", "/admin/practice", form, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("save = %d:\n%s", r.Status, r.Body)
	}
	ps, err := f.St.Practice(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if ps.NPI != "2000000002" || ps.TaxID != "12-3456780" || ps.Address.City != "Springfield" {
		t.Errorf("saved %+v", ps)
	}
	page := f.Do("GET", "/admin/practice", nil, admin)
	if !strings.Contains(page.Body, `value="2000000002"`) || !strings.Contains(page.Body, `value="62701"`) {
		t.Errorf("the practice page does not show what was saved")
	}
}

// TestStaffNPIForm: the administrator sets a clinician's NPI on their
// account page; a wrong one is a message at the field.
func TestStaffNPIForm(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	rex := f.Users["rex@example.org"].ID
	page := f.Do("GET", "/admin/users/"+rex, nil, admin)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `<label for="npi-input">NPI</label>`) {
		t.Fatalf("staff page = %d, want the NPI field:\n%s", page.Status, page.Body)
	}
	bad := f.Do("POST", "/admin/users/"+rex+"/npi", url.Values{"npi": {"1234567890"}}, admin)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `id="npi-error"`) || !strings.Contains(bad.Body, `value="1234567890"`) {
		t.Fatalf("a wrong NPI = %d:\n%s", bad.Status, bad.Body)
	}
	if r := f.Do("POST", "/admin/users/"+rex+"/npi", url.Values{"npi": {"1234567893"}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("save = %d", r.Status)
	}
	if got, _ := f.St.StaffNPI(t.Context(), f.As("rex@example.org"), rex); got != "1234567893" {
		t.Errorf("saved NPI %q", got)
	}
	if page := f.Do("GET", "/admin/users/"+rex+"?done=npi", nil, admin); !strings.Contains(page.Body, `value="1234567893"`) {
		t.Errorf("the staff page does not show the saved NPI")
	}
	thea := f.SignIn("thea@example.org")
	if r := f.Do("POST", "/admin/users/"+rex+"/npi", url.Values{"npi": {"1234567893"}}, thea); r.Status != http.StatusNotFound {
		t.Errorf("a therapist posts = %d, want 404", r.Status)
	}
}
