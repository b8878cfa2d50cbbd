package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// sitePeople makes an admin, two therapists, a prescriber and a patient
// account, and returns their actors by role name.
func sitePeople(t *testing.T, s *store.Store) map[string]store.Actor {
	t.Helper()
	ctx := context.Background()
	out := map[string]store.Actor{}
	for _, u := range []struct {
		key  string
		name string
		role clinic.Role
	}{
		{"admin", "Ada Admin", clinic.RoleAdmin},
		{"lena", "Lena Ortiz, LMFT", clinic.RoleTherapist},
		{"sam", "Sam Whitaker, LCSW", clinic.RoleTherapist},
		{"rex", "Rex Natarajan, MD", clinic.RolePrescriber},
		{"pat", "Pat Patient", clinic.RolePatient},
	} {
		cu := &clinic.User{Email: u.key + "@example.org", DisplayName: u.name, Role: u.role}
		if c := clinic.TrailingCredentials(u.name); c != "" { // credentials are kept apart from the name
			cu.DisplayName, cu.Credentials = strings.TrimSuffix(u.name, ", "+c), c
		}
		if err := s.CreateUser(ctx, store.System, cu, "hash"); err != nil {
			t.Fatal(err)
		}
		out[u.key] = store.Actor{UserID: cu.ID, Role: u.role}
	}
	return out
}

func code(err error) string { return clinic.ErrorCode(err) }

func TestSitePagesDefaultsSaveAndVersions(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	who := sitePeople(t, s)

	for _, slug := range store.SiteSlugs {
		p, err := s.SitePage(ctx, slug)
		if err != nil || !p.Default || p.Title == "" || p.Body == "" {
			t.Errorf("SitePage(%q) before any save = %+v, %v; want the built-in text", slug, p, err)
		}
	}
	if _, err := s.SitePage(ctx, "admin"); code(err) != clinic.ENotFound {
		t.Errorf("SitePage(unknown) = %v, want not found", err)
	}
	if at, err := s.SitePagesChangedAt(ctx); err != nil || !at.IsZero() {
		t.Errorf("SitePagesChangedAt before any save = %v, %v; want zero", at, err)
	}

	for _, name := range []string{"lena", "rex", "pat"} {
		if err := s.SaveSitePage(ctx, who[name], "fees", "Fees", "Ours."); code(err) != clinic.ENotFound {
			t.Errorf("SaveSitePage as %s = %v, want not found", name, err)
		}
	}
	admin := who["admin"]
	if err := s.SaveSitePage(ctx, admin, "no-such-page", "T", "B"); code(err) != clinic.ENotFound {
		t.Errorf("SaveSitePage of an unknown page = %v, want not found", err)
	}
	err := s.SaveSitePage(ctx, admin, "fees", "  ", strings.Repeat("x", store.SiteBodyMax+1))
	if fe := fields(err); fe["title"] == "" || fe["body"] == "" {
		t.Errorf("SaveSitePage with no title and a long body = %v, want errors at title and body", err)
	}

	if err := s.SaveSitePage(ctx, admin, "fees", " Fees and FAQ ", "First *version*."); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if err := s.SaveSitePage(ctx, admin, "fees", "Fees and FAQ", "Second version."); err != nil {
		t.Fatal(err)
	}
	p, err := s.SitePage(ctx, "fees")
	if err != nil || p.Default || p.Title != "Fees and FAQ" || p.Body != "Second version." || !p.UpdatedAt.Equal(now) || p.UpdatedByName != "Ada Admin" {
		t.Errorf("SitePage(fees) after two saves = %+v, %v", p, err)
	}
	vs, err := s.SitePageVersions(ctx, admin, "fees", 10)
	if err != nil || len(vs) != 2 || vs[0].Body != "Second version." || vs[1].Body != "First *version*." {
		t.Errorf("SitePageVersions = %+v, %v; want both versions, newest first", vs, err)
	}
	if _, err := s.SitePageVersions(ctx, who["lena"], "fees", 10); code(err) != clinic.ENotFound {
		t.Errorf("SitePageVersions as a therapist = %v, want not found", err)
	}
	if at, err := s.SitePagesChangedAt(ctx); err != nil || !at.Equal(now) {
		t.Errorf("SitePagesChangedAt = %v, %v; want %v", at, err, now)
	}
	if n, _, err := s.CountAudit(ctx, "site.page.save", "fees", "", time.Time{}); err != nil || n != 2 {
		t.Errorf("site.page.save audit rows = %d, %v; want 2", n, err)
	}
	pages, err := s.SitePages(ctx, admin)
	if err != nil || len(pages) != len(store.SiteSlugs) {
		t.Errorf("SitePages = %d pages, %v", len(pages), err)
	}
}

func fields(err error) map[string]string {
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		return e.Fields
	}
	return map[string]string{}
}

func TestStaffProfiles(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	who := sitePeople(t, s)
	lena, sam, rex, admin, pat := who["lena"], who["sam"], who["rex"], who["admin"], who["pat"]

	if p, err := s.StaffProfile(ctx, sam, sam.UserID); err != nil || p.Saved || p.Slug != "sam-whitaker" {
		t.Errorf("a profile never saved = %+v, %v; want slug sam-whitaker suggested, Saved false", p, err)
	}
	// Who may read and edit whose profile.
	for _, tt := range []struct {
		actor  store.Actor
		target string
		ok     bool
	}{
		{lena, lena.UserID, true}, {lena, sam.UserID, false}, {rex, rex.UserID, true}, {rex, lena.UserID, false},
		{admin, lena.UserID, true}, {admin, rex.UserID, true}, {admin, admin.UserID, true},
		{pat, pat.UserID, false}, {admin, pat.UserID, false}, {admin, "no-such-user", false},
	} {
		p, err := s.StaffProfile(ctx, tt.actor, tt.target)
		if tt.ok != (err == nil) {
			t.Errorf("StaffProfile(%s as %s) = %v, want ok=%v", tt.target, tt.actor.Role, err, tt.ok)
		}
		if err == nil && p.Slug == "" {
			t.Errorf("StaffProfile = %+v, want a (suggested) slug", p)
		}
		if err != nil && code(err) != clinic.ENotFound {
			t.Errorf("StaffProfile refused with %v, want not found", err)
		}
		err = s.SaveStaffProfile(ctx, tt.actor, &store.StaffProfile{UserID: tt.target, Credentials: "X"})
		if tt.ok != (err == nil) {
			t.Errorf("SaveStaffProfile(%s as %s) = %v, want ok=%v", tt.target, tt.actor.Role, err, tt.ok)
		}
	}

	p, err := s.StaffProfile(ctx, lena, lena.UserID)
	if err != nil || p.Slug != "lena-ortiz" || !p.Saved {
		t.Fatalf("Lena's profile after a save with no slug = %+v, %v; want slug lena-ortiz", p, err)
	}
	// A public profile needs a bio; a slug is unique.
	err = s.SaveStaffProfile(ctx, lena, &store.StaffProfile{UserID: lena.UserID, Slug: "lena-ortiz", Credentials: "LMFT", Public: true})
	if fields(err)["bio"] == "" {
		t.Errorf("public profile without a bio = %v, want an error at bio", err)
	}
	err = s.SaveStaffProfile(ctx, sam, &store.StaffProfile{UserID: sam.UserID, Slug: "lena-ortiz"})
	if fields(err)["slug"] == "" {
		t.Errorf("Sam taking Lena's slug = %v, want an error at slug", err)
	}
	err = s.SaveStaffProfile(ctx, sam, &store.StaffProfile{UserID: sam.UserID, Slug: "Not a slug!", Credentials: "a\nb"})
	if fe := fields(err); fe["slug"] == "" || fe["credentials"] == "" {
		t.Errorf("bad slug and credentials = %v, want errors at both", err)
	}

	if err := s.SaveStaffProfile(ctx, lena, &store.StaffProfile{UserID: lena.UserID, Slug: "lena-ortiz", Credentials: "LMFT", Bio: "Lena works with **trauma**.", Public: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveStaffProfile(ctx, admin, &store.StaffProfile{UserID: rex.UserID, Slug: "dr-natarajan", Credentials: "MD", Bio: "Partner prescriber.", Public: true}); err != nil {
		t.Fatal(err)
	}
	team, err := s.PublicTeam(ctx)
	if err != nil || len(team) != 2 || team[0].UserID != lena.UserID || team[1].UserID != rex.UserID {
		t.Fatalf("PublicTeam = %+v, %v; want Lena then Rex (Sam and the admin are hidden)", team, err)
	}
	if got := team[0].PublicName(); got != "Lena Ortiz" {
		t.Errorf("PublicName = %q, want the name without its credentials", got)
	}
	if p, err := s.ProfileBySlug(ctx, "dr-natarajan"); err != nil || p.Credentials != "MD" || p.Bio != "Partner prescriber." {
		t.Errorf("ProfileBySlug(dr-natarajan) = %+v, %v", p, err)
	}
	if _, err := s.ProfileBySlug(ctx, "sam-whitaker"); code(err) != clinic.ENotFound {
		t.Errorf("ProfileBySlug of a hidden profile = %v, want not found", err)
	}
	if slug, cred, err := s.AuthorProfile(ctx, lena.UserID); err != nil || slug != "lena-ortiz" || cred != "LMFT" {
		t.Errorf("AuthorProfile(lena) = %q, %q, %v", slug, cred, err)
	}
	if slug, cred, err := s.AuthorProfile(ctx, sam.UserID); err != nil || slug != "" || cred != "" {
		t.Errorf("AuthorProfile(sam, hidden) = %q, %q, %v; want empty", slug, cred, err)
	}
	// A disabled account leaves the website.
	if err := s.SetUserDisabled(ctx, admin, rex.UserID, true); err != nil {
		t.Fatal(err)
	}
	if team, _ := s.PublicTeam(ctx); len(team) != 1 {
		t.Errorf("PublicTeam after disabling Rex = %d profiles, want 1", len(team))
	}
	if _, err := s.ProfileBySlug(ctx, "dr-natarajan"); code(err) != clinic.ENotFound {
		t.Errorf("ProfileBySlug of a disabled account = %v, want not found", err)
	}
	all, err := s.StaffProfiles(ctx, admin)
	if err != nil || len(all) != 3 { // lena, sam, admin (rex disabled, pat a patient)
		t.Errorf("StaffProfiles = %d, %v; want 3", len(all), err)
	}
	if _, err := s.StaffProfiles(ctx, lena); code(err) != clinic.ENotFound {
		t.Errorf("StaffProfiles as a therapist = %v, want not found", err)
	}
	if n, _, err := s.CountAudit(ctx, "profile.save", lena.UserID, "", time.Time{}); err != nil || n != 3 {
		t.Errorf("profile.save audit rows for Lena = %d, %v; want 3", n, err)
	}
	if at, err := s.SitePagesChangedAt(ctx); err != nil || !at.Equal(now) {
		t.Errorf("SitePagesChangedAt after profile saves = %v, %v; want %v", at, err, now)
	}
}
