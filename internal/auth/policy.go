package auth

import "github.com/kapstone/kapstone/internal/clinic"

// RoleSystem is the role of work no person asked for in a request: jobs,
// the demo's seeding, first-run setup. No account has it; the store's
// System actor carries it, and Can allows it only the few practice-wide
// permissions such work needs.
const RoleSystem clinic.Role = "system"

// Relation is how a user stands to the thing asked about. For a patient's
// record the store works it out from the data (the patient row's account,
// the care team and emergency grants): RelNone to RelSelf. For a blog post
// or a staff profile it is RelSelf when the thing is the user's own and
// RelNone otherwise. Practice-wide permissions ignore it.
type Relation int

// Relations, from none to closest.
const (
	RelNone Relation = iota
	// RelCosigner is the clinician named to co-sign one clinical note
	// (the supervisor an administrator set for its author), asking about
	// that note: it reaches the note and nothing else of the patient's
	// record. The store works it out from the note (notes.cosigner_id),
	// never from the care team.
	RelCosigner
	RelEmergency // a clinician outside the team with a live break-glass grant
	RelTeam      // on the patient's care team
	RelOwner     // the therapist who owns the case
	RelSelf      // the patient themself; the author of a post; the owner of a profile
)

// Relations lists every relation, from none to closest.
var Relations = []Relation{RelNone, RelCosigner, RelEmergency, RelTeam, RelOwner, RelSelf}

func (r Relation) String() string {
	return [...]string{"none", "cosigner", "emergency", "team", "owner", "self"}[r]
}

// Permission is something a user may do: with a patient's record, with a
// thing of their own, or practice-wide.
type Permission string

// Permissions on a patient record: Can answers them from the role and the
// relation to the patient.
const (
	// PermChart is reading clinical content (a read: emergency access may).
	PermChart Permission = "chart"
	// PermProfile is seeing who the patient is and who is on their team:
	// administration, no clinical content. (The portal invitation is
	// PermAccount.)
	PermProfile Permission = "profile"
	// PermTeam is adding and removing care-team members.
	PermTeam Permission = "team"
	// PermEmergency is asking for break-glass access to a chart: a
	// therapist of the practice only (see the policy table).
	PermEmergency Permission = "emergency"
	// PermAccount is making the patient's portal invitation or a password
	// reset link for their account: whoever holds the link can become the
	// patient in the portal, so only the therapist who owns the case may.
	PermAccount Permission = "account"
	// PermDetails is changing who the patient is and how to reach them:
	// admins and the care team (not emergency access).
	PermDetails Permission = "details"
	// PermClinicalRead is reading what clinicians keep for each other on a
	// chart they reach: the consult thread, prescriptions, where the
	// shared journal would be (a read: emergency access may).
	PermClinicalRead Permission = "clinical-read"
	// PermClinical is a clinician's work on the chart of a patient on
	// their care team: the stage, posting to the consult thread, measures
	// asked, paper check-ins, appointments, acknowledging alerts, and
	// starting a questionnaire no one asked for (a write).
	PermClinical Permission = "clinical"
	// PermForms is filling in the patient's forms (intake, questionnaires):
	// the patient themself and the clinicians on the care team (a write).
	PermForms Permission = "forms"
	// PermEvaluation is the therapist's evaluation of the patient (a write).
	PermEvaluation Permission = "evaluation"
	// PermClearance is the prescriber's medical clearance decision (a
	// write).
	PermClearance Permission = "clearance"
	// PermPrescriberCall is a prescriber's call in a dosing session:
	// overriding a hold, clearing new medication, a dose other than the
	// prescribed one, an earlier discharge.
	PermPrescriberCall Permission = "prescriber-call"
	// PermPrescribe is recording or changing prescriptions: a prescriber on
	// the care team (not through emergency access).
	PermPrescribe Permission = "prescribe"
	// PermDosing is running a dosing session: starting it and recording
	// the gate, dose, vitals, events and discharge (the care team, not
	// emergency access).
	PermDosing Permission = "dosing"
	// PermPreparation is saving the session's preparation (support person,
	// ride home, consent to touch): the patient and their care team, not
	// emergency access.
	PermPreparation Permission = "preparation"
	// PermJournal is the patient's own journal: only the patient.
	PermJournal Permission = "journal"
	// PermConsent is signing and revoking the patient's consent documents:
	// the patient themself in the portal, and the care team (a paper
	// signature with its scan, a revocation); not emergency access. Reading
	// the consents is PermChart.
	PermConsent Permission = "consent"
	// PermSharedJournal is reading the journal entries the patient shared
	// with their care team (not with emergency access).
	PermSharedJournal Permission = "shared-journal"
	// PermSkills is the patient's own DBT skills entries and diary card
	// (issue 17): writing them and choosing what to share; only the
	// patient.
	PermSkills Permission = "skills"
	// PermSharedSkills is reading the skills entries and diary cards the
	// patient shared with their care team (not with emergency access; a
	// private entry is never read by anyone else).
	PermSharedSkills Permission = "shared-skills"
	// PermPsychNote is writing and reading one's own psychotherapy notes
	// about a patient on one's care team (45 CFR 164.501; SECURITY.md
	// 1.2): a therapist or prescriber on the team, never through
	// emergency access and never an admin. The store adds what no
	// relation can say: a note is its author's alone (another clinician
	// on the same team is told it does not exist).
	PermPsychNote Permission = "psychnote"
	// PermNoteRead is reading the clinical (progress) notes of a patient
	// on one's care team (issue 16; not through emergency access, not
	// admins).
	PermNoteRead Permission = "note.read"
	// PermNoteWrite is writing and signing one's own clinical notes and
	// adding signed addenda, for a patient on one's care team (a write).
	PermNoteWrite Permission = "note.write"
	// PermNoteCosign is reading a clinical note one must co-sign (as the
	// supervisor of its author) and co-signing it or returning it with a
	// comment: only in RelCosigner, a relation to the one note, so a
	// supervisor outside the care team reads that note and nothing else
	// of the record (deny by default; every read and step is audited).
	PermNoteCosign Permission = "note.cosign"
	// PermTimeline is reading the chart's timeline (issue 17): what the
	// patient shared and did between sessions, for the care team only
	// (not emergency access: the patient shared with their care team).
	PermTimeline Permission = "timeline"
	// PermDiscuss is marking a timeline item discussed, and undoing the
	// mark (a write: the care team).
	PermDiscuss Permission = "discuss"
	// PermMessages is the patient's secure messages with their care team
	// (issue 17): the patient themself (starting threads, replying) and
	// the clinicians on the care team (replying); not emergency access
	// (a clinician in an emergency calls; the thread is the team's), not
	// admins (messages are clinical content). A write.
	PermMessages Permission = "messages"
	// PermSafetyPlan is reading the patient's safety plan and its versions
	// (issue 17): the patient themself and the clinicians on the care
	// team.
	PermSafetyPlan Permission = "safety-plan"
	// PermSafetyPlanEdit is saving a new version of the safety plan, built
	// together in session: the patient and the care team's clinicians (a
	// write; not emergency access, not admins).
	PermSafetyPlanEdit Permission = "safety-plan.edit"
	// PermBilling is the patient's ledger's writes (issue 21): recording
	// payments, refunds, write-offs and charge corrections, selling a
	// package and setting the patient's sliding-scale tier. Admins (not
	// through emergency access) and the care team's therapist, who in a
	// small cash-pay practice often takes the payment at the end of the
	// session. Not the partner prescriber (another organisation's
	// clinician). A write.
	PermBilling Permission = "billing"
	// PermBillingRead is reading the patient's ledger, statements and
	// superbills: the patient themself, the care team's therapist (not
	// through emergency access: billing is not needed in an emergency) and
	// admins. Not the partner prescriber.
	PermBillingRead Permission = "billing.read"
)

// Permissions on a user's own things: the relation is RelSelf for their
// own, RelNone for someone else's.
const (
	// PermEditPost is changing a blog post: an admin any post (and so
	// naming its author), other staff their own.
	PermEditPost Permission = "edit-post"
	// PermStaffProfile is reading and changing a staff member's public
	// profile: an admin anyone's, staff their own.
	PermStaffProfile Permission = "staff-profile"
	// PermControlled is keeping the controlled-substance log (issue 20):
	// receiving stock, administering from a lot in a dosing session,
	// dispensing, wasting and witnessing waste, returns, transfers, loss
	// reports and counts. The relation is RelSelf for a staff member an
	// administrator designated to handle controlled substances
	// (users.controlled_substances), RelNone otherwise: prescribers may
	// always; other staff only when designated.
	PermControlled Permission = "controlled"
	// PermControlledRead is reading the log and its reports (the
	// dispensing log, inventory, reconciliation): whoever keeps it. Not
	// administrators as such: the log names patients and their doses
	// (clinical content); an administrator who keeps the log is
	// designated like anyone else. Apart from PermControlled so that a
	// read-only reader (an inspector's account) can be added later.
	PermControlledRead Permission = "controlled.read"
)

// Practice-wide permissions: decided by the role alone, the relation is
// ignored.
const (
	// PermStaffApp is the staff side of kapstone (home, navigation).
	PermStaffApp Permission = "staff-app"
	// PermPortal is the patient portal and a patient's own account settings.
	PermPortal Permission = "portal"
	// PermCaseload is having a caseload: one's own patients, their alerts,
	// clearances and scores, one's hours, time off and calendar feed.
	PermCaseload Permission = "caseload"
	// PermDirectory is the whole patient directory and practice-wide
	// outcomes (administration only, no clinical content).
	PermDirectory Permission = "directory"
	// PermAddPatient is adding a patient.
	PermAddPatient Permission = "add-patient"
	// PermOwnCase is becoming the owning therapist of a patient one adds.
	PermOwnCase Permission = "own-case"
	// PermInquiries is working the inquiry inbox.
	PermInquiries Permission = "inquiries"
	// PermConvertInquiry is turning an inquiry into a patient one owns.
	PermConvertInquiry Permission = "convert-inquiry"
	// PermSchedule is the practice's schedule.
	PermSchedule Permission = "schedule"
	// PermThresholds is reading the dosing thresholds.
	PermThresholds Permission = "thresholds"
	// PermSafetySettings is the session-safety settings page: the
	// prescriber who sets the thresholds, and admins, who see them.
	PermSafetySettings Permission = "safety-settings"
	// PermSetThresholds is changing the dosing thresholds.
	PermSetThresholds Permission = "set-thresholds"
	// PermBlog is the staff blog: posts and images.
	PermBlog Permission = "blog"
	// PermSiteEditor is the website editor: its pages, their versions and
	// the staff list.
	PermSiteEditor Permission = "site-editor"
	// PermSitePage is saving the website's content: a page, or any staff
	// member's profile (the demo's seeding does both).
	PermSitePage Permission = "site-page"
	// PermSettings is changing practice settings (practice details,
	// reminders, the outcome window).
	PermSettings Permission = "settings"
	// PermRooms is adding and archiving rooms.
	PermRooms Permission = "rooms"
	// PermConsentDocuments is the practice's consent documents: reading
	// their versions and publishing new ones (admins; the system for
	// kapstone's originals).
	PermConsentDocuments Permission = "consent-documents"
	// PermInstruments is the practice's wording of a questionnaire.
	PermInstruments Permission = "instruments"
	// PermAccounts is managing staff accounts: inviting, enabling,
	// disabling, resetting.
	PermAccounts Permission = "accounts"
	// PermPatientLink is making a sign-in link for a patient's account
	// outside their record (the record's way is PermAccount).
	PermPatientLink Permission = "patient-link"
	// PermJobs is the background jobs page and retrying failed jobs.
	PermJobs Permission = "jobs"
	// PermOutbox is the development mail outbox.
	PermOutbox Permission = "outbox"
	// PermAuditLog is reading the audit log.
	PermAuditLog Permission = "audit-log"
	// PermEmergencyReview is reviewing break-glass grants.
	PermEmergencyReview Permission = "emergency-review"
	// PermFees is the practice's fee schedule, sliding-scale tiers,
	// packages and charge policy (late-cancel window and fees): admins
	// only (issue 21).
	PermFees Permission = "fees"
	// PermBillingReports is the practice's income reports, outstanding
	// balances and the accountant's CSV: admins only.
	PermBillingReports Permission = "billing-reports"
)

// Permissions lists every permission Can knows.
var Permissions = []Permission{
	PermChart, PermProfile, PermTeam, PermEmergency, PermAccount, PermDetails,
	PermClinicalRead, PermClinical, PermForms, PermEvaluation, PermClearance, PermPrescriberCall, PermPrescribe,
	PermDosing, PermPreparation, PermJournal, PermSharedJournal, PermSkills, PermSharedSkills, PermPsychNote, PermConsent, PermNoteRead, PermNoteWrite, PermNoteCosign, PermMessages,
	PermTimeline, PermDiscuss,
	PermSafetyPlan, PermSafetyPlanEdit, PermBilling, PermBillingRead,
	PermEditPost, PermStaffProfile, PermControlled, PermControlledRead,
	PermStaffApp, PermPortal, PermCaseload, PermDirectory, PermAddPatient, PermOwnCase, PermInquiries, PermConvertInquiry,
	PermSchedule, PermThresholds, PermSafetySettings, PermSetThresholds, PermBlog, PermSiteEditor, PermSitePage, PermSettings, PermRooms,
	PermInstruments, PermConsentDocuments, PermAccounts, PermPatientLink, PermJobs, PermOutbox, PermAuditLog, PermEmergencyReview,
	PermFees, PermBillingReports,
}

// rels is a set of relations.
type rels uint

func relSet(rs ...Relation) rels {
	var s rels
	for _, r := range rs {
		s |= 1 << r
	}
	return s
}

var (
	anyRel = relSet(Relations...)
	// reach is a therapist of the practice who reaches the chart: on the
	// care team, or holding a live emergency grant. Only reads use it.
	reach = relSet(RelTeam, RelOwner, RelEmergency)
	// teamOnly is the care team itself: every write on a patient's record,
	// and everything a prescriber does.
	teamOnly = relSet(RelTeam, RelOwner)
	// notEmergency is an admin's reach for administrative writes: every
	// patient, but never through a break-glass grant (admins cannot ask
	// for one; the relation is left out so no write anywhere in the table
	// grants RelEmergency).
	notEmergency = anyRel &^ relSet(RelEmergency)
	self         = relSet(RelSelf)
)

// Writes lists the permissions on a patient's record that change it. Emergency
// access is read-only: none of them grants RelEmergency to any role unless
// EmergencyWrites names it (TestEmergencyReadOnly holds the table to this).
var Writes = []Permission{
	PermTeam, PermAccount, PermDetails, PermClinical, PermForms, PermEvaluation, PermClearance,
	PermPrescriberCall, PermPrescribe, PermDosing, PermPreparation, PermJournal, PermSkills, PermPsychNote, PermConsent, PermNoteWrite, PermNoteCosign, PermDiscuss, PermMessages,
	PermSafetyPlanEdit, PermBilling,
}

// EmergencyWrites are the writes a clinician may make through emergency
// access, each with the reason they truly need it in an emergency. There
// are none: a clinician outside the care team reads the chart (who the
// patient is, their contacts, intake, medication, prescriptions, alerts,
// the consult thread) and acts by phone and in person; the record is
// changed by the care team, whom the break-glass clinician calls. Entering
// a permission here is a policy decision and needs its reason beside it.
var EmergencyWrites = map[Permission]string{}

// policy is the whole table: for each permission, each role allowed it and
// in which relations. A role or permission not listed is denied.
//
// The prescriber role is the partner prescriber: a clinician of another
// organisation who sees only the patients referred to them (PRODUCT.md).
// They may not use emergency access at all (no PermEmergency, and
// RelEmergency in none of their rows, so even a grant made before this
// rule gives them nothing): minimum necessary. They reach a patient by
// referral to the care team; an emergency read of a patient who is not
// theirs is the practice's own clinicians' job.
var policy = map[Permission]map[clinic.Role]rels{
	PermChart: {
		clinic.RolePatient: self, clinic.RoleTherapist: reach, clinic.RolePrescriber: teamOnly,
	},
	PermProfile: {
		clinic.RolePatient: self, clinic.RoleTherapist: reach, clinic.RolePrescriber: teamOnly, clinic.RoleAdmin: anyRel,
	},
	PermClinicalRead:  {clinic.RoleTherapist: reach, clinic.RolePrescriber: teamOnly},
	PermSharedJournal: {clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	PermSharedSkills:  {clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	// Only a therapist of the practice may ask for emergency access (see
	// above for why not the partner prescriber).
	PermEmergency: {clinic.RoleTherapist: relSet(RelNone)},

	// Writes: the care team (and admins for administration), never
	// RelEmergency.
	PermTeam:           {clinic.RoleTherapist: relSet(RelOwner), clinic.RoleAdmin: notEmergency},
	PermAccount:        {clinic.RoleTherapist: relSet(RelOwner)},
	PermDetails:        {clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly, clinic.RoleAdmin: notEmergency},
	PermClinical:       {clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	PermForms:          {clinic.RolePatient: self, clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	PermEvaluation:     {clinic.RoleTherapist: teamOnly},
	PermClearance:      {clinic.RolePrescriber: teamOnly},
	PermPrescriberCall: {clinic.RolePrescriber: teamOnly},
	PermPrescribe:      {clinic.RolePrescriber: teamOnly},
	PermDosing:         {clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	PermPreparation:    {clinic.RolePatient: self, clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	PermJournal:        {clinic.RolePatient: self},
	PermSkills:         {clinic.RolePatient: self},
	// Psychotherapy notes: the clinicians on the care team, each their
	// own notes only (the store checks the author).
	PermPsychNote: {clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	PermConsent:   {clinic.RolePatient: self, clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	PermNoteRead:  {clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	PermNoteWrite: {clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	// Co-signature: the clinician named to co-sign the note, in that
	// relation only (on the care team or not; never admins).
	PermNoteCosign: {clinic.RoleTherapist: relSet(RelCosigner), clinic.RolePrescriber: relSet(RelCosigner)},
	// The timeline and its "discussed" marks (issue 17): the care team.
	PermTimeline: {clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	PermDiscuss:  {clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	// Secure messages: the patient and their care team.
	PermMessages: {clinic.RolePatient: self, clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	// The safety plan (issue 17): the patient and the care team.
	// A therapist with emergency access reads it too (not edits it): in a
	// crisis while the team is away, the plan's people, lines and "making
	// my surroundings safer" are what the break-glass clinician needs.
	PermSafetyPlan:     {clinic.RolePatient: self, clinic.RoleTherapist: reach, clinic.RolePrescriber: teamOnly},
	PermSafetyPlanEdit: {clinic.RolePatient: self, clinic.RoleTherapist: teamOnly, clinic.RolePrescriber: teamOnly},
	// The ledger (issue 21): the care team's therapist and admins record;
	// the patient reads their own too. Never the partner prescriber, never
	// through emergency access (billing is not needed in an emergency).
	PermBilling:     {clinic.RoleTherapist: teamOnly, clinic.RoleAdmin: notEmergency},
	PermBillingRead: {clinic.RolePatient: self, clinic.RoleTherapist: teamOnly, clinic.RoleAdmin: notEmergency},

	PermEditPost:     {clinic.RoleAdmin: anyRel, clinic.RoleTherapist: self, clinic.RolePrescriber: self},
	PermStaffProfile: {clinic.RoleAdmin: anyRel, clinic.RoleTherapist: self, clinic.RolePrescriber: self},
	// The controlled-substance log: prescribers, and staff an
	// administrator designated (RelSelf).
	PermControlled:     {clinic.RolePrescriber: anyRel, clinic.RoleTherapist: self, clinic.RoleAdmin: self},
	PermControlledRead: {clinic.RolePrescriber: anyRel, clinic.RoleTherapist: self, clinic.RoleAdmin: self},

	PermStaffApp:         {clinic.RoleAdmin: anyRel, clinic.RoleTherapist: anyRel, clinic.RolePrescriber: anyRel},
	PermPortal:           {clinic.RolePatient: anyRel},
	PermCaseload:         {clinic.RoleTherapist: anyRel, clinic.RolePrescriber: anyRel},
	PermDirectory:        {clinic.RoleAdmin: anyRel},
	PermAddPatient:       {clinic.RoleAdmin: anyRel, clinic.RoleTherapist: anyRel, RoleSystem: anyRel},
	PermOwnCase:          {clinic.RoleTherapist: anyRel},
	PermInquiries:        {clinic.RoleAdmin: anyRel, clinic.RoleTherapist: anyRel},
	PermConvertInquiry:   {clinic.RoleTherapist: anyRel},
	PermSchedule:         {clinic.RoleAdmin: anyRel, clinic.RoleTherapist: anyRel, clinic.RolePrescriber: anyRel},
	PermThresholds:       {clinic.RoleAdmin: anyRel, clinic.RoleTherapist: anyRel, clinic.RolePrescriber: anyRel},
	PermSafetySettings:   {clinic.RoleAdmin: anyRel, clinic.RolePrescriber: anyRel},
	PermSetThresholds:    {clinic.RolePrescriber: anyRel},
	PermBlog:             {clinic.RoleAdmin: anyRel, clinic.RoleTherapist: anyRel, clinic.RolePrescriber: anyRel},
	PermSiteEditor:       {clinic.RoleAdmin: anyRel},
	PermSitePage:         {clinic.RoleAdmin: anyRel, RoleSystem: anyRel},
	PermSettings:         {clinic.RoleAdmin: anyRel, RoleSystem: anyRel},
	PermRooms:            {clinic.RoleAdmin: anyRel},
	PermInstruments:      {clinic.RoleAdmin: anyRel},
	PermConsentDocuments: {clinic.RoleAdmin: anyRel, RoleSystem: anyRel},
	PermAccounts:         {clinic.RoleAdmin: anyRel, RoleSystem: anyRel},
	PermPatientLink:      {RoleSystem: anyRel},
	PermJobs:             {clinic.RoleAdmin: anyRel, RoleSystem: anyRel},
	PermOutbox:           {clinic.RoleAdmin: anyRel},
	PermAuditLog:         {clinic.RoleAdmin: anyRel},
	PermEmergencyReview:  {clinic.RoleAdmin: anyRel},
	// Fees and the income reports: admins only (issue 21).
	PermFees:           {clinic.RoleAdmin: anyRel},
	PermBillingReports: {clinic.RoleAdmin: anyRel},
}

// Can reports whether a user with role, standing in relation rel to the
// thing asked about, may do p. It is kapstone's one access policy: anything
// not allowed here is denied. For practice-wide permissions rel is ignored
// (pass RelNone).
//
// On patient records:
//   - A patient reaches their own record (chart and profile) and fills in
//     their own forms; nothing clinical beyond that.
//   - Therapists and prescribers reach the records of patients whose care
//     team they are on and do their clinical work there.
//   - A therapist outside the team who holds a live emergency grant reads
//     the chart (not the shared journal) and writes nothing (Writes,
//     EmergencyWrites).
//   - Only a therapist evaluates; only a prescriber clears, prescribes and
//     makes the prescriber's calls in a dosing session.
//   - Admins administer (profile, team, details) every patient but never
//     read clinical content.
//   - The owning therapist and admins manage the care team.
//   - Only the owning therapist makes portal invitations and password
//     resets for the patient (not admins, not emergency access): a link
//     makes its holder the patient.
//   - A therapist not on the team may ask for emergency access; the
//     partner prescriber may not.
//   - The clinician an administrator named to co-sign a supervisee's notes
//     reads each note waiting for them and co-signs or returns it
//     (RelCosigner, a relation to that note alone, never to the chart).
//
// RoleSystem may only save settings, site pages and staff profiles,
// manage accounts, add patients, make sign-in links and retry jobs.
func Can(role clinic.Role, rel Relation, p Permission) bool {
	if rel < RelNone || rel > RelSelf {
		return false
	}
	return policy[p][role]&(1<<rel) != 0
}

// CanSome reports whether role may do p in some relation: the role's gate
// for a permission, checked before the relation is known.
func CanSome(role clinic.Role, p Permission) bool {
	return policy[p][role] != 0
}
