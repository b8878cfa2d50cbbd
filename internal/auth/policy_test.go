package auth

import (
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
)

func TestCan(t *testing.T) {
	type key struct {
		role clinic.Role
		rel  Relation
		p    Permission
	}
	allowed := map[key]bool{
		{clinic.RolePatient, RelSelf, PermChart}:           true,
		{clinic.RolePatient, RelSelf, PermProfile}:         true,
		{clinic.RoleTherapist, RelTeam, PermChart}:         true,
		{clinic.RoleTherapist, RelTeam, PermProfile}:       true,
		{clinic.RoleTherapist, RelOwner, PermChart}:        true,
		{clinic.RoleTherapist, RelOwner, PermProfile}:      true,
		{clinic.RoleTherapist, RelOwner, PermTeam}:         true,
		{clinic.RoleTherapist, RelOwner, PermAccount}:      true,
		{clinic.RoleTherapist, RelTeam, PermDetails}:       true,
		{clinic.RoleTherapist, RelOwner, PermDetails}:      true,
		{clinic.RolePrescriber, RelTeam, PermDetails}:      true,
		{clinic.RolePrescriber, RelOwner, PermDetails}:     true,
		{clinic.RoleTherapist, RelEmergency, PermChart}:    true,
		{clinic.RoleTherapist, RelEmergency, PermProfile}:  true,
		{clinic.RoleTherapist, RelNone, PermEmergency}:     true,
		{clinic.RolePrescriber, RelTeam, PermChart}:        true,
		{clinic.RolePrescriber, RelTeam, PermProfile}:      true,
		{clinic.RolePrescriber, RelOwner, PermChart}:       true,
		{clinic.RolePrescriber, RelOwner, PermProfile}:     true,
		{clinic.RolePrescriber, RelEmergency, PermChart}:   true,
		{clinic.RolePrescriber, RelEmergency, PermProfile}: true,
		{clinic.RolePrescriber, RelNone, PermEmergency}:    true,
	}
	for _, role := range append(clinic.Roles, "", "system") {
		for rel := RelNone; rel <= RelSelf; rel++ {
			for _, p := range []Permission{PermChart, PermProfile, PermTeam, PermEmergency, PermAccount, PermDetails, "unknown"} {
				want := allowed[key{role, rel, p}]
				if role == clinic.RoleAdmin && (p == PermProfile || p == PermTeam || p == PermDetails) {
					want = true
				}
				if got := Can(role, rel, p); got != want {
					t.Errorf("Can(%q, %v, %q) = %v, want %v", role, rel, p, got, want)
				}
			}
		}
	}
}
