// Package smart holds the pure rules of SMART App Launch 2 (issue 19):
// parsing and granting OAuth scopes, and verifying the signed JWT a
// backend client authenticates with (RS384 or ES384, keys from its
// registered JWKS), with the standard library only. It imports nothing of
// kapstone, so the store, the FHIR API and the web pages share one copy.
package smart

import (
	"errors"
	"slices"
	"sort"
	"strings"
)

// Interactions, in the order SMART v2 writes them: create, read, update,
// delete, search.
const (
	Create = 'c'
	Read   = 'r'
	Update = 'u'
	Delete = 'd'
	Search = 's'
)

const order = "cruds"

// Contexts of a resource scope.
const (
	Patient = "patient" // the data of the token's patient context
	User    = "user"    // what the signed-in account may see
	System  = "system"  // a backend client, acting as its account
)

// Scope is one resource scope: context/Type.perms, Type "*" for every
// type, Perms a non-empty subset of "cruds" in that order.
type Scope struct {
	Context string
	Type    string
	Perms   string
}

// String writes s in SMART v2 form.
func (s Scope) String() string { return s.Context + "/" + s.Type + "." + s.Perms }

// Set is a parsed scope string: its resource scopes and whether the
// patient context was asked for (launch/patient).
type Set struct {
	Scopes        []Scope
	LaunchPatient bool
}

// ErrScope is a scope string that cannot be read (a malformed resource
// scope): the token endpoint's invalid_scope.
var ErrScope = errors.New("smart: malformed scope")

// Parse reads a space-separated scope string. Resource scopes are v2
// (patient|user|system/<Type|*>.<subset of cruds>) or v1 (.read, .write,
// .*, read as rs, cud and cruds). launch/patient asks for the patient
// context. Scopes kapstone does not grant are dropped, not refused (RFC
// 6749 3.3 lets the server grant less): openid, fhirUser and profile
// (kapstone is no OpenID provider: no id_token), offline_access and
// online_access (no refresh tokens), launch (no EHR launch), granular v2
// scopes with a query (?category=...) and anything else unknown. A
// resource scope that is malformed (an unknown context, a bad type name,
// permissions out of order or repeated) is ErrScope.
func Parse(s string) (Set, error) {
	var out Set
	for tok := range strings.FieldsSeq(s) {
		if tok == "launch/patient" {
			out.LaunchPatient = true
			continue
		}
		ctx, rest, ok := strings.Cut(tok, "/")
		if !ok || ctx != Patient && ctx != User && ctx != System {
			continue // openid, fhirUser, offline_access, launch, launch/encounter, ...
		}
		if strings.Contains(rest, "?") {
			continue // a granular scope: not granted
		}
		typ, perms, ok := strings.Cut(rest, ".")
		if !ok || !validType(typ) {
			return Set{}, ErrScope
		}
		switch perms {
		case "read":
			perms = "rs"
		case "write":
			perms = "cud"
		case "*":
			perms = order
		default:
			if !validPerms(perms) {
				return Set{}, ErrScope
			}
		}
		out.Scopes = append(out.Scopes, Scope{ctx, typ, perms})
	}
	out.Scopes = normalise(out.Scopes)
	return out, nil
}

// validType reports whether t is "*" or a FHIR resource type name (an
// upper-case letter, then letters).
func validType(t string) bool {
	if t == "*" {
		return true
	}
	if t == "" || len(t) > 64 || t[0] < 'A' || t[0] > 'Z' {
		return false
	}
	for i := 1; i < len(t); i++ {
		if c := t[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// validPerms reports whether p is a non-empty subset of "cruds" in order.
func validPerms(p string) bool {
	if p == "" {
		return false
	}
	at := 0
	for i := 0; i < len(p); i++ {
		j := strings.IndexByte(order[at:], p[i])
		if j < 0 {
			return false
		}
		at += j + 1
	}
	return true
}

// String writes the set back as a scope string: launch/patient first, then
// each resource scope in v2 form, sorted.
func (s Set) String() string {
	var parts []string
	if s.LaunchPatient {
		parts = append(parts, "launch/patient")
	}
	for _, sc := range s.Scopes {
		parts = append(parts, sc.String())
	}
	return strings.Join(parts, " ")
}

// Empty reports whether s grants no resource access.
func (s Set) Empty() bool { return len(s.Scopes) == 0 }

// Allows reports whether s lets its holder do interaction in (Read,
// Search, Create, ...) on resources of type typ: some scope of any
// context names the type or "*" and has the interaction.
func (s Set) Allows(typ string, in byte) bool {
	for _, sc := range s.Scopes {
		if (sc.Type == "*" || sc.Type == typ) && strings.IndexByte(sc.Perms, in) >= 0 {
			return true
		}
	}
	return false
}

// Intersect returns what both a and b allow: for each pair of scopes of the
// same context whose types meet ("*" meets any), the narrower type and the
// permissions both have. launch/patient stays only when both have it.
func Intersect(a, b Set) Set {
	var out []Scope
	for _, x := range a.Scopes {
		for _, y := range b.Scopes {
			if x.Context != y.Context {
				continue
			}
			typ := x.Type
			switch {
			case x.Type == "*":
				typ = y.Type
			case y.Type == "*", x.Type == y.Type:
			default:
				continue
			}
			if p := commonPerms(x.Perms, y.Perms); p != "" {
				out = append(out, Scope{x.Context, typ, p})
			}
		}
	}
	return Set{Scopes: normalise(out), LaunchPatient: a.LaunchPatient && b.LaunchPatient}
}

// OnlyContexts returns s with only the resource scopes of the given
// contexts (a backend client gets system/ scopes only; an app a person
// authorises, patient/ and user/).
func (s Set) OnlyContexts(ctxs ...string) Set {
	var out []Scope
	for _, sc := range s.Scopes {
		if slices.Contains(ctxs, sc.Context) {
			out = append(out, sc)
		}
	}
	return Set{Scopes: out, LaunchPatient: s.LaunchPatient}
}

func commonPerms(a, b string) string {
	var p []byte
	for i := 0; i < len(order); i++ {
		if strings.IndexByte(a, order[i]) >= 0 && strings.IndexByte(b, order[i]) >= 0 {
			p = append(p, order[i])
		}
	}
	return string(p)
}

func unionPerms(a, b string) string {
	var p []byte
	for i := 0; i < len(order); i++ {
		if strings.IndexByte(a, order[i]) >= 0 || strings.IndexByte(b, order[i]) >= 0 {
			p = append(p, order[i])
		}
	}
	return string(p)
}

// normalise merges scopes of the same context and type (their permissions
// joined), drops a typed scope whose permissions its context's "*" scope
// already has, and sorts.
func normalise(in []Scope) []Scope {
	m := map[[2]string]string{}
	for _, s := range in {
		k := [2]string{s.Context, s.Type}
		m[k] = unionPerms(m[k], s.Perms)
	}
	var out []Scope
	for k, p := range m {
		if k[1] != "*" {
			if all, ok := m[[2]string{k[0], "*"}]; ok && commonPerms(all, p) == p {
				continue
			}
		}
		out = append(out, Scope{k[0], k[1], p})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Context != out[j].Context {
			return out[i].Context < out[j].Context
		}
		return out[i].Type < out[j].Type
	})
	return out
}

// Offered is what kapstone's FHIR API can grant at all: read and search of
// every type in every context, and create of QuestionnaireResponse for a
// person (patient/ and user/; a backend client reads only).
var Offered = Set{Scopes: normalise([]Scope{
	{Patient, "*", "rs"}, {User, "*", "rs"}, {System, "*", "rs"},
	{Patient, "QuestionnaireResponse", "c"}, {User, "QuestionnaireResponse", "c"},
}), LaunchPatient: true}

// Supported lists the scopes for the discovery document's scopes_supported.
func Supported() []string {
	out := []string{"launch/patient"}
	for _, s := range Offered.Scopes {
		out = append(out, s.String())
	}
	return out
}

// OAuthError is an OAuth 2.0 error answer (RFC 6749 5.2): Code one of
// invalid_request, invalid_client, invalid_grant, unauthorized_client,
// unsupported_grant_type, invalid_scope; Description safe to show.
type OAuthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *OAuthError) Error() string { return "oauth: " + e.Code + ": " + e.Description }
