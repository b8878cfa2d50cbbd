package web

import "net/http"

// The prescription record (issue 7, item 2): a record, not e-prescribing.

// prescriptionRoutes are the prescription record's routes.
func (s *Server) prescriptionRoutes() []route { return nil }

// prescriptionSection is what the chart's prescription section shows for
// the patient (nil: the section shows nothing).
func (s *Server) prescriptionSection(r *http.Request, patientID string) (any, error) { return nil, nil }
