package staff_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// PrepForm is a complete preparation form.
func prepFormValues(version, touch, detail string) url.Values {
	return url.Values{
		"prep_version": {version}, "intentions": {"To feel at home in my body again."}, "music": {"Soft piano, no words"}, "scent": {"Lavender"},
		"eye_shades": {"yes"}, "lighting": {"Dim"}, "present": {"Just my therapist"}, "touch": {touch}, "touch_detail": {detail},
		"support_name": {"Sam Rivera"}, "support_phone": {"+1 555 010 2345"}, "ride_home": {"Sam drives me home"},
	}
}

// TestPreparationPortal: the patient fills in, reviews and changes their
// preparation record in the portal; bad input is shown again as typed,
// with the message at the field.
func TestPreparationPortal(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	if r := f.Do("GET", "/portal", nil, pat); !strings.Contains(r.Body, `href="/portal/preparation"`) {
		t.Error("the portal home does not link to the preparation page")
	}
	r := f.Do("GET", "/portal/preparation", nil, pat)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /portal/preparation = %d, want 200", r.Status)
	}
	webtest.CheckShell(t, "portal preparation", r)
	for _, want := range []string{
		"What you hope for", `<label for="music">Music</label>`, "Would you like eye shades?", "Touch during the session",
		"No touch", "Safety touch only", "Agreed therapeutic touch", "narrow or withdraw it at any time",
		"even if you ask for touch then", "never from an observer or a trainee", "How you will get home", `name="prep_version" value="0"`,
	} {
		if !strings.Contains(html.UnescapeString(r.Body), want) {
			t.Errorf("portal preparation page lacks %q", want)
		}
	}
	if strings.Contains(r.Body, "What is agreed now") {
		t.Error("an empty record shows an agreement")
	}

	// Therapeutic touch without its kind and place: refused at the field, as typed.
	bad := prepFormValues("0", clinic.TouchTherapeutic, "")
	bad.Set("intentions", `<b>Rest</b> & "quiet"`)
	r = f.Do("POST", "/portal/preparation", bad, pat)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("therapeutic touch without detail = %d, want 422", r.Status)
	}
	for _, want := range []string{`id="touch-detail-error"`, `aria-describedby="touch-detail-hint touch-detail-error" aria-invalid="true"`,
		"&lt;b&gt;Rest&lt;/b&gt; &amp; &#34;quiet&#34;", `value="therapeutic" aria-describedby="touch-therapeutic-hint" checked`, `value="Sam Rivera"`, "Everything you typed is kept"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("refused form lacks %q", want)
		}
	}
	if strings.Contains(r.Body, "<b>Rest</b>") {
		t.Error("typed text was not escaped")
	}

	good := prepFormValues("0", clinic.TouchTherapeutic, "Holding my hand")
	r = f.Do("POST", "/portal/preparation", good, pat)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal/preparation?saved=1" {
		t.Fatalf("save = %d to %q, want 303 to the saved page", r.Status, r.Header.Get("Location"))
	}
	r = f.Do("GET", "/portal/preparation?saved=1", nil, pat)
	for _, want := range []string{`id="prep-saved"`, "What is agreed now", "Touch: Agreed therapeutic touch", "Holding my hand", "by you", `value="Soft piano, no words"`, `name="prep_version" value="1"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("saved page lacks %q", want)
		}
	}
	// Narrowing: a new version; the detail of the touch no longer applies.
	r = f.Do("POST", "/portal/preparation", prepFormValues("1", clinic.TouchSafety, "Holding my hand"), pat)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("narrowing = %d, want 303", r.Status)
	}
	cur, err := f.St.Preparation(t.Context(), f.As("thea@example.org"), f.PA.ID)
	if err != nil || cur.Version != 2 || cur.Touch != clinic.TouchSafety || cur.TouchDetail != "" || cur.AuthorRole != clinic.RolePatient {
		t.Fatalf("record after narrowing = %+v, %v", cur, err)
	}
	// A form opened before that save is refused, not applied over it.
	r = f.Do("POST", "/portal/preparation", prepFormValues("1", clinic.TouchTherapeutic, "Holding my hand"), pat)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(r.Body), "Someone saved a newer version") || !strings.Contains(r.Body, `name="prep_version" value="2"`) {
		t.Errorf("stale form = %d, want 422 with the conflict and the newer version to save over", r.Status)
	}
	// Patient B sees only their own (empty) record.
	bea := f.SignIn("bea@example.org")
	if r := f.Do("GET", "/portal/preparation", nil, bea); r.Status != http.StatusOK || strings.Contains(r.Body, "Soft piano") || strings.Contains(r.Body, "What is agreed now") {
		t.Errorf("patient B's preparation page = %d, shows patient A's record", r.Status)
	}
	if strings.Contains(f.Logs.String(), "Soft piano") || strings.Contains(f.Logs.String(), "Holding my hand") {
		t.Error("the log holds what the patient wrote")
	}
}

// TestPreparationChart: the care team sees the record on the chart with
// who saved it and the history of consent to touch, and edits it there;
// a therapist not on the team cannot.
func TestPreparationChart(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	chart := "/patients/" + f.PA.ID
	r := f.Do("GET", chart, nil, thea)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="preparation"`) || !strings.Contains(r.Body, "Nothing recorded yet") {
		t.Fatalf("chart before any record = %d, want the empty preparation section", r.Status)
	}
	pat := f.SignIn("pat@example.org")
	if r := f.Do("POST", "/portal/preparation", prepFormValues("0", clinic.TouchTherapeutic, "A hand on my shoulder"), pat); r.Status != http.StatusSeeOther {
		t.Fatalf("patient's save = %d", r.Status)
	}
	r = f.Do("GET", chart, nil, thea)
	for _, want := range []string{"Touch: Agreed therapeutic touch", "A hand on my shoulder", "saved by " + webtest.CanaryA + " (Patient)", "To feel at home in my body again.",
		"Consent to touch: history", "given by " + webtest.CanaryA, `action="/patients/` + f.PA.ID + `/preparation#preparation"`, `id="prep-touch-detail"`} {
		if !strings.Contains(html.UnescapeString(r.Body), want) {
			t.Errorf("chart lacks %q", want)
		}
	}

	// Bad input from the chart: 422, the chart again with the form open, as typed.
	bad := prepFormValues("1", clinic.TouchTherapeutic, "")
	bad.Set("music", strings.Repeat("x", 201))
	r = f.Do("POST", chart+"/preparation", bad, thea)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad chart save = %d, want 422", r.Status)
	}
	for _, want := range []string{`<details class="inline-details" open>`, `id="prep-music-error"`, `id="prep-touch-detail-error"`, "Use at most 200 characters", `value="` + strings.Repeat("x", 201) + `"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("refused chart form lacks %q", want)
		}
	}

	// The prescriber narrows to no touch; the therapist changes the music.
	rex := f.SignIn("rex@example.org")
	r = f.Do("POST", chart+"/preparation", prepFormValues("1", clinic.TouchNone, ""), rex)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != chart+"?done=preparation#preparation" {
		t.Fatalf("rex narrows = %d to %q", r.Status, r.Header.Get("Location"))
	}
	next := prepFormValues("2", clinic.TouchNone, "")
	next.Set("music", "Silence")
	if r := f.Do("POST", chart+"/preparation", next, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("thea's save = %d", r.Status)
	}
	r = f.Do("GET", chart+"?done=preparation", nil, thea)
	body := html.UnescapeString(r.Body)
	for _, want := range []string{"Preparation record saved", "Touch: No touch", "stands even if touch is asked for during the session", "Version 3, saved by Thea Therapist (Therapist)",
		"narrowed by Rex Prescriber (Prescriber)", "Silence"} {
		if !strings.Contains(body, want) {
			t.Errorf("chart after the changes lacks %q", want)
		}
	}
	if strings.Count(body, "narrowed by") != 1 || strings.Count(body, "given by") != 1 {
		t.Errorf("touch history should list two changes (given, narrowed), not the music change")
	}

	// A stale chart form is refused and names the touch change.
	r = f.Do("POST", chart+"/preparation", prepFormValues("1", clinic.TouchSafety, ""), thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(r.Body), "Consent to touch was changed to no touch") {
		t.Errorf("stale chart save = %d, want 422 naming the touch change", r.Status)
	}

	// Not on the team: nothing to see, nothing to change.
	theo := f.SignIn("theo@example.org")
	if r := f.Do("POST", chart+"/preparation", prepFormValues("3", clinic.TouchSafety, ""), theo); r.Status != http.StatusNotFound || strings.Contains(r.Body, "Silence") {
		t.Errorf("theo's save = %d, want 404", r.Status)
	}
	if cur, _ := f.St.Preparation(t.Context(), f.As("thea@example.org"), f.PA.ID); cur.Version != 3 || cur.Touch != clinic.TouchNone {
		t.Errorf("record after refused saves = %+v, want version 3, no touch", cur)
	}

	// Every read and write is audited against the patient.
	saves := f.AuditRows("preparation.save")
	var ok, denied int
	for _, e := range saves {
		if e.PatientID != f.PA.ID {
			continue
		}
		switch e.Outcome {
		case "success":
			ok++
		case "denied":
			denied++
		}
	}
	// theo's refusal is the route's (before the form is read), naming it.
	for _, e := range f.AuditRows("route.denied") {
		if e.PatientID == f.PA.ID && e.Outcome == "denied" && strings.HasSuffix(e.Detail, "/preparation") {
			denied++
		}
	}
	if ok != 3 || denied != 1 {
		t.Errorf("preparation.save audit rows: %d saved, %d denied; want 3 and 1", ok, denied)
	}
	// The chart's read is named in the chart view's one audit row.
	chartRead := false
	for _, e := range f.AuditRows("chart.read") {
		chartRead = chartRead || (e.PatientID == f.PA.ID && strings.Contains(e.Detail, "preparation history"))
	}
	if !chartRead || len(f.AuditRows("preparation.read")) == 0 {
		t.Error("chart and portal reads of the record are not audited")
	}
}

// TestPreparationEmergencyReadOnly: break-glass access shows the record
// (consent to touch matters in an emergency) but not the form to change it.
func TestPreparationEmergencyReadOnly(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	if r := f.Do("POST", "/portal/preparation", prepFormValues("0", clinic.TouchNone, ""), pat); r.Status != http.StatusSeeOther {
		t.Fatalf("patient's save = %d", r.Status)
	}
	theo := f.SignIn("theo@example.org")
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/emergency", url.Values{"reason": {"Patient called in crisis; their therapist is away."}}, theo); r.Status != http.StatusSeeOther {
		t.Fatalf("emergency access = %d", r.Status)
	}
	r := f.Do("GET", "/patients/"+f.PA.ID, nil, theo)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Touch: No touch") || strings.Contains(r.Body, `action="/patients/`+f.PA.ID+`/preparation`) {
		t.Errorf("chart with emergency access = %d; want the record without the form", r.Status)
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/preparation", prepFormValues("1", clinic.TouchSafety, ""), theo); r.Status != http.StatusNotFound {
		t.Errorf("save with emergency access = %d, want 404", r.Status)
	}
}
