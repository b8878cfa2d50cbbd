// Package shell is what every face of kapstone's web layer shares: the
// application's state (App: store, settings, logger, crisis resources,
// templates, assets, clock), the layout and rendering of pages, the
// middleware every request passes through (request info, sessions, CSRF,
// security headers, form limits, the public page cache), the error pages,
// the static assets and templates (embedded, parsed once), and the few forms
// two faces both show (the intake questionnaire, the preparation record,
// progress charts).
//
// The shell imports the domain packages (store, auth, clinic, measure,
// screening, chart, notify) and no other web package; the faces (site,
// account, portal, staff, admin) import it, and internal/web wires them
// into the one route table.
package shell
