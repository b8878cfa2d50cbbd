// Package controlled serves the controlled-substance log's page (issue
// 20, part 1): the stock by lot, receipts, the other entries (waste
// signed by a witness on the same form), the log a page at a time, and
// the reports (dispensing log, inventory, reconciliation) as PDF and CSV.
// The rules are internal/cslog's, the access the policy's
// (auth.PermControlled, PermControlledRead), checked again by the store.
package controlled

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/cslog"
	"github.com/kapstone/kapstone/internal/csvsafe"
	"github.com/kapstone/kapstone/internal/pdfdoc"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers answers the log's routes.
type Handlers struct {
	*shell.App
}

// New returns the log's handlers over the shared state.
func New(app *shell.App) *Handlers {
	return &Handlers{App: app}
}

type controlledPage struct {
	Keep     bool // may keep the log (forms); else reads it only
	Products []store.CSProduct
	Lots     []store.CSLot // with stock
	Entries  *store.Page[store.CSEntry]
	Form     url.Values
	Errors   map[string]string
	Posted   string // the form posted: "product", "receipt", "entry" or "dispense"
	Notice   string
	Loc      *time.Location
	From, To string        // the reports' default range: the last 30 days
	Dispense *dispenseView // a keeper's: the dispensing form (dispense.go)
}

// The lists the forms offer.
func (controlledPage) Kinds() []cslog.Kind {
	return []cslog.Kind{cslog.Waste, cslog.Return, cslog.TransferOut, cslog.Loss, cslog.Count, cslog.Correction}
}
func (controlledPage) Schedules() []string { return cslog.Schedules }
func (controlledPage) LossTypes() []string { return cslog.LossTypes }

// Shown is a lot's balance in its product's unit.
func (controlledPage) Shown(l store.CSLot) string { return cslog.Format(l.Balance, l.Product.Rules()) }

// Signed shows a quantity with its sign: "+20 units", "-2 units".
func (controlledPage) Signed(e store.CSEntry) string {
	if e.Delta > 0 {
		return "+" + e.Shown(e.Delta)
	}
	return e.Shown(e.Delta)
}

// Controlled is GET /controlled.
func (s *Handlers) Controlled(w http.ResponseWriter, r *http.Request) {
	s.controlledPage(w, r, http.StatusOK, controlledPage{})
}

func (s *Handlers) controlledPage(w http.ResponseWriter, r *http.Request, status int, p controlledPage) {
	ctx, actor := r.Context(), s.Actor(r)
	q := r.URL.Query()
	v, err := s.Store.CSPage(ctx, actor, store.PageKey{After: q.Get("after"), Before: q.Get("before"), Limit: 25})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p.Keep, p.Products, p.Lots, p.Entries = v.Keep, v.Products, v.Lots, v.Entries
	p.Loc, _ = s.PracticeZone(r)
	now := s.Now().In(p.Loc)
	p.From, p.To = now.AddDate(0, 0, -30).Format("2006-01-02"), now.Format("2006-01-02")
	if p.Errors == nil {
		p.Notice = map[string]string{"product": "Product added.", "receipt": "Receipt recorded.", "entry": "Entry recorded.", "dispense": "Dispensing recorded."}[q.Get("done")]
	}
	if p.Keep {
		if err := s.dispense(r, &p); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	s.Render(w, r, status, "controlled", "Controlled substances", p)
}

// controlledDone answers a form: back to the page with the field errors
// and what was typed, or on to it with a notice.
func (s *Handlers) controlledDone(w http.ResponseWriter, r *http.Request, form string, err error) {
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		fields := e.Fields
		if len(fields) == 0 {
			fields = map[string]string{"form": e.Message}
		}
		s.controlledPage(w, r, http.StatusUnprocessableEntity, controlledPage{Form: r.PostForm, Errors: fields, Posted: form})
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/controlled?done="+form+"#"+form, http.StatusSeeOther)
}

// ControlledProduct is POST /controlled/products.
func (s *Handlers) ControlledProduct(w http.ResponseWriter, r *http.Request) {
	p := store.CSProduct{Name: r.PostFormValue("name"), Strength: r.PostFormValue("strength"), Form: r.PostFormValue("form"),
		Unit: r.PostFormValue("unit"), Schedule: r.PostFormValue("schedule"), REMS: r.PostFormValue("rems") == "yes"}
	fe := clinic.FieldErrors{}
	if p.Unit == cslog.UnitEach {
		mcg, ok := cslog.Parse(r.PostFormValue("unit_mg"), cslog.Product{Unit: cslog.UnitMg}, false)
		if !ok || mcg <= 0 {
			fe.Add("unit_mg", "Enter the mg of drug in one unit, like 100.")
		}
		p.UnitMcg = mcg
	}
	if len(fe) > 0 {
		s.controlledDone(w, r, "product", fe.Err())
		return
	}
	s.controlledDone(w, r, "product", s.Store.AddCSProduct(r.Context(), s.Actor(r), &p))
}

// productOf is the product id among the practice's.
func (s *Handlers) productOf(r *http.Request, id string) (store.CSProduct, bool) {
	all, err := s.Store.CSProducts(r.Context(), s.Actor(r))
	if err != nil {
		return store.CSProduct{}, false
	}
	for _, p := range all {
		if p.ID == id {
			return p, true
		}
	}
	return store.CSProduct{}, false
}

// dateOf reads a date field (YYYY-MM-DD) as midnight UTC; zero when empty
// or not a date.
func dateOf(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse("2006-01-02", v)
	return t, err == nil
}

// ControlledReceipt is POST /controlled/receipts: stock coming in.
func (s *Handlers) ControlledReceipt(w http.ResponseWriter, r *http.Request) {
	f := func(k string) string { return r.PostFormValue(k) }
	fe := clinic.FieldErrors{}
	p, ok := s.productOf(r, f("product"))
	if !ok {
		fe.Add("product", "Choose one of the products.")
	}
	q, qok := cslog.Parse(f("quantity"), p.Rules(), false)
	if ok && !qok {
		fe.Add("quantity", quantityHelp(p))
	}
	expiry, eok := dateOf(f("expiry"))
	if !eok {
		fe.Add("expiry", "Enter the expiry date, like 2027-06-30.")
	}
	kind := cslog.Kind(f("kind"))
	if kind != cslog.TransferIn {
		kind = cslog.Receipt
	}
	if len(fe) > 0 {
		s.controlledDone(w, r, "receipt", fe.Err())
		return
	}
	_, err := s.Store.ReceiveCS(r.Context(), s.Actor(r), store.CSReceipt{ProductID: p.ID, Location: f("location"),
		Entry: cslog.Entry{Kind: kind, Quantity: q, Party: f("party"), Invoice: f("invoice"), Lot: f("lot"), Expiry: expiry}})
	s.controlledDone(w, r, "receipt", err)
}

func quantityHelp(p store.CSProduct) string {
	if p.Unit == cslog.UnitEach {
		return "Enter a whole number of units."
	}
	return "Enter the amount in mg, with at most 3 decimals, like 500 or 12.5."
}

// ControlledEntry is POST /controlled/entries: waste (with the witness's
// signature), a return, a transfer out, a loss, a count or a correction.
func (s *Handlers) ControlledEntry(w http.ResponseWriter, r *http.Request) {
	ctx, actor := r.Context(), s.Actor(r)
	f := func(k string) string { return r.PostFormValue(k) }
	all, err := s.Store.CSLots(ctx, actor, true)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	fe := clinic.FieldErrors{}
	var lot *store.CSLot
	for i := range all {
		if all[i].ID == f("lot") {
			lot = &all[i]
		}
	}
	if lot == nil {
		fe.Add("lot", "Choose one of the lots.")
		s.controlledDone(w, r, "entry", fe.Err())
		return
	}
	e := cslog.Entry{Kind: cslog.Kind(f("kind")), Party: f("party"), Reason: f("reason"), CorrectsID: strings.TrimSpace(f("corrects")),
		LossType: f("loss_type"), PoliceNotified: f("police"), Form106: f("form106")}
	q, ok := cslog.Parse(f("quantity"), lot.Product.Rules(), e.Kind == cslog.Correction)
	if !ok {
		fe.Add("quantity", quantityHelp(lot.Product))
	}
	e.Quantity = q
	if e.Kind == cslog.Loss {
		d, ok := dateOf(f("discovered"))
		if !ok {
			fe.Add("discovered", "Enter the date it was discovered, like 2027-06-30.")
		}
		e.DiscoveredAt = d
	}
	// The entry's own problems first, so the witness signs (and spends a
	// two-step code) only on an entry that will be recorded.
	probe := e
	probe.RecordedBy, probe.Expected = actor.UserID, lot.Balance
	if probe.Kind == cslog.Waste {
		probe.WitnessID = "the witness, checked below"
	}
	for k, v := range cslog.Check(&probe, lot.Product.Rules()) {
		fe.Add(k, v)
	}
	if e.Kind == cslog.Waste && len(fe) == 0 {
		id, msg, err := s.witness(r)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if msg != "" {
			fe.Add("witness", msg)
		}
		e.WitnessID = id
	}
	if len(fe) > 0 {
		s.controlledDone(w, r, "entry", fe.Err())
		return
	}
	_, err = s.Store.RecordCS(ctx, actor, lot.ID, e, time.Time{})
	s.controlledDone(w, r, "entry", err)
}

// witnessFailures is how many wrong witness signatures from one address
// in witnessWindow pause them: the form checks a password, so it is
// limited like sign-in.
const (
	witnessFailures = 5
	witnessWindow   = 15 * time.Minute
)

// witness checks the second staff member's signature on a waste: their
// email, password and current two-step code, typed on the same form (the
// two stand together at the disposal; a pending waste confirmed later
// would leave the drug unaccounted for meanwhile). It returns their id,
// or why the signature is refused. A wrong signature is audited and
// counted; a code is accepted once.
func (s *Handlers) witness(r *http.Request) (string, string, error) {
	ctx, actor := r.Context(), s.Actor(r)
	email := strings.TrimSpace(r.PostFormValue("witness_email"))
	pw := r.PostFormValue("witness_password")
	code := strings.Join(strings.Fields(r.PostFormValue("witness_code")), "")
	if email == "" || pw == "" || code == "" {
		return "", "Waste is witnessed: the witness enters their email, password and two-step code here.", nil
	}
	n, _, err := s.Store.CountAudit(ctx, "cs.witness", "", actor.Addr, s.Now().Add(-witnessWindow))
	if err != nil {
		return "", "", err
	}
	if n >= witnessFailures {
		return "", "Too many wrong witness signatures: wait 15 minutes and try again.", nil
	}
	u, hash, err := s.Store.FindUserByEmail(ctx, email)
	if err != nil && clinic.ErrorCode(err) != clinic.ENotFound {
		return "", "", err
	}
	ok := false
	if u != nil {
		ok = auth.CheckPassword(hash, pw) && u.DisabledAt == nil && u.HasTOTP
	} else {
		auth.CheckPasswordMissingUser(pw)
	}
	if ok {
		step, match, err := s.Store.MatchTOTP(ctx, u.ID, code, s.Now())
		if err != nil {
			return "", "", err
		}
		if ok = match; ok {
			if ok, err = s.Store.UseTOTPStep(ctx, u.ID, step); err != nil {
				return "", "", err
			}
		}
	}
	if !ok {
		if err := s.Store.Audit(ctx, actor, store.Entry{Action: "cs.witness", Outcome: store.OutcomeDenied, ObjectType: "cs_log"}); err != nil {
			return "", "", err
		}
		return "", "That email, password and code do not sign as a staff member: the witness checks them and tries again (a code is used once).", nil
	}
	return u.ID, "", nil
}

// patientCell is the dispensing log's patient: 21 CFR 1304.22(c) asks
// for the patient's name and address, the one place the report names the
// patient. A patient whose address is not on record shows as such, so the
// gap is seen and filled rather than passed over.
func patientCell(e store.CSEntry) string {
	if e.PatientName == "" {
		return ""
	}
	if e.PatientAddress.Empty() {
		return e.PatientName + " (no address on record)"
	}
	return e.PatientName + ", " + strings.Join(e.PatientAddress.Lines(), ", ")
}

// reportRange reads the from and to dates (to included) in the
// practice's zone.
func reportRange(q url.Values, loc *time.Location) (from, to time.Time, ok bool) {
	f, err1 := time.ParseInLocation("2006-01-02", q.Get("from"), loc)
	t, err2 := time.ParseInLocation("2006-01-02", q.Get("to"), loc)
	if err1 != nil || err2 != nil || t.Before(f) {
		return f, t, false
	}
	return f, t.AddDate(0, 0, 1), true
}

// ControlledReport is GET /controlled/reports?report=&format=&from=&to=:
// the dispensing log, the inventory or the reconciliation, as PDF or CSV.
func (s *Handlers) ControlledReport(w http.ResponseWriter, r *http.Request) {
	ctx, actor, q := r.Context(), s.Actor(r), r.URL.Query()
	loc, _ := s.PracticeZone(r)
	from, to, ok := reportRange(q, loc)
	report, format := q.Get("report"), q.Get("format")
	if report == "inventory" {
		ok = true
	}
	if !ok || (format != "pdf" && format != "csv") || (report != "dispensing" && report != "inventory" && report != "reconciliation") {
		p := controlledPage{Errors: map[string]string{"report": "Choose a report, a format, and the dates from and to (to on or after from)."}, Posted: "report", Form: q}
		s.controlledPage(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	now := s.Now()
	period := from.Format("2006-01-02") + " to " + to.AddDate(0, 0, -1).Format("2006-01-02")
	var cols []pdfdoc.Column
	var rows [][]string
	var title, note string
	switch report {
	case "dispensing":
		log, err := s.Store.CSDispensingLog(ctx, actor, from, to)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		title = "Dispensing log"
		note = "Each administration and dispensing (21 CFR 1304.22(c)): date, patient, drug and strength, quantity, lot, who gave it, and for a dispensing the prescriber who ordered it. Keep at least 2 years (21 CFR 1304.04)."
		cols = []pdfdoc.Column{{Title: "Date", Weight: 1.4}, {Title: "Patient", Weight: 1.5}, {Title: "Drug and strength", Weight: 1.9}, {Title: "Quantity", Weight: 0.9, Right: true},
			{Title: "Lot", Weight: 0.9}, {Title: "Entry", Weight: 1.3}, {Title: "Given by", Weight: 1.4}, {Title: "Ordered by", Weight: 1.4}}
		for _, e := range log {
			rows = append(rows, []string{e.OccurredAt.In(loc).Format("2006-01-02 15:04"), patientCell(e), e.Lot.Product.Title() + " (Schedule " + e.Lot.Product.Schedule + ")",
				e.Shown(e.Quantity), e.Lot.Lot, e.Kind.Title(), e.RecordedByName, e.PrescriberName})
		}
	case "inventory":
		lots, err := s.Store.CSLots(ctx, actor, false)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		title, period = "Inventory", "as of "+now.In(loc).Format("2006-01-02 15:04")
		note = "The balance of each lot as the log has it. An initial inventory, and one at least every 2 years, is a count of each (21 CFR 1304.11): record it as a count entry."
		cols = []pdfdoc.Column{{Title: "Drug and strength", Weight: 1.6}, {Title: "Schedule"}, {Title: "Location"}, {Title: "Lot"}, {Title: "Expires"}, {Title: "Balance", Right: true}}
		for _, l := range lots {
			rows = append(rows, []string{l.Product.Title(), l.Product.Schedule, l.Location, l.Lot, l.ExpiresOn.Format("2006-01-02"), cslog.Format(l.Balance, l.Product.Rules())})
		}
	case "reconciliation":
		rec, err := s.Store.CSReconciliation(ctx, actor, from, to)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		title = "Reconciliation"
		note = "Per lot: the balance before the period, what came in and went out by kind, the counts' differences and corrections, and the balance after."
		cols = []pdfdoc.Column{{Title: "Drug and strength", Weight: 1.6}, {Title: "Lot"}, {Title: "Opening", Right: true}, {Title: "In", Right: true}, {Title: "Given", Right: true},
			{Title: "Wasted", Right: true}, {Title: "Out", Right: true}, {Title: "Lost", Right: true}, {Title: "Counts", Right: true}, {Title: "Corrections", Right: true}, {Title: "Closing", Right: true}}
		for _, c := range rec {
			pr := c.Lot.Product.Rules()
			fm := func(q int64) string { return cslog.Format(q, pr) }
			rows = append(rows, []string{c.Lot.Product.Title(), c.Lot.Lot + " · " + c.Lot.Location, fm(c.Opening), fm(c.In), fm(c.Given), fm(c.Wasted), fm(c.Out), fm(c.Lost), fm(c.Counted), fm(c.Corrected), fm(c.Closing)})
		}
	}
	if len(rows) >= store.CSReportLimit {
		note += " Only the first " + strconv.Itoa(store.CSReportLimit) + " rows: choose fewer days for the rest."
	}
	name := "controlled-" + report + "-" + now.In(loc).Format("2006-01-02")
	if format == "csv" {
		var b bytes.Buffer
		cw := csvsafe.NewWriter(&b)
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.Title
		}
		if err := cw.Header(names...); err != nil {
			s.Error(w, r, err)
			return
		}
		for _, row := range rows {
			cells := make([]csvsafe.Cell, len(row))
			for i, v := range row {
				cells[i] = csvsafe.Text(v)
			}
			if err := cw.Row(cells...); err != nil {
				s.Error(w, r, err)
				return
			}
		}
		if err := cw.Flush(); err != nil {
			s.Error(w, r, err)
			return
		}
		shell.SendAttachment(w, "text/csv; charset=utf-8", name+".csv", b.Bytes())
		return
	}
	practice := ""
	if ps, err := s.Store.Practice(ctx); err == nil {
		practice = ps.Name
	}
	blocks := []pdfdoc.Block{pdfdoc.Paragraph{Text: note, Small: true}}
	if len(rows) == 0 {
		blocks = append(blocks, pdfdoc.Paragraph{Text: "No entries."})
	} else {
		blocks = append(blocks, pdfdoc.Table{Columns: cols, Rows: rows})
	}
	pdf, err := pdfdoc.Render(pdfdoc.Document{Title: "Controlled substances: " + strings.ToLower(title[:1]) + title[1:],
		Meta:   []pdfdoc.Field{{Label: "Practice", Value: practice}, {Label: "Period", Value: period}, {Label: "Rows", Value: strconv.Itoa(len(rows))}},
		Blocks: blocks, GeneratedAt: now, Zone: loc})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SendAttachment(w, "application/pdf", name+".pdf", pdf)
}
