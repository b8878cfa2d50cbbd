package web

// The blog (issue 8, item 2): posts in Markdown, drafts, scheduled
// publishing, list, tag and author pages, and the staff editor.

// blogRoutes are the blog's routes, public and staff.
func (s *Server) blogRoutes() []route { return nil }
