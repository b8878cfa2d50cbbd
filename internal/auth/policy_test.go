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
	// Reads: a therapist with a live emergency grant reaches them; the
	// partner prescriber only on the care team.
	PermChart: {
		patient:    {RelSelf},
		therapist:  {RelEmergency, RelTeam, RelOwner},
		prescriber: {RelTeam, RelOwner},
	},
	PermProfile: {
		patient:    {RelSelf},
		therapist:  {RelEmergency, RelTeam, RelOwner},
		prescriber: {RelTeam, RelOwner},
		admin:      all,
	},
	PermClinicalRead: {
		therapist:  {RelEmergency, RelTeam, RelOwner},
		prescriber: {RelTeam, RelOwner},
	},
	PermSharedJournal: {
		therapist:  {RelTeam, RelOwner},
		prescriber: {RelTeam, RelOwner},
	},
	// Only a therapist of the practice asks for emergency access.
	PermEmergency: {therapist: {RelNone}},

	// Writes: never through emergency access.
	PermTeam:    {therapist: {RelOwner}, admin: {RelNone, RelTeam, RelOwner, RelSelf}},
	PermAccount: {therapist: {RelOwner}},
	PermDetails: {
		therapist:  {RelTeam, RelOwner},
		prescriber: {RelTeam, RelOwner},
		admin:      {RelNone, RelTeam, RelOwner, RelSelf},
	},
	PermClinical: {
		therapist:  {RelTeam, RelOwner},
		prescriber: {RelTeam, RelOwner},
	},
	PermForms: {
		patient:    {RelSelf},
		therapist:  {RelTeam, RelOwner},
		prescriber: {RelTeam, RelOwner},
	},
	PermEvaluation:     {therapist: {RelTeam, RelOwner}},
	PermClearance:      {prescriber: {RelTeam, RelOwner}},
	PermPrescriberCall: {prescriber: {RelTeam, RelOwner}},
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

// patientReads are the permissions on a patient's record that only read it.
var patientReads = []Permission{PermChart, PermProfile, PermClinicalRead, PermSharedJournal}

// TestEmergencyReadOnly checks that emergency access is read-only: no
// permission that writes a patient's record grants RelEmergency to any
// role (EmergencyWrites is empty: a write kept for emergencies would need
// its reason there), that every patient-record permission is a read or a
// write (a new one must be put in Writes or patientReads), and that the
// partner prescriber cannot ask for emergency access nor use an old grant.
func TestEmergencyReadOnly(t *testing.T) {
	if len(EmergencyWrites) != 0 {
		t.Errorf("EmergencyWrites = %v: the policy lists no write for emergency access today", EmergencyWrites)
	}
	for _, p := range Writes {
		if !slices.Contains(Permissions, p) {
			t.Errorf("write %q is not in Permissions", p)
		}
		for _, role := range roles {
			if Can(role, RelEmergency, p) && EmergencyWrites[p] == "" {
				t.Errorf("Can(%q, emergency, %q) = true: emergency access must not write", role, p)
			}
		}
	}
	for _, p := range Permissions {
		kinds := 0
		for _, list := range [][]Permission{Writes, patientReads, practiceWide, {PermEmergency, PermEditPost, PermStaffProfile}} {
			if slices.Contains(list, p) {
				kinds++
			}
		}
		if kinds != 1 {
			t.Errorf("%q is in %d of the lists (writes, reads, practice-wide, own things): put it in exactly one", p, kinds)
		}
	}
	if CanSome(prescriber, PermEmergency) {
		t.Error("the partner prescriber may ask for emergency access")
	}
	for _, p := range slices.Concat(Writes, patientReads) {
		if Can(prescriber, RelEmergency, p) {
			t.Errorf("a prescriber's emergency grant allows %q", p)
		}
	}
	if !Can(therapist, RelEmergency, PermChart) || !Can(therapist, RelEmergency, PermProfile) || !Can(therapist, RelEmergency, PermClinicalRead) {
		t.Error("a therapist with an emergency grant cannot read the chart")
	}
}
