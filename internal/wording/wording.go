// Package wording puts the program's code names into plain words for the
// people who read its pages: background job kinds on the jobs page, and
// audit actions in a patient's access report. A name it does not know is
// never shown as code.
package wording

import (
	"strings"

	"github.com/kapstone/kapstone/internal/store"
)

// JobKind names a background job's kind in words for the jobs page
// (issue 15: code names stay in code); a kind it does not know is shown as
// it is.
func JobKind(kind string) string {
	switch kind {
	case store.JobAlertEmail:
		return "Safety alert email to the care team"
	case store.JobReminder:
		return "Appointment reminder to the patient"
	case store.JobCheckinInvite:
		return "Check-in invitation to the patient"
	case store.JobCopeReminder:
		return "Cope-ahead reminder to the patient"
	case store.JobWitnessEmail:
		return "Audit witness checkpoint by email"
	case store.JobWitnessHTTP:
		return "Audit witness checkpoint to the web address"
	case store.JobPasswordResetEmail:
		return "Password reset link by email"
	case store.JobMessageEmail:
		return "New-message email (no content)"
	case store.JobStatementEmail:
		return "Billing-document email to the patient (no content)"
	case store.BulkExportJobKind:
		return "FHIR bulk export, asked for by a member of staff"
	case store.BulkSweepJobKind:
		return "Deletes expired FHIR bulk exports"
	case store.JobChaperoneWatch:
		return "Looks for a missed chaperone check-in (remote dosing session)"
	}
	// A kind with no words of its own yet: never its code name.
	return "Background task"
}

// Action says in plain words what an audit action did to a patient's
// record, for the patient's access report.
func Action(action string) string {
	switch action {
	case "patient.read", "chart.read", "fhir.read", "record.export", "record_summary.export": // through the FHIR API, and a copy of the record (issue 19)
		return "Opened your record"
	case "cs.administer", "cs.dispense": // the controlled-substance log (issue 20)
		return "Recorded your dose in the practice's controlled-substance log"
	case "intake.read":
		return "Read your health questionnaire"
	case "intake.save", "intake.submit":
		return "Saved your health questionnaire"
	case "patient.update":
		return "Updated your details"
	case "course.stage":
		return "Moved your treatment to a new stage"
	case "evaluation.save":
		return "Recorded your evaluation"
	case "clearance.record", "clearance.override":
		return "Recorded a medical clearance decision"
	case "consult.post":
		return "Wrote to your care team about your care"
	case "appointment.create":
		return "Booked an appointment"
	case "patient.create":
		return "Added you as a patient"
	case "team.add":
		return "Added someone to your care team"
	case "team.remove":
		return "Removed someone from your care team"
	case "token.invite.create":
		return "Made your portal invitation"
	case "token.invite.resend":
		return "Sent your portal invitation again, with a new link"
	case "token.invite.revoke":
		return "Withdrew your portal invitation"
	case "token.invite.use":
		return "Joined the portal"
	case "token.reset.create":
		return "Made a password reset link for your account"
	case "password.reset":
		return "Changed your password with a reset link"
	case "patient.search":
		return "Found your name in a search (name only)"
	case "emergency.grant":
		return "Opened your record in an emergency"
	case "emergency.review":
		return "Reviewed an emergency access to your record"
	case "audit.view":
		return "Looked at the audit log about you"
	case "appointment.cancel":
		return "Cancelled an appointment"
	case "appointment.move":
		return "Moved an appointment"
	case "appointment.outcome":
		return "Recorded whether an appointment took place"
	case "appointments.read":
		return "Looked at your appointments"
	case "calendar.read":
		return "Saw your appointment on the practice calendar"
	case "calendar.feed.read":
		return "A clinician's calendar app fetched your appointment (initials and kind only)"
	case "reminder.send":
		return "Sent you an appointment reminder"
	case "checkin.invite":
		return "Invited you to a check-in before a session"
	case "preparation.read", "preparation.history":
		return "Read your preparation record"
	case "preparation.save":
		return "Updated your preparation record"
	case "prescription.read":
		return "Read your prescription record"
	case "prescription.record", "prescription.adjust", "prescription.end":
		return "Recorded your prescription"
	case "journal.read":
		return "Read the journal entries you shared"
	case "skills.read":
		return "Read the skills entries and diary cards you shared"
	case "skills.remind":
		return "Sent you a reminder of a cope-ahead plan"
	case "skills.urges":
		return "Chose the urges on your diary card"
	case "message.list", "message.read":
		return "Read your messages"
	case "message.send":
		return "Sent a message in your conversation with your care team"
	case "message.notify":
		return "Emailed that a new message was waiting (no content)"
	case "message.inbox":
		return "Saw your conversation in the care team's inbox"
	case "dosing.read", "dosing.list":
		return "Read your dosing session record"
	// A session at home's chaperone link (issue 20).
	case "chaperone.link":
		return "Made a link for the chaperone of your dosing session at home"
	case "chaperone.email":
		return "Emailed the chaperone their link (nothing about you)"
	case "chaperone.revoke":
		return "Ended the chaperone link of your dosing session"
	case "chaperone.read":
		return "Your chaperone opened their page for your dosing session"
	case "chaperone.checkin":
		return "Your chaperone checked on you during your dosing session"
	case "chaperone.help":
		return "Your chaperone asked your clinician for help"
	case "chaperone.missed":
		return "Noted that a chaperone's check-in was missed"
	case "measures.read", "outcomes.read", "checkin.versions":
		return "Read your check-in answers and scores"
	case "outcome_summary.export":
		return "Downloaded a summary of your scores as a PDF"
	case "note.export":
		return "Downloaded a signed clinical note as a PDF"
	case "consent.export":
		return "Downloaded a consent you signed as a PDF"
	case "timeline.read":
		return "Read the history of your treatment"
	case "timeline.discussed", "timeline.undiscussed": // issue 17: the chart's timeline
		return "Noted whether something on your record was talked through with you"
	case "intake.history":
		return "Read earlier versions of your health questionnaire"
	case "intake.safety":
		return "Followed up a safety answer in your health questionnaire"
	case "checkin.complete", "checkin.save":
		return "Saved a check-in"
	case "measure.assign":
		return "Asked you to fill in a check-in"
	case "measure.end":
		return "Stopped a check-in you were asked to fill in"
	case "alert.raise", "alert.signal", "alert.email":
		return "Raised a safety alert for your care team"
	case "alert.acknowledge":
		return "Followed up a safety alert"
	case "alert.list":
		return "Looked at safety alerts"
	case "appointment.reminder", "reminders.set":
		return "Set up your appointment reminders"
	case "inquiry.convert":
		return "Made your record from your inquiry"
	case "access_report.read":
		return "Looked at who has seen your record"
	case "diagnosis.read": // the diagnoses on your superbills (issue 21)
		return "Read your diagnoses"
	case "diagnosis.add", "diagnosis.remove", "diagnosis.primary":
		return "Updated your diagnoses"
	case "billing.superbill", "billing.statement", "billing.documents": // superbills and statements (issue 21)
		return "Read your superbills and statements"
	case "billing.send", "billing.send.notify":
		return "Sent you a superbill or statement"
	case "safety_plan.read", "safety_plan.history":
		return "Read your safety plan"
	case "safety_plan.save":
		return "Saved a new version of your safety plan"
	case "fhir.export":
		return "Copied your record in a bulk export (FHIR)"
	}
	switch {
	case strings.HasPrefix(action, "dosing."):
		return "Recorded your dosing session"
	case strings.HasPrefix(action, "journal."):
		return "Worked on your journal"
	case strings.HasPrefix(action, "skills."):
		return "Worked on your skills entries"
	case strings.HasPrefix(action, "checkin."), strings.HasPrefix(action, "measure"):
		return "Worked on your check-ins"
	case strings.HasPrefix(action, "appointment"):
		return "Worked on your appointments"
	case strings.HasPrefix(action, "billing."): // the ledger (issue 21): charges, payments, corrections
		return "Worked on your bill: charges and payments"
	}
	// An action with no words of its own yet: never its code name.
	return "Worked on your record"
}
