package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
)

// TestCaseloadPlans: on SQLite (whose planner has no statistics to go
// by), the statements a caseload page runs read what the page shows and
// not the practice: a page of a long caseload walks patients_name_order
// from its key with no sort; the sparklines read the covering index
// checkins_scores newest first with no sort; the navigation's unread count
// reads message_unread by clinician, never messages; the rows' badges
// check each count against the care team (care_team_active), never walk
// the caseload; the open alerts are
// read from the open ones (a partial index) and checked against the care
// team; the caseload's count reads caseload_sizes (a row per stage), a
// search's count covering indexes; the staff pickers
// read their role's accounts, not every patient's; the chart's latest notes
// walk the patient's appointments newest first, never sorting every note.
// A plan is a count,
// not a clock, so it holds on a loaded machine. And each is kept prepared
// by the statement cache (no SELECT *).
func TestCaseloadPlans(t *testing.T) {
	plan := planner(t)
	therapist := Actor{UserID: "u", Role: clinic.RoleTherapist}
	for _, c := range []struct {
		name     string
		q        string
		args     []any
		want     []string
		wantNone []string
	}{
		{name: "long caseload, a later page", want: []string{"SEARCH p USING INDEX patients_name_order (<expr>>?)", "care_team_active"}, wantNone: []string{"TEMP B-TREE", "SCAN"}},
		{name: "long caseload, a page before", want: []string{"SEARCH p USING INDEX patients_name_order (<expr><?)"}, wantNone: []string{"TEMP B-TREE", "SCAN"}},
		{name: "sparklines", q: caseloadScoresQuery([]string{"$3", "$4", "$5"}), args: []any{"u", "phq9", "a", "b", "c"},
			want: []string{"SEARCH c USING COVERING INDEX checkins_scores (patient_id=? AND instrument=?)"}, wantNone: []string{"TEMP B-TREE", "SCAN c"}},
		{name: "badges", q: caseloadCountsQuery(clinic.RoleTherapist, 3), args: []any{"u", "a", "b", "c"},
			want: []string{"USING INDEX care_team_active (patient_id=? AND user_id=?)"}, wantNone: []string{"care_team_user_active", "AUTOMATIC", "SCAN t"}},
		{name: "unread count", q: staffUnreadCount, args: []any{"u"},
			want: []string{"SEARCH u USING"}, wantNone: []string{"messages", "SCAN"}},
		{name: "open alerts", q: openAlertsQuery, args: []any{"u"},
			want: []string{"SCAN a USING INDEX safety_alerts_open_time\n", "SEARCH t USING INDEX care_team_active (patient_id=? AND user_id=?)"}, wantNone: []string{"SCAN t", "SCAN p", "SCAN a\n"}},
		{name: "caseload count", want: []string{"SEARCH t USING INDEX care_team_user_active (user_id=?)", "SEARCH p USING COVERING INDEX patients_live"}, wantNone: []string{"SCAN"}},
		{name: "chart's latest notes", q: chartNotesQuery(5), args: []any{"p"},
			want: []string{"SEARCH a USING INDEX appointments_patient (patient_id=?)"}, wantNone: []string{"TEMP B-TREE FOR ORDER BY", "SCAN"}},
		{name: "caseload size", want: []string{"SEARCH caseload_sizes USING"}, wantNone: []string{"SCAN", "care_team", "patients"}},
		{name: "caseload size of a stage", want: []string{"SEARCH caseload_sizes USING INDEX sqlite_autoindex_caseload_sizes_1 (user_id=? AND stage=?)"}, wantNone: []string{"SCAN", "care_team", "patients"}},
		{name: "staff picker", q: `SELECT ` + userColumns + ` FROM users WHERE role = $1 AND disabled_at IS NULL ORDER BY lower(display_name), id`, args: []any{"therapist"},
			want: []string{"SEARCH users USING INDEX users_role"}, wantNone: []string{"SCAN"}},
	} {
		switch c.name {
		case "long caseload, a later page":
			c.q, c.args = patientPageQuery(therapist, PatientFilter{}, true, "m", "k", false, CaseloadPageSize)
		case "caseload count":
			scope, args, err := patientScope(therapist, PatientFilter{})
			if err != nil {
				t.Fatal(err)
			}
			c.q, c.args = `SELECT count(*)`+scope, args
		case "caseload size", "caseload size of a stage":
			f := PatientFilter{}
			if c.name == "caseload size of a stage" {
				f.Stage = clinic.StageDosing
			}
			var ok bool
			if c.q, c.args, ok = caseloadSizeQuery(therapist, f); !ok {
				t.Fatalf("%s: no caseload_sizes query for a therapist's caseload", c.name)
			}
		case "long caseload, a page before":
			c.q, c.args = patientPageQuery(therapist, PatientFilter{}, true, "m", "k", true, CaseloadPageSize)
		}
		if selectsStar(c.q) {
			t.Errorf("%s: the statement is compiled afresh on every page (SELECT *: not kept by the statement cache)", c.name)
		}
		checkPlan(t, c.name, plan(c.q, c.args...), c.want, c.wantNone)
	}
}

// TestReaderPageCache: SQLite's reader connections keep readerCacheKiB of
// the file in their page cache (a page view of a large practice touches
// more than the default 2 MB); the writer keeps the default.
func TestReaderPageCache(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var r, w int
	if err := s.r.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&r); err != nil {
		t.Fatal(err)
	}
	if err := s.w.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&w); err != nil {
		t.Fatal(err)
	}
	if r != -readerCacheKiB || w != -2000 {
		t.Errorf("page cache: readers %d, writer %d; want -%d and SQLite's default -2000", r, w, readerCacheKiB)
	}
}
