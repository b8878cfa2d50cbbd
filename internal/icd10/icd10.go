// Package icd10 is the shipped list of ICD-10-CM diagnosis codes a
// ketamine-assisted psychotherapy practice puts on a superbill: the
// mental-health codes of chapter 5 and the Z codes often written beside
// them, with their text (codes.tsv; its source in SOURCE.md). Pure: no
// database, no network.
package icd10

import (
	_ "embed"
	"slices"
	"strings"
)

// Code is one ICD-10-CM code of the shipped list.
type Code struct {
	Code     string // with its dot, like "F33.1"
	Text     string // the tabular list's title
	Billable bool   // false for a heading (a category with codes under it)
}

// Release names the ICD-10-CM release the list is a subset of.
const Release = "ICD-10-CM FY2026 (CDC NCHS / CMS), subset"

//go:embed codes.tsv
var tsv string

var (
	codes  []Code
	byCode map[string]int
)

func init() {
	byCode = map[string]int{}
	for line := range strings.Lines(tsv) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || (f[1] != "B" && f[1] != "H") {
			panic("icd10: bad row in codes.tsv: " + line)
		}
		byCode[f[0]] = len(codes)
		codes = append(codes, Code{Code: f[0], Text: f[2], Billable: f[1] == "B"})
	}
}

// Normalize writes a code as the list does: upper case, trimmed, with the
// dot after the third character ("f331" and " F33.1 " are "F33.1").
func Normalize(code string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	c = strings.ReplaceAll(c, ".", "")
	if len(c) > 3 {
		c = c[:3] + "." + c[3:]
	}
	return c
}

// Lookup finds a code of the list (in any spelling Normalize accepts),
// heading or billable; ok is false when the list does not hold it.
func Lookup(code string) (Code, bool) {
	i, ok := byCode[Normalize(code)]
	if !ok {
		return Code{}, false
	}
	return codes[i], true
}

// Check finds a billable code of the list. It returns the code, or a
// message for the person who typed it: the code is not in the list, or it
// is a heading that needs a more specific code.
func Check(code string) (Code, string) {
	c, ok := Lookup(code)
	switch {
	case strings.TrimSpace(code) == "":
		return Code{}, "Choose a diagnosis code."
	case !ok:
		return Code{}, "That code is not in the practice's list of ICD-10-CM codes."
	case !c.Billable:
		return Code{}, c.Code + " is a heading; choose one of the more specific codes under it."
	}
	return c, ""
}

// All returns every code of the list, headings included, in code order.
func All() []Code { return slices.Clone(codes) }

// Search returns at most limit billable codes matching query, in list
// order: those whose code starts with it (dots and case ignored), or whose
// text holds every word of it (case ignored). An empty query matches none.
func Search(query string, limit int) []Code {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" || limit <= 0 {
		return nil
	}
	prefix := strings.ReplaceAll(strings.ToUpper(q), ".", "")
	words := strings.Fields(q)
	var out []Code
	for _, c := range codes {
		if !c.Billable {
			continue
		}
		match := strings.HasPrefix(strings.ReplaceAll(c.Code, ".", ""), prefix)
		if !match {
			text := strings.ToLower(c.Text)
			match = true
			for _, w := range words {
				if !strings.Contains(text, w) {
					match = false
					break
				}
			}
		}
		if match {
			out = append(out, c)
			if len(out) == limit {
				break
			}
		}
	}
	return out
}
