package smart

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
)

// ValidVerifier reports whether v is a PKCE code_verifier (RFC 7636 4.1):
// 43 to 128 characters of A-Z a-z 0-9 - . _ ~.
func ValidVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// ValidChallenge reports whether c can be an S256 code_challenge: 43
// base64url characters (a SHA-256).
func ValidChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size && len(c) == 43
}

// Challenge is the S256 code_challenge of verifier.
func Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// VerifyPKCE reports whether verifier is well formed and its S256
// challenge is challenge (compared in constant time).
func VerifyPKCE(verifier, challenge string) bool {
	return ValidVerifier(verifier) && subtle.ConstantTimeCompare([]byte(Challenge(verifier)), []byte(challenge)) == 1
}

// Sign makes a JWT signed with key (an *rsa.PrivateKey signs RS384, an
// *ecdsa.PrivateKey on P-384 ES384) with kid in its header: what a backend
// client sends as its assertion. kapstone verifies only; tests and
// clients sign.
func Sign(key crypto.Signer, kid string, claims any) (string, error) {
	alg := ""
	switch key.(type) {
	case *rsa.PrivateKey:
		alg = RS384
	case *ecdsa.PrivateKey:
		alg = ES384
	default:
		return "", errors.New("smart: an RSA or P-384 EC key signs")
	}
	h, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT", "kid": kid})
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	digest := sha512.Sum384([]byte(in))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA384, digest[:])
	case *ecdsa.PrivateKey:
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, k, digest[:])
		if err == nil {
			sig = make([]byte, 96)
			r.FillBytes(sig[:48])
			s.FillBytes(sig[48:])
		}
	}
	if err != nil {
		return "", err
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// PublicJWKS writes the public half of keys as a JWKS, each with its kid
// (the order of kids): what a client registers.
func PublicJWKS(kids []string, keys []crypto.Signer) []byte {
	var out []map[string]string
	b64 := base64.RawURLEncoding.EncodeToString
	for i, k := range keys {
		switch pub := k.Public().(type) {
		case *rsa.PublicKey:
			out = append(out, map[string]string{"kty": "RSA", "kid": kids[i], "alg": RS384, "use": "sig",
				"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())})
		case *ecdsa.PublicKey:
			x, y := make([]byte, 48), make([]byte, 48)
			raw, _ := pub.Bytes()
			copy(x, raw[1:49])
			copy(y, raw[49:])
			out = append(out, map[string]string{"kty": "EC", "kid": kids[i], "alg": ES384, "crv": "P-384", "x": b64(x), "y": b64(y)})
		}
	}
	b, _ := json.Marshal(map[string]any{"keys": out})
	return b
}
