package smart

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		launch   bool
		err      bool
	}{
		{in: "", want: ""},
		{in: "patient/Observation.rs", want: "patient/Observation.rs"},
		{in: "patient/Observation.read", want: "patient/Observation.rs"},
		{in: "user/*.write", want: "user/*.cud"},
		{in: "system/*.*", want: "system/*.cruds"},
		{in: "launch/patient patient/*.rs", want: "launch/patient patient/*.rs", launch: true},
		{in: "openid fhirUser offline_access online_access launch profile", want: ""},
		{in: "patient/Observation.rs?category=vital-signs", want: ""},
		{in: "patient/Observation.r patient/Observation.s", want: "patient/Observation.rs"},
		{in: "patient/*.rs patient/Patient.r", want: "patient/*.rs"},
		{in: "patient/*.r patient/Patient.rs", want: "patient/*.r patient/Patient.rs"},
		{in: "user/Patient.rs patient/Patient.r", want: "patient/Patient.r user/Patient.rs"},
		{in: "patient/Observation.sr", err: true}, // out of order
		{in: "patient/Observation.rr", err: true}, // repeated
		{in: "patient/Observation.x", err: true},  // unknown interaction
		{in: "patient/Observation.", err: true},   // empty
		{in: "patient/Observation", err: true},    // no permissions
		{in: "patient/observation.rs", err: true}, // not a type name
		{in: "patient/Obs-1.rs", err: true},       // not a type name
		{in: "clinic/Observation.rs", want: ""},   // an unknown context is not a resource scope
		{in: "launch/encounter", want: ""},
	} {
		got, err := Parse(tc.in)
		if tc.err {
			if !errors.Is(err, ErrScope) {
				t.Errorf("Parse(%q) = %v, want ErrScope", tc.in, err)
			}
			continue
		}
		if err != nil || got.String() != tc.want || got.LaunchPatient != tc.launch {
			t.Errorf("Parse(%q) = %q launch %v, %v; want %q launch %v", tc.in, got, got.LaunchPatient, err, tc.want, tc.launch)
		}
	}
}

func mustParse(t *testing.T, s string) Set {
	t.Helper()
	set, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestIntersect(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"patient/*.cruds", Offered.String(), "patient/*.rs patient/QuestionnaireResponse.c"},
		{"patient/*.read", Offered.String(), "patient/*.rs"},
		{"patient/Observation.rs", Offered.String(), "patient/Observation.rs"},
		{"patient/Observation.crud", Offered.String(), "patient/Observation.r"},
		{"patient/QuestionnaireResponse.cruds", Offered.String(), "patient/QuestionnaireResponse.crs"},
		{"system/*.cruds", Offered.String(), "system/*.rs"},
		{"system/*.rs", "patient/*.rs user/*.rs", ""},                 // contexts must match
		{"user/Patient.rs", "user/Observation.rs", ""},                // types must match
		{"user/*.rs", "user/Observation.r", "user/Observation.r"},     // the narrower type
		{"launch/patient patient/*.rs", "patient/*.r", "patient/*.r"}, // launch only when both
		{"launch/patient", "launch/patient", "launch/patient"},
		{"patient/*.d", Offered.String(), ""},
	} {
		got := Intersect(mustParse(t, tc.a), mustParse(t, tc.b))
		if got.String() != tc.want {
			t.Errorf("Intersect(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestAllows(t *testing.T) {
	set := mustParse(t, "patient/Observation.rs patient/QuestionnaireResponse.c user/Patient.r")
	for _, tc := range []struct {
		typ string
		in  byte
		ok  bool
	}{
		{"Observation", Read, true},
		{"Observation", Search, true},
		{"Observation", Create, false},
		{"Patient", Read, true},
		{"Patient", Search, false},
		{"QuestionnaireResponse", Create, true},
		{"QuestionnaireResponse", Read, false},
		{"Condition", Read, false},
	} {
		if got := set.Allows(tc.typ, tc.in); got != tc.ok {
			t.Errorf("Allows(%s, %c) = %v, want %v", tc.typ, tc.in, got, tc.ok)
		}
	}
	if all := mustParse(t, "system/*.rs"); !all.Allows("Condition", Search) || all.Allows("Condition", Create) {
		t.Error("system/*.rs should read and search every type, and create none")
	}
	if only := mustParse(t, "patient/*.rs user/*.rs system/*.rs").OnlyContexts(System); only.String() != "system/*.rs" {
		t.Errorf("OnlyContexts(system) = %q", only)
	}
}

func TestPKCE(t *testing.T) {
	v := strings.Repeat("a", 43)
	c := Challenge(v)
	for _, tc := range []struct {
		v, c string
		ok   bool
	}{
		{v, c, true},
		{v + "b", c, false}, // another verifier
		{strings.Repeat("a", 42), Challenge(strings.Repeat("a", 42)), false}, // too short
		{strings.Repeat("a", 129), Challenge(strings.Repeat("a", 129)), false},
		{strings.Repeat("a", 42) + "!", Challenge(strings.Repeat("a", 42) + "!"), false}, // a character outside the set
		{v, v, false}, // plain: the challenge is the verifier
	} {
		if got := VerifyPKCE(tc.v, tc.c); got != tc.ok {
			t.Errorf("VerifyPKCE(%q, %q) = %v, want %v", tc.v, tc.c, got, tc.ok)
		}
	}
	if !ValidChallenge(c) || ValidChallenge(strings.Repeat("~", 43)) || ValidChallenge(c[:42]) {
		t.Error("ValidChallenge: an S256 challenge is 43 base64url characters of a SHA-256")
	}
}

// testKeys makes one client's keys: an ES384 (P-384) and an RS384 key.
func testKeys(t *testing.T) (*ecdsa.PrivateKey, *rsa.PrivateKey, JWKS) {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseJWKS(PublicJWKS([]string{"ec1", "rsa1"}, []crypto.Signer{ec, rk}))
	if err != nil {
		t.Fatal(err)
	}
	return ec, rk, keys
}

func b64json(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerifyAssertion(t *testing.T) {
	ec, rk, keys := testKeys(t)
	now := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	const client, aud = "app-1", "https://clinic.example/fhir/token"
	claims := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"iss": client, "sub": client, "aud": aud, "exp": now.Add(4 * time.Minute).Unix(), "jti": "j1"}
		if mod != nil {
			mod(m)
		}
		return m
	}
	sign := func(key crypto.Signer, kid string, m map[string]any) string {
		s, err := Sign(key, kid, m)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := sign(ec, "ec1", claims(nil))
	parts := strings.Split(good, ".")
	rsGood := sign(rk, "rsa1", claims(nil))
	rsParts := strings.Split(rsGood, ".")
	withHeader := func(h map[string]any, p []string) string { return b64json(h) + "." + p[1] + "." + p[2] }
	tampered := parts[0] + "." + b64json(claims(func(m map[string]any) { m["sub"] = client; m["jti"] = "j2" })) + "." + parts[2]
	other, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for _, tc := range []struct {
		name, tok string
		ok        bool
	}{
		{"ES384", good, true},
		{"RS384", rsGood, true},
		{"aud as an array", sign(ec, "ec1", claims(func(m map[string]any) { m["aud"] = []string{"x", aud} })), true},
		{"tampered claims", tampered, false},
		{"tampered RSA signature", rsParts[0] + "." + rsParts[1] + "." + parts[2], false},
		{"signed by another key", sign(other, "ec1", claims(nil)), false},
		{"alg none", withHeader(map[string]any{"alg": "none", "kid": "ec1"}, []string{"", parts[1], ""}), false},
		{"alg HS384", withHeader(map[string]any{"alg": "HS384", "kid": "ec1"}, parts), false},
		{"alg RS256", withHeader(map[string]any{"alg": "RS256", "kid": "rsa1"}, rsParts), false},
		{"alg of another key type", withHeader(map[string]any{"alg": "RS384", "kid": "ec1"}, parts), false},
		{"missing kid", withHeader(map[string]any{"alg": "ES384"}, parts), false},
		{"unknown kid", sign(ec, "nope", claims(nil)), false},
		{"jku", withHeader(map[string]any{"alg": "ES384", "kid": "ec1", "jku": "https://evil.example/jwks"}, parts), false},
		{"typ not JWT", withHeader(map[string]any{"alg": "ES384", "kid": "ec1", "typ": "at+jwt"}, parts), false},
		{"expired", sign(ec, "ec1", claims(func(m map[string]any) { m["exp"] = now.Add(-2 * time.Minute).Unix() })), false},
		{"exp too far ahead", sign(ec, "ec1", claims(func(m map[string]any) { m["exp"] = now.Add(10 * time.Minute).Unix() })), false},
		{"no exp", sign(ec, "ec1", claims(func(m map[string]any) { delete(m, "exp") })), false},
		{"nbf in the future", sign(ec, "ec1", claims(func(m map[string]any) { m["nbf"] = now.Add(3 * time.Minute).Unix() })), false},
		{"aud mismatch", sign(ec, "ec1", claims(func(m map[string]any) { m["aud"] = "https://clinic.example/fhir" })), false},
		{"iss not the client", sign(ec, "ec1", claims(func(m map[string]any) { m["iss"] = "app-2" })), false},
		{"sub not the client", sign(ec, "ec1", claims(func(m map[string]any) { m["sub"] = "app-2" })), false},
		{"no jti", sign(ec, "ec1", claims(func(m map[string]any) { delete(m, "jti") })), false},
		{"two parts", parts[0] + "." + parts[1], false},
		{"not base64", "!!." + parts[1] + "." + parts[2], false},
	} {
		c, err := VerifyAssertion(tc.tok, keys, client, aud, now)
		if tc.ok && (err != nil || c.Jti == "") {
			t.Errorf("%s: %v, want accepted", tc.name, err)
		}
		var ea *ErrAssertion
		if !tc.ok && !errors.As(err, &ea) {
			t.Errorf("%s: %v, want refused", tc.name, err)
		}
	}
	if iss, err := Unverified(good); err != nil || iss != client {
		t.Errorf("Unverified = %q, %v", iss, err)
	}
}

func TestParseJWKS(t *testing.T) {
	ec, rk, _ := testKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecJWK := func(mod func(m map[string]any)) string {
		var doc struct{ Keys []map[string]any }
		json.Unmarshal(PublicJWKS([]string{"k"}, []crypto.Signer{ec}), &doc)
		mod(doc.Keys[0])
		b, _ := json.Marshal(doc)
		return string(b)
	}
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"EC and RSA", string(PublicJWKS([]string{"a", "b"}, []crypto.Signer{ec, rk})), true},
		{"RSA of 1024 bits", string(PublicJWKS([]string{"a"}, []crypto.Signer{small})), false},
		{"EC on P-256", `{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"` + base64.RawURLEncoding.EncodeToString(p256.X.Bytes()) + `","y":"AA"}]}`, false},
		{"no kid", ecJWK(func(m map[string]any) { delete(m, "kid") }), false},
		{"a private key", ecJWK(func(m map[string]any) { m["d"] = "AAAA" }), false},
		{"use enc", ecJWK(func(m map[string]any) { m["use"] = "enc" }), false},
		{"alg ES256", ecJWK(func(m map[string]any) { m["alg"] = "ES256" }), false},
		{"not on the curve", ecJWK(func(m map[string]any) { m["y"] = m["x"] }), false},
		{"oct key", `{"keys":[{"kty":"oct","kid":"a","k":"AAAA"}]}`, false},
		{"duplicate kid", string(PublicJWKS([]string{"a", "a"}, []crypto.Signer{ec, rk})), false},
		{"empty", `{"keys":[]}`, false},
		{"not JSON", `keys`, false},
	} {
		_, err := ParseJWKS([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
