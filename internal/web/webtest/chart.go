package webtest

import (
	"net/http"
	"net/url"
	"time"

	"github.com/kapstone/kapstone/internal/screening"
)

// IntakeForm is a complete intake: every question "no" but those given "yes".
func IntakeForm(action string, yes []string, meds ...string) url.Values {
	f := url.Values{"action": {action}, "goals": {"Feel less stuck."}}
	for _, q := range screening.Questions() {
		f.Set("q_"+q.ID, "no")
	}
	for _, id := range yes {
		f.Set("q_"+id, "yes")
	}
	for i, m := range meds {
		f.Set("med_name_"+string(rune('0'+i)), m)
	}
	return f
}

// ClearA takes patient A to a current clearance: a sent intake, a
// suitable evaluation and the prescriber's clearance.
func (f *Fixture) ClearA(meds ...string) {
	f.T.Helper()
	pat := f.SignIn("pat@example.org")
	if r := f.Do("POST", "/portal/intake", IntakeForm("submit", nil, meds...), pat); r.Status != http.StatusSeeOther {
		f.T.Fatalf("intake = %d", r.Status)
	}
	thea := f.SignIn("thea@example.org")
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/evaluation", url.Values{"recommendation": {"suitable"}, "summary": {"Suitable."}}, thea); r.Status != http.StatusSeeOther {
		f.T.Fatalf("evaluation = %d", r.Status)
	}
	rex := f.SignIn("rex@example.org")
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/clearance", url.Values{"decision": {"cleared"}, "reason": {"Fit."}}, rex); r.Status != http.StatusSeeOther {
		f.T.Fatalf("clearance = %d: %s", r.Status, r.Body[:min(400, len(r.Body))])
	}
}

func (f *Fixture) BookDosing(tok string) Response {
	return f.Do("POST", "/patients/"+f.PA.ID+"/appointments", url.Values{"kind": {"dosing"}, "starts_at": {f.Now.Add(72 * time.Hour).Format("2006-01-02T15:04")}, "minutes": {"180"}}, tok)
}
