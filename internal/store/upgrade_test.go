package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestAppointmentTypesUpgradeKeepsAppointments: a database left by the
// release before migration 0013 (which rebuilds the appointments table on
// SQLite to widen its kinds) keeps every appointment and every column of
// it, and then takes the new kinds while still refusing unknown ones.
func TestAppointmentTypesUpgradeKeepsAppointments(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "0012_outbox.sql")
	u := &clinic.User{Email: "thea@example.org", DisplayName: "Thea Therapist", Role: clinic.RoleTherapist}
	oldSchemaUser(t, s, u)
	thea := store.Actor{UserID: u.ID, Role: u.Role}
	p := &store.Patient{DisplayName: "Pat Upgrade"}
	if err := s.CreatePatient(ctx, thea, p, ""); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Second)
	if err := store.ExecForTest(ctx, s, `INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at,
		move_reason, sequence, updated_at, remote, video_link, chaperone)
		VALUES ('ap1', $1, 'dosing', $2, 180, $3, $3, $4, 'Clinic closed', 2, $4, TRUE, 'https://video.example/x', 'Sam Support')`,
		p.ID, start, u.ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if err := store.ExecForTest(ctx, s, `INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at,
		cancelled_at, cancel_reason, cancelled_by, outcome)
		VALUES ('ap2', $1, 'integration', $2, 50, $3, $3, $4, $4, 'Patient unwell', $3, 'no_show')`,
		p.ID, start.Add(48*time.Hour), u.ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := s.Appointments(ctx, thea, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("%d appointments after the upgrade, want 1", len(list))
	}
	a := list[0]
	if a.ID != "ap1" || a.Kind != "dosing" || !a.StartsAt.Equal(start) || a.Minutes != 180 || a.Sequence != 2 ||
		!a.Remote || a.VideoLink != "https://video.example/x" || a.Chaperone != "Sam Support" {
		t.Errorf("appointment after the upgrade: %+v", a)
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM appointments WHERE id = 'ap2' AND cancel_reason = 'Patient unwell'
		AND cancelled_at IS NOT NULL AND cancelled_by = $1 AND outcome = 'no_show' AND kind = 'integration'`, u.ID); err != nil || n != 1 {
		t.Errorf("the cancelled appointment after the upgrade: %d rows, %v", n, err)
	}
	for _, idx := range []string{"appointments_patient", "appointments_room", "appointments_clinician"} {
		q := `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = $1`
		if s.Engine() == store.EnginePostgres {
			q = `SELECT count(*) FROM pg_indexes WHERE indexname = $1 AND schemaname = current_schema()`
		}
		if n, err := store.CountForTest(ctx, s, q, idx); err != nil || n != 1 {
			t.Errorf("index %s after the upgrade: %d, %v", idx, n, err)
		}
	}
	if err := store.ExecForTest(ctx, s, `UPDATE appointments SET kind = 'medical_evaluation' WHERE id = 'ap1'`); err != nil {
		t.Errorf("a new kind is refused after the upgrade: %v", err)
	}
	if err := store.ExecForTest(ctx, s, `UPDATE appointments SET kind = 'massage' WHERE id = 'ap1'`); err == nil {
		t.Error("an unknown kind was stored")
	}
}

// openThrough opens a new test database with the embedded migrations
// applied up to and including last (a file name, or "0019_~" for every
// one before 0020), and an audit key, as an older release left it.
func openThrough(t *testing.T, last string) *store.Store {
	t.Helper()
	ctx := context.Background()
	dsn := storetest.DSN(t)
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	key, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	s.SetAuditKey(key)
	s.SetKeyring(storetest.Keyring(t, dsn))
	if err := store.MigrateThroughForTest(ctx, s, last); err != nil {
		t.Fatal(err)
	}
	return s
}
