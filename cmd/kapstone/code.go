package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
)

// codeNow is the clock of the code command; tests set it.
var codeNow = time.Now

// totpWindow is the length of a TOTP time step in seconds (auth's period).
const totpWindow = 30

// runCode prints the current two-step sign-in code of a demo staff login,
// or of every staff login when no email is given. It reads only the demo's
// demo-logins.json, which holds the secrets the demo made for its invented
// people, never the database: a real practice's secrets stay in the
// people's authenticator apps, and sign-in still checks a real code.
func runCode(ctx context.Context, args []string, env *runEnv) error {
	cfg, rest, err := parseConfigExtra("code", args, env.getenv, env.stdout,
		"kapstone code [-data-dir DIR] [EMAIL]: print the current sign-in code (TOTP) of the demo\n"+
			"staff login with EMAIL, or of every staff login when no EMAIL is given, so no\n"+
			"authenticator app is needed to try the demo. It reads only "+demo.LoginsFile+" in the\n"+
			"demo's data directory (by default the newest demo directory in "+os.TempDir()+").",
		func(*flag.FlagSet) {})
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return &usageError{fmt.Sprintf("kapstone code: give at most one email (got %d arguments); run 'kapstone code -h'", len(rest))}
	}
	dir := cfg.DataDir
	if dir == "" {
		if dir, err = newestDemoDir(os.TempDir()); err != nil {
			return err
		}
	}
	logins, err := readDemoLogins(dir)
	if err != nil {
		return err
	}
	email := ""
	if len(rest) == 1 {
		email = rest[0]
	}
	return printCodes(env.stdout, logins, email, codeNow())
}

// newestDemoDir returns the most recently changed kapstone-demo-* directory
// in tmp that holds demo-logins.json: the one 'kapstone demo' made last.
func newestDemoDir(tmp string) (string, error) {
	matches, _ := filepath.Glob(filepath.Join(tmp, "kapstone-demo-*", demo.LoginsFile))
	var best string
	var bestTime time.Time
	for _, m := range matches {
		fi, err := os.Stat(m)
		if err != nil {
			continue
		}
		if best == "" || fi.ModTime().After(bestTime) {
			best, bestTime = filepath.Dir(m), fi.ModTime()
		}
	}
	if best == "" {
		return "", fmt.Errorf("kapstone code: no demo data directory found in %s; start the demo first (go run ./cmd/kapstone demo), or give its directory with -data-dir (the demo prints it as \"data directory:\")", tmp)
	}
	return best, nil
}

// readDemoLogins reads demo-logins.json in dir.
func readDemoLogins(dir string) ([]demo.Login, error) {
	path := filepath.Join(dir, demo.LoginsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("kapstone code: %s has no %s; is it the demo's data directory? (the demo prints it as \"data directory:\")", dir, demo.LoginsFile)
	}
	if err != nil {
		return nil, fmt.Errorf("kapstone code: %v", err)
	}
	var logins []demo.Login
	if err := json.Unmarshal(b, &logins); err != nil {
		return nil, fmt.Errorf("kapstone code: %s is not a list of demo logins: %v", path, err)
	}
	return logins, nil
}

// printCodes writes the code at now of the login with email, or of every
// login with a secret when email is empty, and how long the codes last.
func printCodes(w io.Writer, logins []demo.Login, email string, now time.Time) error {
	left := totpWindow - now.Unix()%totpWindow
	if email != "" {
		for _, l := range logins {
			if !strings.EqualFold(l.Email, email) {
				continue
			}
			if l.TOTPSecret == "" {
				return fmt.Errorf("kapstone code: %s is a patient login; patients sign in with email and password only, no code", l.Email)
			}
			code, err := auth.TOTPCode(l.TOTPSecret, now)
			if err != nil {
				return fmt.Errorf("kapstone code: %s: %v", l.Email, err)
			}
			fmt.Fprintf(w, "%s\n", code)
			fmt.Fprintf(w, "Code for %s; good for %d more seconds.\n", l.Email, left)
			return nil
		}
		var staff []string
		for _, l := range logins {
			if l.TOTPSecret != "" {
				staff = append(staff, l.Email)
			}
		}
		return fmt.Errorf("kapstone code: no demo login has the email %q; staff logins: %s", email, strings.Join(staff, ", "))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tEMAIL\tNAME")
	n := 0
	for _, l := range logins {
		if l.TOTPSecret == "" {
			continue
		}
		code, err := auth.TOTPCode(l.TOTPSecret, now)
		if err != nil {
			return fmt.Errorf("kapstone code: %s: %v", l.Email, err)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", code, l.Email, l.Name)
		n++
	}
	tw.Flush()
	if n == 0 {
		return errors.New("kapstone code: the demo logins have no staff login with a sign-in secret")
	}
	fmt.Fprintf(w, "Codes change every %d seconds; these are good for %d more seconds.\n", totpWindow, left)
	return nil
}
