package web

// Feeds and crawlers (issue 8, item 3): Atom and RSS, sitemap.xml,
// robots.txt.

// feedRoutes are the feeds' and crawlers' routes.
func (s *Server) feedRoutes() []route { return nil }
