// Package site serves the practice's public website: the home and
// information pages, the blog, the Atom and RSS feeds, the sitemap and
// robots.txt, uploaded images and the inquiry form; and the screens staff
// use to write it (blog posts, page text, team profiles). Writing the site
// stays here, beside what it renders, because the editor previews posts and
// profiles exactly as visitors see them.
//
// It imports internal/web/shell and the domain packages, never another
// face. Its routes are in internal/web/routes.go.
package site
