package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestFindOutsideTeam: the search outside one's care teams answers only a
// clinician who may ask for emergency access, only for three letters or
// more, at most EmergencySearchLimit names, never a patient on the
// searcher's own team, and matches LIKE's wildcards literally.
func TestFindOutsideTeam(t *testing.T) {
	s, ctx := storetest.Open(t), context.Background()
	users := map[string]*clinic.User{}
	for _, u := range []*clinic.User{
		{Email: "owner@example.org", DisplayName: "Olga Owner", Role: clinic.RoleTherapist},
		{Email: "other@example.org", DisplayName: "Otto Other", Role: clinic.RoleTherapist},
		{Email: "rx@example.org", DisplayName: "Rae Rx", Role: clinic.RolePrescriber},
		{Email: "adm@example.org", DisplayName: "Adi Admin", Role: clinic.RoleAdmin},
	} {
		if err := s.CreateUser(ctx, store.System, u, "x"); err != nil {
			t.Fatal(err)
		}
		users[u.Email] = u
	}
	as := func(email string) store.Actor { return store.Actor{UserID: users[email].ID, Role: users[email].Role} }
	for i := range store.EmergencySearchLimit + 3 {
		p := &store.Patient{DisplayName: fmt.Sprintf("Sam Searchable %02d", i)}
		if err := s.CreatePatient(ctx, as("owner@example.org"), p, ""); err != nil {
			t.Fatal(err)
		}
	}
	mine := &store.Patient{DisplayName: "Sam Searchable Own"}
	if err := s.CreatePatient(ctx, as("other@example.org"), mine, ""); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who, query string
		want       int
	}{
		{"other@example.org", "searchable", store.EmergencySearchLimit},
		{"other@example.org", "  SEA  ", store.EmergencySearchLimit},
		{"other@example.org", "se", 0},
		{"other@example.org", "s%a", 0},
		{"other@example.org", "own", 0}, // on their own team: the caseload shows it
		{"owner@example.org", "searchable", 1},
		{"rx@example.org", "searchable", 0},
		{"adm@example.org", "searchable", 0},
	} {
		got, err := s.FindOutsideTeam(ctx, as(tc.who), tc.query)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.want {
			t.Errorf("%s searching %q: %d names, want %d", tc.who, tc.query, len(got), tc.want)
		}
		for _, m := range got {
			if m.ID == mine.ID && tc.who == "other@example.org" {
				t.Errorf("%s's own patient among the outside matches", tc.who)
			}
		}
	}
}
