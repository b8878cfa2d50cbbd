package auth

import "github.com/kapstone/kapstone/internal/clinic"

// Relation is how a user stands to one patient. The store works it out from
// the patient record, the care team and emergency grants; Can decides with it.
type Relation int

// Relations, from none to closest.
const (
	RelNone      Relation = iota
	RelEmergency          // a clinician outside the team with a live break-glass grant
	RelTeam               // on the patient's care team
	RelOwner              // the therapist who owns the case
	RelSelf               // the patient themself
)

func (r Relation) String() string {
	return [...]string{"none", "emergency", "team", "owner", "self"}[r]
}

// Permission is something a user may do with a patient's record.
type Permission string

// Permissions on a patient record.
const (
	// PermChart is reading and writing clinical content.
	PermChart Permission = "chart"
	// PermProfile is seeing who the patient is and who is on their team, and
	// managing their portal invitation: administration, no clinical content.
	PermProfile Permission = "profile"
	// PermTeam is adding and removing care-team members.
	PermTeam Permission = "team"
	// PermEmergency is asking for break-glass access to a chart.
	PermEmergency Permission = "emergency"
	// PermAccount is making the patient's portal invitation or a password
	// reset link for their account: whoever holds the link can become the
	// patient in the portal, so only the therapist who owns the case may.
	PermAccount Permission = "account"
	// PermDetails is changing who the patient is and how to reach them:
	// admins and the care team (not emergency access).
	PermDetails Permission = "details"
)

// Can reports whether a user with role, standing in relation rel to a
// patient, may do p. It is kapstone's one access policy for patient data:
// anything not allowed here is denied.
//
//   - A patient reaches their own record (chart and profile) only.
//   - Therapists and prescribers reach the records of patients whose care
//     team they are on, or for which they hold a live emergency grant.
//   - Admins administer (profile, team) every patient but never read
//     clinical content.
//   - The owning therapist and admins manage the care team.
//   - Only the owning therapist makes portal invitations and password
//     resets for the patient (not admins, not emergency access): a link
//     makes its holder the patient.
//   - A clinician not on the team may ask for emergency access.
func Can(role clinic.Role, rel Relation, p Permission) bool {
	switch role {
	case clinic.RolePatient:
		return rel == RelSelf && (p == PermChart || p == PermProfile)
	case clinic.RoleTherapist, clinic.RolePrescriber:
		switch p {
		case PermChart, PermProfile:
			return rel == RelTeam || rel == RelOwner || rel == RelEmergency
		case PermTeam, PermAccount:
			return rel == RelOwner && role == clinic.RoleTherapist
		case PermDetails:
			return rel == RelTeam || rel == RelOwner
		case PermEmergency:
			return rel == RelNone
		}
	case clinic.RoleAdmin:
		return p == PermProfile || p == PermTeam || p == PermDetails
	}
	return false
}
