package webtest

import (
	"database/sql"
	"time"

	"github.com/kapstone/kapstone/internal/store"
)

// RawDB opens the fixture's own database beside its store, for counting
// rows and for rows no Store method makes (see dosingRowsDB). It is closed
// when the test ends.
func (f *Fixture) RawDB() *sql.DB {
	f.T.Helper()
	db, _ := f.dosingRowsDB()
	return db
}

// InsertEmergencyGrant inserts a live emergency grant of userID on
// patientID, from now for an hour, without asking the policy: a grant made
// before a rule refused it (the partner prescriber's). It returns its id.
func (f *Fixture) InsertEmergencyGrant(patientID, userID string) string {
	f.T.Helper()
	db, pg := f.dosingRowsDB()
	tm := func(t time.Time) any {
		if pg {
			return t.UTC()
		}
		return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") // the store's SQLite layout
	}
	id := store.NewID()
	if _, err := db.Exec(`INSERT INTO emergency_access (id, patient_id, user_id, reason, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, patientID, userID, "Granted before the rule.", tm(f.Now), tm(f.Now.Add(store.EmergencyAccessFor))); err != nil {
		f.T.Fatal(err)
	}
	return id
}
