package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestEmergencyAccessCannotWrite replays finding 1 of issue 14 through the
// web: the partner prescriber (pete) and a therapist off the team (tess),
// each with a live emergency grant on patient A, send forms the care team
// can save: a stage change, a measure and a consult post. Each is refused
// with the same 404 as a patient that does not exist, nothing is saved,
// and each refusal is audited as denied with the emergency mark. The same
// forms from thea, who owns the case, are saved (so the forms are good).
// The emergency grant still reads the chart.
func TestEmergencyAccessCannotWrite(t *testing.T) {
	mp := newMatrixPractice(t)
	f := mp.f
	a := f.PA.ID
	forms := []struct {
		path string
		form url.Values
	}{
		{"/patients/" + a + "/stage", url.Values{"stage": {"screening"}, "reason": {"Intake under way."}}},
		{"/patients/" + a + "/measures", url.Values{"instrument": {"gad7"}, "cadence": {"weekly"}}},
		{"/patients/" + a + "/consult", url.Values{"body": {"Emergency-Write-Canary: please call me."}}},
	}
	for _, who := range []string{"pete", "tess"} {
		for _, fm := range forms {
			r := f.Do("POST", fm.path, fm.form, mp.cookies[who])
			if r.Status != http.StatusNotFound {
				t.Errorf("POST %s as %s (emergency grant) = %d, want 404", fm.path, who, r.Status)
			}
		}
	}
	thea := mp.cookies["thea"]
	chart := f.Do("GET", "/patients/"+a, nil, thea)
	if strings.Contains(chart.Body, "Emergency-Write-Canary") {
		t.Error("a consult post refused to emergency access is in the thread")
	}
	var denied int
	for _, row := range f.AuditRows("route.denied") {
		if row.PatientID == a && (row.ActorID == f.Users["pete@example.org"].ID || row.ActorID == f.Users["tess@example.org"].ID) {
			denied++
			if !strings.HasPrefix(row.Detail, "emergency; perm=") {
				t.Errorf("refused write by emergency access audited with detail %q, want the emergency mark", row.Detail)
			}
		}
	}
	if denied != 2*len(forms) {
		t.Errorf("%d denied audit rows for the refused writes, want %d", denied, 2*len(forms))
	}
	for _, fm := range forms {
		if r := f.Do("POST", fm.path, fm.form, thea); r.Status != http.StatusSeeOther {
			t.Errorf("POST %s as thea = %d, want 303 (saved)", fm.path, r.Status)
		}
	}
	if r := f.Do("GET", "/patients/"+a, nil, thea); !strings.Contains(r.Body, "Emergency-Write-Canary") {
		t.Error("the owner's consult post is not in the thread")
	}
	if r := f.Do("GET", "/patients/"+a, nil, mp.cookies["tess"]); r.Status != http.StatusOK || !strings.Contains(r.Body, "read-only") {
		t.Errorf("GET the chart as tess (emergency grant) = %d, want 200 with the read-only banner", r.Status)
	}
	if r := f.Do("GET", "/patients/"+a, nil, mp.cookies["pete"]); r.Status != http.StatusNotFound {
		t.Errorf("GET the chart as pete (the partner prescriber's grant) = %d, want 404", r.Status)
	}
}
