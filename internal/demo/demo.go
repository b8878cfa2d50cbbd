// Package demo seeds a demonstration practice: invented people with random
// passwords and second-factor secrets, written to demo-logins.json so a
// person or a test script can sign in. It grows as kapstone does.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// LoginsFile is the name of the file, in the data directory, that lists the demo logins.
const LoginsFile = "demo-logins.json"

// PracticeName is the invented practice the demo seeds.
const PracticeName = "Willow Creek Counseling"

// Login is one demo account's credentials.
type Login struct {
	Role       clinic.Role `json:"role"`
	Name       string      `json:"name"`
	Email      string      `json:"email"`
	Password   string      `json:"password"`
	TOTPSecret string      `json:"totp_secret,omitempty"`
}

var staffPeople = []struct {
	role  clinic.Role
	name  string
	email string
}{
	{clinic.RoleAdmin, "Morgan Reyes", "admin@willowcreek.example"},
	{clinic.RoleTherapist, "Lena Ortiz, LMFT", "lena.ortiz@willowcreek.example"},
	{clinic.RoleTherapist, "Sam Whitaker, LCSW", "sam.whitaker@willowcreek.example"},
	{clinic.RolePrescriber, "Priya Natarajan, MD", "priya.natarajan@riverbend-medical.example"},
}

// patientPeople are the demo patients: the therapist who owns each case
// (by email), whether the partner prescriber is on the team, and whether
// they have a portal account yet.
var patientPeople = []struct {
	name, email, owner string
	prescriber, portal bool
}{
	{"Jordan Lee", "jordan.lee@mail.example", "lena.ortiz@willowcreek.example", true, true},
	{"Casey Morgan", "casey.morgan@mail.example", "lena.ortiz@willowcreek.example", false, true},
	{"Riley Chen", "riley.chen@mail.example", "sam.whitaker@willowcreek.example", true, true},
	{"Avery Brooks", "avery.brooks@mail.example", "sam.whitaker@willowcreek.example", false, false},
}

// Seed fills an empty database with the demo practice and writes
// demo-logins.json in dataDir. On a database that already has accounts it
// changes nothing and returns the logins from the existing file; it fails
// when that file is missing, since the passwords cannot be recovered.
func Seed(ctx context.Context, st *store.Store, dataDir string, p auth.Params) ([]Login, error) {
	path := filepath.Join(dataDir, LoginsFile)
	n, err := st.CountUsers(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s already holds accounts but has no %s; start the demo with a new data directory", dataDir, LoginsFile)
		}
		if err != nil {
			return nil, err
		}
		var logins []Login
		if err := json.Unmarshal(b, &logins); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		return logins, nil
	}
	if err := st.SetSetting(ctx, store.System, "practice_name", PracticeName); err != nil {
		return nil, err
	}
	var logins []Login
	ids := map[string]string{} // email -> user id
	for _, sp := range staffPeople {
		l := Login{Role: sp.role, Name: sp.name, Email: sp.email, Password: auth.NewPassword()}
		if l.TOTPSecret, err = auth.NewTOTPSecret(PracticeName, sp.email); err != nil {
			return nil, err
		}
		hash, err := auth.HashPassword(l.Password, p)
		if err != nil {
			return nil, err
		}
		u := &clinic.User{Email: l.Email, DisplayName: l.Name, Role: l.Role, TOTPSecret: l.TOTPSecret}
		if err := st.CreateUser(ctx, store.System, u, hash); err != nil {
			return nil, fmt.Errorf("seed %s: %w", l.Email, err)
		}
		ids[sp.email] = u.ID
		logins = append(logins, l)
	}
	prescriber := ids["priya.natarajan@riverbend-medical.example"]
	for _, pp := range patientPeople {
		owner := store.Actor{UserID: ids[pp.owner], Role: clinic.RoleTherapist}
		pt := &store.Patient{DisplayName: pp.name, Email: pp.email}
		if err := st.CreatePatient(ctx, owner, pt, ""); err != nil {
			return nil, fmt.Errorf("seed patient %s: %w", pp.email, err)
		}
		if pp.prescriber {
			if err := st.AddTeamMember(ctx, owner, pt.ID, prescriber); err != nil {
				return nil, err
			}
		}
		if !pp.portal {
			continue
		}
		// The patient joins the portal the way every patient does: through an invitation.
		token := auth.NewToken()
		inv := &store.AuthToken{Hash: auth.HashToken(token), Purpose: store.TokenInvite, Email: pp.email, DisplayName: pp.name, Role: clinic.RolePatient, PatientID: pt.ID}
		if err := st.CreateToken(ctx, owner, inv); err != nil {
			return nil, err
		}
		l := Login{Role: clinic.RolePatient, Name: pp.name, Email: pp.email, Password: auth.NewPassword()}
		hash, err := auth.HashPassword(l.Password, p)
		if err != nil {
			return nil, err
		}
		u := &clinic.User{DisplayName: pp.name}
		if err := st.AcceptAccountToken(ctx, store.Actor{}, inv.Hash, store.TokenInvite, u, hash); err != nil {
			return nil, fmt.Errorf("seed portal account %s: %w", pp.email, err)
		}
		logins = append(logins, l)
	}
	b, err := json.MarshalIndent(logins, "", "  ")
	if err != nil {
		return nil, err
	}
	// Written to a temporary file and renamed, so the file is whole or absent.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return logins, nil
}
