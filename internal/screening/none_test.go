package screening

import "testing"

func TestSaysNone(t *testing.T) {
	for in, want := range map[string]bool{
		"none": true, "None currently": true, "N/A": true, "no medications": true, "nothing at all": true,
		"": false, "sertraline": false, "none except Xanax": false, "no benzodiazepines": false,
	} {
		if got := SaysNone(in); got != want {
			t.Errorf("SaysNone(%q) = %v, want %v", in, got, want)
		}
	}
}
