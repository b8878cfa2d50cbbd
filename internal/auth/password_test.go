package auth

import (
	"strings"
	"testing"
	"time"
)

var cheap = Params{Memory: 8 * 1024, Time: 1, Threads: 1}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery staple", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Fatalf("HashPassword = %q, want a PHC argon2id string with the given parameters", h)
	}
	if !CheckPassword(h, "correct horse battery staple") {
		t.Fatal("CheckPassword(right password) = false, want true")
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "correct horse battery staple ", "Correct horse battery staple"} {
		if CheckPassword(h, wrong) {
			t.Errorf("CheckPassword(%q) = true, want false", wrong)
		}
	}
	h2, _ := HashPassword("correct horse battery staple", cheap)
	if h2 == h {
		t.Fatal("two hashes of one password are equal; the salt is not random")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA", strings.Replace(h, "$v=19$", "$v=18$", 1)} {
		if CheckPassword(bad, "x") {
			t.Errorf("CheckPassword(malformed %q) = true, want false", bad)
		}
	}
}

func TestPasswordNotTruncated(t *testing.T) {
	long := strings.Repeat("a", 100)
	h, _ := HashPassword(long+"1", cheap)
	if CheckPassword(h, long+"2") {
		t.Fatal("passwords differing at character 101 matched: input was truncated")
	}
}

func TestPasswordPolicy(t *testing.T) {
	tests := []struct {
		pw   string
		okay bool
	}{
		{"short", false},
		{"elevenchars", false},
		{"twelve chars", true},
		{"ééééééééééé", false}, // 11 characters, 22 bytes: counted in characters
		{"éééé ëëëë üü", true}, // 12 characters
		{strings.Repeat("xy1", 42) + "zz", true},
		{strings.Repeat("xy1", 43), false},
		{strings.Repeat("q", 128), false},
		{"1qaz2wsx3edc", false},       // on the breach list
		{"QWERTY123456", false},       // on it, in capitals
		{"Password2024!", false},      // a listed word with digits and a symbol
		{"dragondragon", false},       // a listed word repeated
		{"abcabcabcabc", false},       // a short unit repeated
		{"123456789012", false},       // digits in a row
		{"maple ferry lantern", true}, // unrelated words
		{"ada.lovelace99", false},     // built from the email
	}
	for _, tt := range tests {
		if got := CheckPasswordPolicy(tt.pw, "ada.lovelace@example.org") == ""; got != tt.okay {
			t.Errorf("CheckPasswordPolicy(%q) accepted = %v, want %v", tt.pw, got, tt.okay)
		}
	}
}

func TestTOTP(t *testing.T) {
	secret, err := NewTOTPSecret("kapstone", "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 10, 0, 15, 0, time.UTC)
	code, _ := TOTPCode(secret, now)
	step, ok := MatchTOTP(secret, code, now)
	if !ok || step != now.Unix()/30 {
		t.Fatalf("MatchTOTP(current code) = %d, %v; want %d, true", step, ok, now.Unix()/30)
	}
	if _, ok := MatchTOTP(secret, code, now.Add(30*time.Second)); !ok {
		t.Fatal("MatchTOTP one step late = false, want true (clock drift)")
	}
	if _, ok := MatchTOTP(secret, code, now.Add(2*time.Minute)); ok {
		t.Fatal("MatchTOTP four steps late = true, want false")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := MatchTOTP(secret, bad, now); ok {
			t.Errorf("MatchTOTP(%q) = true, want false", bad)
		}
	}
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		HashPassword("correct horse battery staple", DefaultParams)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes := NewRecoveryCodes(RecoveryCodeCount)
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 11 || c[5] != '-' {
			t.Errorf("recovery code %q, want xxxxx-xxxxx", c)
		}
		if got := NormalizeRecoveryCode(strings.ToUpper(strings.Replace(c, "-", " ", 1))); got != c {
			t.Errorf("NormalizeRecoveryCode(upper-case, space) = %q, want %q", got, c)
		}
		seen[c] = true
	}
	if len(seen) != RecoveryCodeCount {
		t.Errorf("%d distinct codes, want %d", len(seen), RecoveryCodeCount)
	}
	for _, bad := range []string{"", "abcde", "abcde-fghjk-m", "0bcde-fghjk", "123456"} {
		if got := NormalizeRecoveryCode(bad); got != "" {
			t.Errorf("NormalizeRecoveryCode(%q) = %q, want empty", bad, got)
		}
	}
}
