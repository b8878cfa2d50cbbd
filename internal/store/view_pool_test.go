package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// TestViewNeverWaitsForASecondConnection: a page view holds one read
// transaction, and on PostgreSQL reads and writes share one pool, so a
// view must never need a second connection while it holds the first (with
// every connection held by views each waiting for another, the instance
// would wait for ever). Two paths used to: a refused section, whose denial
// is audited in a write transaction of its own, and FindPatient (the page
// of a role without the chart), which wrote its own audit row. With one
// connection in the pool, both now finish; a refusal is still audited and
// answered not-found.
func TestViewNeverWaitsForASecondConnection(t *testing.T) {
	f := newOutcomeFixture(t)
	mine := f.patient(t, "Pat Mine")
	other := &clinic.User{Email: "o@example.org", DisplayName: "Otto", Role: clinic.RoleTherapist}
	if err := f.s.CreateUser(context.Background(), store.System, other, "h"); err != nil {
		t.Fatal(err)
	}
	foreign := &store.Patient{DisplayName: "Fay Foreign"}
	if err := f.s.CreatePatient(context.Background(), store.Actor{UserID: other.ID, Role: other.Role}, foreign, ""); err != nil {
		t.Fatal(err)
	}
	store.OneConnectionForTest(f.s)
	audited := func(action, outcome, patientID string) int {
		t.Helper()
		evs, _, err := f.s.FindAudit(context.Background(), f.admin, store.AuditFilter{Action: action})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Outcome == outcome && e.ObjectID == patientID {
				n++
			}
		}
		return n
	}

	// A refused section inside a view.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	vctx, view, err := f.s.BeginView(ctx, f.therapist, foreign.ID, "chart.read")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.s.FindChart(vctx, f.therapist, foreign.ID, store.ChartOptions{})
	if clinic.ErrorCode(err) != clinic.ENotFound {
		t.Fatalf("another therapist's patient in a view: %v, want not found (a context deadline means the view waited for a second connection)", err)
	}
	if err := view.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if n := audited("chart.read", store.OutcomeDenied, foreign.ID); n != 1 {
		t.Errorf("the refusal was audited %d times, want once", n)
	}

	// The other refusals audited in a write of their own end the view's
	// read first too: a route's write check (AuthorizeRecord, which the
	// new psychotherapy note and safety plan edit forms ask in their
	// view) and a section read unaudited on success (patientRead).
	for _, c := range []struct {
		name string
		read func(ctx context.Context) error
	}{
		{"AuthorizeRecord", func(ctx context.Context) error {
			return f.s.AuthorizeRecord(ctx, f.therapist, foreign.ID, auth.PermPsychNote, "GET /patients/{patient}/psychnotes/new")
		}},
		{"IntakeHistory", func(ctx context.Context) error {
			_, err := f.s.IntakeHistory(ctx, f.therapist, foreign.ID)
			return err
		}},
	} {
		vctx, view, err := f.s.BeginView(ctx, f.therapist, foreign.ID, "chart.read")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.read(vctx); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Fatalf("%s of another therapist's patient in a view: %v, want not found (a context deadline means the view waited for a second connection)", c.name, err)
		}
		if err := view.Finish(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// FindPatient inside a view names itself in the view's one row.
	vctx, view, err = f.s.BeginView(ctx, f.therapist, mine.ID, "chart.read")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := f.s.FindPatient(vctx, f.therapist, mine.ID)
	if err != nil || p.ID != mine.ID {
		t.Fatalf("FindPatient in a view = %v, %v (a context deadline means it waited for a second connection)", p, err)
	}
	shown := view.Shown()
	if err := view.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(shown, func(s string) bool { return strings.HasPrefix(s, "patient read") }) {
		t.Errorf("the view shows %v, want patient read among them", shown)
	}
	if n := audited("chart.read", store.OutcomeSuccess, mine.ID); n != 1 {
		t.Errorf("the view of my patient was audited in %d chart.read rows, want 1", n)
	}
	if n := audited("patient.read", store.OutcomeSuccess, mine.ID); n != 0 {
		t.Errorf("FindPatient in a view wrote %d patient.read rows of its own, want none", n)
	}
}
