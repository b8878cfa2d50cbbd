package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
)

// ClinicianIDs returns the user id of the clinician of each of patientID's
// appointments and dosing sessions named in ids, by appointment or session
// id (an id that is not one of the patient's is left out), if actor may
// read the chart (auth.PermChart). The FHIR mappers refer to a clinician
// by id, where Appointment and DosingSession keep the name. For callers
// that have read the appointments or sessions themselves (audited there):
// a refusal is audited as denied, a read is not audited again.
func (s *Store) ClinicianIDs(ctx context.Context, actor Actor, patientID string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args, in := []any{patientID}, make([]string, len(ids))
	for i, id := range ids {
		args, in[i] = append(args, id), "$"+strconv.Itoa(i+2)
	}
	list := strings.Join(in, ", ")
	err := s.patientRead(ctx, actor, patientID, auth.PermChart, "clinician.ids", func(tx *Tx, _ Access) error {
		rows, err := queryAll(ctx, tx, func(r scanner) (pair [2]string, err error) {
			err = r.Scan(&pair[0], &pair[1])
			return pair, err
		}, `SELECT id, clinician_id FROM appointments WHERE patient_id = $1 AND id IN (`+list+`)
			UNION ALL SELECT id, clinician_id FROM dosing_sessions WHERE patient_id = $1 AND id IN (`+list+`)`, args...)
		for _, p := range rows {
			if p[1] != "" {
				out[p[0]] = p[1]
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
