package shell

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kapstone/kapstone/internal/seal"
)

// A draft carried through sign-in (issue 16, item 2: drafts never lost).
// When a clinician's session has ended by its idle or absolute limit and
// their browser posts a draft (a note's "Save draft") with that session's
// cookie, the posted form is sealed with the path it was posted to, the
// id of the user whose session ended, a nonce and a time limit, and the
// sign-in page carries it in a hidden field through the password and
// second-factor steps (and the enrolment of a second factor). After
// sign-in the route's own code opens it and, only when the signed-in user
// is the one it is bound to and it was not used before, saves it as an
// ordinary save by that user with every access check. A post with no
// cookie, or a cookie of no session that just ended, is never carried: the
// sign-in page then mints nothing for anyone (review finding 1).
//
// Carried drafts are sealed under a key derived for them from the data key
// (seal.Keyring.Derived), so the server sealing text posted by browsers
// neither spends the data keys' nonce budget nor uses the key that holds
// psychotherapy notes (review finding 3).

// CarryField is the hidden form field that holds a sealed draft.
const CarryField = "carry"

// CarryLife is how long after the post a sealed draft can still be saved;
// after it, its text is still shown to its user, not saved.
const CarryLife = 12 * time.Hour

// carryLabel names the derived key carried drafts are sealed under.
const carryLabel = "draft-carry"

// carryAAD binds a sealed draft to its use and its user: it opens nowhere
// else, and not with another user id in front of it.
func carryAAD(userID string) string { return "kapstone:draft-carry:v2:" + userID }

// Carry is a draft carried through sign-in: the path it was posted to, its
// form, the user it belongs to, its nonce (used once) and its time limit.
type Carry struct {
	Path    string     `json:"path"`
	Form    url.Values `json:"form"`
	User    string     `json:"user"`
	Nonce   string     `json:"nonce"`
	Expires time.Time  `json:"expires"`
}

// Expired reports whether the draft is past its time at now.
func (c *Carry) Expired(now time.Time) bool { return !now.Before(c.Expires) }

// ErrCarry is the error (wrapped) for a carried draft that does not open:
// changed, not bound to a user, or sealed under a key no longer held.
var ErrCarry = errors.New("carried draft does not open")

var (
	fallbackOnce sync.Once
	fallbackKeys *seal.Keyring
)

// carryKeys is the keyring drafts are sealed under: derived from the
// store's, or, when the program has given the store none, from a key held
// only in this process's memory (a draft then survives sign-in on this
// instance only).
func (s *App) carryKeys() (*seal.Keyring, error) {
	k := s.Store.Keyring()
	if k == nil {
		var err error
		fallbackOnce.Do(func() { fallbackKeys, err = seal.New() })
		if fallbackKeys == nil {
			return nil, errors.Join(errors.New("carry: no keyring"), err)
		}
		k = fallbackKeys
	}
	return k.Derived(carryLabel)
}

// SealCarry seals form, posted to path, for userID, for the sign-in page.
func (s *App) SealCarry(path string, form url.Values, userID string) (string, error) {
	if userID == "" || strings.Contains(userID, ".") {
		return "", errors.New("carry: no user to bind to")
	}
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
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	b, err := json.Marshal(Carry{Path: path, Form: clean, User: userID, Nonce: hex.EncodeToString(nonce), Expires: s.Now().UTC().Add(CarryLife)})
	if err != nil {
		return "", err
	}
	sealed, err := keys.SealString(string(b), carryAAD(userID))
	if err != nil {
		return "", err
	}
	return userID + "." + sealed, nil
}

// OpenCarry opens a sealed draft, past its time or not (Carry.Expired);
// it fails (ErrCarry) for one that was changed, is not bound to a user,
// or was sealed under a key no longer held.
func (s *App) OpenCarry(sealed string) (*Carry, error) {
	keys, err := s.carryKeys()
	if err != nil {
		return nil, err
	}
	uid, body, ok := strings.Cut(sealed, ".")
	if !ok || uid == "" {
		return nil, fmt.Errorf("%w: not bound to a user", ErrCarry)
	}
	plain, err := keys.OpenString(body, carryAAD(uid))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCarry, err)
	}
	var c Carry
	if err := json.Unmarshal([]byte(plain), &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCarry, err)
	}
	if c.User != uid || c.Nonce == "" {
		return nil, fmt.Errorf("%w: bound to another user", ErrCarry)
	}
	return &c, nil
}

// ValidCarry returns sealed when it is a carried draft this server made
// (OpenCarry), and "" otherwise: the sign-in pages pass on only those, so
// they never echo text a browser chose.
func (s *App) ValidCarry(sealed string) string {
	if sealed == "" {
		return ""
	}
	if _, err := s.OpenCarry(sealed); err != nil {
		return ""
	}
	return sealed
}

// EndedUser is the id of the user whose session ended by its limits and
// whose cookie came with this request (store.EndedSession), or "".
func EndedUser(r *http.Request) string {
	uid, _ := r.Context().Value(keyEndedUser).(string)
	return uid
}

// keyEndedUser holds EndedUser in a request's context.
const keyEndedUser ctxKey = 101

// CarryToSignIn answers a draft posted with the cookie of a session that
// ended (EndedUser) with the sign-in page, the draft sealed into it for
// that user (SealCarry), instead of a redirect that would drop it. If it
// cannot be sealed the page is the ordinary sign-in page saying the
// session ended (and the browser's back button still has the text).
func (s *App) CarryToSignIn(w http.ResponseWriter, r *http.Request, userID string) {
	d := LoginData{Notice: "Your session ended. Please sign in again."}
	sealed, err := s.SealCarry(r.URL.Path, r.PostForm, userID)
	if err != nil {
		s.Log.Error("carry: seal", "request_id", RequestID(r.Context()), "err", err.Error())
	} else {
		d.Notice, d.Carry = "", sealed
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "login", "Sign in", d)
}
