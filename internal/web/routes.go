package web

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/auth"
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
	signedIn                     // fully signed in; perm limits who
	// bearerToken: the FHIR API (internal/fhir), which authenticates each
	// request by its personal API token (internal/bearer) and never by a
	// session cookie; the store decides what the token's account may read.
	bearerToken
)

type route struct {
	pattern string
	access  access
	// perm is, for signedIn routes, what the caller's role must be allowed
	// by the one policy (auth.CanSome: the permission for some patient or
	// thing; the store still checks the object). Empty means any
	// signed-in user (their own account).
	perm    auth.Permission
	handler http.HandlerFunc
}

// routeTable lists every route kapstone serves, with who may call it and
// the face whose handler answers it. It is the only list of routes.
func (s *Server) routeTable() []route {
	return []route{
		{"GET /healthz", public, "", s.Healthz},
		{"GET /readyz", public, "", s.Readyz},
		// Prometheus metrics: a 404 unless a metrics token is configured and
		// sent as a bearer token (shell.MetricsPage; issue 18).
		{"GET /metrics", public, "", s.MetricsPage},
		{"GET /static/{hash}/{name}", public, "", s.Static},

		// The public site.
		{"GET /{$}", public, "", s.site.Home},
		{"GET /about", public, "", s.site.About},
		{"GET /services", public, "", s.site.Page("services")},
		{"GET /what-to-expect", public, "", s.site.Page("what-to-expect")},
		{"GET /is-kap-right", public, "", s.site.Page("is-kap-right")},
		{"GET /fees", public, "", s.site.Page("fees")},
		{"GET /contact", public, "", s.site.Page("contact")},
		{"GET /blog", public, "", s.site.Blog},
		{"GET /blog/{slug}", public, "", s.site.BlogPost},
		{"GET /blog/tag/{tag}", public, "", s.site.BlogTag},
		{"GET /blog/author/{author}", public, "", s.site.BlogAuthor},
		{"GET /media/{image}", public, "", s.site.Media},
		{"GET /feed.atom", public, "", s.site.Atom},
		{"GET /feed.rss", public, "", s.site.RSS},
		{"GET /sitemap.xml", public, "", s.site.Sitemap},
		{"GET /robots.txt", public, "", s.site.Robots},
		{"GET /inquiry", public, "", s.site.InquiryForm},
		{"POST /inquiry", public, "", s.site.Inquiry},
		{"GET /inquiry/thanks", public, "", s.site.InquiryThanks},
		// Help right now, for anyone, and the service worker that keeps it
		// and the patient's safety plan offline (issue 17).
		{"GET /crisis", public, "", s.safety.CrisisPage},
		{"GET /sw.js", public, "", s.safety.ServiceWorker},

		// Writing the site. The staff editor: any staff member writes their
		// own posts; an administrator edits any (the store checks).
		{"GET /site/posts", signedIn, auth.PermBlog, s.site.Posts},
		{"GET /site/posts/new", signedIn, auth.PermBlog, s.site.PostNew},
		{"GET /site/posts/{post}", signedIn, auth.PermBlog, s.site.PostEdit},
		{"POST /site/posts", signedIn, auth.PermBlog, s.site.PostCreate},
		{"POST /site/posts/{post}", signedIn, auth.PermBlog, s.site.PostSave},
		{"POST /site/images", signedIn, auth.PermBlog, s.site.ImageUpload},
		{"GET /admin/site", signedIn, auth.PermSiteEditor, s.site.SiteAdmin},
		{"GET /admin/site/pages/{page}", signedIn, auth.PermSiteEditor, s.site.SitePageForm},
		{"POST /admin/site/pages/{page}", signedIn, auth.PermSitePage, s.site.SitePageSave},
		{"GET /admin/site/team/{user}", signedIn, auth.PermSiteEditor, s.site.TeamProfileForm},
		{"POST /admin/site/team/{user}", signedIn, auth.PermSiteEditor, s.site.TeamProfileSave},
		{"GET /account/profile", signedIn, auth.PermStaffProfile, s.site.OwnProfileForm},
		{"POST /account/profile", signedIn, auth.PermStaffProfile, s.site.OwnProfileSave},

		// Signing in.
		{"GET /login", public, "", s.account.LoginForm},
		{"POST /login", public, "", s.account.Login},
		{"GET /login/forgot", public, "", s.account.ForgotForm},
		{"POST /login/forgot", public, "", s.account.Forgot},
		{"GET /login/mfa", mfaPending, "", s.account.MFAForm},
		{"POST /login/mfa", mfaPending, "", s.account.MFA},
		{"GET /login/mfa/setup", mfaPending, "", s.account.MFASetupForm},
		{"POST /login/mfa/setup", mfaPending, "", s.account.MFASetup},
		{"POST /login/carry", signedIn, "", s.account.CarryOn},
		{"POST /logout", anySession, "", s.account.Logout},
		{"GET /setup/{token}", public, "", s.account.SetupForm},
		{"POST /setup/{token}", public, "", s.account.Setup},
		{"GET /invite/{token}", public, "", s.account.InviteForm},
		{"POST /invite/{token}", public, "", s.account.Invite},
		{"GET /reset/{token}", public, "", s.account.ResetForm},
		{"POST /reset/{token}", public, "", s.account.Reset},

		// Every signed-in user: their own account.
		{"GET /account", signedIn, "", s.account.Account},
		{"POST /account/sessions/{sid}/end", signedIn, "", s.account.EndSession},
		{"POST /account/sessions/end-all", signedIn, "", s.account.EndAllSessions},
		{"POST /account/devices/{device}/forget", signedIn, "", s.account.ForgetDevice},
		{"POST /account/devices/forget-all", signedIn, "", s.account.ForgetAllDevices},
		{"GET /account/password", signedIn, "", s.account.PasswordForm},
		{"POST /account/password", signedIn, "", s.account.Password},
		{"GET /account/mfa", signedIn, "", s.account.AccountMFAForm},
		{"POST /account/mfa", signedIn, "", s.account.AccountMFA},
		{"POST /account/mfa/off", signedIn, auth.PermPortal, s.account.AccountMFAOff},
		// Personal API tokens for the FHIR API: everyone's own (the store
		// lets an admin revoke anyone's).
		{"POST /account/api-tokens", signedIn, "", s.account.APITokenCreate},
		{"POST /account/api-tokens/{apitoken}/revoke", signedIn, "", s.account.APITokenRevoke},
		{"POST /account/reminders", signedIn, auth.PermPortal, s.account.Reminders},
		{"POST /account/calendar", signedIn, auth.PermCaseload, s.account.CalendarFeedCreate},
		{"POST /account/hours", signedIn, auth.PermCaseload, s.account.Hours},
		{"POST /account/npi", signedIn, auth.PermCaseload, s.account.OwnNPI},
		{"POST /account/time-off", signedIn, auth.PermCaseload, s.account.TimeOff},
		{"POST /account/time-off/{off}/delete", signedIn, auth.PermCaseload, s.account.TimeOffDelete},
		{"POST /account/calendar/revoke", signedIn, auth.PermCaseload, s.account.CalendarFeedRevoke},
		// A clinician's calendar app: the secret link is the credential.
		{"GET /calendar/{token}", public, "", s.account.CalendarFeed},

		// Staff: patients and care teams. Object access is checked by the store.
		{"GET /calendar", signedIn, auth.PermSchedule, s.staff.Schedule},
		// Booking from a free hour of one's own week (issue 15).
		{"GET /calendar/book", signedIn, auth.PermCaseload, s.staff.BookForm},
		{"POST /calendar/book", signedIn, auth.PermCaseload, s.staff.Book},
		{"GET /patients", signedIn, auth.PermStaffApp, s.staff.Patients},
		{"GET /patients/new", signedIn, auth.PermAddPatient, s.staff.PatientNewForm},
		{"POST /patients", signedIn, auth.PermAddPatient, s.staff.PatientCreate},
		{"GET /patients/{patient}", signedIn, auth.PermStaffApp, s.staff.Patient},
		// Secure messages (issue 17): the care team's shared inbox and a
		// patient's threads.
		{"GET /messages", signedIn, auth.PermCaseload, s.messages.Inbox},
		{"GET /patients/{patient}/messages", signedIn, auth.PermCaseload, s.messages.PatientThreads},
		{"GET /patients/{patient}/messages/{thread}", signedIn, auth.PermCaseload, s.messages.StaffThread},
		{"POST /patients/{patient}/messages/{thread}", signedIn, auth.PermCaseload, s.messages.StaffReply},
		{"POST /patients/{patient}/invite", signedIn, auth.PermCaseload, s.staff.PatientInvite},
		{"POST /patients/{patient}/invite/revoke", signedIn, auth.PermCaseload, s.staff.PatientInviteRevoke},
		{"POST /patients/{patient}/reset-password", signedIn, auth.PermCaseload, s.staff.PatientResetPassword},
		{"POST /patients/{patient}/team", signedIn, auth.PermTeam, s.staff.TeamAdd},
		{"POST /patients/{patient}/team/{user}/remove", signedIn, auth.PermTeam, s.staff.TeamRemove},
		{"GET /patients/{patient}/details", signedIn, auth.PermStaffApp, s.staff.DetailsForm},
		{"POST /patients/{patient}/details", signedIn, auth.PermStaffApp, s.staff.Details},
		{"POST /patients/{patient}/stage", signedIn, auth.PermCaseload, s.staff.Stage},
		{"GET /patients/{patient}/intake", signedIn, auth.PermCaseload, s.staff.StaffIntakeForm},
		{"POST /patients/{patient}/intake", signedIn, auth.PermCaseload, s.staff.StaffIntake},
		{"POST /patients/{patient}/evaluation", signedIn, auth.PermCaseload, s.staff.Evaluation},
		{"POST /patients/{patient}/clearance", signedIn, auth.PermCaseload, s.staff.Clearance},
		{"POST /patients/{patient}/consult", signedIn, auth.PermCaseload, s.staff.Consult},
		{"POST /patients/{patient}/preparation", signedIn, auth.PermCaseload, s.staff.ChartPreparation},
		{"POST /patients/{patient}/consents/paper", signedIn, auth.PermCaseload, s.notes.ConsentPaper},
		{"POST /patients/{patient}/consents/{signature}/revoke", signedIn, auth.PermCaseload, s.notes.ConsentRevoke},
		{"GET /patients/{patient}/consents/{signature}/scan", signedIn, auth.PermCaseload, s.notes.ConsentScan},
		{"GET /patients/{patient}/consents/{signature}/consent.pdf", signedIn, auth.PermCaseload, s.notes.ConsentPDF},
		{"POST /patients/{patient}/prescription", signedIn, auth.PermCaseload, s.staff.PrescriptionRecord},
		{"POST /patients/{patient}/prescription/adjust", signedIn, auth.PermCaseload, s.staff.PrescriptionAdjust},
		{"POST /patients/{patient}/prescription/end", signedIn, auth.PermCaseload, s.staff.PrescriptionEnd},
		{"POST /patients/{patient}/appointments", signedIn, auth.PermCaseload, s.staff.Appointment},
		{"POST /patients/{patient}/appointments/{appointment}/cancel", signedIn, auth.PermCaseload, s.staff.AppointmentCancel},
		{"POST /patients/{patient}/appointments/{appointment}/move", signedIn, auth.PermCaseload, s.staff.AppointmentMove},
		{"POST /patients/{patient}/appointments/{appointment}/outcome", signedIn, auth.PermCaseload, s.staff.AppointmentOutcome},
		{"POST /patients/{patient}/alerts/{alert}/acknowledge", signedIn, auth.PermCaseload, s.staff.AcknowledgeAlert},
		{"POST /patients/{patient}/measures", signedIn, auth.PermCaseload, s.staff.AssignMeasure},
		{"POST /patients/{patient}/measures/{instrument}/end", signedIn, auth.PermCaseload, s.staff.EndMeasure},
		// The outcome summary as a PDF, for a partner prescriber or an insurer (issue 16).
		{"GET /patients/{patient}/outcome-summary.pdf", signedIn, auth.PermCaseload, s.notes.OutcomeSummaryPDF},
		// The chart's timeline and its "discussed" marks (issue 17): the care team.
		{"GET /patients/{patient}/timeline", signedIn, auth.PermCaseload, s.timeline.Page},
		{"POST /patients/{patient}/timeline/discussed", signedIn, auth.PermCaseload, s.timeline.Discussed},
		// What a superbill needs from the chart (issue 21): the diagnoses
		// (the care team) and the patient's postal address (with the details).
		{"GET /patients/{patient}/diagnoses", signedIn, auth.PermCaseload, s.diagnoses.Page},
		{"POST /patients/{patient}/diagnoses", signedIn, auth.PermCaseload, s.diagnoses.Add},
		{"POST /patients/{patient}/diagnoses/{diagnosis}/primary", signedIn, auth.PermCaseload, s.diagnoses.Primary},
		{"POST /patients/{patient}/diagnoses/{diagnosis}/remove", signedIn, auth.PermCaseload, s.diagnoses.Remove},
		{"GET /patients/{patient}/address", signedIn, auth.PermStaffApp, s.diagnoses.AddressForm},
		{"POST /patients/{patient}/address", signedIn, auth.PermStaffApp, s.diagnoses.AddressSave},
		// A patient's ledger (issue 21): read by PermBillingRead, recorded
		// by PermBilling (the care team's therapist, admins).
		{"GET /patients/{patient}/billing", signedIn, auth.PermBillingRead, s.billing.Ledger},
		{"POST /patients/{patient}/billing/payments", signedIn, auth.PermBilling, s.billing.Payment},
		{"POST /patients/{patient}/billing/credit", signedIn, auth.PermBilling, s.billing.Credit},
		{"POST /patients/{patient}/billing/refunds", signedIn, auth.PermBilling, s.billing.Refund},
		{"POST /patients/{patient}/billing/write-offs", signedIn, auth.PermBilling, s.billing.WriteOff},
		{"POST /patients/{patient}/billing/corrections", signedIn, auth.PermBilling, s.billing.Correction},
		{"POST /patients/{patient}/billing/packages", signedIn, auth.PermBilling, s.billing.SellPackage},
		{"POST /patients/{patient}/billing/packages/close", signedIn, auth.PermBilling, s.billing.ClosePackage},
		{"POST /patients/{patient}/billing/tier", signedIn, auth.PermBilling, s.billing.Tier},
		// Superbills and statements (issue 21): staff who may take payments
		// download them and send them to the patient; the patient in the portal.
		{"GET /patients/{patient}/statements", signedIn, auth.PermBilling, s.superbill.Page},
		{"GET /patients/{patient}/statements/superbill.pdf", signedIn, auth.PermBilling, s.superbill.SuperbillPDF},
		{"GET /patients/{patient}/statements/statement.pdf", signedIn, auth.PermBilling, s.superbill.StatementPDF},
		{"POST /patients/{patient}/statements/send", signedIn, auth.PermBilling, s.superbill.Send},
		{"GET /portal/billing", signedIn, auth.PermPortal, s.superbill.Portal},
		{"GET /portal/billing/superbill.pdf", signedIn, auth.PermPortal, s.superbill.PortalSuperbillPDF},
		{"GET /portal/billing/statement.pdf", signedIn, auth.PermPortal, s.superbill.PortalStatementPDF},
		{"GET /patients/{patient}/emergency", signedIn, auth.PermEmergency, s.staff.EmergencyForm},
		{"POST /patients/{patient}/emergency", signedIn, auth.PermEmergency, s.staff.Emergency},
		// Psychotherapy notes: each its author's alone (the store checks the
		// author; anyone else is told it does not exist).
		// What the patient shared of their skills entries and diary card
		// (issue 17); a private entry is not found.
		{"GET /patients/{patient}/skills", signedIn, auth.PermCaseload, s.skills.Chart},
		{"GET /patients/{patient}/skills/{entry}", signedIn, auth.PermCaseload, s.skills.StaffEntry},
		{"POST /patients/{patient}/skills/urges", signedIn, auth.PermCaseload, s.skills.SaveUrges},
		{"GET /patients/{patient}/psychnotes", signedIn, auth.PermPsychNote, s.notes.PsychNoteList},
		{"GET /patients/{patient}/psychnotes/new", signedIn, auth.PermPsychNote, s.notes.PsychNoteNew},
		{"POST /patients/{patient}/psychnotes", signedIn, auth.PermPsychNote, s.notes.PsychNoteCreate},
		{"GET /patients/{patient}/psychnotes/{psychnote}", signedIn, auth.PermPsychNote, s.notes.PsychNoteEdit},
		{"POST /patients/{patient}/psychnotes/{psychnote}", signedIn, auth.PermPsychNote, s.notes.PsychNoteSave},
		// The safety plan on the chart (issue 17): the care team reads and
		// edits it with the patient; every save is a new version.
		{"GET /patients/{patient}/safety-plan", signedIn, auth.PermCaseload, s.safety.Chart},
		{"GET /patients/{patient}/safety-plan/edit", signedIn, auth.PermCaseload, s.safety.ChartEdit},
		{"GET /patients/{patient}/safety-plan/history", signedIn, auth.PermCaseload, s.safety.ChartHistory},
		{"POST /patients/{patient}/safety-plan", signedIn, auth.PermCaseload, s.safety.ChartSave},

		// Staff: clinical notes (issue 16). A draft posted after the
		// session ended is carried through sign-in (carriesDraft).
		{"GET /patients/{patient}/notes", signedIn, auth.PermNoteRead, s.notes.NoteList},
		{"GET /patients/{patient}/appointments/{appointment}/note", signedIn, auth.PermNoteRead, s.notes.Note},
		{"GET /patients/{patient}/appointments/{appointment}/note.pdf", signedIn, auth.PermNoteRead, s.notes.NotePDF},
		{"POST /patients/{patient}/appointments/{appointment}/note", signedIn, auth.PermNoteWrite, s.notes.NoteSave},
		{"POST /patients/{patient}/appointments/{appointment}/note/sign", signedIn, auth.PermNoteWrite, s.notes.NoteSign},
		{"POST /patients/{patient}/appointments/{appointment}/note/addenda", signedIn, auth.PermNoteWrite, s.notes.NoteAddendum},
		// Co-signature: the supervisor named for a note's author reads that
		// note (not the chart) and co-signs or returns it; the store works
		// out the relation from the note (auth.RelCosigner).
		{"GET /notes/cosign", signedIn, auth.PermNoteCosign, s.notes.CosignList},
		// Late notes: a clinician's own appointments, the practice's for
		// an administrator (the store decides which; metadata only).
		{"GET /notes/late", signedIn, auth.PermStaffApp, s.notes.LateNotes},
		{"GET /notes/cosign/{note}", signedIn, auth.PermNoteCosign, s.notes.Cosign},
		{"POST /notes/cosign/{note}", signedIn, auth.PermNoteCosign, s.notes.CosignSign},
		{"POST /notes/cosign/{note}/return", signedIn, auth.PermNoteCosign, s.notes.CosignReturn},

		// Staff: the dosing session.
		{"POST /patients/{patient}/dosing", signedIn, auth.PermDosing, s.staff.DosingStart},
		{"GET /patients/{patient}/dosing/{session}", signedIn, auth.PermDosing, s.staff.DosingSession},
		{"POST /patients/{patient}/dosing/{session}/gate", signedIn, auth.PermDosing, s.staff.DosingGate},
		{"POST /patients/{patient}/dosing/{session}/dose", signedIn, auth.PermDosing, s.staff.DosingDose},
		{"POST /patients/{patient}/dosing/{session}/vitals", signedIn, auth.PermDosing, s.staff.DosingVitals},
		{"POST /patients/{patient}/dosing/{session}/events", signedIn, auth.PermDosing, s.staff.DosingEvent},
		{"POST /patients/{patient}/dosing/{session}/discharge", signedIn, auth.PermDosing, s.staff.DosingDischarge},
		{"POST /patients/{patient}/dosing/{session}/stop", signedIn, auth.PermDosing, s.staff.DosingStop},
		// A remote session's chaperone link (issue 20): made and revoked by
		// the clinician; the link opens the chaperone's page, no account.
		{"POST /patients/{patient}/dosing/{session}/chaperone", signedIn, auth.PermDosing, s.chaperone.LinkCreate},
		{"POST /patients/{patient}/dosing/{session}/chaperone/revoke", signedIn, auth.PermDosing, s.chaperone.LinkRevoke},
		{"GET /patients/{patient}/dosing/{session}/chaperone/alarm", signedIn, auth.PermDosing, s.chaperone.Alarm},
		{"GET /chaperone/{token}", public, "", s.chaperone.Page},
		{"POST /chaperone/{token}/check", public, "", s.chaperone.CheckIn},
		{"POST /chaperone/{token}/help", public, "", s.chaperone.Help},
		// The practice's session-safety settings: prescribers set them;
		// administrators may read them.
		{"GET /settings/dosing", signedIn, auth.PermSafetySettings, s.staff.Safety},
		// Staff: the controlled-substance log (issue 20, part 1).
		{"GET /controlled", signedIn, auth.PermControlledRead, s.controlled.Controlled},
		{"POST /controlled/products", signedIn, auth.PermControlled, s.controlled.ControlledProduct},
		{"POST /controlled/receipts", signedIn, auth.PermControlled, s.controlled.ControlledReceipt},
		{"POST /controlled/entries", signedIn, auth.PermControlled, s.controlled.ControlledEntry},
		{"POST /controlled/dispense", signedIn, auth.PermControlled, s.controlled.ControlledDispense},
		{"GET /controlled/reports", signedIn, auth.PermControlledRead, s.controlled.ControlledReport},
		// Billing reports and the accountant's CSV files (issue 21).
		{"GET /billing/reports", signedIn, auth.PermBillingReports, s.billingreports.Page},
		{"GET /billing/reports/csv/{report}", signedIn, auth.PermBillingReports, s.billingreports.CSV},
		// The REMS patient monitoring form of a session (issue 20).
		{"GET /patients/{patient}/dosing/{session}/rems", signedIn, auth.PermDosing, s.rems.Form},
		{"GET /patients/{patient}/dosing/{session}/rems.pdf", signedIn, auth.PermDosing, s.rems.PDF},
		{"POST /patients/{patient}/dosing/{session}/rems", signedIn, auth.PermPrescriberCall, s.rems.Save},
		{"POST /patients/{patient}/dosing/{session}/rems/refresh", signedIn, auth.PermPrescriberCall, s.rems.Refresh},
		{"POST /patients/{patient}/dosing/{session}/rems/sign", signedIn, auth.PermPrescriberCall, s.rems.Sign},
		{"POST /patients/{patient}/dosing/{session}/rems/submitted", signedIn, auth.PermPrescriberCall, s.rems.Submitted},
		{"POST /patients/{patient}/dosing/{session}/rems/correct", signedIn, auth.PermPrescriberCall, s.rems.Correct},
		{"GET /rems", signedIn, auth.PermPrescriberCall, s.rems.List},
		{"POST /settings/dosing", signedIn, auth.PermSetThresholds, s.staff.SafetySave},

		// Staff: the inquiry inbox. Prescribers reach it from the staff
		// menu and are told who answers inquiries; they see none.
		{"GET /inquiries", signedIn, auth.PermStaffApp, s.inquiries.Inquiries},
		// The inbox searched by name or email: POST, so the words stay out of URLs.
		{"POST /inquiries", signedIn, auth.PermStaffApp, s.inquiries.Inquiries},
		{"GET /inquiries/{inquiry}", signedIn, auth.PermInquiries, s.inquiries.InquiryView},
		{"POST /inquiries/{inquiry}/status", signedIn, auth.PermInquiries, s.inquiries.InquiryStatus},
		{"POST /inquiries/{inquiry}/convert", signedIn, auth.PermConvertInquiry, s.inquiries.InquiryConvert},

		// Screening reference.
		{"GET /medications/lookup", signedIn, "", s.staff.MedicationLookup},
		{"GET /screening/rules", signedIn, auth.PermStaffApp, s.staff.Rules},

		// Outcomes across patients.
		{"GET /outcomes", signedIn, auth.PermStaffApp, s.staff.Outcomes},
		{"GET /outcomes.csv", signedIn, auth.PermStaffApp, s.staff.OutcomesCSV},
		{"POST /outcomes/window", signedIn, auth.PermSettings, s.staff.OutcomeWindow},

		// Admin: accounts, the audit log, break-glass review.
		{"GET /admin/users", signedIn, auth.PermAccounts, s.admin.Users},
		{"GET /admin/users/new", signedIn, auth.PermAccounts, s.admin.UserNewForm},
		{"POST /admin/users", signedIn, auth.PermAccounts, s.admin.UserInvite},
		{"POST /admin/users/search", signedIn, auth.PermAccounts, s.admin.Users},
		{"GET /admin/users/{user}", signedIn, auth.PermAccounts, s.admin.StaffUser},
		{"POST /admin/users/{user}/supervisor", signedIn, auth.PermAccounts, s.admin.StaffUserSupervisor},
		{"POST /admin/users/{user}/controlled", signedIn, auth.PermAccounts, s.admin.StaffUserControlled},
		{"POST /admin/users/{user}/npi", signedIn, auth.PermAccounts, s.admin.StaffUserNPI},
		{"POST /admin/users/{user}/disable", signedIn, auth.PermAccounts, s.admin.UserDisable},
		{"POST /admin/users/{user}/enable", signedIn, auth.PermAccounts, s.admin.UserEnable},
		{"POST /admin/users/{user}/reset-password", signedIn, auth.PermAccounts, s.admin.UserResetPassword},
		{"POST /admin/users/{user}/reset-mfa", signedIn, auth.PermAccounts, s.admin.UserResetMFA},
		{"POST /admin/invitations/{invitation}/resend", signedIn, auth.PermAccounts, s.admin.InvitationResend},
		{"POST /admin/invitations/{invitation}/revoke", signedIn, auth.PermAccounts, s.admin.InvitationRevoke},
		{"GET /admin/instruments", signedIn, auth.PermInstruments, s.admin.Instruments},
		{"POST /admin/instruments/{instrument}", signedIn, auth.PermInstruments, s.admin.InstrumentText},
		{"GET /admin/consents", signedIn, auth.PermConsentDocuments, s.admin.Consents},
		{"GET /admin/consents/{kind}", signedIn, auth.PermConsentDocuments, s.admin.ConsentKind},
		{"POST /admin/consents/{kind}", signedIn, auth.PermConsentDocuments, s.admin.ConsentPublish},
		{"GET /admin/consents/{kind}/{document}", signedIn, auth.PermConsentDocuments, s.admin.ConsentVersion},
		{"GET /admin/audit", signedIn, auth.PermAuditLog, s.admin.Audit},
		{"GET /admin/audit/witness", signedIn, auth.PermSettings, s.admin.Witness},
		{"POST /admin/audit/witness", signedIn, auth.PermSettings, s.admin.WitnessSave},
		{"GET /admin/emergency", signedIn, auth.PermEmergencyReview, s.admin.EmergencyReviews},
		{"POST /admin/emergency/{grant}/review", signedIn, auth.PermEmergencyReview, s.admin.EmergencyReview},
		{"GET /admin/practice", signedIn, auth.PermSettings, s.admin.Practice},
		{"POST /admin/practice", signedIn, auth.PermSettings, s.admin.PracticeSave},
		// Note settings (issue 16): late after N days, templates per kind.
		{"GET /admin/notes", signedIn, auth.PermSettings, s.admin.NoteSettings},
		{"POST /admin/notes/late", signedIn, auth.PermSettings, s.admin.NoteLateDaysSave},
		{"GET /admin/notes/templates/{kind}", signedIn, auth.PermSettings, s.admin.NoteTemplateForm},
		{"POST /admin/notes/templates/{kind}", signedIn, auth.PermSettings, s.admin.NoteTemplateSave},
		{"POST /admin/notes/templates/{kind}/reset", signedIn, auth.PermSettings, s.admin.NoteTemplateReset},
		{"GET /admin/rooms", signedIn, auth.PermRooms, s.admin.Rooms},
		{"POST /admin/rooms", signedIn, auth.PermRooms, s.admin.RoomCreate},
		{"POST /admin/rooms/{room}/archive", signedIn, auth.PermRooms, s.admin.RoomArchive},
		// The practice's fees (issue 21): /fees is the public site's page.
		{"GET /admin/fees", signedIn, auth.PermFees, s.billing.Fees},
		{"POST /admin/fees/schedule", signedIn, auth.PermFees, s.billing.FeeSave},
		{"POST /admin/fees/schedule/{fee}/archive", signedIn, auth.PermFees, s.billing.FeeArchive},
		{"POST /admin/fees/tiers", signedIn, auth.PermFees, s.billing.TierAdd},
		{"POST /admin/fees/tiers/{tier}/archive", signedIn, auth.PermFees, s.billing.TierArchive},
		{"POST /admin/fees/packages", signedIn, auth.PermFees, s.billing.PackageAdd},
		{"POST /admin/fees/packages/{package}/archive", signedIn, auth.PermFees, s.billing.PackageArchive},
		{"POST /admin/fees/policy", signedIn, auth.PermFees, s.billing.PolicySave},
		// SMART apps and backend services (issue 19).
		{"GET /admin/apps", signedIn, auth.PermAccounts, s.admin.Apps},
		{"POST /admin/apps", signedIn, auth.PermAccounts, s.admin.AppCreate},
		{"POST /admin/apps/{app}/revoke", signedIn, auth.PermAccounts, s.admin.AppRevoke},
		{"GET /admin/jobs", signedIn, auth.PermJobs, s.admin.Jobs},
		{"POST /admin/jobs/retry", signedIn, auth.PermJobs, s.admin.JobsRetry},
		{"GET /admin/outbox", signedIn, auth.PermOutbox, s.admin.Outbox},

		// The patient portal.
		{"GET /portal", signedIn, auth.PermPortal, s.portal.Home},
		{"GET /portal/access", signedIn, auth.PermPortal, s.portal.AccessReport},
		{"GET /portal/record.json", signedIn, auth.PermPortal, s.portal.RecordJSON},
		{"GET /portal/record.pdf", signedIn, auth.PermPortal, s.portal.RecordPDF},
		{"GET /portal/checkins", signedIn, auth.PermPortal, s.portal.Checkins},
		{"GET /portal/checkins/{instrument}", signedIn, auth.PermPortal, s.portal.CheckinForm},
		{"POST /portal/checkins/{instrument}", signedIn, auth.PermPortal, s.portal.Checkin},
		{"GET /portal/progress", signedIn, auth.PermPortal, s.portal.Progress},
		{"GET /portal/appointments", signedIn, auth.PermPortal, s.portal.Appointments},
		{"GET /portal/appointments/{appointment}/ics", signedIn, auth.PermPortal, s.portal.AppointmentICS},
		{"GET /portal/intake", signedIn, auth.PermPortal, s.portal.IntakeForm},
		{"POST /portal/intake", signedIn, auth.PermPortal, s.portal.Intake},
		{"GET /portal/preparation", signedIn, auth.PermPortal, s.portal.PreparationForm},
		{"POST /portal/preparation", signedIn, auth.PermPortal, s.portal.Preparation},
		{"GET /portal/consents", signedIn, auth.PermPortal, s.portal.Consents},
		{"GET /portal/consents/{kind}", signedIn, auth.PermPortal, s.portal.ConsentRead},
		{"POST /portal/consents/{kind}/sign", signedIn, auth.PermPortal, s.portal.ConsentSign},
		{"POST /portal/consents/{kind}/revoke", signedIn, auth.PermPortal, s.portal.ConsentRevoke},
		{"GET /portal/consents/{kind}/{signature}/consent.pdf", signedIn, auth.PermPortal, s.notes.PortalConsentPDF},
		{"GET /portal/journal", signedIn, auth.PermPortal, s.portal.Journal},
		{"GET /portal/journal/new", signedIn, auth.PermPortal, s.portal.JournalNew},
		{"GET /portal/journal/entry", signedIn, auth.PermPortal, s.portal.JournalEntry},
		{"POST /portal/journal", signedIn, auth.PermPortal, s.portal.JournalSave},
		// DBT skills and the diary card (issue 17): the patient's own (the
		// store checks the entry is theirs).
		{"GET /portal/skills", signedIn, auth.PermPortal, s.skills.Home},
		{"GET /portal/skills/new", signedIn, auth.PermPortal, s.skills.New},
		{"GET /portal/skills/week", signedIn, auth.PermPortal, s.skills.Week},
		{"GET /portal/skills/{entry}", signedIn, auth.PermPortal, s.skills.Entry},
		{"POST /portal/skills", signedIn, auth.PermPortal, s.skills.Save},
		{"POST /portal/skills/{entry}/share", signedIn, auth.PermPortal, s.skills.Share},
		// Secure messages (issue 17): the patient's own threads, found
		// from the session's patient, never from the URL.
		{"GET /portal/messages", signedIn, auth.PermPortal, s.messages.PortalList},
		{"POST /portal/messages", signedIn, auth.PermPortal, s.messages.PortalStart},
		{"GET /portal/messages/{thread}", signedIn, auth.PermPortal, s.messages.PortalThread},
		{"POST /portal/messages/{thread}", signedIn, auth.PermPortal, s.messages.PortalReply},
		// The patient's safety plan (issue 17), kept offline by /sw.js.
		{"GET /portal/safety-plan", signedIn, auth.PermPortal, s.safety.Portal},
		{"GET /portal/safety-plan/edit", signedIn, auth.PermPortal, s.safety.PortalEdit},
		{"GET /portal/safety-plan/history", signedIn, auth.PermPortal, s.safety.PortalHistory},
		{"POST /portal/safety-plan", signedIn, auth.PermPortal, s.safety.PortalSave},

		// The FHIR R4 API (issue 19): GET /fhir/metadata for anyone, the
		// rest with a personal API token; read-only, so every other method
		// is answered 405 with an OperationOutcome (after the token).
		// SMART App Launch 2: the authorization endpoint needs the
		// person's session, so it is a page (it sends a person who is not
		// signed in to sign in, and back); discovery and the token
		// endpoint are the FHIR API's (/fhir/.well-known/..., /fhir/token).
		{"GET /oauth/authorize", public, "", s.account.Authorize},
		{"POST /oauth/authorize", signedIn, "", s.account.AuthorizeDecide},
		{"GET /.well-known/smart-configuration", public, "", s.fhir.ServeHTTP},
		{"GET /fhir/", bearerToken, "", s.fhir.ServeHTTP},
		{"POST /fhir/", bearerToken, "", s.fhir.ServeHTTP},
		{"PUT /fhir/", bearerToken, "", s.fhir.ServeHTTP},
		{"PATCH /fhir/", bearerToken, "", s.fhir.ServeHTTP},
		{"DELETE /fhir/", bearerToken, "", s.fhir.ServeHTTP},
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
		case public, bearerToken:
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
				if uid := shell.EndedUser(r); uid != "" && carriesDraft[rt.pattern] && r.PostFormValue("format") != "" {
					// A note posted with the cookie of a session that
					// ended by its limits is kept through sign-in for
					// that session's user (issue 16; the cookie stays
					// after a background save found the session ended).
					// A post with no cookie, or any other, carries
					// nothing: it is sent to sign in like any other.
					s.CarryToSignIn(w, r, uid)
					return
				}
				http.Redirect(w, r, toLogin, http.StatusSeeOther)
				return
			}
			if !sess.MFADone {
				if carriesDraft[rt.pattern] && r.PostFormValue("format") != "" {
					// A note posted by a half-signed-in session goes on
					// with its second step, carried for its user (review
					// finding 2), rather than dropped by the redirect.
					s.account.SecondStepCarrying(w, r)
					return
				}
				http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
				return
			}
			if rt.perm != "" && !auth.CanSome(sess.User.Role, rt.perm) {
				s.Store.Audit(r.Context(), s.Actor(r), storeEntryDenied(rt.pattern))
				s.NotFound(w, r)
				return
			}
			// A change to a patient's record is refused here, before its
			// handler reads the form, when the caller's relation to the
			// patient does not allow it: a refused write (emergency
			// access, another team's patient) is answered and audited the
			// same whatever was typed. Pages (GET) are left to the store,
			// whose refusal some pages answer in their own way.
			if perm := onRecord[rt.pattern]; perm != "" && r.Method != http.MethodGet {
				if err := s.Store.AuthorizeRecord(r.Context(), s.Actor(r), r.PathValue("patient"), perm, rt.pattern); err != nil {
					s.Error(w, r, err)
					return
				}
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

// onRecord names, for every route on one patient's record (a {patient} in
// its pattern), the permission asked of the caller's relation to that
// patient (auth.Can) before the route answers; "" is a route that reads
// nothing of the record (the emergency form: the same page for any id).
// The route's perm is its role gate, checked first. guard checks it for
// every method but GET (the store checks pages, and checks writes again).
// The route-access matrix (access_test.go) computes its expected answers
// from these two and the policy table, and fails for a {patient} route
// missing here.
var onRecord = map[string]auth.Permission{
	"GET /patients/{patient}":                                     auth.PermProfile,
	"POST /patients/{patient}/invite":                             auth.PermAccount,
	"POST /patients/{patient}/invite/revoke":                      auth.PermAccount,
	"POST /patients/{patient}/reset-password":                     auth.PermAccount,
	"POST /patients/{patient}/team":                               auth.PermTeam,
	"POST /patients/{patient}/team/{user}/remove":                 auth.PermTeam,
	"GET /patients/{patient}/details":                             auth.PermDetails,
	"POST /patients/{patient}/details":                            auth.PermDetails,
	"POST /patients/{patient}/stage":                              auth.PermClinical,
	"GET /patients/{patient}/intake":                              auth.PermChart,
	"POST /patients/{patient}/intake":                             auth.PermForms,
	"POST /patients/{patient}/evaluation":                         auth.PermEvaluation,
	"POST /patients/{patient}/clearance":                          auth.PermClearance,
	"POST /patients/{patient}/consult":                            auth.PermClinical,
	"POST /patients/{patient}/preparation":                        auth.PermPreparation,
	"POST /patients/{patient}/consents/paper":                     auth.PermConsent,
	"POST /patients/{patient}/consents/{signature}/revoke":        auth.PermConsent,
	"GET /patients/{patient}/consents/{signature}/scan":           auth.PermChart,
	"GET /patients/{patient}/consents/{signature}/consent.pdf":    auth.PermConsent,
	"POST /patients/{patient}/prescription":                       auth.PermPrescribe,
	"POST /patients/{patient}/prescription/adjust":                auth.PermPrescribe,
	"POST /patients/{patient}/prescription/end":                   auth.PermPrescribe,
	"POST /patients/{patient}/appointments":                       auth.PermClinical,
	"POST /patients/{patient}/appointments/{appointment}/cancel":  auth.PermClinical,
	"POST /patients/{patient}/appointments/{appointment}/move":    auth.PermClinical,
	"POST /patients/{patient}/appointments/{appointment}/outcome": auth.PermClinical,
	"POST /patients/{patient}/alerts/{alert}/acknowledge":         auth.PermClinical,
	"POST /patients/{patient}/measures":                           auth.PermClinical,
	"POST /patients/{patient}/measures/{instrument}/end":          auth.PermClinical,
	"GET /patients/{patient}/outcome-summary.pdf":                 auth.PermChart,
	"GET /patients/{patient}/diagnoses":                           auth.PermChart,
	"POST /patients/{patient}/diagnoses":                          auth.PermClinical,
	"POST /patients/{patient}/diagnoses/{diagnosis}/remove":       auth.PermClinical,
	"POST /patients/{patient}/diagnoses/{diagnosis}/primary":      auth.PermClinical,
	"GET /patients/{patient}/address":                             auth.PermDetails,
	"POST /patients/{patient}/address":                            auth.PermDetails,
	"GET /patients/{patient}/statements":                          auth.PermBillingRead,
	"GET /patients/{patient}/statements/superbill.pdf":            auth.PermBillingRead,
	"GET /patients/{patient}/statements/statement.pdf":            auth.PermBillingRead,
	"POST /patients/{patient}/statements/send":                    auth.PermBilling,
	"GET /patients/{patient}/timeline":                            auth.PermTimeline,
	"POST /patients/{patient}/timeline/discussed":                 auth.PermDiscuss,
	"GET /patients/{patient}/emergency":                           "",
	"POST /patients/{patient}/emergency":                          auth.PermEmergency,
	"GET /patients/{patient}/psychnotes":                          auth.PermPsychNote,
	"GET /patients/{patient}/psychnotes/new":                      auth.PermPsychNote,
	"POST /patients/{patient}/psychnotes":                         auth.PermPsychNote,
	"GET /patients/{patient}/psychnotes/{psychnote}":              auth.PermPsychNote,
	"POST /patients/{patient}/psychnotes/{psychnote}":             auth.PermPsychNote,
	"POST /patients/{patient}/dosing":                             auth.PermDosing,
	"GET /patients/{patient}/dosing/{session}":                    auth.PermChart,
	"POST /patients/{patient}/dosing/{session}/gate":              auth.PermDosing,
	"POST /patients/{patient}/dosing/{session}/dose":              auth.PermDosing,
	"POST /patients/{patient}/dosing/{session}/vitals":            auth.PermDosing,
	"POST /patients/{patient}/dosing/{session}/events":            auth.PermDosing,
	"POST /patients/{patient}/dosing/{session}/discharge":         auth.PermDosing,
	"POST /patients/{patient}/dosing/{session}/stop":              auth.PermDosing,
	"POST /patients/{patient}/dosing/{session}/chaperone":         auth.PermDosing,
	"POST /patients/{patient}/dosing/{session}/chaperone/revoke":  auth.PermDosing,
	"GET /patients/{patient}/dosing/{session}/chaperone/alarm":    auth.PermChart,
	// The session's REMS form (issue 20): read with the chart; written
	// by a prescriber (the route's role gate) who may run the session.
	"GET /patients/{patient}/dosing/{session}/rems":            auth.PermChart,
	"GET /patients/{patient}/dosing/{session}/rems.pdf":        auth.PermChart,
	"POST /patients/{patient}/dosing/{session}/rems":           auth.PermDosing,
	"POST /patients/{patient}/dosing/{session}/rems/refresh":   auth.PermDosing,
	"POST /patients/{patient}/dosing/{session}/rems/sign":      auth.PermDosing,
	"POST /patients/{patient}/dosing/{session}/rems/submitted": auth.PermDosing,
	"POST /patients/{patient}/dosing/{session}/rems/correct":   auth.PermDosing,

	// Skills and the diary card (issue 17).
	"GET /patients/{patient}/skills":         auth.PermSharedSkills,
	"GET /patients/{patient}/skills/{entry}": auth.PermSharedSkills,
	"POST /patients/{patient}/skills/urges":  auth.PermClinical,

	// Clinical notes (issue 16).
	"GET /patients/{patient}/notes":                                    auth.PermNoteRead,
	"GET /patients/{patient}/appointments/{appointment}/note":          auth.PermNoteRead,
	"GET /patients/{patient}/appointments/{appointment}/note.pdf":      auth.PermNoteRead,
	"POST /patients/{patient}/appointments/{appointment}/note":         auth.PermNoteWrite,
	"POST /patients/{patient}/appointments/{appointment}/note/sign":    auth.PermNoteWrite,
	"POST /patients/{patient}/appointments/{appointment}/note/addenda": auth.PermNoteWrite,

	// Secure messages (issue 17).
	"GET /patients/{patient}/messages":           auth.PermMessages,
	"GET /patients/{patient}/messages/{thread}":  auth.PermMessages,
	"POST /patients/{patient}/messages/{thread}": auth.PermMessages,
	// The safety plan (issue 17).
	"GET /patients/{patient}/safety-plan":         auth.PermSafetyPlan,
	"GET /patients/{patient}/safety-plan/edit":    auth.PermSafetyPlanEdit,
	"GET /patients/{patient}/safety-plan/history": auth.PermSafetyPlan,
	"POST /patients/{patient}/safety-plan":        auth.PermSafetyPlanEdit,

	// A patient's ledger (issue 21).
	"GET /patients/{patient}/billing":              auth.PermBillingRead,
	"POST /patients/{patient}/billing/payments":    auth.PermBilling,
	"POST /patients/{patient}/billing/credit":      auth.PermBilling,
	"POST /patients/{patient}/billing/refunds":     auth.PermBilling,
	"POST /patients/{patient}/billing/write-offs":  auth.PermBilling,
	"POST /patients/{patient}/billing/corrections": auth.PermBilling,
	"POST /patients/{patient}/billing/packages":    auth.PermBilling,
	"POST /patients/{patient}/billing/tier":        auth.PermBilling,

	// Closing a package a patient bought (issue 21 review).
	"POST /patients/{patient}/billing/packages/close": auth.PermBilling,
}

// carriesDraft names the routes whose post, arriving after the session
// ended, is sealed into the sign-in page and saved after sign-in
// (shell.CarryToSignIn; account.Handlers.ApplyCarry) rather than dropped:
// a clinical note's draft and its signing (saved as a draft, never signed
// without the clinician seeing it again).
var carriesDraft = map[string]bool{
	"POST /patients/{patient}/appointments/{appointment}/note":      true,
	"POST /patients/{patient}/appointments/{appointment}/note/sign": true,
}
