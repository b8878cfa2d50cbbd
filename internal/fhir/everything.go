package fhir

import (
	"context"
	"encoding/json"
	"regexp"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// Everything gathers every resource of patientID's record that actor may
// read, as a Bundle of type collection (the patient's download; the API's
// $everything makes it a searchset): the Patient, their CareTeam with its
// members as Practitioners and PractitionerRoles, the completed check-ins
// of shipped instruments as QuestionnaireResponses with their Observations
// and Provenance, the appointments, the intake's medications and the
// prescriptions as MedicationStatements, screening flags and safety alerts
// as Flags, consents, courses as CarePlans, and, for a clinician, the
// dosing sessions as Encounters with their vital signs and the signed
// notes as DocumentReferences with their Provenance. Every staff member a
// resource refers to is included as a Practitioner, so every reference
// resolves inside the Bundle. Psychotherapy notes are never read here (no
// store method for them is called) and no mapper takes one.
//
// The list is whole, not a page: it is the patient's record, and a
// download of it is the patient's right of access (45 CFR 164.524), which
// a page would cut short. Its size is one patient's, and each section is
// read once (the signed notes page by page), so the work grows with the
// record, never with the square of it.
//
// Each section is read through the store with actor, so the one access
// policy decides and every read is audited. A section the policy does not
// give actor (a patient reads no clinical notes, no prescriptions and no
// dosing records; emergency access reads no notes) is left out, asked of
// the policy with actor's relation to the patient before it is read, so
// no refusal is provoked. Call it with the context of an open view of the
// patient (store.BeginView, store.BeginOwnView): the whole gathering is
// then one read transaction and one audit row, which the caller writes
// with View.Finish before sending anything. Without a view each section
// is audited on its own. A patient actor may not read is ENotFound.
func Everything(ctx context.Context, st *store.Store, actor store.Actor, patientID string, m Mapper) (*Bundle, error) {
	g := gatherer{m: m, seen: map[string]bool{}}
	p, acc, err := st.FindPatient(ctx, actor, patientID)
	if err != nil {
		return nil, err
	}
	fp, err := m.Patient(p)
	if err != nil {
		return nil, err
	}
	g.add(fp)

	if acc.Can(auth.PermProfile) {
		team, err := st.CareTeam(ctx, actor, p.ID)
		if err != nil {
			return nil, err
		}
		ct, err := m.CareTeam(p.ID, team)
		if err != nil {
			return nil, err
		}
		g.add(ct)
		for _, tm := range team {
			if err := g.staff(tm.User); err != nil {
				return nil, err
			}
		}
	}
	if acc.Can(auth.PermChart) {
		if err := g.chart(ctx, st, actor, acc, p); err != nil {
			return nil, err
		}
	}
	if acc.Can(auth.PermClinicalRead) {
		rx, err := st.FindPrescriptions(ctx, actor, p.ID)
		if err != nil {
			return nil, err
		}
		mss, err := m.Prescriptions(p.ID, rx)
		if err != nil {
			return nil, err
		}
		for _, ms := range mss {
			g.add(ms)
		}
	}
	if acc.Can(auth.PermNoteRead) && auth.CanSome(actor.Role, auth.PermCaseload) {
		if err := g.notes(ctx, st, actor, p.ID); err != nil {
			return nil, err
		}
	}
	if err := g.referredStaff(ctx, st); err != nil {
		return nil, err
	}
	return &Bundle{Type: "collection", Timestamp: Instant(st.Now()), Entry: g.entries}, nil
}

// gatherer collects one patient's resources, each once.
type gatherer struct {
	m       Mapper
	entries []BundleEntry
	seen    map[string]bool // type/id
	// sessionOf is the dosing session of each appointment that has one.
	sessionOf map[string]string
}

func (g *gatherer) add(r Resource) {
	key := r.ResourceType() + "/" + r.ResourceID()
	if g.seen[key] {
		return
	}
	g.seen[key] = true
	g.entries = append(g.entries, BundleEntry{FullURL: g.m.Base + "/" + key, Resource: r})
}

// staff adds a staff member's Practitioner and PractitionerRole.
func (g *gatherer) staff(u *clinic.User) error {
	if g.seen["Practitioner/"+u.ID] {
		return nil
	}
	pr, err := g.m.Practitioner(u)
	if err != nil {
		return err
	}
	role, err := g.m.PractitionerRole(u)
	if err != nil {
		return err
	}
	g.add(pr)
	g.add(role)
	return nil
}

// chart adds what reading the chart gives (auth.PermChart): check-ins,
// appointments, flags, medications from the intake, consents, courses and,
// for a clinician, the dosing sessions.
func (g *gatherer) chart(ctx context.Context, st *store.Store, actor store.Actor, acc store.Access, p *store.Patient) error {
	m := g.m
	ms, err := st.FindMeasures(ctx, actor, p.ID)
	if err != nil {
		return err
	}
	for _, c := range ms.Checkins {
		if _, ok := Shipped(c.Instrument); !ok || !c.Complete {
			continue // the practice's own wording is never written as FHIR
		}
		qr, err := m.QuestionnaireResponse(p.ID, c)
		if err != nil {
			return err
		}
		g.add(qr)
		obs, err := m.CheckinObservations(p.ID, c)
		if err != nil {
			return err
		}
		for _, o := range obs {
			g.add(o)
		}
		pv, err := m.CheckinProvenance(p.ID, c)
		if err != nil {
			return err
		}
		g.add(pv)
	}

	// NoConsult: gathering the record marks nothing read (the chart page
	// marks the consult thread read for its viewer; a download is not a
	// look at the thread).
	chart, err := st.FindChart(ctx, actor, p.ID, store.ChartOptions{AllAppointments: true, NoConsult: true})
	if err != nil {
		return err
	}
	// Dosing records are the clinicians' (the store answers them to a
	// caseload only): a patient's copy has the appointments.
	var sessions []store.DosingSession
	if auth.CanSome(actor.Role, auth.PermCaseload) {
		if sessions, err = st.DosingSessions(ctx, actor, p.ID); err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(chart.Appointments)+len(sessions))
	for _, ap := range chart.Appointments {
		ids = append(ids, ap.ID)
	}
	for _, s := range sessions {
		ids = append(ids, s.ID)
	}
	clinician, err := st.ClinicianIDs(ctx, actor, p.ID, ids)
	if err != nil {
		return err
	}
	for _, ap := range chart.Appointments {
		a, err := m.Appointment(p.ID, ap, clinician[ap.ID])
		if err != nil {
			return err
		}
		g.add(a)
	}
	g.sessionOf = map[string]string{}
	for _, s := range sessions {
		e, err := m.Encounter(p.ID, s, clinician[s.ID])
		if err != nil {
			return err
		}
		g.add(e)
		if s.AppointmentID != "" {
			g.sessionOf[s.AppointmentID] = s.ID
		}
		d, err := st.DosingSessionFor(ctx, actor, p.ID, s.ID)
		if err != nil {
			return err
		}
		for _, v := range d.Vitals {
			obs, err := m.VitalsObservations(p.ID, v)
			if err != nil {
				return err
			}
			for _, o := range obs {
				g.add(o)
			}
		}
	}
	if chart.Screened != nil {
		meds, err := m.IntakeMedications(p, chart.Screened)
		if err != nil {
			return err
		}
		for _, x := range meds {
			g.add(x)
		}
	}
	flags, err := m.ScreeningFlags(p.ID, chart.Screened, chart.Flags)
	if err != nil {
		return err
	}
	for _, f := range flags {
		g.add(f)
	}
	for _, a := range chart.Alerts {
		f, err := m.SafetyAlert(a)
		if err != nil {
			return err
		}
		g.add(f)
	}
	consents, err := st.PatientConsents(ctx, actor, p.ID)
	if err != nil {
		return err
	}
	for _, c := range consents {
		cs, err := m.Consents(p.ID, c)
		if err != nil {
			return err
		}
		for _, x := range cs {
			g.add(x)
		}
	}
	plans, err := m.CarePlans(p, chart.Timeline)
	if err != nil {
		return err
	}
	for _, pl := range plans {
		g.add(pl)
	}
	return nil
}

// notes adds the signed notes (signed, or signed and awaiting a
// co-signature) as DocumentReferences with their Provenance. Drafts are
// not part of the record yet. Psychotherapy notes are another table, never
// read here.
func (g *gatherer) notes(ctx context.Context, st *store.Store, actor store.Actor, patientID string) error {
	for page := 1; ; page++ {
		list, err := st.Notes(ctx, actor, patientID, page)
		if err != nil {
			return err
		}
		for _, ns := range list.Notes {
			if ns.Status != clinic.NoteSigned && ns.Status != clinic.NoteAwaitingCosign {
				continue
			}
			n, err := st.NoteFor(ctx, actor, patientID, ns.AppointmentID)
			if err != nil {
				return err
			}
			d, err := g.m.DocumentReference(n, g.sessionOf[n.AppointmentID])
			if err != nil {
				return err
			}
			g.add(d)
			pv, err := g.m.NoteProvenance(n)
			if err != nil {
				return err
			}
			g.add(pv)
		}
		if !list.More {
			return nil
		}
	}
}

// referredStaff adds a Practitioner (and role) for every staff member a
// gathered resource refers to who is not in the Bundle yet (a clinician
// of a past appointment who has left the care team), read from the
// practice's staff list (no patient information). One who is no longer
// enabled stays a reference by id and name.
func (g *gatherer) referredStaff(ctx context.Context, st *store.Store) error {
	want := map[string]bool{}
	for _, e := range g.entries {
		ids, err := practitionerRefs(e.Resource)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !g.seen["Practitioner/"+id] {
				want[id] = true
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	for _, role := range []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber, clinic.RoleAdmin} {
		us, err := st.ListStaff(ctx, role)
		if err != nil {
			return err
		}
		for _, u := range us {
			if want[u.ID] {
				if err := g.staff(u); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// practitionerRef finds the references to Practitioners in a resource's
// JSON.
var practitionerRef = regexp.MustCompile(`"reference":"Practitioner/([A-Za-z0-9\-.]{1,64})"`)

// practitionerRefs lists the ids of the Practitioners r refers to.
func practitionerRefs(r Resource) ([]string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range practitionerRef.FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	return out, nil
}
