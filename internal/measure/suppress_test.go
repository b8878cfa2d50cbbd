package measure

import (
	"slices"
	"testing"
)

func TestSuppressed(t *testing.T) {
	for _, tt := range []struct {
		n    int
		hide bool
		text string
	}{{0, false, "0"}, {1, true, "fewer than 5"}, {3, true, "fewer than 5"}, {4, true, "fewer than 5"}, {5, false, "5"}, {12, false, "12"}} {
		if got := Suppressed(tt.n); got != tt.hide {
			t.Errorf("Suppressed(%d) = %v, want %v", tt.n, got, tt.hide)
		}
		if got := CellText(tt.n); got != tt.text {
			t.Errorf("CellText(%d) = %q, want %q", tt.n, got, tt.text)
		}
	}
}

func TestSuppressGroup(t *testing.T) {
	for _, tt := range []struct {
		name string
		rows [][]int
		want []bool
	}{
		{"all large", [][]int{{5}, {9}, {20}}, []bool{false, false, false}},
		{"none", nil, []bool{}},
		{"one small: the next smallest too", [][]int{{9}, {3}, {6}}, []bool{false, true, true}},
		{"two small: enough", [][]int{{2}, {3}, {9}}, []bool{true, true, false}},
		{"one small, the rest zero or large", [][]int{{0}, {4}, {7}, {12}}, []bool{false, true, true, false}},
		{"one small alone", [][]int{{4}}, []bool{true}},
		{"one small and zeros", [][]int{{0}, {2}, {0}}, []bool{false, true, false}},
		{"zeros are shown", [][]int{{0}, {0}}, []bool{false, false}},
		// A row hidden for one small count (3 followed up of 9) hides
		// another too: otherwise the total minus the shown row tells it.
		{"one small count in a large row", [][]int{{3, 6}, {30, 10}}, []bool{true, true}},
		{"one small count, a third row is next smallest", [][]int{{3, 6}, {30, 10}, {8, 0}}, []bool{true, false, true}},
		{"small counts in two rows", [][]int{{3, 6}, {30, 2}, {20, 20}}, []bool{true, true, false}},
		{"small total of large-looking parts", [][]int{{2, 2}, {9, 9}}, []bool{true, true}},
	} {
		if got := SuppressGroup(tt.rows); !slices.Equal(got, tt.want) {
			t.Errorf("%s: SuppressGroup(%v) = %v, want %v", tt.name, tt.rows, got, tt.want)
		}
	}
}
