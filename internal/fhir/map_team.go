package fhir

import (
	"errors"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// nuccByCredential codes a staff member's profession by the NUCC Health
// Care Provider Taxonomy (the code system US Core's provider-role value
// sets use), from a credential as written in their account ("LMFT",
// "LCSW"). Only credentials that name one profession are here; MD and DO
// are not, since the taxonomy codes a physician by specialty, which
// kapstone does not record. The codes are from memory of the taxonomy:
// unverified at taxonomy.nucc.org; check them before release.
var nuccByCredential = map[string]Coding{
	"LMFT":   {System: SystemNUCC, Code: "106H00000X", Display: "Marriage & Family Therapist"},
	"MFT":    {System: SystemNUCC, Code: "106H00000X", Display: "Marriage & Family Therapist"},
	"LCSW":   {System: SystemNUCC, Code: "1041C0700X", Display: "Clinical Social Worker"},
	"LICSW":  {System: SystemNUCC, Code: "1041C0700X", Display: "Clinical Social Worker"},
	"LPC":    {System: SystemNUCC, Code: "101YP2500X", Display: "Professional Counselor"},
	"LPCC":   {System: SystemNUCC, Code: "101YP2500X", Display: "Professional Counselor"},
	"LMHC":   {System: SystemNUCC, Code: "101YP2500X", Display: "Professional Counselor"},
	"LCPC":   {System: SystemNUCC, Code: "101YP2500X", Display: "Professional Counselor"},
	"PHD":    {System: SystemNUCC, Code: "103T00000X", Display: "Psychologist"},
	"PSYD":   {System: SystemNUCC, Code: "103T00000X", Display: "Psychologist"},
	"NP":     {System: SystemNUCC, Code: "363L00000X", Display: "Nurse Practitioner"},
	"PMHNP":  {System: SystemNUCC, Code: "363L00000X", Display: "Nurse Practitioner"},
	"APRN":   {System: SystemNUCC, Code: "363L00000X", Display: "Nurse Practitioner"},
	"PA":     {System: SystemNUCC, Code: "363A00000X", Display: "Physician Assistant"},
	"PA-C":   {System: SystemNUCC, Code: "363A00000X", Display: "Physician Assistant"},
	"LMFT-S": {System: SystemNUCC, Code: "106H00000X", Display: "Marriage & Family Therapist"},
}

// professions returns the NUCC codings of a staff member's credentials,
// once each, in the order written.
func professions(credentials string) []Coding {
	var out []Coding
	seen := map[string]bool{}
	for _, c := range strings.Split(credentials, ",") {
		code, ok := nuccByCredential[strings.ToUpper(strings.TrimSpace(c))]
		if ok && !seen[code.Code] {
			seen[code.Code] = true
			out = append(out, code)
		}
	}
	return out
}

// staffRole codes a kapstone role (therapist, prescriber, admin) in
// kapstone's staff-role code system, with the role's title.
func staffRole(r clinic.Role) Coding {
	return Coding{System: SystemStaffRole, Code: string(r), Display: r.Title()}
}

// PractitionerRole maps what a staff member does for the practice: their
// kapstone role (therapist, prescriber or practice admin) as the code,
// their profession by NUCC taxonomy as the specialty where a credential
// names one (nuccByCredential), the work email, active while the account
// is. Only a Practitioner (a staff account) has one. Its id is the user's id (each user has one role). It claims no US
// Core profile: US Core PractitionerRole requires an organization or
// contact details kapstone does not keep per role.
func (m Mapper) PractitionerRole(u *clinic.User) (PractitionerRole, error) {
	if _, err := m.Practitioner(u); err != nil { // staff only, with a FHIR id
		return PractitionerRole{}, err
	}
	out := PractitionerRole{
		ID: u.ID, Active: Bool(u.DisabledAt == nil), Practitioner: Ref("Practitioner", u.ID, u.DisplayName),
		Code: []CodeableConcept{{Coding: []Coding{staffRole(u.Role)}, Text: u.Role.Title()}},
	}
	if p := professions(u.Credentials); len(p) > 0 {
		out.Specialty = []CodeableConcept{{Coding: p, Text: strings.TrimSpace(u.Credentials)}}
	}
	if u.Email != "" {
		out.Telecom = []ContactPoint{{System: "email", Value: u.Email, Use: "work"}}
	}
	return out, nil
}

// CareTeamID is the id of patientID's CareTeam.
func CareTeamID(patientID string) string { return patientID + "-care-team" }

// CareTeam maps a patient's active care team: each member as a
// Practitioner reference with their role (kapstone's role, "owner" for the
// owning therapist, and the NUCC profession their credentials name) and
// the day they joined. It meets US Core CareTeam (status, subject, each
// participant's role and member) when the team has a member, and is
// inactive without one.
func (m Mapper) CareTeam(patientID string, team []store.TeamMember) (CareTeam, error) {
	if err := checkIDs(patientID, CareTeamID(patientID)); err != nil {
		return CareTeam{}, err
	}
	out := CareTeam{ID: CareTeamID(patientID), Status: "active", Name: "Care team", Subject: Ref("Patient", patientID, "")}
	for _, tm := range team {
		if tm.User == nil {
			return CareTeam{}, errors.New("fhir: a care team member without an account")
		}
		if err := checkIDs(tm.User.ID); err != nil {
			return CareTeam{}, err
		}
		role := CodeableConcept{Coding: []Coding{staffRole(tm.Role)}, Text: tm.Role.Title()}
		if tm.IsOwner {
			role.Coding = append(role.Coding, Coding{System: SystemStaffRole, Code: "owner", Display: "Owner of the care team"})
			role.Text += " (owner)"
		}
		role.Coding = append(role.Coding, professions(tm.User.Credentials)...)
		p := CareTeamParticipant{Role: []CodeableConcept{role}, Member: Ref("Practitioner", tm.User.ID, tm.User.DisplayName)}
		if !tm.AddedAt.IsZero() {
			p.Period = &Period{Start: Instant(tm.AddedAt)}
		}
		out.Participant = append(out.Participant, p)
	}
	if len(out.Participant) == 0 {
		out.Status = "inactive"
	} else {
		out.Meta = &Meta{Profile: []string{ProfileCareTeam}}
	}
	return out, nil
}
