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

var people = []struct {
	role  clinic.Role
	name  string
	email string
}{
	{clinic.RoleAdmin, "Morgan Reyes", "admin@willowcreek.example"},
	{clinic.RoleTherapist, "Lena Ortiz, LMFT", "lena.ortiz@willowcreek.example"},
	{clinic.RoleTherapist, "Sam Whitaker, LCSW", "sam.whitaker@willowcreek.example"},
	{clinic.RolePrescriber, "Priya Natarajan, MD", "priya.natarajan@riverbend-medical.example"},
	{clinic.RolePatient, "Jordan Lee", "jordan.lee@mail.example"},
	{clinic.RolePatient, "Casey Morgan", "casey.morgan@mail.example"},
	{clinic.RolePatient, "Riley Chen", "riley.chen@mail.example"},
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
	if err := st.SetSetting(ctx, "practice_name", PracticeName); err != nil {
		return nil, err
	}
	var logins []Login
	for _, p0 := range people {
		l := Login{Role: p0.role, Name: p0.name, Email: p0.email, Password: auth.NewPassword()}
		if p0.role.Staff() {
			if l.TOTPSecret, err = auth.NewTOTPSecret(PracticeName, p0.email); err != nil {
				return nil, err
			}
		}
		hash, err := auth.HashPassword(l.Password, p)
		if err != nil {
			return nil, err
		}
		u := &clinic.User{Email: l.Email, DisplayName: l.Name, Role: l.Role, TOTPSecret: l.TOTPSecret}
		if err := st.CreateUser(ctx, u, hash); err != nil {
			return nil, fmt.Errorf("seed %s: %w", l.Email, err)
		}
		logins = append(logins, l)
	}
	b, err := json.MarshalIndent(logins, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	return logins, nil
}
