package shell

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/kapstone/kapstone/internal/seal"
)

// A draft carried through sign-in (issue 16, item 2: drafts never lost).
// When a clinician's session has ended and their browser posts a draft
// (a note's "Save draft"), the posted form is sealed (AES-256-GCM, under
// the store's keyring) with the path it was posted to and a time limit,
// and the sign-in page carries it in a hidden field through the password
// and second-factor steps. After sign-in the route's own code opens it and
// saves it as an ordinary save by the now signed-in user, with every
// access check, and the clinician lands back on the page with the text.

// CarryField is the hidden form field that holds a sealed draft.
const CarryField = "carry"

// CarryLife is how long after the post a sealed draft can still be used.
const CarryLife = 12 * time.Hour

// carryAAD binds a sealed draft to its use: it opens nowhere else.
const carryAAD = "kapstone:draft-carry:v1"

// Carry is a draft carried through sign-in: the path it was posted to and
// its form.
type Carry struct {
	Path    string     `json:"path"`
	Form    url.Values `json:"form"`
	Expires time.Time  `json:"expires"`
}

var (
	fallbackOnce sync.Once
	fallbackKeys *seal.Keyring
)

// carryKeys is the keyring drafts are sealed under: the store's, or, when
// the program has given the store none, a key held only in this process's
// memory (a draft then survives sign-in on this instance only).
func (s *App) carryKeys() (*seal.Keyring, error) {
	if k := s.Store.Keyring(); k != nil {
		return k, nil
	}
	var err error
	fallbackOnce.Do(func() { fallbackKeys, err = seal.New() })
	if fallbackKeys == nil {
		return nil, errors.Join(errors.New("carry: no keyring"), err)
	}
	return fallbackKeys, nil
}

// SealCarry seals form, posted to path, for the sign-in page.
func (s *App) SealCarry(path string, form url.Values) (string, error) {
	keys, err := s.carryKeys()
	if err != nil {
		return "", err
	}
	clean := url.Values{}
	for k, v := range form {
		if k != CarryField && k != "autosave" {
			clean[k] = v
		}
	}
	b, err := json.Marshal(Carry{Path: path, Form: clean, Expires: s.Now().UTC().Add(CarryLife)})
	if err != nil {
		return "", err
	}
	return keys.SealString(string(b), carryAAD)
}

// OpenCarry opens a sealed draft. It fails for one that was changed, was
// sealed under another key, or is past its time.
func (s *App) OpenCarry(sealed string) (*Carry, error) {
	keys, err := s.carryKeys()
	if err != nil {
		return nil, err
	}
	plain, err := keys.OpenString(sealed, carryAAD)
	if err != nil {
		return nil, err
	}
	var c Carry
	if err := json.Unmarshal([]byte(plain), &c); err != nil {
		return nil, err
	}
	if !s.Now().UTC().Before(c.Expires) {
		return nil, errors.New("carry: expired")
	}
	return &c, nil
}

// CarryToSignIn answers a draft posted after the session ended with the
// sign-in page, the draft sealed into it (SealCarry), instead of a
// redirect that would drop it. If it cannot be sealed the page is the
// ordinary sign-in page saying the session ended (and the browser's back
// button still has the text).
func (s *App) CarryToSignIn(w http.ResponseWriter, r *http.Request) {
	d := LoginData{Notice: "Your session ended. Please sign in again."}
	sealed, err := s.SealCarry(r.URL.Path, r.PostForm)
	if err != nil {
		s.Log.Error("carry: seal", "request_id", RequestID(r.Context()), "err", err.Error())
	} else {
		d.Notice, d.Carry = "", sealed
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "login", "Sign in", d)
}
