package billing

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// ledgerPageSize is how many charges, and payments, one page lists.
const ledgerPageSize = 25

// openChargesLimit is how many open charges the payment form lists, the
// oldest first (a variable for the tests).
var openChargesLimit = store.OpenChargesLimit

type ledgerPage struct {
	money
	Patient  *store.Patient
	Ledger   *store.Ledger
	Act      bool            // the reader may record (auth.PermBilling)
	Open     []store.Charge  // every open charge, the oldest first, up to store.OpenChargesLimit
	MoreOpen bool            // more charges are open than Open lists
	Refund   []store.Payment // payments with something left to refund
	Tiers    []store.Tier
	Packages []store.Package
	formState
	Notice string
	// PayKey is the payment form's one-time key (store.FormKey): posted
	// twice, the form records one payment. Kept when the form comes back
	// with errors, since nothing was recorded.
	PayKey string
	Loc    *time.Location
	Today  string
	// The pages' links: newer and older charges, newer and older payments.
	ChargesNewer, ChargesOlder, PaymentsNewer, PaymentsOlder string
}

// Methods are the ways a payment is taken.
func (ledgerPage) Methods() []struct{ Method, Title string } { return billing.Methods }

// MethodTitle is a method's name for people.
func (ledgerPage) MethodTitle(m string) string {
	for _, x := range billing.Methods {
		if x.Method == m {
			return x.Title
		}
	}
	return m
}

// Date is a time as a day in the practice's zone, the way every page
// writes a day: "Nov 12, 2026".
func (d ledgerPage) Date(t time.Time) string { return shell.Day(t, d.Loc) }

// ChargeDate is a charge's day: a session's date of service, or the day a
// package was sold ("sold on Nov 26, 2026"), which is no date of service.
func (d ledgerPage) ChargeDate(c store.Charge) string {
	if c.Kind == billing.ChargePackage {
		return "sold on " + d.Date(c.ServiceDate)
	}
	return d.Date(c.ServiceDate)
}

// ChargeTitle names a charge: "Nov 26, 2026, Intake evaluation", or a
// package's "Six integration sessions, sold on Nov 26, 2026".
func (d ledgerPage) ChargeTitle(c store.Charge) string {
	if c.Kind == billing.ChargePackage {
		return c.Description + ", " + d.ChargeDate(c)
	}
	return d.Date(c.ServiceDate) + ", " + c.Description
}

// ChargeLabel names a charge in a list to choose from.
func (d ledgerPage) ChargeLabel(c store.Charge) string {
	return d.ChargeTitle(c) + " (" + d.Money(c.Open) + " open)"
}

// PaymentLabel names a payment in a list to choose from.
func (d ledgerPage) PaymentLabel(p store.Payment) string {
	return d.Date(p.ReceivedAt) + ", " + d.MethodTitle(p.Method) + " " + d.Money(p.Cents) + " (up to " + d.Money(billing.RefundLimit(p.Cents, p.Refunded)) + " to refund)"
}

// Reason says a correction, write-off or refund with its reason, as the
// patient reads it on their statement: "Written off $30.00 on Dec 1,
// 2026: hardship."
func (d ledgerPage) Reason(x store.LedgerReason) string {
	what := map[string]string{"correction": "Corrected to ", "write_off": "Written off ", "refund": "Refunded "}[x.Kind]
	return what + d.Money(x.Cents) + " on " + d.Date(x.At) + ": " + strings.TrimSuffix(x.Reason, ".") + "."
}

// Standing says the patient's balance in words.
func (d ledgerPage) Standing() string {
	b, name := d.Ledger.Balance, d.Patient.DisplayName
	switch {
	case b.Open > 0 && b.Credit > 0:
		return name + " has " + d.Money(b.Open) + " of open charges and " + d.Money(b.Credit) + " of credit not yet applied to them: " + d.balanceWords()
	case b.Open > 0:
		return name + " owes " + d.Money(b.Open) + "."
	case b.Credit > 0:
		return name + " owes nothing and has " + d.Money(b.Credit) + " of credit, for later charges or a refund."
	}
	return name + " owes nothing."
}

func (d ledgerPage) balanceWords() string {
	b := d.Ledger.Balance
	if b.Balance > 0 {
		return "once the credit is applied, " + d.Money(b.Balance) + " is owed."
	}
	if b.Balance < 0 {
		return "once it is applied, " + d.Money(-b.Balance) + " of credit is left."
	}
	return "applying the credit settles them."
}

// Ledger is GET /patients/{patient}/billing.
func (s *Handlers) Ledger(w http.ResponseWriter, r *http.Request) {
	s.ledgerPage(w, r, http.StatusOK, ledgerPage{})
}

func (s *Handlers) ledgerPage(w http.ResponseWriter, r *http.Request, status int, d ledgerPage) {
	pid := r.PathValue("patient")
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.PatientView(w, r, pid, "billing.ledger")
	if !ok {
		return
	}
	defer view.Close()
	ctx, actor := r.Context(), s.Actor(r)
	q := r.URL.Query()
	p, acc, err := s.Store.FindPatient(ctx, actor, pid)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	ck := store.PageKey{After: q.Get("charges_after"), Before: q.Get("charges_before"), Limit: ledgerPageSize}
	pk := store.PageKey{After: q.Get("payments_after"), Before: q.Get("payments_before"), Limit: ledgerPageSize}
	if d.Ledger, err = s.Store.PatientLedger(ctx, actor, pid, ck, pk); err != nil {
		s.Error(w, r, err)
		return
	}
	d.Patient, d.Act = p, acc.Can(auth.PermBilling)
	if d.PayKey = d.Value("payment", "form_key", ""); d.PayKey == "" || d.Err("payment", "form") != "" {
		d.PayKey = store.FormKey()
	}
	d.Loc, _ = s.PracticeZone(r)
	d.Today = s.Now().In(d.Loc).Format("2006-01-02")
	base := "/patients/" + pid + "/billing?"
	if c := d.Ledger.Charges; c.Prev != "" {
		d.ChargesNewer = base + "charges_before=" + url.QueryEscape(c.Prev) + "#charges"
	}
	if c := d.Ledger.Charges; c.Next != "" {
		d.ChargesOlder = base + "charges_after=" + url.QueryEscape(c.Next) + "#charges"
	}
	if c := d.Ledger.Payments; c.Prev != "" {
		d.PaymentsNewer = base + "payments_before=" + url.QueryEscape(c.Prev) + "#payments"
	}
	if c := d.Ledger.Payments; c.Next != "" {
		d.PaymentsOlder = base + "payments_after=" + url.QueryEscape(c.Next) + "#payments"
	}
	for _, x := range d.Ledger.Payments.Rows {
		if billing.RefundLimit(x.Cents, x.Refunded) > 0 {
			d.Refund = append(d.Refund, x)
		}
	}
	if d.Act {
		// The payment and write-off forms choose among all the open
		// charges, not only those of the page of charges shown.
		if d.Open, d.MoreOpen, err = s.Store.PatientOpenCharges(ctx, actor, pid, openChargesLimit); err != nil {
			s.Error(w, r, err)
			return
		}
		if d.Tiers, err = s.Store.SlidingTiers(ctx, actor); err != nil {
			s.Error(w, r, err)
			return
		}
		if d.Packages, err = s.Store.Packages(ctx, actor); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if d.Errors == nil {
		if d.Notice, err = s.notice(r, d); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	s.RenderView(w, r, view, status, "patient_billing", "Billing: "+p.DisplayName, d)
}

// notice says what the form just done (?done=) did, read back from the
// ledger: only what was recorded.
func (s *Handlers) notice(r *http.Request, d ledgerPage) (string, error) {
	q := r.URL.Query()
	switch q.Get("done") {
	case "payment":
		pay, apps, err := s.Store.PaymentRecorded(r.Context(), s.Actor(r), d.Patient.ID, q.Get("payment"))
		if e, ok := err.(*clinic.Error); ok && e.Code == clinic.ENotFound {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		msg := d.Money(pay.Cents) + " recorded"
		var applied int64
		var parts []string
		for _, a := range apps {
			applied += a.Cents
			parts = append(parts, d.Money(a.Cents)+" applied to "+d.ChargeTitle(store.Charge{Kind: a.Kind, Description: a.Description, ServiceDate: a.ServiceDate}))
		}
		if len(parts) > 0 {
			msg += "; " + strings.Join(parts, ", ")
		}
		if kept := pay.Cents - applied; kept > 0 {
			msg += ", " + d.Money(kept) + " kept as credit"
		}
		return msg + ".", nil
	case "credit":
		n, _ := strconv.ParseInt(q.Get("applied"), 10, 64)
		if n <= 0 {
			return "No credit was applied: there was no credit, or no open charge to apply it to.", nil
		}
		return d.Money(n) + " of credit applied to open charges.", nil
	case "refund":
		for _, x := range d.Ledger.Payments.Rows {
			if x.ID == q.Get("payment") {
				msg := "Refund recorded: " + d.Money(x.Refunded) + " of the " + d.Money(x.Cents) + " paid on " + d.Date(x.ReceivedAt) + " is refunded"
				if x.Unapplied > 0 {
					msg += ", and " + d.Money(x.Unapplied) + " of it is still credit"
				}
				msg += "."
				// Beyond the payment's credit the refund took its money back
				// off the charges it paid: say which are open again.
				reopened, err := s.Store.RefundReopened(r.Context(), s.Actor(r), d.Patient.ID, x.ID)
				if err != nil {
					return "", err
				}
				var parts []string
				for _, c := range reopened {
					parts = append(parts, d.ChargeTitle(store.Charge{Kind: c.Kind, Description: c.Description, ServiceDate: c.ServiceDate})+
						" ("+d.Money(c.Cents)+" taken back off it; "+d.Money(c.Open)+" open now)")
				}
				if len(parts) > 0 {
					msg += " Open again: " + strings.Join(parts, ", ") + "."
				}
				return msg + " Give the money back by the same means it was paid.", nil
			}
		}
	case "write-off", "correction":
		for _, c := range d.Ledger.Charges.Rows {
			if c.ID == q.Get("charge") {
				what := d.ChargeTitle(c)
				if q.Get("done") == "correction" {
					return "Charge corrected: " + what + " is now " + d.Money(c.Cents) + " (" + d.Money(c.OriginalCents) + " as charged); " + d.Money(c.Open) + " is open.", nil
				}
				return "Write-off recorded: " + what + " has " + d.Money(c.Adjusted) + " written off; " + d.Money(c.Open) + " is open.", nil
			}
		}
	}
	return map[string]string{
		"refund":     "Refund recorded. Give the money back by the same means it was paid.",
		"write-off":  "Write-off recorded.",
		"correction": "Charge corrected. The correction and its reason are kept with the charge.",
		"package":    "Package sold: its price is charged once, and its sessions are charged against it as they are attended.",
		"tier":       "Fee tier set. It applies to sessions attended from now on.",

		"close-package": "Package closed: the patient's sessions are charged at the fee from now on. Settle what is owed on it by a write-off, a correction or a refund.",
	}[q.Get("done")], nil
}

// back is the patient's billing page.
func back(r *http.Request) string { return "/patients/" + r.PathValue("patient") + "/billing" }

// ledgerDone answers a ledger form: back to the page with the field
// errors and what was typed, or on to it (query: the notice's).
func (s *Handlers) ledgerDone(w http.ResponseWriter, r *http.Request, form, query string, err error) {
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		fields := e.Fields
		if len(fields) == 0 {
			fields = map[string]string{"form": e.Message}
		}
		// The page is read at its first pages, not at the posted URL's.
		r.URL.RawQuery = ""
		s.ledgerPage(w, r, http.StatusUnprocessableEntity, ledgerPage{formState: formState{Form: r.PostForm, Errors: fields, Posted: form}})
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, back(r)+"?"+query, form)
}

// received reads the date a payment was received: today (or empty) is
// now; an earlier day is its noon in the practice's zone.
func (s *Handlers) received(r *http.Request, fe clinic.FieldErrors) time.Time {
	v := strings.TrimSpace(r.PostFormValue("received"))
	loc, _ := s.PracticeZone(r)
	now := s.Now()
	if v == "" || v == now.In(loc).Format("2006-01-02") {
		return now
	}
	day, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		fe.Add("received", "Enter the date it was received, like 2026-11-12.")
		return now
	}
	return day.Add(12 * time.Hour)
}

// Payment is POST /patients/{patient}/billing/payments.
func (s *Handlers) Payment(w http.ResponseWriter, r *http.Request) {
	fe := clinic.FieldErrors{}
	in := store.PaymentInput{Method: r.PostFormValue("method"), Reference: r.PostFormValue("reference"), FormKey: r.PostFormValue("form_key")}
	in.Cents = amountField(fe, r.PostForm, "amount", false)
	in.ReceivedAt = s.received(r, fe)
	// The charges ticked, in the form's order (the oldest first); none
	// ticked: the oldest open charges first.
	in.ChargeIDs = r.PostForm["charge"]
	if len(fe) > 0 && fe["amount"] == "" {
		// The store checks the rest; a bad date or choice stops it here.
		in.Cents = -1
	}
	pay, err := s.Store.RecordPayment(r.Context(), s.Actor(r), r.PathValue("patient"), in)
	query := ""
	if err == nil {
		query = "done=payment&payment=" + url.QueryEscape(pay.ID)
	}
	if len(fe) > 0 && err == nil {
		// Cannot happen: the store refuses -1.
		err = fe.Err()
	}
	err = merged(fe, err)
	if e, ok := err.(*clinic.Error); ok && e.Fields["received_at"] != "" {
		// The store's name for the date; the form's is "received".
		e.Fields["received"] = e.Fields["received_at"]
		delete(e.Fields, "received_at")
	}
	s.ledgerDone(w, r, "payment", query, err)
}

// Credit is POST /patients/{patient}/billing/credit.
func (s *Handlers) Credit(w http.ResponseWriter, r *http.Request) {
	n, err := s.Store.ApplyCredit(r.Context(), s.Actor(r), r.PathValue("patient"), nil)
	s.ledgerDone(w, r, "credit", "done=credit&applied="+strconv.FormatInt(n, 10), err)
}

// Refund is POST /patients/{patient}/billing/refunds.
func (s *Handlers) Refund(w http.ResponseWriter, r *http.Request) {
	fe := clinic.FieldErrors{}
	cents := amountField(fe, r.PostForm, "amount", false)
	pay := r.PostFormValue("payment")
	if pay == "" {
		fe.Add("payment", "Choose the payment the refund comes out of.")
		cents = -1
	}
	err := s.Store.Refund(r.Context(), s.Actor(r), r.PathValue("patient"), pay, cents, r.PostFormValue("reason"), r.PostFormValue("reference"))
	s.ledgerDone(w, r, "refund", "done=refund&payment="+url.QueryEscape(pay), merged(fe, err))
}

// WriteOff is POST /patients/{patient}/billing/write-offs.
func (s *Handlers) WriteOff(w http.ResponseWriter, r *http.Request) {
	fe := clinic.FieldErrors{}
	var cents int64 // 0: all that is open
	if r.PostFormValue("all") == "yes" {
		// Both ticked and typed: which was meant is not known, so
		// nothing is written off until one is chosen.
		if strings.TrimSpace(r.PostFormValue("amount")) != "" {
			fe.Add("amount", "Either tick all that is open or enter an amount, not both.")
			cents = -1
		}
	} else {
		if cents = amountField(fe, r.PostForm, "amount", true); cents == 0 {
			fe.Add("amount", "Enter the amount to write off, or choose all that is open.")
			cents = -1
		}
	}
	charge := r.PostFormValue("charge")
	if charge == "" {
		fe.Add("charge", "Choose the charge to write off.")
		cents = -1
	}
	err := s.Store.WriteOff(r.Context(), s.Actor(r), r.PathValue("patient"), charge, cents, r.PostFormValue("reason"))
	s.ledgerDone(w, r, "write-off", "done=write-off&charge="+url.QueryEscape(charge), merged(fe, err))
}

// Correction is POST /patients/{patient}/billing/corrections.
func (s *Handlers) Correction(w http.ResponseWriter, r *http.Request) {
	fe := clinic.FieldErrors{}
	cents := amountField(fe, r.PostForm, "amount", false)
	charge := r.PostFormValue("charge")
	if charge == "" {
		fe.Add("charge", "Choose the charge to correct.")
		cents = -1
	}
	err := s.Store.CorrectCharge(r.Context(), s.Actor(r), r.PathValue("patient"), charge, cents, r.PostFormValue("reason"))
	s.ledgerDone(w, r, "correction", "done=correction&charge="+url.QueryEscape(charge), merged(fe, err))
}

// SellPackage is POST /patients/{patient}/billing/packages.
func (s *Handlers) SellPackage(w http.ResponseWriter, r *http.Request) {
	_, err := s.Store.SellPackage(r.Context(), s.Actor(r), r.PathValue("patient"), r.PostFormValue("package"))
	s.ledgerDone(w, r, "package", "done=package", err)
}

// Tier is POST /patients/{patient}/billing/tier.
func (s *Handlers) Tier(w http.ResponseWriter, r *http.Request) {
	err := s.Store.SetPatientTier(r.Context(), s.Actor(r), r.PathValue("patient"), r.PostFormValue("tier"))
	s.ledgerDone(w, r, "tier", "done=tier", err)
}
