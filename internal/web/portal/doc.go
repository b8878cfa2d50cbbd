// Package portal serves the patient portal: the patient's home, check-ins,
// progress, appointments (and their calendar files), the intake
// questionnaire, the preparation record, the integration journal, and who
// viewed their record. Every page is the signed-in patient's own
// (shell.OwnPatient).
//
// It imports internal/web/shell and the domain packages, never another
// face. Its routes are in internal/web/routes.go.
package portal
