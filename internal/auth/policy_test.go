package auth

import (
	"slices"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
)

const (
	admin      = clinic.RoleAdmin
	therapist  = clinic.RoleTherapist
	prescriber = clinic.RolePrescriber
	patient    = clinic.RolePatient
)

var all = []Relation{RelNone, RelEmergency, RelTeam, RelOwner, RelSelf}

// expected is the policy written out by hand: for every permission, every
// role allowed it and in which relations. Every other (role, relation)
// pair, including the roles "" and "system" unless listed, is denied.
var expected = map[Permission]map[clinic.Role][]Relation{
	PermChart: {
		patient:    {RelSelf},
		therapist:  {RelEmergency, RelTeam, RelOwner},
		prescriber: {RelEmergency, RelTeam, RelOwner},
	},
	PermProfile: {
		patient:    {RelSelf},
		therapist:  {RelEmergency, RelTeam, RelOwner},
		prescriber: {RelEmergency, RelTeam, RelOwner},
		admin:      all,
	},
	PermTeam:    {therapist: {RelOwner}, admin: all},
	PermAccount: {therapist: {RelOwner}},
	PermDetails: {
		therapist:  {RelTeam, RelOwner},
		prescriber: {RelTeam, RelOwner},
		admin:      all,
	},
	PermEmergency: {therapist: {RelNone}, prescriber: {RelNone}},
	PermClinical: {
		therapist:  {RelEmergency, RelTeam, RelOwner},
		prescriber: {RelEmergency, RelTeam, RelOwner},
	},
	PermForms: {
		patient:    {RelSelf},
		therapist:  {RelEmergency, RelTeam, RelOwner},
		prescriber: {RelEmergency, RelTeam, RelOwner},
	},
	PermEvaluation:     {therapist: {RelEmergency, RelTeam, RelOwner}},
	PermClearance:      {prescriber: {RelEmergency, RelTeam, RelOwner}},
	PermPrescriberCall: {prescriber: {RelEmergency, RelTeam, RelOwner}},
	PermPrescribe:      {prescriber: {RelTeam, RelOwner}},
	PermDosing: {
		therapist:  {RelTeam, RelOwner},
		prescriber: {RelTeam, RelOwner},
	},
	PermPreparation: {
		patient:    {RelSelf},
		therapist:  {RelTeam, RelOwner},
		prescriber: {RelTeam, RelOwner},
	},
	PermJournal: {patient: {RelSelf}},
	PermSharedJournal: {
		therapist:  {RelTeam, RelOwner},
		prescriber: {RelTeam, RelOwner},
	},

	PermEditPost:     {admin: all, therapist: {RelSelf}, prescriber: {RelSelf}},
	PermStaffProfile: {admin: all, therapist: {RelSelf}, prescriber: {RelSelf}},

	PermStaffApp:        {admin: all, therapist: all, prescriber: all},
	PermPortal:          {patient: all},
	PermCaseload:        {therapist: all, prescriber: all},
	PermDirectory:       {admin: all},
	PermAddPatient:      {admin: all, therapist: all, RoleSystem: all},
	PermOwnCase:         {therapist: all},
	PermInquiries:       {admin: all, therapist: all},
	PermConvertInquiry:  {therapist: all},
	PermSchedule:        {admin: all, therapist: all, prescriber: all},
	PermThresholds:      {admin: all, therapist: all, prescriber: all},
	PermSafetySettings:  {admin: all, prescriber: all},
	PermSetThresholds:   {prescriber: all},
	PermBlog:            {admin: all, therapist: all, prescriber: all},
	PermSiteEditor:      {admin: all},
	PermSitePage:        {admin: all, RoleSystem: all},
	PermSettings:        {admin: all, RoleSystem: all},
	PermRooms:           {admin: all},
	PermInstruments:     {admin: all},
	PermAccounts:        {admin: all, RoleSystem: all},
	PermPatientLink:     {RoleSystem: all},
	PermJobs:            {admin: all, RoleSystem: all},
	PermOutbox:          {admin: all},
	PermAuditLog:        {admin: all},
	PermEmergencyReview: {admin: all},
}

// practiceWide are the permissions decided by role alone.
var practiceWide = []Permission{
	PermStaffApp, PermPortal, PermCaseload, PermDirectory, PermAddPatient, PermOwnCase, PermInquiries, PermConvertInquiry,
	PermSchedule, PermThresholds, PermSafetySettings, PermSetThresholds, PermBlog, PermSiteEditor, PermSitePage, PermSettings, PermRooms,
	PermInstruments, PermAccounts, PermPatientLink, PermJobs, PermOutbox, PermAuditLog, PermEmergencyReview,
}

var roles = append(slices.Clone(clinic.Roles), "", RoleSystem, "unknown")

func TestCan(t *testing.T) {
	seen := map[Permission]bool{}
	for _, p := range Permissions {
		if seen[p] {
			t.Errorf("%q is listed twice in Permissions", p)
		}
		seen[p] = true
		want, ok := expected[p]
		if !ok {
			t.Errorf("permission %q has no expectations in this test: add its row", p)
			continue
		}
		for _, role := range roles {
			for _, rel := range Relations {
				w := slices.Contains(want[role], rel)
				if got := Can(role, rel, p); got != w {
					t.Errorf("Can(%q, %v, %q) = %v, want %v", role, rel, p, got, w)
				}
			}
			if got, w := CanSome(role, p), len(want[role]) > 0; got != w {
				t.Errorf("CanSome(%q, %q) = %v, want %v", role, p, got, w)
			}
		}
	}
	for p := range expected {
		if !seen[p] {
			t.Errorf("%q has expectations but is missing from Permissions", p)
		}
	}
	for _, role := range roles {
		for _, rel := range Relations {
			if Can(role, rel, "unknown") {
				t.Errorf("Can(%q, %v, unknown) = true", role, rel)
			}
		}
		if Can(role, Relation(-1), PermChart) || Can(role, RelSelf+1, PermProfile) {
			t.Errorf("Can(%q) allows a relation that does not exist", role)
		}
	}
}

// TestPracticeWide checks that a practice-wide permission ignores the
// relation, and that the system role is never allowed a patient's record.
func TestPracticeWide(t *testing.T) {
	for _, p := range practiceWide {
		if !slices.Contains(Permissions, p) {
			t.Errorf("%q is not in Permissions", p)
		}
		for _, role := range roles {
			for _, rel := range Relations {
				if Can(role, rel, p) != Can(role, RelNone, p) {
					t.Errorf("Can(%q, %v, %q) depends on the relation", role, rel, p)
				}
			}
		}
	}
	for _, p := range []Permission{PermChart, PermProfile, PermTeam, PermAccount, PermDetails, PermClinical, PermForms} {
		if CanSome(RoleSystem, p) {
			t.Errorf("the system role may %q", p)
		}
	}
}
