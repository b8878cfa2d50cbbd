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

// practiceWide are the permissions decided by role alone.
var practiceWide = []Permission{
	PermStaffApp, PermPortal, PermCaseload, PermDirectory, PermAddPatient, PermOwnCase, PermInquiries, PermConvertInquiry,
	PermSchedule, PermThresholds, PermSafetySettings, PermSetThresholds, PermBlog, PermSiteEditor, PermSitePage, PermSettings, PermRooms,
	PermInstruments, PermConsentDocuments, PermAccounts, PermPatientLink, PermJobs, PermOutbox, PermAuditLog, PermEmergencyReview,
	PermFees, PermBillingReports,
}

var roles = append(slices.Clone(clinic.Roles), "", RoleSystem, "unknown")

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
var patientReads = []Permission{PermChart, PermProfile, PermClinicalRead, PermSharedJournal, PermSharedSkills, PermNoteRead, PermTimeline, PermSafetyPlan, PermBillingRead}

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
		for _, list := range [][]Permission{Writes, patientReads, practiceWide, {PermEmergency, PermEditPost, PermStaffProfile, PermControlled, PermControlledRead}} {
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

// TestControlledDesignation: the controlled-substance log is kept by
// prescribers and by the staff an administrator designated (RelSelf),
// administrators included only when designated; patients never reach it.
func TestControlledDesignation(t *testing.T) {
	for _, c := range []struct {
		role       clinic.Role
		designated bool
		keep, read bool
	}{
		{prescriber, false, true, true},
		{prescriber, true, true, true},
		{therapist, false, false, false},
		{therapist, true, true, true},
		{admin, false, false, false},
		{admin, true, true, true},
		{patient, true, false, false},
		{RoleSystem, true, false, false},
	} {
		rel := RelNone
		if c.designated {
			rel = RelSelf
		}
		if got := Can(c.role, rel, PermControlled); got != c.keep {
			t.Errorf("%s designated %v: keeps the log %v, want %v", c.role, c.designated, got, c.keep)
		}
		if got := Can(c.role, rel, PermControlledRead); got != c.read {
			t.Errorf("%s designated %v: reads the log %v, want %v", c.role, c.designated, got, c.read)
		}
	}
}
