package measure

import "strconv"

// MinCell is the smallest number of people (courses) an aggregate shown to
// someone without a per-patient view may count: a count from 1 to
// MinCell-1 is shown as "fewer than 5", and so is every figure over it
// (its rates, its mean change).
//
// Source: small-cell suppression, the practice of de-identified health
// statistics. Under HIPAA's de-identification standard (45 CFR
// 164.514(b); HHS, "Guidance Regarding Methods for De-identification of
// PHI", 2012) a table is safe only when no one in it can be singled out,
// and publishers set a smallest cell: CMS's cell size suppression policy
// hides counts of 1 to 10 (11 is the smallest it shows), and many public
// health agencies hide counts under 5. kapstone uses 5, not 11: its tables
// are read inside the practice, by an administrator who may already know
// who the patients are, not published; and a small practice has so few
// courses in a quarter that a threshold of 11 would hide nearly every
// row. With 5, a shown row's rate is over at least five courses, so it
// does not say which of them responded (only a rate of 0% or 100% says it
// of all of them, and that is said of five or more people alike).
const MinCell = 5

// Suppressed reports whether a count of n people may not be shown: from 1
// to MinCell-1. Zero is shown: it singles nobody out.
func Suppressed(n int) bool { return n > 0 && n < MinCell }

// CellText is n as shown in a suppressed table: the number, or "fewer than
// 5" when Suppressed(n).
func CellText(n int) string {
	if Suppressed(n) {
		return "fewer than " + strconv.Itoa(MinCell)
	}
	return strconv.Itoa(n)
}

// SuppressGroup says which of the parts of a whole whose total is shown
// must be hidden: each part Suppressed, and, when that hides exactly one
// part, the smallest other non-zero part too (complementary suppression),
// so the hidden one cannot be found by subtracting the shown parts from
// the total.
func SuppressGroup(parts []int) []bool {
	hide := make([]bool, len(parts))
	hidden := 0
	for i, n := range parts {
		if Suppressed(n) {
			hide[i] = true
			hidden++
		}
	}
	if hidden == 1 {
		next := -1
		for i, n := range parts {
			if !hide[i] && n > 0 && (next < 0 || n < parts[next]) {
				next = i
			}
		}
		if next >= 0 {
			hide[next] = true
		}
	}
	return hide
}
