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

// SuppressGroup says which rows of a grouping whose total row is shown
// must be hidden. Each row is the counts it shows (e.g. courses followed up
// and courses without a follow-up): a row is hidden when any of its counts
// is Suppressed, and, when that hides exactly one row, the row with the
// smallest non-zero total among the others too (complementary
// suppression), so the hidden one cannot be found by subtracting the shown
// rows from the total. The mask is built from every count first: a row
// hidden for one small count takes part in the complementary step like any
// other.
func SuppressGroup(rows [][]int) []bool {
	hide := make([]bool, len(rows))
	total := make([]int, len(rows))
	hidden := 0
	for i, counts := range rows {
		for _, n := range counts {
			total[i] += n
			if Suppressed(n) {
				hide[i] = true
			}
		}
		if Suppressed(total[i]) {
			hide[i] = true
		}
		if hide[i] {
			hidden++
		}
	}
	if hidden == 1 {
		next := -1
		for i, n := range total {
			if !hide[i] && n > 0 && (next < 0 || n < total[next]) {
				next = i
			}
		}
		if next >= 0 {
			hide[next] = true
		}
	}
	return hide
}
