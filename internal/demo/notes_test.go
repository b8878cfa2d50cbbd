package demo_test

import (
	"context"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestDemoNotes: the demo shows each notes feature: a signed note with an
// addendum, a co-signed note, two awaiting co-signature, and a late note.
func TestDemoNotes(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	if _, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	actor := func(email string, role clinic.Role) store.Actor {
		u, _, err := st.FindUserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return store.Actor{UserID: u.ID, Role: role}
	}
	lena := actor("lena.ortiz@willowcreek.example", clinic.RoleTherapist)
	sam := actor("sam.whitaker@willowcreek.example", clinic.RoleTherapist)
	list, err := st.NotesAwaitingCosign(ctx, lena, 1)
	if err != nil || len(list.Notes) != 2 || list.Notes[0].PatientName != "Riley Chen" || list.Notes[1].PatientName != "Riley Chen" {
		t.Fatalf("Lena's notes to co-sign = %+v, %v", list, err)
	}
	late, err := st.LateNotes(ctx, lena, 1)
	if err != nil || len(late.Notes) != 1 || late.Notes[0].PatientName != "Robin Alvarez" || late.Notes[0].Status != clinic.NoteDraft {
		t.Fatalf("Lena's late notes = %+v, %v", late, err)
	}
	// Sam's own list: Riley's older note, signed by him eight days ago, is
	// late because it still waits for Lena; yesterday's is not late yet.
	if l, _ := st.LateNotes(ctx, sam, 1); len(l.Notes) != 1 || l.Notes[0].PatientName != "Riley Chen" || l.Notes[0].Status != clinic.NoteAwaitingCosign {
		t.Errorf("Sam's late notes = %+v", l.Notes)
	}
	var signed, addenda, cosigned int
	for _, name := range []string{"Jordan Lee", "Morgan Ellis"} {
		pts, err := st.ListPatients(ctx, lena, store.PatientFilter{Query: name})
		owner := lena
		if err != nil || len(pts) == 0 {
			owner = sam
			pts, _ = st.ListPatients(ctx, sam, store.PatientFilter{Query: name})
		}
		if len(pts) != 1 {
			t.Fatalf("patient %s not found", name)
		}
		notes, err := st.Notes(ctx, owner, pts[0].ID, 1)
		if err != nil || len(notes.Notes) != 1 {
			t.Fatalf("%s's notes = %+v, %v", name, notes, err)
		}
		n, err := st.NoteFor(ctx, owner, pts[0].ID, notes.Notes[0].AppointmentID)
		if err != nil || !n.Verify() {
			t.Fatalf("%s's note = %+v, %v", name, n, err)
		}
		signed++
		addenda += len(n.Addenda)
		if n.CosignVerified() {
			cosigned++
		}
	}
	if signed != 2 || addenda != 1 || cosigned != 1 {
		t.Errorf("demo notes: %d signed, %d addenda, %d co-signed; want 2, 1, 1", signed, addenda, cosigned)
	}
}
