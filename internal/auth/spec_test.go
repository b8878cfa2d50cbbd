package auth_test

import (
	"slices"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/auth/authspec"
	"github.com/kapstone/kapstone/internal/clinic"
)

// roles are every role, the empty one, the system and one that does not
// exist.
var roles = append(slices.Clone(clinic.Roles), "", auth.RoleSystem, "unknown")

// TestCan checks the policy table the program runs against the policy
// written out by hand (authspec.Expected), every permission × role ×
// relation.
func TestCan(t *testing.T) {
	seen := map[auth.Permission]bool{}
	for _, p := range auth.Permissions {
		if seen[p] {
			t.Errorf("%q is listed twice in auth.Permissions", p)
		}
		seen[p] = true
		want, ok := authspec.Expected[p]
		if !ok {
			t.Errorf("permission %q has no expectations in this test: add its row", p)
			continue
		}
		for _, role := range roles {
			for _, rel := range auth.Relations {
				w := slices.Contains(want[role], rel)
				if got := auth.Can(role, rel, p); got != w {
					t.Errorf("auth.Can(%q, %v, %q) = %v, want %v", role, rel, p, got, w)
				}
			}
			if got, w := auth.CanSome(role, p), len(want[role]) > 0; got != w {
				t.Errorf("auth.CanSome(%q, %q) = %v, want %v", role, p, got, w)
			}
		}
	}
	for p := range authspec.Expected {
		if !seen[p] {
			t.Errorf("%q has expectations but is missing from auth.Permissions", p)
		}
	}
	for _, role := range roles {
		for _, rel := range auth.Relations {
			if auth.Can(role, rel, "unknown") {
				t.Errorf("auth.Can(%q, %v, unknown) = true", role, rel)
			}
		}
		if auth.Can(role, auth.Relation(-1), auth.PermChart) || auth.Can(role, auth.RelSelf+1, auth.PermProfile) {
			t.Errorf("auth.Can(%q) allows a relation that does not exist", role)
		}
	}
}
