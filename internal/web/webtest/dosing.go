package webtest

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// DosingReady makes patient A ready for a dosing session: an intake listing
// meds, the evaluation, the prescriber's clearance, a prescription and the
// signed KAP informed consent.
func (f *Fixture) DosingReady(meds ...string) {
	f.T.Helper()
	f.ClearA(meds...)
	f.PrescribeA()
	f.SignConsentA()
}

func (f *Fixture) PrescribeA() {
	f.T.Helper()
	if _, err := f.St.RecordPrescription(f.T.Context(), f.As("rex@example.org"), f.PA.ID, clinic.PrescriptionInput{
		Drug: clinic.DefaultDrug, Route: clinic.RouteSublingual, Strength: "100 mg RDT", Dose: "200 mg", SessionsAuthorised: 6}); err != nil {
		f.T.Fatal(err)
	}
}

// StartDosing opens a session for patient A as who and returns its path.
func (f *Fixture) StartDosing(who string) string {
	f.T.Helper()
	r := f.Do("POST", "/patients/"+f.PA.ID+"/dosing", nil, f.SignIn(who))
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/patients/"+f.PA.ID+"/dosing/") {
		f.T.Fatalf("start dosing = %d %q", r.Status, loc)
	}
	return loc
}

// FullGate is a gate form with every line answered and a normal blood
// pressure.
func FullGate(meds string) url.Values {
	return url.Values{
		"medications": {meds}, "meds_reviewed": {"yes"}, "fasting": {"yes"},
		"pregnancy": {clinic.PregnancyNotApplicable}, "escort": {"Sam Lee"}, "escort_ok": {"yes"},
		"bp": {"128/82"}, "heart_rate": {"72"}, "spo2": {"98"}, "client_id": {"gate-1"},
	}
}

func (f *Fixture) Session(path string) *store.DosingSession {
	f.T.Helper()
	id := path[strings.LastIndex(path, "/")+1:]
	d, err := f.St.DosingSessionFor(f.T.Context(), f.As("thea@example.org"), f.PA.ID, id)
	if err != nil {
		f.T.Fatal(err)
	}
	return d
}

// PassGate starts a session for patient A and passes its gate as thea; it
// returns the session's path.
func (f *Fixture) PassGate(meds string) string {
	f.T.Helper()
	path := f.StartDosing("thea@example.org")
	if r := f.Do("POST", path+"/gate", FullGate(meds), f.SignIn("thea@example.org")); r.Status != http.StatusSeeOther {
		f.T.Fatalf("gate = %d: %s", r.Status, r.Body[:min(len(r.Body), 300)])
	}
	return path
}
