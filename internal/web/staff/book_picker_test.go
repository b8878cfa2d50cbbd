package staff_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

var bookRadioRE = regexp.MustCompile(`<input type="radio" name="patient" value="([^"]+)"`)

// TestBookPatientPicker: the booking form lists at most 20 of one's
// patients, not a select of every one, and says how many there are; a
// search (POST, find=1, so no name is in a URL) narrows them within one's
// own caseload and keeps what was filled in; a chosen patient stays chosen
// when something else is wrong, until "Choose another patient"; another
// clinician's patient is never found, named or chosen.
func TestBookPatientPicker(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	f.Now = time.Date(2026, 12, 8, 12, 30, 0, 0, time.UTC)
	for i := range 25 {
		if err := f.St.CreatePatient(ctx, f.As("thea@example.org"), &store.Patient{DisplayName: fmt.Sprintf("Picker Person %02d", i)}, ""); err != nil {
			t.Fatal(err)
		}
	}
	thea := f.SignIn("thea@example.org")
	r := f.Do("GET", "/calendar/book?at=2026-12-11T09%3A00", nil, thea)
	if r.Status != http.StatusOK || len(bookRadioRE.FindAllString(r.Body, -1)) != 20 || strings.Contains(r.Body, `<select id="book-patient"`) || !strings.Contains(r.Body, "20 of 26 shown") {
		t.Fatalf("booking form = %d with %d patients; want 20 of 26 to choose from", r.Status, len(bookRadioRE.FindAllString(r.Body, -1)))
	}
	form := url.Values{"find": {"1"}, "patient_q": {"person 2"}, "kind": {"integration"}, "starts_at": {"2026-12-11T09:00"}, "minutes": {"45"}}
	r = f.Do("POST", "/calendar/book", form, thea)
	ids := bookRadioRE.FindAllStringSubmatch(r.Body, -1)
	if r.Status != http.StatusOK || len(ids) != 5 || !strings.Contains(r.Body, "Picker Person 24") || strings.Contains(r.Body, "Picker Person 19") ||
		!strings.Contains(r.Body, `value="2026-12-11T09:00"`) || !strings.Contains(r.Body, `value="45"`) || strings.Contains(r.Body, `id="book-errors"`) {
		t.Fatalf("search = %d with %d matches; want Picker Person 20-24, the form kept, nothing booked and no error", r.Status, len(ids))
	}
	if aps, _ := f.St.Appointments(ctx, f.As("thea@example.org"), ids[0][1]); len(aps) != 0 {
		t.Fatal("a search booked")
	}
	// Enter in the search field sends the form without find=1: with no
	// patient chosen, it searches too.
	form.Del("find")
	if r := f.Do("POST", "/calendar/book", form, thea); r.Status != http.StatusOK || len(bookRadioRE.FindAllString(r.Body, -1)) != 5 || strings.Contains(r.Body, `id="book-errors"`) {
		t.Errorf("Enter in the search field = %d; want the 5 matches, no error", r.Status)
	}
	// A patient chosen, another field wrong: still chosen, by name.
	form = url.Values{"patient": {ids[0][1]}, "kind": {"integration"}, "starts_at": {"2026-12-11T09:00"}, "minutes": {"5"}}
	r = f.Do("POST", "/calendar/book", form, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="book-chosen"><strong>Picker Person 20</strong><input type="hidden" name="patient" value="`+ids[0][1]+`">`) {
		t.Fatalf("a wrong length = %d; want 422 with the patient still chosen", r.Status)
	}
	// Choose another: the choice goes, the list comes back.
	form.Set("find", "1")
	if r := f.Do("POST", "/calendar/book", form, thea); strings.Contains(r.Body, `id="book-chosen"`) || len(bookRadioRE.FindAllString(r.Body, -1)) != 20 {
		t.Errorf("choose another: want the list back, no patient chosen")
	}
	form.Del("find")
	form.Set("minutes", "")
	if r := f.Do("POST", "/calendar/book", form, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("book the chosen patient = %d, want 303", r.Status)
	}
	// theo: his own caseload only; thea's patient is neither found nor named.
	theo := f.SignIn("theo@example.org")
	for _, q := range []string{"picker", "alpha"} {
		r := f.Do("POST", "/calendar/book", url.Values{"find": {"1"}, "patient_q": {q}}, theo)
		if r.Status != http.StatusOK || len(bookRadioRE.FindAllString(r.Body, -1)) != 0 || strings.Contains(r.Body, "Picker Person") || strings.Contains(r.Body, webtest.CanaryA) || !strings.Contains(r.Body, `id="book-none"`) {
			t.Errorf("theo's search for %q = %d; want no match and no name of thea's", q, r.Status)
		}
	}
	if r := f.Do("GET", "/calendar/book?patient="+f.PA.ID, nil, theo); strings.Contains(r.Body, webtest.CanaryA) || strings.Contains(r.Body, `id="book-chosen"`) {
		t.Errorf("theo's form with thea's patient's id chose or named her")
	}
	if r := f.Do("POST", "/calendar/book", url.Values{"find": {"1"}, "patient_q": {strings.Repeat("x", 101)}}, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "at most 100 characters") {
		t.Errorf("a long search = %d, want 422 at the field", r.Status)
	}
}
