package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestThresholdsArePrescribers (issue 12, defect 10): only a prescriber
// changes a dosing session's thresholds, within their bounds; a value set
// before the bounds (an administrator's 260/160 hold) is not used.
func TestThresholdsArePrescribers(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	actors := map[clinic.Role]store.Actor{}
	for _, r := range []clinic.Role{clinic.RolePrescriber, clinic.RoleTherapist, clinic.RoleAdmin} {
		u := &clinic.User{Email: string(r) + "@example.org", DisplayName: string(r), Role: r}
		if err := s.CreateUser(ctx, store.System, u, "hash"); err != nil {
			t.Fatal(err)
		}
		actors[r] = store.Actor{UserID: u.ID, Role: r}
	}
	got, err := s.Thresholds(ctx, actors[clinic.RoleAdmin])
	if err != nil || got != clinic.DefaultThresholds {
		t.Fatalf("Thresholds = %+v, %v; want the defaults", got, err)
	}
	// SetSetting (the administrator's path) refuses every threshold key,
	// whoever asks (defence in depth).
	for _, a := range []store.Actor{actors[clinic.RoleAdmin], store.System} {
		for _, k := range store.ThresholdKeys() {
			if err := s.SetSetting(ctx, a, k, "260/160"); clinic.ErrorCode(err) != clinic.EForbidden {
				t.Errorf("SetSetting(%s) = %v, want refused", k, err)
			}
		}
	}
	// An administrator's value from before the bounds.
	if err := store.ExecForTest(ctx, s, `INSERT INTO practice_settings (key, value, updated_at) VALUES ('bp_hold', '260/160', $1)`, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Thresholds(ctx, actors[clinic.RolePrescriber]); got.BPHold != clinic.DefaultBPHold {
		t.Errorf("a stored hold of 260/160 is used: %v", got.BPHold)
	}
	want := clinic.DefaultThresholds
	want.BPHold, want.SpO2Hold, want.PulseHighHold, want.ObservationMinutes = clinic.BP{Systolic: 150, Diastolic: 95}, 92, 120, 90
	for _, r := range []clinic.Role{clinic.RoleTherapist, clinic.RoleAdmin} {
		if err := s.SaveThresholds(ctx, actors[r], want); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("SaveThresholds as %s = %v, want refused", r, err)
		}
	}
	bad := want
	bad.BPHold, bad.ObservationMinutes = clinic.BP{Systolic: 200, Diastolic: 120}, 30
	err = s.SaveThresholds(ctx, actors[clinic.RolePrescriber], bad)
	if e, ok := err.(*clinic.Error); !ok || e.Fields["bp_hold"] == "" || e.Fields["observation_minutes"] == "" {
		t.Fatalf("SaveThresholds out of bounds = %v, want errors at bp_hold and observation_minutes", err)
	}
	if err := s.SaveThresholds(ctx, actors[clinic.RolePrescriber], want); err != nil {
		t.Fatal(err)
	}
	// Each change is audited with its old value (the one in force) and new.
	rows, _, err := s.FindAudit(ctx, actors[clinic.RoleAdmin], store.AuditFilter{Action: "setting.change", Sort: "oldest", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	details := map[string]string{}
	for _, r := range rows {
		details[r.ObjectID] = r.Detail
	}
	for k, w := range map[string]string{"bp_hold": "160/100 → 150/95", "spo2_hold": "90 → 92", "pulse_high_hold": "130 → 120", "observation_minutes": "120 → 90"} {
		if details[k] != w {
			t.Errorf("audit of %s = %q, want %q", k, details[k], w)
		}
	}
	if got, _ := s.Thresholds(ctx, actors[clinic.RoleTherapist]); got != want {
		t.Errorf("after saving: %+v, want %+v", got, want)
	}
}
