package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Fees and the ledger (issue 21; rules in internal/billing, schema in
// migration 0059). The fee schedule, sliding-scale tiers, packages and the
// charge policy are the practice's (auth.PermFees, admins). A patient's
// ledger is charges, their corrections, payments, their applications to
// charges, refunds and write-offs: rows only ever added (the database
// refuses an UPDATE or DELETE). Writes are auth.PermBilling (admins and
// the care team's therapist), reads auth.PermBillingRead (the patient
// too). Charges for appointments are made in the transaction of the event
// (RecordAppointmentOutcome, CancelAppointment).

// errNoBilling answers someone the policy does not let reach the
// practice's billing pages.
func errNoBilling() error { return clinic.Errorf(clinic.ENotFound, "We could not find that page.") }

// practiceGate refuses actor unless they may do p (a practice-wide
// permission); a refusal is audited as denied under action.
func (s *Store) practiceGate(ctx context.Context, actor Actor, p auth.Permission, action string) error {
	if actor.may(p) {
		return nil
	}
	if err := s.Audit(ctx, actor, Entry{Action: action, Outcome: OutcomeDenied, ObjectType: "billing", Detail: "perm=" + string(p)}); err != nil {
		return err
	}
	return errNoBilling()
}

// billingText checks a short line of text (a description, a reason, a
// name): required unless optional, at most max characters, one line.
func billingText(fe clinic.FieldErrors, field, v, empty string, max int) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && empty != "":
		fe.Add(field, empty)
	case utf8.RuneCountInString(v) > max:
		fe.Add(field, "Use at most "+strconv.Itoa(max)+" characters.")
	case !clinic.SingleLine(v):
		fe.Add(field, clinic.LineProblem)
	}
	return v
}

func validKind(kind string) bool {
	for _, t := range clinic.AppointmentTypes {
		if t.Kind == kind {
			return true
		}
	}
	return false
}

// currencyOr is c, or the default currency when c is empty.
func currencyOr(c string) string {
	if c = strings.ToUpper(strings.TrimSpace(c)); c == "" {
		return billing.DefaultCurrency
	}
	return c
}

// FeeEntry is a current entry of the fee schedule.
type FeeEntry struct {
	ID            string
	Kind          string // an appointment kind
	ClinicianID   string // "" for the kind's default
	ClinicianName string
	Code          string // CPT service code
	AddOnCode     string // "" for none
	Description   string
	Cents         int64
	Currency      string
	ReplacesID    string // the entry this one replaced, "" for a first one
	CreatedAt     time.Time
}

// Money is the entry's amount.
func (f FeeEntry) Money() billing.Money { return billing.Money{Cents: f.Cents, Currency: f.Currency} }

func (f FeeEntry) rule() billing.Fee {
	return billing.Fee{ID: f.ID, Kind: f.Kind, ClinicianID: f.ClinicianID, Code: f.Code, AddOnCode: f.AddOnCode, Description: f.Description, Cents: f.Cents}
}

const feeColumns = `f.id, f.kind, COALESCE(f.clinician_id, ''), COALESCE(u.display_name, ''), f.service_code, f.add_on_code, f.description, f.amount_cents, f.currency, COALESCE(f.replaces_id, ''), f.created_at
	FROM fee_schedule f LEFT JOIN users u ON u.id = f.clinician_id`

func scanFee(r scanner) (FeeEntry, error) {
	var f FeeEntry
	err := r.Scan(&f.ID, &f.Kind, &f.ClinicianID, &f.ClinicianName, &f.Code, &f.AddOnCode, &f.Description, &f.Cents, &f.Currency, &f.ReplacesID, &f.CreatedAt)
	return f, err
}

func currentFees(ctx context.Context, tx *Tx, kind string) ([]FeeEntry, error) {
	if kind == "" {
		return queryAll(ctx, tx, scanFee, `SELECT `+feeColumns+` WHERE f.archived_at IS NULL ORDER BY f.kind, f.clinician_id IS NOT NULL, u.display_name, f.id`)
	}
	return queryAll(ctx, tx, scanFee, `SELECT `+feeColumns+` WHERE f.archived_at IS NULL AND f.kind = $1 ORDER BY f.clinician_id IS NOT NULL, f.id`, kind)
}

// FeeSchedule lists the fee schedule's current entries, by kind, each
// kind's default first (admins: PermFees).
func (s *Store) FeeSchedule(ctx context.Context, actor Actor) ([]FeeEntry, error) {
	if err := s.practiceGate(ctx, actor, auth.PermFees, "fees.read"); err != nil {
		return nil, err
	}
	var out []FeeEntry
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = currentFees(ctx, tx, "")
		return err
	})
	return out, err
}

// SetFee adds f to the fee schedule (admins: PermFees). A current entry
// for the same kind and clinician is archived and replaced by f (its id
// in f.ReplacesID): a past charge keeps the code, text and amount it
// copied. Audited.
func (s *Store) SetFee(ctx context.Context, actor Actor, f *FeeEntry) error {
	if err := s.practiceGate(ctx, actor, auth.PermFees, "fees.set"); err != nil {
		return err
	}
	fe := clinic.FieldErrors{}
	if !validKind(f.Kind) {
		fe.Add("kind", "Choose the kind of appointment.")
	}
	f.Code, f.AddOnCode = strings.ToUpper(strings.TrimSpace(f.Code)), strings.ToUpper(strings.TrimSpace(f.AddOnCode))
	if !billing.ValidServiceCode(f.Code) {
		fe.Add("code", billing.ServiceCodeHelp)
	}
	if f.AddOnCode != "" && !billing.ValidServiceCode(f.AddOnCode) {
		fe.Add("add_on_code", billing.ServiceCodeHelp+" Or leave it empty.")
	}
	f.Description = billingText(fe, "description", f.Description, "Describe the service, like Psychotherapy, 53 minutes or more.", 200)
	if f.Cents <= 0 || f.Cents > billing.MaxCents {
		fe.Add("amount", "Enter a fee above zero, at most 1,000,000.00.")
	}
	f.Currency = currencyOr(f.Currency)
	if f.Currency != billing.DefaultCurrency { // one currency per ledger: its sums never mix two
		fe.Add("currency", "The practice's fees are in "+billing.DefaultCurrency+".")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		if f.ClinicianID != "" {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE id = $1 AND role IN ('therapist', 'prescriber') AND disabled_at IS NULL`, f.ClinicianID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return clinic.FieldErrors{"clinician": "Choose a clinician of the practice, or none for every clinician."}.Err()
			}
		}
		now := s.now()
		var old string
		err := tx.QueryRow(ctx, `SELECT id FROM fee_schedule WHERE kind = $1 AND COALESCE(clinician_id, '') = $2 AND archived_at IS NULL`, f.Kind, f.ClinicianID).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if old != "" {
			if _, err := tx.Exec(ctx, `UPDATE fee_schedule SET archived_at = $1, archived_by = $2 WHERE id = $3`, now, actor.UserID, old); err != nil {
				return err
			}
		}
		f.ID, f.ReplacesID, f.CreatedAt = NewID(), old, now
		if _, err := tx.Exec(ctx, `INSERT INTO fee_schedule (id, kind, clinician_id, service_code, add_on_code, description, amount_cents, currency, replaces_id, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, f.ID, f.Kind, nullIfEmpty(f.ClinicianID), f.Code, f.AddOnCode, f.Description, f.Cents, f.Currency, nullIfEmpty(old), actor.UserID, now); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "fees.set", ObjectType: "fee", ObjectID: f.ID,
			Detail: f.Kind + " " + f.Code + " " + billing.FormatPlain(f.Cents) + " " + f.Currency})
	})
}

// ArchiveFee takes entry id off the fee schedule (admins): sessions of its
// kind are no longer charged (or charged at the kind's default, for a
// clinician's own entry). Audited.
func (s *Store) ArchiveFee(ctx context.Context, actor Actor, id string) error {
	return s.archive(ctx, actor, "fee_schedule", "fees.archive", "fee", id)
}

// archive sets archived_at on row id of table (a configuration table of
// this file). Audited as action.
func (s *Store) archive(ctx context.Context, actor Actor, table, action, object, id string) error {
	if err := s.practiceGate(ctx, actor, auth.PermFees, action); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE `+table+` SET archived_at = $1 WHERE id = $2 AND archived_at IS NULL`, s.now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.Errorf(clinic.ENotFound, "We could not find that entry; it may have been archived already.")
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: action, ObjectType: object, ObjectID: id})
	})
}

// Tier is a sliding-scale tier: a percentage of the fee.
type Tier struct {
	ID      string
	Name    string // "Reduced 75%"
	Percent int    // 1..99
}

// SlidingTiers lists the current tiers (admins, and whoever records
// payments, to set a patient's tier).
func (s *Store) SlidingTiers(ctx context.Context, actor Actor) ([]Tier, error) {
	if !actor.may(auth.PermFees) && !auth.CanSome(actor.Role, auth.PermBilling) {
		return nil, errNoBilling()
	}
	var out []Tier
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(r scanner) (Tier, error) {
			var t Tier
			return t, r.Scan(&t.ID, &t.Name, &t.Percent)
		}, `SELECT id, name, percent FROM sliding_tiers WHERE archived_at IS NULL ORDER BY percent DESC, name`)
		return err
	})
	return out, err
}

// AddTier adds a sliding-scale tier (admins). Audited.
func (s *Store) AddTier(ctx context.Context, actor Actor, t *Tier) error {
	if err := s.practiceGate(ctx, actor, auth.PermFees, "fees.tier"); err != nil {
		return err
	}
	fe := clinic.FieldErrors{}
	t.Name = billingText(fe, "name", t.Name, "Name the tier, like Reduced 75%.", 80)
	if t.Percent < 1 || t.Percent > 99 {
		fe.Add("percent", "Enter the percentage of the fee the patient pays, from 1 to 99.")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		// Two current tiers of one name could not be told apart where a
		// patient's tier is chosen: refused, whatever the case.
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM sliding_tiers WHERE lower(name) = lower($1) AND archived_at IS NULL`, t.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return clinic.FieldErrors{"name": "A tier of this name exists already. Choose another name, or remove that tier first."}.Err()
		}
		t.ID = NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO sliding_tiers (id, name, percent, created_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
			t.ID, t.Name, t.Percent, actor.UserID, s.now()); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "fees.tier", ObjectType: "tier", ObjectID: t.ID, Detail: strconv.Itoa(t.Percent)})
	})
}

// ArchiveTier retires a tier (admins): patients on it pay the full fee
// for sessions after. Audited.
func (s *Store) ArchiveTier(ctx context.Context, actor Actor, id string) error {
	return s.archive(ctx, actor, "sliding_tiers", "fees.tier.archive", "tier", id)
}

// SetPatientTier puts patientID on tier tierID, or on the full fee when
// tierID is "" (PermBilling). Kept as a new row; audited.
func (s *Store) SetPatientTier(ctx context.Context, actor Actor, patientID, tierID string) error {
	return s.patientAccess(ctx, actor, patientID, auth.PermBilling, "billing.tier", func(tx *Tx, a Access, e *Entry) error {
		if tierID != "" {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM sliding_tiers WHERE id = $1 AND archived_at IS NULL`, tierID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return clinic.FieldErrors{"tier": "Choose one of the practice's tiers, or the full fee."}.Err()
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO patient_tiers (id, patient_id, tier_id, set_by, set_at) VALUES ($1, $2, $3, $4, $5)`,
			NewID(), patientID, nullIfEmpty(tierID), actor.UserID, s.now())
		e.ObjectType, e.ObjectID = "tier", tierID
		return err
	})
}

// patientTierIn is patientID's current tier, nil for the full fee.
func patientTierIn(ctx context.Context, tx *Tx, patientID string) (*Tier, error) {
	var t Tier
	err := tx.QueryRow(ctx, `SELECT t.id, t.name, t.percent FROM patient_tiers pt JOIN sliding_tiers t ON t.id = pt.tier_id
		WHERE pt.id = (SELECT id FROM patient_tiers WHERE patient_id = $1 ORDER BY set_at DESC, id DESC LIMIT 1) AND t.archived_at IS NULL`, patientID).Scan(&t.ID, &t.Name, &t.Percent)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Package is a course of sessions of one kind sold for a price.
type Package struct {
	ID       string
	Name     string // "Six integration sessions"
	Kind     string // the appointment kind its sessions are
	Sessions int
	Cents    int64
	Currency string
	Code     string // the sessions' service code on the superbill, "" for the fee schedule's
}

// Packages lists the current packages (admins, and whoever sells them).
func (s *Store) Packages(ctx context.Context, actor Actor) ([]Package, error) {
	if !actor.may(auth.PermFees) && !auth.CanSome(actor.Role, auth.PermBilling) {
		return nil, errNoBilling()
	}
	var out []Package
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanPackage, `SELECT id, name, kind, sessions, price_cents, currency, service_code FROM packages WHERE archived_at IS NULL ORDER BY name, id`)
		return err
	})
	return out, err
}

func scanPackage(r scanner) (Package, error) {
	var p Package
	return p, r.Scan(&p.ID, &p.Name, &p.Kind, &p.Sessions, &p.Cents, &p.Currency, &p.Code)
}

// AddPackage adds a package (admins). Audited.
func (s *Store) AddPackage(ctx context.Context, actor Actor, p *Package) error {
	if err := s.practiceGate(ctx, actor, auth.PermFees, "fees.package"); err != nil {
		return err
	}
	fe := clinic.FieldErrors{}
	p.Name = billingText(fe, "name", p.Name, "Name the package, like Six integration sessions.", 120)
	if !validKind(p.Kind) {
		fe.Add("kind", "Choose the kind of appointment its sessions are.")
	}
	if p.Sessions < 1 || p.Sessions > 100 {
		fe.Add("sessions", "Enter how many sessions, from 1 to 100.")
	}
	if p.Cents <= 0 || p.Cents > billing.MaxCents {
		fe.Add("price", "Enter a price above zero, at most 1,000,000.00.")
	}
	p.Currency = currencyOr(p.Currency)
	if p.Currency != billing.DefaultCurrency { // one currency per ledger: its sums never mix two
		fe.Add("currency", "The practice's fees are in "+billing.DefaultCurrency+".")
	}
	p.Code = strings.ToUpper(strings.TrimSpace(p.Code))
	if p.Code != "" && !billing.ValidServiceCode(p.Code) {
		fe.Add("code", billing.ServiceCodeHelp+" Or leave it empty to use the fee schedule's.")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		p.ID = NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO packages (id, name, kind, sessions, price_cents, currency, service_code, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, p.ID, p.Name, p.Kind, p.Sessions, p.Cents, p.Currency, p.Code, actor.UserID, s.now()); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "fees.package", ObjectType: "package", ObjectID: p.ID,
			Detail: p.Kind + " x" + strconv.Itoa(p.Sessions) + " " + billing.FormatPlain(p.Cents) + " " + p.Currency})
	})
}

// ArchivePackage stops selling a package (admins); packages sold keep
// their sessions. Audited.
func (s *Store) ArchivePackage(ctx context.Context, actor Actor, id string) error {
	return s.archive(ctx, actor, "packages", "fees.package.archive", "package", id)
}

// chargePolicyIn is the practice's current charge policy (the defaults:
// a 24-hour window, no fees).
func chargePolicyIn(ctx context.Context, tx *Tx) (billing.Policy, error) {
	pol := billing.Policy{LateCancelHours: billing.DefaultLateCancelHours}
	err := tx.QueryRow(ctx, `SELECT late_cancel_hours, late_cancel_cents, no_show_cents FROM charge_policies ORDER BY set_at DESC, id DESC LIMIT 1`).
		Scan(&pol.LateCancelHours, &pol.LateCancelCents, &pol.NoShowCents)
	if errors.Is(err, sql.ErrNoRows) {
		return pol, nil
	}
	return pol, err
}

// ChargePolicy is the practice's charge policy for missed and
// late-cancelled appointments (admins).
func (s *Store) ChargePolicy(ctx context.Context, actor Actor) (billing.Policy, error) {
	if err := s.practiceGate(ctx, actor, auth.PermFees, "fees.policy.read"); err != nil {
		return billing.Policy{}, err
	}
	var pol billing.Policy
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		pol, err = chargePolicyIn(ctx, tx)
		return err
	})
	return pol, err
}

// SetChargePolicy sets the charge policy (admins): the late-cancel window
// in hours (1 to 168) and the late-cancel and no-show fees (0 for none).
// Kept as a new row; audited.
func (s *Store) SetChargePolicy(ctx context.Context, actor Actor, pol billing.Policy) error {
	if err := s.practiceGate(ctx, actor, auth.PermFees, "fees.policy"); err != nil {
		return err
	}
	fe := clinic.FieldErrors{}
	if pol.LateCancelHours < 1 || pol.LateCancelHours > 168 {
		fe.Add("late_cancel_hours", "Enter the hours before the start, from 1 to 168 (a week).")
	}
	if pol.LateCancelCents < 0 || pol.LateCancelCents > billing.MaxCents {
		fe.Add("late_cancel_fee", "Enter the late-cancellation fee, or 0 for none.")
	}
	if pol.NoShowCents < 0 || pol.NoShowCents > billing.MaxCents {
		fe.Add("no_show_fee", "Enter the no-show fee, or 0 for none.")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		id := NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO charge_policies (id, late_cancel_hours, late_cancel_cents, no_show_cents, currency, set_by, set_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, pol.LateCancelHours, pol.LateCancelCents, pol.NoShowCents, billing.DefaultCurrency, actor.UserID, s.now()); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "fees.policy", ObjectType: "charge_policy", ObjectID: id,
			Detail: strconv.Itoa(pol.LateCancelHours) + "h late=" + billing.FormatPlain(pol.LateCancelCents) + " no_show=" + billing.FormatPlain(pol.NoShowCents)})
	})
}

// openPurchaseIn is patientID's oldest package purchase of kind that is
// not closed and has a session left, its price after corrections, and the
// number the next session is: the lowest of 1..sessions no session that
// counts holds (a session given back frees its number); "" when there is
// none.
func openPurchaseIn(ctx context.Context, tx *Tx, patientID, kind string) (id string, next int, price int64, sessions int, code string, err error) {
	// Most patients hold no package: one look at their purchases, and no
	// package's sessions are counted.
	var held int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM package_purchases WHERE patient_id = $1 AND kind = $2`, patientID, kind).Scan(&held); err != nil || held == 0 {
		return "", 0, 0, 0, "", err
	}
	err = tx.QueryRow(ctx, `SELECT pp.id, COALESCE((SELECT `+chargeAmount+` FROM charges c WHERE c.purchase_id = pp.id AND c.kind = 'package'), pp.price_cents),
			pp.sessions, pp.service_code
		FROM package_purchases pp WHERE pp.patient_id = $1 AND pp.kind = $2
		AND NOT EXISTS (SELECT 1 FROM package_closures pcl WHERE pcl.purchase_id = pp.id)
		AND (SELECT count(*) FROM charges c WHERE c.purchase_id = pp.id AND c.kind = 'package_session' AND `+sessionCounts+`) < pp.sessions
		ORDER BY pp.sold_at, pp.id LIMIT 1`, patientID, kind).Scan(&id, &price, &sessions, &code)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, 0, 0, "", nil
	}
	if err != nil {
		return "", 0, 0, 0, "", err
	}
	numbers, err := queryAll(ctx, tx, func(r scanner) (int, error) {
		var n int
		return n, r.Scan(&n)
	}, `SELECT COALESCE(c.session_number, 0) FROM charges c WHERE c.purchase_id = $1 AND c.kind = 'package_session' AND `+sessionCounts, id)
	if err != nil {
		return "", 0, 0, 0, "", err
	}
	next = 1
	for slices.Contains(numbers, next) {
		next++
	}
	return id, next, max(price, 0), sessions, code, nil
}

// chargeEvent makes the charge event makes for appointment ap of
// patientID (billing.ChargeFor), inside the event's own transaction, and
// audits it there; none when the rules make none. When the appointment
// carries charges of an earlier event that no longer holds (its outcome
// changed), billing.Reconcile decides: unpaid ones are voided (corrected
// to 0), a voided one of this event's kind is restored. It is called by
// RecordAppointmentOutcome and CancelAppointment, whose access check
// covers it.
func (s *Store) chargeEvent(ctx context.Context, tx *Tx, actor Actor, patientID string, ap *Appointment, clinicianID string, event billing.Event) error {
	if err := lockPatient(ctx, tx, patientID); err != nil { // a package's sessions are numbered one at a time
		return err
	}
	existing, err := queryAll(ctx, tx, func(r scanner) (billing.Existing, error) {
		var e billing.Existing
		var kind string
		var lastDelta int64
		var lastReason string
		err := r.Scan(&e.ID, &kind, &e.Original, &e.Cents, &e.Settled, &lastDelta, &lastReason)
		e.Kind = billing.ChargeKind(kind)
		if strings.HasPrefix(lastReason, voidReason) {
			e.Voided = -lastDelta
		}
		return e, err
	}, `SELECT c.id, c.kind, c.amount_cents, `+chargeAmount+`, `+chargeApplied+` + `+chargeAdjusted+`,
			COALESCE((SELECT cc.delta_cents FROM charge_corrections cc WHERE cc.charge_id = c.id ORDER BY cc.created_at DESC, cc.id DESC LIMIT 1), 0),
			COALESCE((SELECT cc.reason FROM charge_corrections cc WHERE cc.charge_id = c.id ORDER BY cc.created_at DESC, cc.id DESC LIMIT 1), '')
		FROM charges c WHERE c.appointment_id = $1 ORDER BY c.created_at, c.id`, ap.ID)
	if err != nil {
		return err
	}
	pol, err := chargePolicyIn(ctx, tx)
	if err != nil {
		return err
	}
	fees, err := currentFees(ctx, tx, ap.Kind)
	if err != nil {
		return err
	}
	rules := make([]billing.Fee, len(fees))
	for i, f := range fees {
		rules[i] = f.rule()
	}
	sess := billing.Session{StartsAt: ap.StartsAt}
	fee, ok := billing.ResolveFee(rules, ap.Kind, clinicianID)
	if ok {
		sess.Fee = &fee
	}
	tier, err := patientTierIn(ctx, tx, patientID)
	if err != nil {
		return err
	}
	if tier != nil {
		sess.Percent = tier.Percent
	}
	// A package session of this appointment given up for good is the
	// past's: the fee is the event's charge. One given back whose number a
	// later session took is given up now, so the package is never used
	// beyond its sessions, and the session is charged at the fee.
	var pkgSessions []string
	for _, e := range existing {
		if e.Kind == billing.ChargePackageSession {
			pkgSessions = append(pkgSessions, e.ID)
		}
	}
	superseded := false
	if len(pkgSessions) > 0 {
		var released []string
		if released, err = releasedSessions(ctx, tx, pkgSessions); err != nil {
			return err
		}
		superseded = len(released) > 0
		if event == billing.Attended && !superseded {
			for _, id := range pkgSessions {
				taken, err := sessionTaken(ctx, tx, id)
				if err != nil {
					return err
				}
				if taken {
					if err := s.releaseSession(ctx, tx, actor, patientID, ap.ID, id); err != nil {
						return err
					}
					superseded = true
				}
			}
		}
	}
	if superseded {
		existing = slices.DeleteFunc(existing, func(e billing.Existing) bool { return e.Kind == billing.ChargePackageSession })
	}
	var purchase, pkgCode string
	var next, sessions int
	var price int64
	if event == billing.Attended && !superseded {
		if purchase, next, price, sessions, pkgCode, err = openPurchaseIn(ctx, tx, patientID, ap.Kind); err != nil {
			return err
		}
		sess.Package = purchase != ""
	}
	now := s.now()
	c, ok := billing.ChargeFor(event, now, pol, sess)
	rec := billing.Reconcile(existing, c, ok)
	if err := s.reconcileCharges(ctx, tx, actor, patientID, ap.ID, event, rec); err != nil {
		return err
	}
	if !rec.Create {
		return nil
	}
	id := NewID()
	var share int64
	var number any
	if c.Kind == billing.ChargePackageSession {
		share = billing.PackageShares(price, sessions)[next-1]
		number = next
		if pkgCode != "" {
			c.Code = pkgCode
		}
		c.Description += " " + strconv.Itoa(next) + " of " + strconv.Itoa(sessions)
	}
	var feeID any
	if sess.Fee != nil && (c.Kind == billing.ChargeService || c.Kind == billing.ChargePackageSession) {
		feeID = sess.Fee.ID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO charges (id, patient_id, kind, appointment_id, purchase_id, session_number, share_cents, clinician_id, fee_id,
		service_code, add_on_code, description, amount_cents, currency, service_date, remote, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		id, patientID, string(c.Kind), ap.ID, nullIfEmpty(purchase), number, share, nullIfEmpty(clinicianID), feeID,
		c.Code, c.AddOnCode, c.Description, c.Cents, billing.DefaultCurrency, ap.StartsAt, ap.Remote, actor.UserID, now); err != nil {
		return err
	}
	return s.appendAudit(ctx, tx, actor, Entry{Action: "billing.charge", PatientID: patientID, ObjectType: "charge", ObjectID: id,
		Detail: string(c.Kind) + " " + billing.FormatPlain(c.Cents) + " appointment=" + ap.ID})
}

// voidReason begins the reason of every void by reconciliation: how a
// later restore tells its own void from a correction a person made.
const voidReason = "The appointment is now recorded as "

// eventWords name an appointment's event in a correction's reason.
var eventWords = map[billing.Event]string{
	billing.Attended:  "attended",
	billing.NoShow:    "missed (did not attend)",
	billing.Cancelled: "cancelled",
}

// reconcileCharges writes what rec says of appointment appointmentID's
// earlier charges, now that event holds: a correction to 0 for each
// voided one, a correction back to its amount for a restored one, each
// audited. A kept one (paid or written off in part) is audited only: the
// staff refund and correct it.
func (s *Store) reconcileCharges(ctx context.Context, tx *Tx, actor Actor, patientID, appointmentID string, event billing.Event, rec billing.Reconciliation) error {
	correct := func(e billing.Existing, to int64, reason string) error {
		id := NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO charge_corrections (id, charge_id, patient_id, amount_cents, delta_cents, reason, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, e.ID, patientID, to, to-e.Cents, reason, actor.UserID, s.now()); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "billing.correct", PatientID: patientID, ObjectType: "charge", ObjectID: e.ID,
			Detail: billing.FormatPlain(e.Cents) + " -> " + billing.FormatPlain(to) + " appointment=" + appointmentID + " event=" + string(event)})
	}
	for _, e := range rec.Void {
		if err := correct(e, 0, voidReason+eventWords[event]+", so this charge no longer applies."); err != nil {
			return err
		}
	}
	if e := rec.Restore; e != nil {
		if err := correct(*e, e.Voided, "The appointment is again recorded as "+eventWords[event]+", so this charge applies again."); err != nil {
			return err
		}
	}
	for _, e := range rec.Kept {
		if err := s.appendAudit(ctx, tx, actor, Entry{Action: "billing.charge_kept", PatientID: patientID, ObjectType: "charge", ObjectID: e.ID,
			Detail: "paid or written off in part; left for staff appointment=" + appointmentID + " event=" + string(event)}); err != nil {
			return err
		}
	}
	return nil
}
