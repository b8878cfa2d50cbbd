package portal

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/store"
)

type portalData struct {
	Patient *store.Patient
	Team    []store.TeamMember
}

// Home is the patient's home: their care team and where to go next.
func (s *Handlers) Home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	actor := s.Actor(r)
	own, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	p, _, err := s.Store.FindPatient(ctx, actor, own.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	team, err := s.Store.CareTeam(ctx, actor, p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "portal", "Your portal", portalData{Patient: p, Team: team})
}

type accessReportData struct {
	Rows []store.AccessReportRow
}

// AccessReport shows a patient who has looked at or changed their record.
func (s *Handlers) AccessReport(w http.ResponseWriter, r *http.Request) {
	rows, err := s.Store.AccessReport(r.Context(), s.Actor(r))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "access_report", "Who has seen your record", accessReportData{Rows: rows})
}
