package web

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/store"
)

type portalData struct {
	Patient *store.Patient
	Team    []store.TeamMember
}

// handlePortal is the patient's home: their care team and where to go next.
func (s *Server) handlePortal(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	actor := s.actor(r)
	own, err := s.store.FindOwnPatient(ctx, actor)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, _, err := s.store.FindPatient(ctx, actor, own.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	team, err := s.store.CareTeam(ctx, actor, p.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "portal", "Your portal", portalData{Patient: p, Team: team})
}

type accessReportData struct {
	Rows []store.AccessReportRow
}

// handleAccessReport shows a patient who has looked at or changed their record.
func (s *Server) handleAccessReport(w http.ResponseWriter, r *http.Request) {
	rows, err := s.store.AccessReport(r.Context(), s.actor(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "access_report", "Who has seen your record", accessReportData{Rows: rows})
}
