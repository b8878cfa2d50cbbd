package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
)

// writeDemoLogins writes a demo-logins.json with one staff and one patient
// login into a new directory and returns the directory and the secret.
func writeDemoLogins(t *testing.T, parent string) (string, string) {
	t.Helper()
	dir, err := os.MkdirTemp(parent, "kapstone-demo-")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	logins := []demo.Login{
		{Role: clinic.RoleTherapist, Name: "Sam Whitaker", Email: "sam.whitaker@willowcreek.example", Password: "pw", TOTPSecret: secret},
		{Role: clinic.RolePatient, Name: "Jordan Lee", Email: "jordan.lee@mail.example", Password: "pw"},
	}
	b, _ := json.Marshal(logins)
	if err := os.WriteFile(filepath.Join(dir, demo.LoginsFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, secret
}

func TestCodeCommand(t *testing.T) {
	at := time.Date(2026, 12, 3, 14, 0, 7, 0, time.UTC) // 23 seconds left in its window
	old := codeNow
	codeNow = func() time.Time { return at }
	t.Cleanup(func() { codeNow = old })
	dir, secret := writeDemoLogins(t, t.TempDir())
	want, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	getenv := func(string) string { return "" }
	call := func(args ...string) (string, error) {
		var out, errw bytes.Buffer
		err := run(context.Background(), append([]string{"kapstone", "code"}, args...), getenv, strings.NewReader(""), &out, &errw)
		return out.String(), err
	}

	out, err := call("-data-dir", dir, "Sam.Whitaker@willowcreek.example")
	if err != nil {
		t.Fatalf("code for Sam: %v", err)
	}
	if first := strings.SplitN(out, "\n", 2)[0]; first != want {
		t.Errorf("code for Sam = %q, want pquerna/otp's %q; output:\n%s", first, want, out)
	}
	if !strings.Contains(out, "23 more seconds") {
		t.Errorf("output does not give the seconds left (23):\n%s", out)
	}

	out, err = call("-data-dir", dir)
	if err != nil {
		t.Fatalf("code for every staff login: %v", err)
	}
	if !strings.Contains(out, want+"  sam.whitaker@willowcreek.example") || strings.Contains(out, "jordan.lee") || !strings.Contains(out, "23 more seconds") {
		t.Errorf("every staff login: want Sam's code %s, no patient, and the seconds left:\n%s", want, out)
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown email", []string{"-data-dir", dir, "nobody@example.org"}, `no demo login has the email "nobody@example.org"; staff logins: sam.whitaker@willowcreek.example`},
		{"patient login", []string{"-data-dir", dir, "jordan.lee@mail.example"}, "jordan.lee@mail.example is a patient login; patients sign in with email and password only"},
		{"not a demo directory", []string{"-data-dir", t.TempDir()}, "has no demo-logins.json; is it the demo's data directory?"},
		{"two emails", []string{"-data-dir", dir, "a@example.org", "b@example.org"}, "give at most one email"},
	} {
		out, err := call(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q (output %q)", c.name, err, c.want, out)
		}
	}
}

func TestNewestDemoDir(t *testing.T) {
	tmp := t.TempDir()
	if _, err := newestDemoDir(tmp); err == nil || !strings.Contains(err.Error(), "no demo data directory found") || !strings.Contains(err.Error(), "-data-dir") {
		t.Errorf("empty temporary directory: err = %v, want one that says to start the demo or give -data-dir", err)
	}
	older, _ := writeDemoLogins(t, tmp)
	newer, _ := writeDemoLogins(t, tmp)
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(older, demo.LoginsFile), past, past); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, "kapstone-demo-empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	got, err := newestDemoDir(tmp)
	if err != nil || got != newer {
		t.Errorf("newestDemoDir = %q, %v; want the newest demo %q", got, err, newer)
	}
}
