package clinic

import (
	"strings"
	"unicode/utf8"
)

// The identifiers and addresses a superbill carries (issue 21): the
// practice's and clinicians' National Provider Identifiers, the practice's
// employer identification number, postal addresses.

// CheckNPI trims npi and says what is wrong with it as a National
// Provider Identifier: ten digits whose last is the check digit. An empty
// npi is allowed (not given); the message is "" when it is valid.
//
// The check digit is CMS's rule ("Requirements for National Provider
// Identifier (NPI) and NPI Enumerator", section "NPI check digit", CMS
// 2006): the Luhn formula (ISO/IEC 7812-1) computed over the nine
// identifier digits prefixed with 80840, the card issuer prefix of US
// health applications; equivalently, add 24 to the Luhn sum of the nine
// digits. 1234567893 is CMS's worked example.
func CheckNPI(npi string) (string, string) {
	npi = strings.TrimSpace(npi)
	switch {
	case npi == "":
		return "", ""
	case len(npi) != 10 || strings.Trim(npi, "0123456789") != "":
		return npi, "Enter the NPI's 10 digits, like 1234567893."
	case !npiCheckDigitOK(npi):
		return npi, "This is not a valid NPI: its last digit does not match the others. Check it against the NPPES registry."
	}
	return npi, ""
}

// npiCheckDigitOK applies the Luhn check to "80840" + npi (10 digits).
func npiCheckDigitOK(npi string) bool {
	digits := "80840" + npi
	sum := 0
	for i := 0; i < len(digits); i++ {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 { // every second digit from the right, the check digit being the first
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// CheckEIN trims ein and says what is wrong with it as an employer
// identification number (a US federal tax id): nine digits written
// NN-NNNNNNN. "123456789" is accepted and written with its hyphen. An
// empty ein is allowed (not given).
func CheckEIN(ein string) (string, string) {
	ein = strings.TrimSpace(ein)
	if ein == "" {
		return "", ""
	}
	bare := strings.Replace(ein, "-", "", 1)
	if len(bare) != 9 || strings.Trim(bare, "0123456789") != "" || (len(ein) == 10 && ein[2] != '-') {
		return ein, "Enter the tax id (EIN) as nine digits, like 12-3456789."
	}
	if bare[:2] == "00" || bare[:2] == "07" || bare[:2] == "08" || bare[:2] == "09" {
		return ein, "No EIN starts with " + bare[:2] + "; check the number on the practice's IRS notice."
	}
	return bare[:2] + "-" + bare[2:], ""
}

// Address is a US postal address, as a superbill shows it.
type Address struct {
	Line1, Line2 string // street, and suite or apartment
	City         string
	State        string // the two-letter USPS code
	PostalCode   string // ZIP or ZIP+4
}

// Empty reports whether no part of a is given.
func (a Address) Empty() bool {
	return a.Line1 == "" && a.Line2 == "" && a.City == "" && a.State == "" && a.PostalCode == ""
}

// Lines writes a as the lines of an envelope; none when it is empty.
func (a Address) Lines() []string {
	if a.Empty() {
		return nil
	}
	out := []string{a.Line1}
	if a.Line2 != "" {
		out = append(out, a.Line2)
	}
	return append(out, a.City+", "+a.State+" "+a.PostalCode)
}

// usStates are the USPS codes of the states, DC and the territories.
var usStates = strings.Fields(`AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI`)

// CheckAddress trims a (upper-casing its state) and records in fe what is
// wrong with it, each field's message under prefix+"line1", "line2",
// "city", "state", "postal_code". An address left wholly empty is allowed;
// one begun must have its street, city, state and ZIP code.
func CheckAddress(a *Address, prefix string, fe FieldErrors) {
	a.Line1, a.Line2, a.City = strings.TrimSpace(a.Line1), strings.TrimSpace(a.Line2), strings.TrimSpace(a.City)
	a.State, a.PostalCode = strings.ToUpper(strings.TrimSpace(a.State)), strings.TrimSpace(a.PostalCode)
	if a.Empty() {
		return
	}
	for _, f := range []struct{ name, v, empty string }{
		{"line1", a.Line1, "Enter the street address, or leave the whole address empty."},
		{"line2", a.Line2, ""},
		{"city", a.City, "Enter the city."},
	} {
		switch {
		case f.v == "" && f.empty != "":
			fe.Add(prefix+f.name, f.empty)
		case utf8.RuneCountInString(f.v) > 100:
			fe.Add(prefix+f.name, "Use at most 100 characters.")
		case !SingleLine(f.v):
			fe.Add(prefix+f.name, LineProblem)
		}
	}
	if !contains(usStates, a.State) {
		fe.Add(prefix+"state", "Enter the state's two-letter code, like NY or CA.")
	}
	if !zipLike(a.PostalCode) {
		fe.Add(prefix+"postal_code", "Enter the ZIP code: five digits, or ZIP+4 like 10001-1234.")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// zipLike reports whether z is NNNNN or NNNNN-NNNN.
func zipLike(z string) bool {
	digits := func(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
	switch len(z) {
	case 5:
		return digits(z)
	case 10:
		return digits(z[:5]) && z[5] == '-' && digits(z[6:])
	}
	return false
}
