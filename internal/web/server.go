// Package web is kapstone's HTTP server: NewServer, its Config, and the one
// route table (routes.go) that lists every URL kapstone serves with who may
// call it and which face's handler answers it.
//
// The handlers live in one package per face, each importing only the
// shell (internal/web/shell: shared state, layout, rendering, middleware,
// errors, assets) and the domain packages, never another face:
//   - site: the public website, blog, feeds and inquiry form, and the
//     screens staff use to write them
//   - account: signing in, second factor, setup/invite/reset links, and
//     every user's own account page
//   - portal: the patient portal
//   - staff: the clinicians' app (patients, chart, dosing, calendar, inbox)
//   - admin: practice administration
//   - notes: clinicians' clinical (progress) notes, apart from staff for size
//   - timeline: the chart's timeline with its "discussed" marks (issue 17)
//   - skills: the patient's DBT skills entries and diary card, in the
//     portal and, as shared, on the chart
//   - inquiries: the staff's inquiry inbox, apart from staff for size
//   - messages: secure messages between a patient and their care team
//   - safety: the safety plan (portal and chart), the crisis page and the
//     service worker that keeps both offline
//   - chaperone: a remote dosing session's chaperone link and the
//     chaperone's page it opens, with no account (issue 20)
//
// The FHIR API (internal/fhir, issue 19) is mounted under /fhir/; it is
// not a face (no pages, no session) and imports nothing of web.
//
// Only this package imports the faces.
package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/account"
	"github.com/kapstone/kapstone/internal/web/admin"
	"github.com/kapstone/kapstone/internal/web/billing"
	"github.com/kapstone/kapstone/internal/web/billingreports"
	"github.com/kapstone/kapstone/internal/web/chaperone"
	"github.com/kapstone/kapstone/internal/web/controlled"
	"github.com/kapstone/kapstone/internal/web/diagnoses"
	"github.com/kapstone/kapstone/internal/web/inquiries"
	"github.com/kapstone/kapstone/internal/web/messages"
	"github.com/kapstone/kapstone/internal/web/notes"
	"github.com/kapstone/kapstone/internal/web/portal"
	"github.com/kapstone/kapstone/internal/web/remsform"
	"github.com/kapstone/kapstone/internal/web/safety"
	"github.com/kapstone/kapstone/internal/web/shell"
	"github.com/kapstone/kapstone/internal/web/site"
	"github.com/kapstone/kapstone/internal/web/skills"
	"github.com/kapstone/kapstone/internal/web/staff"
	"github.com/kapstone/kapstone/internal/web/superbill"
	"github.com/kapstone/kapstone/internal/web/timeline"
)

// Config holds what the web layer needs to know about its deployment.
type Config = shell.Config

// DefaultConfig returns the settings kapstone uses when none are given.
func DefaultConfig() Config { return shell.DefaultConfig() }

// Server is kapstone's HTTP handler. Create it with NewServer.
type Server struct {
	*shell.App
	handler http.Handler

	site    *site.Handlers
	account *account.Handlers
	portal  *portal.Handlers
	staff   *staff.Handlers
	admin   *admin.Handlers
	notes   *notes.Handlers
	// timeline is the chart's timeline (issue 17).
	timeline  *timeline.Handlers
	skills    *skills.Handlers
	messages  *messages.Handlers
	chaperone *chaperone.Handlers
	inquiries *inquiries.Handlers
	safety    *safety.Handlers
	// fhir is the FHIR R4 API (issue 19).
	fhir *fhir.Handler
	// billingreports is the practice's billing reports (issue 21).
	billingreports *billingreports.Handlers
	// controlled is the controlled-substance log (issue 20).
	controlled *controlled.Handlers
	// rems is the REMS patient monitoring form (issue 20).
	rems *remsform.Handlers
	// diagnoses is the chart's diagnoses and the patient's address, for
	// superbills (issue 21).
	diagnoses *diagnoses.Handlers
	// billing is the fees and a patient's ledger (issue 21).
	billing *billing.Handlers
	// superbill is superbills and statements, staff's and the portal's
	// (issue 21).
	superbill *superbill.Handlers
}

// NewServer parses every template and asset and wires the routes. It fails
// when the country has no crisis resources or a template does not parse, so
// a broken build never starts.
func NewServer(cfg Config, st *store.Store, log *slog.Logger) (*Server, error) {
	app, err := shell.New(cfg, st, log)
	if err != nil {
		return nil, err
	}
	s := &Server{
		App:       app,
		site:      site.New(app),
		account:   account.New(app),
		portal:    portal.New(app),
		staff:     staff.New(app),
		admin:     admin.New(app),
		notes:     notes.New(app),
		skills:    skills.New(app),
		messages:  messages.New(app),
		chaperone: chaperone.New(app),
		inquiries: inquiries.New(app),
		safety:    safety.New(app),
	}
	s.timeline = timeline.New(app)
	s.controlled = controlled.New(app)
	s.billingreports = billingreports.New(app)
	s.rems = remsform.New(app)
	s.diagnoses = diagnoses.New(app)
	s.billing = billing.New(app)
	s.superbill = superbill.New(app)
	// Now asks the app's clock at each call (tests move it after NewServer).
	s.fhir = &fhir.Handler{Store: st, Log: log, Origin: app.Actor, Realm: "kapstone", Now: func() time.Time { return app.Now() },
		Base: func(r *http.Request) string { return app.LinkBase(r) + "/fhir" }}
	s.account.ApplyCarry = s.notes.ApplyNoteCarry // a note's draft carried through sign-in
	s.notes.ChartForm = s.staff.ChartForm         // a failed consent form shown on the chart
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves one request through the middleware and the router.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}
