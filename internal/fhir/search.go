package fhir

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// Paging of searches: _count's default and largest value.
const (
	DefaultCount = 50
	MaxCount     = 200
)

// cursorParam is kapstone's own search parameter that carries a next
// link's position: opaque to clients, the key of the row the page starts
// at (never an offset).
const cursorParam = "_cursor"

// commonParams are the search parameters every resource type takes, with
// how the CapabilityStatement documents them (the result parameters are
// not listed there: R4 lists only search parameters proper).
var commonParams = map[string]bool{
	"_count": true, "_sort": true, "_summary": true, "_format": true, cursorParam: true, "_include": true,
}

// query is a parsed search: the parameters the resource type knows, the
// result parameters, and the ones it kept for the links.
type query struct {
	values  url.Values // the parameters used, for the self and next links
	count   int
	summary bool // _summary=count: the total only
	desc    bool // _sort=-date (or -authored)
	sorted  bool // _sort was given
	cursor  string
	ids     []string
	include []string // _include values (checked against the type's by checkIncludes)
}

// badParam is a 400 about one search parameter.
func badParam(name, msg string) error {
	return &clinic.Error{Code: clinic.EInvalid, Message: "Search parameter " + name + ": " + msg}
}

// parseQuery reads r's search parameters for a resource type that knows
// params (their names; a modifier such as :exact is not supported) and
// sorts by sortParam ("" when it cannot be sorted). An unknown parameter
// is an error when strict (Prefer: handling=strict), else left out of
// the search and its links (lenient, FHIR's default).
func parseQuery(v url.Values, params []searchParam, sortParam string, strict bool) (*query, error) {
	q := &query{values: url.Values{}, count: DefaultCount}
	known := func(name string) bool {
		return commonParams[name] || slices.ContainsFunc(params, func(p searchParam) bool { return p.Name == name })
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range v {
			if !yield(k) {
				return
			}
		}
	}) {
		vals := v[name]
		if !known(name) {
			if strict {
				return nil, badParam(name, "kapstone does not support this parameter here (Prefer: handling=strict). See /fhir/metadata for the ones it does.")
			}
			continue
		}
		if name == "_format" {
			q.values[name] = vals // answered by the handler, kept in the links
			continue
		}
		one := func() (string, error) {
			if len(vals) != 1 || vals[0] == "" {
				return "", badParam(name, "give it once, with a value.")
			}
			return vals[0], nil
		}
		switch name {
		case "_count":
			s, err := one()
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return nil, badParam(name, "a whole number, 0 or more.")
			}
			q.count = min(n, MaxCount)
			if n == 0 {
				q.summary = true
			}
		case "_summary":
			s, err := one()
			if err != nil {
				return nil, err
			}
			switch s {
			case "count":
				q.summary = true
			case "false":
			default:
				return nil, badParam(name, "kapstone supports _summary=count and _summary=false.")
			}
		case "_sort":
			s, err := one()
			if err != nil {
				return nil, err
			}
			switch {
			case sortParam != "" && s == sortParam:
			case sortParam != "" && s == "-"+sortParam:
				q.desc = true
			case sortParam == "":
				return nil, badParam(name, "this resource type cannot be sorted.")
			default:
				return nil, badParam(name, "sort by "+sortParam+" or -"+sortParam+".")
			}
			q.sorted = true
		case cursorParam:
			s, err := one()
			if err != nil {
				return nil, err
			}
			q.cursor = s
		case "_include":
			q.include = append(q.include, vals...)
		case "_id":
			for _, s := range vals {
				for id := range strings.SplitSeq(s, ",") {
					if !ValidID(id) {
						return nil, badParam(name, "not a resource id.")
					}
					q.ids = append(q.ids, id)
				}
			}
		}
		q.values[name] = vals
	}
	return q, nil
}

// link is the URL of this search (base/Type?...) with the parameters
// used, cursor set as the page's position ("" for the first page).
func (q *query) link(base, typ, cursor string) string {
	v := url.Values{}
	for k, vs := range q.values {
		if k != cursorParam {
			v[k] = vs
		}
	}
	if cursor != "" {
		v.Set(cursorParam, cursor)
	}
	u := base + "/" + typ
	if e := v.Encode(); e != "" {
		u += "?" + e
	}
	return u
}

// encodeCursor and decodeCursor write a row's key as an opaque cursor.
func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "|")))
}

func decodeCursor(c string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	parts := strings.Split(string(b), "|")
	if err != nil || len(parts) != n {
		return nil, badParam(cursorParam, "this page link is not valid: start the search again.")
	}
	return parts, nil
}

// reference reads a patient reference as FHIR allows it in patient and
// subject: "Patient/id", "id", or the absolute URL of the patient here.
func reference(name, v, base string) (string, error) {
	if strings.Contains(v, ",") {
		return "", badParam(name, "kapstone searches one patient at a time.")
	}
	v = strings.TrimPrefix(v, base+"/")
	if typ, id, ok := strings.Cut(v, "/"); ok {
		if typ != "Patient" {
			return "", badParam(name, "a reference to a Patient (Patient/id).")
		}
		v = id
	}
	if !ValidID(v) {
		return "", badParam(name, "a reference to a Patient (Patient/id).")
	}
	return v, nil
}

// Token is one value of a token search parameter: System is "" when the
// value named no system ("code"), and has System when it did ("system|code"
// or "|code", the latter with System "").
type Token struct {
	System    string
	HasSystem bool
	Code      string
}

// parseTokens reads a token parameter's values: each value a comma list of
// alternatives (OR), several values all to hold (AND).
func parseTokens(name string, vals []string) ([][]Token, error) {
	var out [][]Token
	for _, v := range vals {
		var alts []Token
		for t := range strings.SplitSeq(v, ",") {
			var tok Token
			if sys, code, ok := strings.Cut(t, "|"); ok {
				tok = Token{System: sys, HasSystem: true, Code: code}
			} else {
				tok.Code = t
			}
			if tok.Code == "" {
				return nil, badParam(name, "give a code (system|code or code).")
			}
			alts = append(alts, tok)
		}
		out = append(out, alts)
	}
	return out, nil
}

// datePattern is FHIR's date and dateTime search value: a year, month,
// day, or a time to the minute, second or a fraction of one, with a zone.
var datePattern = regexp.MustCompile(`^(\d{4})(-(\d{2})(-(\d{2})(T(\d{2}):(\d{2})(:(\d{2})(\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?)?)?$`)

// parseDate reads one value of a date parameter (prefix and date) as the
// condition on a record's time. A date is the range of its precision
// (2026-11 is all of November, in UTC; a time to the second is that
// second): eq is within it, ne outside it, lt and eb before it, gt and sa
// after it, le before its end, ge from its start.
func parseDate(name, v string) (store.TimeCond, error) {
	prefix := "eq"
	if len(v) >= 2 && v[0] >= 'a' && v[0] <= 'z' {
		prefix, v = v[:2], v[2:]
	}
	m := datePattern.FindStringSubmatch(v)
	bad := badParam(name, "a date as yyyy, yyyy-mm, yyyy-mm-dd or yyyy-mm-ddThh:mm[:ss[.fff]] with a time zone (Z or +hh:mm), after an optional prefix eq, ne, lt, le, gt, ge, sa or eb.")
	if m == nil {
		return store.TimeCond{}, bad
	}
	num := func(s string, def int) int {
		if s == "" {
			return def
		}
		n, _ := strconv.Atoi(s)
		return n
	}
	loc := time.UTC
	if z := m[13]; z != "" && z != "Z" {
		h, mi := num(z[1:3], 0), num(z[4:6], 0)
		off := h*3600 + mi*60
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone(z, off)
	}
	y, mo, d := num(m[1], 0), num(m[3], 1), num(m[5], 1)
	hh, mm, ss := num(m[7], 0), num(m[8], 0), num(m[10], 0)
	var frac time.Duration
	if f := m[12]; f != "" {
		n, _ := strconv.Atoi(f + strings.Repeat("0", 9-len(f)))
		frac = time.Duration(n)
	}
	from := time.Date(y, time.Month(mo), d, hh, mm, ss, int(frac), loc)
	if from.Year() != y || from.Month() != time.Month(mo) || from.Day() != d || hh > 23 || mm > 59 || ss > 59 {
		return store.TimeCond{}, bad
	}
	var to time.Time
	switch {
	case m[3] == "":
		to = from.AddDate(1, 0, 0)
	case m[5] == "":
		to = from.AddDate(0, 1, 0)
	case m[7] == "":
		to = from.AddDate(0, 0, 1)
	case m[10] == "":
		to = from.Add(time.Minute)
	case m[12] == "":
		to = from.Add(time.Second)
	default:
		step := time.Duration(1)
		for range 9 - len(m[12]) {
			step *= 10
		}
		to = from.Add(step)
	}
	from, to = from.UTC(), to.UTC()
	switch prefix {
	case "eq":
		return store.TimeCond{From: &from, To: &to}, nil
	case "ne":
		return store.TimeCond{From: &from, To: &to, Not: true}, nil
	case "lt", "eb":
		return store.TimeCond{To: &from}, nil
	case "gt", "sa":
		return store.TimeCond{From: &to}, nil
	case "le":
		return store.TimeCond{To: &to}, nil
	case "ge":
		return store.TimeCond{From: &from}, nil
	}
	return store.TimeCond{}, badParam(name, fmt.Sprintf("the prefix %q is not one of eq, ne, lt, le, gt, ge, sa, eb.", prefix))
}

// checkIncludes refuses an _include the resource type does not serve
// (allowed: its searchInclude values, e.g. "CareTeam:participant").
func (q *query) checkIncludes(allowed []string) error {
	for _, inc := range q.include {
		if !slices.Contains(allowed, inc) {
			msg := "kapstone serves no _include here."
			if len(allowed) > 0 {
				msg = "kapstone serves " + strings.Join(allowed, ", ") + " here."
			}
			return badParam("_include", msg)
		}
	}
	return nil
}
