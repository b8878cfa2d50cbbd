package staff_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestPatientNameRefusesLineBreaks: a patient's name with a line break in
// it ("A\r\nB", which splits a CSV row, an email header or a log line)
// is refused at the name field with the name as typed kept, and no
// patient is added.
func TestPatientNameRefusesLineBreaks(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	before, _ := f.St.ListPatients(context.Background(), f.As("thea@example.org"), store.PatientFilter{})
	r := f.Do("POST", "/patients", url.Values{"display_name": {"Mallory\r\nBcc: x@evil.example"}, "email": {""}}, thea)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("adding a patient named with a line break = %d, want 422", r.Status)
	}
	if !strings.Contains(r.Body, `<p class="field-error" id="name-error">`+clinic.LineProblem+`</p>`) {
		t.Error("the refusal is not at the name field")
	}
	if !regexp.MustCompile(`id="display_name"[^>]*value="Mallory(&#13;|\r)(&#10;|\n)Bcc: x@evil.example"`).MatchString(r.Body) {
		t.Error("the name as typed was not kept in the field")
	}
	if after, _ := f.St.ListPatients(context.Background(), f.As("thea@example.org"), store.PatientFilter{}); len(after) != len(before) {
		t.Errorf("%d patients after the refusal, want %d", len(after), len(before))
	}
}
