package notes_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// versionRE finds a draft form's version field.
var versionRE = regexp.MustCompile(`name="version" value="(\d+)"`)

var cosignLinkRE = regexp.MustCompile(`href="/notes/cosign/([A-Za-z0-9_-]+)"`)

// TestCosignFlow: an admin names Theo as Thea's supervisor on her account
// page; Thea's signed note waits for Theo, who is not on the patient's
// care team; he finds it on his list, returns it with a comment she sees,
// then co-signs her second signature; the note page shows both
// signatures. Nobody else reaches the co-signature pages.
func TestCosignFlow(t *testing.T) {
	f := webtest.NewFixture(t)
	admin, thea, theo, rex := f.SignIn("admin@example.org"), f.SignIn("thea@example.org"), f.SignIn("theo@example.org"), f.SignIn("rex@example.org")
	theaID, theoID := f.Users["thea@example.org"].ID, f.Users["theo@example.org"].ID
	userPath := "/admin/users/" + theaID

	r := f.Do("GET", userPath, nil, admin)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Notes need co-signature by") || !strings.Contains(r.Body, `value="`+theoID+`"`) {
		t.Fatalf("account page = %d, no supervisor field", r.Status)
	}
	webtest.CheckShell(t, "staff user", r)
	if r := f.Do("GET", "/admin/users", nil, admin); !strings.Contains(r.Body, `href="`+userPath+`"`) {
		t.Error("the accounts list does not link to the account's page")
	}
	if r := f.Do("POST", userPath+"/supervisor", url.Values{"supervisor_id": {theaID}}, admin); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="supervisor_id-error"`) {
		t.Errorf("naming herself = %d, want 422 at the field", r.Status)
	}
	if r := f.Do("POST", userPath+"/supervisor", url.Values{"supervisor_id": {theoID}}, thea); r.Status != http.StatusNotFound {
		t.Errorf("a therapist names her own supervisor = %d, want 404", r.Status)
	}
	if r := f.Do("POST", userPath+"/supervisor", url.Values{"supervisor_id": {theoID}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("naming Theo = %d %s", r.Status, r.Body)
	}
	if len(f.AuditRows("user.supervisor")) != 1 {
		t.Error("the change is not audited")
	}

	path := pastAppointment(t, f, "integration")
	sign := noteForm("0", "First draft of the session.")
	sign.Set("format", "dap")
	sign.Set("attest", "yes")
	r = f.Do("POST", path+"/sign", sign, thea)
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "done=awaiting") {
		t.Fatalf("sign = %d to %q", r.Status, r.Header.Get("Location"))
	}
	r = f.Do("GET", path, nil, thea)
	if body := html.UnescapeString(r.Body); !strings.Contains(body, "Awaiting co-signature by Theo Therapist") || strings.Contains(body, `<textarea id="section_data"`) || strings.Contains(body, "Sign and add the addendum") {
		t.Error("the supervisee's signed note does not say it awaits co-signature, or still takes changes")
	}
	// The supervisee cannot change it through the note's routes.
	edit := noteForm("1", "Changed while waiting.")
	if r := f.Do("POST", path, edit, thea); r.Status < 400 {
		t.Errorf("save while awaiting = %d", r.Status)
	}

	// Theo's list, and the note (he is not on A's care team).
	r = f.Do("GET", "/notes/cosign", nil, theo)
	m := cosignLinkRE.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil || !strings.Contains(r.Body, webtest.CanaryA) {
		t.Fatalf("Theo's co-signature list = %d, %q", r.Status, r.Body)
	}
	webtest.CheckShell(t, "cosign list", r)
	if b := f.Do("GET", "/patients", nil, theo).Body; !strings.Contains(b, "1 note awaiting your co-signature") {
		t.Error("the supervisor's caseload has no co-signature badge")
	}
	cosign := "/notes/cosign/" + m[1]
	if r := f.Do("GET", "/patients/"+f.PA.ID, nil, theo); r.Status != http.StatusNotFound {
		t.Errorf("the supervisor reads the chart = %d", r.Status)
	}
	for name, c := range map[string]string{"the author": thea, "a prescriber on the team": rex, "admin": admin} {
		if r := f.Do("GET", cosign, nil, c); r.Status != http.StatusNotFound {
			t.Errorf("GET co-signature page as %s = %d", name, r.Status)
		}
		if r := f.Do("POST", cosign, url.Values{"attest": {"yes"}}, c); r.Status != http.StatusNotFound {
			t.Errorf("co-sign as %s = %d", name, r.Status)
		}
	}
	r = f.Do("GET", cosign, nil, theo)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "First draft of the session.") || !strings.Contains(r.Body, "Co-sign note") {
		t.Fatalf("co-signature page = %d", r.Status)
	}
	webtest.CheckShell(t, "cosign", r)

	// Returned with a comment.
	if r := f.Do("POST", cosign+"/return", url.Values{"comment": {""}}, theo); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="comment-error"`) {
		t.Errorf("return without a comment = %d", r.Status)
	}
	if r := f.Do("POST", cosign+"/return", url.Values{"comment": {"Please add the risk assessment."}}, theo); r.Status != http.StatusSeeOther {
		t.Fatalf("return = %d %s", r.Status, r.Body)
	}
	r = f.Do("GET", path, nil, thea)
	if !strings.Contains(r.Body, "Please add the risk assessment.") || !strings.Contains(r.Body, `<textarea id="section_data"`) {
		t.Fatal("the returned draft does not show the comment and the form")
	}
	v := versionRE.FindStringSubmatch(r.Body)
	sign = noteForm(v[1], "Second draft, with the risk assessment.")
	sign.Set("attest", "yes")
	if r := f.Do("POST", path+"/sign", sign, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("sign again = %d %s", r.Status, r.Body)
	}
	if r := f.Do("POST", cosign, url.Values{}, theo); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="attest-error"`) {
		t.Errorf("co-sign without attesting = %d", r.Status)
	}
	if r := f.Do("POST", cosign, url.Values{"attest": {"yes"}}, theo); r.Status != http.StatusSeeOther {
		t.Fatalf("co-sign = %d %s", r.Status, r.Body)
	}
	for who, c := range map[string]string{"the author": thea, "the supervisor": theo} {
		p := path
		if c == theo {
			p = cosign
		}
		body := html.UnescapeString(f.Do("GET", p, nil, c).Body)
		for _, want := range []string{"Signed by Thea Therapist", "Verified: the note is as signed", "Co-signed by Theo Therapist", "Verified: co-signed over this note's hash", "Second draft, with the risk assessment."} {
			if !strings.Contains(body, want) {
				t.Errorf("the co-signed note as %s lacks %q", who, want)
			}
		}
	}
	if r := f.Do("GET", "/notes/cosign", nil, theo); cosignLinkRE.MatchString(r.Body) {
		t.Error("a co-signed note is still on the list")
	}
}
