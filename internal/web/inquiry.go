package web

// The public inquiry form and the staff inquiry inbox (issue 8, item 4).

// inquiryRoutes are the inquiry form's and inbox's routes.
func (s *Server) inquiryRoutes() []route { return nil }
