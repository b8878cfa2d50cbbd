// Package account serves signing in and every user's own account: the
// sign-in and second-factor pages, sign-out, the single-use setup, invite
// and reset links, and /account (sessions, password, two-step verification,
// a patient's reminders, a clinician's hours, time off and calendar link,
// and the calendar feed that link serves).
//
// It imports internal/web/shell and the domain packages, never another
// face. Its routes are in internal/web/routes.go.
package account
