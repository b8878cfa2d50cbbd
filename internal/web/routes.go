package web

import (
	"net/http"
	"slices"

	"github.com/kapstone/kapstone/internal/clinic"
)

// access says who may call a route. There is no default: every route names
// one, and routes that touch a patient's record also pass the store's
// object-level check (auth.Can with the caller's relation to the patient).
type access int

const (
	public     access = iota + 1 // anyone, signed in or not
	mfaPending                   // signed in with a password, second factor not yet given
	anySession                   // any session, complete or not (sign-out)
	signedIn                     // fully signed in; roles limits which roles
)

type route struct {
	pattern string
	access  access
	roles   []clinic.Role // for signedIn: the roles allowed; empty means every role
	handler http.HandlerFunc
}

var (
	staff      = []clinic.Role{clinic.RoleAdmin, clinic.RoleTherapist, clinic.RolePrescriber}
	clinicians = []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber}
	adders     = []clinic.Role{clinic.RoleAdmin, clinic.RoleTherapist}
	admins     = []clinic.Role{clinic.RoleAdmin}
	patients   = []clinic.Role{clinic.RolePatient}
)

// routeTable lists every route kapstone serves, with who may call it.
func (s *Server) routeTable() []route {
	return []route{
		{"GET /healthz", public, nil, s.handleHealthz},
		{"GET /readyz", public, nil, s.handleReadyz},
		{"GET /static/{hash}/{name}", public, nil, s.handleStatic},
		{"GET /{$}", public, nil, s.handleHome},

		// Signing in.
		{"GET /login", public, nil, s.handleLoginForm},
		{"POST /login", public, nil, s.handleLogin},
		{"GET /login/mfa", mfaPending, nil, s.handleMFAForm},
		{"POST /login/mfa", mfaPending, nil, s.handleMFA},
		{"GET /login/mfa/setup", mfaPending, nil, s.handleMFASetupForm},
		{"POST /login/mfa/setup", mfaPending, nil, s.handleMFASetup},
		{"POST /logout", anySession, nil, s.handleLogout},
		{"GET /setup/{token}", public, nil, s.handleSetupForm},
		{"POST /setup/{token}", public, nil, s.handleSetup},
		{"GET /invite/{token}", public, nil, s.handleInviteForm},
		{"POST /invite/{token}", public, nil, s.handleInvite},
		{"GET /reset/{token}", public, nil, s.handleResetForm},
		{"POST /reset/{token}", public, nil, s.handleReset},

		// Every signed-in user: their own account.
		{"GET /account", signedIn, nil, s.handleAccount},
		{"POST /account/sessions/{sid}/end", signedIn, nil, s.handleEndSession},
		{"POST /account/sessions/end-all", signedIn, nil, s.handleEndAllSessions},
		{"GET /account/password", signedIn, nil, s.handlePasswordForm},
		{"POST /account/password", signedIn, nil, s.handlePassword},
		{"GET /account/mfa", signedIn, nil, s.handleAccountMFAForm},
		{"POST /account/mfa", signedIn, nil, s.handleAccountMFA},
		{"POST /account/mfa/off", signedIn, patients, s.handleAccountMFAOff},
		{"POST /account/reminders", signedIn, patients, s.handleReminders},
		{"POST /account/calendar", signedIn, clinicians, s.handleCalendarFeedCreate},
		{"POST /account/hours", signedIn, clinicians, s.handleHours},
		{"POST /account/time-off", signedIn, clinicians, s.handleTimeOff},
		{"POST /account/time-off/{off}/delete", signedIn, clinicians, s.handleTimeOffDelete},
		{"POST /account/calendar/revoke", signedIn, clinicians, s.handleCalendarFeedRevoke},
		// A clinician's calendar app: the secret link is the credential.
		{"GET /calendar/{token}", public, nil, s.handleCalendarFeed},
		{"GET /calendar", signedIn, staff, s.handleSchedule},

		// Staff: patients and care teams. Object access is checked by the store.
		{"GET /patients", signedIn, staff, s.handlePatients},
		{"GET /patients/new", signedIn, adders, s.handlePatientNewForm},
		{"POST /patients", signedIn, adders, s.handlePatientCreate},
		{"GET /patients/{patient}", signedIn, staff, s.handlePatient},
		{"POST /patients/{patient}/invite", signedIn, clinicians, s.handlePatientInvite},
		{"POST /patients/{patient}/reset-password", signedIn, clinicians, s.handlePatientResetPassword},
		{"POST /patients/{patient}/team", signedIn, adders, s.handleTeamAdd},
		{"POST /patients/{patient}/team/{user}/remove", signedIn, adders, s.handleTeamRemove},
		{"GET /patients/{patient}/details", signedIn, staff, s.handleDetailsForm},
		{"POST /patients/{patient}/details", signedIn, staff, s.handleDetails},
		{"POST /patients/{patient}/stage", signedIn, clinicians, s.handleStage},
		{"GET /patients/{patient}/intake", signedIn, clinicians, s.handleStaffIntakeForm},
		{"POST /patients/{patient}/intake", signedIn, clinicians, s.handleStaffIntake},
		{"POST /patients/{patient}/evaluation", signedIn, clinicians, s.handleEvaluation},
		{"POST /patients/{patient}/clearance", signedIn, clinicians, s.handleClearance},
		{"POST /patients/{patient}/consult", signedIn, clinicians, s.handleConsult},
		{"POST /patients/{patient}/appointments", signedIn, clinicians, s.handleAppointment},
		{"POST /patients/{patient}/appointments/{appointment}/cancel", signedIn, clinicians, s.handleAppointmentCancel},
		{"POST /patients/{patient}/appointments/{appointment}/move", signedIn, clinicians, s.handleAppointmentMove},
		{"POST /patients/{patient}/appointments/{appointment}/outcome", signedIn, clinicians, s.handleAppointmentOutcome},
		{"POST /patients/{patient}/alerts/{alert}/acknowledge", signedIn, clinicians, s.handleAcknowledgeAlert},
		{"POST /patients/{patient}/measures", signedIn, clinicians, s.handleAssignMeasure},
		{"POST /patients/{patient}/measures/{instrument}/end", signedIn, clinicians, s.handleEndMeasure},
		{"GET /patients/{patient}/emergency", signedIn, clinicians, s.handleEmergencyForm},
		{"POST /patients/{patient}/emergency", signedIn, clinicians, s.handleEmergency},

		// Screening reference.
		{"GET /medications/lookup", signedIn, nil, s.handleMedicationLookup},
		{"GET /screening/rules", signedIn, staff, s.handleRules},

		// Outcomes across patients.
		{"GET /outcomes", signedIn, staff, s.handleOutcomes},
		{"GET /outcomes.csv", signedIn, staff, s.handleOutcomesCSV},
		{"POST /outcomes/window", signedIn, admins, s.handleOutcomeWindow},

		// Admin: accounts, the audit log, break-glass review.
		{"GET /admin/users", signedIn, admins, s.handleUsers},
		{"GET /admin/users/new", signedIn, admins, s.handleUserNewForm},
		{"POST /admin/users", signedIn, admins, s.handleUserInvite},
		{"POST /admin/users/{user}/disable", signedIn, admins, s.handleUserDisable},
		{"POST /admin/users/{user}/enable", signedIn, admins, s.handleUserEnable},
		{"POST /admin/users/{user}/reset-password", signedIn, admins, s.handleUserResetPassword},
		{"POST /admin/users/{user}/reset-mfa", signedIn, admins, s.handleUserResetMFA},
		{"GET /admin/instruments", signedIn, admins, s.handleInstruments},
		{"POST /admin/instruments/{instrument}", signedIn, admins, s.handleInstrumentText},
		{"GET /admin/audit", signedIn, admins, s.handleAudit},
		{"GET /admin/emergency", signedIn, admins, s.handleEmergencyReviews},
		{"GET /admin/practice", signedIn, admins, s.handlePractice},
		{"POST /admin/practice", signedIn, admins, s.handlePracticeSave},
		{"GET /admin/rooms", signedIn, admins, s.handleRooms},
		{"POST /admin/rooms", signedIn, admins, s.handleRoomCreate},
		{"POST /admin/rooms/{room}/archive", signedIn, admins, s.handleRoomArchive},
		{"GET /admin/jobs", signedIn, admins, s.handleJobs},
		{"POST /admin/jobs/retry", signedIn, admins, s.handleJobsRetry},
		{"GET /admin/outbox", signedIn, admins, s.handleOutbox},
		{"POST /admin/emergency/{grant}/review", signedIn, admins, s.handleEmergencyReview},

		// The patient portal.
		{"GET /portal", signedIn, patients, s.handlePortal},
		{"GET /portal/access", signedIn, patients, s.handleAccessReport},
		{"GET /portal/checkins", signedIn, patients, s.handlePortalCheckins},
		{"GET /portal/checkins/{instrument}", signedIn, patients, s.handlePortalCheckinForm},
		{"POST /portal/checkins/{instrument}", signedIn, patients, s.handlePortalCheckin},
		{"GET /portal/progress", signedIn, patients, s.handlePortalProgress},
		{"GET /portal/appointments", signedIn, patients, s.handlePortalAppointments},
		{"GET /portal/appointments/{appointment}/ics", signedIn, patients, s.handlePortalAppointmentICS},
		{"GET /portal/intake", signedIn, patients, s.handlePortalIntakeForm},
		{"POST /portal/intake", signedIn, patients, s.handlePortalIntake},
	}
}

// allRoutes adds each feature's own routes (each in its feature's file) to
// the table above.
func (s *Server) allRoutes() []route {
	all := s.routeTable()
	for _, more := range [][]route{s.dosingRoutes(), s.safetyRoutes(), s.preparationRoutes(), s.prescriptionRoutes(), s.journalRoutes(),
		s.siteRoutes(), s.blogRoutes(), s.inquiryRoutes(), s.feedRoutes()} {
		all = append(all, more...)
	}
	return all
}

// routes builds the handler: middleware around a mux in which each route is
// wrapped by its access check. Anything unmatched is the 404 page.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.allRoutes() {
		h := s.guard(rt)
		if cacheable(rt.pattern) {
			h = s.cached(h)
		}
		mux.Handle(rt.pattern, s.forgetOnChange(h))
	}
	mux.HandleFunc("/", s.notFound)
	return s.wrap(mux)
}

// wrap puts the middleware every response passes through around h.
func (s *Server) wrap(h http.Handler) http.Handler {
	h = s.loadSession(h)
	h = s.parseForms(h)
	h = s.csrf(h)
	h = s.secureHeaders(h)
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	return h
}

// isAutosave reports whether r is a page script's background save
// (autosave=1 in a posted form), which answers JSON, not pages.
func isAutosave(r *http.Request) bool {
	return r.Method == http.MethodPost && r.PostFormValue("autosave") == "1"
}

// signedOutJSON answers a background save whose sign-in has ended (or never
// was) with 401 and JSON saying nothing was saved, instead of a redirect to
// the sign-in page, which a script's fetch would follow and could not tell
// from a save.
func signedOutJSON(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	w.Write([]byte(`{"saved":false,"signed_out":true,"message":"You are signed out, so your answers were not saved. Sign in again to send them."}` + "\n"))
}

// guard enforces a route's access level before its handler runs. Denied
// requests learn nothing: anonymous callers are sent to sign in, a
// half-signed-in user to the second-factor page, and a signed-in user of
// another role gets the same 404 as for a page that does not exist.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(keyReqInfo).(*reqInfo); ok {
			info.route = rt.pattern
		}
		sess := sessionFrom(r.Context())
		toLogin := "/login"
		if ended, _ := r.Context().Value(keySessionEnded).(bool); ended {
			toLogin = "/login?ended=1"
		}
		switch rt.access {
		case public:
		case anySession:
			if sess == nil {
				http.Redirect(w, r, toLogin, http.StatusSeeOther)
				return
			}
		case mfaPending:
			if sess == nil {
				http.Redirect(w, r, toLogin, http.StatusSeeOther)
				return
			}
			if sess.MFADone {
				http.Redirect(w, r, homeFor(sess.User), http.StatusSeeOther)
				return
			}
		case signedIn:
			if sess == nil {
				if isAutosave(r) {
					signedOutJSON(w)
					return
				}
				http.Redirect(w, r, toLogin, http.StatusSeeOther)
				return
			}
			if !sess.MFADone {
				http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
				return
			}
			if len(rt.roles) > 0 && !slices.Contains(rt.roles, sess.User.Role) {
				s.store.Audit(r.Context(), s.actor(r), storeEntryDenied(rt.pattern))
				s.notFound(w, r)
				return
			}
		default:
			s.notFound(w, r)
			return
		}
		rt.handler(w, r)
	})
}
