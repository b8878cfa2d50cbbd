// Package cslog holds the rules of the controlled-substance log (issue 20,
// part 1): the kinds of entry, what each must carry, how each moves a
// lot's balance, and the quantities, kept exact as integers. It reads no
// database and knows no user: the store writes what it allows, and the
// database checks the same rules again (migration 0055).
//
// Ketamine is a Schedule III controlled substance in the US (21 CFR
// 1308.13). Sources (clinical/REFERENCE.md §7.4, the DEA Practitioner's
// Manual):
//   - records are kept at least 2 years and available for inspection (21
//     CFR 1304.04);
//   - an initial inventory, and one at least every 2 years (21 CFR
//     1304.11): a Count entry;
//   - a practitioner who administers or dispenses records each: the
//     patient's name and address, the date, the drug, its strength, the
//     quantity and who gave it (21 CFR 1304.22(c)): Administer and
//     Dispense entries;
//   - theft or significant loss is reported to the DEA on Form 106 (21 CFR
//     1301.76(b)): a Loss entry with the form's fields;
//   - disposal is documented (DEA Form 41); on-site waste is witnessed by
//     a second licensed person (common practice and many state rules): a
//     Waste entry names its witness, who is not the one recording it;
//   - Schedule III receipts are recorded from the supplier's invoice (no
//     Form 222): a Receipt entry with supplier, invoice, lot and expiry.
//
// The log is append-only: a mistake is put right by a Correction entry
// that names the entry it corrects and why, never by changing it.
package cslog

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/clinic"
)

// Kind is what an entry records.
type Kind string

// Kinds of entry.
const (
	Receipt     Kind = "receipt"      // from a supplier, with invoice, lot and expiry: adds
	Administer  Kind = "administer"   // given to a patient in a dosing session: takes away
	Dispense    Kind = "dispense"     // handed to a patient to take away: takes away
	Waste       Kind = "waste"        // destroyed on site before a witness: takes away
	Return      Kind = "return"       // to the supplier or a reverse distributor (DEA Form 41 for disposal): takes away
	TransferIn  Kind = "transfer_in"  // from another location or registrant: adds
	TransferOut Kind = "transfer_out" // to another location or registrant: takes away
	Loss        Kind = "loss"         // theft or loss, with DEA Form 106's fields: takes away
	Count       Kind = "count"        // an inventory or spot count: sets the balance to what was counted, with the difference's reason
	Correction  Kind = "correction"   // puts an earlier entry right, by a signed change, with a reason
)

// Kinds lists every kind, in the order forms offer them.
var Kinds = []Kind{Receipt, Administer, Dispense, Waste, Return, TransferIn, TransferOut, Loss, Count, Correction}

// Title is a kind in words.
func (k Kind) Title() string {
	return map[Kind]string{
		Receipt: "Receipt", Administer: "Administered", Dispense: "Dispensed", Waste: "Waste", Return: "Return",
		TransferIn: "Transfer in", TransferOut: "Transfer out", Loss: "Loss or theft", Count: "Count", Correction: "Correction",
	}[k]
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return k.Title() != "" }

// Units a product's quantities are kept in.
const (
	// UnitMg: a product measured by weight (a vial of solution, powder);
	// quantities are whole micrograms, shown in mg.
	UnitMg = "mg"
	// UnitEach: a product counted (lozenges, troches, tablets, nasal
	// spray devices), each of a strength; quantities are whole units.
	UnitEach = "each"
)

// Product is what the rules need of a product.
type Product struct {
	Unit        string // UnitMg or UnitEach
	StrengthMcg int64  // UnitEach: micrograms of drug in one unit (0 when unknown)
	Form        string // for words: "lozenge", "vial"
}

// Schedules are the DEA schedules a product may be in.
var Schedules = []string{"II", "III", "IV", "V"}

// LossTypes are DEA Form 106's types of theft or loss.
var LossTypes = []string{"Night break-in", "Armed robbery", "Employee pilferage", "Customer theft", "Lost in transit", "Other"}

// Entry is one entry of the log, as the rules see it.
type Entry struct {
	Kind     Kind
	Quantity int64 // in the product's unit (µg or units); > 0, except Count (what was counted, >= 0) and Correction (the signed change)
	Expected int64 // Count: the balance before, as the log has it

	SessionID string // Administer: the dosing session (required)
	PatientID string // Administer, Dispense: the patient (required)
	// Dispense: the prescriber who ordered it (required; the store checks
	// it names an enabled prescriber).
	PrescriberID string
	Party        string // Receipt: supplier; Return, TransferOut: to whom; TransferIn: from whom
	Invoice      string // Receipt: the invoice (or packing slip) number
	Lot          string // Receipt, TransferIn: the manufacturer's lot number
	Expiry       time.Time

	RecordedBy string
	WitnessID  string // Waste: the second staff member who saw it (required, not RecordedBy)

	Reason     string // Waste: how and why; Count: the difference's reason; Correction: why; Loss: what happened
	CorrectsID string // Correction: the entry it corrects

	// Loss: DEA Form 106's fields.
	LossType       string // one of LossTypes
	DiscoveredAt   time.Time
	PoliceNotified string // the police department told, and the report number; "" when none
	Form106        string // the number of the Form 106 filed (may follow: the initial notice is due within one business day)
}

// Delta is how e moves the lot's balance.
func (e Entry) Delta() int64 {
	switch e.Kind {
	case Receipt, TransferIn:
		return e.Quantity
	case Administer, Dispense, Waste, Return, TransferOut, Loss:
		return -e.Quantity
	case Count:
		return e.Quantity - e.Expected
	case Correction:
		return e.Quantity
	}
	return 0
}

// Check says what is wrong with e, field by field, for a product p; it
// trims the text fields. It does not look at the balance (Apply does).
func Check(e *Entry, p Product) clinic.FieldErrors {
	fe := clinic.FieldErrors{}
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"party", &e.Party, 120}, {"invoice", &e.Invoice, 60}, {"lot", &e.Lot, 60}, {"police", &e.PoliceNotified, 200}, {"form106", &e.Form106, 60}} {
		*f.v = strings.TrimSpace(*f.v)
		if utf8.RuneCountInString(*f.v) > f.max {
			fe.Add(f.name, "Use at most "+strconv.Itoa(f.max)+" characters.")
		} else if !clinic.SingleLine(*f.v) {
			fe.Add(f.name, clinic.LineProblem)
		}
	}
	e.Reason = strings.TrimSpace(e.Reason)
	if utf8.RuneCountInString(e.Reason) > 2000 {
		fe.Add("reason", "Use at most 2,000 characters.")
	}
	if !e.Kind.Valid() {
		fe.Add("kind", "Choose what happened.")
		return fe
	}
	switch {
	case e.Kind == Correction:
		if e.Quantity == 0 {
			fe.Add("quantity", "Enter the change: a positive amount adds to the lot, a negative one takes away.")
		}
	case e.Kind == Count:
		if e.Quantity < 0 {
			fe.Add("quantity", "Enter what you counted: zero or more.")
		}
	case e.Quantity <= 0:
		fe.Add("quantity", "Enter an amount greater than zero.")
	}
	switch e.Kind {
	case Receipt:
		if e.Party == "" {
			fe.Add("party", "Enter the supplier.")
		}
		if e.Invoice == "" {
			fe.Add("invoice", "Enter the invoice number (Schedule III receipts are recorded from the invoice).")
		}
		if e.Lot == "" {
			fe.Add("lot", "Enter the lot number printed on the package.")
		}
		if e.Expiry.IsZero() {
			fe.Add("expiry", "Enter the expiry date printed on the package.")
		}
	case TransferIn:
		if e.Party == "" {
			fe.Add("party", "Enter where it came from.")
		}
		if e.Lot == "" {
			fe.Add("lot", "Enter the lot number printed on the package.")
		}
		if e.Expiry.IsZero() {
			fe.Add("expiry", "Enter the expiry date printed on the package.")
		}
	case Return, TransferOut:
		if e.Party == "" {
			fe.Add("party", "Enter where it went.")
		}
	case Administer:
		if e.SessionID == "" {
			fe.Add("session", "An administration is recorded from its dosing session.")
		}
		if e.PatientID == "" {
			fe.Add("patient", "An administration names its patient.")
		}
	case Dispense:
		if e.PatientID == "" {
			fe.Add("patient", "Choose the patient it was dispensed to.")
		}
		if e.PrescriberID == "" {
			fe.Add("prescriber", "Choose the prescriber who ordered it.")
		}
	case Waste:
		switch {
		case e.WitnessID == "":
			fe.Add("witness", "Waste is witnessed: a second staff member signs with their password.")
		case e.WitnessID == e.RecordedBy:
			fe.Add("witness", "The witness must be someone other than you.")
		}
		if e.Reason == "" {
			fe.Add("reason", "Say what was wasted and how (for example: drawn up and not given, discarded into a drug-disposal container).")
		}
	case Loss:
		if !slices.Contains(LossTypes, e.LossType) {
			fe.Add("loss_type", "Choose the type of theft or loss (DEA Form 106).")
		}
		if e.DiscoveredAt.IsZero() {
			fe.Add("discovered", "Enter when the loss was discovered.")
		}
		if e.Reason == "" {
			fe.Add("reason", "Describe what happened.")
		}
	case Count:
		if e.Quantity != e.Expected && e.Reason == "" {
			fe.Add("reason", "The count differs from the log: give the reason (and report a theft or significant loss on DEA Form 106).")
		}
	case Correction:
		if e.CorrectsID == "" {
			fe.Add("corrects", "Choose the entry this corrects.")
		}
		if e.Reason == "" {
			fe.Add("reason", "Say what was wrong with the entry.")
		}
	}
	return fe
}

// Apply is the lot's balance after e, given the balance before. A count's
// Expected is set to the balance before. An entry that would leave less
// than nothing is refused with a field error on the quantity.
func Apply(balance int64, e *Entry, p Product) (int64, clinic.FieldErrors) {
	if e.Kind == Count {
		e.Expected = balance
	}
	after := balance + e.Delta()
	if after < 0 {
		return balance, clinic.FieldErrors{"quantity": "That is more than the lot holds: " + Format(balance, p) + " left."}
	}
	return after, nil
}

// Balance replays entries from nothing: the balance after each, and the
// first refused (nil when all apply).
func Balance(entries []Entry, p Product) (int64, []int64, error) {
	var b int64
	after := make([]int64, 0, len(entries))
	for i := range entries {
		nb, fe := Apply(b, &entries[i], p)
		if fe != nil {
			return b, after, fe.Err()
		}
		b = nb
		after = append(after, b)
	}
	return b, after, nil
}

// Parse reads a quantity typed for product p: for UnitMg a number of mg
// with at most 3 decimals ("12.5", "12.5 mg"), kept as µg; for UnitEach a
// whole number of units. signed allows a leading minus (a correction).
func Parse(text string, p Product, signed bool) (int64, bool) {
	t := strings.TrimSpace(text)
	neg := false
	if signed && strings.HasPrefix(t, "-") {
		neg, t = true, strings.TrimSpace(t[1:])
	} else if signed && strings.HasPrefix(t, "+") {
		t = strings.TrimSpace(t[1:])
	}
	var q int64
	var ok bool
	if p.Unit == UnitEach {
		t = strings.TrimSpace(strings.TrimSuffix(t, "units"))
		q, ok = whole(t, 7)
	} else {
		t = strings.TrimSpace(strings.TrimSuffix(strings.ToLower(t), "mg"))
		q, ok = milli(t)
	}
	if !ok {
		return 0, false
	}
	if neg {
		q = -q
	}
	return q, true
}

// whole reads up to digits decimal digits.
func whole(t string, digits int) (int64, bool) {
	if t == "" || len(t) > digits {
		return 0, false
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	return n, err == nil
}

// milli reads "12", "12.5", "12.125" as thousandths (12000, 12500, 12125).
func milli(t string) (int64, bool) {
	ip, fp, dot := strings.Cut(t, ".")
	if dot && (fp == "" || len(fp) > 3) {
		return 0, false
	}
	i, ok := whole(ip, 7)
	if !ok {
		return 0, false
	}
	f := int64(0)
	if dot {
		if f, ok = whole(fp, 3); !ok {
			return 0, false
		}
		for n := len(fp); n < 3; n++ {
			f *= 10
		}
	}
	return i*1000 + f, true
}

// Format shows a quantity of product p: "12.5 mg", "3 units".
func Format(q int64, p Product) string {
	sign := ""
	if q < 0 {
		sign, q = "-", -q
	}
	if p.Unit == UnitEach {
		if q == 1 {
			return sign + "1 unit"
		}
		return sign + strconv.FormatInt(q, 10) + " units"
	}
	s := strconv.FormatInt(q/1000, 10)
	if f := q % 1000; f != 0 {
		s += strings.TrimRight("."+strconv.FormatInt(1000+f, 10)[1:], "0")
	}
	return sign + s + " mg"
}

// FromDose is the quantity of product p a dose given in a session takes
// from a lot: the dose in mg or mcg (kapstone's dose units), in µg for a
// UnitMg product, or in whole units of the product's strength. A dose in
// mg/kg, or one that is not a whole number of units, cannot be drawn
// from the log: the message says why.
func FromDose(d clinic.DoseAmount, p Product) (int64, string) {
	var mcg int64
	switch d.Unit {
	case "mg":
		q, ok := milli(strconv.FormatFloat(d.Amount, 'f', -1, 64))
		if !ok {
			return 0, "Enter the dose in mg with at most 3 decimals."
		}
		mcg = q
	case "mcg":
		q, ok := whole(strconv.FormatFloat(d.Amount, 'f', -1, 64), 10)
		if !ok {
			return 0, "Enter the dose in whole micrograms."
		}
		mcg = q
	default:
		return 0, "A dose drawn from the controlled-substance log is given in mg or mcg, not " + d.Unit + "."
	}
	if mcg <= 0 {
		return 0, "Enter a dose greater than zero."
	}
	if p.Unit != UnitEach {
		return mcg, ""
	}
	if p.StrengthMcg <= 0 || mcg%p.StrengthMcg != 0 {
		return 0, "The dose is not a whole number of " + plural(p.Form) + " of this strength (" + Format(p.StrengthMcg, Product{Unit: UnitMg}) + " each)."
	}
	return mcg / p.StrengthMcg, ""
}

func plural(form string) string {
	if form == "" {
		return "units"
	}
	return form + "s"
}
