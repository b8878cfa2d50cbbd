package web

import "net/http"

// The dosing session (issue 7, items 3 to 5): the pre-dose gate, the
// session view and discharge.

// dosingRoutes are the dosing session's routes.
func (s *Server) dosingRoutes() []route { return nil }

// dosingSection is what the chart's dosing section shows for the patient.
func (s *Server) dosingSection(r *http.Request, patientID string) (any, error) { return nil, nil }
