package clinic

import "testing"

func TestCredentialsApartFromName(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"Sam Whitaker, LCSW", "LCSW"}, {"Ana Ruiz, psyd", "psyd"}, {"Priya Natarajan, MD", "MD"},
		{"Lee, Jordan", ""}, {"Sam Whitaker", ""}, {"Sam Whitaker LCSW", ""},
	} {
		if got := TrailingCredentials(c.name); got != c.want {
			t.Errorf("TrailingCredentials(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	for _, c := range []struct{ name, cred, want string }{
		{"Sam Whitaker", "LCSW", "Sam Whitaker, LCSW"},
		{"Sam Whitaker, LCSW", "LCSW", "Sam Whitaker, LCSW"}, // never twice
		{"Sam Whitaker", "", "Sam Whitaker"},
	} {
		if got := NameWithCredentials(c.name, c.cred); got != c.want {
			t.Errorf("NameWithCredentials(%q, %q) = %q, want %q", c.name, c.cred, got, c.want)
		}
	}
	if got := NameProblem("Sam Whitaker, LCSW "); got != "Write the name only, and LCSW as the credentials." {
		t.Errorf("NameProblem(a name with credentials) = %q", got)
	}
	if got := NameProblem("Sam Whitaker"); got != "" {
		t.Errorf("NameProblem(a name) = %q, want none", got)
	}
	u := User{Email: "sam@example.org", DisplayName: "Sam Whitaker", Credentials: "LCSW\nMD", Role: RoleTherapist}
	if fe, _ := u.Validate().(*Error); fe == nil || fe.Fields["credentials"] == "" {
		t.Errorf("credentials on two lines: no error at the credentials field")
	}
	u = User{Email: "casey@example.org", DisplayName: "Casey Morgan, MD", Role: RolePatient}
	if err := u.Validate(); err != nil {
		t.Errorf("a name is the person's to write (a patient has no credentials field): %v", err)
	}
}
