package auth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strings"
	"sync"
	"unicode"
)

// commonPasswordsGz holds about 49,000 passwords seen most often in breaches
// (the zxcvbn-ts list; see NOTICE-common-passwords.txt), lower-cased.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

var (
	commonOnce sync.Once
	common     map[string]struct{}
)

func commonSet() map[string]struct{} {
	commonOnce.Do(func() {
		common = make(map[string]struct{}, 50000)
		zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
		if err != nil {
			panic("auth: embedded password list: " + err.Error())
		}
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			common[sc.Text()] = struct{}{}
		}
		if err := sc.Err(); err != nil {
			panic("auth: embedded password list: " + err.Error())
		}
	})
	return common
}

// IsCommonPassword reports whether pw is, ignoring case, a password from the
// breach list, or one of those with only digits or symbols around it
// ("Password2024!"), or one of them repeated ("dragondragon"), or a single
// character or a run of keyboard digits repeated.
func IsCommonPassword(pw string) bool {
	set := commonSet()
	p := strings.ToLower(strings.TrimSpace(pw))
	if _, ok := set[p]; ok {
		return true
	}
	core := strings.TrimFunc(p, func(r rune) bool { return !unicode.IsLetter(r) })
	if len([]rune(core)) >= 4 {
		if _, ok := set[core]; ok {
			return true
		}
	}
	// A short unit repeated: "abcabcabcabc", "aaaaaaaaaaaa", "dragondragon".
	for n := 1; n <= len(p)/2; n++ {
		if len(p)%n == 0 && strings.Repeat(p[:n], len(p)/n) == p {
			if n <= 3 {
				return true
			}
			if _, ok := set[p[:n]]; ok {
				return true
			}
		}
	}
	return strings.Contains("12345678901234567890", p) || strings.Contains("09876543210987654321", p)
}
