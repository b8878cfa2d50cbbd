package webtest

import (
	"database/sql"
	"os"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// dosingRowsDB opens the fixture's own database beside its store, for rows no
// Store method of this feature makes (a dosing session in a given state),
// and reports whether it is PostgreSQL.
func (f *Fixture) dosingRowsDB() (*sql.DB, bool) {
	f.T.Helper()
	dsn := storetest.StoreDSN(f.T, f.St)
	if os.Getenv(storetest.PostgresEnv) != "" { // storetest gives PostgreSQL databases then
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			f.T.Fatal(err)
		}
		f.T.Cleanup(func() { db.Close() })
		return db, true
	}
	db, err := sql.Open("sqlite3", "file:"+dsn+"?_pragma=busy_timeout(10000)")
	if err != nil {
		f.T.Fatal(err)
	}
	f.T.Cleanup(func() { db.Close() })
	return db, false
}

// InsertDosingSession inserts a dosing session for patientID with status, begun at
// at (and dosed 30 minutes later, unless still at the gate), and returns
// its id.
func (f *Fixture) InsertDosingSession(patientID, status string, at time.Time) string {
	f.T.Helper()
	db, pg := f.dosingRowsDB()
	tm := func(t time.Time) any {
		if pg {
			return t.UTC()
		}
		return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") // the store's SQLite layout
	}
	var doseAt any
	if status == "dosed" || status == "discharged" {
		doseAt = tm(at.Add(30 * time.Minute))
	}
	id := store.NewID()
	if _, err := db.Exec(`INSERT INTO dosing_sessions (id, patient_id, clinician_id, status, created_at, dose_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, patientID, f.Users["thea@example.org"].ID, status, tm(at), doseAt, tm(at)); err != nil {
		f.T.Fatal(err)
	}
	return id
}
