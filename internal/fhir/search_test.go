package fhir

import (
	"net/url"
	"testing"
	"time"
)

// TestParseDate: each prefix and precision gives the range FHIR's date
// search means, for a point in time (a record's effective time).
func TestParseDate(t *testing.T) {
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	for _, c := range []struct {
		in       string
		from, to *time.Time
		not      bool
		bad      bool
	}{
		{in: "2026", from: at("2026-01-01T00:00:00Z"), to: at("2027-01-01T00:00:00Z")},
		{in: "eq2026-02", from: at("2026-02-01T00:00:00Z"), to: at("2026-03-01T00:00:00Z")},
		{in: "2026-12-31", from: at("2026-12-31T00:00:00Z"), to: at("2027-01-01T00:00:00Z")},
		{in: "ne2026-11-05", from: at("2026-11-05T00:00:00Z"), to: at("2026-11-06T00:00:00Z"), not: true},
		{in: "lt2026-11-05", to: at("2026-11-05T00:00:00Z")},
		{in: "eb2026-11-05", to: at("2026-11-05T00:00:00Z")},
		{in: "le2026-11-05", to: at("2026-11-06T00:00:00Z")},
		{in: "gt2026-11-05", from: at("2026-11-06T00:00:00Z")},
		{in: "sa2026-11-05", from: at("2026-11-06T00:00:00Z")},
		{in: "ge2026-11-05", from: at("2026-11-05T00:00:00Z")},
		{in: "2026-11-05T10:30Z", from: at("2026-11-05T10:30:00Z"), to: at("2026-11-05T10:31:00Z")},
		{in: "2026-11-05T10:30:15Z", from: at("2026-11-05T10:30:15Z"), to: at("2026-11-05T10:30:16Z")},
		{in: "2026-11-05T10:30:15.5Z", from: at("2026-11-05T10:30:15.5Z"), to: at("2026-11-05T10:30:15.6Z")},
		{in: "2026-11-05T10:30:15.123456Z", from: at("2026-11-05T10:30:15.123456Z"), to: at("2026-11-05T10:30:15.123457Z")},
		{in: "ge2026-11-05T04:30:15-06:00", from: at("2026-11-05T10:30:15Z")},
		{in: "lt2026-11-05T23:00:00+05:30", to: at("2026-11-05T17:30:00Z")},
		{in: "2026-11-05T10:30", bad: true}, // a time needs its zone
		{in: "2026-02-30", bad: true},
		{in: "2026-13", bad: true},
		{in: "2026-11-05T24:00Z", bad: true},
		{in: "26-11-05", bad: true},
		{in: "xx2026", bad: true},
		{in: "ap2026", bad: true}, // approximately: not supported
		{in: "", bad: true},
	} {
		got, err := parseDate("date", c.in)
		if c.bad {
			if err == nil {
				t.Errorf("%q: no error", c.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		same := func(a, b *time.Time) bool { return a == nil && b == nil || a != nil && b != nil && a.Equal(*b) }
		if !same(got.From, c.from) || !same(got.To, c.to) || got.Not != c.not {
			t.Errorf("%q = from %v to %v not %v; want from %v to %v not %v", c.in, got.From, got.To, got.Not, c.from, c.to, c.not)
		}
	}
}

// TestParseQuery: the result parameters, strict and lenient handling of
// unknown ones, and the links keep what was used.
func TestParseQuery(t *testing.T) {
	params := []searchParam{{Name: "patient"}, {Name: "date"}}
	for _, c := range []struct {
		query  string
		strict bool
		count  int
		desc   bool
		sum    bool
		bad    bool
	}{
		{query: "", count: DefaultCount},
		{query: "_count=10", count: 10},
		{query: "_count=1000", count: MaxCount},
		{query: "_count=0", count: 0, sum: true},
		{query: "_count=-1", bad: true},
		{query: "_count=1&_count=2", bad: true},
		{query: "_summary=count", count: DefaultCount, sum: true},
		{query: "_summary=true", bad: true},
		{query: "_sort=-date", count: DefaultCount, desc: true},
		{query: "_sort=date", count: DefaultCount},
		{query: "_sort=-authored", bad: true},
		{query: "colour=red", count: DefaultCount},
		{query: "colour=red", strict: true, bad: true},
		{query: "patient=x&_format=json", strict: true, count: DefaultCount},
		{query: "patient:exact=x", strict: true, bad: true}, // modifiers are not supported
	} {
		v, _ := url.ParseQuery(c.query)
		q, err := parseQuery(v, params, "date", c.strict)
		if c.bad {
			if err == nil {
				t.Errorf("%q (strict %v): no error", c.query, c.strict)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.query, err)
			continue
		}
		if q.count != c.count || q.desc != c.desc || q.summary != c.sum {
			t.Errorf("%q: count %d desc %v summary %v", c.query, q.count, q.desc, q.summary)
		}
	}
	v, _ := url.ParseQuery("patient=p1&date=ge2026-01-01&date=lt2026-02-01&colour=red&_format=json&_cursor=old")
	q, err := parseQuery(v, params, "date", false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := q.link("https://x/fhir", "Observation", "abc"), "https://x/fhir/Observation?_cursor=abc&_format=json&date=ge2026-01-01&date=lt2026-02-01&patient=p1"; got != want {
		t.Errorf("link = %s, want %s", got, want)
	}
}
