// Package demo seeds a demonstration practice: invented people with random
// passwords and second-factor secrets, written to demo-logins.json so a
// person or a test script can sign in. It grows as kapstone does.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/cslog"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/screening"
	"github.com/kapstone/kapstone/internal/store"
)

// LoginsFile is the name of the file, in the data directory, that lists the demo logins.
const LoginsFile = "demo-logins.json"

// PracticeName is the invented practice the demo seeds.
const PracticeName = "Willow Creek Counseling"

// Login is one demo account's credentials.
type Login struct {
	Role       clinic.Role `json:"role"`
	Name       string      `json:"name"`
	Email      string      `json:"email"`
	Password   string      `json:"password"`
	TOTPSecret string      `json:"totp_secret,omitempty"`
}

var staffPeople = []struct {
	role        clinic.Role
	name        string
	credentials string // apart from the name: the pages add it once
	email       string
}{
	{clinic.RoleAdmin, "Morgan Reyes", "", "admin@willowcreek.example"},
	{clinic.RoleTherapist, "Lena Ortiz", "LMFT", "lena.ortiz@willowcreek.example"},
	{clinic.RoleTherapist, "Sam Whitaker", "LCSW", "sam.whitaker@willowcreek.example"},
	{clinic.RolePrescriber, "Priya Natarajan", "MD", "priya.natarajan@riverbend-medical.example"},
}

// patientPeople are the demo patients: the therapist who owns each case
// (by email), whether the partner prescriber is on the team, whether they
// have a portal account, their intake, and how far along the pathway they are.
var patientPeople = []struct {
	name, email, owner string
	prescriber, portal bool
	born, pronouns     string
	intake             string // "", "clean", "flagged", "psychosis"
	submitted          bool
	cleared            bool
	path               []clinic.Stage // stages after inquiry, in order
	reason             string         // for the last move when it needs one
}{
	{"Jordan Lee", "jordan.lee@mail.example", "lena.ortiz@willowcreek.example", true, true, "1988-03-14", "he/him", "clean", true, true,
		[]clinic.Stage{clinic.StageScreening, clinic.StageMedical, clinic.StagePreparation}, ""},
	{"Casey Morgan", "casey.morgan@mail.example", "lena.ortiz@willowcreek.example", true, true, "1979-11-02", "she/her", "flagged", true, false,
		[]clinic.Stage{clinic.StageScreening, clinic.StageMedical}, ""},
	{"Riley Chen", "riley.chen@mail.example", "sam.whitaker@willowcreek.example", true, true, "1992-07-30", "they/them", "clean", true, true,
		[]clinic.Stage{clinic.StageScreening, clinic.StageMedical, clinic.StagePreparation, clinic.StageDosing, clinic.StageIntegration}, ""},
	{"Avery Brooks", "avery.brooks@mail.example", "sam.whitaker@willowcreek.example", false, false, "1985-01-19", "", "", false, false, nil, ""},
	{"Dana Whitfield", "dana.whitfield@mail.example", "lena.ortiz@willowcreek.example", true, false, "1969-05-08", "she/her", "clean", false, false,
		[]clinic.Stage{clinic.StageScreening}, ""},
	{"Sky Patel", "sky.patel@mail.example", "sam.whitaker@willowcreek.example", true, false, "1996-09-21", "he/him", "psychosis", true, false,
		[]clinic.Stage{clinic.StageScreening, clinic.StageNotEligible}, "History of a psychotic episode (2019); referred for other treatment options."},
	{"Quinn Harper", "quinn.harper@mail.example", "lena.ortiz@willowcreek.example", true, false, "1983-12-12", "", "clean", true, true,
		[]clinic.Stage{clinic.StageScreening, clinic.StageMedical, clinic.StagePreparation, clinic.StagePaused}, "Moving house this month; will resume preparation in January."},
	{"Morgan Ellis", "morgan.ellis@mail.example", "sam.whitaker@willowcreek.example", true, false, "1975-04-03", "she/her", "clean", true, true,
		[]clinic.Stage{clinic.StageScreening, clinic.StageMedical, clinic.StagePreparation, clinic.StageDosing, clinic.StageIntegration, clinic.StageFollowUp}, ""},
	{"Robin Alvarez", "robin.alvarez@mail.example", "lena.ortiz@willowcreek.example", true, false, "1990-08-17", "he/him", "clean", true, true,
		[]clinic.Stage{clinic.StageScreening, clinic.StageMedical, clinic.StagePreparation, clinic.StageDosing}, ""},
	{"Taylor Nguyen", "taylor.nguyen@mail.example", "sam.whitaker@willowcreek.example", true, false, "1981-02-25", "", "clean", true, true,
		[]clinic.Stage{clinic.StageScreening, clinic.StageMedical, clinic.StagePreparation, clinic.StageDosing, clinic.StageIntegration, clinic.StageFollowUp, clinic.StageClosed}, "Series of six sessions complete; PHQ-9 in remission."},
}

// trajectories are demo PHQ-9 scores, one a week, oldest first: a
// responder, a non-responder, remitters, one positive item 9, one course
// lost to follow-up (Quinn: nothing in the 4–12-week window, which has
// closed) and one that started below caseness (Dana: no response or
// remission to rate).
var trajectories = map[string]struct {
	phq9  []int
	gad7  []int
	item9 bool // the latest PHQ-9 answers item 9 with "several days"
	since int  // weeks ago of the first score; 0: the last score is this week
}{
	"Jordan Lee":     {phq9: []int{19, 18}, gad7: []int{15, 14}},
	"Casey Morgan":   {phq9: []int{14}, gad7: []int{16}, item9: true},
	"Riley Chen":     {phq9: []int{21, 19, 14, 11, 9, 8}, gad7: []int{17, 15, 12, 10, 8, 7}},
	"Robin Alvarez":  {phq9: []int{17, 16, 17, 15, 16}, gad7: []int{12, 13, 12, 12}},
	"Morgan Ellis":   {phq9: []int{16, 12, 8, 5, 4, 3}, gad7: []int{11, 9, 6, 4, 3}},
	"Taylor Nguyen":  {phq9: []int{22, 17, 12, 9, 6, 4}, gad7: []int{18, 14, 10, 7, 5, 4}},
	"Quinn Harper":   {phq9: []int{15, 16}, since: 16},
	"Dana Whitfield": {phq9: []int{9, 7, 5, 4, 3}},
}

// answersFor spreads total over an instrument's scored items (each 0..3),
// with item 9 of the PHQ-9 set to item9.
func answersFor(inst measure.Instrument, total, item9 int) measure.Answers {
	a := measure.Answers{}
	var scored []string
	for _, it := range inst.Items {
		if it.Scored {
			a[it.ID] = 0
			if !it.Risk {
				scored = append(scored, it.ID)
			}
		}
		if it.Risk {
			a[it.ID] = item9
			total -= item9
		}
	}
	for i := 0; total > 0; i = (i + 1) % len(scored) {
		if a[scored[i]] < 3 {
			a[scored[i]]++
			total--
		}
	}
	return a
}

// seedScores gives a demo patient their questionnaires and past scores,
// entered as paper check-ins dated a week apart.
func seedScores(ctx context.Context, st *store.Store, therapist store.Actor, pt *store.Patient, name string) error {
	tr, ok := trajectories[name]
	if !ok {
		return nil
	}
	for _, a := range []struct{ id, cadence string }{{"phq9", "weekly"}, {"gad7", "before_session"}} {
		if err := st.AssignMeasure(ctx, therapist, pt.ID, a.id, a.cadence); err != nil {
			return err
		}
	}
	now := st.Now().UTC()
	for _, inst := range []struct {
		id     string
		scores []int
	}{{"phq9", tr.phq9}, {"gad7", tr.gad7}} {
		def, _ := measure.Get(inst.id)
		for i, total := range inst.scores {
			item9 := 0
			if tr.item9 && inst.id == "phq9" && i == len(inst.scores)-1 {
				item9 = 1
			}
			weeksAgo := len(inst.scores) - 1 - i
			if tr.since > 0 {
				weeksAgo = tr.since - i
			}
			at := now.Add(-time.Duration(weeksAgo)*7*24*time.Hour - 2*time.Hour)
			if _, err := st.EnterPaperCheckin(ctx, therapist, pt.ID, inst.id, answersFor(def, total, item9), at); err != nil {
				return fmt.Errorf("%s %s: %w", name, inst.id, err)
			}
		}
	}
	return nil
}

// demoIntake returns an intake of the kind named.
func demoIntake(kind string) clinic.Intake {
	no := func(ids ...string) map[string]string {
		m := map[string]string{}
		for _, q := range screening.Questions() {
			m[q.ID] = "no"
		}
		for _, id := range ids {
			m[id] = "yes"
		}
		return m
	}
	switch kind {
	case "flagged":
		return clinic.Intake{
			Answers: no("mania_history", "ketamine_prior"),
			Medications: []clinic.MedicationLine{
				{Name: "Xanax", Dose: "0.5mg", Frequency: "as needed, about twice a week"},
				{Name: "Lamictal", Dose: "100 mg", Frequency: "daily"},
				{Name: "sertraline", Dose: "50 mg", Frequency: "each morning"},
			},
			HistoryNotes: "Bipolar II diagnosed in 2015; last hypomanic episode in 2021. Tried ketamine once at a party years ago.",
			Goals:        "Less anxiety, and to stop feeling stuck in the same low moods.",
		}
	case "psychosis":
		return clinic.Intake{
			Answers:      no("psychosis_history"),
			Medications:  []clinic.MedicationLine{{Name: "Abilify", Dose: "5 mg", Frequency: "daily"}},
			HistoryNotes: "One psychotic episode in 2019 after heavy cannabis use; treated in hospital.",
			Goals:        "Help with depression.",
		}
	}
	return clinic.Intake{
		Answers:      no(),
		Medications:  []clinic.MedicationLine{{Name: "Sertraline", Dose: "100 mg", Frequency: "daily"}, {Name: "Vitamin D", Dose: "2000 IU", Frequency: "daily"}},
		Allergies:    "Penicillin (rash)",
		Goals:        "To feel like myself again and reconnect with my family.",
		HistoryNotes: "Depression on and off since college; two medications tried without much change.",
	}
}

// seedCourse gives a demo patient their intake, evaluation, clearance and
// stages, through the same store calls the app makes.
func seedCourse(ctx context.Context, st *store.Store, therapist, prescriber store.Actor, pt *store.Patient, spec int, asPatient store.Actor) error {
	pp := patientPeople[spec]
	if pp.intake != "" {
		author := therapist
		if asPatient.UserID != "" {
			author = asPatient
		}
		if _, err := st.SaveIntake(ctx, author, pt.ID, demoIntake(pp.intake), pp.submitted, store.QuestionIDs()); err != nil {
			return fmt.Errorf("intake: %w", err)
		}
	}
	if err := seedScores(ctx, st, therapist, pt, pp.name); err != nil {
		return err
	}
	for i, stage := range pp.path {
		if stage == clinic.StagePreparation && pp.cleared {
			if err := st.SaveEvaluation(ctx, therapist, pt.ID, store.Evaluation{Recommendation: "suitable", Summary: "Treatment-resistant depression; good insight and support at home; clear intentions. Recommend KAP."}); err != nil {
				return fmt.Errorf("evaluation: %w", err)
			}
			if err := st.RecordClearance(ctx, prescriber, pt.ID, store.Cleared, "Normotensive at evaluation (122/78); no contraindications; sertraline may continue.", nil); err != nil {
				return fmt.Errorf("clearance: %w", err)
			}
			if _, err := st.RecordPrescription(ctx, prescriber, pt.ID, clinic.PrescriptionInput{Drug: clinic.DefaultDrug, Route: clinic.RouteSublingual,
				Strength: "100 mg rapid-dissolve tablet", Dose: "200 mg", SessionsAuthorised: 6}); err != nil {
				return fmt.Errorf("prescription: %w", err)
			}
			if err := seedConsents(ctx, st, therapist, pt, asPatient); err != nil {
				return fmt.Errorf("consents: %w", err)
			}
			if err := st.SavePreparation(ctx, therapist, pt.ID, store.Preparation{
				Intentions: "To loosen the grip of the heaviness in the mornings, and to be kinder to myself about it.",
				Music:      "Low ambient, no lyrics (the practice's long playlist)", Scent: "None", EyeShades: "yes",
				Lighting: "Dim", Present: "Therapist only", Touch: clinic.TouchSafety,
				SupportName: "Alex (partner)", SupportPhone: "+1 555 0100", RideHome: "Alex drives; home by 4 pm"}); err != nil {
				return fmt.Errorf("preparation: %w", err)
			}
		}
		reason := ""
		if i == len(pp.path)-1 {
			reason = pp.reason
		}
		if err := st.ChangeStage(ctx, therapist, pt.ID, stage, reason); err != nil {
			return fmt.Errorf("stage %s: %w", stage, err)
		}
	}
	if slices.Contains(pp.path, clinic.StageDosing) && pp.cleared {
		// A completed dosing session 16 days ago and another 2 days ago,
		// so the charts and the record have something to show.
		for _, daysAgo := range []int{16, 2} {
			at := st.Now().UTC().Truncate(time.Hour).AddDate(0, 0, -daysAgo).Add(-4 * time.Hour)
			if err := seedPastSession(ctx, st, therapist, pt, at); err != nil {
				return fmt.Errorf("past session: %w", err)
			}
		}
		if pp.name == RemsDemoPatient {
			at := st.Now().UTC().Truncate(time.Hour).AddDate(0, 0, -9).Add(-4 * time.Hour)
			if err := seedREMSSession(ctx, st, therapist, prescriber, pt, at); err != nil {
				return fmt.Errorf("REMS session: %w", err)
			}
		}
	}
	if err := seedAppointments(ctx, st, therapist, pt, spec); err != nil {
		return err
	}
	return seedChangeAfterClearance(ctx, st, therapist, pt, pp.name, asPatient)
}

// changedAfterClearance names the demo patients who send a changed intake
// after their clearance, so the chart and the caseload show a clearance
// out of date: the change is what the prescriber must review.
var changedAfterClearance = map[string]func(clinic.Intake) clinic.Intake{
	"Riley Chen": func(in clinic.Intake) clinic.Intake {
		in.Answers["high_blood_pressure"] = "yes"
		in.Medications = append(in.Medications, clinic.MedicationLine{Name: "Lisinopril", Dose: "10 mg", Frequency: "daily"})
		in.HistoryNotes += " My doctor found high blood pressure last week and started lisinopril."
		return in
	},
}

// seedChangeAfterClearance sends a changed intake for a patient named in
// changedAfterClearance (as the patient, when they have a portal account).
func seedChangeAfterClearance(ctx context.Context, st *store.Store, therapist store.Actor, pt *store.Patient, name string, asPatient store.Actor) error {
	change, ok := changedAfterClearance[name]
	if !ok {
		return nil
	}
	author := therapist
	if asPatient.UserID != "" {
		author = asPatient
	}
	latest, err := st.LatestIntake(ctx, author, pt.ID)
	if err != nil || latest == nil {
		return fmt.Errorf("intake to change: %v", err)
	}
	if _, err := st.SaveIntake(ctx, author, pt.ID, change(latest.Intake), true, store.QuestionIDs()); err != nil {
		return fmt.Errorf("changed intake: %w", err)
	}
	return nil
}

// seedConsents has pt sign every consent document a month ago: in the
// portal when they have an account (asPatient), else on paper, recorded by
// their therapist with a scan (demoScan). The store's clock is set back for
// it and put back after, so the signatures come before the past sessions.
func seedConsents(ctx context.Context, st *store.Store, therapist store.Actor, pt *store.Patient, asPatient store.Actor) error {
	real := st.Now
	defer func() { st.Now = real }()
	at := real().UTC().AddDate(0, 0, -30)
	st.Now = func() time.Time { return at }
	// The date on the paper is the day in the practice's time zone: the
	// UTC date is the next day there every evening (after 18:00 in
	// Chicago), which the store rightly refuses as a date in the future.
	settings, err := st.Practice(ctx)
	if err != nil {
		return err
	}
	dated := at
	if loc, err := time.LoadLocation(settings.TimeZone); err == nil {
		dated = at.In(loc)
	}
	cs, err := st.PatientConsents(ctx, therapist, pt.ID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Latest == nil {
			continue
		}
		if asPatient.UserID != "" {
			a := asPatient
			a.Addr = "198.51.100.23"
			_, err = st.SignConsent(ctx, a, pt.ID, store.SignInput{DocumentID: c.Latest.ID, TextHash: c.Latest.Hash(), TypedName: pt.DisplayName, Agreed: true})
		} else {
			_, err = st.RecordPaperConsent(ctx, therapist, pt.ID, store.PaperInput{DocumentID: c.Latest.ID, TypedName: pt.DisplayName, SignedOn: dated, Scan: demoScan(c.Title, pt.DisplayName)})
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.Kind, err)
		}
	}
	return nil
}

// demoScan is a one-page PDF standing in for the scan of a signed paper
// consent: the document's title and the patient's name.
func demoScan(title, name string) []byte {
	esc := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`)
	text := "BT /F1 14 Tf 72 720 Td (" + esc.Replace(title) + ") Tj 0 -28 Td /F1 11 Tf (Signed on paper by " + esc.Replace(name) +
		" - demo scan) Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		"<< /Length " + strconv.Itoa(len(text)) + " >>\nstream\n" + text + "\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b strings.Builder
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		b.WriteString(strconv.Itoa(i+1) + " 0 obj\n" + o + "\nendobj\n")
	}
	xref := b.Len()
	b.WriteString("xref\n0 " + strconv.Itoa(len(objs)+1) + "\n0000000000 65535 f \n")
	for _, off := range offsets {
		b.WriteString(fmt.Sprintf("%010d 00000 n \n", off))
	}
	b.WriteString("trailer\n<< /Size " + strconv.Itoa(len(objs)+1) + " /Root 1 0 R >>\nstartxref\n" + strconv.Itoa(xref) + "\n%%EOF\n")
	return []byte(b.String())
}

// seedControlled starts the controlled-substance log: the administrator
// designates the practice's therapists to keep it, and one records the
// product (ketamine 100 mg rapid-dissolve tablets, counted by unit) and a
// receipt of lot K-2291 a year ago, so the demo's past dosing sessions
// draw their doses from it.
func seedControlled(ctx context.Context, st *store.Store, admin store.Actor, ids map[string]string) error {
	for _, email := range []string{"lena.ortiz@willowcreek.example", "sam.whitaker@willowcreek.example"} {
		if err := st.SetCSDesignated(ctx, admin, ids[email], true); err != nil {
			return err
		}
	}
	lena := store.Actor{UserID: ids["lena.ortiz@willowcreek.example"], Role: clinic.RoleTherapist}
	p := store.CSProduct{Name: "Ketamine HCl", Strength: "100 mg", Form: "rapid-dissolve tablet", Unit: cslog.UnitEach, UnitMcg: 100000, Schedule: "III"}
	if err := st.AddCSProduct(ctx, lena, &p); err != nil {
		return err
	}
	real := st.Now
	defer func() { st.Now = real }()
	at := real().AddDate(-1, 0, 0)
	st.Now = func() time.Time { return at }
	if _, err := st.ReceiveCS(ctx, lena, store.CSReceipt{ProductID: p.ID, Location: "Main office, locked cabinet", Entry: cslog.Entry{Kind: cslog.Receipt, Quantity: 200,
		Party: "Riverbend Compounding Pharmacy", Invoice: "RCP-20418", Lot: "K-2291", Expiry: at.AddDate(2, 0, 0)}}); err != nil {
		return err
	}
	// Esketamine (Spravato) nasal spray: a REMS product (issue 20 part 3),
	// so each session dosed from it has a REMS monitoring form.
	e := store.CSProduct{Name: "Spravato (esketamine) nasal spray", Strength: "28 mg per device", Form: "nasal spray device", Unit: cslog.UnitMg, Schedule: "III", REMS: true}
	if err := st.AddCSProduct(ctx, lena, &e); err != nil {
		return err
	}
	_, err := st.ReceiveCS(ctx, lena, store.CSReceipt{ProductID: e.ID, Location: "Main office, locked cabinet", Entry: cslog.Entry{Kind: cslog.Receipt, Quantity: 840000,
		Party: "Specialty Pharmacy Distribution", Invoice: "SPD-7731", Lot: RemsDemoLot, Expiry: at.AddDate(2, 0, 0)}})
	return err
}

// The demo's esketamine (REMS) session: Robin Alvarez, 9 days ago (so its
// form is overdue in the REMS forms list), dosed 56 mg from lot RemsDemoLot
// by the prescriber, with the form's draft partly confirmed.
const (
	RemsDemoLot     = "SPR-5501"
	RemsDemoPatient = "Robin Alvarez"
)

// seedREMSSession records the demo's esketamine session and its REMS
// form's draft.
func seedREMSSession(ctx context.Context, st *store.Store, therapist, prescriber store.Actor, pt *store.Patient, at time.Time) error {
	id, err := seedSession(ctx, st, therapist, prescriber, pt, at, RemsDemoLot,
		store.Dose{Amount: "56 mg", Route: clinic.RouteIntranasal, Reason: "Esketamine (Spravato) 56 mg under the REMS, as agreed for this course."})
	if err != nil {
		return err
	}
	real := st.Now
	defer func() { st.Now = real }()
	st.Now = func() time.Time { return at.Add(3 * time.Hour) }
	_, err = st.SaveREMSForm(ctx, prescriber, pt.ID, id, store.REMSConfirm{ReadyAt: at.Add(125 * time.Minute), Sedation: "no", Dissociation: "yes", DissociationGone: "yes", SpO2: "98"})
	return err
}

// seedPastSession runs a whole dosing session for pt through the store, as
// if it had started at at: the gate, the dose, vitals at 40 minutes, a
// note, vitals before discharge and discharge. The store's clock is set
// back for it and put back after.
func seedPastSession(ctx context.Context, st *store.Store, therapist store.Actor, pt *store.Patient, at time.Time) error {
	_, err := seedSession(ctx, st, therapist, therapist, pt, at, "K-2291", store.Dose{Amount: "200 mg", Route: clinic.RouteSublingual})
	return err
}

// seedSession is seedPastSession with the dose given by doser from the
// lot numbered lot; it returns the session's id.
func seedSession(ctx context.Context, st *store.Store, therapist, doser store.Actor, pt *store.Patient, at time.Time, lot string, dose store.Dose) (string, error) {
	real := st.Now
	defer func() { st.Now = real }()
	clock := at
	st.Now = func() time.Time { return clock }
	n := func(v int) *int { return &v }
	id, err := st.StartDosingSession(ctx, therapist, pt.ID)
	if err != nil {
		return "", err
	}
	d, err := st.RecordGate(ctx, therapist, pt.ID, id, store.GateInput{MedsGiven: true,
		Medications: []string{"Sertraline 100 mg daily", "Vitamin D 2000 IU daily"}, MedsReviewed: true, Fasting: true,
		Pregnancy: clinic.PregnancyNotApplicable, Escort: "Partner", EscortOK: true,
		Vitals: &store.Vitals{ClientID: id + "-pre", Systolic: n(124), Diastolic: n(78), HeartRate: n(72), SpO2: n(98)}})
	if err != nil {
		return "", err
	}
	if len(d.Problems) > 0 {
		return "", fmt.Errorf("the gate did not pass: %v", d.Problems)
	}
	clock = at.Add(5 * time.Minute)
	lots, err := st.CSDoseLots(ctx, therapist) // the controlled-substance log's lots (seedControlled)
	if err != nil {
		return "", err
	}
	for _, l := range lots {
		if l.Lot == lot {
			dose.CSLot = l.ID
		}
	}
	if dose.CSLot == "" {
		return "", fmt.Errorf("no lot %s to draw the dose from", lot)
	}
	if err := st.RecordDose(ctx, doser, pt.ID, id, dose); err != nil {
		return "", err
	}
	clock = at.Add(46 * time.Minute)
	if _, err := st.RecordVitals(ctx, therapist, pt.ID, id, store.Vitals{ClientID: id + "-40", Phase: clinic.PhaseAfterDose, Systolic: n(136), Diastolic: n(86), HeartRate: n(80)}); err != nil {
		return "", err
	}
	clock = at.Add(70 * time.Minute)
	if err := st.RecordDosingEvent(ctx, therapist, pt.ID, id, store.DosingEvent{ClientID: id + "-note", Kind: "note", Body: "Eye shades on; some tearfulness about their father, then settled and calm."}); err != nil {
		return "", err
	}
	// Discharge after the minimum observation time (2 hours after the
	// dose), with the vitals before discharge taken minutes before.
	clock = at.Add(125 * time.Minute)
	if _, err := st.RecordVitals(ctx, therapist, pt.ID, id, store.Vitals{ClientID: id + "-out", Phase: clinic.PhasePreDischarge, Systolic: n(122), Diastolic: n(78), HeartRate: n(70), SpO2: n(98), MOAAS: n(5)}); err != nil {
		return "", err
	}
	clock = at.Add(130 * time.Minute)
	var all []string
	for _, c := range clinic.DischargeCriteria {
		all = append(all, c.Key)
	}
	return id, st.DischargeSession(ctx, therapist, pt.ID, id, all, "")
}

// seedAppointments books an intake session for a patient still in
// screening or medical evaluation, and the coming sessions of a cleared
// patient in preparation, dosing or integration: the next dosing session, the
// integration session after it, and the dosing session two weeks on
// (a preparation session first for those still preparing). Each patient's
// days are offset by their place in the list, so no therapist is booked
// twice at once.
func seedAppointments(ctx context.Context, st *store.Store, therapist store.Actor, pt *store.Patient, spec int) error {
	pp := patientPeople[spec]
	if len(pp.path) == 0 {
		return nil
	}
	last := pp.path[len(pp.path)-1]
	day := st.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 2+spec)
	if last == clinic.StageScreening || last == clinic.StageMedical {
		// Still being assessed: an intake session, at the practice's usual
		// length for it (Minutes 0).
		return st.CreateAppointment(ctx, therapist, pt.ID, &store.Appointment{Kind: "intake", StartsAt: day.Add(17 * time.Hour)})
	}
	if !pp.cleared || (last != clinic.StagePreparation && last != clinic.StageDosing && last != clinic.StageIntegration) {
		return nil
	}
	list := []store.Appointment{
		{Kind: "dosing", StartsAt: day.Add(15 * time.Hour), Minutes: 180},
		{Kind: "integration", StartsAt: day.AddDate(0, 0, 3).Add(20 * time.Hour), Minutes: 50},
		{Kind: "dosing", StartsAt: day.AddDate(0, 0, 14).Add(15 * time.Hour), Minutes: 180},
	}
	if last == clinic.StagePreparation {
		list = append([]store.Appointment{{Kind: "preparation", StartsAt: day.AddDate(0, 0, -1).Add(20 * time.Hour), Minutes: 50}}, list...)
	}
	rooms, err := st.Rooms(ctx)
	if err != nil {
		return err
	}
	for i := range list {
		for _, room := range rooms {
			// Dosing in the dosing room; talk sessions in the other.
			if room.Dosing == (list[i].Kind == "dosing") {
				list[i].RoomID = room.ID
			}
		}
		if err := st.CreateAppointment(ctx, therapist, pt.ID, &list[i]); err != nil {
			return fmt.Errorf("appointment %s: %w", list[i].Kind, err)
		}
	}
	return nil
}

// Seed fills an empty database with the demo practice and writes
// demo-logins.json in dataDir. On a database that already has accounts it
// changes nothing and returns the logins from the existing file; it fails
// when that file is missing, since the passwords cannot be recovered.
func Seed(ctx context.Context, st *store.Store, dataDir string, p auth.Params) ([]Login, error) {
	path := filepath.Join(dataDir, LoginsFile)
	n, err := st.CountUsers(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s already holds accounts but has no %s; start the demo with a new data directory", dataDir, LoginsFile)
		}
		if err != nil {
			return nil, err
		}
		var logins []Login
		if err := json.Unmarshal(b, &logins); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		return logins, nil
	}
	if err := st.SetSetting(ctx, store.System, "practice_name", PracticeName); err != nil {
		return nil, err
	}
	if err := st.SetSetting(ctx, store.System, "time_zone", "America/Chicago"); err != nil {
		return nil, err
	}
	// The practice's phone and email, which the portal gives patients to
	// change an appointment (invented: 555-01xx numbers are fictional).
	for k, v := range map[string]string{"practice_phone": "+1 (312) 555-0142", "practice_email": "office@willowcreek.example"} {
		if err := st.SetSetting(ctx, store.System, k, v); err != nil {
			return nil, err
		}
	}
	var logins []Login
	ids := map[string]string{} // email -> user id
	for _, sp := range staffPeople {
		l := Login{Role: sp.role, Name: sp.name, Email: sp.email, Password: auth.NewPassword()}
		if l.TOTPSecret, err = auth.NewTOTPSecret(PracticeName, sp.email); err != nil {
			return nil, err
		}
		hash, err := auth.HashPassword(l.Password, p)
		if err != nil {
			return nil, err
		}
		u := &clinic.User{Email: l.Email, DisplayName: l.Name, Credentials: sp.credentials, Role: l.Role}
		if err := st.CreateUserWithTOTP(ctx, store.System, u, hash, l.TOTPSecret); err != nil {
			return nil, fmt.Errorf("seed %s: %w", l.Email, err)
		}
		ids[sp.email] = u.ID
		logins = append(logins, l)
	}
	// Two rooms: one set up for dosing sessions, one for talk sessions.
	for _, sp := range staffPeople {
		if sp.role == clinic.RoleAdmin {
			admin := store.Actor{UserID: ids[sp.email], Role: clinic.RoleAdmin}
			for _, room := range []store.Room{{Name: "Garden room", Dosing: true}, {Name: "Office 2"}} {
				if err := st.CreateRoom(ctx, admin, &room); err != nil {
					return nil, fmt.Errorf("seed room: %w", err)
				}
			}
			if err := seedControlled(ctx, st, admin, ids); err != nil {
				return nil, fmt.Errorf("seed controlled substances: %w", err)
			}
			break
		}
	}
	if err := seedWebsite(ctx, st, ids); err != nil {
		return nil, err
	}
	prescriber := ids["priya.natarajan@riverbend-medical.example"]
	seeded := map[string]*store.Patient{}  // by name, for the notes
	asPatients := map[string]store.Actor{} // by name, for the messages
	for spec, pp := range patientPeople {
		owner := store.Actor{UserID: ids[pp.owner], Role: clinic.RoleTherapist}
		pt := &store.Patient{DisplayName: pp.name, Email: pp.email}
		if err := st.CreatePatient(ctx, owner, pt, ""); err != nil {
			return nil, fmt.Errorf("seed patient %s: %w", pp.email, err)
		}
		seeded[pp.name] = pt
		pt.BirthDate, pt.Pronouns, pt.TimeZone = pp.born, pp.pronouns, "America/Chicago"
		pt.SupportName, pt.SupportPhone = "A friend or partner", "+1 555 010 0199"
		if err := st.UpdatePatientDetails(ctx, owner, pt); err != nil {
			return nil, fmt.Errorf("seed details %s: %w", pp.email, err)
		}
		if pp.prescriber {
			if err := st.AddTeamMember(ctx, owner, pt.ID, prescriber); err != nil {
				return nil, err
			}
		}
		var asPatient store.Actor
		if !pp.portal {
			if err := seedCourse(ctx, st, owner, store.Actor{UserID: prescriber, Role: clinic.RolePrescriber}, pt, spec, asPatient); err != nil {
				return nil, fmt.Errorf("seed course %s: %w", pp.email, err)
			}
			continue
		}
		// The patient joins the portal the way every patient does: through an invitation.
		token := auth.NewToken()
		inv := &store.AuthToken{Hash: auth.HashToken(token), Purpose: store.TokenInvite, Email: pp.email, DisplayName: pp.name, Role: clinic.RolePatient, PatientID: pt.ID}
		if err := st.CreateToken(ctx, owner, inv); err != nil {
			return nil, err
		}
		l := Login{Role: clinic.RolePatient, Name: pp.name, Email: pp.email, Password: auth.NewPassword()}
		hash, err := auth.HashPassword(l.Password, p)
		if err != nil {
			return nil, err
		}
		u := &clinic.User{DisplayName: pp.name}
		if err := st.AcceptAccountToken(ctx, store.Actor{}, inv.Hash, store.TokenInvite, u, hash); err != nil {
			return nil, fmt.Errorf("seed portal account %s: %w", pp.email, err)
		}
		logins = append(logins, l)
		asPatient = store.Actor{UserID: u.ID, Role: clinic.RolePatient}
		asPatients[pp.name] = asPatient
		if err := seedCourse(ctx, st, owner, store.Actor{UserID: prescriber, Role: clinic.RolePrescriber}, pt, spec, asPatient); err != nil {
			return nil, fmt.Errorf("seed course %s: %w", pp.email, err)
		}
		if pp.name == skillsPatient {
			if err := seedSkills(ctx, st, pt, asPatient); err != nil {
				return nil, fmt.Errorf("seed skills %s: %w", pp.email, err)
			}
		}
		if pp.name == safetyPlanPatient {
			if err := seedSafetyPlan(ctx, st, owner, asPatient, pt); err != nil {
				return nil, fmt.Errorf("seed safety plan %s: %w", pp.email, err)
			}
		}
	}
	if err := seedFees(ctx, st, ids, seeded); err != nil { // before the attended sessions, which it charges
		return nil, fmt.Errorf("seed fees: %w", err)
	}
	if err := seedNotes(ctx, st, ids, seeded); err != nil {
		return nil, fmt.Errorf("seed notes: %w", err)
	}
	if err := seedPayments(ctx, st, ids, seeded); err != nil {
		return nil, fmt.Errorf("seed payments: %w", err)
	}
	if err := seedUnrecorded(ctx, st, ids, seeded); err != nil { // after the payments: it is charged only when recorded
		return nil, fmt.Errorf("seed a session to record: %w", err)
	}
	if err := seedMessages(ctx, st, ids, seeded, asPatients); err != nil {
		return nil, fmt.Errorf("seed messages: %w", err)
	}
	if err := seedBlog(ctx, st, ids); err != nil {
		return nil, err
	}
	if err := seedSuperbill(ctx, st, ids, seeded); err != nil {
		return nil, fmt.Errorf("seed superbill details: %w", err)
	}
	b, err := json.MarshalIndent(logins, "", "  ")
	if err != nil {
		return nil, err
	}
	// Written to a temporary file and renamed, so the file is whole or absent.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return logins, nil
}
