package webtest

import (
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// dosingRowsDB opens the fixture's own database beside its store, for rows no
// Store method of this feature makes (a dosing session in a given state).
// It finds the database by patient A's id: the SQLite file under the
// test's temporary directories, or the PostgreSQL schema storetest made.
func (f *Fixture) dosingRowsDB() (*sql.DB, bool) {
	f.T.Helper()
	has := func(db *sql.DB, table string) bool {
		var n int
		return db.QueryRow(`SELECT count(*) FROM `+table+` WHERE id = $1`, f.PA.ID).Scan(&n) == nil && n == 1
	}
	if base := os.Getenv(storetest.PostgresEnv); base != "" {
		db, err := sql.Open("pgx", base)
		if err != nil {
			f.T.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\_%'`)
		if err != nil {
			f.T.Fatal(err)
		}
		var schemas []string
		for rows.Next() {
			var s string
			rows.Scan(&s)
			schemas = append(schemas, s)
		}
		rows.Close()
		for _, s := range schemas {
			if has(db, s+".patients") {
				u, _ := url.Parse(base)
				q := u.Query()
				q.Set("search_path", s)
				u.RawQuery = q.Encode()
				out, err := sql.Open("pgx", u.String())
				if err != nil {
					f.T.Fatal(err)
				}
				f.T.Cleanup(func() { out.Close() })
				return out, true
			}
		}
		f.T.Fatal("fixture schema not found")
	}
	paths, _ := filepath.Glob(filepath.Join(filepath.Dir(f.T.TempDir()), "*", "kapstone.db"))
	for _, p := range paths {
		db, err := sql.Open("sqlite3", "file:"+p+"?_pragma=busy_timeout(10000)")
		if err != nil {
			f.T.Fatal(err)
		}
		if has(db, "patients") {
			f.T.Cleanup(func() { db.Close() })
			return db, false
		}
		db.Close()
	}
	f.T.Fatal("fixture database not found")
	return nil, false
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
