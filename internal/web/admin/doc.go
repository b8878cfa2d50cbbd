// Package admin serves practice administration: accounts, rooms, the
// practice's settings, questionnaire wording, background jobs and the email
// outbox, the audit log, and the review of emergency (break-glass) access.
//
// It imports internal/web/shell and the domain packages, never another
// face. Its routes are in internal/web/routes.go.
package admin
