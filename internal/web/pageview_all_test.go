package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/suitelog"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// auditRow is one audit row a page view wrote.
type auditRow struct{ action, outcome, patient, objType, objID, detail string }

func (a auditRow) String() string {
	return fmt.Sprintf("%s %s about %q %s/%s %q", a.action, a.outcome, a.patient, a.objType, a.objID, a.detail)
}

// auditSince returns the audit rows after seq (sealed first: PostgreSQL
// chains them asynchronously) and the last seq.
func (mp *matrixPractice) auditSince(t *testing.T, seq int64) ([]auditRow, int64) {
	t.Helper()
	if _, err := mp.f.St.SealAuditWait(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := mp.db.Query(`SELECT seq, action, outcome, patient_id, object_type, object_id, detail FROM audit_events WHERE seq > $1 ORDER BY seq`, seq)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var a auditRow
		if err := rows.Scan(&seq, &a.action, &a.outcome, &a.patient, &a.objType, &a.objID, &a.detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out, seq
}

// oneViewExempt are the pages a view of which may write more than one
// audit row or commit, or read in more than one transaction, and why. A
// page is let off only here, by name, with its reason; every other GET
// route is held to the rule, pages added later included.
var oneViewExempt = map[string]string{
	// Practice-wide lists naming many patients: one row per patient
	// named (so each patient's access report shows the look), all in one
	// commit.
	"GET /calendar": "rows: one per patient named, one commit",
	// Owned by the caseload work (issue 18 item 1): the list and its
	// alerts are read and audited apart.
	"GET /patients": "rows, commits: the caseload is converted with its paging",
	// Not yet converted.
	"GET /patients/{patient}/details": "reads: in staff/chart.go, which the chart's own work is changing",
	// A download: one audited export in one commit; the patient's zone
	// and record are looked up around it.
	"GET /portal/consents/{kind}/{signature}/consent.pdf": "reads: a download around one audited export",
	// Practice pages that audit two lists, each in its own commit.
	"GET /admin/users":           "rows, commits: users and invitations audited apart",
	"GET /admin/consents/{kind}": "rows, commits: the kinds and the versions audited apart",
	"GET /admin/audit":           "rows, commits: the log's read and the look at it audited apart",
}

// patientPage reports whether a route shows one patient's record: a
// route on {patient}, or a portal page (the signed-in patient's own).
func patientPage(pattern string) bool {
	return strings.Contains(pattern, "{patient}") || strings.HasPrefix(pattern, "GET /portal")
}

// TestEveryPageViewOneAuditRow: every page (GET route) that shows patient
// data reads it in one transaction and writes one audit row naming what
// was shown, in one commit (issue 18), for each caller who may open it;
// and no page commits its audit rows more than once. The census is the
// route table itself, so a page added later is held to the rule too; a
// page that cannot keep it is named in oneViewExempt with why.
func TestEveryPageViewOneAuditRow(t *testing.T) {
	mp := newMatrixPractice(t)
	f := mp.f
	// A journal entry, for the pages that name one in their query.
	journal, err := f.St.SaveJournalEntry(context.Background(), f.As("pat@example.org"), f.PA.ID, store.JournalInput{Answers: map[string]string{"stood_out": "The music."}})
	if err != nil {
		t.Fatal(err)
	}
	// Pages whose record is named in the query, not the path, are asked
	// for with it too (as well as without).
	withQuery := map[string][]string{
		"GET /portal/journal/entry": {"?id=" + journal},
		"GET /portal/skills":        {"?done=shared&entry=" + mp.ids["A"]["entry"]},
	}
	var seq int64
	_, seq = mp.auditSince(t, 0)
	checked, exempt := 0, map[string]bool{}
	for _, rt := range f.Srv.RouteTable() {
		// Session pages only: the FHIR API's routes (access "bearer") are
		// no pages and take no session; its one audit row per request is
		// checked by internal/fhir TestAPI (audit).
		if !strings.HasPrefix(rt.Pattern, "GET ") || rt.Access != "signedIn" {
			continue
		}
		_, base, _ := mp.target(rt.Pattern, casesFor(t, rt.Pattern)[0]) // A's records, or the fixture's
		paths := []string{base}
		for _, q := range withQuery[rt.Pattern] {
			paths = append(paths, base+q)
		}
		callers := []string{"thea", "rex", "admin", "tess"}
		if strings.HasPrefix(rt.Pattern, "GET /portal") {
			callers = []string{"pA"}
		}
		why := oneViewExempt[rt.Pattern]
		for _, path := range paths {
			for _, who := range callers {
				checked += mp.checkOneView(t, rt.Pattern, path, who, why, &seq, exempt)
			}
		}
	}
	for p := range oneViewExempt {
		if !exempt[p] {
			t.Errorf("oneViewExempt names %q, which no caller opened: take it out", p)
		}
	}
	suitelog.Count(t, "one view per page: %d page views checked", checked)
}

// checkOneView asks for path as who twice (the first is the session's
// first touch) and checks the second answer's audit rows and
// transactions; it returns 1 when the page answered, 0 when it refused.
func (mp *matrixPractice) checkOneView(t *testing.T, pattern, path, who, why string, seq *int64, exempt map[string]bool) int {
	t.Helper()
	{
		{
			a := actorNamed(who)
			mp.do("GET", path, nil, a, "198.51.100.7:4000") // the session's first touch
			_, *seq = mp.auditSince(t, *seq)
			r0, w0 := mp.f.St.Transactions()
			status, _, body := mp.do("GET", path, nil, a, "198.51.100.7:4000")
			r1, w1 := mp.f.St.Transactions()
			var rows []auditRow
			rows, *seq = mp.auditSince(t, *seq)
			if status < 200 || status > 299 {
				return 0 // refused or not there: the access matrix checks those answers
			}
			reads, writes := r1-r0, w1-w0
			if why != "" {
				exempt[pattern] = true
				t.Logf("%s as %s (exempt: %s): %d audit rows, %d reads, %d writes", path, who, why, len(rows), reads, writes)
				return 1
			}
			if writes > 1 {
				t.Errorf("%s as %s committed %d write transactions, want the view's one: %v", path, who, writes, rows)
			}
			if !patientPage(pattern) {
				if len(rows) > 1 {
					t.Errorf("%s as %s wrote %d audit rows, want at most one: %v", path, who, len(rows), rows)
				}
				return 1
			}
			if who == "pA" {
				// The patient's own name on their account link is no
				// read of the record.
				body = strings.Replace(body, `<span class="wide-only">`+webtest.CanaryA+`</span>`, "", 1)
			}
			shown := strings.Contains(body, webtest.CanaryA)
			switch {
			case len(rows) > 1:
				t.Errorf("%s as %s wrote %d audit rows, want one for the view: %v", path, who, len(rows), rows)
			case len(rows) == 0 && shown:
				t.Errorf("%s as %s showed the patient and wrote no audit row", path, who)
			case len(rows) == 1 && (rows[0].patient != mp.f.PA.ID || rows[0].outcome != "success"):
				t.Errorf("%s as %s: the view's audit row %v is not a read of the patient shown", path, who, rows[0])
			}
			if id := recordOf(mp, pattern, path); id != "" && len(rows) == 1 && rows[0].objID != id {
				t.Errorf("%s as %s: the view's audit row %v does not name the record shown, %s", path, who, rows[0], id)
			}
			if reads > 2 && len(rows) > 0 {
				t.Errorf("%s as %s began %d read transactions, want the view's one (and the session's)", path, who, reads)
			}
			t.Logf("%s as %s: %d reads, %d writes, %v", path, who, reads, writes, rows)
			return 1
		}
	}
}

// recordOf is the id of the one record of A's that path shows, which the
// view's audit row must name as its object: a thread, a psychotherapy
// note, a skills entry or a dosing session in the path, an appointment's
// note, or a journal entry in the query; "" for a page of no one record (or of several).
func recordOf(mp *matrixPractice, pattern, path string) string {
	for _, p := range []string{"thread", "psychnote", "entry", "session"} {
		if strings.Contains(pattern, "{"+p+"}") {
			return mp.ids["A"][p]
		}
	}
	if strings.HasSuffix(pattern, "/{appointment}/note") {
		return mp.ids["A"]["note"]
	}
	if _, id, ok := strings.Cut(path, "/portal/journal/entry?id="); ok {
		return id
	}
	return ""
}

func actorNamed(name string) matrixActor {
	for _, a := range matrixActors {
		if a.name == name {
			return a
		}
	}
	panic("no actor " + name)
}
