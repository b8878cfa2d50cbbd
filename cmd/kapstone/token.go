package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

const tokenSummary = `Make a personal API token for an account, for a script (audited as the
system acting for that account).

  kapstone token create -email a@example.org -scope read [-ttl 24h] [-label "Nightly export"]

prints the token alone on standard output (so TOKEN=$(kapstone token create ...)
works), and what it is on standard error; it is shown once. The token acts as
the account, under the same access policy, with read or read-and-write scope,
until it expires (-ttl, default 720h = 30 days, at most 8760h = 1 year) or is
revoked on the account's settings page. The same rules as there apply: a
disabled account gets none, and a staff account must have two-step
verification set up first.`

func runToken(ctx context.Context, args []string, env *runEnv) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			_, err := parseConfig("token", args, env.getenv, env.stdout, tokenSummary)
			return err
		}
		return &usageError{"kapstone token: name an action: create; run 'kapstone token -h'"}
	}
	action, args := args[0], args[1:]
	if action != "create" {
		return &usageError{fmt.Sprintf("kapstone token: unknown action %q; use create", action)}
	}
	var email, scope, label string
	var ttl time.Duration
	cfg, rest, err := parseConfigExtra("token", args, env.getenv, env.stdout, tokenSummary, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the account's email address")
		fs.StringVar(&scope, "scope", "", "read, or write (read and write)")
		fs.DurationVar(&ttl, "ttl", store.APITokenDefaultTTL, "how long the token works, e.g. 24h (at most 8760h, a year)")
		fs.StringVar(&label, "label", "Made on the command line", "what the token is for, shown on the account's settings page")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("kapstone token create: unexpected argument %q", rest[0])}
	}
	switch {
	case email == "":
		return &usageError{"kapstone token create: -email is required"}
	case !store.TokenScope(scope).Valid():
		return &usageError{fmt.Sprintf("kapstone token create: -scope %q: use read or write", scope)}
	case ttl < store.APITokenMinTTL || ttl > store.APITokenMaxTTL:
		return &usageError{fmt.Sprintf("kapstone token create: -ttl %v: use from 5m to 8760h (a year)", ttl)}
	}
	in := store.APITokenInput{Label: label, Scope: store.TokenScope(scope), TTL: ttl}
	if err := in.Check(); err != nil {
		var ce *clinic.Error
		errors.As(err, &ce)
		return &usageError{"kapstone token create: -label: " + ce.Fields["label"]}
	}
	log := newLogger(env.stderr, cfg.LogLevel)
	st, err := openStore(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	u, _, err := st.FindUserByEmail(ctx, email)
	if clinic.ErrorCode(err) == clinic.ENotFound {
		return fmt.Errorf("kapstone token create: no account with email %s", email)
	}
	if err != nil {
		return err
	}
	tok, t, err := st.CreateAPITokenFor(ctx, u.ID, in)
	if code := clinic.ErrorCode(err); code == clinic.EForbidden || code == clinic.EInvalid {
		return fmt.Errorf("kapstone token create: %s: %s", u.Email, clinic.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "API token %q for %s (%s), %s, expires %s; it is shown once:\n",
		t.Label, u.Email, u.Role, map[bool]string{true: "read and write", false: "read only"}[t.Scope.Writes()], t.ExpiresAt.Format("2006-01-02 15:04 MST"))
	fmt.Fprintln(env.stdout, tok)
	return nil
}
