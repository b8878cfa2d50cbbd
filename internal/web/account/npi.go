package account

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// A clinician's own NPI (issue 21), on their account page: superbills of
// their sessions print it. Administrators set it on the staff member's
// page too.

// npiSection fills in the clinician's saved NPI, unless a refused one is
// being shown again.
func (s *Handlers) npiSection(r *http.Request, d *accountData) error {
	if !d.Clinician || d.Errors["npi"] != "" {
		return nil
	}
	var err error
	d.NPI, err = s.Store.StaffNPI(r.Context(), s.Actor(r), s.Actor(r).UserID)
	return err
}

// OwnNPI saves the signed-in clinician's NPI.
func (s *Handlers) OwnNPI(w http.ResponseWriter, r *http.Request) {
	npi := r.PostFormValue("npi")
	if err := s.Store.SetStaffNPI(r.Context(), s.Actor(r), s.Actor(r).UserID, npi); err != nil {
		if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
			s.accountPage(w, r, accountData{Errors: e.Fields, NPI: npi, Posted: "npi"}, http.StatusUnprocessableEntity)
			return
		}
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/account?done=npi", "npi")
}
