package admin

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// A staff member's page (issue 16): who they are and, for a clinician,
// who must co-sign their clinical notes ("Notes need co-signature by").

type staffUserData struct {
	User       *clinic.User
	Writes     bool // writes clinical notes, so may need co-signature
	Supervisor string
	Choices    []store.SupervisorChoice
	Notice     string
	Errors     map[string]string
	// The controlled-substance log (issue 20): whether the policy lets
	// this role keep it only when designated, and whether they are.
	CSDesignable, CSDesignated bool
	CSNotice                   string
	// The clinician's own NPI, for superbills (issue 21).
	NPI, NPINotice string
	NPIErrors      map[string]string
	HasNPI         bool // a staff account (a patient's has no NPI)
}

// StaffUser shows one account's page.
func (s *Handlers) StaffUser(w http.ResponseWriter, r *http.Request) {
	d := staffUserData{}
	switch r.URL.Query().Get("done") {
	case "supervisor":
		d.Notice = "Saved. Notes this clinician signs from now on follow this choice."
	case "controlled":
		d.CSNotice = "Saved."
	case "npi":
		d.NPINotice = "Saved."
	}
	s.staffUserPage(w, r, http.StatusOK, d, "")
}

func (s *Handlers) staffUserPage(w http.ResponseWriter, r *http.Request, status int, d staffUserData, posted string) {
	ctx, actor := r.Context(), s.Actor(r)
	u, err := s.Store.Account(ctx, actor, r.PathValue("user"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if d.User = u; d.User == nil {
		s.NotFound(w, r)
		return
	}
	d.Writes = auth.CanSome(d.User.Role, auth.PermNoteWrite)
	if d.Writes {
		if d.Choices, err = s.Store.SupervisorChoices(ctx, actor, d.User.ID); err != nil {
			s.Error(w, r, err)
			return
		}
		if posted != "" || d.Errors == nil {
			if d.Supervisor, err = s.Store.NoteSupervisor(ctx, actor, d.User.ID); err != nil {
				s.Error(w, r, err)
				return
			}
		}
		if d.Errors != nil {
			d.Supervisor = posted
		}
	}
	if d.CSDesignable = auth.Can(d.User.Role, auth.RelSelf, auth.PermControlled) && !auth.Can(d.User.Role, auth.RelNone, auth.PermControlled); d.CSDesignable {
		if d.CSDesignated, err = s.Store.CSDesignated(ctx, actor, d.User.ID); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if d.HasNPI = auth.CanSome(d.User.Role, auth.PermStaffProfile); d.HasNPI && d.NPIErrors == nil {
		if d.NPI, err = s.Store.StaffNPI(ctx, actor, d.User.ID); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	s.Render(w, r, status, "staff_user", d.User.FullName(), d)
}

// StaffUserNPI saves the staff member's own NPI (type 1), for superbills.
func (s *Handlers) StaffUserNPI(w http.ResponseWriter, r *http.Request) {
	id, npi := r.PathValue("user"), r.PostFormValue("npi")
	if err := s.Store.SetStaffNPI(r.Context(), s.Actor(r), id, npi); err != nil {
		if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
			s.staffUserPage(w, r, http.StatusUnprocessableEntity, staffUserData{NPI: npi, NPIErrors: e.Fields}, "")
			return
		}
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/admin/users/"+id+"?done=npi", "npi")
}

// StaffUserControlled designates the staff member to keep the
// controlled-substance log, or ends it.
func (s *Handlers) StaffUserControlled(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("user")
	if err := s.Store.SetCSDesignated(r.Context(), s.Actor(r), id, r.PostFormValue("designated") == "yes"); err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/admin/users/"+id+"?done=controlled", "controlled")
}

// StaffUserSupervisor saves who must co-sign the account's notes.
func (s *Handlers) StaffUserSupervisor(w http.ResponseWriter, r *http.Request) {
	id, sup := r.PathValue("user"), r.PostFormValue("supervisor_id")
	if err := s.Store.SetNoteSupervisor(r.Context(), s.Actor(r), id, sup); err != nil {
		if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
			s.staffUserPage(w, r, http.StatusUnprocessableEntity, staffUserData{Errors: e.Fields}, sup)
			return
		}
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/admin/users/"+id+"?done=supervisor", "supervision")
}
