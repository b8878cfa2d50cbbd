package web

// The practice's public pages (issue 8, item 1): home, about and team,
// services, fees and FAQ, contact; edited by administrators.

// siteRoutes are the public pages' routes and their editor's.
func (s *Server) siteRoutes() []route { return nil }
