package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Superbills and statements as documents (issue 21): everything one PDF
// says, read in one transaction with one audit row, and the record of
// the ones staff sent to the patient (an email without content that
// points to the portal).

// JobStatementEmail is the job kind of the email that tells a patient a
// superbill or statement waits in their portal (internal/mailjob).
const JobStatementEmail = "statement.email"

// Document kinds a patient can be sent.
const (
	DocSuperbill = "superbill"
	DocStatement = "statement"
)

// BillingPatient is who a superbill or statement is for.
type BillingPatient struct {
	ID, DisplayName, LegalName, BirthDate string
	Address                               clinic.Address
}

// SuperbillDoc is all a superbill says: the practice's block, the
// patient's, their current diagnoses (the primary first), and the
// services of the period with each rendering clinician's NPI.
type SuperbillDoc struct {
	Practice  PracticeSettings
	Patient   BillingPatient
	Diagnoses []Diagnosis       // current only, in rank order
	NPI       map[string]string // clinician id -> their own NPI ("" when not given)
	*Superbill
}

// TreatmentCourse is one of a patient's treatment courses as a period a
// superbill can cover: from its start to its close (or to now while open).
type TreatmentCourse struct {
	Number   int
	From, To time.Time
	Open     bool
}

func billingPatientIn(ctx context.Context, tx *Tx, patientID string) (BillingPatient, error) {
	p := BillingPatient{ID: patientID}
	err := tx.QueryRow(ctx, `SELECT display_name, legal_name, birth_date, address_line1, address_line2, address_city, address_state, address_postal_code
		FROM patients WHERE id = $1`, patientID).Scan(&p.DisplayName, &p.LegalName, &p.BirthDate,
		&p.Address.Line1, &p.Address.Line2, &p.Address.City, &p.Address.State, &p.Address.PostalCode)
	return p, err
}

// SuperbillDocument reads a superbill of patientID for [from, to)
// (PermBillingRead: the patient themself, the care team's therapist,
// admins): the practice's name, address, phone, tax id and NPI; the
// patient's legal name, date of birth and address; their current
// diagnoses (read here, in the same transaction: a patient may read their
// own superbill without reading their chart); each service with its
// clinician's name, credentials and NPI. One audit row.
func (s *Store) SuperbillDocument(ctx context.Context, actor Actor, patientID string, from, to time.Time) (*SuperbillDoc, error) {
	return s.PackageSuperbillDocument(ctx, actor, patientID, "", from, to)
}

// PackageSuperbillDocument is SuperbillDocument narrowed, when
// purchaseID is not "", to the sessions of that package sold to the
// patient: a package's superbill holds only its own sessions, not the
// other services of its dates (issue 21, the walk).
func (s *Store) PackageSuperbillDocument(ctx context.Context, actor Actor, patientID, purchaseID string, from, to time.Time) (*SuperbillDoc, error) {
	out := &SuperbillDoc{NPI: map[string]string{}, Superbill: &Superbill{PatientID: patientID, PurchaseID: purchaseID, From: from.UTC(), To: to.UTC(), Currency: billing.DefaultCurrency}}
	err := s.viewAccess(ctx, actor, patientID, auth.PermBillingRead, "billing.superbill", func(tx *Tx, a Access, e *Entry) error {
		var err error
		if out.Practice, err = practiceIn(ctx, tx); err != nil {
			return err
		}
		if out.Patient, err = billingPatientIn(ctx, tx, patientID); err != nil {
			return err
		}
		out.PatientRef, out.LegalName, out.BirthDate = out.Patient.DisplayName, out.Patient.LegalName, out.Patient.BirthDate
		all, err := diagnosesIn(ctx, tx, patientID)
		if err != nil {
			return err
		}
		for _, d := range all {
			if d.RemovedAt == nil {
				out.Diagnoses = append(out.Diagnoses, d)
			}
		}
		if err := superbillLinesIn(ctx, tx, out.Superbill); err != nil {
			return err
		}
		for _, l := range out.Lines {
			if _, done := out.NPI[l.ClinicianID]; done || l.ClinicianID == "" {
				continue
			}
			npi, err := staffNPIIn(ctx, tx, l.ClinicianID)
			if err != nil && clinic.ErrorCode(err) != clinic.ENotFound {
				return err
			}
			out.NPI[l.ClinicianID] = npi
		}
		e.ObjectType, e.Detail = "superbill", rangeDetail(from, to)+" lines="+strconv.Itoa(len(out.Lines))+" document"
		if purchaseID != "" {
			e.Detail += " package=" + purchaseID
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// StatementLine is one entry of a statement: a charge (or a correction of
// one) adds to what the patient owes; a payment and a write-off take from
// it; a refund gives back a payment, adding to it again.
type StatementLine struct {
	Date        time.Time
	Kind        string // "charge", "correction", "payment", "refund", "adjustment"
	Code        string // a charge's service code
	Description string
	Cents       int64 // signed: what it does to the balance
}

// Statement is a patient's account for a period: the balance before it,
// the period's entries and their sums, and the balance after it
// (Closing = Opening + Charges - Payments + Refunds - Adjustments; above
// zero the patient owes, below it the practice owes them).
type Statement struct {
	Practice                                PracticeSettings
	Patient                                 BillingPatient
	From, To                                time.Time
	Opening, Closing                        int64
	Charges, Payments, Refunds, Adjustments int64 // the period's, each >= 0 except Charges (corrections may lower it)
	Lines                                   []StatementLine
	Truncated                               bool // more than BillingReportLimit entries: narrow the period
	Currency                                string
	Now                                     Balance // the patient's position today
}

// statementEntries is the SQL of patientID's ($1) ledger entries as (at,
// kind, code, description, cents signed by their effect on the balance).
// A package's price is a charge on the day it was sold, not a date of
// service: its description says so. A package session (0) is listed while
// it counts against its package: one given back is no service.
const statementEntries = `SELECT c.service_date AS at, 'charge' AS kind, c.service_code AS code,
		CASE WHEN c.kind = 'package' THEN 'Package sold: ' || c.description ELSE c.description END AS description, c.amount_cents AS cents, c.id AS id FROM charges c WHERE c.patient_id = $1
		AND (c.kind <> 'package_session' OR ` + sessionCounts + `)
	UNION ALL SELECT cc.created_at, 'correction', c.service_code, cc.reason, cc.delta_cents, cc.id FROM charge_corrections cc JOIN charges c ON c.id = cc.charge_id WHERE cc.patient_id = $1
	UNION ALL SELECT p.received_at, 'payment', '', p.method, -p.amount_cents, p.id FROM payments p WHERE p.patient_id = $1
	UNION ALL SELECT r.recorded_at, 'refund', '', r.reason, r.amount_cents, r.id FROM refunds r WHERE r.patient_id = $1
	UNION ALL SELECT ad.created_at, 'adjustment', '', ad.reason, -ad.amount_cents, ad.id FROM adjustments ad WHERE ad.patient_id = $1`

// StatementFor reads patientID's statement for [from, to)
// (PermBillingRead, as SuperbillDocument). One audit row.
func (s *Store) StatementFor(ctx context.Context, actor Actor, patientID string, from, to time.Time) (*Statement, error) {
	out := &Statement{From: from.UTC(), To: to.UTC(), Currency: billing.DefaultCurrency}
	err := s.viewAccess(ctx, actor, patientID, auth.PermBillingRead, "billing.statement", func(tx *Tx, a Access, e *Entry) error {
		var err error
		if out.Practice, err = practiceIn(ctx, tx); err != nil {
			return err
		}
		if out.Patient, err = billingPatientIn(ctx, tx, patientID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(x.cents), 0) FROM (`+statementEntries+`) x WHERE x.at < $2`, patientID, out.From).Scan(&out.Opening); err != nil {
			return err
		}
		lines, err := queryAll(ctx, tx, func(r scanner) (StatementLine, error) {
			var l StatementLine
			var id string
			err := r.Scan(&l.Date, &l.Kind, &l.Code, &l.Description, &l.Cents, &id)
			l.Date = l.Date.UTC()
			if l.Kind == "payment" {
				l.Description = methodTitle(l.Description)
			}
			return l, err
		}, `SELECT x.at, x.kind, x.code, x.description, x.cents, x.id FROM (`+statementEntries+`) x WHERE x.at >= $2 AND x.at < $3
			ORDER BY x.at, x.id LIMIT `+strconv.Itoa(BillingReportLimit+1), patientID, out.From, out.To)
		if err != nil {
			return err
		}
		// The sums are the database's, over every entry of the period
		// (not only the lines shown when there are too many).
		if err := tx.QueryRow(ctx, `SELECT
			COALESCE(SUM(CASE WHEN x.kind IN ('charge', 'correction') THEN x.cents ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN x.kind = 'payment' THEN -x.cents ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN x.kind = 'refund' THEN x.cents ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN x.kind = 'adjustment' THEN -x.cents ELSE 0 END), 0)
			FROM (`+statementEntries+`) x WHERE x.at >= $2 AND x.at < $3`, patientID, out.From, out.To).
			Scan(&out.Charges, &out.Payments, &out.Refunds, &out.Adjustments); err != nil {
			return err
		}
		if len(lines) > BillingReportLimit {
			lines, out.Truncated = lines[:BillingReportLimit], true
		}
		out.Lines = lines
		out.Closing = out.Opening + out.Charges - out.Payments + out.Refunds - out.Adjustments
		if out.Now, err = balanceIn(ctx, tx, patientID); err != nil {
			return err
		}
		e.ObjectType, e.Detail = "statement", rangeDetail(from, to)+" lines="+strconv.Itoa(len(lines))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// StatementSend is a superbill or statement sent to a patient: the email
// without content is a job, queued when the send is recorded; Sent is set
// once the job has run.
type StatementSend struct {
	ID       string
	Kind     string // DocSuperbill or DocStatement
	From, To time.Time
	SentBy   string // who sent it (their display name)
	SentAt   time.Time
	Sent     bool // the email went out (its job is done)
	Failed   bool // the email could not be sent (its job gave up)
}

// PackageCourse is a package sold to the patient as a period a superbill
// can cover: from its first session (its sale, before any) to its last
// session once all are used, else to now.
type PackageCourse struct {
	ID, Name         string
	SoldAt, From, To time.Time
	Sessions, Used   int
}

// maxPackageCourses bounds the packages offered as periods (newest first).
const maxPackageCourses = 20

func packageCoursesIn(ctx context.Context, tx *Tx, patientID string, now time.Time) ([]PackageCourse, error) {
	list, err := queryAll(ctx, tx, func(r scanner) (PackageCourse, error) {
		var p PackageCourse
		err := r.Scan(&p.ID, &p.Name, &p.SoldAt, &p.Sessions)
		p.SoldAt = p.SoldAt.UTC()
		return p, err
	}, `SELECT id, name, sold_at, sessions FROM package_purchases WHERE patient_id = $1 ORDER BY sold_at DESC, id DESC LIMIT `+strconv.Itoa(maxPackageCourses), patientID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		p := &list[i]
		dates, err := queryAll(ctx, tx, func(r scanner) (time.Time, error) {
			var t time.Time
			err := r.Scan(&t)
			return t.UTC(), err
		}, `SELECT c.service_date FROM charges c WHERE c.purchase_id = $1 AND c.kind = 'package_session' AND `+sessionCounts+` ORDER BY c.service_date`, p.ID)
		if err != nil {
			return nil, err
		}
		p.Used, p.From, p.To = len(dates), p.SoldAt, now
		if len(dates) > 0 {
			p.From = dates[0]
		}
		if len(dates) >= p.Sessions {
			p.To = dates[len(dates)-1]
		}
	}
	return list, nil
}

// BillingDocuments is what the statements page shows besides the period
// form: who the patient is, whether they have a portal account to be
// sent to, their treatment courses (as periods) and what was sent.
type BillingDocuments struct {
	Patient   BillingPatient
	HasPortal bool // an active portal account with an email address
	Courses   []TreatmentCourse
	Packages  []PackageCourse // newest first
	Sends     []StatementSend // newest first, at most maxSends
	MoreSends bool
	Balance   Balance
	Zone      string // the practice's time zone
}

const maxSends = 50

// StatementDocuments reads what the statements page of patientID shows
// (PermBillingRead). Audited.
func (s *Store) StatementDocuments(ctx context.Context, actor Actor, patientID string) (*BillingDocuments, error) {
	out := &BillingDocuments{}
	err := s.viewAccess(ctx, actor, patientID, auth.PermBillingRead, "billing.documents", func(tx *Tx, a Access, e *Entry) error {
		var err error
		if out.Patient, err = billingPatientIn(ctx, tx, patientID); err != nil {
			return err
		}
		if out.HasPortal, err = portalEmailIn(ctx, tx, patientID); err != nil {
			return err
		}
		courses, err := listCourses(ctx, tx, patientID)
		if err != nil {
			return err
		}
		now := s.now()
		for _, c := range courses {
			tc := TreatmentCourse{Number: c.Number, From: c.Started, To: c.Closed}
			if c.Closed.IsZero() {
				tc.To, tc.Open = now, true
			}
			out.Courses = append(out.Courses, tc)
		}
		if out.Packages, err = packageCoursesIn(ctx, tx, patientID, now); err != nil {
			return err
		}
		sends, err := queryAll(ctx, tx, func(r scanner) (StatementSend, error) {
			var x StatementSend
			var status string
			err := r.Scan(&x.ID, &x.Kind, &x.From, &x.To, &x.SentBy, &x.SentAt, &status)
			x.From, x.To, x.SentAt = x.From.UTC(), x.To.UTC(), x.SentAt.UTC()
			x.Sent, x.Failed = status == "done", status == "failed"
			return x, err
		}, `SELECT ss.id, ss.kind, ss.period_from, ss.period_to, COALESCE(u.display_name, ''), ss.sent_at, COALESCE(j.status, '')
			FROM statement_sends ss LEFT JOIN users u ON u.id = ss.sent_by LEFT JOIN jobs j ON j.id = ss.job_id
			WHERE ss.patient_id = $1 ORDER BY ss.sent_at DESC, ss.id DESC LIMIT `+strconv.Itoa(maxSends+1), patientID)
		if err != nil {
			return err
		}
		if len(sends) > maxSends {
			sends, out.MoreSends = sends[:maxSends], true
		}
		out.Sends = sends
		if out.Balance, err = balanceIn(ctx, tx, patientID); err != nil {
			return err
		}
		out.Zone, err = settingIn(ctx, tx, settingZone, "")
		e.ObjectType = "statement"
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// portalEmailIn reports whether patientID has an active portal account
// with an email address to be told at.
func portalEmailIn(ctx context.Context, tx *Tx, patientID string) (bool, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM patients p JOIN users u ON u.id = p.user_id
		WHERE p.id = $1 AND p.email <> '' AND u.disabled_at IS NULL`, patientID).Scan(&n)
	return n > 0, err
}

// methodTitle is payment method m's name for people.
func methodTitle(m string) string {
	for _, x := range billing.Methods {
		if x.Method == m {
			return x.Title
		}
	}
	return m
}

// noPortalMessage is SendStatement's field error for a patient with no
// portal account to be sent to.
const noPortalMessage = "This patient has no portal account yet, so nothing can be sent. Invite them to the portal first, or print the PDF and hand it over."

// SendStatement records that a superbill or statement (kind) of patientID
// for [from, to) is sent to the patient and queues the email that tells
// them (no content: no amounts, no names; a link to their portal's
// billing page), in one transaction (PermBilling: admins and the care
// team's therapist). A patient without an active portal account, or a
// superbill that would list no service, is a field error and nothing is
// recorded. Audited.
func (s *Store) SendStatement(ctx context.Context, actor Actor, patientID, kind string, from, to time.Time) (*StatementSend, error) {
	return s.SendStatementOnce(ctx, actor, patientID, kind, from, to, "")
}

// SendStatementOnce is SendStatement from a form with its one-time key
// (FormKey; "" for none): the same form posted again sends nothing and
// returns the send it made (sentByForm).
func (s *Store) SendStatementOnce(ctx context.Context, actor Actor, patientID, kind string, from, to time.Time, formKey string) (*StatementSend, error) {
	if kind != DocSuperbill && kind != DocStatement {
		return nil, clinic.FieldErrors{"kind": "Choose a superbill or a statement."}.Err()
	}
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return nil, clinic.FieldErrors{"from": "Choose a period whose start is before its end."}.Err()
	}
	var out *StatementSend
	err := s.patientAccess(ctx, actor, patientID, auth.PermBilling, "billing.send", func(tx *Tx, a Access, e *Entry) error {
		if done, err := sentByForm(ctx, tx, e, patientID, formKey); done != nil || err != nil {
			out = done
			return err
		}
		ok, err := portalEmailIn(ctx, tx, patientID)
		if err != nil {
			return err
		}
		if !ok {
			return clinic.FieldErrors{"send": noPortalMessage}.Err()
		}
		if kind == DocSuperbill { // an empty superbill is not sent
			sb := &Superbill{PatientID: patientID, From: from.UTC(), To: to.UTC()}
			if err := superbillLinesIn(ctx, tx, sb); err != nil {
				return err
			}
			if len(sb.Lines) == 0 {
				return clinic.FieldErrors{"send": EmptySuperbillMessage}.Err()
			}
		}
		now := s.now()
		id := NewID()
		payload, _ := json.Marshal(map[string]string{"send": id})
		jobID, err := s.EnqueueIn(ctx, tx, JobStatementEmail, string(payload), now, JobStatementEmail+":"+id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO statement_sends (id, patient_id, kind, period_from, period_to, job_id, sent_by, sent_at, form_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, patientID, kind, from.UTC(), to.UTC(), jobID, actor.UserID, now, nullIfEmpty(formKey)); err != nil {
			return err
		}
		out = &StatementSend{ID: id, Kind: kind, From: from.UTC(), To: to.UTC(), SentAt: now}
		e.ObjectType, e.ObjectID, e.Detail = "statement", id, kind+" "+rangeDetail(from, to)
		return nil
	})
	return out, err
}

// StatementEmailToSend returns the address a JobStatementEmail goes to,
// "" when there is no one to tell any more (the account was disabled or
// the patient archived since). Audited as the system's.
func (s *Store) StatementEmailToSend(ctx context.Context, payload string) (string, error) {
	var p struct {
		Send string `json:"send"`
	}
	if err := json.Unmarshal([]byte(payload), &p); err != nil || p.Send == "" {
		return "", errors.New("statement email: unreadable payload")
	}
	var email string
	err := s.write(ctx, func(tx *Tx) error {
		var patientID string
		err := tx.QueryRow(ctx, `SELECT p.id, p.email FROM statement_sends ss JOIN patients p ON p.id = ss.patient_id JOIN users u ON u.id = p.user_id
			WHERE ss.id = $1 AND p.archived_at IS NULL AND u.disabled_at IS NULL`, p.Send).Scan(&patientID, &email)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil || email == "" {
			return err
		}
		return s.appendAudit(ctx, tx, System, Entry{Action: "billing.send.notify", PatientID: patientID, ObjectType: "statement", ObjectID: p.Send})
	})
	return email, err
}
