package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

const smartClientSummary = `Register or withdraw a SMART on FHIR app (issue 19), as the
administrators' Apps page does (audited as the system).

  kapstone smart-client create -name "Mood Diary" -kind public \
      -redirect-uri https://app.example/cb -scopes "launch/patient patient/*.rs"
  kapstone smart-client create -name "Outcomes sync" -kind backend \
      -jwks keys.json -email sync@example.org -scopes "system/*.rs"
  kapstone smart-client revoke -id app_...

create prints the new client_id alone on standard output. A public app is
one people sign in to (authorization code with PKCE S256; -redirect-uri,
repeatable or comma-separated, each an exact https URL or http on
localhost); a backend service signs a JWT with a key of its JWKS (-jwks, a
file of public keys: RS384 of 2048 bits or more, or ES384 on P-384) and acts
as the account -email. revoke ends the app and every token it holds.`

func runSMARTClient(ctx context.Context, args []string, env *runEnv) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			_, err := parseConfig("smart-client", args, env.getenv, env.stdout, smartClientSummary)
			return err
		}
		return &usageError{"kapstone smart-client: name an action: create or revoke; run 'kapstone smart-client -h'"}
	}
	action, args := args[0], args[1:]
	if action != "create" && action != "revoke" {
		return &usageError{fmt.Sprintf("kapstone smart-client: unknown action %q; use create or revoke", action)}
	}
	var name, kind, scopes, jwksFile, email, id string
	var redirects []string
	cfg, rest, err := parseConfigExtra("smart-client", args, env.getenv, env.stdout, smartClientSummary, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "the app's name, shown to people on the consent page")
		fs.StringVar(&kind, "kind", "", "public (people sign in to it) or backend (a service with its own keys)")
		fs.StringVar(&scopes, "scopes", "", `the scopes it may be granted, e.g. "launch/patient patient/*.rs" or "system/*.rs"`)
		fs.Func("redirect-uri", "a redirect URI of a public app (repeatable, or comma-separated)", func(v string) error {
			redirects = append(redirects, strings.Split(v, ",")...)
			return nil
		})
		fs.StringVar(&jwksFile, "jwks", "", "a backend service's public keys: a JWKS file")
		fs.StringVar(&email, "email", "", "the account a backend service acts as")
		fs.StringVar(&id, "id", "", "revoke: the app's client_id")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("kapstone smart-client %s: unexpected argument %q", action, rest[0])}
	}
	if action == "revoke" && id == "" {
		return &usageError{"kapstone smart-client revoke: -id is required"}
	}
	in := store.SMARTClientInput{Name: name, Kind: kind, Scopes: scopes, RedirectURIs: strings.Join(redirects, "\n"), UserEmail: email}
	if jwksFile != "" {
		b, err := os.ReadFile(jwksFile)
		if err != nil {
			return fmt.Errorf("kapstone smart-client create: -jwks: %w", err)
		}
		in.JWKS = string(b)
	}
	log := newLogger(env.stderr, cfg.LogLevel)
	st, err := openStore(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if action == "revoke" {
		if err := st.RevokeSMARTClient(ctx, store.System, id); err != nil {
			return fmt.Errorf("kapstone smart-client revoke: %s", clinic.ErrorMessage(err))
		}
		fmt.Fprintf(env.stderr, "App %s withdrawn; its tokens no longer work.\n", id)
		return nil
	}
	c, err := st.RegisterSMARTClient(ctx, store.System, in)
	if ce, ok := err.(*clinic.Error); ok && ce.Code == clinic.EInvalid {
		var msgs []string
		flags := map[string]string{"redirect_uris": "redirect-uri", "user_email": "email"}
		for k, v := range ce.Fields {
			if f, ok := flags[k]; ok {
				k = f
			}
			msgs = append(msgs, "-"+k+": "+v)
		}
		sort.Strings(msgs)
		return &usageError{"kapstone smart-client create: " + strings.Join(msgs, "; ")}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "Registered %q (%s), scopes %s; its client_id:\n", c.Name, c.Kind, c.Scopes)
	fmt.Fprintln(env.stdout, c.ID)
	return nil
}
