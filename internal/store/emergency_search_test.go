package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

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

// TestFindOutsideTeamNameAndLimit: the search outside one's care teams
// matches the display name only (a legal-name match shown under the
// display name would tell the searcher the two belong together), and a
// person may make at most EmergencySearchesPer such searches in
// EmergencySearchWindow, counted from the audit log: the next is refused
// with clinic.ETooMany, lists no one and audits no name; an hour later
// they may search again.
func TestFindOutsideTeamNameAndLimit(t *testing.T) {
	s, ctx := storetest.Open(t), context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	owner := &clinic.User{Email: "owner@example.org", DisplayName: "Olga Owner", Role: clinic.RoleTherapist}
	other := &clinic.User{Email: "other@example.org", DisplayName: "Otto Other", Role: clinic.RoleTherapist}
	for _, u := range []*clinic.User{owner, other} {
		if err := s.CreateUser(ctx, store.System, u, "x"); err != nil {
			t.Fatal(err)
		}
	}
	asOwner, asOther := store.Actor{UserID: owner.ID, Role: owner.Role}, store.Actor{UserID: other.ID, Role: other.Role}
	p := &store.Patient{DisplayName: "Riley Quinn"}
	if err := s.CreatePatient(ctx, asOwner, p, ""); err != nil {
		t.Fatal(err)
	}
	full, _, err := s.FindPatient(ctx, asOwner, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	full.LegalName = "Marguerite Hollowell"
	if err := s.UpdatePatientDetails(ctx, asOwner, full); err != nil {
		t.Fatal(err)
	}
	searches := 0
	find := func(q string) ([]store.NameMatch, error) {
		searches++
		return s.FindOutsideTeam(ctx, asOther, q)
	}
	if got, err := find("hollowell"); err != nil || len(got) != 0 {
		t.Errorf("search by legal name = %v, %v; want no match", got, err)
	}
	if got, err := find("riley"); err != nil || len(got) != 1 || got[0].ID != p.ID {
		t.Fatalf("search by display name = %v, %v; want Riley", got, err)
	}
	for searches < store.EmergencySearchesPer {
		if _, err := find("nobody-here"); err != nil {
			t.Fatalf("search %d: %v", searches, err)
		}
	}
	got, err := find("riley")
	if e, ok := err.(*clinic.Error); !ok || e.Code != clinic.ETooMany || len(got) != 0 {
		t.Fatalf("search %d in the hour = %v, %v; want ETooMany and no names", searches, got, err)
	}
	// The owner's own searches are their own: the limit is per person.
	if _, err := s.FindOutsideTeam(ctx, asOwner, "riley"); err != nil {
		t.Errorf("another therapist's first search: %v", err)
	}
	now = now.Add(store.EmergencySearchWindow + time.Second)
	if got, err := find("riley"); err != nil || len(got) != 1 {
		t.Errorf("search an hour later = %v, %v; want Riley", got, err)
	}
	t.Logf("searches made: %d", searches)
}
