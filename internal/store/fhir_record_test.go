package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// walk reads every page of a keyset list, limit rows a page.
func walk[T any](t *testing.T, limit int, read func(store.PageKey) (*store.Page[T], error), id func(T) string) (ids []string, total int) {
	t.Helper()
	k := store.PageKey{Limit: limit}
	for pages := 0; ; pages++ {
		p, err := read(k)
		if err != nil {
			t.Fatal(err)
		}
		total = p.Total
		for _, r := range p.Rows {
			ids = append(ids, id(r))
		}
		if p.Next == "" || pages > 1000 {
			return ids, total
		}
		k.After = p.Next
	}
}

// TestFHIRLists: the FHIR API's paged lists of a patient's appointments,
// dosing sessions and signed notes (demo practice, every therapist's
// caseload) give the rows the store's other reads give, in time order,
// the same walked one a page or all at once; a date condition and an id
// narrow them; FHIROwner finds each row's patient; a patient's own
// account reads their appointments but no dosing record or note, and a
// therapist off the care team reads nothing (ENotFound).
func TestFHIRLists(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	logins, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	therapists, err := st.ListStaff(ctx, clinic.RoleTherapist)
	if err != nil {
		t.Fatal(err)
	}
	var appointments, sessions, notes int
	apID := func(a store.Appointment) string { return a.ID }
	for _, th := range therapists {
		a := store.Actor{UserID: th.ID, Role: th.Role}
		list, err := st.ListPatients(ctx, a, store.PatientFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range list {
			f := store.FHIRFilter{PatientID: p.ID}
			// Appointments: the oracle is Appointments (oldest first).
			oracle, err := st.Appointments(ctx, a, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, ap := range oracle {
				want = append(want, ap.ID)
				if pid, err := st.FHIROwner(ctx, store.OwnerAppointment, ap.ID); err != nil || pid != p.ID {
					t.Errorf("FHIROwner(appointment %s) = %q, %v, want %s", ap.ID, pid, err, p.ID)
				}
			}
			read := func(k store.PageKey) (*store.Page[store.Appointment], error) {
				return st.FHIRAppointments(ctx, a, f, k)
			}
			one, total := walk(t, 1, read, apID)
			whole, _ := walk(t, 200, read, apID)
			slices.Sort(want)
			sorted := slices.Sorted(slices.Values(one))
			if !slices.Equal(one, whole) || !slices.Equal(sorted, want) || total != len(want) {
				t.Errorf("%s's appointments: one a page %v, all at once %v, the store's %v (total %d)", p.DisplayName, one, whole, want, total)
			}
			appointments += len(one)
			if len(oracle) > 1 {
				mid := oracle[len(oracle)/2].StartsAt
				f2 := f
				f2.When = []store.TimeCond{{From: &mid}}
				got, _ := walk(t, 200, func(k store.PageKey) (*store.Page[store.Appointment], error) {
					return st.FHIRAppointments(ctx, a, f2, k)
				}, apID)
				n := 0
				for _, ap := range oracle {
					if !ap.StartsAt.Before(mid) {
						n++
					}
				}
				if len(got) != n {
					t.Errorf("%s's appointments from %v: %d, want %d", p.DisplayName, mid, len(got), n)
				}
				f2 = f
				f2.ID = oracle[0].ID
				if got, _ := walk(t, 200, func(k store.PageKey) (*store.Page[store.Appointment], error) {
					return st.FHIRAppointments(ctx, a, f2, k)
				}, apID); !slices.Equal(got, []string{oracle[0].ID}) {
					t.Errorf("one appointment by id: %v", got)
				}
			}
			// Dosing sessions: the oracle is DosingSessions.
			ds, err := st.DosingSessions(ctx, a, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, total := walk(t, 1, func(k store.PageKey) (*store.Page[store.DosingSession], error) { return st.FHIRSessions(ctx, a, f, k) },
				func(d store.DosingSession) string { return d.ID })
			if len(got) != len(ds) || total != len(ds) {
				t.Errorf("%s's dosing sessions: %d (total %d), want %d", p.DisplayName, len(got), total, len(ds))
			}
			sessions += len(got)
			// Signed notes: the oracle is Notes, signed ones only.
			var signed []string
			for page := 1; ; page++ {
				nl, err := st.Notes(ctx, a, p.ID, page)
				if err != nil {
					t.Fatal(err)
				}
				for _, ns := range nl.Notes {
					if ns.Status == clinic.NoteSigned || ns.Status == clinic.NoteAwaitingCosign {
						n, err := st.NoteFor(ctx, a, p.ID, ns.AppointmentID)
						if err != nil {
							t.Fatal(err)
						}
						signed = append(signed, n.ID)
					}
				}
				if !nl.More {
					break
				}
			}
			got, _ = walk(t, 1, func(k store.PageKey) (*store.Page[store.SignedNote], error) { return st.FHIRNotes(ctx, a, f, k) },
				func(n store.SignedNote) string { return n.Note.ID })
			slices.Sort(signed)
			if !slices.Equal(slices.Sorted(slices.Values(got)), signed) {
				t.Errorf("%s's signed notes: %v, want %v", p.DisplayName, got, signed)
			}
			notes += len(got)
		}
	}
	if appointments == 0 || sessions == 0 || notes == 0 {
		t.Errorf("read %d appointments, %d sessions, %d notes: the demo has all three", appointments, sessions, notes)
	}
	for _, c := range []struct{ kind, id string }{{store.OwnerAppointment, "nope"}, {"patient", "x"}, {store.OwnerNote, ""}} {
		if _, err := st.FHIROwner(ctx, c.kind, c.id); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("FHIROwner(%s, %q): %v, want ENotFound", c.kind, c.id, err)
		}
	}
	// A patient's own account: appointments yes, dosing records and notes
	// no; a therapist off the team: nothing.
	for _, l := range logins {
		if l.Role != clinic.RolePatient {
			continue
		}
		u, _, err := st.FindUserByEmail(ctx, l.Email)
		if err != nil {
			t.Fatal(err)
		}
		pa := store.Actor{UserID: u.ID, Role: u.Role}
		p, err := st.FindOwnPatient(ctx, pa)
		if err != nil {
			t.Fatal(err)
		}
		f := store.FHIRFilter{PatientID: p.ID}
		if _, err := st.FHIRAppointments(ctx, pa, f, store.PageKey{}); err != nil {
			t.Errorf("a patient's own appointments: %v", err)
		}
		if _, err := st.FHIRSessions(ctx, pa, f, store.PageKey{}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("a patient's own dosing sessions: %v, want ENotFound", err)
		}
		if _, err := st.FHIRNotes(ctx, pa, f, store.PageKey{}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("a patient's own notes: %v, want ENotFound", err)
		}
		for _, th := range therapists {
			a := store.Actor{UserID: th.ID, Role: th.Role}
			if _, _, err := st.FindPatient(ctx, a, p.ID); err == nil {
				continue
			}
			if _, err := st.FHIRAppointments(ctx, a, f, store.PageKey{}); clinic.ErrorCode(err) != clinic.ENotFound {
				t.Errorf("a therapist off the team, appointments: %v, want ENotFound", err)
			}
			if _, err := st.FHIRScreening(ctx, a, p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
				t.Errorf("a therapist off the team, screening: %v, want ENotFound", err)
			}
		}
	}
}
