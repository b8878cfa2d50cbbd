package store

import "testing"

// TestForOtherInstance: a listener acts on announcements about its own
// schema made by another instance, never on its own, another practice's
// (another schema on the same server: channels span the database) or a
// payload it cannot read.
func TestForOtherInstance(t *testing.T) {
	for _, c := range []struct {
		payload string
		want    bool
	}{
		{"public B", true},
		{"public A", false},  // its own
		{"t_other B", false}, // another schema
		{"public", false},    // no instance id
		{"", false},          // empty
		{" B", false},        // no schema, while the listener has one
	} {
		if got := forOtherInstance(c.payload, "public", "A"); got != c.want {
			t.Errorf("forOtherInstance(%q, public, A) = %v, want %v", c.payload, got, c.want)
		}
	}
}
