package wording

import (
	"testing"

	"github.com/kapstone/kapstone/internal/store"
)

// TestJobKindWords: every job kind the program enqueues has words of its
// own, and an unknown kind is never shown by its code name.
func TestJobKindWords(t *testing.T) {
	seen := map[string]string{}
	for _, kind := range []string{store.JobAlertEmail, store.JobReminder, store.JobCheckinInvite, store.JobCopeReminder,
		store.JobWitnessEmail, store.JobWitnessHTTP, store.JobPasswordResetEmail, store.JobMessageEmail,
		store.BulkExportJobKind, store.BulkSweepJobKind, store.JobChaperoneWatch} {
		w := JobKind(kind)
		if w == "Background task" || w == kind {
			t.Errorf("job kind %q has no words of its own: %q", kind, w)
		}
		if other, ok := seen[w]; ok {
			t.Errorf("job kinds %q and %q read alike: %q", kind, other, w)
		}
		seen[w] = kind
	}
	if w := JobKind("some.new.kind"); w != "Background task" {
		t.Errorf("unknown kind = %q, want the generic words", w)
	}
}

// TestActionWords: the FHIR API's reads and exports read as an opening of
// the record in the patient's access report, and an unknown action never
// shows its code name.
func TestActionWords(t *testing.T) {
	for _, tc := range []struct{ action, want string }{
		{"fhir.read", "Opened your record"},
		{"chart.read", "Opened your record"},
		{"record.export", "Opened your record"},
		{"chaperone.read", "Your chaperone opened their page for your dosing session"},
		{"chaperone.help", "Your chaperone asked your clinician for help"},
		{"cs.administer", "Recorded your dose in the practice's controlled-substance log"},
		{"diagnosis.read", "Read your diagnoses"},
		{"diagnosis.primary", "Updated your diagnoses"},
		{"billing.correct", "Worked on your bill: charges and payments"},
		{"billing.package_close", "Worked on your bill: charges and payments"},
		{"billing.superbill", "Read your superbills and statements"},
		{"some.new.action", "Worked on your record"},
	} {
		if got := Action(tc.action); got != tc.want {
			t.Errorf("Action(%q) = %q, want %q", tc.action, got, tc.want)
		}
	}
}
