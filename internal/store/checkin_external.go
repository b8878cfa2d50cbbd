package store

import (
	"context"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
)

// RecordSkew is how far in the future a completion time sent by another
// app may be (its clock ahead of ours): such a time is recorded as now.
const RecordSkew = 5 * time.Minute

// RecordCheckin records a questionnaire patientID completed in another app
// at at (zero: now), sent through the FHIR API (POST
// QuestionnaireResponse): validated, scored, closed and its risk signal
// alerted by the one path every check-in takes (saveCheckin, as the
// portal's SaveCheckin and the paper entry), in one transaction, audited
// as checkin.complete with the detail "<instrument>:fhir".
//
// Who may is the one policy's PermForms on the patient, as for the
// portal's form: the patient themself (their own API token) or a
// clinician on the care team (entering answers received in another app).
// Anyone else is told the patient does not exist.
//
// Whether the questionnaire must have been asked for is decided as in the
// portal, not here: a patient may record a questionnaire their care team
// asked them for (an active assignment); one no one asked for is refused,
// unless it carries a risk answer, which is kept and alerts all the same
// (audited "<instrument>:fhir:not-assigned"). A clinician on the care team
// may record any questionnaire, asked for or not, as with a paper entry:
// recording a PHQ-9 or GAD-7 the patient answered elsewhere is their
// clinical call (PermClinical, which the policy gives them and not the
// patient).
//
// The check-in is new and whole: it never merges with one the patient has
// in progress in the portal, and it is stored only complete (a missing or
// wrong answer is EInvalid with its item's field and nothing is stored).
// A time more than RecordSkew in the future is EInvalid at
// "completed_at". It returns the stored check-in (ID, Answers, Total,
// Band, Risk, CompletedAt, CourseID) and what it raised (Signal, Alert).
func (s *Store) RecordCheckin(ctx context.Context, actor Actor, patientID, instrument string, answers measure.Answers, at time.Time) (*Checkin, error) {
	now := s.now()
	if at.After(now.Add(RecordSkew)) {
		const msg = "The time it was completed is in the future."
		return nil, &clinic.Error{Code: clinic.EInvalid, Message: msg, Fields: map[string]string{"completed_at": msg}}
	}
	if at.IsZero() || at.After(now) {
		at = now
	}
	return s.saveCheckin(ctx, actor, patientID, instrument, answers, true, at, "fhir")
}
