package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestExportOutcomesInPages: on the demo practice grown by 40 patients, the
// outcomes export (read a page at a time by key and handed on row by row)
// gives every actor exactly the rows, in exactly the order, that the export
// gave when it read every course into memory and sorted them by patient
// key (OutcomesByKey, the old code kept as the oracle), whatever the page
// size: pages of 1, 3 and 7 courses force many reads, and no page is ever
// larger than its size. A key kept under another audit key is made again.
// Each export writes one outcomes.export audit row; an administrator gets
// no keys.
func TestExportOutcomesInPages(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	params := auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}
	if _, err := demo.Seed(ctx, st, t.TempDir(), params); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Scale(ctx, st, 40, params, 1, nil); err != nil {
		t.Fatal(err)
	}
	var actors []store.Actor
	for _, role := range []clinic.Role{clinic.RoleAdmin, clinic.RoleTherapist} {
		us, err := st.ListStaff(ctx, role)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			actors = append(actors, store.Actor{UserID: u.ID, Role: u.Role})
		}
	}
	insts := []string{"phq9", "gad7"}
	export := func(a store.Actor, size int) ([]store.CourseResult, measure.Window, int) {
		t.Helper()
		pages := 0
		defer store.SetOutcomeExportPageForTest(size, func(n int) {
			pages++
			if n > size {
				t.Errorf("a page of %d courses, want at most %d", n, size)
			}
		})()
		var got []store.CourseResult
		var win measure.Window
		before, _, err := st.CountAudit(ctx, "outcomes.export", "", "", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.ExportOutcomes(ctx, a, "outcomes.export", insts, func(w measure.Window, r store.CourseResult) error {
			win, got = w, append(got, r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if after, _, err := st.CountAudit(ctx, "outcomes.export", "", "", time.Time{}); err != nil || after != before+1 {
			t.Errorf("outcomes.export audit rows %d -> %d, %v; want one more", before, after, err)
		}
		return got, win, pages
	}
	check := func(name string) {
		t.Helper()
		most := 0
		for _, a := range actors {
			want, ww, err := st.OutcomesByKey(ctx, a, "outcomes.read", insts)
			if err != nil {
				t.Fatal(err)
			}
			most = max(most, len(want))
			for _, size := range []int{1, 3, 7, 500} {
				got, gw, pages := export(a, size)
				if !reflect.DeepEqual(got, want) || (len(got) > 0 && gw != ww) {
					i := 0
					for i < min(len(got), len(want)) && reflect.DeepEqual(got[i], want[i]) {
						i++
					}
					t.Fatalf("%s, %s %s, pages of %d: %d rows (window %v), want %d rows (window %v) as read at once; first difference at row %d:\ngot  %v\nwant %v",
						name, a.Role, a.UserID, size, len(got), gw, len(want), ww, i, got[i:min(i+2, len(got))], want[i:min(i+2, len(want))])
				}
				if size < len(want) && pages < len(want)/size {
					t.Errorf("%s, pages of %d: %d rows in %d reads", name, size, len(want), pages)
				}
				for _, r := range got {
					if (r.PatientKey == "") != (a.Role == clinic.RoleAdmin) {
						t.Fatalf("%s, %s: patient key %q", name, a.Role, r.PatientKey)
					}
				}
			}
		}
		if most < 20 {
			t.Fatalf("%s: at most %d courses for one actor, want enough for many pages", name, most)
		}
	}
	check("the demo")

	// Keys made under another audit key (as after the key is replaced) are
	// made again, not used.
	if err := store.ExecForTest(ctx, st, `UPDATE patient_export_keys SET key_id = 'old', export_key = '000000000000'`); err != nil {
		t.Fatal(err)
	}
	check("after the keys went stale")
	n, err := store.StringForTest(ctx, st, `SELECT CAST(count(*) AS TEXT) FROM patient_export_keys WHERE key_id = 'old'`)
	if err != nil || n != "0" {
		t.Errorf("stale keys left = %s, %v; want 0", n, err)
	}
	if err := st.SaveOutcomeWindow(ctx, actors[0], measure.Window{FromWeeks: 17, ToWeeks: 35}); err != nil {
		t.Fatal(err)
	}
	check(fmt.Sprintf("a %s window", measure.Window{FromWeeks: 17, ToWeeks: 35}))

	// A patient whose summary rows appear only when the export's own read
	// summarizes courses noted stale (a completion whose summary failed),
	// after the keys were filled, is in the file all the same (before, the
	// join on the keys left them out without a word).
	var owner store.Actor
	var pid string
	for _, a := range actors {
		if a.Role != clinic.RoleTherapist {
			continue
		}
		id, err := store.StringForTest(ctx, st, `SELECT o.patient_id FROM outcome_courses o JOIN care_team t ON t.patient_id = o.patient_id
			WHERE t.user_id = $1 AND t.removed_at IS NULL AND o.instrument = 'phq9' ORDER BY o.patient_id LIMIT 1`, a.UserID)
		if err == nil && id != "" {
			owner, pid = a, id
			break
		}
	}
	if pid == "" {
		t.Fatal("no therapist's patient with a PHQ-9 course")
	}
	for _, q := range []string{
		`DELETE FROM outcome_courses WHERE patient_id = $1`,
		`DELETE FROM patient_export_keys WHERE patient_id = $1`,
		`INSERT INTO outcome_stale (id, patient_id, instrument) VALUES ('test-stale-1', $1, 'phq9')`,
		`INSERT INTO outcome_stale (id, patient_id, instrument) VALUES ('test-stale-2', $1, 'gad7')`,
	} {
		if err := store.ExecForTest(ctx, st, q, pid); err != nil {
			t.Fatal(err)
		}
	}
	got, _, _ := export(owner, 7)
	want, _, err := st.OutcomesByKey(ctx, owner, "outcomes.read", insts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("export with a course summarized again during it: %d rows, want %d", len(got), len(want))
	}
	keyed, err := store.StringForTest(ctx, st, `SELECT CAST(count(*) AS TEXT) FROM patient_export_keys WHERE patient_id = $1`, pid)
	if err != nil || keyed != "1" {
		t.Errorf("the patient summarized again has %s export keys, %v; want 1", keyed, err)
	}
}
