// Package diagnoses is the face of what a superbill needs from the chart
// (issue 21): the patient's diagnoses (ICD-10-CM codes from the shipped
// list, internal/icd10), chosen with a search that works without
// JavaScript, ranked with the primary first; and the patient's postal
// address. Access is the policy's (reading: auth.PermChart; changing the
// diagnoses: auth.PermClinical; the address: auth.PermDetails), checked
// again by the store, which audits every read and change.
package diagnoses

import (
	"net/http"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/icd10"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// searchLimit bounds the codes one search lists.
const searchLimit = 25

// Handlers answers the diagnoses and address routes.
type Handlers struct {
	*shell.App
}

// New returns the face's handlers over the shared state.
func New(app *shell.App) *Handlers { return &Handlers{App: app} }

type pageData struct {
	Patient  *store.Patient
	Current  []store.Diagnosis
	Removed  []store.Diagnosis
	Edit     bool // the reader may change the list
	Query    string
	Searched bool
	Results  []icd10.Code
	Errors   map[string]string
	Notice   string
	Release  string
	Zone     string
}

// Chosen reports whether code is on the list already.
func (d pageData) Chosen(code string) bool {
	for _, c := range d.Current {
		if c.Code == code {
			return true
		}
	}
	return false
}

var notices = map[string]string{
	"added":   "Diagnosis added.",
	"removed": "Diagnosis removed. It stays in the history below.",
	"primary": "Primary diagnosis changed.",
}

// Page is GET /patients/{patient}/diagnoses: the list, and with ?q= the
// codes matching a search, each with an add button.
func (s *Handlers) Page(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusOK, nil)
}

func (s *Handlers) page(w http.ResponseWriter, r *http.Request, status int, errs map[string]string) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "diagnosis.read")
	if !ok {
		return
	}
	defer view.Close()
	ctx, actor := r.Context(), s.Actor(r)
	p, acc, err := s.Store.FindPatient(ctx, actor, r.PathValue("patient"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	all, err := s.Store.Diagnoses(ctx, actor, p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := pageData{Patient: p, Edit: acc.Can(auth.PermClinical), Errors: errs, Notice: notices[r.URL.Query().Get("done")], Release: icd10.Release}
	for _, x := range all {
		if x.RemovedAt == nil {
			d.Current = append(d.Current, x)
		} else {
			d.Removed = append(d.Removed, x)
		}
	}
	d.Query = strings.TrimSpace(r.FormValue("q"))
	if d.Query != "" && d.Edit {
		d.Searched, d.Results = true, icd10.Search(d.Query, searchLimit)
	}
	_, d.Zone = s.PracticeZone(r)
	s.RenderView(w, r, view, status, "diagnoses", "Diagnoses: "+p.DisplayName, d)
}

func (s *Handlers) back(r *http.Request) string {
	return "/patients/" + r.PathValue("patient") + "/diagnoses"
}

// Add is POST /patients/{patient}/diagnoses: puts the posted code on the
// list; a code refused re-shows the page with the search and the reason.
func (s *Handlers) Add(w http.ResponseWriter, r *http.Request) {
	_, err := s.Store.AddDiagnosis(r.Context(), s.Actor(r), r.PathValue("patient"), r.PostFormValue("code"))
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.page(w, r, http.StatusUnprocessableEntity, e.Fields)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, s.back(r)+"?done=added", "current")
}

// Remove is POST /patients/{patient}/diagnoses/{diagnosis}/remove.
func (s *Handlers) Remove(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.RemoveDiagnosis(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("diagnosis")); err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, s.back(r)+"?done=removed", "current")
}

// Primary is POST /patients/{patient}/diagnoses/{diagnosis}/primary.
func (s *Handlers) Primary(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.MakePrimaryDiagnosis(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("diagnosis")); err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, s.back(r)+"?done=primary", "current")
}

type addressData struct {
	Patient *store.Patient
	Address clinic.Address
	Errors  map[string]string
	Notice  string
}

// AddressForm is GET /patients/{patient}/address: the patient's postal
// address, for superbills, to whoever may change their details.
func (s *Handlers) AddressForm(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "patient.read")
	if !ok {
		return
	}
	defer view.Close()
	p, acc, err := s.Store.FindPatient(r.Context(), s.Actor(r), r.PathValue("patient"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !acc.Can(auth.PermDetails) {
		s.NotFound(w, r)
		return
	}
	d := addressData{Patient: p, Address: p.Address}
	if r.URL.Query().Get("done") == "saved" {
		d.Notice = "Address saved."
	}
	s.RenderView(w, r, view, http.StatusOK, "address", "Address: "+p.DisplayName, d)
}

// AddressSave is POST /patients/{patient}/address.
func (s *Handlers) AddressSave(w http.ResponseWriter, r *http.Request) {
	a := clinic.Address{Line1: r.PostFormValue("line1"), Line2: r.PostFormValue("line2"), City: r.PostFormValue("city"),
		State: r.PostFormValue("state"), PostalCode: r.PostFormValue("postal_code")}
	err := s.Store.SavePatientAddress(r.Context(), s.Actor(r), r.PathValue("patient"), a)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		p, _, ferr := s.Store.FindPatient(r.Context(), s.Actor(r), r.PathValue("patient"))
		if ferr != nil {
			s.Error(w, r, ferr)
			return
		}
		s.Render(w, r, http.StatusUnprocessableEntity, "address", "Address: "+p.DisplayName, addressData{Patient: p, Address: a, Errors: e.Fields})
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/patients/"+r.PathValue("patient")+"/address?done=saved", "address")
}
