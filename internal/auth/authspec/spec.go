// Package authspec is kapstone's access policy written out by hand, apart
// from the table in internal/auth/policy.go that the program runs. Tests
// check the program against it: auth's TestCan cell by cell, and the
// route-access matrix (internal/web/access_test.go) request by request, so
// a line changed in policy.go fails both until this statement of the
// policy is changed with it, on purpose. It is imported by tests only.
package authspec

import (
	"slices"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

const (
	admin      = clinic.RoleAdmin
	therapist  = clinic.RoleTherapist
	prescriber = clinic.RolePrescriber
	patient    = clinic.RolePatient
)

var all = []auth.Relation{auth.RelNone, auth.RelCosigner, auth.RelEmergency, auth.RelTeam, auth.RelOwner, auth.RelSelf}

// Expected is the policy: for every permission, every role allowed it and
// in which relations. Every other (role, relation) pair, including the
// roles "" and "system" unless listed, is denied.
var Expected = map[auth.Permission]map[clinic.Role][]auth.Relation{
	// Reads: a therapist with a live emergency grant reaches them; the
	// partner prescriber only on the care team.
	auth.PermChart: {
		patient:    {auth.RelSelf},
		therapist:  {auth.RelEmergency, auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
	},
	auth.PermProfile: {
		patient:    {auth.RelSelf},
		therapist:  {auth.RelEmergency, auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
		admin:      all,
	},
	auth.PermClinicalRead: {
		therapist:  {auth.RelEmergency, auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
	},
	auth.PermSharedJournal: {
		therapist:  {auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
	},
	auth.PermSharedSkills: {
		therapist:  {auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
	},
	// Only a therapist of the practice asks for emergency access.
	auth.PermEmergency: {therapist: {auth.RelNone}},

	// Writes: never through emergency access.
	auth.PermTeam:    {therapist: {auth.RelOwner}, admin: {auth.RelNone, auth.RelCosigner, auth.RelTeam, auth.RelOwner, auth.RelSelf}},
	auth.PermAccount: {therapist: {auth.RelOwner}},
	auth.PermDetails: {
		therapist:  {auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
		admin:      {auth.RelNone, auth.RelCosigner, auth.RelTeam, auth.RelOwner, auth.RelSelf},
	},
	auth.PermClinical: {
		therapist:  {auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
	},
	auth.PermForms: {
		patient:    {auth.RelSelf},
		therapist:  {auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
	},
	auth.PermEvaluation:     {therapist: {auth.RelTeam, auth.RelOwner}},
	auth.PermClearance:      {prescriber: {auth.RelTeam, auth.RelOwner}},
	auth.PermPrescriberCall: {prescriber: {auth.RelTeam, auth.RelOwner}},
	auth.PermPrescribe:      {prescriber: {auth.RelTeam, auth.RelOwner}},
	auth.PermDosing: {
		therapist:  {auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
	},
	auth.PermPreparation: {
		patient:    {auth.RelSelf},
		therapist:  {auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
	},
	auth.PermJournal: {patient: {auth.RelSelf}},
	auth.PermSkills:  {patient: {auth.RelSelf}},
	// Psychotherapy notes: the care team's clinicians (each their own; the
	// store checks the author), never emergency access, never admins.
	auth.PermPsychNote: {
		therapist:  {auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
	},
	auth.PermConsent: {
		patient:    {auth.RelSelf},
		therapist:  {auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
	},
	// Clinical notes (issue 16): the care team only; not admins, not
	// emergency access, not the patient.
	auth.PermNoteRead:  {therapist: {auth.RelTeam, auth.RelOwner}, prescriber: {auth.RelTeam, auth.RelOwner}},
	auth.PermNoteWrite: {therapist: {auth.RelTeam, auth.RelOwner}, prescriber: {auth.RelTeam, auth.RelOwner}},
	// Co-signature: only the clinician named to co-sign that note.
	auth.PermNoteCosign: {therapist: {auth.RelCosigner}, prescriber: {auth.RelCosigner}},
	// The chart's timeline and its "discussed" marks: the care team only,
	// never emergency access.
	auth.PermTimeline: {therapist: {auth.RelTeam, auth.RelOwner}, prescriber: {auth.RelTeam, auth.RelOwner}},
	auth.PermDiscuss:  {therapist: {auth.RelTeam, auth.RelOwner}, prescriber: {auth.RelTeam, auth.RelOwner}},
	// Secure messages (issue 17): the patient and the care team; not
	// emergency access, not admins.
	auth.PermMessages: {
		patient:    {auth.RelSelf},
		therapist:  {auth.RelTeam, auth.RelOwner},
		prescriber: {auth.RelTeam, auth.RelOwner},
	},
	// The safety plan (issue 17): the patient and the care team's
	// clinicians read and edit it; not admins.
	// A therapist with emergency access reads the plan (a crisis is when it
	// is needed), never edits it.
	auth.PermSafetyPlan:     {patient: {auth.RelSelf}, therapist: {auth.RelEmergency, auth.RelTeam, auth.RelOwner}, prescriber: {auth.RelTeam, auth.RelOwner}},
	auth.PermSafetyPlanEdit: {patient: {auth.RelSelf}, therapist: {auth.RelTeam, auth.RelOwner}, prescriber: {auth.RelTeam, auth.RelOwner}},

	auth.PermEditPost:     {admin: all, therapist: {auth.RelSelf}, prescriber: {auth.RelSelf}},
	auth.PermStaffProfile: {admin: all, therapist: {auth.RelSelf}, prescriber: {auth.RelSelf}},

	auth.PermStaffApp:       {admin: all, therapist: all, prescriber: all},
	auth.PermPortal:         {patient: all},
	auth.PermCaseload:       {therapist: all, prescriber: all},
	auth.PermDirectory:      {admin: all},
	auth.PermAddPatient:     {admin: all, therapist: all, auth.RoleSystem: all},
	auth.PermOwnCase:        {therapist: all},
	auth.PermInquiries:      {admin: all, therapist: all},
	auth.PermConvertInquiry: {therapist: all},
	auth.PermSchedule:       {admin: all, therapist: all, prescriber: all},
	auth.PermThresholds:     {admin: all, therapist: all, prescriber: all},
	auth.PermSafetySettings: {admin: all, prescriber: all},
	auth.PermSetThresholds:  {prescriber: all},
	auth.PermBlog:           {admin: all, therapist: all, prescriber: all},
	auth.PermSiteEditor:     {admin: all},
	auth.PermSitePage:       {admin: all, auth.RoleSystem: all},
	auth.PermSettings:       {admin: all, auth.RoleSystem: all},
	auth.PermRooms:          {admin: all},
	// The controlled-substance log: prescribers, and designated staff
	// (RelSelf), administrators too only when designated (it names
	// patients and their doses).
	auth.PermControlled:       {prescriber: all, therapist: {auth.RelSelf}, admin: {auth.RelSelf}},
	auth.PermControlledRead:   {prescriber: all, therapist: {auth.RelSelf}, admin: {auth.RelSelf}},
	auth.PermInstruments:      {admin: all},
	auth.PermConsentDocuments: {admin: all, auth.RoleSystem: all},
	auth.PermAccounts:         {admin: all, auth.RoleSystem: all},
	auth.PermPatientLink:      {auth.RoleSystem: all},
	auth.PermJobs:             {admin: all, auth.RoleSystem: all},
	auth.PermOutbox:           {admin: all},
	auth.PermAuditLog:         {admin: all},
	auth.PermEmergencyReview:  {admin: all},
	// Billing (issue 21): the ledger's writes by the care team's
	// therapist and admins, its reads by the patient too; never the
	// partner prescriber, never through emergency access. Fees and
	// reports: admins.
	auth.PermBilling:        {therapist: {auth.RelTeam, auth.RelOwner}, admin: {auth.RelNone, auth.RelCosigner, auth.RelTeam, auth.RelOwner, auth.RelSelf}},
	auth.PermBillingRead:    {patient: {auth.RelSelf}, therapist: {auth.RelTeam, auth.RelOwner}, admin: {auth.RelNone, auth.RelCosigner, auth.RelTeam, auth.RelOwner, auth.RelSelf}},
	auth.PermFees:           {admin: all},
	auth.PermBillingReports: {admin: all},
}

// Can reports whether the written policy lets role do p in relation rel.
func Can(role clinic.Role, rel auth.Relation, p auth.Permission) bool {
	return slices.Contains(Expected[p][role], rel)
}
