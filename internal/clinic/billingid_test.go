package clinic

import (
	"strings"
	"testing"
)

func TestCheckNPI(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"1234567893", "1234567893", true},   // CMS's worked example
		{" 1234567893 ", "1234567893", true}, // trimmed
		{"1245319599", "1245319599", true},   // another number whose last digit is its check digit
		{"1000000004", "1000000004", true},
		{"2000000002", "2000000002", true}, // an organization's (type 2) number begins with 2
		{"", "", true},
		{"1234567890", "1234567890", false}, // wrong check digit
		{"1234567894", "1234567894", false},
		{"2000000003", "2000000003", false},
		{"123456789", "123456789", false},     // nine digits
		{"12345678931", "12345678931", false}, // eleven
		{"12345-6789", "12345-6789", false},
		{"abcdefghij", "abcdefghij", false},
	}
	for _, tt := range tests {
		got, msg := CheckNPI(tt.in)
		if got != tt.want || (msg == "") != tt.ok {
			t.Errorf("CheckNPI(%q) = %q, %q; want %q, ok %v", tt.in, got, msg, tt.want, tt.ok)
		}
	}
}

func TestCheckEIN(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"12-3456789", "12-3456789", true},
		{"123456789", "12-3456789", true},
		{" 98-7654321 ", "98-7654321", true},
		{"", "", true},
		{"123-456789", "123-456789", false},
		{"12-345678", "12-345678", false},
		{"12-34567890", "12-34567890", false},
		{"ab-cdefghi", "ab-cdefghi", false},
		{"00-1234567", "00-1234567", false},
		{"12--3456789", "12--3456789", false},
	}
	for _, tt := range tests {
		got, msg := CheckEIN(tt.in)
		if got != tt.want || (msg == "") != tt.ok {
			t.Errorf("CheckEIN(%q) = %q, %q; want %q, ok %v", tt.in, got, msg, tt.want, tt.ok)
		}
	}
}

func TestCheckAddress(t *testing.T) {
	tests := []struct {
		name string
		in   Address
		bad  string // the fields with a message, sorted, space-separated
	}{
		{"empty", Address{}, ""},
		{"whole", Address{Line1: "1 Main St", City: "Springfield", State: "il", PostalCode: "62701"}, ""},
		{"zip+4", Address{Line1: "1 Main St", Line2: "Suite 2", City: "Springfield", State: "IL", PostalCode: "62701-1234"}, ""},
		{"only a city", Address{City: "Springfield"}, "a_line1 a_postal_code a_state"},
		{"bad state and zip", Address{Line1: "1 Main St", City: "X", State: "ZZ", PostalCode: "6270"}, "a_postal_code a_state"},
		{"line break", Address{Line1: "1 Main St\nEvil", City: "X", State: "NY", PostalCode: "10001"}, "a_line1"},
		{"too long", Address{Line1: strings.Repeat("a", 101), City: "X", State: "NY", PostalCode: "10001"}, "a_line1"},
	}
	for _, tt := range tests {
		fe := FieldErrors{}
		a := tt.in
		CheckAddress(&a, "a_", fe)
		var got []string
		for _, f := range []string{"a_city", "a_line1", "a_line2", "a_postal_code", "a_state"} {
			if fe[f] != "" {
				got = append(got, f)
			}
		}
		if strings.Join(got, " ") != tt.bad {
			t.Errorf("%s: fields %q, want %q (%v)", tt.name, strings.Join(got, " "), tt.bad, fe)
		}
	}
	a := Address{Line1: " 1 Main St ", City: "Springfield", State: "il", PostalCode: "62701"}
	CheckAddress(&a, "", FieldErrors{})
	if got := strings.Join(a.Lines(), " / "); got != "1 Main St / Springfield, IL 62701" {
		t.Errorf("Lines = %q", got)
	}
}
