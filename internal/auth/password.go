// Package auth holds kapstone's credentials: argon2id password hashes,
// session tokens and TOTP second factors.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultParams follow OWASP's Password Storage Cheat Sheet (argon2id,
// m=46 MiB, t=1, p=1): about 50 ms per hash on a 2-core server.
var DefaultParams = Params{Memory: 46 * 1024, Time: 1, Threads: 1}

// Password length limits (NIST SP 800-63B; ASVS 6.2.1/6.2.9). Counted in
// characters, never truncated.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

// CheckPasswordPolicy returns a sentence saying what is wrong with pw for
// the account with email, or "" when it may be used. There are no
// composition rules (NIST SP 800-63B): only length, and not a password from
// the breach list or built from the email address.
func CheckPasswordPolicy(pw, email string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return fmt.Sprintf("Use at least %d characters; a few unrelated words together are easy to remember.", MinPasswordLen)
	case n > MaxPasswordLen:
		return fmt.Sprintf("Use at most %d characters.", MaxPasswordLen)
	case IsCommonPassword(pw):
		return "This password is on a list of passwords that attackers try first. Choose another; a few unrelated words work well."
	}
	if local, _, _ := strings.Cut(strings.ToLower(email), "@"); len(local) >= 4 && strings.Contains(strings.ToLower(pw), local) {
		return "Don't build your password from your email address."
	}
	return ""
}

// hashSlots bounds how many argon2id computations run at once: each takes
// 46 MiB, so a burst of sign-ins waits its turn instead of exhausting memory.
var hashSlots = make(chan struct{}, max(2, runtime.NumCPU()))

func idKey(pw, salt []byte, p Params, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, n)
}

// HashPassword returns pw hashed with argon2id in PHC string form, with a
// fresh 16-byte salt.
func HashPassword(pw string, p Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := idKey([]byte(pw), salt, p, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash, in constant time. A
// malformed hash never matches.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false
	}
	if p.Memory > 1<<21 || p.Time > 16 || p.Threads == 0 { // refuse absurd costs from a tampered row
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := idKey([]byte(pw), salt, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked when an account does not exist, so a wrong email
// costs as much time as a wrong password. It is made at the first such
// check, not when the program starts (every command, and every restart of
// the server, would pay for one argon2 hash).
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("kapstone-timing-equaliser", DefaultParams)
	return h
})

// CheckPasswordMissingUser spends the time of one password check and
// returns false.
func CheckPasswordMissingUser(pw string) bool {
	CheckPassword(dummyHash(), pw)
	return false
}

// NewToken returns a random, URL-safe token of 256 bits.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the hex SHA-256 of a token; only hashes are stored.
func HashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// NewPassword returns a random password of 4 groups of 5 letters and digits
// (about 100 bits), for demo and reset use.
func NewPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 20)
	rand.Read(b)
	var s strings.Builder
	for i, c := range b {
		if i > 0 && i%5 == 0 {
			s.WriteByte('-')
		}
		s.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return s.String()
}
