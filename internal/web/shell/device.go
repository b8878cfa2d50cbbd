package shell

import (
	"net/http"
	"strings"

	"github.com/kapstone/kapstone/internal/store"
)

// MaxDeviceTokens is how many accounts one browser remembers itself for
// (a shared front-desk computer); the newest are kept.
const MaxDeviceTokens = 5

// DeviceCookieName is __Host-kapstone-device over TLS and kapstone_device
// on plain-HTTP development. The cookie holds the browser's device tokens
// (store.Device), one per account fully signed in here, joined by dots. It
// is not a credential: it only keeps the browser's own count of failed
// sign-ins apart from everyone else's.
func (s *App) DeviceCookieName() string {
	if s.secure {
		return "__Host-kapstone-device"
	}
	return "kapstone_device"
}

// DeviceTokens returns the well-formed device tokens the browser sent, at
// most MaxDeviceTokens.
func (s *App) DeviceTokens(r *http.Request) []string {
	c, err := r.Cookie(s.DeviceCookieName())
	if err != nil {
		return nil
	}
	var out []string
	for _, t := range strings.Split(c.Value, ".") {
		if len(out) == MaxDeviceTokens {
			break
		}
		if wellFormedToken(t) {
			out = append(out, t)
		}
	}
	return out
}

// wellFormedToken reports whether t looks like auth.NewToken's output: 43
// characters of unpadded base64url.
func wellFormedToken(t string) bool {
	if len(t) != 43 {
		return false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// SetDeviceTokens stores tokens (newest first) in the device cookie for
// store.DeviceLifetime.
func (s *App) SetDeviceTokens(w http.ResponseWriter, tokens []string) {
	if len(tokens) > MaxDeviceTokens {
		tokens = tokens[:MaxDeviceTokens]
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.DeviceCookieName(), Value: strings.Join(tokens, "."), Path: "/",
		MaxAge:   int(store.DeviceLifetime.Seconds()),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}
