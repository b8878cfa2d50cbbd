package store

import (
	"context"
	"database/sql"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
)

// Sedation and dissociation monitoring (issue 20, part 2; clinic
// sedation.go): each vitals reading may carry the MOAA/S, dissociation and
// respiratory depression (dosing_vitals, schema 0057). A MOAA/S at the
// hold level or respiratory depression seen during a dosed session holds
// discharge (clinic.ActiveHolds) and raises a safety alert to the care
// team (the prescriber), with the alert email, in the same transaction as
// the reading and its audit entry.

// AlertSourceSedation is the safety alerts' source for a MOAA/S at the
// hold level or respiratory depression during a dosing session.
const AlertSourceSedation = "sedation"

var (
	respiratorySignal = alertSignal{words: "Signs of respiratory depression during a dosing session", level: "sedation", urgency: measure.UrgencyUrgent, severity: 3}
	sedationSignal    = alertSignal{words: "MOAA/S at the hold level (deep sedation) during a dosing session", level: "sedation", urgency: measure.UrgencyUrgent, severity: 2}
)

// alertSedation raises the alert for reading v of dosed session d when
// its findings hold on sedation or breathing.
func (s *Store) alertSedation(ctx context.Context, tx *Tx, actor Actor, d *DosingSession, findings []clinic.Finding) error {
	if d.Status != clinic.SessionDosed {
		return nil
	}
	var sig *alertSignal
	for _, f := range findings {
		switch {
		case f.Level != clinic.VitalsHold:
		case f.Measure == clinic.MeasureRespiratory:
			sig = &respiratorySignal
		case f.Measure == clinic.MeasureSedation && sig == nil:
			sig = &sedationSignal
		}
	}
	if sig == nil {
		return nil
	}
	_, err := s.raiseAlert(ctx, tx, actor, d.PatientID, AlertSourceSedation, *sig)
	return err
}

func boolPtr(b sql.NullBool) *bool {
	if !b.Valid {
		return nil
	}
	return &b.Bool
}
