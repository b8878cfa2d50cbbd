package store_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestAccountsPages: the accounts page reads the staff's accounts and the
// patients' apart, each by name (ties by id) a page at a time by key, both
// ways, with the count of every match; a search keeps the accounts whose
// name or email holds it, in any case (a LIKE wildcard in it is only
// text); a key from the other list reads the first page. One user.list
// audit row per read.
func TestAccountsPages(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	type acct struct{ name, id string }
	var staff, patients []acct
	for i, u := range []*clinic.User{
		{Email: "ada@example.org", DisplayName: "Ada Admin", Role: clinic.RoleAdmin},
		{Email: "thea@example.org", DisplayName: "Thea Therapist", Role: clinic.RoleTherapist},
		{Email: "pat@example.org", DisplayName: "Pia Prescriber", Role: clinic.RolePrescriber},
	} {
		if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(i, err)
		}
		staff = append(staff, acct{u.DisplayName, u.ID})
	}
	for i := range 10 {
		name := fmt.Sprintf("Patient %d", i%7) // three names twice: ties broken by id
		email := fmt.Sprintf("p%d@example.org", i)
		if i == 4 {
			name, email = "Maria Rivera", "m.rivera_100%@example.org"
		}
		u := &clinic.User{Email: email, DisplayName: name, Role: clinic.RolePatient}
		if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
		patients = append(patients, acct{name, u.ID})
	}
	maria := patients[4].id
	byName := func(as []acct) []string {
		as = slices.Clone(as)
		sort.Slice(as, func(i, j int) bool {
			if as[i].name != as[j].name {
				return as[i].name < as[j].name
			}
			return as[i].id < as[j].id
		})
		var ids []string
		for _, a := range as {
			ids = append(ids, a.id)
		}
		return ids
	}
	admin := store.Actor{UserID: staff[0].id, Role: clinic.RoleAdmin}
	list := func(query string, wantPatients bool) func(store.PageKey) ([]string, int, string, string, error) {
		return func(k store.PageKey) ([]string, int, string, string, error) {
			before, _, err := s.CountAudit(ctx, "user.list", "", "", time.Time{})
			if err != nil {
				return nil, 0, "", "", err
			}
			sk, pk := k, store.PageKey{Limit: 1}
			if wantPatients {
				sk, pk = pk, k
			}
			st, pt, err := s.Accounts(ctx, admin, query, sk, pk)
			if err != nil {
				return nil, 0, "", "", err
			}
			if after, _, err := s.CountAudit(ctx, "user.list", "", "", time.Time{}); err != nil || after != before+1 {
				t.Errorf("user.list audit rows %d -> %d, %v; want one more", before, after, err)
			}
			p := st
			if wantPatients {
				p = pt
			}
			var ids []string
			for _, u := range p.Rows {
				if (u.Role == clinic.RolePatient) != wantPatients {
					t.Errorf("%s in the wrong list", u.Role)
				}
				ids = append(ids, u.ID)
			}
			return ids, p.Total, p.Next, p.Prev, nil
		}
	}
	walkPages(t, "patients", byName(patients), list("", true))
	walkPages(t, "staff", byName(staff), list("", false))
	walkPages(t, "search by name, any case", []string{maria}, list("rIVERA", true))
	walkPages(t, "search by email", []string{maria}, list("_100%", true))
	walkPages(t, "a wildcard is text", nil, list("%x%", true))
	walkPages(t, "search the staff", []string{staff[1].id}, list("thea", false))

	// A staff id as the key of the patients' list reads their first page.
	_, pt, err := s.Accounts(ctx, admin, "", store.PageKey{}, store.PageKey{After: staff[1].id, Limit: 3})
	if err != nil || pt.Prev != "" || len(pt.Rows) != 3 || pt.Rows[0].ID != byName(patients)[0] {
		t.Errorf("patients after a staff id = %v, %v; want the first page", pt, err)
	}
}
