package web

import "net/http"

// The preparation record (issue 7, item 1): intentions, set and setting,
// consent to touch, support person and ride home.

// preparationRoutes are the preparation record's routes.
func (s *Server) preparationRoutes() []route { return nil }

// preparationSection is what the chart's preparation section shows for
// patient p (nil: the section shows nothing).
func (s *Server) preparationSection(r *http.Request, patientID string) (any, error) { return nil, nil }
