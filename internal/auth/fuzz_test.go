package auth

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var recoveryForm = regexp.MustCompile(`^[` + recoveryAlphabet + `]{5}-[` + recoveryAlphabet + `]{5}$`)

// FuzzNormalizeRecoveryCode checks the recovery-code field reader: it
// gives "" or a code in exactly the form NewRecoveryCodes writes, which it
// leaves unchanged.
func FuzzNormalizeRecoveryCode(f *testing.F) {
	for _, s := range append(NewRecoveryCodes(2), "ABCDE-FGHJK", " abcde fghjk ", "abcdefghjk", "abcde--fghjk", "abcde-fghj0", "\u212Aabcd-efghj", "ａbcde-fghjk", "", "-----") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		got := NormalizeRecoveryCode(code)
		if got == "" {
			return
		}
		if !recoveryForm.MatchString(got) {
			t.Fatalf("NormalizeRecoveryCode(%q) = %q, not a recovery code", code, got)
		}
		if again := NormalizeRecoveryCode(got); again != got {
			t.Fatalf("NormalizeRecoveryCode(%q) = %q, then %q", code, got, again)
		}
	})
}

// FuzzMatchTOTP checks the second-factor code field: only six characters
// that are the code of a step within one of now ever match, and the step
// returned is that step.
func FuzzMatchTOTP(f *testing.F) {
	secret, err := NewTOTPSecret("kapstone", "a@example.org")
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	code, _ := TOTPCode(secret, now)
	for _, s := range []string{code, " " + code, code + " ", "000000", "12345", "1234567", "１２３４５６", "12 345", "-12345", "\x00\x00\x00\x00\x00\x00", ""} {
		f.Add(s, int64(0))
	}
	f.Add(code, int64(31))
	f.Add(code, int64(-61))
	f.Fuzz(func(t *testing.T, code string, drift int64) {
		at := now.Add(time.Duration(drift%1_000_000) * time.Second)
		step, ok := MatchTOTP(secret, code, at)
		if !ok {
			if step != 0 {
				t.Fatalf("MatchTOTP(%q) refused but gave step %d", code, step)
			}
			return
		}
		if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
			t.Fatalf("MatchTOTP accepted %q", code)
		}
		if d := step - at.Unix()/totpPeriod; d < -totpSkew || d > totpSkew {
			t.Fatalf("MatchTOTP(%q) at %v matched step %d, %d steps away", code, at, step, d)
		}
		if want, _ := TOTPCode(secret, time.Unix(step*totpPeriod, 0)); want != code {
			t.Fatalf("MatchTOTP(%q) matched step %d, whose code is %q", code, step, want)
		}
	})
}

// FuzzCheckPasswordPolicy checks the password rule on any text: it always
// answers, and a password it allows is within the length limits and not
// the account's email name.
func FuzzCheckPasswordPolicy(f *testing.F) {
	for _, s := range [][2]string{{"correct horse battery staple", "a@example.org"}, {"password123", ""}, {"lena.ortiz-2026!", "lena.ortiz@example.org"},
		{strings.Repeat("é", 200), "x@y"}, {"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4", "@"}, {"", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pw, email string) {
		msg := CheckPasswordPolicy(pw, email)
		if msg != "" {
			return
		}
		if n := utf8.RuneCountInString(pw); n < MinPasswordLen || n > MaxPasswordLen {
			t.Fatalf("CheckPasswordPolicy allowed a password of %d characters", n)
		}
		if IsCommonPassword(pw) {
			t.Fatalf("CheckPasswordPolicy allowed the common password %q", pw)
		}
		if local, _, _ := strings.Cut(strings.ToLower(email), "@"); len(local) >= 4 && strings.Contains(strings.ToLower(pw), local) {
			t.Fatalf("CheckPasswordPolicy allowed %q for %q", pw, email)
		}
	})
}
