package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// savedState counts what any write on a patient's record would change:
// rows of every clinical table, and the columns updates touch.
var savedState = []string{
	`SELECT count(*) FROM patients`, `SELECT coalesce(sum(version), 0) FROM patients`,
	`SELECT count(*) FROM care_team`, `SELECT count(*) FROM care_team WHERE removed_at IS NULL`,
	`SELECT count(*) FROM auth_tokens`, `SELECT count(*) FROM stage_changes`, `SELECT count(*) FROM intakes`,
	`SELECT count(*) FROM evaluations`, `SELECT count(*) FROM clearances`, `SELECT count(*) FROM flag_overrides`,
	`SELECT count(*) FROM consult_messages`, `SELECT count(*) FROM appointments`,
	`SELECT coalesce(sum(sequence), 0) FROM appointments`, `SELECT count(*) FROM appointments WHERE cancelled_at IS NOT NULL`,
	`SELECT count(*) FROM appointments WHERE outcome IS NOT NULL AND outcome <> ''`,
	`SELECT count(*) FROM safety_alerts`, `SELECT count(*) FROM safety_alerts WHERE acknowledged_at IS NOT NULL`,
	`SELECT count(*) FROM safety_alert_signals`, `SELECT count(*) FROM measure_assignments`,
	`SELECT count(*) FROM measure_assignments WHERE ended_at IS NOT NULL`, `SELECT count(*) FROM checkins`,
	`SELECT count(*) FROM checkin_answers`, `SELECT count(*) FROM dosing_sessions`,
	`SELECT count(*) FROM dosing_sessions WHERE status <> 'gate'`, `SELECT count(*) FROM dosing_gate_items`,
	`SELECT count(*) FROM dosing_vitals`, `SELECT count(*) FROM dosing_events`, `SELECT count(*) FROM preparations`,
	`SELECT count(*) FROM prescriptions`, `SELECT count(*) FROM prescription_adjustments`, `SELECT count(*) FROM prescription_ends`,
	`SELECT count(*) FROM journal_entries`, `SELECT count(*) FROM journal_versions`, `SELECT count(*) FROM courses`,
	`SELECT count(*) FROM jobs`, `SELECT count(*) FROM outbox_emails`,
	`SELECT count(*) FROM psychotherapy_notes`, `SELECT coalesce(sum(version), 0) FROM psychotherapy_notes`,
	`SELECT count(*) FROM consent_signatures`, `SELECT count(*) FROM consent_scans`, `SELECT count(*) FROM consent_revocations`,
	`SELECT count(*) FROM notes`, `SELECT coalesce(sum(draft_version), 0) FROM notes`, `SELECT count(*) FROM notes WHERE status <> 'draft'`,
	`SELECT count(*) FROM note_addenda`,
	`SELECT count(*) FROM message_threads`, `SELECT count(*) FROM messages`, `SELECT count(*) FROM message_reads`,
	`SELECT count(*) FROM safety_plans`, `SELECT count(*) FROM timeline_marks`, `SELECT count(*) FROM timeline_marks WHERE cleared_at IS NOT NULL`,
	`SELECT count(*) FROM skill_entries`, `SELECT count(*) FROM skill_entries WHERE shared`, `SELECT count(*) FROM skill_settings`,
	`SELECT count(*) FROM charges`, `SELECT count(*) FROM payments`, `SELECT count(*) FROM payment_applications`, `SELECT count(*) FROM refunds`,
	`SELECT count(*) FROM adjustments`, `SELECT count(*) FROM charge_corrections`, `SELECT count(*) FROM patient_tiers`, `SELECT count(*) FROM package_purchases`,
}

func stateOf(t *testing.T, s *store.Store) []int {
	t.Helper()
	out := make([]int, len(savedState))
	for i, q := range savedState {
		n, err := store.CountForTest(context.Background(), s, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[i] = n
	}
	return out
}

// TestEmergencyAccessIsReadOnly is finding 1 of issue 14: a clinician
// outside the care team holding a live emergency grant (a therapist of the
// practice, who asked for it, and the partner prescriber, whose grant is
// inserted as one made before prescribers were refused) tries every write
// on the patient's record with input the care team could save. Each is
// refused as if the patient did not exist, nothing is saved, and each
// refusal is audited as denied with the emergency mark. The same grant
// still reads the chart, and that read is marked too.
func TestEmergencyAccessIsReadOnly(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	p := pr.p.ID

	// What the care team has on file: an appointment, an open safety alert,
	// an assigned measure, a prescription, a dosing session at the gate.
	thread, err := s.StartThread(ctx, pr.patient, p, store.MessageInput{Subject: "Question", Body: "A question for my team."})
	if err != nil {
		t.Fatal(err)
	}
	ap := &store.Appointment{Kind: "integration", StartsAt: pr.now.Add(48 * time.Hour), Minutes: 60}
	if err := s.CreateAppointment(ctx, pr.thea, p, ap); err != nil {
		t.Fatal(err)
	}
	if err := s.AssignMeasure(ctx, pr.thea, p, "gad7", "weekly"); err != nil {
		t.Fatal(err)
	}
	// A note of Thea's waiting for Rex's co-signature (issue 16).
	if err := s.SetNoteSupervisor(ctx, pr.admin, pr.thea.UserID, pr.rex.UserID); err != nil {
		t.Fatal(err)
	}
	waiting, err := s.SignNote(ctx, pr.thea, p, pr.addAppointment(t, p, "follow_up", pr.now.Add(-time.Hour)),
		store.NoteInput{Format: clinic.NoteSOAP, Sections: map[string]string{"plan": "Weekly."}, Attest: true})
	if err != nil || waiting.Status != clinic.NoteAwaitingCosign {
		t.Fatalf("a note awaiting co-signature = %+v, %v", waiting, err)
	}
	answers := measure.Answers{}
	inst, _ := measure.Get("phq9")
	for _, it := range inst.Items {
		answers[it.ID] = 0
	}
	answers["phq9_9"] = 2
	c, err := s.EnterPaperCheckin(ctx, pr.thea, p, "phq9", answers, pr.now.Add(-time.Hour))
	if err != nil || c.Alert == nil {
		t.Fatalf("paper check-in = %+v, %v; want an alert", c, err)
	}
	chart, err := s.FindChart(ctx, pr.thea, p, store.ChartOptions{})
	if err != nil || len(chart.Alerts) != 1 {
		t.Fatalf("chart = %v alerts, %v; want 1", len(chart.Alerts), err)
	}
	alert := chart.Alerts[0]
	rx, err := s.RecordPrescription(ctx, pr.rex, p, rxInput(6))
	if err != nil {
		t.Fatal(err)
	}
	session := pr.addDosing(t, p, "gate", pr.now.Add(-10*time.Minute))

	// theo asks for emergency access; rita, the partner prescriber, may not
	// (her grant is inserted, as one made before the rule would be).
	if _, err := s.GrantEmergencyAccess(ctx, pr.theo, p, "Patient called in crisis; the team is away."); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GrantEmergencyAccess(ctx, pr.rita, p, "Patient called in crisis; the team is away."); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("GrantEmergencyAccess by the partner prescriber = %v, want %s", err, clinic.ENotFound)
	}
	if err := store.ExecForTest(ctx, s, `INSERT INTO emergency_access (id, patient_id, user_id, reason, granted_at, expires_at) VALUES ('rita-grant', $1, $2, 'Patient called in crisis.', $3, $4)`,
		p, pr.rita.UserID, pr.now.Add(-time.Minute), pr.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	details := *pr.p
	details.Phone = "+1 555 010 9999"
	storetest.SignPaper(t, s, pr.thea, p)
	consents, err := s.PatientConsents(ctx, pr.thea, p)
	if err != nil {
		t.Fatal(err)
	}
	writes := []struct {
		name string
		perm auth.Permission // the write permission the store asks
		fn   func(a store.Actor) error
	}{
		{"change the course stage", auth.PermClinical, func(a store.Actor) error {
			return s.ChangeStage(ctx, a, p, clinic.StageScreening, "Intake under way.")
		}},
		{"assign a measure", auth.PermClinical, func(a store.Actor) error { return s.AssignMeasure(ctx, a, p, "phq9", "weekly") }},
		{"end a measure", auth.PermClinical, func(a store.Actor) error { return s.EndAssignment(ctx, a, p, "gad7") }},
		{"post to the consult thread", auth.PermClinical, func(a store.Actor) error {
			return s.PostConsult(ctx, a, p, "Saw the patient today; please call me.")
		}},
		{"enter a paper check-in", auth.PermForms, func(a store.Actor) error {
			_, err := s.EnterPaperCheckin(ctx, a, p, "phq9", answers, pr.now.Add(-time.Hour))
			return err
		}},
		{"book an appointment", auth.PermClinical, func(a store.Actor) error {
			return s.CreateAppointment(ctx, a, p, &store.Appointment{Kind: "integration", StartsAt: pr.now.Add(72 * time.Hour), Minutes: 60})
		}},
		{"cancel an appointment", auth.PermClinical, func(a store.Actor) error {
			return s.CancelAppointment(ctx, a, p, ap.ID, "The patient asked to cancel.")
		}},
		{"move an appointment", auth.PermClinical, func(a store.Actor) error {
			return s.MoveAppointment(ctx, a, p, ap.ID, pr.now.Add(96*time.Hour), "The patient asked to move.")
		}},
		{"record an appointment's outcome", auth.PermClinical, func(a store.Actor) error {
			return s.RecordAppointmentOutcome(ctx, a, p, ap.ID, "attended")
		}},
		{"acknowledge a safety alert", auth.PermClinical, func(a store.Actor) error {
			return s.AcknowledgeSafetyAlert(ctx, a, p, alert.ID, "Called the patient.", alert.LastSignal)
		}},
		{"save the intake", auth.PermForms, func(a store.Actor) error {
			_, err := s.SaveIntake(ctx, a, p, fullIntake(nil), false, store.QuestionIDs())
			return err
		}},
		{"save the evaluation", auth.PermEvaluation, func(a store.Actor) error {
			return s.SaveEvaluation(ctx, a, p, store.Evaluation{Recommendation: "suitable", Summary: "Suitable."})
		}},
		{"record the clearance", auth.PermClearance, func(a store.Actor) error {
			return s.RecordClearance(ctx, a, p, store.NeedsInformation, "Need the cardiology letter.", nil)
		}},
		{"record a prescription", auth.PermPrescribe, func(a store.Actor) error {
			_, err := s.RecordPrescription(ctx, a, p, rxInput(6))
			return err
		}},
		{"adjust the dose", auth.PermPrescribe, func(a store.Actor) error {
			return s.AdjustDose(ctx, a, p, rx, "250 mg", "Little effect at 200 mg.")
		}},
		{"end the prescription", auth.PermPrescribe, func(a store.Actor) error { return s.EndPrescription(ctx, a, p, rx, "Course finished.") }},
		{"start a dosing session", auth.PermDosing, func(a store.Actor) error {
			_, err := s.StartDosingSession(ctx, a, p)
			return err
		}},
		{"record vitals", auth.PermDosing, func(a store.Actor) error {
			sys, dia, hr, spo2 := 120, 80, 70, 98
			_, err := s.RecordVitals(ctx, a, p, session, store.Vitals{Phase: clinic.PhaseCheck, Systolic: &sys, Diastolic: &dia, HeartRate: &hr, SpO2: &spo2})
			return err
		}},
		{"stop a dosing session", auth.PermDosing, func(a store.Actor) error {
			return s.StopDosingSession(ctx, a, p, session, "Patient felt unwell before the dose.")
		}},
		{"record a paper consent", auth.PermConsent, func(a store.Actor) error {
			_, err := s.RecordPaperConsent(ctx, a, p, store.PaperInput{DocumentID: consents[0].Latest.ID, TypedName: "Pat", SignedOn: storetest.PaperToday(t, s), Scan: storetest.ScanPDF})
			return err
		}},
		{"revoke a consent", auth.PermConsent, func(a store.Actor) error {
			return s.RevokeConsent(ctx, a, p, consents[0].Current().ID, "The patient asked by phone.")
		}},
		{"save a clinical note's draft", auth.PermNoteWrite, func(a store.Actor) error {
			_, err := s.SaveNoteDraft(ctx, a, p, ap.ID, store.NoteInput{Format: clinic.NoteSOAP, Sections: map[string]string{"plan": "Call the team."}})
			return err
		}},
		{"sign a clinical note", auth.PermNoteWrite, func(a store.Actor) error {
			_, err := s.SignNote(ctx, a, p, ap.ID, store.NoteInput{Format: clinic.NoteSOAP, Sections: map[string]string{"plan": "Call the team."}, Attest: true})
			return err
		}},
		{"add an addendum to a clinical note", auth.PermNoteWrite, func(a store.Actor) error {
			_, err := s.AddNoteAddendum(ctx, a, p, ap.ID, clinic.AddendumCorrection, "Called the team.")
			return err
		}},
		{"reply to the patient's message", auth.PermMessages, func(a store.Actor) error {
			_, err := s.ReplyMessage(ctx, a, p, thread.ThreadID, store.MessageInput{Body: "Please call me."})
			return err
		}},
		{"start a message thread", auth.PermMessages, func(a store.Actor) error {
			_, err := s.StartThread(ctx, a, p, store.MessageInput{Subject: "From the clinic", Body: "Please call me."})
			return err
		}},
		{"save the safety plan", auth.PermSafetyPlanEdit, func(a store.Actor) error {
			_, _, err := s.SaveSafetyPlan(ctx, a, p, 0, map[string][]string{clinic.PlanReasons: {"My dog"}})
			return err
		}},
		{"save the preparation", auth.PermPreparation, func(a store.Actor) error {
			return s.SavePreparation(ctx, a, p, store.Preparation{SupportName: "Sam Lee", SupportPhone: "+1 555 010 2345"})
		}},
		{"change the patient's details", auth.PermDetails, func(a store.Actor) error {
			d := details
			return s.UpdatePatientDetails(ctx, a, &d)
		}},
		{"add to the care team", auth.PermTeam, func(a store.Actor) error { return s.AddTeamMember(ctx, a, p, pr.rita.UserID) }},
		{"remove from the care team", auth.PermTeam, func(a store.Actor) error { return s.RemoveTeamMember(ctx, a, p, pr.rex.UserID) }},
		{"co-sign a clinical note", auth.PermNoteCosign, func(a store.Actor) error {
			_, err := s.CosignNote(ctx, a, waiting.ID, true)
			return err
		}},
		{"return a clinical note", auth.PermNoteCosign, func(a store.Actor) error {
			return s.ReturnNote(ctx, a, waiting.ID, "Please redo.")
		}},
		{"write a psychotherapy note", auth.PermPsychNote, func(a store.Actor) error {
			return s.CreatePsychNote(ctx, a, p, &store.PsychNote{Body: "Spoke of the crisis."})
		}},
		{"mark a timeline item discussed", auth.PermDiscuss, func(a store.Actor) error {
			return s.MarkDiscussed(ctx, a, p, "dosing", session)
		}},
		{"undo a discussed mark", auth.PermDiscuss, func(a store.Actor) error {
			return s.UndoDiscussed(ctx, a, p, "dosing", session)
		}},
		{"record a payment", auth.PermBilling, func(a store.Actor) error {
			_, err := s.RecordPayment(ctx, a, p, store.PaymentInput{Cents: 100, Method: "cash"})
			return err
		}},
		{"make a portal invitation", auth.PermAccount, func(a store.Actor) error {
			_, err := s.CreatePatientToken(ctx, a, p, store.TokenReset, auth.HashToken("emergency-"+a.UserID))
			return err
		}},
	}
	covered := map[auth.Permission]bool{PermJournalOwnOnly: true, auth.PermSkills: true} // both the patient's own only
	for _, w := range writes {
		covered[w.perm] = true
	}
	for _, perm := range auth.Writes {
		if !covered[perm] && perm != auth.PermPrescriberCall { // a prescriber's call is made inside a dosing write
			t.Errorf("write permission %q has no case here: add the store write that asks it", perm)
		}
	}

	for who, a := range map[string]store.Actor{"therapist with an emergency grant": pr.theo, "partner prescriber with an emergency grant": pr.rita} {
		for _, w := range writes {
			before := stateOf(t, s)
			deniedBefore, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE actor_id = $1 AND outcome = 'denied' AND patient_id = $2 AND (detail = 'emergency' OR detail LIKE 'emergency; %')`, a.UserID, p)
			if err != nil {
				t.Fatal(err)
			}
			err = w.fn(a)
			if clinic.ErrorCode(err) != clinic.ENotFound {
				t.Errorf("%s: %s = %v, want %s", who, w.name, err, clinic.ENotFound)
			}
			if after := stateOf(t, s); !equalInts(before, after) {
				t.Errorf("%s: %s changed the record: %v -> %v", who, w.name, before, after)
			}
			// Writes the role makes on its own patients are refused by the
			// record's policy, and that refusal is audited with the mark.
			if auth.CanSome(a.Role, w.perm) {
				deniedAfter, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE actor_id = $1 AND outcome = 'denied' AND patient_id = $2 AND (detail = 'emergency' OR detail LIKE 'emergency; %')`, a.UserID, p)
				if err != nil {
					t.Fatal(err)
				}
				if deniedAfter != deniedBefore+1 {
					t.Errorf("%s: %s left %d denied audit rows with the emergency mark, want 1", who, w.name, deniedAfter-deniedBefore)
				}
			}
		}
		n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE actor_id = $1 AND patient_id = $2 AND outcome = 'success' AND action <> 'emergency.grant'`, a.UserID, p)
		if err != nil || n != 0 {
			t.Errorf("%s: %d successful audited actions on the patient, %v; want none", who, n, err)
		}
	}

	// theo's grant reads the chart, and the read is marked.
	if _, err := s.FindChart(ctx, pr.theo, p, store.ChartOptions{}); err != nil {
		t.Fatalf("FindChart by emergency access: %v", err)
	}
	rows, _, err := s.FindAudit(ctx, pr.admin, store.AuditFilter{Action: "chart.read", ActorID: pr.theo.UserID, Limit: 10})
	if err != nil || len(rows) != 1 || rows[0].Detail != "emergency" {
		t.Errorf("chart read by emergency access audited as %+v, %v; want one row marked emergency", rows, err)
	}
	// rita's old grant reads nothing, and the refusal is marked.
	if _, err := s.FindChart(ctx, pr.rita, p, store.ChartOptions{}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("FindChart by the partner prescriber's old grant = %v, want %s", err, clinic.ENotFound)
	}
	rows, _, err = s.FindAudit(ctx, pr.admin, store.AuditFilter{Action: "chart.read", ActorID: pr.rita.UserID, Limit: 10})
	if err != nil || len(rows) != 1 || rows[0].Outcome != store.OutcomeDenied || !strings.HasPrefix(rows[0].Detail, "emergency; ") {
		t.Errorf("chart read by the prescriber's old grant audited as %+v, %v; want one denied row marked emergency", rows, err)
	}
}

// PermJournalOwnOnly is the journal's write permission: the patient's own,
// which no clinician has in any relation, so it needs no emergency case.
const PermJournalOwnOnly = auth.PermJournal

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
