package web

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
)

// The preparation record's routes in the access matrix (access_test.go).
//
//	anon half pA   pB   thea theo rex  admin
var preparationPolicy = map[string]map[string]int{
	"GET /portal/preparation":              m(303, 303, 200, 200, 404, 404, 404, 404),
	"POST /portal/preparation":             m(303, 303, 303, 303, 404, 404, 404, 404), // an empty form saves nothing
	"POST /patients/{patient}/preparation": m(303, 303, 404, 404, 303, 404, 303, 404), // likewise
}

func init() {
	for k, v := range preparationPolicy {
		policy[k] = v
	}
}

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
	f := newFixture(t)
	pat := f.signIn("pat@example.org")
	if r := f.do("GET", "/portal", nil, pat); !strings.Contains(r.body, `href="/portal/preparation"`) {
		t.Error("the portal home does not link to the preparation page")
	}
	r := f.do("GET", "/portal/preparation", nil, pat)
	if r.status != http.StatusOK {
		t.Fatalf("GET /portal/preparation = %d, want 200", r.status)
	}
	checkShell(t, "portal preparation", r)
	for _, want := range []string{
		"What you hope for", `<label for="music">Music</label>`, "Would you like eye shades?", "Touch during the session",
		"No touch", "Safety touch only", "Agreed therapeutic touch", "narrow or withdraw it at any time",
		"even if you ask for touch then", "never from an observer or a trainee", "How you will get home", `name="prep_version" value="0"`,
	} {
		if !strings.Contains(html.UnescapeString(r.body), want) {
			t.Errorf("portal preparation page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "What is agreed now") {
		t.Error("an empty record shows an agreement")
	}

	// Therapeutic touch without its kind and place: refused at the field, as typed.
	bad := prepFormValues("0", clinic.TouchTherapeutic, "")
	bad.Set("intentions", `<b>Rest</b> & "quiet"`)
	r = f.do("POST", "/portal/preparation", bad, pat)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("therapeutic touch without detail = %d, want 422", r.status)
	}
	for _, want := range []string{`id="touch-detail-error"`, `aria-describedby="touch-detail-hint touch-detail-error" aria-invalid="true"`,
		"&lt;b&gt;Rest&lt;/b&gt; &amp; &#34;quiet&#34;", `value="therapeutic" aria-describedby="touch-therapeutic-hint" checked`, `value="Sam Rivera"`, "Everything you typed is kept"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("refused form lacks %q", want)
		}
	}
	if strings.Contains(r.body, "<b>Rest</b>") {
		t.Error("typed text was not escaped")
	}

	good := prepFormValues("0", clinic.TouchTherapeutic, "Holding my hand")
	r = f.do("POST", "/portal/preparation", good, pat)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/portal/preparation?saved=1" {
		t.Fatalf("save = %d to %q, want 303 to the saved page", r.status, r.header.Get("Location"))
	}
	r = f.do("GET", "/portal/preparation?saved=1", nil, pat)
	for _, want := range []string{`id="prep-saved"`, "What is agreed now", "Touch: Agreed therapeutic touch", "Holding my hand", "by you", `value="Soft piano, no words"`, `name="prep_version" value="1"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("saved page lacks %q", want)
		}
	}
	// Narrowing: a new version; the detail of the touch no longer applies.
	r = f.do("POST", "/portal/preparation", prepFormValues("1", clinic.TouchSafety, "Holding my hand"), pat)
	if r.status != http.StatusSeeOther {
		t.Fatalf("narrowing = %d, want 303", r.status)
	}
	cur, err := f.st.Preparation(t.Context(), f.as("thea@example.org"), f.pA.ID)
	if err != nil || cur.Version != 2 || cur.Touch != clinic.TouchSafety || cur.TouchDetail != "" || cur.AuthorRole != clinic.RolePatient {
		t.Fatalf("record after narrowing = %+v, %v", cur, err)
	}
	// A form opened before that save is refused, not applied over it.
	r = f.do("POST", "/portal/preparation", prepFormValues("1", clinic.TouchTherapeutic, "Holding my hand"), pat)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(r.body), "Someone saved a newer version") || !strings.Contains(r.body, `name="prep_version" value="2"`) {
		t.Errorf("stale form = %d, want 422 with the conflict and the newer version to save over", r.status)
	}
	// Patient B sees only their own (empty) record.
	bea := f.signIn("bea@example.org")
	if r := f.do("GET", "/portal/preparation", nil, bea); r.status != http.StatusOK || strings.Contains(r.body, "Soft piano") || strings.Contains(r.body, "What is agreed now") {
		t.Errorf("patient B's preparation page = %d, shows patient A's record", r.status)
	}
	if strings.Contains(f.logs.String(), "Soft piano") || strings.Contains(f.logs.String(), "Holding my hand") {
		t.Error("the log holds what the patient wrote")
	}
}

// TestPreparationChart: the care team sees the record on the chart with
// who saved it and the history of consent to touch, and edits it there;
// a therapist not on the team cannot.
func TestPreparationChart(t *testing.T) {
	f := newFixture(t)
	thea := f.signIn("thea@example.org")
	chart := "/patients/" + f.pA.ID
	r := f.do("GET", chart, nil, thea)
	if r.status != http.StatusOK || !strings.Contains(r.body, `id="preparation"`) || !strings.Contains(r.body, "Nothing recorded yet") {
		t.Fatalf("chart before any record = %d, want the empty preparation section", r.status)
	}
	pat := f.signIn("pat@example.org")
	if r := f.do("POST", "/portal/preparation", prepFormValues("0", clinic.TouchTherapeutic, "A hand on my shoulder"), pat); r.status != http.StatusSeeOther {
		t.Fatalf("patient's save = %d", r.status)
	}
	r = f.do("GET", chart, nil, thea)
	for _, want := range []string{"Touch: Agreed therapeutic touch", "A hand on my shoulder", "saved by " + canaryA + " (Patient)", "To feel at home in my body again.",
		"Consent to touch: history", "given by " + canaryA, `action="/patients/` + f.pA.ID + `/preparation#preparation"`, `id="prep-touch-detail"`} {
		if !strings.Contains(html.UnescapeString(r.body), want) {
			t.Errorf("chart lacks %q", want)
		}
	}

	// Bad input from the chart: 422, the chart again with the form open, as typed.
	bad := prepFormValues("1", clinic.TouchTherapeutic, "")
	bad.Set("music", strings.Repeat("x", 201))
	r = f.do("POST", chart+"/preparation", bad, thea)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad chart save = %d, want 422", r.status)
	}
	for _, want := range []string{`<details class="inline-details" open>`, `id="prep-music-error"`, `id="prep-touch-detail-error"`, "Use at most 200 characters", `value="` + strings.Repeat("x", 201) + `"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("refused chart form lacks %q", want)
		}
	}

	// The prescriber narrows to no touch; the therapist changes the music.
	rex := f.signIn("rex@example.org")
	r = f.do("POST", chart+"/preparation", prepFormValues("1", clinic.TouchNone, ""), rex)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != chart+"?done=preparation#preparation" {
		t.Fatalf("rex narrows = %d to %q", r.status, r.header.Get("Location"))
	}
	next := prepFormValues("2", clinic.TouchNone, "")
	next.Set("music", "Silence")
	if r := f.do("POST", chart+"/preparation", next, thea); r.status != http.StatusSeeOther {
		t.Fatalf("thea's save = %d", r.status)
	}
	r = f.do("GET", chart+"?done=preparation", nil, thea)
	body := html.UnescapeString(r.body)
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
	r = f.do("POST", chart+"/preparation", prepFormValues("1", clinic.TouchSafety, ""), thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(r.body), "Consent to touch was changed to no touch") {
		t.Errorf("stale chart save = %d, want 422 naming the touch change", r.status)
	}

	// Not on the team: nothing to see, nothing to change.
	theo := f.signIn("theo@example.org")
	if r := f.do("POST", chart+"/preparation", prepFormValues("3", clinic.TouchSafety, ""), theo); r.status != http.StatusNotFound || strings.Contains(r.body, "Silence") {
		t.Errorf("theo's save = %d, want 404", r.status)
	}
	if cur, _ := f.st.Preparation(t.Context(), f.as("thea@example.org"), f.pA.ID); cur.Version != 3 || cur.Touch != clinic.TouchNone {
		t.Errorf("record after refused saves = %+v, want version 3, no touch", cur)
	}

	// Every read and write is audited against the patient.
	saves := f.auditRows("preparation.save")
	var ok, denied int
	for _, e := range saves {
		if e.PatientID != f.pA.ID {
			continue
		}
		switch e.Outcome {
		case "success":
			ok++
		case "denied":
			denied++
		}
	}
	if ok != 3 || denied != 1 {
		t.Errorf("preparation.save audit rows: %d saved, %d denied; want 3 and 1", ok, denied)
	}
	if len(f.auditRows("preparation.history")) == 0 || len(f.auditRows("preparation.read")) == 0 {
		t.Error("chart and portal reads of the record are not audited")
	}
}

// TestPreparationEmergencyReadOnly: break-glass access shows the record
// (consent to touch matters in an emergency) but not the form to change it.
func TestPreparationEmergencyReadOnly(t *testing.T) {
	f := newFixture(t)
	pat := f.signIn("pat@example.org")
	if r := f.do("POST", "/portal/preparation", prepFormValues("0", clinic.TouchNone, ""), pat); r.status != http.StatusSeeOther {
		t.Fatalf("patient's save = %d", r.status)
	}
	theo := f.signIn("theo@example.org")
	if r := f.do("POST", "/patients/"+f.pA.ID+"/emergency", url.Values{"reason": {"Patient called in crisis; their therapist is away."}}, theo); r.status != http.StatusSeeOther {
		t.Fatalf("emergency access = %d", r.status)
	}
	r := f.do("GET", "/patients/"+f.pA.ID, nil, theo)
	if r.status != http.StatusOK || !strings.Contains(r.body, "Touch: No touch") || strings.Contains(r.body, `action="/patients/`+f.pA.ID+`/preparation`) {
		t.Errorf("chart with emergency access = %d; want the record without the form", r.status)
	}
	if r := f.do("POST", "/patients/"+f.pA.ID+"/preparation", prepFormValues("1", clinic.TouchSafety, ""), theo); r.status != http.StatusNotFound {
		t.Errorf("save with emergency access = %d, want 404", r.status)
	}
}
