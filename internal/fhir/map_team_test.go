package fhir_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/store"
)

// has fails t for each of want not in js and each of wantNot in it.
func has(t *testing.T, name, js string, want, wantNot []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(js, w) {
			t.Errorf("%s: no %s in\n%s", name, w, js)
		}
	}
	for _, w := range wantNot {
		if strings.Contains(js, w) {
			t.Errorf("%s: %s in\n%s", name, w, js)
		}
	}
}

func TestPractitionerRole(t *testing.T) {
	off := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		u       clinic.User
		want    []string
		wantNot []string
		err     bool
	}{
		{"therapist, LMFT", clinic.User{ID: "u1", DisplayName: "Lena Ortiz", Credentials: "LMFT", Email: "lena@clinic.example", Role: clinic.RoleTherapist},
			[]string{`"id":"u1"`, `"active":true`, `"practitioner":{"reference":"Practitioner/u1","display":"Lena Ortiz"}`,
				`"code":[{"coding":[{"system":"https://github.com/kapstone/kapstone/fhir/CodeSystem/staff-role","code":"therapist","display":"Therapist"}],"text":"Therapist"}]`,
				`"specialty":[{"coding":[{"system":"http://nucc.org/provider-taxonomy","code":"106H00000X","display":"Marriage \u0026 Family Therapist"}],"text":"LMFT"}]`,
				`{"system":"email","value":"lena@clinic.example","use":"work"}`}, []string{"us-core"}, false},
		{"prescriber, MD and PMHNP: only the NP is coded", clinic.User{ID: "u2", DisplayName: "Priya Natarajan", Credentials: "MD, pmhnp", Role: clinic.RolePrescriber},
			[]string{`"code":"prescriber"`, `"code":"363L00000X"`, `"text":"MD, pmhnp"`}, []string{"telecom", "208"}, false},
		{"prescriber with no coded credential", clinic.User{ID: "u3", DisplayName: "Sam Roe", Credentials: "MD", Role: clinic.RolePrescriber},
			[]string{`"code":"prescriber"`}, []string{"specialty"}, false},
		{"disabled admin", clinic.User{ID: "u4", DisplayName: "Morgan Reyes", Role: clinic.RoleAdmin, DisabledAt: &off},
			[]string{`"active":false`, `"code":"admin","display":"Practice admin"`}, nil, false},
		{"patient", clinic.User{ID: "u5", DisplayName: "Jordan Lee", Role: clinic.RolePatient}, nil, nil, true},
		{"id not a FHIR id", clinic.User{ID: "u_6", DisplayName: "A", Role: clinic.RoleTherapist}, nil, nil, true},
	}
	for _, tc := range cases {
		r, err := m.PractitionerRole(&tc.u)
		if (err != nil) != tc.err {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		has(t, tc.name, string(validate(t, tc.name, r)), tc.want, tc.wantNot)
	}
}

func TestCareTeam(t *testing.T) {
	added := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	lena := &clinic.User{ID: "u1", DisplayName: "Lena Ortiz", Credentials: "LCSW", Role: clinic.RoleTherapist}
	priya := &clinic.User{ID: "u2", DisplayName: "Priya Natarajan", Credentials: "MD", Role: clinic.RolePrescriber}
	cases := []struct {
		name    string
		team    []store.TeamMember
		want    []string
		wantNot []string
		err     bool
	}{
		{"owner and prescriber", []store.TeamMember{{User: lena, Role: clinic.RoleTherapist, IsOwner: true, AddedAt: added}, {User: priya, Role: clinic.RolePrescriber, AddedAt: added}},
			[]string{`"id":"` + pid + `-care-team"`, "us-core-careteam", `"status":"active"`, `"subject":{"reference":"Patient/` + pid + `"}`,
				`{"role":[{"coding":[{"system":"https://github.com/kapstone/kapstone/fhir/CodeSystem/staff-role","code":"therapist","display":"Therapist"},{"system":"https://github.com/kapstone/kapstone/fhir/CodeSystem/staff-role","code":"owner","display":"Owner of the care team"},{"system":"http://nucc.org/provider-taxonomy","code":"1041C0700X","display":"Clinical Social Worker"}],"text":"Therapist (owner)"}],"member":{"reference":"Practitioner/u1","display":"Lena Ortiz"},"period":{"start":"2026-03-01T09:00:00Z"}}`,
				`"member":{"reference":"Practitioner/u2","display":"Priya Natarajan"}`, `"text":"Prescriber"`}, nil, false},
		{"no members: inactive, no US Core claim", nil, []string{`"status":"inactive"`}, []string{"us-core", "participant"}, false},
		{"member without an account", []store.TeamMember{{Role: clinic.RoleTherapist}}, nil, nil, true},
	}
	for _, tc := range cases {
		ct, err := m.CareTeam(pid, tc.team)
		if (err != nil) != tc.err {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		has(t, tc.name, string(validate(t, tc.name, ct)), tc.want, tc.wantNot)
	}
	if _, err := m.CareTeam("p_1", nil); err == nil {
		t.Error("a patient id that is not a FHIR id: no error")
	}
	if fhir.CareTeamID(pid) != pid+"-care-team" {
		t.Error(fhir.CareTeamID(pid))
	}
}
