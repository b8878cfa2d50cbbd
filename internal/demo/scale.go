package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// ScaleDomain is the email domain of the patients Scale adds.
const ScaleDomain = "scale.willowcreek.example"

// ScaleEmail is the email of the i-th patient Scale adds (from 0).
func ScaleEmail(i int) string { return fmt.Sprintf("patient%05d@%s", i+1, ScaleDomain) }

// ScaleResult is what Scale added.
type ScaleResult struct {
	store.BulkCounts
	// Password is the portal password every added patient shares (they
	// are invented people; the demo prints it with their emails).
	Password string
	Elapsed  time.Duration
}

// Scale adds n invented patients with years of history to the demo
// practice Seed made: each owned by one of the demo's therapists in turn,
// with the prescriber on the team, a portal account (one shared password),
// weekly PHQ-9 and fortnightly GAD-7 check-ins along a plausible course
// (a baseline, then a response, partial response or none after a series
// of six dosing sessions), the appointments of that course with a signed
// note for each attended one, charged the demo's fee and paid by card at
// the session (but for one in seven, left owing), and a few message
// threads. Every check-in is scored by measure.Score, so its stored
// total, band and answers agree.
// The rows are written by store.SeedBulk in large transactions, audited
// once as demo.scale. The same seed gives the same practice. progress, if
// not nil, is called with the patients written so far. On a practice that
// already has the scaled patients it adds nothing.
func Scale(ctx context.Context, st *store.Store, n int, p auth.Params, seed uint64, progress func(done, total int)) (ScaleResult, error) {
	start := time.Now()
	var res ScaleResult
	if n <= 0 {
		return res, nil
	}
	if u, _, err := st.FindUserByEmail(ctx, ScaleEmail(0)); err == nil && u != nil {
		return res, fmt.Errorf("this demo practice already has its scaled patients (%s); start the demo with a new data directory to scale it again", ScaleEmail(0))
	}
	therapists, err := st.ListStaff(ctx, clinic.RoleTherapist)
	if err != nil {
		return res, err
	}
	prescribers, err := st.ListStaff(ctx, clinic.RolePrescriber)
	if err != nil {
		return res, err
	}
	if len(therapists) == 0 {
		return res, fmt.Errorf("the demo practice has no therapist to own the patients; seed it first")
	}
	res.Password = auth.NewPassword()
	hash, err := auth.HashPassword(res.Password, p)
	if err != nil {
		return res, err
	}
	g := scaleGen{now: st.Now().UTC().Truncate(time.Hour), hash: hash, seed: seed}
	for _, t := range therapists {
		g.therapists = append(g.therapists, t.ID)
	}
	for _, t := range prescribers {
		g.prescribers = append(g.prescribers, t.ID)
	}
	g.phq9, _ = measure.Get("phq9")
	g.gad7, _ = measure.Get("gad7")
	var genErr error
	next := func(i int) store.BulkPatient {
		bp, err := g.patient(i)
		if err != nil && genErr == nil {
			genErr = err
		}
		return bp
	}
	var prog func(int)
	if progress != nil {
		prog = func(done int) { progress(done, n) }
	}
	counts, err := st.SeedBulk(ctx, store.System, n, next, prog)
	if err == nil {
		err = genErr
	}
	res.BulkCounts, res.Elapsed = counts, time.Since(start)
	return res, err
}

// scaleGen makes the scaled patients.
type scaleGen struct {
	now                     time.Time
	hash                    string
	seed                    uint64
	therapists, prescribers []string
	phq9, gad7              measure.Instrument
}

var (
	firstNames = []string{"Alex", "Bailey", "Cameron", "Drew", "Emerson", "Finley", "Gray", "Harper", "Indigo", "Jamie", "Kai", "Logan",
		"Marlow", "Noor", "Oakley", "Parker", "Reese", "Sage", "Tatum", "Umi", "Val", "Wren", "Yael", "Zion", "Ana", "Ben", "Chloe", "Dev",
		"Elena", "Farid", "Grace", "Hiro", "Isla", "Jonah", "Kira", "Leo", "Maya", "Nico", "Omar", "Priya", "Rosa", "Theo"}
	lastNames = []string{"Abbott", "Bishop", "Castillo", "Dalton", "Eriksen", "Fischer", "Garcia", "Hayes", "Ibarra", "Jensen", "Kowalski",
		"Lindqvist", "Mendez", "Novak", "Okafor", "Petrov", "Quintero", "Russo", "Sato", "Tran", "Ueda", "Varga", "Walsh", "Xu", "Yilmaz", "Zamora"}
	pronounList = []string{"she/her", "he/him", "they/them", "", ""}
	subjects    = []string{"Question about my next session", "Sleep this week", "Rescheduling", "Feeling better", "A hard week", "Medication question"}
	fromPatient = []string{
		"Hi, is it OK to reschedule next week's session to the afternoon?",
		"This week was harder than last. Work has been a lot, but I have kept up the journaling.",
		"I noticed I am sleeping better since the last session. Should I keep the same evening routine?",
		"Thank you, that helps.",
		"Can my partner come to the integration session with me?",
	}
	fromTeam = []string{
		"Thanks for letting me know. Yes, we can move it; the office will confirm the new time.",
		"That sounds like a hard week. Let's make room for it on Thursday. If things get worse before then, call the number at the top of the portal.",
		"That is good to hear. Keep the routine; we will talk about it next session.",
	}
)

// course milestones, in weeks after the patient was added.
const (
	wkScreening   = 1
	wkMedical     = 3
	wkPreparation = 5
	wkDosing      = 7
	wkIntegration = 10
	wkFollowUp    = 14
)

// patient makes the i-th scaled patient.
func (g *scaleGen) patient(i int) (store.BulkPatient, error) {
	r := rand.New(rand.NewPCG(g.seed, uint64(i)))
	day := 24 * time.Hour
	week := 7 * day
	weeks := 4 + r.IntN(150) // how long ago they were added
	created := g.now.Add(-time.Duration(weeks)*week - time.Duration(r.IntN(7))*day).Truncate(day).Add(time.Duration(14+r.IntN(6)) * time.Hour)
	owner := g.therapists[i%len(g.therapists)]
	bp := store.BulkPatient{
		DisplayName: firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))],
		Email:       ScaleEmail(i),
		BirthDate:   fmt.Sprintf("%d-%02d-%02d", 1950+r.IntN(55), 1+r.IntN(12), 1+r.IntN(28)),
		Pronouns:    pronounList[r.IntN(len(pronounList))],
		TZ:          "America/Chicago",
		OwnerID:     owner,
		CreatedAt:   created,
		Stage:       clinic.StageInquiry,
		// Every portal account shares one hash: one password for the invented patients.
		PasswordHash: g.hash,
	}
	if len(g.prescribers) > 0 {
		bp.PrescriberID = g.prescribers[i%len(g.prescribers)]
	}
	at := func(w int, hour int) time.Time {
		return created.Truncate(day).Add(time.Duration(w)*week + time.Duration(hour)*time.Hour)
	}
	past := func(t time.Time) bool { return t.Before(g.now) }
	move := func(to clinic.Stage, t time.Time, reason string) {
		if !past(t) {
			return
		}
		bp.Stages = append(bp.Stages, store.BulkStage{From: bp.Stage, To: to, At: t, Reason: reason})
		bp.Stage = to
	}
	intake := demoIntake("clean")
	bp.Intake = &intake
	notEligible := r.IntN(100) < 6
	move(clinic.StageScreening, at(wkScreening, 15), "")
	if notEligible {
		move(clinic.StageNotEligible, at(wkScreening+1, 16), "Screening found a contraindication; referred for other treatment options.")
	} else {
		move(clinic.StageMedical, at(wkMedical, 15), "")
		if past(at(wkPreparation, 16)) && bp.PrescriberID != "" {
			bp.ClearedAt = at(wkPreparation, 16)
		}
		move(clinic.StagePreparation, at(wkPreparation, 17), "")
		move(clinic.StageDosing, at(wkDosing, 14), "")
		move(clinic.StageIntegration, at(wkIntegration, 15), "")
		move(clinic.StageFollowUp, at(wkFollowUp, 15), "")
	}
	closeAt := 0 // week the course closed; 0: open
	if !notEligible && weeks > 40 && r.IntN(100) < 45 {
		closeAt = 30 + r.IntN(weeks-30)
		move(clinic.StageClosed, at(closeAt, 16), "Series complete; follow-up finished.")
		t := at(closeAt, 16)
		bp.Closed = &t
	}
	lastWeek := weeks // the last week with check-ins
	switch {
	case notEligible:
		lastWeek = min(weeks, wkScreening+1)
	case closeAt > 0:
		lastWeek = closeAt
	}
	if !notEligible {
		bp.AssignedPHQ9, bp.AssignedGA = at(0, 16), at(0, 16)
	}

	// The course of scores: a baseline, the series from wkDosing, then a
	// response, a partial response or none, with week-to-week noise.
	base := 14 + r.Float64()*9
	final := base
	switch k := r.IntN(100); {
	case k < 55:
		final = base * (0.2 + 0.25*r.Float64())
	case k < 80:
		final = base * (0.55 + 0.2*r.Float64())
	default:
		final = base * (0.9 + 0.15*r.Float64())
	}
	relapse := r.IntN(100) < 20
	score := func(w int) float64 {
		if notEligible || w < wkDosing {
			return base
		}
		x := base + (final-base)*(1-math.Exp(-float64(w-wkDosing)/3))
		if relapse && w > wkFollowUp+12 {
			x += math.Min(6, float64(w-wkFollowUp-12)/8)
		}
		return x
	}
	for w := 0; w <= lastWeek; w++ {
		if r.IntN(100) < 12 { // a missed week
			continue
		}
		t := at(w, 13+r.IntN(8)).Add(time.Duration(r.IntN(60)) * time.Minute)
		if !past(t) {
			break
		}
		phq := clampInt(int(math.Round(score(w)+r.NormFloat64()*1.6)), 0, 24)
		c, err := g.checkin(r, g.phq9, phq, t)
		if err != nil {
			return bp, err
		}
		bp.Checkins = append(bp.Checkins, c)
		if w%2 == 0 {
			gad := clampInt(int(math.Round(score(w)*0.75+r.NormFloat64()*1.5)), 0, 21)
			c, err := g.checkin(r, g.gad7, gad, t.Add(4*time.Minute))
			if err != nil {
				return bp, err
			}
			bp.Checkins = append(bp.Checkins, c)
		}
	}

	// Appointments: intake, medical evaluation, preparation, six dosing
	// sessions (twice a week) each followed by integration the next day,
	// then monthly follow-ups until the course closed, and one upcoming.
	appt := func(kind string, t time.Time, minutes int, clinician string, dose string) {
		a := store.BulkAppointment{Kind: kind, StartsAt: t, Minutes: minutes, ClinicianID: clinician, DoseMG: dose}
		if past(t.Add(time.Duration(minutes+120) * time.Minute)) {
			a.Attended = true
			a.NoteFormat, a.Note = scaleNote(r, kind)
			// Charged the demo's fee; paid at the end of the session, but
			// for one session in seven, left owing.
			for _, f := range demoFees {
				if f.Kind == kind {
					a.FeeCents, a.Code, a.Description = f.Cents, f.Code, f.Description
				}
			}
			a.Paid = (i+len(bp.Appointments))%7 != 3
		} else {
			a.DoseMG = ""
		}
		bp.Appointments = append(bp.Appointments, a)
	}
	appt("intake", at(0, 15), 50, owner, "")
	if !notEligible {
		evalBy := owner
		if bp.PrescriberID != "" {
			evalBy = bp.PrescriberID
		}
		appt("medical_evaluation", at(wkMedical, 17), 50, evalBy, "")
		appt("preparation", at(wkPreparation+1, 15), 50, owner, "")
		for k, d := range []int{0, 3, 7, 10, 14, 17} {
			t := at(wkDosing, 14).Add(time.Duration(d) * day)
			if !past(t) && k > 0 && !past(bp.Appointments[len(bp.Appointments)-1].StartsAt) {
				break // one upcoming session is enough
			}
			appt("dosing", t, 180, owner, []string{"100 mg", "150 mg", "200 mg", "200 mg", "200 mg", "200 mg"}[k])
			appt("integration", t.Add(day+time.Hour), 50, owner, "")
		}
		end := weeks + 4
		if closeAt > 0 {
			end = closeAt
		}
		for w := wkFollowUp; w <= end; w += 4 {
			t := at(w, 16)
			appt("follow_up", t, 50, owner, "")
			if !past(t) {
				break
			}
		}
	}

	// A few conversations over the years; one in ten ends with a message
	// the care team has not read yet.
	for k := r.IntN(4); k > 0; k-- {
		t := created.Add(time.Duration(r.Int64N(int64(g.now.Sub(created)))))
		th := store.BulkThread{Subject: subjects[r.IntN(len(subjects))], Unread: r.IntN(10) == 0}
		for m := 0; m < 1+r.IntN(4) && past(t); m++ {
			msg := store.BulkMessage{FromPatient: m%2 == 0, At: t}
			if msg.FromPatient {
				msg.Body = fromPatient[r.IntN(len(fromPatient))]
			} else {
				msg.AuthorID, msg.Body = owner, fromTeam[r.IntN(len(fromTeam))]
			}
			th.Messages = append(th.Messages, msg)
			t = t.Add(time.Duration(2+r.IntN(40)) * time.Hour)
		}
		if n := len(th.Messages); n > 0 && !th.Messages[n-1].FromPatient {
			th.Unread = false
		}
		bp.Threads = append(bp.Threads, th)
	}
	return bp, nil
}

// checkin answers inst with total spread at random over its items (the
// PHQ-9's item 9 always "not at all": the scaled practice raises no
// safety alerts), scored by measure.Score.
func (g *scaleGen) checkin(r *rand.Rand, inst measure.Instrument, total int, at time.Time) (store.BulkCheckin, error) {
	a := measure.Answers{}
	var ids []string
	for _, it := range inst.Items {
		if !it.Scored {
			continue
		}
		a[it.ID] = 0
		if !it.Risk {
			ids = append(ids, it.ID)
		}
	}
	if max := 3 * len(ids); total > max {
		total = max
	}
	for total > 0 {
		id := ids[r.IntN(len(ids))]
		if a[id] < 3 {
			a[id]++
			total--
		}
	}
	res, err := measure.Score(inst, a)
	if err != nil {
		return store.BulkCheckin{}, fmt.Errorf("scale: %s: %w", inst.ID, err)
	}
	return store.BulkCheckin{Instrument: inst.ID, Answers: a, Result: res, At: at}, nil
}

// scaleNote is a short signed note for an attended appointment of kind.
func scaleNote(r *rand.Rand, kind string) (string, map[string]string) {
	data := map[string]string{
		"intake":             "Intake interview: history of depression over several years, two medication trials. Goals agreed.",
		"medical_evaluation": "Medical evaluation: vitals within range; medications reviewed; no contraindications found.",
		"preparation":        "Preparation: intentions, music and eye shades agreed; support person and ride home confirmed.",
		"dosing":             "Dosing session: dose taken as prescribed; vitals stable throughout; discharged with support person.",
		"integration":        "Integration: reflected on the session; themes of self-compassion and reconnection came up.",
		"follow_up":          "Follow-up: mood steadier; sleep improved; keeping up journaling and walks.",
	}[kind]
	plans := []string{"Continue as planned; next session booked.", "Journal each morning; review at next session.", "Keep the routine; call if things get harder."}
	return clinic.NoteDAP, map[string]string{
		"data":       data,
		"assessment": "No safety concerns today.",
		"plan":       plans[r.IntN(len(plans))],
	}
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

// ScaleFile is the name of the file, in the data directory, that says how
// many patients Scale added and their shared portal password.
const ScaleFile = "demo-scale.json"

// ScaleInfo is what ScaleFile holds.
type ScaleInfo struct {
	Patients   int    `json:"patients"`
	Password   string `json:"password"`
	FirstEmail string `json:"first_email"`
	LastEmail  string `json:"last_email"`
}

// WriteScaleInfo writes ScaleFile in dir (whole or not at all).
func WriteScaleInfo(dir string, info ScaleInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, ScaleFile)
	if err := os.WriteFile(path+".tmp", append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// ReadScaleInfo reads ScaleFile in dir; ok is false when there is none.
func ReadScaleInfo(dir string) (info ScaleInfo, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, ScaleFile))
	if errors.Is(err, os.ErrNotExist) {
		return info, false, nil
	}
	if err != nil {
		return info, false, err
	}
	return info, true, json.Unmarshal(b, &info)
}
