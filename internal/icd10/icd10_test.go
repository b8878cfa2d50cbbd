package icd10

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		in       string
		want     string // the code found, "" when refused
		wantText string
		msg      string // part of the message when refused
	}{
		{"F33.1", "F33.1", "Major depressive disorder, recurrent, moderate", ""},
		{" f331 ", "F33.1", "Major depressive disorder, recurrent, moderate", ""},
		{"F41.1", "F41.1", "Generalized anxiety disorder", ""},
		{"F32.A", "F32.A", "Depression, unspecified", ""},
		{"F43.10", "F43.10", "Post-traumatic stress disorder, unspecified", ""},
		{"F17.210", "F17.210", "Nicotine dependence, cigarettes, uncomplicated", ""},
		{"Z91.51", "Z91.51", "Personal history of suicidal behavior", ""},
		{"F33", "", "", "heading"},   // a category
		{"F43.1", "", "", "heading"}, // a subcategory
		{"F99.9", "", "", "not in the practice's list"},
		{"J45.909", "", "", "not in the practice's list"}, // a real code, outside the subset
		{"<script>", "", "", "not in the practice's list"},
		{"", "", "", "Choose"},
	}
	for _, tt := range tests {
		c, msg := Check(tt.in)
		if c.Code != tt.want || c.Text != tt.wantText {
			t.Errorf("Check(%q) = %q %q, want %q %q", tt.in, c.Code, c.Text, tt.want, tt.wantText)
		}
		if (tt.msg == "") != (msg == "") || !strings.Contains(msg, tt.msg) {
			t.Errorf("Check(%q) message %q, want one containing %q", tt.in, msg, tt.msg)
		}
	}
}

func TestSearch(t *testing.T) {
	codesOf := func(cs []Code) string {
		var s []string
		for _, c := range cs {
			s = append(s, c.Code)
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		q     string
		limit int
		want  string
	}{
		{"F33.4", 10, "F33.40 F33.41 F33.42"},
		{"f334", 10, "F33.40 F33.41 F33.42"},
		{"recurrent remission", 10, "F33.40 F33.41 F33.42"},
		{"GENERALIZED anxiety", 10, "F41.1"},
		{"ptsd", 10, ""}, // words of the text, not abbreviations in headings
		{"post-traumatic chronic", 10, "F43.12"},
		{"F33", 2, "F33.0 F33.1"},
		{"", 10, ""},
		{"   ", 10, ""},
		{"F33", 0, ""},
		{"zzz", 10, ""},
	}
	for _, tt := range tests {
		if got := codesOf(Search(tt.q, tt.limit)); got != tt.want {
			t.Errorf("Search(%q, %d) = %q, want %q", tt.q, tt.limit, got, tt.want)
		}
	}
}

// TestList checks the shipped file: codes are unique, well formed and in
// order, and every billable code's parents are headings of the list.
func TestList(t *testing.T) {
	all := All()
	if len(all) < 150 {
		t.Fatalf("%d codes, want the whole subset", len(all))
	}
	seen := map[string]Code{}
	prev := ""
	for _, c := range all {
		if c.Code != Normalize(c.Code) || len(c.Code) < 3 || len(c.Code) > 8 || c.Text == "" {
			t.Errorf("malformed row %+v", c)
		}
		if _, dup := seen[c.Code]; dup {
			t.Errorf("%s listed twice", c.Code)
		}
		if c.Code <= prev {
			t.Errorf("%s after %s: not in code order", c.Code, prev)
		}
		prev = c.Code
		seen[c.Code] = c
	}
	for _, c := range all {
		bare := strings.ReplaceAll(c.Code, ".", "")
		for n := 3; n < len(bare); n++ {
			p, ok := seen[Normalize(bare[:n])]
			if ok && p.Billable {
				t.Errorf("%s is billable but has %s under it", p.Code, c.Code)
			}
			if n == 3 && !ok {
				t.Errorf("%s has no category %s in the list", c.Code, bare[:3])
			}
		}
		if !c.Billable {
			if len(Search(c.Code, 1)) == 0 {
				t.Errorf("heading %s has no billable code under it", c.Code)
			}
		}
	}
}
