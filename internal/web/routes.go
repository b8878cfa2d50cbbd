package web

import (
	"net/http"
	"slices"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
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
	anyStaff    = []clinic.Role{clinic.RoleAdmin, clinic.RoleTherapist, clinic.RolePrescriber}
	clinicians  = []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber}
	adders      = []clinic.Role{clinic.RoleAdmin, clinic.RoleTherapist}
	admins      = []clinic.Role{clinic.RoleAdmin}
	patients    = []clinic.Role{clinic.RolePatient}
	therapists  = []clinic.Role{clinic.RoleTherapist}
	prescribers = []clinic.Role{clinic.RolePrescriber}
	safetyRead  = []clinic.Role{clinic.RolePrescriber, clinic.RoleAdmin}
)

// routeTable lists every route kapstone serves, with who may call it and
// the face whose handler answers it. It is the only list of routes.
func (s *Server) routeTable() []route {
	return []route{
		{"GET /healthz", public, nil, s.Healthz},
		{"GET /readyz", public, nil, s.Readyz},
		{"GET /static/{hash}/{name}", public, nil, s.Static},

		// The public site.
		{"GET /{$}", public, nil, s.site.Home},
		{"GET /about", public, nil, s.site.About},
		{"GET /services", public, nil, s.site.Page("services")},
		{"GET /what-to-expect", public, nil, s.site.Page("what-to-expect")},
		{"GET /is-kap-right", public, nil, s.site.Page("is-kap-right")},
		{"GET /fees", public, nil, s.site.Page("fees")},
		{"GET /contact", public, nil, s.site.Page("contact")},
		{"GET /blog", public, nil, s.site.Blog},
		{"GET /blog/{slug}", public, nil, s.site.BlogPost},
		{"GET /blog/tag/{tag}", public, nil, s.site.BlogTag},
		{"GET /blog/author/{author}", public, nil, s.site.BlogAuthor},
		{"GET /media/{image}", public, nil, s.site.Media},
		{"GET /feed.atom", public, nil, s.site.Atom},
		{"GET /feed.rss", public, nil, s.site.RSS},
		{"GET /sitemap.xml", public, nil, s.site.Sitemap},
		{"GET /robots.txt", public, nil, s.site.Robots},
		{"GET /inquiry", public, nil, s.site.InquiryForm},
		{"POST /inquiry", public, nil, s.site.Inquiry},
		{"GET /inquiry/thanks", public, nil, s.site.InquiryThanks},

		// Writing the site. The staff editor: any staff member writes their
		// own posts; an administrator edits any (the store checks).
		{"GET /site/posts", signedIn, anyStaff, s.site.Posts},
		{"GET /site/posts/new", signedIn, anyStaff, s.site.PostNew},
		{"GET /site/posts/{post}", signedIn, anyStaff, s.site.PostEdit},
		{"POST /site/posts", signedIn, anyStaff, s.site.PostCreate},
		{"POST /site/posts/{post}", signedIn, anyStaff, s.site.PostSave},
		{"POST /site/images", signedIn, anyStaff, s.site.ImageUpload},
		{"GET /admin/site", signedIn, admins, s.site.SiteAdmin},
		{"GET /admin/site/pages/{page}", signedIn, admins, s.site.SitePageForm},
		{"POST /admin/site/pages/{page}", signedIn, admins, s.site.SitePageSave},
		{"GET /admin/site/team/{user}", signedIn, admins, s.site.TeamProfileForm},
		{"POST /admin/site/team/{user}", signedIn, admins, s.site.TeamProfileSave},
		{"GET /account/profile", signedIn, anyStaff, s.site.OwnProfileForm},
		{"POST /account/profile", signedIn, anyStaff, s.site.OwnProfileSave},

		// Signing in.
		{"GET /login", public, nil, s.account.LoginForm},
		{"POST /login", public, nil, s.account.Login},
		{"GET /login/mfa", mfaPending, nil, s.account.MFAForm},
		{"POST /login/mfa", mfaPending, nil, s.account.MFA},
		{"GET /login/mfa/setup", mfaPending, nil, s.account.MFASetupForm},
		{"POST /login/mfa/setup", mfaPending, nil, s.account.MFASetup},
		{"POST /logout", anySession, nil, s.account.Logout},
		{"GET /setup/{token}", public, nil, s.account.SetupForm},
		{"POST /setup/{token}", public, nil, s.account.Setup},
		{"GET /invite/{token}", public, nil, s.account.InviteForm},
		{"POST /invite/{token}", public, nil, s.account.Invite},
		{"GET /reset/{token}", public, nil, s.account.ResetForm},
		{"POST /reset/{token}", public, nil, s.account.Reset},

		// Every signed-in user: their own account.
		{"GET /account", signedIn, nil, s.account.Account},
		{"POST /account/sessions/{sid}/end", signedIn, nil, s.account.EndSession},
		{"POST /account/sessions/end-all", signedIn, nil, s.account.EndAllSessions},
		{"GET /account/password", signedIn, nil, s.account.PasswordForm},
		{"POST /account/password", signedIn, nil, s.account.Password},
		{"GET /account/mfa", signedIn, nil, s.account.AccountMFAForm},
		{"POST /account/mfa", signedIn, nil, s.account.AccountMFA},
		{"POST /account/mfa/off", signedIn, patients, s.account.AccountMFAOff},
		{"POST /account/reminders", signedIn, patients, s.account.Reminders},
		{"POST /account/calendar", signedIn, clinicians, s.account.CalendarFeedCreate},
		{"POST /account/hours", signedIn, clinicians, s.account.Hours},
		{"POST /account/time-off", signedIn, clinicians, s.account.TimeOff},
		{"POST /account/time-off/{off}/delete", signedIn, clinicians, s.account.TimeOffDelete},
		{"POST /account/calendar/revoke", signedIn, clinicians, s.account.CalendarFeedRevoke},
		// A clinician's calendar app: the secret link is the credential.
		{"GET /calendar/{token}", public, nil, s.account.CalendarFeed},

		// Staff: patients and care teams. Object access is checked by the store.
		{"GET /calendar", signedIn, anyStaff, s.staff.Schedule},
		{"GET /patients", signedIn, anyStaff, s.staff.Patients},
		{"GET /patients/new", signedIn, adders, s.staff.PatientNewForm},
		{"POST /patients", signedIn, adders, s.staff.PatientCreate},
		{"GET /patients/{patient}", signedIn, anyStaff, s.staff.Patient},
		{"POST /patients/{patient}/invite", signedIn, clinicians, s.staff.PatientInvite},
		{"POST /patients/{patient}/reset-password", signedIn, clinicians, s.staff.PatientResetPassword},
		{"POST /patients/{patient}/team", signedIn, adders, s.staff.TeamAdd},
		{"POST /patients/{patient}/team/{user}/remove", signedIn, adders, s.staff.TeamRemove},
		{"GET /patients/{patient}/details", signedIn, anyStaff, s.staff.DetailsForm},
		{"POST /patients/{patient}/details", signedIn, anyStaff, s.staff.Details},
		{"POST /patients/{patient}/stage", signedIn, clinicians, s.staff.Stage},
		{"GET /patients/{patient}/intake", signedIn, clinicians, s.staff.StaffIntakeForm},
		{"POST /patients/{patient}/intake", signedIn, clinicians, s.staff.StaffIntake},
		{"POST /patients/{patient}/evaluation", signedIn, clinicians, s.staff.Evaluation},
		{"POST /patients/{patient}/clearance", signedIn, clinicians, s.staff.Clearance},
		{"POST /patients/{patient}/consult", signedIn, clinicians, s.staff.Consult},
		{"POST /patients/{patient}/preparation", signedIn, clinicians, s.staff.ChartPreparation},
		{"POST /patients/{patient}/prescription", signedIn, clinicians, s.staff.PrescriptionRecord},
		{"POST /patients/{patient}/prescription/adjust", signedIn, clinicians, s.staff.PrescriptionAdjust},
		{"POST /patients/{patient}/prescription/end", signedIn, clinicians, s.staff.PrescriptionEnd},
		{"POST /patients/{patient}/appointments", signedIn, clinicians, s.staff.Appointment},
		{"POST /patients/{patient}/appointments/{appointment}/cancel", signedIn, clinicians, s.staff.AppointmentCancel},
		{"POST /patients/{patient}/appointments/{appointment}/move", signedIn, clinicians, s.staff.AppointmentMove},
		{"POST /patients/{patient}/appointments/{appointment}/outcome", signedIn, clinicians, s.staff.AppointmentOutcome},
		{"POST /patients/{patient}/alerts/{alert}/acknowledge", signedIn, clinicians, s.staff.AcknowledgeAlert},
		{"POST /patients/{patient}/measures", signedIn, clinicians, s.staff.AssignMeasure},
		{"POST /patients/{patient}/measures/{instrument}/end", signedIn, clinicians, s.staff.EndMeasure},
		{"GET /patients/{patient}/emergency", signedIn, clinicians, s.staff.EmergencyForm},
		{"POST /patients/{patient}/emergency", signedIn, clinicians, s.staff.Emergency},

		// Staff: the dosing session.
		{"POST /patients/{patient}/dosing", signedIn, clinicians, s.staff.DosingStart},
		{"GET /patients/{patient}/dosing/{session}", signedIn, clinicians, s.staff.DosingSession},
		{"POST /patients/{patient}/dosing/{session}/gate", signedIn, clinicians, s.staff.DosingGate},
		{"POST /patients/{patient}/dosing/{session}/dose", signedIn, clinicians, s.staff.DosingDose},
		{"POST /patients/{patient}/dosing/{session}/vitals", signedIn, clinicians, s.staff.DosingVitals},
		{"POST /patients/{patient}/dosing/{session}/events", signedIn, clinicians, s.staff.DosingEvent},
		{"POST /patients/{patient}/dosing/{session}/discharge", signedIn, clinicians, s.staff.DosingDischarge},
		{"POST /patients/{patient}/dosing/{session}/stop", signedIn, clinicians, s.staff.DosingStop},
		// The practice's session-safety settings: prescribers set them;
		// administrators may read them.
		{"GET /settings/dosing", signedIn, safetyRead, s.staff.Safety},
		{"POST /settings/dosing", signedIn, prescribers, s.staff.SafetySave},

		// Staff: the inquiry inbox. Prescribers reach it from the staff
		// menu and are told who answers inquiries; they see none.
		{"GET /inquiries", signedIn, anyStaff, s.staff.Inquiries},
		{"GET /inquiries/{inquiry}", signedIn, adders, s.staff.InquiryView},
		{"POST /inquiries/{inquiry}/status", signedIn, adders, s.staff.InquiryStatus},
		{"POST /inquiries/{inquiry}/convert", signedIn, therapists, s.staff.InquiryConvert},

		// Screening reference.
		{"GET /medications/lookup", signedIn, nil, s.staff.MedicationLookup},
		{"GET /screening/rules", signedIn, anyStaff, s.staff.Rules},

		// Outcomes across patients.
		{"GET /outcomes", signedIn, anyStaff, s.staff.Outcomes},
		{"GET /outcomes.csv", signedIn, anyStaff, s.staff.OutcomesCSV},
		{"POST /outcomes/window", signedIn, admins, s.staff.OutcomeWindow},

		// Admin: accounts, the audit log, break-glass review.
		{"GET /admin/users", signedIn, admins, s.admin.Users},
		{"GET /admin/users/new", signedIn, admins, s.admin.UserNewForm},
		{"POST /admin/users", signedIn, admins, s.admin.UserInvite},
		{"POST /admin/users/{user}/disable", signedIn, admins, s.admin.UserDisable},
		{"POST /admin/users/{user}/enable", signedIn, admins, s.admin.UserEnable},
		{"POST /admin/users/{user}/reset-password", signedIn, admins, s.admin.UserResetPassword},
		{"POST /admin/users/{user}/reset-mfa", signedIn, admins, s.admin.UserResetMFA},
		{"GET /admin/instruments", signedIn, admins, s.admin.Instruments},
		{"POST /admin/instruments/{instrument}", signedIn, admins, s.admin.InstrumentText},
		{"GET /admin/audit", signedIn, admins, s.admin.Audit},
		{"GET /admin/emergency", signedIn, admins, s.admin.EmergencyReviews},
		{"POST /admin/emergency/{grant}/review", signedIn, admins, s.admin.EmergencyReview},
		{"GET /admin/practice", signedIn, admins, s.admin.Practice},
		{"POST /admin/practice", signedIn, admins, s.admin.PracticeSave},
		{"GET /admin/rooms", signedIn, admins, s.admin.Rooms},
		{"POST /admin/rooms", signedIn, admins, s.admin.RoomCreate},
		{"POST /admin/rooms/{room}/archive", signedIn, admins, s.admin.RoomArchive},
		{"GET /admin/jobs", signedIn, admins, s.admin.Jobs},
		{"POST /admin/jobs/retry", signedIn, admins, s.admin.JobsRetry},
		{"GET /admin/outbox", signedIn, admins, s.admin.Outbox},

		// The patient portal.
		{"GET /portal", signedIn, patients, s.portal.Home},
		{"GET /portal/access", signedIn, patients, s.portal.AccessReport},
		{"GET /portal/checkins", signedIn, patients, s.portal.Checkins},
		{"GET /portal/checkins/{instrument}", signedIn, patients, s.portal.CheckinForm},
		{"POST /portal/checkins/{instrument}", signedIn, patients, s.portal.Checkin},
		{"GET /portal/progress", signedIn, patients, s.portal.Progress},
		{"GET /portal/appointments", signedIn, patients, s.portal.Appointments},
		{"GET /portal/appointments/{appointment}/ics", signedIn, patients, s.portal.AppointmentICS},
		{"GET /portal/intake", signedIn, patients, s.portal.IntakeForm},
		{"POST /portal/intake", signedIn, patients, s.portal.Intake},
		{"GET /portal/preparation", signedIn, patients, s.portal.PreparationForm},
		{"POST /portal/preparation", signedIn, patients, s.portal.Preparation},
		{"GET /portal/journal", signedIn, patients, s.portal.Journal},
		{"GET /portal/journal/new", signedIn, patients, s.portal.JournalNew},
		{"GET /portal/journal/entry", signedIn, patients, s.portal.JournalEntry},
		{"POST /portal/journal", signedIn, patients, s.portal.JournalSave},
	}
}

// routes builds the handler: middleware around a mux in which each route is
// wrapped by its access check. Anything unmatched is the 404 page.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		h := s.guard(rt)
		if shell.Cacheable(rt.pattern) {
			h = s.Cached(h)
		}
		mux.Handle(rt.pattern, s.ForgetOnChange(h))
	}
	mux.HandleFunc("/", s.NotFound)
	return s.wrap(mux)
}

// wrap puts the middleware every response passes through around h.
func (s *Server) wrap(h http.Handler) http.Handler {
	h = s.LoadSession(h)
	h = s.ParseForms(h)
	h = s.CSRF(h)
	h = s.SecureHeaders(h)
	h = s.RecoverPanics(h)
	h = s.LogRequests(h)
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
		if info, ok := r.Context().Value(shell.KeyReqInfo).(*shell.ReqInfo); ok {
			info.Route = rt.pattern
		}
		sess := shell.SessionFrom(r.Context())
		toLogin := "/login"
		if ended, _ := r.Context().Value(shell.KeySessionEnded).(bool); ended {
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
				http.Redirect(w, r, shell.HomeFor(sess.User), http.StatusSeeOther)
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
				s.Store.Audit(r.Context(), s.Actor(r), storeEntryDenied(rt.pattern))
				s.NotFound(w, r)
				return
			}
		default:
			s.NotFound(w, r)
			return
		}
		rt.handler(w, r)
	})
}

// storeEntryDenied is the audit row for a request refused by its route's
// roles.
func storeEntryDenied(pattern string) store.Entry {
	return store.Entry{Action: "route.denied", Outcome: store.OutcomeDenied, ObjectType: "route", Detail: pattern}
}
