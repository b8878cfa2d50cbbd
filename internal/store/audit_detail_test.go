package store

import "testing"

func TestAuditDetail(t *testing.T) {
	for _, c := range []struct {
		e    Entry
		want string
	}{
		{Entry{}, ""},
		{Entry{Detail: "phq9:paper"}, "phq9:paper"},
		{Entry{Emergency: true}, "emergency"},
		{Entry{Emergency: true, Detail: "phq9:paper"}, "emergency; phq9:paper"},
		{Entry{Emergency: true, Detail: "emergency"}, "emergency"},
		{Entry{Emergency: true, Detail: "emergency; shared"}, "emergency; shared"},
		{Entry{Detail: "emergency-ish note"}, "emergency-ish note"},
	} {
		got := auditDetail(c.e)
		if got != c.want {
			t.Errorf("auditDetail(%+v) = %q, want %q", c.e, got, c.want)
		}
		if isEmergencyDetail(got) != c.e.Emergency {
			t.Errorf("isEmergencyDetail(%q) = %v, want %v", got, !c.e.Emergency, c.e.Emergency)
		}
	}
}
