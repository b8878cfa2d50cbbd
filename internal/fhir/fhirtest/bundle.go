package fhirtest

import (
	"encoding/json"
	"strings"
	"testing"
)

// BundleRefs reads a Bundle's JSON: every relative reference of every
// entry's resource ("Type/id", from References) as "From -> To", and the
// references that resolve neither to a resource in the Bundle nor to one
// whose "Type/id" starts with one of outside (e.g. "Patient/" for a search
// whose patient is not an entry).
func BundleRefs(bundle []byte, outside ...string) (all, unresolved []string, err error) {
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		return nil, nil, err
	}
	have := map[string]bool{}
	keys := make([]string, len(b.Entry))
	for i, e := range b.Entry {
		var r struct{ ResourceType, ID string }
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			return nil, nil, err
		}
		keys[i] = r.ResourceType + "/" + r.ID
		have[keys[i]] = true
	}
	for i, e := range b.Entry {
		refs, err := References(e.Resource)
		if err != nil {
			return nil, nil, err
		}
		for _, ref := range refs {
			all = append(all, keys[i]+" -> "+ref)
			if have[ref] {
				continue
			}
			ok := false
			for _, o := range outside {
				ok = ok || strings.HasPrefix(ref, o)
			}
			if !ok {
				unresolved = append(unresolved, keys[i]+" -> "+ref)
			}
		}
	}
	return all, unresolved, nil
}

// BundleResolves fails t for each reference of a Bundle's JSON that does
// not resolve inside it (or to outside: BundleRefs), and returns how many
// references it checked.
func BundleResolves(t testing.TB, bundle []byte, outside ...string) int {
	t.Helper()
	all, bad, err := BundleRefs(bundle, outside...)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range bad {
		t.Errorf("a reference does not resolve inside the Bundle: %s", u)
	}
	return len(all)
}
