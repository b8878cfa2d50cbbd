package webtest

import (
	"net/url"
	"strings"
)

// ActorEmail is the fixture account of each signed-in actor; "half" is thea
// after her password but before her second factor.
var ActorEmail = map[string]string{
	"pA": "pat@example.org", "pB": "bea@example.org", "thea": "thea@example.org",
	"theo": "theo@example.org", "rex": "rex@example.org", "admin": "admin@example.org",
}

// Sessions signs in every actor of f and returns their cookies.
func (f *Fixture) Sessions() map[string]string {
	c := map[string]string{"anon": ""}
	for a, email := range ActorEmail {
		c[a] = f.SignIn(email)
	}
	c["half"] = f.SessionCookie(f.Login("thea@example.org", TestPassword, ""))
	return c
}

// Target fills a route pattern's wildcards for the matrix.
func (f *Fixture) Target(pattern string) (method, path string, form url.Values) {
	method, path, _ = strings.Cut(pattern, " ")
	css, _ := f.Srv.Assets.URL("style.css")
	parts := strings.Split(css, "/") // /static/{hash}/style.css
	r := strings.NewReplacer(
		"{$}", "",
		"{hash}", parts[2], "{name}", "style.css",
		"{patient}", f.PA.ID,
		"{user}", f.Users[map[bool]string{true: "rex@example.org", false: "nomfa@example.org"}[strings.Contains(path, "/team/")]].ID,
		"{sid}", "no-such-session",
		"{device}", "no-such-device",
		"{apitoken}", "no-such-api-token",
		"{app}", "no-such-app",
		"{grant}", "no-such-grant",
		"{invitation}", "no-such-invitation",
		"{alert}", "no-such-alert",
		"{appointment}", "no-such-appointment",
		"{room}", "no-such-room",
		"{off}", "no-such-time-off",
		"{session}", "no-such-dosing-session",
		"{instrument}", "phq9",
		"{report}", "outstanding",
		"{token}", "no-such-token-0000000000000000000000000000000",
	)
	path = r.Replace(path)
	if method == "POST" {
		form = url.Values{}
		if strings.HasSuffix(path, "/emergency") {
			form.Set("reason", "Patient called in crisis; their therapist is away.")
		}
	}
	return method, path, form
}
