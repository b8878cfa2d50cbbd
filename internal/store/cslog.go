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
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/cslog"
)

// The controlled-substance log (issue 20, part 1): products, lots at a
// location, and an append-only log of entries, each carrying its lot's
// balance after it. The rules are internal/cslog's; the database checks
// them again (migration 0055): the balance follows from the lot's entries
// and is never below zero, a waste names a witness other than its
// recorder, an administration its dosing session, and no entry is ever
// changed or deleted. Who may keep the log is auth.PermControlled:
// prescribers, and staff an administrator designated.

// CSProduct is a controlled-substance product of a strength and form.
type CSProduct struct {
	ID       string
	Name     string // "Ketamine hydrochloride injection"
	Strength string // "50 mg/mL", "100 mg"
	Form     string // "vial", "lozenge"
	Unit     string // cslog.UnitMg or cslog.UnitEach
	UnitMcg  int64  // UnitEach: micrograms of drug in one unit
	Schedule string // one of cslog.Schedules
	REMS     bool   // a REMS monitoring form is due for each session it is given in (esketamine)
}

// Rules is what cslog needs of p.
func (p CSProduct) Rules() cslog.Product {
	return cslog.Product{Unit: p.Unit, StrengthMcg: p.UnitMcg, Form: p.Form}
}

// Title is the product in words: "Ketamine 100 mg lozenge".
func (p CSProduct) Title() string { return p.Name + " " + p.Strength + " " + p.Form }

// CSLot is one lot of a product at a location, with its balance.
type CSLot struct {
	ID        string
	Product   CSProduct
	Location  string
	Lot       string
	ExpiresOn time.Time
	Balance   int64 // in the product's unit (µg or units)
}

// Label names the lot for a choice: product, lot, location, what is left.
func (l CSLot) Label() string {
	return l.Product.Title() + " · lot " + l.Lot + " · " + l.Location + " · " + cslog.Format(l.Balance, l.Product.Rules()) + " left"
}

// CSEntry is one entry of the log, with its lot.
type CSEntry struct {
	ID             string
	Lot            CSLot // Balance: the lot's balance after this entry
	Kind           cslog.Kind
	Quantity       int64
	Expected       int64 // a count's expected quantity
	Delta          int64
	SessionID      string
	PatientID      string
	PatientName    string
	PatientAddress clinic.Address // for the dispensing log (21 CFR 1304.22(c): name and address)
	Party          string
	Invoice        string
	WitnessName    string
	Reason         string
	LossType       string
	DiscoveredAt   *time.Time
	Police         string
	Form106        string
	CorrectsID     string
	RecordedByName string
	PrescriberName string // an administration or dispensing: the prescriber who ordered it, with credentials
	OccurredAt     time.Time
	RecordedAt     time.Time
}

// Shown is a quantity of the entry's product in words.
func (e CSEntry) Shown(q int64) string { return cslog.Format(q, e.Lot.Product.Rules()) }

// errNoLog is the answer to someone the policy does not let reach the log.
func errNoLog() error { return clinic.Errorf(clinic.ENotFound, "We could not find that page.") }

// csRelation is how userID stands to the log: RelSelf when an
// administrator designated them to handle controlled substances.
func csRelation(ctx context.Context, tx *Tx, userID string) (auth.Relation, error) {
	var designated bool
	err := tx.QueryRow(ctx, `SELECT controlled_substances FROM users WHERE id = $1 AND disabled_at IS NULL`, userID).Scan(&designated)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !designated) {
		return auth.RelNone, nil
	}
	if err != nil {
		return auth.RelNone, err
	}
	return auth.RelSelf, nil
}

// csAllowed reports whether actor may do p (PermControlled or
// PermControlledRead) with the log.
func csAllowed(ctx context.Context, tx *Tx, actor Actor, p auth.Permission) (bool, error) {
	if !auth.CanSome(actor.Role, p) {
		return false, nil
	}
	rel, err := csRelation(ctx, tx, actor.UserID)
	if err != nil {
		return false, err
	}
	return auth.Can(actor.Role, rel, p), nil
}

// csGate refuses actor unless the policy allows p; a refusal is audited
// (after the transaction, which is given up).
func (s *Store) csGate(ctx context.Context, tx *Tx, actor Actor, p auth.Permission) error {
	ok, err := csAllowed(ctx, tx, actor, p)
	if err != nil {
		return err
	}
	if !ok {
		return errCSDenied{p}
	}
	return nil
}

type errCSDenied struct{ perm auth.Permission }

func (e errCSDenied) Error() string { return "denied: " + string(e.perm) }

// csDenied audits a refusal by the policy and answers it as not found.
func (s *Store) csDenied(ctx context.Context, actor Actor, action string, err error) error {
	var d errCSDenied
	if errors.As(err, &d) {
		if aerr := s.Audit(ctx, actor, Entry{Action: action, Outcome: OutcomeDenied, ObjectType: "cs_log", Detail: "perm=" + string(d.perm)}); aerr != nil {
			return aerr
		}
		return errNoLog()
	}
	return err
}

// SetCSDesignated designates userID (a staff member) to keep the
// controlled-substance log, or ends it: administrators (PermAccounts).
// Kept as a new value of the user's flag; audited.
func (s *Store) SetCSDesignated(ctx context.Context, actor Actor, userID string, on bool) error {
	if !actor.may(auth.PermAccounts) {
		return errNoLog()
	}
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET controlled_substances = $1, updated_at = $2 WHERE id = $3 AND role <> 'patient'`, on, s.now(), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.Errorf(clinic.ENotFound, "We could not find that staff member.")
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "cs.designate", ObjectType: "user", ObjectID: userID, Detail: strconv.FormatBool(on)})
	})
}

// CSDesignated reports whether userID is designated to keep the log
// (administrators, for the staff member's page).
func (s *Store) CSDesignated(ctx context.Context, actor Actor, userID string) (bool, error) {
	if !actor.may(auth.PermAccounts) {
		return false, errNoLog()
	}
	var rel auth.Relation
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		rel, err = csRelation(ctx, tx, userID)
		return err
	})
	return rel == auth.RelSelf, err
}

// csKept reports whether the practice keeps the controlled-substance log
// in kapstone (it has a product): then a dose is drawn from a lot.
func csKept(ctx context.Context, tx *Tx) (bool, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM cs_products LIMIT 1) p`).Scan(&n)
	return n > 0, err
}

// AddCSProduct adds a product to the log (whoever keeps it). Audited.
func (s *Store) AddCSProduct(ctx context.Context, actor Actor, p *CSProduct) error {
	p.Name, p.Strength, p.Form = strings.TrimSpace(p.Name), strings.TrimSpace(p.Strength), strings.TrimSpace(p.Form)
	fe := clinic.FieldErrors{}
	for _, f := range []struct{ name, v, empty string }{
		{"name", p.Name, "Enter the product's name, like Ketamine hydrochloride injection."},
		{"strength", p.Strength, "Enter its strength, like 50 mg/mL or 100 mg."},
		{"form", p.Form, "Enter its form, like vial or lozenge."},
	} {
		switch {
		case f.v == "":
			fe.Add(f.name, f.empty)
		case utf8.RuneCountInString(f.v) > 120:
			fe.Add(f.name, "Use at most 120 characters.")
		case !clinic.SingleLine(f.v):
			fe.Add(f.name, clinic.LineProblem)
		}
	}
	switch p.Unit {
	case cslog.UnitMg:
		p.UnitMcg = 0
	case cslog.UnitEach:
		if p.UnitMcg <= 0 {
			fe.Add("unit_mg", "Enter the mg of drug in one unit, like 100.")
		}
	default:
		fe.Add("unit", "Choose how it is counted: by weight (mg) or by unit.")
	}
	if !slices.Contains(cslog.Schedules, p.Schedule) {
		fe.Add("schedule", "Choose its DEA schedule (ketamine is Schedule III).")
	}
	if len(fe) > 0 {
		return fe.Err()
	}
	err := s.write(ctx, func(tx *Tx) error {
		if err := s.csGate(ctx, tx, actor, auth.PermControlled); err != nil {
			return err
		}
		p.ID = NewID()
		_, err := tx.Exec(ctx, `INSERT INTO cs_products (id, name, strength, form, unit, unit_mcg, schedule, rems, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, p.ID, p.Name, p.Strength, p.Form, p.Unit, p.UnitMcg, p.Schedule, p.REMS, actor.UserID, s.now())
		if s.d.isUniqueViolation(err) {
			return clinic.FieldErrors{"name": "There is already a product of that name, strength and form."}.Err()
		}
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "cs.product", ObjectType: "cs_product", ObjectID: p.ID})
	})
	return s.csDenied(ctx, actor, "cs.product", err)
}

// CSProducts lists the practice's products (whoever reads the log).
func (s *Store) CSProducts(ctx context.Context, actor Actor) ([]CSProduct, error) {
	var out []CSProduct
	err := s.read(ctx, func(tx *Tx) error {
		if err := s.csGate(ctx, tx, actor, auth.PermControlledRead); err != nil {
			return err
		}
		var err error
		out, err = queryAll(ctx, tx, scanCSProduct, `SELECT `+csProductColumns+` FROM cs_products p ORDER BY p.name, p.strength, p.form, p.id`)
		return err
	})
	return out, s.csDenied(ctx, actor, "cs.products", err)
}

const csProductColumns = `p.id, p.name, p.strength, p.form, p.unit, p.unit_mcg, p.schedule, p.rems`

func scanCSProduct(r scanner) (p CSProduct, err error) {
	return p, r.Scan(&p.ID, &p.Name, &p.Strength, &p.Form, &p.Unit, &p.UnitMcg, &p.Schedule, &p.REMS)
}

const csLotColumns = csProductColumns + `, l.id, l.location, l.lot, l.expires_on`

// csLotFrom reads a lot with its product and balance.
const csLotFrom = ` FROM cs_lots l JOIN cs_products p ON p.id = l.product_id`

const csBalance = `COALESCE((SELECT SUM(b.delta) FROM cs_entries b WHERE b.lot_id = l.id), 0)`

func scanCSLot(r scanner) (l CSLot, err error) {
	p := &l.Product
	err = r.Scan(&p.ID, &p.Name, &p.Strength, &p.Form, &p.Unit, &p.UnitMcg, &p.Schedule, &p.REMS, &l.ID, &l.Location, &l.Lot, &l.ExpiresOn, &l.Balance)
	l.ExpiresOn = l.ExpiresOn.UTC()
	return l, err
}

// CSLots lists the lots with something left (all lots when all is set),
// with their balance, by product, location and expiry (the inventory).
// Whoever reads the log; audited as a read of it.
func (s *Store) CSLots(ctx context.Context, actor Actor, all bool) ([]CSLot, error) {
	var out []CSLot
	err := s.write(ctx, func(tx *Tx) error {
		if err := s.csGate(ctx, tx, actor, auth.PermControlledRead); err != nil {
			return err
		}
		var err error
		out, err = csLots(ctx, tx, all)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "cs.lots", ObjectType: "cs_log"})
	})
	return out, s.csDenied(ctx, actor, "cs.lots", err)
}

func csLots(ctx context.Context, tx *Tx, all bool) ([]CSLot, error) {
	q := `SELECT ` + csLotColumns + `, ` + csBalance + csLotFrom
	if !all {
		q += ` WHERE ` + csBalance + ` > 0`
	}
	return queryAll(ctx, tx, scanCSLot, q+` ORDER BY p.name, p.strength, l.location, l.expires_on, l.lot, l.id LIMIT `+strconv.Itoa(CSReportLimit))
}

// csDoseChoices fills in d's CSKept and CSLots (the lots with stock,
// when actor may keep the log), in the session's own read.
func csDoseChoices(ctx context.Context, tx *Tx, actor Actor, d *DosingSession) error {
	var err error
	if d.CSKept, err = csKept(ctx, tx); err != nil || !d.CSKept {
		return err
	}
	ok, err := csAllowed(ctx, tx, actor, auth.PermControlled)
	if err != nil || !ok {
		return err
	}
	d.CSLots, err = csLots(ctx, tx, false)
	return err
}

// CSDoseLots are the lots a dose may be drawn from by actor: those with
// something left, when actor may keep the log (none otherwise). Not
// audited: no patient's information, and the log's page reads are.
func (s *Store) CSDoseLots(ctx context.Context, actor Actor) ([]CSLot, error) {
	var out []CSLot
	err := s.read(ctx, func(tx *Tx) error {
		ok, err := csAllowed(ctx, tx, actor, auth.PermControlled)
		if err != nil || !ok {
			return err
		}
		out, err = csLots(ctx, tx, false)
		return err
	})
	return out, err
}

// lockCSLot reads lot id with its balance, its row locked for the
// transaction on PostgreSQL (the single writer holds SQLite), so two
// entries for one lot take turns and each sees the other's.
func (s *Store) lockCSLot(ctx context.Context, tx *Tx, id string) (*CSLot, error) {
	var l CSLot
	err := tx.QueryRow(ctx, `SELECT l.id FROM cs_lots l WHERE l.id = $1`+s.d.forUpdate(), id).Scan(&l.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clinic.FieldErrors{"lot": "Choose one of the lots."}.Err()
	}
	if err != nil {
		return nil, err
	}
	l, err = scanCSLot(tx.QueryRow(ctx, `SELECT `+csLotColumns+`, `+csBalance+csLotFrom+` WHERE l.id = $1`, id))
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// CSReceipt is stock coming in: a receipt from a supplier (or a transfer
// in) of a lot of a product, to a location.
type CSReceipt struct {
	ProductID  string
	Location   string
	Entry      cslog.Entry // Kind cslog.Receipt or cslog.TransferIn, Quantity, Party, Invoice, Lot, Expiry
	OccurredAt time.Time   // zero: now
}

// ReceiveCS records stock coming in, into the lot of that number at that
// location (made on its first receipt; a later one must carry the same
// expiry). Whoever keeps the log; audited in the same transaction.
func (s *Store) ReceiveCS(ctx context.Context, actor Actor, in CSReceipt) (string, error) {
	in.Location = strings.TrimSpace(in.Location)
	e := in.Entry
	if e.Kind != cslog.Receipt && e.Kind != cslog.TransferIn {
		return "", clinic.FieldErrors{"kind": "Choose a receipt or a transfer in."}.Err()
	}
	var id string
	err := s.write(ctx, func(tx *Tx) error {
		if err := s.csGate(ctx, tx, actor, auth.PermControlled); err != nil {
			return err
		}
		p, err := scanCSProduct(tx.QueryRow(ctx, `SELECT `+csProductColumns+` FROM cs_products p WHERE p.id = $1`, in.ProductID))
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.FieldErrors{"product": "Choose one of the products."}.Err()
		}
		if err != nil {
			return err
		}
		e.RecordedBy = actor.UserID
		fe := cslog.Check(&e, p.Rules())
		switch {
		case in.Location == "":
			fe.Add("location", "Enter the location it is kept at (the registered address's storage).")
		case utf8.RuneCountInString(in.Location) > 120 || !clinic.SingleLine(in.Location):
			fe.Add("location", "Use at most 120 characters on one line.")
		}
		if len(fe) > 0 {
			return fe.Err()
		}
		expiry := time.Date(e.Expiry.Year(), e.Expiry.Month(), e.Expiry.Day(), 0, 0, 0, 0, time.UTC)
		var lotID string
		var expires time.Time
		err = tx.QueryRow(ctx, `SELECT id, expires_on FROM cs_lots WHERE product_id = $1 AND location = $2 AND lot = $3`, p.ID, in.Location, e.Lot).Scan(&lotID, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			lotID = NewID()
			_, err := tx.Exec(ctx, `INSERT INTO cs_lots (id, product_id, location, lot, expires_on, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				lotID, p.ID, in.Location, e.Lot, expiry, s.now())
			if s.d.isUniqueViolation(err) { // the same new lot received at the same moment elsewhere
				return clinic.FieldErrors{"lot": "This lot was recorded at the same moment by someone else: check the log before recording it again."}.Err()
			}
			if err != nil {
				return err
			}
		case err != nil:
			return err
		case !expires.UTC().Equal(expiry):
			return clinic.FieldErrors{"expiry": "Lot " + e.Lot + " here expires on " + expires.UTC().Format("2006-01-02") + ": check the package."}.Err()
		}
		lot, err := s.lockCSLot(ctx, tx, lotID)
		if err != nil {
			return err
		}
		id, err = s.insertCSEntry(ctx, tx, actor, lot, &e, in.OccurredAt)
		return err
	})
	return id, s.csDenied(ctx, actor, "cs."+string(e.Kind), err)
}

// RecordCS records an entry other than stock coming in (ReceiveCS) and an
// administration (recorded with the dose, RecordDose) against lotID: a
// dispensing, waste (e.WitnessID: the witness, who signed on the same form
// with their password and second factor, checked by the caller), a return,
// a transfer out, a loss, a count or a correction. Whoever keeps the log;
// audited in the same transaction.
func (s *Store) RecordCS(ctx context.Context, actor Actor, lotID string, e cslog.Entry, at time.Time) (string, error) {
	switch e.Kind {
	case cslog.Receipt, cslog.TransferIn:
		return "", clinic.FieldErrors{"kind": "Record stock coming in as a receipt."}.Err()
	case cslog.Administer:
		return "", clinic.FieldErrors{"kind": "An administration is recorded with the dose, in its dosing session."}.Err()
	}
	var id string
	err := s.write(ctx, func(tx *Tx) error {
		if err := s.csGate(ctx, tx, actor, auth.PermControlled); err != nil {
			return err
		}
		lot, err := s.lockCSLot(ctx, tx, lotID)
		if err != nil {
			return err
		}
		e.RecordedBy = actor.UserID
		if e.Kind == cslog.Count {
			e.Expected = lot.Balance // what the log has: the count is compared with it
		}
		if fe := cslog.Check(&e, lot.Product.Rules()); len(fe) > 0 {
			return fe.Err()
		}
		switch e.Kind {
		case cslog.Dispense:
			if _, err := s.authorize(ctx, tx, actor, e.PatientID, auth.PermDosing); err != nil {
				return clinic.FieldErrors{"patient": "Choose a patient on your care team."}.Err()
			}
			if err := s.checkStaff(ctx, tx, e.PrescriberID, clinic.RolePrescriber, "prescriber"); err != nil {
				return err
			}
		case cslog.Waste:
			if err := checkWitness(ctx, tx, e.WitnessID, actor.UserID); err != nil {
				return err
			}
		case cslog.Correction:
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM cs_entries WHERE id = $1 AND lot_id = $2`, e.CorrectsID, lot.ID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return clinic.FieldErrors{"corrects": "Choose an entry of this lot."}.Err()
			}
		}
		id, err = s.insertCSEntry(ctx, tx, actor, lot, &e, at)
		return err
	})
	return id, s.csDenied(ctx, actor, "cs."+string(e.Kind), err)
}

// checkWitness refuses a witness who is not another enabled staff member
// allowed to keep the log.
func checkWitness(ctx context.Context, tx *Tx, witnessID, recorder string) error {
	var role string
	err := tx.QueryRow(ctx, `SELECT role FROM users WHERE id = $1 AND disabled_at IS NULL`, witnessID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return clinic.FieldErrors{"witness": "The witness must be a staff member of the practice."}.Err()
	}
	if err != nil {
		return err
	}
	if witnessID == recorder {
		return clinic.FieldErrors{"witness": "The witness must be someone other than you."}.Err()
	}
	ok, err := csAllowed(ctx, tx, Actor{UserID: witnessID, Role: clinic.Role(role)}, auth.PermControlled)
	if err != nil {
		return err
	}
	if !ok {
		return clinic.FieldErrors{"witness": "The witness must be a prescriber or a staff member designated for controlled substances."}.Err()
	}
	return nil
}

// insertCSEntry appends e to the locked lot: checked by cslog, its
// balance worked out from the lot's, refused with a field error when it
// would go below zero, and audited in the same transaction.
func (s *Store) insertCSEntry(ctx context.Context, tx *Tx, actor Actor, lot *CSLot, e *cslog.Entry, at time.Time) (string, error) {
	now := s.now()
	if at.IsZero() {
		at = now
	}
	if at.After(now.Add(5 * time.Minute)) {
		return "", clinic.FieldErrors{"at": "The time cannot be in the future."}.Err()
	}
	after, fe := cslog.Apply(lot.Balance, e, lot.Product.Rules())
	if len(fe) > 0 {
		return "", fe.Err()
	}
	var expected, discovered any
	if e.Kind == cslog.Count {
		expected = e.Expected
	}
	if e.Kind == cslog.Loss {
		discovered = e.DiscoveredAt
	}
	id := NewID()
	if _, err := tx.Exec(ctx, `INSERT INTO cs_entries (id, lot_id, kind, quantity, expected, delta, balance, session_id, patient_id, party, invoice, witness_id,
		reason, loss_type, discovered_at, police, form106, corrects_id, recorded_by, occurred_at, recorded_at, prescriber_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
		id, lot.ID, string(e.Kind), e.Quantity, expected, e.Delta(), after, nullIfEmpty(e.SessionID), nullIfEmpty(e.PatientID), e.Party, e.Invoice, nullIfEmpty(e.WitnessID),
		e.Reason, e.LossType, discovered, e.PoliceNotified, e.Form106, nullIfEmpty(e.CorrectsID), actor.UserID, at, now, nullIfEmpty(e.PrescriberID)); err != nil {
		return "", err
	}
	lot.Balance = after
	detail := "lot=" + lot.ID
	if e.WitnessID != "" {
		detail += " witness=" + e.WitnessID
	}
	return id, s.appendAudit(ctx, tx, actor, Entry{Action: "cs." + string(e.Kind), PatientID: e.PatientID, ObjectType: "cs_entry", ObjectID: id, Detail: detail})
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// csAdminister draws a dose given in session d from lotID, in the dose's
// own transaction: refused unless actor may keep the log and the lot
// holds it.
func (s *Store) csAdminister(ctx context.Context, tx *Tx, actor Actor, d *DosingSession, lotID string, given clinic.DoseAmount, at time.Time) (string, error) {
	ok, err := csAllowed(ctx, tx, actor, auth.PermControlled)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", clinic.FieldErrors{"cs_lot": "Only a prescriber or a staff member designated for controlled substances can record a dose from the controlled-substance log: ask one of them to record it."}.Err()
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM cs_lots WHERE id = $1`, lotID).Scan(&n); err != nil {
		return "", err
	}
	if n == 0 {
		return "", clinic.FieldErrors{"cs_lot": "Choose the lot the dose was drawn from."}.Err()
	}
	lot, err := s.lockCSLot(ctx, tx, lotID)
	if err != nil {
		return "", err
	}
	q, msg := cslog.FromDose(given, lot.Product.Rules())
	if msg != "" {
		return "", clinic.FieldErrors{"amount": msg}.Err()
	}
	e := cslog.Entry{Kind: cslog.Administer, Quantity: q, SessionID: d.ID, PatientID: d.PatientID, RecordedBy: actor.UserID}
	if d.Prescription != nil { // the prescriber whose prescription the session gives
		if err := tx.QueryRow(ctx, `SELECT prescriber_id FROM prescriptions WHERE id = $1`, d.Prescription.ID).Scan(&e.PrescriberID); err != nil {
			return "", err
		}
	}
	if fe := cslog.Check(&e, lot.Product.Rules()); len(fe) > 0 {
		return "", fe.Err()
	}
	if _, fe := cslog.Apply(lot.Balance, &e, lot.Product.Rules()); len(fe) > 0 {
		return "", clinic.FieldErrors{"cs_lot": fe["quantity"] + " Choose another lot."}.Err()
	}
	_, err = s.insertCSEntry(ctx, tx, actor, lot, &e, at)
	return lot.Lot, err
}

const csEntryColumns = csLotColumns + `, e.balance, e.id, e.kind, e.quantity, COALESCE(e.expected, 0), e.delta, COALESCE(e.session_id, ''), COALESCE(e.patient_id, ''),
	COALESCE(pt.display_name, ''), e.party, e.invoice, COALESCE(w.display_name, ''), e.reason, e.loss_type, e.discovered_at, e.police, e.form106,
	COALESCE(e.corrects_id, ''), r.display_name, e.occurred_at, e.recorded_at, COALESCE(rx.display_name, ''), COALESCE(rx.credentials, ''),
	COALESCE(pt.address_line1, ''), COALESCE(pt.address_line2, ''), COALESCE(pt.address_city, ''), COALESCE(pt.address_state, ''), COALESCE(pt.address_postal_code, '')`

const csEntryFrom = ` FROM cs_entries e JOIN cs_lots l ON l.id = e.lot_id JOIN cs_products p ON p.id = l.product_id
	JOIN users r ON r.id = e.recorded_by LEFT JOIN users w ON w.id = e.witness_id LEFT JOIN patients pt ON pt.id = e.patient_id
	LEFT JOIN users rx ON rx.id = e.prescriber_id`

func scanCSEntry(row scanner) (e CSEntry, err error) {
	p, l := &e.Lot.Product, &e.Lot
	var kind, rxCredentials string
	var discovered sql.NullTime
	err = row.Scan(&p.ID, &p.Name, &p.Strength, &p.Form, &p.Unit, &p.UnitMcg, &p.Schedule, &p.REMS, &l.ID, &l.Location, &l.Lot, &l.ExpiresOn, &l.Balance,
		&e.ID, &kind, &e.Quantity, &e.Expected, &e.Delta, &e.SessionID, &e.PatientID, &e.PatientName, &e.Party, &e.Invoice, &e.WitnessName,
		&e.Reason, &e.LossType, &discovered, &e.Police, &e.Form106, &e.CorrectsID, &e.RecordedByName, &e.OccurredAt, &e.RecordedAt, &e.PrescriberName, &rxCredentials,
		&e.PatientAddress.Line1, &e.PatientAddress.Line2, &e.PatientAddress.City, &e.PatientAddress.State, &e.PatientAddress.PostalCode)
	e.PrescriberName = clinic.NameWithCredentials(e.PrescriberName, rxCredentials)
	e.Kind = cslog.Kind(kind)
	e.DiscoveredAt = utcPtr(discovered)
	l.ExpiresOn, e.OccurredAt, e.RecordedAt = l.ExpiresOn.UTC(), e.OccurredAt.UTC(), e.RecordedAt.UTC()
	return e, err
}

// CSEntries is the log a page at a time, newest first, of one lot (or
// all when lotID is ""). Whoever reads the log; audited.
func (s *Store) CSEntries(ctx context.Context, actor Actor, lotID string, k PageKey) (*Page[CSEntry], error) {
	var out *Page[CSEntry]
	err := s.write(ctx, func(tx *Tx) error {
		if err := s.csGate(ctx, tx, actor, auth.PermControlledRead); err != nil {
			return err
		}
		scope, args := csEntryFrom+` WHERE 1 = 1`, []any{}
		if lotID != "" {
			scope, args = scope+` AND e.lot_id = $1`, append(args, lotID)
		}
		var err error
		out, err = readPage(ctx, tx, keyset{Scope: scope, Args: args, Table: "cs_entries", Alias: "e", Order: []string{"recorded_at", "id"}, Desc: true},
			csEntryColumns, k, scanCSEntry, func(e CSEntry) string { return e.ID })
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "cs.entries", ObjectType: "cs_log", ObjectID: lotID})
	})
	return out, s.csDenied(ctx, actor, "cs.entries", err)
}

// CSView is the log's page: the products, the lots with stock, a page of
// entries, and whether the reader may keep the log.
type CSView struct {
	Keep     bool
	Products []CSProduct
	Lots     []CSLot
	Entries  *Page[CSEntry]
}

// CSPage reads the log's page in one transaction, audited as one read
// naming how many patients the page of entries shows. Whoever reads the
// log.
func (s *Store) CSPage(ctx context.Context, actor Actor, k PageKey) (*CSView, error) {
	v := &CSView{}
	err := s.write(ctx, func(tx *Tx) error {
		if err := s.csGate(ctx, tx, actor, auth.PermControlledRead); err != nil {
			return err
		}
		var err error
		if v.Keep, err = csAllowed(ctx, tx, actor, auth.PermControlled); err != nil {
			return err
		}
		if v.Products, err = queryAll(ctx, tx, scanCSProduct, `SELECT `+csProductColumns+` FROM cs_products p ORDER BY p.name, p.strength, p.form, p.id`); err != nil {
			return err
		}
		if v.Lots, err = csLots(ctx, tx, false); err != nil {
			return err
		}
		if v.Entries, err = readPage(ctx, tx, keyset{Scope: csEntryFrom + ` WHERE 1 = 1`, Table: "cs_entries", Alias: "e", Order: []string{"recorded_at", "id"}, Desc: true},
			csEntryColumns, k, scanCSEntry, func(e CSEntry) string { return e.ID }); err != nil {
			return err
		}
		patients := map[string]bool{}
		for _, e := range v.Entries.Rows {
			if e.PatientID != "" {
				patients[e.PatientID] = true
			}
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "cs.read", ObjectType: "cs_log", Detail: "entries=" + strconv.Itoa(len(v.Entries.Rows)) + " patients=" + strconv.Itoa(len(patients))})
	})
	return v, s.csDenied(ctx, actor, "cs.read", err)
}

// CSReportLimit caps the rows of a report: two years of a busy practice's
// doses (21 CFR 1304.04 keeps records 2 years) fit many times over.
const CSReportLimit = 20000

// CSDispensingLog is every administration and dispensing that occurred in
// [from, to), oldest first, with the patient, the drug, its strength, the
// quantity, the lot and who gave it (21 CFR 1304.22(c)). Whoever reads
// the log; audited as one read naming how many patients it shows.
func (s *Store) CSDispensingLog(ctx context.Context, actor Actor, from, to time.Time) ([]CSEntry, error) {
	var out []CSEntry
	err := s.write(ctx, func(tx *Tx) error {
		if err := s.csGate(ctx, tx, actor, auth.PermControlledRead); err != nil {
			return err
		}
		var err error
		out, err = queryAll(ctx, tx, scanCSEntry, `SELECT `+csEntryColumns+csEntryFrom+` WHERE e.kind IN ('administer', 'dispense')
			AND e.occurred_at >= $1 AND e.occurred_at < $2 ORDER BY e.occurred_at, e.id LIMIT `+strconv.Itoa(CSReportLimit), from, to)
		if err != nil {
			return err
		}
		patients := map[string]bool{}
		for _, e := range out {
			patients[e.PatientID] = true
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "cs.report.dispensing", ObjectType: "cs_log",
			Detail: from.UTC().Format("2006-01-02") + ".." + to.UTC().Format("2006-01-02") + " entries=" + strconv.Itoa(len(out)) + " patients=" + strconv.Itoa(len(patients))})
	})
	return out, s.csDenied(ctx, actor, "cs.report.dispensing", err)
}

// CSReconciled is one lot's movements over a period.
type CSReconciled struct {
	Lot                          CSLot // Balance: now
	Opening, Closing             int64
	In, Given, Wasted, Out, Lost int64 // receipts and transfers in; administered and dispensed; wasted; returned and transferred out; lost
	Counted, Corrected           int64 // the counts' and corrections' net change
}

// CSReconciliation is each lot's movements that occurred in [from, to):
// what it held before, what came in and went out by kind, the counts'
// differences and the corrections, and what it held after. Whoever reads
// the log; audited.
func (s *Store) CSReconciliation(ctx context.Context, actor Actor, from, to time.Time) ([]CSReconciled, error) {
	var out []CSReconciled
	err := s.write(ctx, func(tx *Tx) error {
		if err := s.csGate(ctx, tx, actor, auth.PermControlledRead); err != nil {
			return err
		}
		sum := func(kinds string) string {
			return `COALESCE(SUM(CASE WHEN e.occurred_at >= $1 AND e.occurred_at < $2 AND e.kind IN (` + kinds + `) THEN e.delta ELSE 0 END), 0)`
		}
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (r CSReconciled, err error) {
			p, l := &r.Lot.Product, &r.Lot
			err = row.Scan(&p.ID, &p.Name, &p.Strength, &p.Form, &p.Unit, &p.UnitMcg, &p.Schedule, &p.REMS, &l.ID, &l.Location, &l.Lot, &l.ExpiresOn,
				&l.Balance, &r.Opening, &r.In, &r.Given, &r.Wasted, &r.Out, &r.Lost, &r.Counted, &r.Corrected)
			r.Given, r.Wasted, r.Out, r.Lost = -r.Given, -r.Wasted, -r.Out, -r.Lost
			r.Closing = r.Opening + r.In - r.Given - r.Wasted - r.Out - r.Lost + r.Counted + r.Corrected
			l.ExpiresOn = l.ExpiresOn.UTC()
			return r, err
		}, `SELECT `+csLotColumns+`, COALESCE(SUM(e.delta), 0),
			COALESCE(SUM(CASE WHEN e.occurred_at < $1 THEN e.delta ELSE 0 END), 0),
			`+sum(`'receipt', 'transfer_in'`)+`, `+sum(`'administer', 'dispense'`)+`, `+sum(`'waste'`)+`, `+sum(`'return', 'transfer_out'`)+`, `+sum(`'loss'`)+`,
			`+sum(`'count'`)+`, `+sum(`'correction'`)+`
			`+csLotFrom+` LEFT JOIN cs_entries e ON e.lot_id = l.id
			GROUP BY `+csLotColumns+`
			HAVING COALESCE(SUM(CASE WHEN e.occurred_at < $2 THEN 1 ELSE 0 END), 0) > 0
			ORDER BY p.name, p.strength, l.location, l.expires_on, l.lot, l.id LIMIT `+strconv.Itoa(CSReportLimit), from, to)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "cs.report.reconciliation", ObjectType: "cs_log",
			Detail: from.UTC().Format("2006-01-02") + ".." + to.UTC().Format("2006-01-02")})
	})
	return out, s.csDenied(ctx, actor, "cs.report.reconciliation", err)
}
