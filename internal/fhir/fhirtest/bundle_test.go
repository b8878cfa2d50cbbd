package fhirtest

import (
	"slices"
	"testing"
)

func TestBundleRefs(t *testing.T) {
	b := []byte(`{"resourceType":"Bundle","type":"searchset","entry":[
		{"resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/p1"},"derivedFrom":[{"reference":"QuestionnaireResponse/q1"}],"hasMember":[{"reference":"Observation/o2"}]}},
		{"resource":{"resourceType":"QuestionnaireResponse","id":"q1","subject":{"reference":"Patient/p1"},"author":{"reference":"#contained"}}}]}`)
	for _, c := range []struct {
		outside []string
		want    []string
	}{
		{nil, []string{"Observation/o1 -> Patient/p1", "Observation/o1 -> Observation/o2", "QuestionnaireResponse/q1 -> Patient/p1"}},
		{[]string{"Patient/"}, []string{"Observation/o1 -> Observation/o2"}},
		{[]string{"Patient/", "Observation/"}, nil},
	} {
		all, bad, err := BundleRefs(b, c.outside...)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(bad)
		slices.Sort(c.want)
		if len(all) != 4 || !slices.Equal(bad, c.want) {
			t.Errorf("outside %v: %d references, unresolved %v, want 4 and %v", c.outside, len(all), bad, c.want)
		}
	}
}
