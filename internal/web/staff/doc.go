// Package staff serves the clinicians' app: the caseload and a patient's
// chart (details, stage, intake, evaluation, clearance, consults,
// appointments, alerts, measures, preparation, prescription, emergency
// access), the dosing session, the calendar and day view,
// outcomes across patients, the screening rules and the session-safety
// settings.
//
// It imports internal/web/shell and the domain packages, never another
// face. Its routes are in internal/web/routes.go.
package staff
