package clinic

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user is to the practice. It decides, with care-team
// membership, what they may see.
type Role string

// The roles kapstone knows.
const (
	RoleAdmin      Role = "admin"
	RoleTherapist  Role = "therapist"
	RolePrescriber Role = "prescriber"
	RolePatient    Role = "patient"
)

// Roles lists every role, staff first.
var Roles = []Role{RoleAdmin, RoleTherapist, RolePrescriber, RolePatient}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Staff reports whether r is a staff role (every role but patient). Staff
// must use a second factor.
func (r Role) Staff() bool { return r.Valid() && r != RolePatient }

// Title is the role's name for people.
func (r Role) Title() string {
	switch r {
	case RoleAdmin:
		return "Practice admin"
	case RoleTherapist:
		return "Therapist"
	case RolePrescriber:
		return "Prescriber"
	case RolePatient:
		return "Patient"
	}
	return string(r)
}

// User is an account that can sign in.
type User struct {
	ID          string
	Email       string
	DisplayName string
	Role        Role
	// HasTOTP says the user has set up a second factor. Its secret is not
	// here: it stays sealed in the store, which opens it only to check a
	// code (Store.MatchTOTP), so no copy of it travels with the account.
	HasTOTP     bool
	DisabledAt  *time.Time
	CreatedAt   time.Time
	Credentials string // staff: licences and degrees, like "LCSW" or "MD"; never part of DisplayName
	// ControlledSubstances says an administrator designated the user to
	// keep the controlled-substance log (users.controlled_substances);
	// loaded with the session, for the navigation only (the store checks
	// the designation itself on every use of the log).
	ControlledSubstances bool
}

// FullName is the name with the credentials after it, once: "Sam Whitaker, LCSW".
func (u *User) FullName() string { return NameWithCredentials(u.DisplayName, u.Credentials) }

// NameWithCredentials joins a name and its credentials with a comma, and
// leaves out credentials the name already ends with.
func NameWithCredentials(name, credentials string) string {
	if credentials == "" || strings.HasSuffix(strings.ToLower(name), ", "+strings.ToLower(credentials)) {
		return name
	}
	return name + ", " + credentials
}

// knownCredentials are the licences and degrees a name is checked for
// (the same list migration 0026 moved out of existing names).
var knownCredentials = []string{"LCSW", "LICSW", "LMSW", "LMFT", "LPC", "LPCC", "LMHC", "LCPC", "LPC-S", "MD", "DO", "NP", "PA-C", "PhD", "PsyD", "RN", "APRN", "PMHNP-BC", "FNP-BC", "MSW", "MA", "MS", "LCADC", "CADC"}

// NameProblem is what is wrong with a staff member's name as typed where an
// account is made (an invitation, the command line): credentials after it,
// which belong in their own field. "" when nothing is.
func NameProblem(name string) string {
	if c := TrailingCredentials(strings.TrimSpace(name)); c != "" {
		return "Write the name only, and " + c + " as the credentials."
	}
	return ""
}

// TrailingCredentials returns the credentials a name ends with after a
// comma ("Sam Whitaker, LCSW" gives "LCSW"), or "" when it ends with none
// of the usual licences and degrees.
func TrailingCredentials(name string) string {
	i := strings.LastIndex(name, ", ")
	if i < 0 {
		return ""
	}
	last := strings.TrimSpace(name[i+2:])
	for _, c := range knownCredentials {
		if strings.EqualFold(last, c) {
			return last
		}
	}
	return ""
}

// NormalizeEmail trims an address and lower-cases it for comparison.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Validate checks the fields a person types when an account is made.
func (u *User) Validate() error {
	fe := FieldErrors{}
	u.Email = strings.TrimSpace(u.Email)
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	if u.Email == "" {
		fe.Add("email", "Enter an email address.")
	} else if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || len(u.Email) > 254 {
		fe.Add("email", "Enter an email address like name@example.com.")
	}
	if u.DisplayName == "" {
		fe.Add("display_name", "Enter a name.")
	} else if len(u.DisplayName) > 200 {
		fe.Add("display_name", "Use at most 200 characters.")
	}
	CheckLine(fe, "display_name", u.DisplayName)
	u.Credentials = strings.TrimSpace(u.Credentials)
	if utf8.RuneCountInString(u.Credentials) > 60 {
		fe.Add("credentials", "Use at most 60 characters, like LCSW or MD.")
	}
	CheckLine(fe, "credentials", u.Credentials)
	if !u.Role.Valid() {
		fe.Add("role", "Choose admin, therapist, prescriber or patient.")
	}
	return fe.Err()
}
