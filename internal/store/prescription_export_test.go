package store

import "context"

// CurrentPrescriptionForTest reads patientID's current prescription with
// currentPrescriptionIn, as the dosing session's code does.
func CurrentPrescriptionForTest(ctx context.Context, s *Store, patientID string) (*Prescription, error) {
	var p *Prescription
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		p, err = currentPrescriptionIn(ctx, tx, patientID)
		return err
	})
	return p, err
}
