package store_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// patientParams are the parameter names that carry a patient's id.
var patientParams = map[string]bool{"patientID": true, "patientIDs": true, "pid": true}

// patientTypes are the store's (and its neighbours') types that hold
// patient data: a method taking or returning one reads or writes it.
var patientTypes = map[string]bool{
	"Patient": true, "TeamMember": true, "Chart": true, "StageChange": true, "IntakeVersion": true,
	"Assignment": true, "Checkin": true, "Measures": true, "AnswerVersion": true, "Clearance": true,
	"Evaluation": true, "ConsultMessage": true, "Appointment": true, "CalendarEntry": true,
	"DosingSession": true, "GateRecord": true, "GateInput": true, "Vitals": true, "Dose": true, "DosingEvent": true,
	"EmergencyGrant": true, "AccessReportRow": true, "Inquiry": true, "InquiryEvent": true,
	"JournalEntry": true, "JournalSession": true, "JournalInput": true, "JournalAnswer": true,
	"CourseResult": true, "Preparation": true, "Prescription": true, "Prescriptions": true, "DoseAdjustment": true,
	"SafetyAlert": true, "RaisedAlert": true, "AlertSignal": true, "Reminder": true, "FeedEvent": true,
	"OutboxEmail": true,
	"audit.Event": true, "clinic.Intake": true, "measure.Answers": true, "measure.Point": true,
}

// actorExceptions are the exported *Store methods that read or write
// patient data without an actor, each for a reason.
var actorExceptions = map[string]string{
	"CareTeamEmails":      "the safety-alert email job (a system worker) finds whom to tell",
	"ReminderToSend":      "the reminder job (a system worker) loads what its payload names, and audits the send as System",
	"CheckinInviteToSend": "the check-in invitation job (a system worker) loads what its payload names, and audits the send as System",
	"CalendarFeedEvents":  "a calendar app reads the feed: the secret link (tokenHash) is the credential, not a session",
}

// typeName is t's name with pointers, slices, arrays, maps' values and
// channels taken off: "Patient", "audit.Event".
func typeName(t ast.Expr) string {
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.ArrayType:
			t = x.Elt
		case *ast.MapType:
			t = x.Value
		case *ast.Ident:
			return x.Name
		case *ast.SelectorExpr:
			if p, ok := x.X.(*ast.Ident); ok {
				return p.Name + "." + x.Sel.Name
			}
			return ""
		default:
			return ""
		}
	}
}

// patientMethodsWithoutActor parses the store's source in dir and returns
// the exported *Store methods that take a patient id or take or return
// patient data but have no Actor parameter, minus actorExceptions.
func patientMethodsWithoutActor(t *testing.T, dir string) []string {
	t.Helper()
	out, _ := scanMethods(t, dir)
	return out
}

// scanMethods is patientMethodsWithoutActor, and also which of
// actorExceptions it met as such methods.
func scanMethods(t *testing.T, dir string) (out []string, excepted map[string]bool) {
	t.Helper()
	excepted = map[string]bool{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, dir+"/"+name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 || !fn.Name.IsExported() {
				continue
			}
			if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); !ok || typeName(star.X) != "Store" {
				continue
			}
			hasActor, patient := false, ""
			for _, p := range fn.Type.Params.List {
				tn := typeName(p.Type)
				if tn == "Actor" {
					hasActor = true
				}
				if patientTypes[tn] {
					patient = "takes " + tn
				}
				for _, n := range p.Names {
					if patientParams[n.Name] {
						patient = "takes " + n.Name
					}
				}
			}
			if fn.Type.Results != nil {
				for _, r := range fn.Type.Results.List {
					if tn := typeName(r.Type); patientTypes[tn] {
						patient = "returns " + tn
					}
				}
			}
			if patient != "" && !hasActor {
				if _, ok := actorExceptions[fn.Name.Name]; ok {
					excepted[fn.Name.Name] = true
				} else {
					out = append(out, fset.Position(fn.Pos()).String()+": "+fn.Name.Name+" "+patient+" but has no Actor parameter")
				}
			}
		}
	}
	sort.Strings(out)
	return out, excepted
}

// TestPatientDataMethodsTakeActor: every exported *Store method that takes
// a patient id, or takes or returns patient data, takes the Actor whose
// access the store checks; the few system workers that may not are listed
// in actorExceptions with their reason.
func TestPatientDataMethodsTakeActor(t *testing.T) {
	out, excepted := scanMethods(t, ".")
	for _, m := range out {
		t.Error(m)
	}
	for name := range actorExceptions {
		if !excepted[name] {
			t.Errorf("%s is listed as an exception but is no longer a patient-data method without an actor: take it off the list", name)
		}
	}
}

// TestPatientDataMethodsTakeActorCatchesNew: the check above fails on a new
// method that takes a patient id without an actor.
func TestPatientDataMethodsTakeActorCatchesNew(t *testing.T) {
	dir := t.TempDir()
	src := `package store

import "context"

type Store struct{}
type Actor struct{}
type Patient struct{}

func (s *Store) Fine(ctx context.Context, actor Actor, patientID string) error { return nil }
func (s *Store) ByID(ctx context.Context, patientID string) error             { return nil }
func (s *Store) Load(ctx context.Context, id string) (*Patient, error)        { return nil, nil }
func (s *Store) CareTeamEmails(ctx context.Context, patientID string) error   { return nil }
func (s *Store) unexported(ctx context.Context, patientID string) error       { return nil }
`
	if err := os.WriteFile(dir+"/x.go", []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	got := patientMethodsWithoutActor(t, dir)
	if len(got) != 2 || !strings.Contains(got[0], "ByID takes patientID") || !strings.Contains(got[1], "Load returns Patient") {
		t.Errorf("found %q, want ByID and Load", got)
	}
}

// TestChartPartsCheckAccess: Timeline, IntakeHistory and DosedAt, read as
// parts of an audited page, answer whoever may read the chart without a
// second audit row, and refuse anyone else as a missing patient, audited
// as denied.
func TestChartPartsCheckAccess(t *testing.T) {
	s, th, p := alertPractice(t)
	ctx := context.Background()
	other := &clinic.User{Email: "o@example.org", DisplayName: "Otto", Role: clinic.RoleTherapist}
	adm := &clinic.User{Email: "a@example.org", DisplayName: "Ada", Role: clinic.RoleAdmin}
	for _, u := range []*clinic.User{other, adm} {
		if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
	}
	admin := store.Actor{UserID: adm.ID, Role: adm.Role}
	reads := map[string]func(store.Actor) error{
		"timeline.read":  func(a store.Actor) error { _, err := s.Timeline(ctx, a, p.ID); return err },
		"intake.history": func(a store.Actor) error { _, err := s.IntakeHistory(ctx, a, p.ID); return err },
		"dosing.dates":   func(a store.Actor) error { _, err := s.DosedAt(ctx, a, p.ID); return err },
	}
	for action, read := range reads {
		if err := read(th); err != nil {
			t.Errorf("%s by the owner: %v", action, err)
		}
		for _, a := range []store.Actor{{UserID: other.ID, Role: other.Role}, admin, store.System, {}} {
			if err := read(a); clinic.ErrorCode(err) != clinic.ENotFound {
				t.Errorf("%s by %q = %v, want ENotFound", action, a.Role, err)
			}
		}
		rows, _, err := s.FindAudit(ctx, admin, store.AuditFilter{Action: action, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 {
			t.Errorf("%s: %d audit rows, want the 4 refusals only", action, len(rows))
		}
		for _, r := range rows {
			if r.Outcome != store.OutcomeDenied {
				t.Errorf("%s audited as %q, want denied", action, r.Outcome)
			}
		}
	}
}

// TestFindAuditAdminsOnly: only an administrator reads the audit log, and
// each look is itself audited with its filter.
func TestFindAuditAdminsOnly(t *testing.T) {
	s, th, p := alertPractice(t)
	ctx := context.Background()
	adm := &clinic.User{Email: "a@example.org", DisplayName: "Ada", Role: clinic.RoleAdmin}
	if err := s.CreateUser(ctx, store.System, adm, "h"); err != nil {
		t.Fatal(err)
	}
	admin := store.Actor{UserID: adm.ID, Role: adm.Role}
	f := store.AuditFilter{PatientID: p.ID, Action: "patient.", Limit: 10}
	for _, a := range []store.Actor{th, {UserID: "x", Role: clinic.RolePatient}, {UserID: "y", Role: clinic.RolePrescriber}, store.System, {}} {
		if _, _, err := s.FindAudit(ctx, a, f); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("FindAudit by %q = %v, want ENotFound", a.Role, err)
		}
	}
	rows, _, err := s.FindAudit(ctx, admin, f)
	if err != nil || len(rows) == 0 {
		t.Fatalf("FindAudit by an admin = %d rows, %v", len(rows), err)
	}
	looks, _, err := s.FindAudit(ctx, admin, store.AuditFilter{Action: "audit.read", Sort: "oldest", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(looks) != 1 {
		t.Fatalf("%d audit.read rows before the second look, want 1 (the first look; refusals read nothing)", len(looks))
	}
	l := looks[0]
	if l.ActorID != admin.UserID || l.PatientID != "" || !strings.Contains(l.Detail, "patient="+p.ID) || !strings.Contains(l.Detail, "action=patient.") {
		t.Errorf("the look is audited as %+v, want the admin with the filter", l)
	}
	if pr, _, err := s.VerifyAudit(ctx, nil); err != nil || pr != nil {
		t.Errorf("VerifyAudit = %v, %v", pr, err)
	}
}
