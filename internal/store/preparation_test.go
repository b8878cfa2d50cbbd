package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// prepPractice is a practice for the preparation tests: therapist thea
// owns patient pat's case with prescriber rex on the team; therapist theo
// owns patient bea's; ada is an admin.
type prepPractice struct {
	s                          *store.Store
	thea, theo, rex, ada       store.Actor
	pat, bea                   store.Actor // the patients' own accounts
	patID, beaID               string
	theaName, rexName, patName string
}

func newPrepPractice(t *testing.T) *prepPractice {
	t.Helper()
	ctx := context.Background()
	s := storetest.Open(t)
	pp := &prepPractice{s: s, theaName: "Thea Therapist", rexName: "Rex Prescriber", patName: "Pat Patient"}
	user := func(email, name string, role clinic.Role) store.Actor {
		u := &clinic.User{Email: email, DisplayName: name, Role: role}
		if err := s.CreateUser(ctx, store.System, u, "hash"); err != nil {
			t.Fatal(err)
		}
		return store.Actor{UserID: u.ID, Role: role}
	}
	pp.thea = user("thea@example.org", pp.theaName, clinic.RoleTherapist)
	pp.theo = user("theo@example.org", "Theo Therapist", clinic.RoleTherapist)
	pp.rex = user("rex@example.org", pp.rexName, clinic.RolePrescriber)
	pp.ada = user("ada@example.org", "Ada Admin", clinic.RoleAdmin)
	patient := func(owner store.Actor, name, email string) (string, store.Actor) {
		p := &store.Patient{DisplayName: name, Email: email}
		if err := s.CreatePatient(ctx, owner, p, ""); err != nil {
			t.Fatal(err)
		}
		tok := &store.AuthToken{Hash: auth.HashToken(email), Purpose: store.TokenInvite, Email: email, DisplayName: name, Role: clinic.RolePatient, PatientID: p.ID}
		if err := s.CreateToken(ctx, owner, tok); err != nil {
			t.Fatal(err)
		}
		u := &clinic.User{DisplayName: name}
		if err := s.AcceptAccountToken(ctx, store.Actor{}, tok.Hash, store.TokenInvite, u, "hash"); err != nil {
			t.Fatal(err)
		}
		return p.ID, store.Actor{UserID: u.ID, Role: clinic.RolePatient}
	}
	pp.patID, pp.pat = patient(pp.thea, pp.patName, "pat@example.org")
	pp.beaID, pp.bea = patient(pp.theo, "Bea Patient", "bea@example.org")
	if err := s.AddTeamMember(ctx, pp.thea, pp.patID, pp.rex.UserID); err != nil {
		t.Fatal(err)
	}
	return pp
}

// save saves p on top of the current version, as a form opened just now would.
func (pp *prepPractice) save(t *testing.T, actor store.Actor, p store.Preparation) error {
	t.Helper()
	cur, err := pp.s.Preparation(context.Background(), pp.thea, pp.patID)
	if err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		p.Version = cur.Version
	}
	return pp.s.SavePreparation(context.Background(), actor, pp.patID, p)
}

// current reads pat's record as thea.
func (pp *prepPractice) current(t *testing.T) *store.Preparation {
	t.Helper()
	p, err := pp.s.Preparation(context.Background(), pp.thea, pp.patID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startSession records a dosing session for pat with status, as the dosing
// code would.
func (pp *prepPractice) startSession(t *testing.T, id, status string) {
	t.Helper()
	now := time.Now().UTC()
	if err := store.ExecForTest(context.Background(), pp.s, `INSERT INTO dosing_sessions (id, patient_id, clinician_id, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
		id, pp.patID, pp.thea.UserID, status, now); err != nil {
		t.Fatal(err)
	}
}

func fieldOf(err error, field string) string {
	if e, ok := err.(*clinic.Error); ok {
		return e.Fields[field]
	}
	return ""
}

func TestPreparationSaveAndRead(t *testing.T) {
	pp := newPrepPractice(t)
	ctx := context.Background()
	if p := pp.current(t); p != nil {
		t.Fatalf("Preparation before any save = %+v, want nil", p)
	}
	in := store.Preparation{
		Intentions: "  To make peace with my father.\r\nAnd to rest.  ", Music: "The practice playlist", Scent: "none, please",
		EyeShades: "yes", Lighting: "dim", Present: "Thea only", Touch: clinic.TouchSafety, TouchDetail: "ignored unless therapeutic",
		SupportName: "Sam Lee", SupportPhone: "+1 555 010 2345", RideHome: "Sam drives me",
	}
	if err := pp.s.SavePreparation(ctx, pp.pat, pp.patID, in); err != nil {
		t.Fatalf("patient's first save: %v", err)
	}
	got, err := pp.s.Preparation(ctx, pp.pat, pp.patID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.Intentions != "To make peace with my father.\nAnd to rest." || got.Touch != clinic.TouchSafety || got.TouchDetail != "" ||
		got.SupportPhone != "+1 555 010 2345" || got.AuthorName != pp.patName || got.AuthorRole != clinic.RolePatient || got.At.IsZero() {
		t.Errorf("Preparation after the patient's save = %+v", got)
	}
	// The care team adds to it: a new version, by the prescriber.
	in = *got
	in.Music = "Ambient, no lyrics"
	if err := pp.s.SavePreparation(ctx, pp.rex, pp.patID, in); err != nil {
		t.Fatalf("prescriber's save: %v", err)
	}
	got = pp.current(t)
	if got.Version != 2 || got.Music != "Ambient, no lyrics" || got.AuthorName != pp.rexName || got.AuthorRole != clinic.RolePrescriber || got.Intentions != in.Intentions {
		t.Errorf("Preparation after rex's save = %+v", got)
	}
	// Saving the same record again adds no version.
	if err := pp.s.SavePreparation(ctx, pp.thea, pp.patID, *got); err != nil {
		t.Fatalf("unchanged save: %v", err)
	}
	hist, err := pp.s.PreparationHistory(ctx, pp.thea, pp.patID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Version != 2 || hist[1].Version != 1 || hist[1].AuthorRole != clinic.RolePatient {
		t.Errorf("PreparationHistory = %+v, want versions 2 then 1", hist)
	}
	for _, action := range []string{"preparation.save", "preparation.read", "preparation.history"} {
		n, err := store.CountForTest(ctx, pp.s, `SELECT count(*) FROM audit_events WHERE action = $1 AND patient_id = $2 AND outcome = 'success'`, action, pp.patID)
		if err != nil || n == 0 {
			t.Errorf("audit rows for %s = %d, %v; want some", action, n, err)
		}
	}
}

func TestPreparationValidation(t *testing.T) {
	pp := newPrepPractice(t)
	long := func(n int) string { return strings.Repeat("é", n) }
	for _, tt := range []struct {
		name  string
		p     store.Preparation
		field string // "" when valid
	}{
		{"therapeutic touch without its kind and place", store.Preparation{Touch: clinic.TouchTherapeutic}, "touch_detail"},
		{"therapeutic touch with only spaces", store.Preparation{Touch: clinic.TouchTherapeutic, TouchDetail: "   "}, "touch_detail"},
		{"unknown touch", store.Preparation{Touch: "hugs"}, "touch"},
		{"unknown eye shades", store.Preparation{EyeShades: "maybe"}, "eye_shades"},
		{"intentions too long", store.Preparation{Intentions: long(2001)}, "intentions"},
		{"music too long", store.Preparation{Music: long(201)}, "music"},
		{"touch detail too long", store.Preparation{Touch: clinic.TouchTherapeutic, TouchDetail: long(501)}, "touch_detail"},
		{"ride home too long", store.Preparation{RideHome: long(201)}, "ride_home"},
		{"control character in a line", store.Preparation{Scent: "lavender\x00"}, "scent"},
		{"newline in a one-line field", store.Preparation{Present: "Thea\nand Rex"}, "present"},
		{"invalid UTF-8", store.Preparation{Lighting: "dim\xff"}, "lighting"},
		{"not a phone number", store.Preparation{SupportPhone: "call Sam"}, "support_phone"},
		{"longest intentions, with lines", store.Preparation{Intentions: long(1989) + "\n\tten more!"}, ""},
		{"longest one-line field", store.Preparation{Music: long(200), Touch: clinic.TouchTherapeutic, TouchDetail: long(500)}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := pp.current(t)
			err := pp.save(t, pp.pat, tt.p)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("SavePreparation = %v, want saved", err)
				}
				return
			}
			if clinic.ErrorCode(err) != clinic.EInvalid || fieldOf(err, tt.field) == "" {
				t.Fatalf("SavePreparation = %v, want EInvalid at %s", err, tt.field)
			}
			if after := pp.current(t); (before == nil) != (after == nil) || (before != nil && after.Version != before.Version) {
				t.Errorf("a refused save changed the record: %+v -> %+v", before, after)
			}
		})
	}
	// Once consent to touch is agreed, it is withdrawn by choosing no touch,
	// never by clearing the choice.
	if err := pp.save(t, pp.pat, store.Preparation{Touch: clinic.TouchSafety}); err != nil {
		t.Fatal(err)
	}
	if err := pp.save(t, pp.pat, store.Preparation{}); fieldOf(err, "touch") == "" {
		t.Errorf("clearing an agreed touch choice = %v, want an error at touch", err)
	}
}

// TestPreparationTouchRevocable: consent to touch is given, narrowed and
// withdrawn by the patient or the care team at any time, and each step is
// kept with who made it.
func TestPreparationTouchRevocable(t *testing.T) {
	pp := newPrepPractice(t)
	ctx := context.Background()
	steps := []struct {
		who    store.Actor
		touch  string
		detail string
	}{
		{pp.thea, clinic.TouchTherapeutic, "Holding hands; a hand on the shoulder"},
		{pp.pat, clinic.TouchTherapeutic, "Holding hands only"},
		{pp.pat, clinic.TouchSafety, ""},
		{pp.rex, clinic.TouchNone, ""},
		{pp.thea, clinic.TouchSafety, ""}, // widened again, outside a session
	}
	for i, st := range steps {
		if err := pp.save(t, st.who, store.Preparation{Intentions: "rest", Touch: st.touch, TouchDetail: st.detail}); err != nil {
			t.Fatalf("step %d (%s by %s): %v", i+1, st.touch, st.who.Role, err)
		}
	}
	hist, err := pp.s.PreparationHistory(ctx, pp.rex, pp.patID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != len(steps) {
		t.Fatalf("history has %d versions, want %d", len(hist), len(steps))
	}
	for i, st := range steps {
		h := hist[len(hist)-1-i]
		if h.Version != i+1 || h.Touch != st.touch || h.TouchDetail != st.detail || h.AuthorRole != st.who.Role {
			t.Errorf("version %d = %+v, want touch %q %q by a %s", i+1, h, st.touch, st.detail, st.who.Role)
		}
	}
	if !hist[1].At.Equal(hist[1].At.UTC()) || hist[0].At.Before(hist[len(hist)-1].At) {
		t.Errorf("history times out of order: %v ... %v", hist[0].At, hist[len(hist)-1].At)
	}
}

// TestPreparationNoTouchStandsDuringSession: while a dosing session is in
// progress, consent to touch can only be narrowed: a prior "no touch"
// stands even if touch is asked for, and therapeutic touch's kind and
// place cannot be changed, from the pre-dose gate on. After the session,
// changes are agreed as usual.
func TestPreparationNoTouchStandsDuringSession(t *testing.T) {
	pp := newPrepPractice(t)
	ctx := context.Background()
	agreed := store.Preparation{Intentions: "rest", Touch: clinic.TouchTherapeutic, TouchDetail: "Holding hands"}
	if err := pp.save(t, pp.thea, agreed); err != nil {
		t.Fatal(err)
	}
	// Once a session is open, even at the pre-dose gate, the agreement
	// the gate is checked against cannot be widened or changed.
	pp.startSession(t, "gate-session", "gate")
	if err := pp.save(t, pp.pat, store.Preparation{Intentions: "rest", Touch: clinic.TouchTherapeutic, TouchDetail: "Holding hands; a hand on the back"}); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Fatalf("changing the kind of touch at the gate = %v, want refused", err)
	}
	if err := store.ExecForTest(ctx, pp.s, `UPDATE dosing_sessions SET status = 'ready' WHERE id = 'gate-session'`); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		who     store.Actor
		p       store.Preparation
		field   string // the refused field, or "" when allowed
		wantMsg string
	}{
		{"kind and place changed", pp.thea, store.Preparation{Intentions: "rest", Touch: clinic.TouchTherapeutic, TouchDetail: "A hug"}, "touch_detail", ""},
		{"narrowed to safety touch", pp.pat, store.Preparation{Intentions: "rest", Touch: clinic.TouchSafety}, "", ""},
		{"widened back to therapeutic", pp.thea, store.Preparation{Intentions: "rest", Touch: clinic.TouchTherapeutic, TouchDetail: "Holding hands"}, "touch", "Touch consent can only be narrowed during a session; agree any change in a preparation session afterwards."},
		{"narrowed to no touch", pp.thea, store.Preparation{Intentions: "rest", Touch: clinic.TouchNone}, "", ""},
		{"patient asks for safety touch", pp.pat, store.Preparation{Intentions: "rest", Touch: clinic.TouchSafety}, "touch", "Touch consent can only be narrowed during a session; agree any change in a preparation session afterwards."},
		{"prescriber records therapeutic touch", pp.rex, store.Preparation{Intentions: "rest", Touch: clinic.TouchTherapeutic, TouchDetail: "Holding hands"}, "touch", ""},
		{"other fields still change", pp.pat, store.Preparation{Intentions: "rest", Music: "quiet now, please", Touch: clinic.TouchNone}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := pp.current(t)
			err := pp.save(t, tt.who, tt.p)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("SavePreparation = %v, want saved", err)
				}
				return
			}
			msg := fieldOf(err, tt.field)
			if clinic.ErrorCode(err) != clinic.EInvalid || msg == "" || (tt.wantMsg != "" && msg != tt.wantMsg) {
				t.Fatalf("SavePreparation = %v (at %s: %q), want EInvalid at %s %q", err, tt.field, msg, tt.field, tt.wantMsg)
			}
			if after := pp.current(t); after.Version != before.Version || after.Touch != before.Touch {
				t.Errorf("a refused save changed the record: %+v -> %+v", before, after)
			}
		})
	}
	if got := pp.current(t); got.Touch != clinic.TouchNone || got.Music != "quiet now, please" {
		t.Errorf("after the session's changes, record = %+v, want no touch and the new music", got)
	}
	// Dosed is still in progress; discharged is not.
	if err := store.ExecForTest(ctx, pp.s, `UPDATE dosing_sessions SET status = 'dosed' WHERE id = 'gate-session'`); err != nil {
		t.Fatal(err)
	}
	if err := pp.save(t, pp.pat, store.Preparation{Intentions: "rest", Touch: clinic.TouchSafety}); fieldOf(err, "touch") == "" {
		t.Errorf("widening while dosed = %v, want refused at touch", err)
	}
	if err := store.ExecForTest(ctx, pp.s, `UPDATE dosing_sessions SET status = 'discharged' WHERE id = 'gate-session'`); err != nil {
		t.Fatal(err)
	}
	if err := pp.save(t, pp.thea, store.Preparation{Intentions: "rest", Touch: clinic.TouchSafety}); err != nil {
		t.Errorf("widening after discharge, in a preparation session: %v", err)
	}
	// A patient with no agreement yet gets none during a session either.
	pp2 := newPrepPractice(t)
	pp2.startSession(t, "s2", "dosed")
	if err := pp2.save(t, pp2.pat, store.Preparation{Touch: clinic.TouchSafety}); fieldOf(err, "touch") == "" {
		t.Errorf("first touch consent given during a session = %v, want refused", err)
	}
	if err := pp2.save(t, pp2.pat, store.Preparation{Touch: clinic.TouchNone}); err != nil {
		t.Errorf("no touch during a session, with nothing agreed before: %v", err)
	}
}

// TestPreparationAccess: only the patient and their care team read and
// change the record; emergency access reads it but cannot change it; every
// refusal is ENotFound and audited.
func TestPreparationAccess(t *testing.T) {
	pp := newPrepPractice(t)
	ctx := context.Background()
	if err := pp.save(t, pp.pat, store.Preparation{Touch: clinic.TouchNone}); err != nil {
		t.Fatal(err)
	}
	for name, who := range map[string]store.Actor{"theo (not on the team)": pp.theo, "admin": pp.ada, "another patient": pp.bea} {
		if _, err := pp.s.Preparation(ctx, who, pp.patID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("Preparation as %s = %v, want ENotFound", name, err)
		}
		if _, err := pp.s.PreparationHistory(ctx, who, pp.patID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("PreparationHistory as %s = %v, want ENotFound", name, err)
		}
		if err := pp.s.SavePreparation(ctx, who, pp.patID, store.Preparation{Version: 1, Touch: clinic.TouchTherapeutic, TouchDetail: "x"}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("SavePreparation as %s = %v, want ENotFound", name, err)
		}
	}
	if _, err := pp.s.Preparation(ctx, pp.thea, "no-such-patient"); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("Preparation of a missing patient = %v, want ENotFound", err)
	}
	if _, err := pp.s.GrantEmergencyAccess(ctx, pp.theo, pp.patID, "Patient called in crisis; their therapist is away."); err != nil {
		t.Fatal(err)
	}
	if p, err := pp.s.Preparation(ctx, pp.theo, pp.patID); err != nil || p == nil || p.Touch != clinic.TouchNone {
		t.Errorf("Preparation with emergency access = %+v, %v; want the record", p, err)
	}
	if err := pp.s.SavePreparation(ctx, pp.theo, pp.patID, store.Preparation{Version: 1, Touch: clinic.TouchSafety}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("SavePreparation with emergency access = %v, want ENotFound", err)
	}
	if got := pp.current(t); got.Version != 1 {
		t.Errorf("record after refused saves = %+v, want version 1", got)
	}
	n, err := store.CountForTest(ctx, pp.s, `SELECT count(*) FROM audit_events WHERE action = 'preparation.save' AND outcome = 'denied' AND patient_id = $1`, pp.patID)
	if err != nil || n != 4 {
		t.Errorf("denied preparation.save audit rows = %d, %v; want 4", n, err)
	}
}

// TestPreparationConflict: a save from a form opened before someone else's
// save is refused, and says when consent to touch changed meanwhile.
func TestPreparationConflict(t *testing.T) {
	pp := newPrepPractice(t)
	ctx := context.Background()
	if err := pp.save(t, pp.thea, store.Preparation{Touch: clinic.TouchTherapeutic, TouchDetail: "Holding hands"}); err != nil {
		t.Fatal(err)
	}
	opened := *pp.current(t) // thea opens the chart
	if err := pp.save(t, pp.pat, store.Preparation{Touch: clinic.TouchNone}); err != nil {
		t.Fatal(err) // the patient withdraws consent in the portal
	}
	opened.Music = "Piano"
	err := pp.s.SavePreparation(ctx, pp.thea, pp.patID, opened)
	if clinic.ErrorCode(err) != clinic.EConflict || fieldOf(err, "preparation") == "" || !strings.Contains(fieldOf(err, "touch"), "no touch") {
		t.Fatalf("save from a stale form = %v, want EConflict naming the touch change", err)
	}
	if got := pp.current(t); got.Touch != clinic.TouchNone || got.Version != 2 {
		t.Errorf("after the refused stale save, record = %+v, want the patient's no touch", got)
	}
	// A stale form that asks for what is saved already changes nothing and succeeds.
	if err := pp.s.SavePreparation(ctx, pp.rex, pp.patID, store.Preparation{Version: 1, Touch: clinic.TouchNone}); err != nil {
		t.Errorf("stale but identical save = %v, want nil", err)
	}
}

// TestPreparationConcurrentSaves: two saves from the same version at the
// same moment give one new version and one conflict, never another error.
func TestPreparationConcurrentSaves(t *testing.T) {
	pp := newPrepPractice(t)
	ctx := context.Background()
	for round := range 10 {
		cur := pp.current(t)
		base := 0
		if cur != nil {
			base = cur.Version
		}
		start := make(chan struct{})
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for k, who := range []store.Actor{pp.thea, pp.pat} {
			wg.Go(func() {
				<-start
				errs[k] = pp.s.SavePreparation(ctx, who, pp.patID, store.Preparation{Version: base, Music: who.Role.Title() + " " + string(rune('a'+round))})
			})
		}
		close(start)
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range errs {
			switch clinic.ErrorCode(err) {
			case "":
				ok++
			case clinic.EConflict:
				conflicts++
			default:
				t.Fatalf("round %d: concurrent save = %v", round, err)
			}
		}
		if ok != 1 || conflicts != 1 {
			t.Fatalf("round %d: %d saved, %d conflicts; want 1 and 1", round, ok, conflicts)
		}
		if got := pp.current(t); got.Version != base+1 {
			t.Fatalf("round %d: version %d, want %d", round, got.Version, base+1)
		}
	}
}

// TestPreparationAppendOnly: the database refuses to change or delete a
// saved version, on both engines.
func TestPreparationAppendOnly(t *testing.T) {
	pp := newPrepPractice(t)
	ctx := context.Background()
	if err := pp.save(t, pp.pat, store.Preparation{Touch: clinic.TouchNone}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE preparations SET touch = 'therapeutic', touch_detail = 'x' WHERE patient_id = $1`, `DELETE FROM preparations WHERE patient_id = $1`} {
		if err := store.ExecForTest(ctx, pp.s, q, pp.patID); err == nil {
			t.Errorf("%s succeeded, want refused", q)
		}
	}
	if got := pp.current(t); got.Touch != clinic.TouchNone {
		t.Errorf("record after refused changes = %+v", got)
	}
}

func TestTouchWidens(t *testing.T) {
	for _, tt := range []struct {
		from, to string
		want     bool
	}{
		{"", clinic.TouchNone, false}, {"", clinic.TouchSafety, true}, {clinic.TouchNone, clinic.TouchSafety, true},
		{clinic.TouchNone, clinic.TouchTherapeutic, true}, {clinic.TouchSafety, clinic.TouchTherapeutic, true},
		{clinic.TouchTherapeutic, clinic.TouchSafety, false}, {clinic.TouchTherapeutic, clinic.TouchNone, false},
		{clinic.TouchSafety, clinic.TouchNone, false}, {clinic.TouchSafety, clinic.TouchSafety, false},
	} {
		if got := clinic.TouchWidens(tt.from, tt.to); got != tt.want {
			t.Errorf("TouchWidens(%q, %q) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}
