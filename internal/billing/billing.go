// Package billing holds kapstone's rules for fees, charges and the ledger
// (issue 21), apart from the database: money in integer cents with a
// currency (never a float), the fee a session costs, which appointment
// event makes which charge, a package's per-session shares, and the
// ledger's arithmetic. The store (internal/store/billing*.go) keeps the
// rows and calls these rules; the database checks the ledger is
// append-only.
//
// Card data is never stored: a payment names its method and a reference
// (a check number, the terminal's receipt number). Online payment is out
// of scope; Processor is the seam where a processor would plug in.
package billing

import (
	"strconv"
	"strings"
	"time"
)

// DefaultCurrency is the practice's currency when none is set (ISO 4217).
const DefaultCurrency = "USD"

// MaxCents is the largest amount kapstone takes in one entry: $1,000,000.00.
// Anything larger is a typing slip, not a session fee.
const MaxCents int64 = 100_000_000

// Money is an amount in cents of a currency.
type Money struct {
	Cents    int64
	Currency string // ISO 4217, three capital letters
}

// String is m formatted (Format).
func (m Money) String() string { return Format(m.Cents, m.Currency) }

// ValidCurrency reports whether c looks like an ISO 4217 code: three
// capital letters.
func ValidCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// AmountError is ParseAmount's refusal: a sentence for the form's field.
type AmountError string

func (e AmountError) Error() string { return string(e) }

// Errors of ParseAmount.
const (
	ErrAmountEmpty     AmountError = "Enter an amount, like 150 or 150.00."
	ErrAmountNegative  AmountError = "Enter the amount without a minus sign; a refund or a write-off has its own form."
	ErrAmountPrecision AmountError = "Enter at most two digits after the decimal point (whole cents)."
	ErrAmountInvalid   AmountError = "Enter an amount in digits, like 150, 150.00 or 1,250.50."
	ErrAmountTooLarge  AmountError = "Enter an amount of at most 1,000,000.00."
)

// ParseAmount reads an amount typed by a person into cents: "150",
// "150.00", "150.5", "$1,250.50", " 1250 ". It never goes through a
// float. A negative amount, more than two decimals, a misplaced thousands
// comma, or more than MaxCents is refused with its error (a sentence for
// the field). Zero is accepted ("0", a free session); the caller refuses
// it where an amount must be positive.
func ParseAmount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrAmountEmpty
	}
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "−") || strings.HasPrefix(s, "$-") {
		return 0, ErrAmountNegative
	}
	s = strings.TrimPrefix(s, "+")
	s = strings.TrimSpace(strings.TrimPrefix(s, "$"))
	whole, frac, dot := strings.Cut(s, ".")
	if dot && frac == "" {
		return 0, ErrAmountInvalid
	}
	if len(frac) > 2 {
		if allDigits(frac) {
			return 0, ErrAmountPrecision
		}
		return 0, ErrAmountInvalid
	}
	if !allDigits(frac) {
		return 0, ErrAmountInvalid
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		if len(groups[0]) < 1 || len(groups[0]) > 3 {
			return 0, ErrAmountInvalid
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, ErrAmountInvalid
			}
		}
		whole = strings.Join(groups, "")
	}
	if whole == "" || !allDigits(whole) {
		return 0, ErrAmountInvalid
	}
	if len(whole) > 9 {
		return 0, ErrAmountTooLarge
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, ErrAmountInvalid
	}
	var c int64
	if frac != "" {
		c, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			c *= 10
		}
	}
	cents := w*100 + c
	if cents > MaxCents {
		return 0, ErrAmountTooLarge
	}
	return cents, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Format writes cents of currency for people: "$1,250.50" for USD,
// "1,250.50 EUR" for any other currency, "-$20.00" for a negative amount
// (a credit).
func Format(cents int64, currency string) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	whole := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	c := cents % 100
	num := b.String() + "." + string(rune('0'+c/10)) + string(rune('0'+c%10))
	sign := ""
	if neg {
		sign = "-"
	}
	if currency == "" || currency == "USD" {
		return sign + "$" + num
	}
	return sign + num + " " + currency
}

// FormatPlain writes cents as digits with two decimals and no grouping or
// symbol ("1250.50"), for a form's value and a CSV.
func FormatPlain(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	c := cents % 100
	return sign + strconv.FormatInt(cents/100, 10) + "." + string(rune('0'+c/10)) + string(rune('0'+c%10))
}

// ServiceCodeKind names the code set code belongs to by its shape, or ""
// for none: CPT Category I is five digits (90837); Category II, four
// digits and F (3725F); Category III, four digits and T (0591T); HCPCS
// Level II, a letter and four digits (G2082: esketamine, with observation).
// Only the shape is checked: the code sets themselves are licensed (CPT is
// the AMA's) and not shipped, so a well-shaped code that does not exist
// passes. Capital letters only: the store upper-cases what is typed.
func ServiceCodeKind(code string) string {
	if len(code) != 5 {
		return ""
	}
	digits := func(s string) bool {
		for _, r := range s {
			if r < '0' || r > '9' {
				return false
			}
		}
		return true
	}
	switch last, first := code[4], code[0]; {
	case digits(code):
		return "CPT Category I"
	case digits(code[:4]) && last == 'F':
		return "CPT Category II"
	case digits(code[:4]) && last == 'T':
		return "CPT Category III"
	case first >= 'A' && first <= 'Z' && digits(code[1:]):
		return "HCPCS Level II"
	}
	return ""
}

// ValidServiceCode reports whether code is shaped like a CPT or HCPCS
// Level II code (ServiceCodeKind).
func ValidServiceCode(code string) bool { return ServiceCodeKind(code) != "" }

// PsychotherapyMinutes is the face-to-face time a timed psychotherapy
// CPT code is for (CPT's time rule: a unit is met once its midpoint is
// passed): 90832 16 to 37 minutes, 90834 38 to 52, 90837 53 or more (max
// 0: no upper bound). ok is false for a code that is not one of them
// (90791 or 99213 are not timed this way).
func PsychotherapyMinutes(code string) (min, max int, ok bool) {
	switch code {
	case "90832":
		return 16, 37, true
	case "90834":
		return 38, 52, true
	case "90837":
		return 53, 0, true
	}
	return 0, 0, false
}

// FitsMinutes reports whether a session of minutes may be coded code: a
// timed psychotherapy code only within its range, any other code always.
func FitsMinutes(code string, minutes int) bool {
	lo, hi, ok := PsychotherapyMinutes(code)
	return !ok || minutes >= lo && (hi == 0 || minutes <= hi)
}

// ServiceCodeHelp is what a form says when a service code is not shaped
// like one.
const ServiceCodeHelp = "Enter a CPT code (five digits like 90837, or four digits and F or T like 0591T) or a HCPCS code (a letter and four digits like G2082)."

// Fee is an entry of the fee schedule: what a session of an appointment
// kind costs, for every clinician (ClinicianID "") or for one, who then
// charges it instead of the kind's default.
type Fee struct {
	ID          string
	Kind        string // an appointment kind (clinic.AppointmentTypes)
	ClinicianID string // "" for the kind's default
	Code        string // CPT service code, e.g. 90837
	AddOnCode   string // optional add-on code, "" for none
	Description string
	Cents       int64
}

// ResolveFee is the fee for a session of kind with clinicianID among the
// schedule's current entries: the clinician's own entry for the kind if
// there is one, else the kind's default; ok is false when the schedule
// has neither (then no charge is made).
func ResolveFee(schedule []Fee, kind, clinicianID string) (Fee, bool) {
	var def *Fee
	for i := range schedule {
		f := &schedule[i]
		if f.Kind != kind {
			continue
		}
		if f.ClinicianID != "" && f.ClinicianID == clinicianID {
			return *f, true
		}
		if f.ClinicianID == "" && def == nil {
			def = f
		}
	}
	if def == nil {
		return Fee{}, false
	}
	return *def, true
}

// ApplyTier is cents at a sliding-scale tier of percent (1..100) of the
// fee. Rounding: to the nearest cent, a half cent up (12345 at 75% is
// 9258.75 -> 9259; 10001 at 50% is 5000.5 -> 5001). A percent outside
// 1..100 (no tier) leaves the fee as it is. A tiny fee can round to 0
// (1 cent at 40%); ChargeFor then makes no charge.
func ApplyTier(cents int64, percent int) int64 {
	if percent <= 0 || percent >= 100 {
		return cents
	}
	return (cents*int64(percent) + 50) / 100
}

// Event is what happened to an appointment that may make a charge.
type Event string

// Events.
const (
	Attended  Event = "attended"
	NoShow    Event = "no_show"
	Cancelled Event = "cancelled"
)

// ChargeKind is what a charge is for.
type ChargeKind string

// Charge kinds.
const (
	ChargeService        ChargeKind = "service"         // a session attended, at its fee
	ChargeNoShow         ChargeKind = "no_show"         // a missed appointment, the policy's fee
	ChargeLateCancel     ChargeKind = "late_cancel"     // cancelled inside the policy's window
	ChargePackage        ChargeKind = "package"         // a package sold: its price, once
	ChargePackageSession ChargeKind = "package_session" // a session of a package: 0, its share shown
)

// ChargeKinds lists every kind.
var ChargeKinds = []ChargeKind{ChargeService, ChargeNoShow, ChargeLateCancel, ChargePackage, ChargePackageSession}

// DefaultLateCancelHours is the policy's window when none is set: a
// cancellation less than 24 hours before the start is late.
const DefaultLateCancelHours = 24

// Policy is the practice's charge policy for missed and late-cancelled
// appointments. A fee of 0 charges nothing.
type Policy struct {
	LateCancelHours int   // a cancellation less than this before the start is late
	LateCancelCents int64 // the late-cancel fee, 0 for none
	NoShowCents     int64 // the no-show fee, 0 for none
}

// Session is what the charge rule needs to know of an appointment.
type Session struct {
	StartsAt time.Time
	Fee      *Fee // the resolved fee for its kind and clinician, nil when the schedule has none
	Percent  int  // the patient's sliding-scale tier, 0 for none
	Package  bool // the patient has a package of this kind with a session left
}

// Charge is the charge an event makes.
type Charge struct {
	Kind        ChargeKind
	Cents       int64
	Code        string
	AddOnCode   string
	Description string
}

// ChargeFor is the charge event at time at makes for the session, and
// false when it makes none:
//   - attended: a package session (0, against the package) when the
//     patient has one of the kind, else the fee at the patient's tier;
//     none when the schedule has no fee for the kind;
//   - no_show: the policy's no-show fee, if it sets one;
//   - cancelled: the policy's late-cancel fee, if it sets one and the
//     cancellation is less than the window before the start (at the
//     start or after it counts as late).
//
// A fee that the patient's tier rounds down to 0 cents (a fee of a few
// cents at a low percentage) makes no charge: a charge is never 0.
//
// No-show and late-cancel fees are the policy's amounts; the sliding
// scale does not apply to them. They carry the kind's service code, if
// any, for the record, but a superbill leaves them out (no service).
func ChargeFor(event Event, at time.Time, pol Policy, s Session) (Charge, bool) {
	code, addOn := "", ""
	if s.Fee != nil {
		code, addOn = s.Fee.Code, s.Fee.AddOnCode
	}
	switch event {
	case Attended:
		if s.Package {
			return Charge{Kind: ChargePackageSession, Code: code, AddOnCode: addOn, Description: "Package session"}, true
		}
		if s.Fee == nil {
			return Charge{}, false
		}
		cents := ApplyTier(s.Fee.Cents, s.Percent)
		if cents <= 0 { // a tier that reduces a tiny fee to nothing: nothing is owed
			return Charge{}, false
		}
		return Charge{Kind: ChargeService, Cents: cents, Code: code, AddOnCode: addOn, Description: s.Fee.Description}, true
	case NoShow:
		if pol.NoShowCents <= 0 {
			return Charge{}, false
		}
		return Charge{Kind: ChargeNoShow, Cents: pol.NoShowCents, Description: "Missed appointment (no-show fee)"}, true
	case Cancelled:
		hours := pol.LateCancelHours
		if hours <= 0 {
			hours = DefaultLateCancelHours
		}
		if pol.LateCancelCents <= 0 || !at.After(s.StartsAt.Add(-time.Duration(hours)*time.Hour)) {
			return Charge{}, false
		}
		return Charge{Kind: ChargeLateCancel, Cents: pol.LateCancelCents, Description: "Late cancellation fee"}, true
	}
	return Charge{}, false
}

// PackageShares splits a package's price over its n sessions so that the
// shares sum exactly to the price: each is price/n, and the remainder
// cents go on the first session (100000 over 6: 16670, then five of
// 16666). n < 1 gives none.
func PackageShares(price int64, n int) []int64 {
	if n < 1 {
		return nil
	}
	out := make([]int64, n)
	each := price / int64(n)
	for i := range out {
		out[i] = each
	}
	out[0] += price - each*int64(n)
	return out
}

// PackagePaidShares spreads paid, what payments really applied to a
// package's charge (not what was written off), over its n sessions the
// way PackageShares spreads the price: each paid/n, the remainder cents on
// the first. No session is shown paid more than its share of price (the
// package's price after corrections): a first session's excess moves on
// to the next sessions. paid above price counts as price; n < 1 gives
// none. 60000 paid of 100000 over 6: 10000 each; 599 of 600 over 6:
// 100, 100, 100, 100, 100, 99.
func PackagePaidShares(price, paid int64, n int) []int64 {
	if n < 1 {
		return nil
	}
	paid = max(0, min(paid, price))
	fees, out := PackageShares(price, n), PackageShares(paid, n)
	excess := int64(0)
	for i := range out {
		out[i] += excess
		excess = max(0, out[i]-fees[i])
		out[i] -= excess
	}
	return out
}

// Open is a charge's open amount: its amount (after corrections) less
// what payments applied to it and what adjustments (write-offs) took off.
// Never below zero in a consistent ledger; the store refuses an entry
// that would make it so.
func Open(amount, applied, adjusted int64) int64 { return amount - applied - adjusted }

// Allocate applies amount to charges whose open amounts are opens, in
// order (the caller orders them: the named charges, or oldest first),
// each at most its open amount; what is left over is credit. A zero or
// negative open amount takes nothing.
func Allocate(amount int64, opens []int64) (applied []int64, credit int64) {
	applied = make([]int64, len(opens))
	left := amount
	for i, o := range opens {
		if left <= 0 {
			break
		}
		if o <= 0 {
			continue
		}
		a := min(o, left)
		applied[i], left = a, left-a
	}
	return applied, left
}

// Unapplied is what is left of a payment that was not applied to charges
// nor refunded: the patient's credit from it.
func Unapplied(paid, applied, refunded int64) int64 { return paid - applied - refunded }

// RefundLimit is the most that may be refunded of a payment: what was
// paid less what was refunded already (the applied part is un-applied
// first, by a reversal entry, so the charge opens again).
func RefundLimit(paid, refunded int64) int64 { return max(paid-refunded, 0) }

// Balance is the patient's balance: what they owe (the open amounts of
// their charges) less their credit (the unapplied parts of their
// payments). Negative: the practice owes them (a credit).
func Balance(open, credit int64) int64 { return open - credit }

// Methods a payment is made by. No card data is kept for any of them.
const (
	MethodCardTerminal = "card_terminal"
	MethodCash         = "cash"
	MethodCheck        = "check"
	MethodTransfer     = "transfer"
)

// Methods lists the payment methods, with their names for people.
var Methods = []struct{ Method, Title string }{
	{MethodCardTerminal, "Card (terminal)"},
	{MethodCash, "Cash"},
	{MethodCheck, "Check"},
	{MethodTransfer, "Bank transfer"},
}

// ValidMethod reports whether m is one of Methods.
func ValidMethod(m string) bool {
	for _, x := range Methods {
		if x.Method == m {
			return true
		}
	}
	return false
}

// Processor is the seam where an online card processor would plug in.
// kapstone has no implementation and stores no card data: today staff
// take a card on the practice's own terminal and record the payment with
// the terminal's receipt number as its reference.
//
// An implementation would create a hosted checkout for a patient's
// balance (the card is typed on the processor's page, never kapstone's),
// and on the processor's signed confirmation the store would record a
// payment of method "card_online" (to be added) with the processor's
// payment id as reference, applied as RecordPayment applies any payment;
// a refund would be asked of the processor first and recorded only once
// it confirms.
type Processor interface {
	// Checkout starts a payment of amount for the patient and returns the
	// processor's page to send them to, and its id for the payment.
	Checkout(patientID string, amount Money, returnURL string) (url, paymentRef string, err error)
	// Confirm checks the processor's confirmation of paymentRef (a
	// webhook's signed body) and returns the amount actually paid.
	Confirm(paymentRef string, signedBody []byte) (Money, error)
	// Refund asks the processor to refund amount of paymentRef.
	Refund(paymentRef string, amount Money) error
}
