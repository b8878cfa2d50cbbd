package web

// The integration journal (issue 7, item 6).

// journalRoutes are the integration journal's routes.
func (s *Server) journalRoutes() []route { return nil }
