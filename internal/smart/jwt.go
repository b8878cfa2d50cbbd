package smart

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Signing algorithms kapstone accepts for a client assertion (SMART
// Backend Services: RS384 and ES384); none, HS* and every other are refused.
const (
	RS384 = "RS384"
	ES384 = "ES384"
)

// AssertionType is the client_assertion_type of private_key_jwt.
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// MaxAssertionLife is how far in the future an assertion's exp may be.
const MaxAssertionLife = 5 * time.Minute

// skew is the clock difference tolerated between client and server.
const skew = 60 * time.Second

// Key is one public key of a client's JWKS.
type Key struct {
	Kid string
	Alg string // RS384 or ES384: what the key's type signs with
	Pub crypto.PublicKey
}

// JWKS is a client's registered public keys.
type JWKS []Key

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	D   string `json:"d"`
}

// ParseJWKS reads a JSON Web Key Set ({"keys":[...]}) of public keys: RSA
// of at least 2048 bits, or EC on P-384. Each key needs a kid, unique in
// the set; a private key (one with "d") is refused so it is never stored;
// a key whose alg or use is set must say RS384/ES384 and sig.
func ParseJWKS(b []byte) (JWKS, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, errors.New("the key set is not JSON of the form {\"keys\":[...]}")
	}
	if len(doc.Keys) == 0 || len(doc.Keys) > 10 {
		return nil, errors.New("the key set needs between 1 and 10 keys")
	}
	var out JWKS
	seen := map[string]bool{}
	for i, k := range doc.Keys {
		key, err := parseJWK(k)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		if seen[key.Kid] {
			return nil, fmt.Errorf("key %d: the kid %q is used twice", i+1, key.Kid)
		}
		seen[key.Kid] = true
		out = append(out, key)
	}
	return out, nil
}

func parseJWK(k jwk) (Key, error) {
	if k.Kid == "" || len(k.Kid) > 200 {
		return Key{}, errors.New("every key needs a kid")
	}
	if k.D != "" {
		return Key{}, errors.New("this is a private key; register the public key only")
	}
	if k.Use != "" && k.Use != "sig" {
		return Key{}, errors.New("the key's use must be sig")
	}
	switch k.Kty {
	case "RSA":
		if k.Alg != "" && k.Alg != RS384 {
			return Key{}, errors.New("an RSA key must be for RS384")
		}
		n, err1 := b64int(k.N)
		e, err2 := b64int(k.E)
		if err1 != nil || err2 != nil {
			return Key{}, errors.New("the RSA key's n or e is not base64url")
		}
		if n.BitLen() < 2048 {
			return Key{}, errors.New("the RSA key must be at least 2048 bits")
		}
		if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
			return Key{}, errors.New("the RSA key's exponent is not usable")
		}
		return Key{Kid: k.Kid, Alg: RS384, Pub: &rsa.PublicKey{N: n, E: int(e.Int64())}}, nil
	case "EC":
		if k.Crv != "P-384" {
			return Key{}, errors.New("an EC key must be on the P-384 curve")
		}
		if k.Alg != "" && k.Alg != ES384 {
			return Key{}, errors.New("an EC key must be for ES384")
		}
		x, err1 := base64.RawURLEncoding.DecodeString(k.X)
		y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
		if err1 != nil || err2 != nil || len(x) != 48 || len(y) != 48 {
			return Key{}, errors.New("the EC key's x or y is not 48 bytes of base64url")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P384(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return Key{}, errors.New("the EC key is not a point on P-384")
		}
		return Key{Kid: k.Kid, Alg: ES384, Pub: pub}, nil
	}
	return Key{}, errors.New("the key type must be RSA or EC")
}

func b64int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("bad")
	}
	return new(big.Int).SetBytes(b), nil
}

// Claims are the claims of a client assertion kapstone reads.
type Claims struct {
	Iss string   `json:"iss"`
	Sub string   `json:"sub"`
	Aud audience `json:"aud"`
	Exp *int64   `json:"exp"`
	Nbf *int64   `json:"nbf"`
	Iat *int64   `json:"iat"`
	Jti string   `json:"jti"`
}

// ExpiresAt is the assertion's exp as a time.
func (c *Claims) ExpiresAt() time.Time { return time.Unix(*c.Exp, 0).UTC() }

// audience is a JWT aud: one string or an array of them.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// ErrAssertion is why a client assertion was refused. Its message is safe
// for the token endpoint's error_description.
type ErrAssertion struct{ Msg string }

func (e *ErrAssertion) Error() string { return "smart: client assertion: " + e.Msg }

func bad(msg string) error { return &ErrAssertion{msg} }

// Header is the part of a JWT's header kapstone reads.
type Header struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid"`
	Jku string `json:"jku"`
	X5u string `json:"x5u"`
	Jwk any    `json:"jwk"`
}

// Unverified returns the iss of an assertion without checking it, so the
// caller can find the client's keys (and nothing else is trusted).
func Unverified(token string) (iss string, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", bad("not a signed JWT (three parts)")
	}
	var c Claims
	if err := decodePart(parts[1], &c); err != nil {
		return "", bad("the claims are not base64url JSON")
	}
	return c.Iss, nil
}

// VerifyAssertion checks a client assertion (RFC 7523 as SMART Backend
// Services profiles it) and returns its claims: alg RS384 or ES384, typ
// JWT when present, a kid naming a key of keys of that alg, no jku, x5u or
// inline jwk, a valid signature, iss and sub equal to clientID, aud
// tokenURL (or an array holding it), exp after now and at most
// MaxAssertionLife ahead (a minute's skew), nbf not in the future, and a
// jti. The caller records the jti (until exp) and refuses it when seen.
func VerifyAssertion(token string, keys JWKS, clientID, tokenURL string, now time.Time) (*Claims, error) {
	if len(token) > 8192 {
		return nil, bad("too long")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, bad("not a signed JWT (three parts)")
	}
	var h Header
	if err := decodePart(parts[0], &h); err != nil {
		return nil, bad("the header is not base64url JSON")
	}
	if h.Alg != RS384 && h.Alg != ES384 {
		return nil, bad("alg must be RS384 or ES384")
	}
	if h.Typ != "" && !strings.EqualFold(h.Typ, "JWT") {
		return nil, bad("typ must be JWT")
	}
	if h.Jku != "" || h.X5u != "" || h.Jwk != nil {
		return nil, bad("keys are taken from the client's registration only (no jku, x5u or jwk)")
	}
	if h.Kid == "" {
		return nil, bad("the header needs the kid of a registered key")
	}
	var key *Key
	for i := range keys {
		if keys[i].Kid == h.Kid {
			key = &keys[i]
		}
	}
	if key == nil || key.Alg != h.Alg {
		return nil, bad("no registered key has that kid and alg")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, bad("the signature is not base64url")
	}
	digest := sha512.Sum384([]byte(parts[0] + "." + parts[1]))
	switch pub := key.Pub.(type) {
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(pub, crypto.SHA384, digest[:], sig) != nil {
			return nil, bad("the signature does not verify")
		}
	case *ecdsa.PublicKey:
		if len(sig) != 96 {
			return nil, bad("the signature does not verify")
		}
		r, s := new(big.Int).SetBytes(sig[:48]), new(big.Int).SetBytes(sig[48:])
		if !ecdsa.Verify(pub, digest[:], r, s) {
			return nil, bad("the signature does not verify")
		}
	default:
		return nil, bad("no registered key has that kid and alg")
	}
	var c Claims
	if err := decodePart(parts[1], &c); err != nil {
		return nil, bad("the claims are not base64url JSON")
	}
	if c.Iss != clientID || c.Sub != clientID {
		return nil, bad("iss and sub must both be the client_id")
	}
	okAud := false
	for _, a := range c.Aud {
		okAud = okAud || a == tokenURL
	}
	if !okAud {
		return nil, bad("aud must be the token endpoint's URL")
	}
	if c.Exp == nil {
		return nil, bad("exp is required")
	}
	exp := time.Unix(*c.Exp, 0)
	if !exp.After(now.Add(-skew)) {
		return nil, bad("the assertion has expired")
	}
	if exp.After(now.Add(MaxAssertionLife + skew)) {
		return nil, bad("exp may be at most five minutes ahead")
	}
	if c.Nbf != nil && time.Unix(*c.Nbf, 0).After(now.Add(skew)) {
		return nil, bad("the assertion is not valid yet (nbf)")
	}
	if c.Jti == "" || len(c.Jti) > 255 {
		return nil, bad("jti is required (at most 255 characters)")
	}
	return &c, nil
}

func decodePart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
