package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
)

// BulkPatient is one invented patient with their whole history, as
// SeedBulk writes it: made by the demo's --scale generator (package demo),
// which scores every check-in through package measure before it gets here.
type BulkPatient struct {
	DisplayName, Email       string
	BirthDate, Pronouns, TZ  string
	OwnerID, PrescriberID    string // the owning therapist; the prescriber on the team ("" for none)
	CreatedAt                time.Time
	Stage                    clinic.Stage
	Closed                   *time.Time // the course's end, when the stage is closed
	PasswordHash             string     // "" for no portal account
	Stages                   []BulkStage
	Intake                   *clinic.Intake
	ClearedAt                time.Time // zero: no evaluation, clearance or prescription
	Checkins                 []BulkCheckin
	Appointments             []BulkAppointment
	Threads                  []BulkThread
	AssignedPHQ9, AssignedGA time.Time // when PHQ-9 (weekly) and GAD-7 (before sessions) were assigned; zero: never
}

// BulkStage is one move of the course of treatment.
type BulkStage struct {
	From, To clinic.Stage
	Reason   string
	At       time.Time
}

// BulkCheckin is one completed questionnaire, already scored (measure.Score).
type BulkCheckin struct {
	Instrument string
	Answers    measure.Answers
	Result     measure.Result
	At         time.Time
}

// BulkAppointment is one past or future appointment; a dosing one may carry
// its (discharged) session, and an attended one its signed note.
type BulkAppointment struct {
	Kind        string
	StartsAt    time.Time
	Minutes     int
	ClinicianID string
	Attended    bool
	DoseMG      string // a dosing appointment: the dose given ("" for none)
	Note        map[string]string
	NoteFormat  string
	// An attended one is charged FeeCents (0: no charge) for service
	// Code, described by Description; Paid: paid in full on the day.
	FeeCents    int64
	Code        string
	Description string
	Paid        bool
}

// BulkThread is one conversation started by the patient.
type BulkThread struct {
	Subject  string
	Messages []BulkMessage
	Unread   bool // the care team has not read the last message
}

// BulkMessage is one message of a thread.
type BulkMessage struct {
	FromPatient bool
	AuthorID    string // a clinician's id; a patient's message is written by their account
	Body        string
	At          time.Time
}

// BulkCounts is what SeedBulk wrote.
type BulkCounts struct {
	Patients, Checkins, Appointments, DosingSessions, Notes, Messages int
}

// String is the counts as the demo.scale audit row's detail.
func (c BulkCounts) String() string {
	return fmt.Sprintf("patients=%d checkins=%d appointments=%d dosing=%d notes=%d messages=%d",
		c.Patients, c.Checkins, c.Appointments, c.DosingSessions, c.Notes, c.Messages)
}

// bulkChunk is how many patients go into one transaction of SeedBulk.
const bulkChunk = 250

// SeedBulk writes patients, made by next (called with 0..n-1), in large
// transactions of bulkChunk patients with multi-row statements prepared
// once per transaction, calling progress after each commit. It is for the
// demo practice only (kapstone demo --scale): the rows are written as they
// are, without the per-row checks and audit rows of the app's own writes,
// and the whole run is one audit row, demo.scale, with the counts, in the
// last transaction. Every table a page reads is kept consistent with the
// rows written (courses, stages, check-in versions, each course's outcome
// summary, the notes' signed marks on appointments: bulkDerived). Only the system may.
func (s *Store) SeedBulk(ctx context.Context, actor Actor, n int, next func(i int) BulkPatient, progress func(done int)) (BulkCounts, error) {
	var total BulkCounts
	if actor != System {
		return total, clinic.Errorf(clinic.EForbidden, "Only the demo seeds patients in bulk.")
	}
	// Each course's outcome summary (outcome_courses) is made with the
	// generated check-ins, for the practice's window as it is now (a row
	// made for another is computed again before it is read).
	window, err := s.OutcomeWindow(ctx)
	if err != nil {
		return total, err
	}
	// A payment's month is the practice's (as monthOf has it).
	loc := time.UTC
	if zone, err := s.Setting(ctx, settingZone, ""); err == nil && zone != "" {
		if l, lerr := time.LoadLocation(zone); lerr == nil {
			loc = l
		}
	}
	// The next chunk is made (and its rows encoded) while this one is
	// written: on two cores, generation and SQLite each have one.
	chunks := make(chan *bulk, 1)
	gctx, stop := context.WithCancel(ctx)
	defer func() {
		// The maker has stopped (chunks closed) before SeedBulk returns,
		// so next is never called after.
		stop()
		for range chunks {
		}
	}()
	go func() {
		defer close(chunks)
		for start := 0; start < n; start += bulkChunk {
			b := newBulk(s.d)
			b.window, b.loc = window, loc
			for i := start; i < min(start+bulkChunk, n); i++ {
				b.add(next(i))
			}
			select {
			case chunks <- b:
			case <-gctx.Done():
				return
			}
		}
	}()
	restore := ""
	defer func() {
		if restore != "" {
			s.w.ExecContext(context.WithoutCancel(ctx), restore)
		}
	}()
	for b := range chunks {
		last := total.Patients+b.counts.Patients == n
		err := s.write(ctx, func(tx *Tx) error {
			var err error
			if restore, err = s.d.bulkBegin(tx.ctx(ctx), tx.tx); err != nil {
				return err
			}
			if err := b.flush(ctx, tx); err != nil {
				return err
			}
			if err := bulkDerived(ctx, tx, b.patientIDs); err != nil {
				return err
			}
			if last {
				c := total
				c.add(b.counts)
				return s.appendAudit(ctx, tx, actor, Entry{Action: "demo.scale", ObjectType: "practice", Detail: c.String()})
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total.add(b.counts)
		if progress != nil {
			progress(total.Patients)
		}
	}
	return total, ctx.Err()
}

func (c *BulkCounts) add(o BulkCounts) {
	c.Patients += o.Patients
	c.Checkins += o.Checkins
	c.Appointments += o.Appointments
	c.DosingSessions += o.DosingSessions
	c.Notes += o.Notes
	c.Messages += o.Messages
}

// bulkDerived fills, for the patients just written, the tables kept from
// others in the app's own transactions that the rows of flush do not
// already cover (the appointments' note_signed_at is set by the notes
// trigger itself): message_unread, from their messages and reads (as
// syncUnread keeps it), one statement per MaxCaseloadBatch patients.
func bulkDerived(ctx context.Context, tx *Tx, patientIDs []string) error {
	for ids := range slices.Chunk(patientIDs, MaxCaseloadBatch) {
		args := make([]any, len(ids))
		ph := make([]string, len(ids))
		for i, id := range ids {
			args[i], ph[i] = id, "$"+strconv.Itoa(i+1)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO message_unread (user_id, thread_id, patient_id, n)
			SELECT c.user_id, t.id, t.patient_id, count(*) FROM care_team c
			JOIN message_threads t ON t.patient_id = c.patient_id
			JOIN messages m ON m.thread_id = t.id AND m.from_patient
			LEFT JOIN message_reads r ON r.thread_id = t.id AND r.user_id = c.user_id
			WHERE c.patient_id IN (`+strings.Join(ph, ", ")+`) AND c.removed_at IS NULL AND m.seq > coalesce(r.read_seq, 0)
			GROUP BY c.user_id, t.id, t.patient_id`, args...); err != nil {
			return err
		}
	}
	return nil
}

// bulkTable buffers the rows of one table.
type bulkTable struct {
	name string
	cols []string
	args []any
}

func (t *bulkTable) row(vals ...any) {
	if len(vals) != len(t.cols) {
		panic(fmt.Sprintf("bulk %s: %d values for %d columns", t.name, len(vals), len(t.cols)))
	}
	t.args = append(t.args, vals...)
}

// bulk is one transaction's rows, table by table in the order they must be
// inserted (a row's parent before it).
type bulk struct {
	d          *dialect
	tables     []*bulkTable
	byName     map[string]*bulkTable
	patientIDs []string
	counts     BulkCounts
	window     measure.Window // the follow-up window of the outcome summaries made
	loc        *time.Location // the practice's zone, for a payment's month
}

func newBulk(d *dialect) *bulk {
	b := &bulk{d: d, byName: map[string]*bulkTable{}}
	for _, t := range []struct{ name, cols string }{
		{"users", "id, email, email_lower, display_name, role, password_hash, created_by, created_at, updated_at"},
		{"patients", "id, user_id, display_name, email, created_by, created_at, updated_at, birth_date, pronouns, time_zone, stage, support_name, support_phone"},
		{"courses", "id, patient_id, number, started_at, closed_at"},
		{"care_team", "id, patient_id, user_id, team_role, is_owner, added_by, added_at"},
		{"stage_changes", "id, patient_id, from_stage, to_stage, reason, actor_id, at"},
		{"intakes", "id, patient_id, version, submitted, body, author_id, created_at"},
		{"evaluations", "id, patient_id, recommendation, summary, author_id, created_at"},
		{"clearances", "id, patient_id, decision, reason, intake_version, prescriber_id, created_at"},
		{"prescriptions", "id, patient_id, number, drug, route, strength, dose, dose_mg, sessions_authorised, prescriber_id, created_at"},
		{"measure_assignments", "id, patient_id, instrument, cadence, assigned_by, assigned_at"},
		{"checkins", "id, patient_id, instrument, status, answers, total, band, risk, author_id, started_at, completed_at, course_id"},
		{"checkin_answers", "id, checkin_id, version, answers, author_id, saved_at"},
		{"outcome_courses", outcomeCourseColumns},
		{"appointments", "id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at, outcome, updated_at"},
		{"dosing_sessions", "id, patient_id, appointment_id, clinician_id, status, created_at, gate_passed_at, gate_passed_by, dose_at, dose_amount, dose_route, dosed_by, discharged_at, discharged_by, discharge, updated_at, dose_prescribed"},
		{"notes", "id, patient_id, appointment_id, kind, format, sections, author_id, status, signed_by, signed_at, content_hash, created_at, updated_at"},
		{"message_threads", "id, patient_id, subject, started_by, created_at, last_seq, last_at"},
		{"messages", "id, thread_id, patient_id, seq, author_id, from_patient, body, risk, created_at"},
		{"message_reads", "thread_id, user_id, read_seq, read_at"},
		// The ledger (billing_balances is kept by its triggers).
		{"charges", "id, patient_id, kind, appointment_id, clinician_id, service_code, description, amount_cents, currency, service_date, created_by, created_at"},
		{"payments", "id, patient_id, amount_cents, currency, method, reference, received_at, month, recorded_by, recorded_at"},
		{"payment_applications", "id, payment_id, charge_id, patient_id, amount_cents, created_by, created_at"},
	} {
		bt := &bulkTable{name: t.name, cols: strings.Split(t.cols, ", ")}
		b.tables = append(b.tables, bt)
		b.byName[t.name] = bt
	}
	return b
}

// ts is a time as Tx stores it, encoded by the dialect (bulkTime) here,
// where the rows are made, and not by the driver in the writer.
func (b *bulk) ts(t time.Time) any { return b.d.bulkTime(t.UTC().Truncate(time.Microsecond)) }

// tsp is a nullable time as Tx stores it.
func (b *bulk) tsp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return b.ts(*t)
}

// add buffers p's rows.
func (b *bulk) add(p BulkPatient) {
	t := b.byName
	pid := NewID()
	b.patientIDs = append(b.patientIDs, pid)
	b.counts.Patients++
	var userID any
	if p.PasswordHash != "" {
		uid := NewID()
		userID = uid
		t["users"].row(uid, p.Email, strings.ToLower(p.Email), p.DisplayName, string(clinic.RolePatient), p.PasswordHash, p.OwnerID, b.ts(p.CreatedAt), b.ts(p.CreatedAt))
	}
	t["patients"].row(pid, userID, p.DisplayName, p.Email, p.OwnerID, b.ts(p.CreatedAt), b.ts(p.CreatedAt), p.BirthDate, p.Pronouns, p.TZ, string(p.Stage), "A friend or partner", "+1 555 010 0199")
	course := NewID()
	t["courses"].row(course, pid, 1, b.ts(p.CreatedAt), b.tsp(p.Closed))
	t["care_team"].row(NewID(), pid, p.OwnerID, "therapist", true, p.OwnerID, b.ts(p.CreatedAt))
	if p.PrescriberID != "" {
		t["care_team"].row(NewID(), pid, p.PrescriberID, "prescriber", false, p.OwnerID, b.ts(p.CreatedAt))
	}
	t["stage_changes"].row(NewID(), pid, "", string(clinic.StageInquiry), "Added to the practice", p.OwnerID, b.ts(p.CreatedAt))
	for _, sc := range p.Stages {
		t["stage_changes"].row(NewID(), pid, string(sc.From), string(sc.To), sc.Reason, p.OwnerID, b.ts(sc.At))
	}
	if p.Intake != nil {
		body, _ := json.Marshal(p.Intake)
		author := p.OwnerID
		if userID != nil {
			author = userID.(string)
		}
		t["intakes"].row(NewID(), pid, 1, true, string(body), author, b.ts(p.CreatedAt.Add(48*time.Hour)))
	}
	if !p.ClearedAt.IsZero() && p.PrescriberID != "" {
		t["evaluations"].row(NewID(), pid, "suitable", "Treatment-resistant depression; good insight and support at home. Recommend KAP.", p.OwnerID, b.ts(p.ClearedAt.Add(-72*time.Hour)))
		t["clearances"].row(NewID(), pid, "cleared", "Normotensive at evaluation; no contraindications.", 1, p.PrescriberID, b.ts(p.ClearedAt))
		t["prescriptions"].row(NewID(), pid, 1, clinic.DefaultDrug, string(clinic.RouteSublingual), "100 mg rapid-dissolve tablet", "200 mg", 200, 6, p.PrescriberID, b.ts(p.ClearedAt.Add(time.Hour)))
	}
	if !p.AssignedPHQ9.IsZero() {
		t["measure_assignments"].row(NewID(), pid, "phq9", "weekly", p.OwnerID, b.ts(p.AssignedPHQ9))
	}
	if !p.AssignedGA.IsZero() {
		t["measure_assignments"].row(NewID(), pid, "gad7", "before_session", p.OwnerID, b.ts(p.AssignedGA))
	}
	scores := map[string][]courseScore{} // by instrument: every check-in is in the patient's one course
	for _, c := range p.Checkins {
		id := NewID()
		body, _ := json.Marshal(c.Answers)
		at := b.ts(c.At)
		author := p.OwnerID
		if userID != nil {
			author = userID.(string)
		}
		t["checkins"].row(id, pid, c.Instrument, "complete", string(body), c.Result.Total, c.Result.Band.Label, string(c.Result.Risk), author, b.ts(c.At.Add(-3*time.Minute)), at, course)
		t["checkin_answers"].row(NewID(), id, 1, string(body), author, at)
		b.counts.Checkins++
		scores[c.Instrument] = append(scores[c.Instrument], courseScore{id: id, Point: measure.Point{At: c.At.UTC().Truncate(time.Microsecond), Total: c.Result.Total}})
	}
	b.outcomeCourses(pid, scores)
	for _, a := range p.Appointments {
		id := NewID()
		outcome := ""
		if a.Attended {
			outcome = "attended"
		}
		created := a.StartsAt.Add(-7 * 24 * time.Hour)
		if created.Before(p.CreatedAt) {
			created = p.CreatedAt
		}
		t["appointments"].row(id, pid, a.Kind, b.ts(a.StartsAt), a.Minutes, a.ClinicianID, p.OwnerID, b.ts(created), outcome, b.ts(created))
		b.counts.Appointments++
		if a.Attended && a.FeeCents > 0 {
			charged := a.StartsAt.Add(time.Duration(a.Minutes) * time.Minute)
			charge := NewID()
			t["charges"].row(charge, pid, "service", id, a.ClinicianID, a.Code, a.Description, a.FeeCents, "USD", b.ts(a.StartsAt), a.ClinicianID, b.ts(charged))
			if a.Paid {
				paid := charged.Add(5 * time.Minute)
				payment := NewID()
				t["payments"].row(payment, pid, a.FeeCents, "USD", "card_terminal", "", b.ts(paid), paid.In(b.loc).Format("2006-01"), a.ClinicianID, b.ts(paid))
				t["payment_applications"].row(NewID(), payment, charge, pid, a.FeeCents, a.ClinicianID, b.ts(paid))
			}
		}
		if a.DoseMG != "" {
			at := a.StartsAt
			dose, out := b.ts(at.Add(20*time.Minute)), b.ts(at.Add(160*time.Minute))
			var met []string
			for _, c := range clinic.DischargeCriteria {
				met = append(met, c.Key)
			}
			t["dosing_sessions"].row(NewID(), pid, id, a.ClinicianID, "discharged", b.ts(at), b.ts(at.Add(15*time.Minute)), a.ClinicianID, dose, a.DoseMG, string(clinic.RouteSublingual), a.ClinicianID, out, a.ClinicianID, strings.Join(met, ","), out, a.DoseMG)
			b.counts.DosingSessions++
		}
		if a.Note != nil {
			signed := a.StartsAt.Add(time.Duration(a.Minutes+90) * time.Minute).UTC().Truncate(time.Second)
			sn := clinic.SignedNote{Format: a.NoteFormat, Sections: a.Note, AuthorID: a.ClinicianID, PatientID: pid, AppointmentID: id, SignedAt: signed}
			body, _ := json.Marshal(a.Note)
			t["notes"].row(NewID(), pid, id, a.Kind, a.NoteFormat, string(body), a.ClinicianID, "signed", a.ClinicianID, b.ts(signed), sn.Hash(), b.ts(a.StartsAt.Add(time.Duration(a.Minutes)*time.Minute)), b.ts(signed))
			b.counts.Notes++
		}
	}
	for _, th := range p.Threads {
		if userID == nil || len(th.Messages) == 0 {
			continue
		}
		id := NewID()
		last := th.Messages[len(th.Messages)-1]
		t["message_threads"].row(id, pid, th.Subject, userID, b.ts(th.Messages[0].At), len(th.Messages), b.ts(last.At))
		patientRead, teamRead := 0, 0
		for i, m := range th.Messages {
			author := m.AuthorID
			if m.FromPatient {
				author = userID.(string)
				patientRead = i + 1
				if !th.Unread || i < len(th.Messages)-1 {
					teamRead = i + 1
				}
			} else {
				teamRead, patientRead = i+1, i+1
			}
			t["messages"].row(NewID(), id, pid, i+1, author, m.FromPatient, m.Body, false, b.ts(m.At))
			b.counts.Messages++
		}
		if patientRead > 0 {
			t["message_reads"].row(id, userID, patientRead, b.ts(th.Messages[patientRead-1].At))
		}
		if teamRead > 0 {
			t["message_reads"].row(id, p.OwnerID, teamRead, b.ts(th.Messages[teamRead-1].At.Add(2*time.Hour)))
		}
	}
}

// outcomeCourses buffers the outcome summary of patient pid's one course
// on each instrument (summarizeScores, as a completion keeps it).
func (b *bulk) outcomeCourses(pid string, scores map[string][]courseScore) {
	insts := make([]string, 0, len(scores))
	for inst := range scores {
		insts = append(insts, inst)
	}
	slices.Sort(insts)
	for _, inst := range insts {
		sc := scores[inst]
		slices.SortStableFunc(sc, func(x, y courseScore) int {
			if c := x.At.Compare(y.At); c != 0 {
				return c
			}
			return strings.Compare(x.id, y.id)
		})
		k, ok := summarizeScores(sc, b.window)
		if !ok {
			continue
		}
		var fuID, fuAt, fuTotal any
		if k.sum.HasFollowUp {
			fuID, fuAt, fuTotal = k.followUpID, b.ts(k.sum.FollowUp.At), k.sum.FollowUp.Total
		}
		b.byName["outcome_courses"].row(pid, inst, 1, k.sum.Scores, k.baselineID, b.ts(k.sum.Baseline.At), k.sum.Baseline.Total,
			k.latestID, b.ts(k.sum.Latest.At), k.sum.Latest.Total, b.window.String(), fuID, fuAt, fuTotal, k.sum.Period(b.window))
	}
}

// bulkRowsPerStatement is how many rows one prepared INSERT carries, so
// that no statement has more than ~900 parameters (below SQLite's and
// PostgreSQL's limits, and small enough to prepare quickly).
func bulkRowsPerStatement(cols int) int { return max(1, 900/cols) }

// flush inserts every buffered row, table by table in order: full
// statements through one prepared statement per table, the rest through
// one more.
func (b *bulk) flush(ctx context.Context, tx *Tx) error {
	for _, t := range b.tables {
		if len(t.args) == 0 {
			continue
		}
		ncol := len(t.cols)
		per := bulkRowsPerStatement(ncol)
		rows := len(t.args) / ncol
		// Statements of a grouped write are never interrupted (Tx.ctx):
		// SQLite would roll back the whole group.
		ctx := tx.ctx(ctx)
		var full *sql.Stmt
		i := 0
		for ; rows-i >= per; i += per {
			if full == nil {
				var err error
				if full, err = tx.tx.PrepareContext(ctx, b.d.query(insertRows(t, per))); err != nil {
					return fmt.Errorf("bulk %s: %w", t.name, err)
				}
				defer full.Close()
			}
			if _, err := full.ExecContext(ctx, t.args[i*ncol:(i+per)*ncol]...); err != nil {
				return fmt.Errorf("bulk %s: %w", t.name, err)
			}
		}
		if i < rows {
			if _, err := tx.tx.ExecContext(ctx, b.d.query(insertRows(t, rows-i)), t.args[i*ncol:]...); err != nil {
				return fmt.Errorf("bulk %s: %w", t.name, err)
			}
		}
	}
	return nil
}

// insertRows is an INSERT of n rows into t with $N placeholders.
func insertRows(t *bulkTable, n int) string {
	var q strings.Builder
	q.WriteString("INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES ")
	p := 1
	for r := range n {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for c := range t.cols {
			if c > 0 {
				q.WriteString(", ")
			}
			q.WriteString("$" + strconv.Itoa(p))
			p++
		}
		q.WriteByte(')')
	}
	return q.String()
}
