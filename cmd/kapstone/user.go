package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

const userSummary = `Manage accounts from the command line (audited as the system).

  kapstone user add -role admin -email a@example.org -name "Ada Admin"
      prints a single-use link (72 hours) where the person chooses a password;
      with -password-stdin, reads the password from standard input instead
  kapstone user list
  kapstone user disable -email a@example.org     (ends every session)
  kapstone user enable -email a@example.org
  kapstone user reset-password -email a@example.org
      prints a single-use reset link (30 minutes); two-step verification stays`

func runUser(ctx context.Context, args []string, env *runEnv) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			_, err := parseConfig("user", args, env.getenv, env.stdout, userSummary)
			return err
		}
		return &usageError{"kapstone user: name an action: add, list, disable, enable or reset-password; run 'kapstone user -h'"}
	}
	action, args := args[0], args[1:]
	var role, email, name, credentials string
	var passwordStdin bool
	cfg, rest, err := parseConfigExtra("user", args, env.getenv, env.stdout, userSummary, func(fs *flag.FlagSet) {
		switch action {
		case "add":
			fs.StringVar(&role, "role", "", "admin, therapist, prescriber or patient")
			fs.StringVar(&name, "name", "", "the person's name, e.g. \"Alex Kim\"")
			fs.StringVar(&credentials, "credentials", "", "staff: licences and degrees shown after the name, e.g. LMFT")
			fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input and make the account now")
			fallthrough
		case "disable", "enable", "reset-password":
			fs.StringVar(&email, "email", "", "the account's email address")
		}
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("kapstone user %s: unexpected argument %q", action, rest[0])}
	}
	switch action {
	case "add", "list", "disable", "enable", "reset-password":
	default:
		return &usageError{fmt.Sprintf("kapstone user: unknown action %q; use add, list, disable, enable or reset-password", action)}
	}
	if action != "list" && email == "" {
		return &usageError{fmt.Sprintf("kapstone user %s: -email is required", action)}
	}
	log := newLogger(env.stderr, cfg.LogLevel)
	st, err := openStore(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	switch action {
	case "add":
		return userAdd(ctx, st, &cfg, env, clinic.Role(role), email, name, credentials, passwordStdin)
	case "list":
		return userList(ctx, st, env)
	}
	u, _, err := st.FindUserByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("kapstone user %s: no account with email %s", action, email)
	}
	switch action {
	case "disable", "enable":
		if err := st.SetUserDisabled(ctx, store.System, u.ID, action == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s (%s) is now %sd.\n", u.Email, u.Role, action)
	case "reset-password":
		link, err := newLink(ctx, st, &cfg, cfg.Addr, &store.AuthToken{Purpose: store.TokenReset, UserID: u.ID, Role: u.Role})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "Password reset link for %s, valid for 30 minutes; it works once:\n  %s\n", u.Email, link)
	}
	return nil
}

func userAdd(ctx context.Context, st *store.Store, cfg *config, env *runEnv, role clinic.Role, email, name, credentials string, passwordStdin bool) error {
	u := &clinic.User{Email: email, DisplayName: name, Credentials: credentials, Role: role}
	err := u.Validate()
	if m := clinic.NameProblem(name); m != "" && err == nil {
		err = &clinic.Error{Code: clinic.EInvalid, Message: m, Fields: map[string]string{"display_name": m}}
	}
	if err != nil {
		var ce *clinic.Error
		errors.As(err, &ce)
		var parts []string
		for _, f := range []string{"email", "display_name", "credentials", "role"} {
			if m, ok := ce.Fields[f]; ok {
				flagName := map[string]string{"email": "-email", "display_name": "-name", "credentials": "-credentials", "role": "-role"}[f]
				parts = append(parts, flagName+": "+m)
			}
		}
		return &usageError{"kapstone user add: " + strings.Join(parts, " ")}
	}
	if role == clinic.RolePatient {
		return &usageError{"kapstone user add: patients join through an invitation from their record, so the account links to it; add the patient in the staff app"}
	}
	if _, _, err := st.FindUserByEmail(ctx, email); err == nil {
		return fmt.Errorf("kapstone user add: an account with email %s already exists", email)
	}
	if passwordStdin {
		line, err := bufio.NewReader(env.stdin).ReadString('\n')
		if err != nil && line == "" {
			return &usageError{"kapstone user add: -password-stdin given but standard input is empty"}
		}
		pw := strings.TrimRight(line, "\r\n")
		if msg := auth.CheckPasswordPolicy(pw, email); msg != "" {
			return &usageError{"kapstone user add: password refused: " + msg}
		}
		hash, err := auth.HashPassword(pw, auth.DefaultParams)
		if err != nil {
			return err
		}
		if err := st.CreateUser(ctx, store.System, u, hash); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "Account made for %s (%s). Staff set up two-step verification at their first sign-in.\n", u.Email, u.Role)
		return nil
	}
	link, err := newLink(ctx, st, cfg, cfg.Addr, &store.AuthToken{Purpose: store.TokenInvite, Email: u.Email, DisplayName: u.DisplayName, Credentials: u.Credentials, Role: u.Role})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Invitation for %s (%s), valid for 72 hours; it works once:\n  %s\n", u.Email, u.Role, link)
	return nil
}

// userList prints every account, staff first, then patients, each by name,
// a page at a time (so its memory does not grow with the practice).
func userList(ctx context.Context, st *store.Store, env *runEnv) error {
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tTWO-STEP\tSTATUS")
	for _, patients := range []bool{false, true} {
		var k store.PageKey
		for {
			sk, pk := k, store.PageKey{Limit: 1}
			if patients {
				sk, pk = pk, k
			}
			staff, pats, err := st.Accounts(ctx, store.System, "", sk, pk)
			if err != nil {
				return err
			}
			page := staff
			if patients {
				page = pats
			}
			userRows(tw, page.Rows)
			if err := tw.Flush(); err != nil { // columns line up a page at a time
				return err
			}
			if page.Next == "" {
				break
			}
			k = store.PageKey{After: page.Next}
		}
	}
	return tw.Flush()
}

// userRows prints accounts as lines of userList.
func userRows(tw *tabwriter.Writer, users []*clinic.User) {
	for _, u := range users {
		mfa, status := "off", "active"
		if u.HasTOTP {
			mfa = "on"
		}
		if u.DisabledAt != nil {
			status = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Email, u.FullName(), u.Role, mfa, status)
	}
}

// newLink makes a single-use link and returns its URL, built from
// -public-url, or else from the listening address.
func newLink(ctx context.Context, st *store.Store, cfg *config, addr string, t *store.AuthToken) (string, error) {
	token := auth.NewToken()
	t.Hash = auth.HashToken(token)
	if err := st.CreateToken(ctx, store.System, t); err != nil {
		return "", err
	}
	base := cfg.PublicURL
	if base == "" {
		scheme := "http"
		if cfg.TLSCert != "" {
			scheme = "https"
		}
		base = scheme + "://" + addr
	}
	prefix := map[string]string{store.TokenSetup: "/setup/", store.TokenInvite: "/invite/", store.TokenReset: "/reset/"}[t.Purpose]
	return base + prefix + token, nil
}
