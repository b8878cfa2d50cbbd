package auth

import (
	"crypto/rand"
	"strings"
)

// recoveryAlphabet avoids letters and digits that look alike (0/o, 1/l/i).
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// RecoveryCodeCount is how many recovery codes a user gets at enrolment.
const RecoveryCodeCount = 10

// NewRecoveryCodes returns n single-use recovery codes, each 10 characters
// (about 50 bits) written as xxxxx-xxxxx. Store only their HashToken.
func NewRecoveryCodes(n int) []string {
	codes := make([]string, n)
	for i := range codes {
		b := make([]byte, 10)
		rand.Read(b)
		var sb strings.Builder
		for j, c := range b {
			if j == 5 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[int(c)%len(recoveryAlphabet)])
		}
		codes[i] = sb.String()
	}
	return codes
}

// NormalizeRecoveryCode returns code in the form NewRecoveryCodes writes
// (lower case, one hyphen in the middle), or "" when it cannot be one.
func NormalizeRecoveryCode(code string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(code) {
		if c == '-' || c == ' ' {
			continue
		}
		if !strings.ContainsRune(recoveryAlphabet, c) {
			return ""
		}
		b.WriteRune(c)
	}
	s := b.String()
	if len(s) != 10 {
		return ""
	}
	return s[:5] + "-" + s[5:]
}
