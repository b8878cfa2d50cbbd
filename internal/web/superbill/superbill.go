// Package superbill is the face of superbills and statements (issue 21):
// the staff page of a patient's billing documents (choose a period,
// download the superbill or the statement as a PDF, send it to the
// patient: an email without content that points to their portal) and the
// portal's billing page (the patient's balance in plain words, their
// charges and payments, what was sent to them, and their own downloads).
// Access is the policy's: reading a patient's billing is
// auth.PermBillingRead (the patient, the care team's therapist, admins),
// sending is auth.PermBilling; the store checks again and audits each
// read and send.
package superbill

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/pdfdoc"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers answers the superbill and statement routes.
type Handlers struct {
	*shell.App
}

// New returns the face's handlers over the shared state.
func New(app *shell.App) *Handlers { return &Handlers{App: app} }

// sendRow is a send as the pages list it, with the link that downloads
// the document sent (its kind and its period).
type sendRow struct {
	What, Period, By, When, State string
	Href                          template.URL
}

type pageData struct {
	Patient    store.BillingPatient
	PatientID  string
	Portal     bool
	Outbox     bool // no mail server is set up: emails are kept in the outbox, not sent
	NoServices bool // the period's superbill would list no service: said, and not offered to send
	Presets    []Preset
	Period     Period
	Errors     map[string]string
	Notice     string
	SendKeys   map[string]string // each send form's one-time key (store.FormKey), by kind
	Sends      []sendRow
	MoreSends  bool
	Balance    string
	BasePath   string // "/patients/{id}/statements" or "/portal/billing"
	Charges    []chargeRow
	Payments   []paymentRow
	ChargesPg  pager
	PaymentsPg pager
	// The portal's: the patient's credit not yet applied to their open
	// charges, in words, and their refunds (the newest, up to
	// portalRefunds).
	Credit      string
	Refunds     []refundRow
	MoreRefunds bool
	// The portal's packages (newest first, up to portalPackages): each in
	// a sentence of its sessions used and left, or that it was closed.
	Packages     []string
	MorePackages bool
}

type chargeRow struct{ Date, Code, Description, Amount, Open string }
type refundRow struct{ Date, Amount, From string }
type paymentRow struct{ Date, Method, Amount, Credit string }

// pager is the links of a paged list.
type pager struct{ Older, Newer string }

var kindWords = map[string]string{store.DocSuperbill: "Superbill", store.DocStatement: "Statement"}

// sendRows lists sends for people, each with its download link under
// base ("/patients/{id}/statements" or "/portal/billing"). With outbox
// (no mail server is set up) no email is sent: the state never says
// sent, it says the email is kept in the outbox.
func sendRows(sends []store.StatementSend, loc *time.Location, base string, outbox bool) []sendRow {
	var out []sendRow
	for _, x := range sends {
		state := "Queued: the email goes out shortly"
		switch {
		case x.Failed:
			state = "The email could not be sent"
		case outbox && x.Sent:
			state = "Not emailed: no mail server is set up, so the email was kept in the email outbox"
		case outbox:
			state = "Not emailed: no mail server is set up, so the email will be kept in the email outbox"
		case x.Sent:
			state = "Email sent"
		}
		from, last := x.From.In(loc), x.To.In(loc).AddDate(0, 0, -1)
		q := url.Values{"period": {"dates"}, "from": {from.Format(dateISO)}, "to": {last.Format(dateISO)}}.Encode()
		out = append(out, sendRow{What: kindWords[x.Kind], Period: longDay(from) + " to " + longDay(last),
			By: x.SentBy, When: shell.When(x.SentAt, loc), State: state,
			// A fixed path and a query url.Values encoded: safe as it is
			// (as a string, html/template would escape its "=" and "&").
			Href: template.URL(base + "/" + x.Kind + ".pdf?" + q)})
	}
	return out
}

// Page is GET /patients/{patient}/statements: the period form, the
// downloads, the send buttons and what was sent.
func (s *Handlers) Page(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusOK, nil)
}

func (s *Handlers) page(w http.ResponseWriter, r *http.Request, status int, errs map[string]string) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "billing.documents")
	if !ok {
		return
	}
	defer view.Close()
	_ = r.ParseForm() // a form that cannot be read is the default period
	docs, err := s.Store.StatementDocuments(r.Context(), s.Actor(r), r.PathValue("patient"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	loc := zoneOf(docs.Zone)
	spans := Spans(docs, loc)
	period, perrs := ParsePeriod(r.Form, s.Now(), loc, spans)
	if perrs != nil {
		if errs == nil {
			errs, status = perrs, http.StatusUnprocessableEntity
		}
		period, _ = ParsePeriod(url.Values{}, s.Now(), loc, spans) // the links: the default period
	}
	d := pageData{Patient: docs.Patient, PatientID: docs.Patient.ID, Portal: docs.HasPortal, Outbox: s.OutboxOnly, Presets: Presets(spans), Period: period,
		Errors: errs, Sends: sendRows(docs.Sends, loc, "/patients/"+docs.Patient.ID+"/statements", s.OutboxOnly), MoreSends: docs.MoreSends, Balance: staffBalance(docs.Balance),
		BasePath: "/patients/" + docs.Patient.ID + "/statements", SendKeys: map[string]string{store.DocSuperbill: store.FormKey(), store.DocStatement: store.FormKey()}}
	if d.NoServices, err = s.noServices(r, docs.Patient.ID, period); err != nil {
		s.Error(w, r, err)
		return
	}
	if r.URL.Query().Get("done") == "queued" {
		d.Notice = SentNotice(s.OutboxOnly, docs.Patient.DisplayName)
	}
	s.RenderView(w, r, view, status, "statements", "Superbills and statements: "+docs.Patient.DisplayName, d)
}

// noServices says whether patientID's superbill for period would list
// no service (read in the page's view: no second audit row).
func (s *Handlers) noServices(r *http.Request, patientID string, period Period) (bool, error) {
	has, err := s.Store.SuperbillHasServices(r.Context(), s.Actor(r), patientID, period.Purchase, period.From.UTC(), period.To.UTC())
	return !has, err
}

// SentNotice is what the page says once a document is sent to the
// patient named name: never that the email was sent. With outbox (no
// mail server is set up) the email is not sent at all but kept in the
// admin's email outbox, and the page says so.
func SentNotice(outbox bool, name string) string {
	if outbox {
		return "The document is in " + name + "'s portal, but no email was sent: no mail server is set up, so the email is kept in the email outbox " +
			"(Admin, Jobs, Email outbox). Tell " + name + " it waits in their portal."
	}
	return "Queued: the email to the patient goes out shortly. It says only that a document waits in their portal, with a link to sign in."
}

func staffBalance(b store.Balance) string {
	switch {
	case b.Balance > 0:
		return "Owes " + billing.Format(b.Balance, b.Currency) + " today."
	case b.Balance < 0:
		return "Has a credit of " + billing.Format(-b.Balance, b.Currency) + " today."
	default:
		return "Owes nothing today."
	}
}

func zoneOf(name string) *time.Location {
	if name != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.UTC
}

// Send is POST /patients/{patient}/statements/send: records the send of
// the superbill or statement for the period and queues the email.
func (s *Handlers) Send(w http.ResponseWriter, r *http.Request) {
	ctx, actor, id := r.Context(), s.Actor(r), r.PathValue("patient")
	if err := r.ParseForm(); err != nil {
		s.page(w, r, http.StatusUnprocessableEntity, map[string]string{"send": "We could not read the form. Try again."})
		return
	}
	docs, err := s.Store.StatementDocuments(ctx, actor, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	loc := zoneOf(docs.Zone)
	period, perrs := ParsePeriod(r.PostForm, s.Now(), loc, Spans(docs, loc))
	if perrs != nil {
		s.page(w, r, http.StatusUnprocessableEntity, perrs)
		return
	}
	_, err = s.Store.SendStatementOnce(ctx, actor, id, r.PostFormValue("kind"), period.From.UTC(), period.To.UTC(), r.PostFormValue("form_key"))
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.page(w, r, http.StatusUnprocessableEntity, e.Fields)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/patients/"+id+"/statements?"+period.Query()+"&done=queued", "sent")
}

// SuperbillPDF is GET /patients/{patient}/statements/superbill.pdf.
func (s *Handlers) SuperbillPDF(w http.ResponseWriter, r *http.Request) {
	s.staff(w, r, store.DocSuperbill)
}

// StatementPDF is GET /patients/{patient}/statements/statement.pdf.
func (s *Handlers) StatementPDF(w http.ResponseWriter, r *http.Request) {
	s.staff(w, r, store.DocStatement)
}

func (s *Handlers) staff(w http.ResponseWriter, r *http.Request, kind string) {
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "billing."+kind)
	if !ok {
		return
	}
	defer view.Close()
	s.download(w, r, view, r.PathValue("patient"), kind)
}

// download makes the PDF of kind for patientID and the period asked for,
// read in view (one read transaction, one audit row committed before the
// PDF is sent).
func (s *Handlers) download(w http.ResponseWriter, r *http.Request, view *store.View, patientID, kind string) {
	ctx, actor := r.Context(), s.Actor(r)
	loc, zone := s.PracticeZone(r)
	var spans []Span
	if pr := r.URL.Query().Get("period"); strings.HasPrefix(pr, "course-") || strings.HasPrefix(pr, "package-") {
		docs, err := s.Store.StatementDocuments(ctx, actor, patientID) // in the view: no second audit row
		if err != nil {
			s.Error(w, r, err)
			return
		}
		spans = Spans(docs, loc)
	}
	period, perrs := ParsePeriod(r.URL.Query(), s.Now(), loc, spans)
	if perrs != nil {
		s.Error(w, r, clinic.FieldErrors(perrs).Err())
		return
	}
	paper, now := pdfdoc.PaperFor(zone), s.Now()
	var d pdfdoc.Document
	if kind == store.DocSuperbill {
		doc, err := s.Store.PackageSuperbillDocument(ctx, actor, patientID, period.Purchase, period.From.UTC(), period.To.UTC())
		if err != nil {
			s.Error(w, r, err)
			return
		}
		d = SuperbillPDF(doc, period, now, loc, paper)
	} else {
		st, err := s.Store.StatementFor(ctx, actor, patientID, period.From.UTC(), period.To.UTC())
		if err != nil {
			s.Error(w, r, err)
			return
		}
		d = StatementPDF(st, period, now, loc, paper)
	}
	pdf, err := pdfdoc.Render(d)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := view.Finish(ctx); err != nil {
		s.Error(w, r, err)
		return
	}
	// The file's name carries the kind and the dates, never a name: a
	// downloads folder is no place for PHI in file names.
	name := kind + "-" + period.FromISO() + "-to-" + period.LastISO() + ".pdf"
	shell.SendAttachment(w, "application/pdf", name, pdf)
}

// portalPage is how many charges and payments the portal lists a page.
const portalPage = 10

// portalRefunds is how many refunds the portal lists, the newest first.
const portalRefunds = 10

// portalPackages is how many packages the portal lists, the newest first.
const portalPackages = 10

// PackageWords says a patient's package in a sentence for the portal:
// the sessions used and left while it is open, or that it was closed
// (then no longer used for their sessions). Dates in loc.
func PackageWords(p store.PatientPackage, loc *time.Location) string {
	head := p.Name + ", bought " + longDay(p.SoldAt.In(loc)) + ": "
	used := strconv.Itoa(p.Used) + " of " + strconv.Itoa(p.Sessions) + " sessions used"
	switch {
	case p.Closed:
		return head + "closed on " + longDay(p.ClosedAt.In(loc)) + " (" + used + "). It is no longer used for your sessions: later sessions are charged at the fee."
	case p.Left() == 0:
		return head + "all " + strconv.Itoa(p.Sessions) + " sessions used."
	case p.Left() == 1:
		return head + used + ", 1 session left."
	default:
		return head + used + ", " + strconv.Itoa(p.Left()) + " sessions left."
	}
}

// CreditWords says, when a patient holds a credit and has charges still
// open, that the credit is not yet applied and that the practice applies
// it: nothing is applied by reading the page. "" otherwise.
func CreditWords(b store.Balance) string {
	if b.Credit <= 0 || b.Open <= 0 {
		return ""
	}
	return "You have a credit of " + billing.Format(b.Credit, b.Currency) + " from your payments, not yet applied to your open charges of " +
		billing.Format(b.Open, b.Currency) + ". The practice will apply it to them: you do not need to pay that part again."
}

// Portal is GET /portal/billing: the patient's balance in plain words,
// their charges and payments (paged), what the practice sent them, and
// their own downloads.
func (s *Handlers) Portal(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, own, ok := s.OwnView(w, r, "billing.ledger")
	if !ok {
		return
	}
	defer view.Close()
	ctx, actor, q := r.Context(), s.Actor(r), r.URL.Query()
	docs, err := s.Store.StatementDocuments(ctx, actor, own.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	ledger, err := s.Store.PatientLedger(ctx, actor, own.ID,
		store.PageKey{After: q.Get("charges_after"), Before: q.Get("charges_before"), Limit: portalPage},
		store.PageKey{After: q.Get("payments_after"), Before: q.Get("payments_before"), Limit: portalPage})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	loc, _ := s.PatientZone(r, own)
	status := http.StatusOK
	spans := Spans(docs, loc)
	period, errs := ParsePeriod(q, s.Now(), loc, spans)
	if errs != nil {
		status = http.StatusUnprocessableEntity
		period, _ = ParsePeriod(url.Values{}, s.Now(), loc, spans) // the links: the default period
	}
	d := pageData{Patient: docs.Patient, PatientID: own.ID, Presets: Presets(spans), Period: period, Errors: errs,
		Sends: sendRows(docs.Sends, loc, "/portal/billing", s.OutboxOnly), MoreSends: docs.MoreSends, Balance: BalanceWords(ledger.Balance), BasePath: "/portal/billing",
		Credit: CreditWords(ledger.Balance)}
	if d.NoServices, err = s.noServices(r, own.ID, period); err != nil {
		s.Error(w, r, err)
		return
	}
	refunds, more, err := s.Store.PatientRefunds(ctx, actor, own.ID, portalRefunds)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, x := range refunds {
		d.Refunds = append(d.Refunds, refundRow{Date: longDay(x.RecordedAt.In(loc)), Amount: billing.Format(x.Cents, x.Currency),
			From: billing.Format(x.PaymentCents, x.Currency) + " paid by " + strings.ToLower(methodWords(x.PaymentMethod)) + " on " + longDay(x.PaymentReceivedAt.In(loc))})
	}
	d.MoreRefunds = more
	pkgs, morePkgs, err := s.Store.PatientPackages(ctx, actor, own.ID, portalPackages)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, p := range pkgs {
		d.Packages = append(d.Packages, PackageWords(p, loc))
	}
	d.MorePackages = morePkgs
	for _, c := range ledger.Charges.Rows {
		desc := c.Description
		switch c.Kind {
		case billing.ChargeNoShow:
			desc = "Missed appointment fee"
		case billing.ChargeLateCancel:
			desc = "Late cancellation fee"
		case billing.ChargePackageSession:
			if c.Counts {
				desc += " (paid by your package)"
			} else {
				desc += " (not counted against your package)"
			}
		}
		switch {
		case c.Kind == billing.ChargePackageSession || c.Cents == c.OriginalCents:
		case c.Cents == 0:
			desc += " (no longer charged: " + billing.Format(c.OriginalCents, c.Currency) + " taken off)"
		default:
			desc += " (corrected from " + billing.Format(c.OriginalCents, c.Currency) + ")"
		}
		day := longDay(c.ServiceDate.In(loc))
		if c.Kind == billing.ChargePackage {
			day = "sold on " + day // a package's price: no date of service
		}
		d.Charges = append(d.Charges, chargeRow{Date: day, Code: c.Code, Description: desc,
			Amount: billing.Format(c.Cents, c.Currency), Open: billing.Format(c.Open, c.Currency)})
	}
	for _, p := range ledger.Payments.Rows {
		d.Payments = append(d.Payments, paymentRow{Date: longDay(p.ReceivedAt.In(loc)), Method: methodWords(p.Method),
			Amount: billing.Format(p.Cents, p.Currency), Credit: billing.Format(p.Unapplied, p.Currency)})
	}
	d.ChargesPg = pager{Older: link("charges_after", ledger.Charges.Next), Newer: link("charges_before", ledger.Charges.Prev)}
	d.PaymentsPg = pager{Older: link("payments_after", ledger.Payments.Next), Newer: link("payments_before", ledger.Payments.Prev)}
	s.RenderView(w, r, view, status, "portal_billing", "Billing", d)
}

func link(key, id string) string {
	if id == "" {
		return ""
	}
	return "/portal/billing?" + key + "=" + id
}

func methodWords(m string) string {
	for _, x := range billing.Methods {
		if x.Method == m {
			return x.Title
		}
	}
	return m
}

// PortalSuperbillPDF is GET /portal/billing/superbill.pdf: the patient's
// own superbill for the period asked for.
func (s *Handlers) PortalSuperbillPDF(w http.ResponseWriter, r *http.Request) {
	s.own(w, r, store.DocSuperbill)
}

// PortalStatementPDF is GET /portal/billing/statement.pdf.
func (s *Handlers) PortalStatementPDF(w http.ResponseWriter, r *http.Request) {
	s.own(w, r, store.DocStatement)
}

func (s *Handlers) own(w http.ResponseWriter, r *http.Request, kind string) {
	r, view, own, ok := s.OwnView(w, r, "billing."+kind)
	if !ok {
		return
	}
	defer view.Close()
	s.download(w, r, view, own.ID, kind)
}
