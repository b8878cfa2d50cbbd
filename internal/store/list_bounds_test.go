package store_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// unboundedLists are the store's methods that return a list (a slice or a
// map) without taking a page or a limit, each with why its length does not
// grow with the practice, or with a patient's years, or whose page it is.
// TestStoreListsAreBounded fails for any other, so a new list that would
// read every row of a growing table has to be paged (PageKey and readPage,
// or a limit) or be argued for here.
var unboundedLists = map[string]string{
	// The practice's configuration and its staff: set by hand, a handful
	// to a few tens of rows, not one per patient.
	"ConsentKinds":         "the practice's consent kinds, a handful set by administrators",
	"NoteTemplates":        "the practice's note templates, a handful",
	"Rooms":                "the practice's rooms",
	"SitePages":            "the website's pages, a few edited by hand",
	"HomeTexts":            "the home page's text slots, a fixed set",
	"StaffProfiles":        "the staff's public profiles: a group's tens of people",
	"PublicTeam":           "the staff's public profiles: a group's tens of people",
	"ListStaff":            "the enabled staff of one role: a group's tens of people",
	"SupervisorChoices":    "the staff who write notes (patients' accounts are left out in SQL)",
	"WitnessStatuses":      "one row per configured audit witness channel, a few",
	"WorkingHours":         "one clinician's weekly hours: seven days, a few ranges each",
	"TimeOffList":          "one clinician's time off still to come (ends_at after now)",
	"JobDepth":             "a count per job kind; the kinds are fixed in code",
	"SealStatus":           "a count per sealed column and key: columns fixed in code, keys a few",
	"SealedKeyIDs":         "a count per sealing key, a few",
	"KeyUse":               "a count per sealed column and key: columns fixed in code, keys a few",
	"Migrate":              "the migrations applied, fixed in code",
	"OutcomeCounts":        "grouped in SQL by instrument, therapist, quarter and score pair: bounded by the scores' range, the staff and the quarters, not by the patients",
	"ListSessions":         "one user's unexpired sessions",
	"ListDevices":          "one user's trusted devices, unrevoked and used lately",
	"CareTeam":             "one patient's care team, a few people",
	"CareTeamEmails":       "one patient's care team, a few people",
	"AlertEmailRecipients": "one patient's care team, a few people",

	// Capped in SQL: the newest or most urgent first, never more than the
	// cap.
	"FindAudit":           "AuditFilter.Limit, at most 500 (keyset pages by sequence)",
	"AccessReport":        "a patient's own access report: LIMIT 500, newest first",
	"ListSMARTClients":    "the registered SMART apps: LIMIT 200, live ones first, newest first",
	"PaymentRecorded":     "the charges one payment went to when it was recorded: those chosen on the form or the oldest open ones it covered, a few",
	"RefundReopened":      "the charges one refund took its payment's money back off: at most those the one payment was applied to, a few",
	"REMSFormFor":         "one session's REMS form and its corrections: a version per correction, a few",
	"Diagnoses":           "one patient's diagnoses, a handful (at most MaxDiagnoses current), and their removed ones: LIMIT 200",
	"Invitations":         "LIMIT 200 (5 for one patient), newest first; used invitations drop out",
	"ListEmergencyGrants": "LIMIT 200, unreviewed first",
	"CalendarFeedEvents":  "one clinician's window of weeks, LIMIT 5000",
	"FindOutsideTeam":     "LIMIT EmergencySearchLimit, and rate-limited",
	"CSProducts":          "the practice's controlled-substance products, a handful set by hand",
	"CSLots":              "the controlled-substance lots (with stock, or all): a few received a month; LIMIT CSReportLimit",
	"CSDoseLots":          "the controlled-substance lots with stock left, a few; LIMIT CSReportLimit",
	"CSDispensingLog":     "a report for a date range: LIMIT CSReportLimit, many times two years of a busy practice's doses",
	"CSReconciliation":    "a report, a row per lot: LIMIT CSReportLimit",
	"FeeSchedule":         "the fee schedule's current entries: a kind's default and a few clinicians' own, set by hand",
	"SlidingTiers":        "the practice's sliding-scale tiers, a handful set by hand",
	"Packages":            "the practice's packages on sale, a handful set by hand",
	"IncomeByMonth":       "grouped in SQL by month of a date range: LIMIT BillingReportLimit",
	"IncomeByClinician":   "grouped in SQL by clinician: the staff, LIMIT BillingReportLimit",
	"IncomeByService":     "grouped in SQL by service code, a few: LIMIT BillingReportLimit",

	// Per patient, small by nature: a row per version or event of a kind
	// that happens a few times a course.
	"PatientConsents":        "a patient's signed consents: one per kind and version",
	"DosingSessions":         "a patient's dosing sessions: a series of a few per course",
	"DosedAt":                "a patient's dosing sessions' times: a few per course",
	"AppointmentsAfter":      "a patient's appointments still to come (and any begun in the last few hours): booked weeks, not years, ahead",
	"PendingJournalSessions": "a patient's dosing sessions still awaiting a journal entry",
	"PreparationHistory":     "a patient's preparation checklist versions, a few",
	"SafetyPlanHistory":      "a patient's safety plan versions, a few a year",
	"IntakeHistory":          "a patient's intake versions, a few",
	"Timeline":               "a patient's stage changes, a few per course",
	"CheckinVersions":        "the versions of one check-in's answers, a few",
	"DiaryUrges":             "the urges a patient tracks, a few they named",
	"OwnDiaryDays":           "the days from..to (a diary card's week)",
	"SharedDiaryDays":        "the days from..to (a diary card's week)",

	// A worklist that must be shown whole.
	"OpenSafetyAlerts": "the open safety alerts of the actor's caseload: each must be seen until acknowledged; it costs the practice's open alerts, not the caseload",

	// Used only by tests, as the oracle of the paged form the pages use.
	"ListPatients":        "tests only: the oracle of PagePatients (the caseload's pages)",
	"Appointments":        "tests only: the oracle of AppointmentsAfter and PastAppointments (the portal), FindChart's window and RecentAppointments",
	"UnreadConsults":      "tests only: the oracle of UnreadConsultsOf (one caseload page's ids)",
	"OutOfDateClearances": "tests only: the oracle of OutOfDateClearancesOf (one caseload page's ids)",

	// Grow with the practice's years; not paged yet (listed so that they
	// are not forgotten).
	"JournalEntries": "a patient's own journal, every entry (the portal)",
	"SharedJournal":  "the journal entries a patient shared (the chart's notes and prescriptions)",
	"PatientThreads": "a patient's message threads (the messages pages)",
	"Thread":         "every message of one thread (the messages pages)",
}

// TestStoreListsAreBounded: every exported method of *Store that returns
// a slice or a map takes a bound: a PageKey (keyset pages), a limit (an
// int parameter named limit, n or page, or a PsychNotePage), or the ids it
// is asked about (a slice parameter named ...IDs or ids, themselves one
// page of another list); or it is in unboundedLists with its reason. An
// entry there that no longer names such a method fails too.
func TestStoreListsAreBounded(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var unbounded []string
	seen := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() || !isStoreRecv(fn.Recv) || !returnsList(fn.Type.Results) {
				continue
			}
			seen[fn.Name.Name] = true
			if takesBound(fn.Type.Params) {
				if _, ok := unboundedLists[fn.Name.Name]; ok {
					t.Errorf("%s takes a bound now: remove it from unboundedLists", fn.Name.Name)
				}
				continue
			}
			if _, ok := unboundedLists[fn.Name.Name]; !ok {
				unbounded = append(unbounded, fmt.Sprintf("%s (%s)", fn.Name.Name, fset.Position(fn.Pos())))
			}
		}
	}
	sort.Strings(unbounded)
	for _, u := range unbounded {
		t.Errorf("store.%s returns a list without a page or a limit: page it (PageKey, readPage) or give the reason in unboundedLists", u)
	}
	for name := range unboundedLists {
		if !seen[name] {
			t.Errorf("unboundedLists names %s, which is no longer a method of *Store returning a list", name)
		}
	}
}

func isStoreRecv(r *ast.FieldList) bool {
	if len(r.List) != 1 {
		return false
	}
	st, ok := r.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	id, ok := st.X.(*ast.Ident)
	return ok && id.Name == "Store"
}

// returnsList reports whether one of results is a slice (other than
// []byte) or a map.
func returnsList(results *ast.FieldList) bool {
	if results == nil {
		return false
	}
	for _, r := range results.List {
		switch t := r.Type.(type) {
		case *ast.MapType:
			return true
		case *ast.ArrayType:
			if id, ok := t.Elt.(*ast.Ident); t.Len == nil && !(ok && id.Name == "byte") {
				return true
			}
		}
	}
	return false
}

// takesBound reports whether one of params bounds the answer.
func takesBound(params *ast.FieldList) bool {
	for _, p := range params.List {
		switch t := p.Type.(type) {
		case *ast.Ident:
			if t.Name == "PageKey" || t.Name == "PsychNotePage" {
				return true
			}
			if t.Name == "int" {
				for _, n := range p.Names {
					if n.Name == "limit" || n.Name == "n" || n.Name == "page" {
						return true
					}
				}
			}
		case *ast.ArrayType:
			for _, n := range p.Names {
				if n.Name == "ids" || strings.HasSuffix(n.Name, "IDs") {
					return true
				}
			}
		}
	}
	return false
}
