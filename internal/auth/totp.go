package auth

import (
	"bytes"
	"image/png"
	"net/url"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters (RFC 6238 defaults that every authenticator app accepts).
const (
	totpPeriod = 30
	totpSkew   = 1 // accept one step either side for clock drift
)

// NewTOTPSecret returns a new base32 TOTP secret for account (an email) at issuer.
func NewTOTPSecret(issuer, account string) (string, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", err
	}
	return k.Secret(), nil
}

// TOTPCode returns the code for secret at t (tests and demo use it).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// MatchTOTP returns the time step at which code is valid for secret near t,
// and false when it matches none. Callers store the step and refuse a code
// whose step is not newer than the last one used, so no code is replayed.
func MatchTOTP(secret, code string, t time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	step := t.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		s := step + d
		want, err := TOTPCode(secret, time.Unix(s*totpPeriod, 0))
		if err == nil && want == code {
			return s, true
		}
	}
	return 0, false
}

// TOTPURL returns the otpauth:// URL an authenticator app reads from a QR code.
func TOTPURL(issuer, account, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", issuer)
	v.Set("period", "30")
	v.Set("digits", "6")
	v.Set("algorithm", "SHA1")
	return (&url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: v.Encode()}).String()
}

// TOTPQR returns a PNG QR code of the enrolment URL, size pixels square.
func TOTPQR(issuer, account, secret string, size int) ([]byte, error) {
	key, err := otp.NewKeyFromURL(TOTPURL(issuer, account, secret))
	if err != nil {
		return nil, err
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
