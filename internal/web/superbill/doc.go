package superbill

import (
	"html/template"
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

// Period is the stretch of time a superbill or statement covers: the
// days From to Last (inclusive) in the practice's zone; To is the start
// of the day after Last, the store's end (exclusive).
type Period struct {
	Preset   string // a preset's key, or "dates"
	From, To time.Time
	Last     time.Time // the last day covered
	Label    string    // e.g. "January 1, 2026 to December 31, 2026 (this year)"
	// Purchase is the package sold to the patient when the period is a
	// package's ("package-<id>"): its superbill holds only its sessions.
	Purchase string
}

// Preset is a period on offer.
type Preset struct {
	Key, Label string
}

// Query is the period as a URL query, for links and hidden fields.
func (p Period) Query() string {
	v := url.Values{"period": {p.Preset}}
	if p.Preset == "dates" {
		v.Set("from", p.From.Format(dateISO))
		v.Set("to", p.Last.Format(dateISO))
	}
	return v.Encode()
}

// Link is Query for a link's href. As a plain string in the query part
// of an href, html/template would escape its "=" and "&" as one query
// value, and the download would fall back to the default period (the
// values are url.Values-encoded, so they are safe as they are).
func (p Period) Link() template.URL { return template.URL(p.Query()) }

// FromISO and LastISO are the period's days for a date field.
func (p Period) FromISO() string { return p.From.Format(dateISO) }
func (p Period) LastISO() string { return p.Last.Format(dateISO) }

const dateISO = "2006-01-02"

// maxPeriodYears bounds a chosen period.
const maxPeriodYears = 10

// presets are the periods offered before the patient's treatment courses.
var presets = []Preset{
	{"this-year", "This year"},
	{"last-year", "Last year"},
	{"last-3-months", "The last 3 months"},
}

// Span is a stretch of a patient's care offered as a period: a
// treatment course ("course-N") or a package sold to them
// ("package-<id>": from its first session to its last, or to now while
// sessions are left).
type Span struct {
	Key, Label string
	From, To   time.Time
}

// Spans are docs' treatment courses, then its packages, as periods.
func Spans(docs *store.BillingDocuments, loc *time.Location) []Span {
	var out []Span
	for _, c := range docs.Courses {
		out = append(out, Span{Key: "course-" + strconv.Itoa(c.Number), Label: "Treatment course " + strconv.Itoa(c.Number), From: c.From, To: c.To})
	}
	for _, p := range docs.Packages {
		out = append(out, Span{Key: "package-" + p.ID, Label: "Package: " + p.Name + ", bought " + longDay(p.SoldAt.In(loc)), From: p.From, To: p.To})
	}
	return out
}

// Presets is the list offered for a patient: the fixed ones, then their
// spans, then dates of one's own.
func Presets(spans []Span) []Preset {
	out := append([]Preset(nil), presets...)
	for _, c := range spans {
		out = append(out, Preset{c.Key, c.Label})
	}
	out = append(out, Preset{"dates", "Dates I choose"})
	return out
}

func day(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// ParsePeriod reads the period a form or link asks for (period, and from
// and to when it is "dates"; no period is this year) at now in loc, with
// the patient's treatment courses and packages. What is wrong is a field
// error.
func ParsePeriod(q url.Values, now time.Time, loc *time.Location, spans []Span) (Period, map[string]string) {
	p := Period{Preset: strings.TrimSpace(q.Get("period"))}
	if p.Preset == "" {
		p.Preset = "this-year"
	}
	today := day(now, loc)
	var from, last time.Time
	switch {
	case p.Preset == "this-year":
		from = time.Date(today.Year(), 1, 1, 0, 0, 0, 0, loc)
		last = time.Date(today.Year(), 12, 31, 0, 0, 0, 0, loc)
	case p.Preset == "last-year":
		from = time.Date(today.Year()-1, 1, 1, 0, 0, 0, 0, loc)
		last = time.Date(today.Year()-1, 12, 31, 0, 0, 0, 0, loc)
	case p.Preset == "last-3-months":
		from, last = today.AddDate(0, -3, 0), today
	case strings.HasPrefix(p.Preset, "course-") || strings.HasPrefix(p.Preset, "package-"):
		found := false
		for _, c := range spans {
			if c.Key == p.Preset {
				from, last, found = day(c.From, loc), day(c.To, loc), true
			}
		}
		if !found {
			return p, map[string]string{"period": "Choose one of the periods listed."}
		}
		if id, ok := strings.CutPrefix(p.Preset, "package-"); ok {
			p.Purchase = id
		}
	case p.Preset == "dates":
		errs := map[string]string{}
		var err error
		if from, err = time.ParseInLocation(dateISO, strings.TrimSpace(q.Get("from")), loc); err != nil {
			errs["from"] = "Enter the first day, as a date."
		}
		if last, err = time.ParseInLocation(dateISO, strings.TrimSpace(q.Get("to")), loc); err != nil {
			errs["to"] = "Enter the last day, as a date."
		}
		if len(errs) == 0 && last.Before(from) {
			errs["to"] = "Enter a last day on or after the first day."
		}
		if len(errs) == 0 && last.After(from.AddDate(maxPeriodYears, 0, 0)) {
			errs["to"] = "Choose a period of at most " + strconv.Itoa(maxPeriodYears) + " years."
		}
		if len(errs) > 0 {
			return p, errs
		}
	default:
		return p, map[string]string{"period": "Choose one of the periods listed."}
	}
	p.From, p.Last, p.To = from, last, last.AddDate(0, 0, 1)
	p.Label = longDay(p.From) + " to " + longDay(p.Last)
	for _, x := range Presets(spans) {
		if x.Key == p.Preset && p.Preset != "dates" {
			p.Label += " (" + strings.ToLower(x.Label[:1]) + x.Label[1:] + ")"
		}
	}
	return p, nil
}

func longDay(t time.Time) string { return t.Format(shell.DayLayout) }

// serviceDay writes a date of service the way the paper's country does:
// MM/DD/YYYY on Letter (the US claim forms' way), else YYYY-MM-DD.
func serviceDay(t time.Time, loc *time.Location, paper pdfdoc.Paper) string {
	if paper == pdfdoc.A4 {
		return t.In(loc).Format(dateISO)
	}
	return t.In(loc).Format("01/02/2006")
}

// birthDay writes a date of birth (stored as YYYY-MM-DD) the way
// serviceDay writes dates, so that a document has one date format
// (issue 21, the walk: three in one superbill). "" is "Not given";
// a value that is no date is shown as it is.
func birthDay(s string, paper pdfdoc.Paper) string {
	t, err := time.Parse(dateISO, strings.TrimSpace(s))
	if err != nil {
		return orNone(s)
	}
	return serviceDay(t, time.UTC, paper)
}

// periodDays writes a period's first and last days as serviceDay does.
func periodDays(p Period, loc *time.Location, paper pdfdoc.Paper) string {
	return serviceDay(p.From, loc, paper) + " to " + serviceDay(p.Last, loc, paper)
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "Not given"
	}
	return s
}

func addressText(a clinic.Address) string {
	return orNone(strings.Join(a.Lines(), ", "))
}

// pointers are the diagnosis pointers of a claim form: A for the first
// (primary) diagnosis, B, C, D for the next; a service points to all of
// them (at most four).
func pointers(n int) string {
	var p []string
	for i := 0; i < n && i < 4; i++ {
		p = append(p, string(rune('A'+i)))
	}
	return strings.Join(p, ", ")
}

// SuperbillPDF lays out doc, the superbill for period, made at now for a
// reader in loc, on paper.
func SuperbillPDF(doc *store.SuperbillDoc, period Period, now time.Time, loc *time.Location, paper pdfdoc.Paper) pdfdoc.Document {
	cur := doc.Currency
	ps, pt := doc.Practice, doc.Patient
	name := orNone(pt.LegalName)
	if pt.LegalName == "" {
		name = pt.DisplayName
	}
	d := pdfdoc.Document{
		Title:    "Superbill",
		Subtitle: "An itemized statement of services, for the patient to claim out-of-network reimbursement from their insurer. The practice submits no claim.",
		Meta: []pdfdoc.Field{{Label: "Patient (legal name)", Value: name}, {Label: "Date of birth", Value: birthDay(pt.BirthDate, paper)},
			{Label: "Patient address", Value: addressText(pt.Address)}, {Label: "Period", Value: periodDays(period, loc, paper)}},
		RunningHead: "Superbill · " + name + " · born " + birthDay(pt.BirthDate, paper),
		Paper:       paper,
		GeneratedAt: now,
		Zone:        loc,
	}
	rows := []pdfdoc.Field{
		{Label: "Practice", Value: ps.Name},
		{Label: "Address", Value: addressText(ps.Address)},
		{Label: "Phone", Value: orNone(ps.Phone)},
		{Label: "Tax ID (EIN)", Value: orNone(ps.TaxID)},
		{Label: "NPI (practice)", Value: orNone(ps.NPI)},
	}
	// Each rendering provider once, with their credentials and NPI.
	seen := map[string]bool{}
	for _, l := range doc.Lines {
		if l.ClinicianID == "" || seen[l.ClinicianID] {
			continue
		}
		seen[l.ClinicianID] = true
		rows = append(rows, pdfdoc.Field{Label: "Rendering provider", Value: clinic.NameWithCredentials(l.ClinicianName, l.ClinicianCredentials) + " · NPI " + orNone(doc.NPI[l.ClinicianID])})
	}
	d.Blocks = append(d.Blocks,
		pdfdoc.Heading{Text: "Practice (billing provider)"},
		pdfdoc.Fields{Rows: rows},
		pdfdoc.Heading{Text: "Diagnoses (ICD-10-CM)"},
	)
	if len(doc.Diagnoses) == 0 {
		d.Blocks = append(d.Blocks, pdfdoc.Paragraph{Text: "No diagnosis is recorded on the chart. An insurer usually needs one: ask the practice."})
	} else {
		t := pdfdoc.Table{Columns: []pdfdoc.Column{{Title: "Pointer", Weight: 0.8}, {Title: "ICD-10-CM", Weight: 1.2}, {Title: "Diagnosis", Weight: 6}}}
		for i, x := range doc.Diagnoses {
			text := x.Text
			if i == 0 {
				text += " (primary)"
			}
			ptr := ""
			if i < 4 {
				ptr = string(rune('A' + i))
			}
			t.Rows = append(t.Rows, []string{ptr, x.Code, text})
		}
		d.Blocks = append(d.Blocks, t)
	}
	d.Blocks = append(d.Blocks, pdfdoc.Heading{Text: "Services"})
	if len(doc.Lines) == 0 {
		d.Blocks = append(d.Blocks, pdfdoc.Paragraph{Text: "No service in this period."})
	} else {
		t := pdfdoc.Table{Columns: []pdfdoc.Column{
			{Title: "Date of service", Weight: 1.6}, {Title: "Place of service", Weight: 1.1}, {Title: "CPT", Weight: 1.1},
			{Title: "Description", Weight: 2.2}, {Title: "Diagnosis pointer", Weight: 1.6}, {Title: "Rendering provider", Weight: 1.7},
			{Title: "Fee", Weight: 1.3, Right: true}, {Title: "Paid", Weight: 1.3, Right: true}, {Title: "Written off", Weight: 1.3, Right: true},
		}}
		ptr := pointers(len(doc.Diagnoses))
		for _, l := range doc.Lines {
			code := l.Code
			if l.AddOnCode != "" {
				code += " + " + l.AddOnCode
			}
			desc := l.Description
			if l.Package {
				desc += " (package session: its share of the package price)"
			}
			provider := clinic.NameWithCredentials(l.ClinicianName, l.ClinicianCredentials)
			if npi := doc.NPI[l.ClinicianID]; npi != "" {
				provider += "\nNPI " + npi
			}
			t.Rows = append(t.Rows, []string{serviceDay(l.ServiceDate, loc, paper), l.PlaceOfService, code, desc, ptr, provider,
				billing.Format(l.Fee, cur), billing.Format(l.Paid, cur), billing.Format(l.WrittenOff, cur)})
		}
		d.Blocks = append(d.Blocks, t)
	}
	// The totals and the notes under them stay together: a page of
	// notes alone (issue 21, the walk) tells a reader nothing.
	end := []pdfdoc.Block{pdfdoc.Fields{Rows: []pdfdoc.Field{
		{Label: "Total fees", Value: billing.Format(doc.TotalFee, cur)},
		{Label: "Total paid", Value: billing.Format(doc.TotalPaid, cur)},
		{Label: "Total written off by the practice", Value: billing.Format(doc.TotalWrittenOff, cur)},
		{Label: "Balance on these services", Value: billing.Format(doc.TotalFee-doc.TotalPaid-doc.TotalWrittenOff, cur)},
	}}}
	if doc.Truncated {
		end = append(end, pdfdoc.Paragraph{Text: "This period has more services than one superbill lists; the first " + strconv.Itoa(len(doc.Lines)) + " are shown. Choose a shorter period for the rest."})
	}
	end = append(end, pdfdoc.Paragraph{Small: true, Text: "Place of service codes: 11 office; 10 telehealth in the patient's home. " +
		"Diagnosis pointers refer to the diagnoses listed above (A is the primary). Fees are in " + cur + "; amounts paid are what the practice received for each service; amounts written off are what the practice took off and the patient does not owe. " +
		"This superbill is not a claim: submit it to your insurer with their claim form."})
	d.Blocks = append(d.Blocks, pdfdoc.Together{Blocks: end})
	return d
}

// StatementPDF lays out st, the statement for period, made at now for a
// reader in loc, on paper.
func StatementPDF(st *store.Statement, period Period, now time.Time, loc *time.Location, paper pdfdoc.Paper) pdfdoc.Document {
	cur := st.Currency
	ps, pt := st.Practice, st.Patient
	name := pt.LegalName
	if name == "" {
		name = pt.DisplayName
	}
	d := pdfdoc.Document{
		Title:       "Statement",
		Subtitle:    "Charges, payments, refunds and adjustments on your account for the period, and the balance.",
		Meta:        []pdfdoc.Field{{Label: "Patient", Value: name}, {Label: "Period", Value: periodDays(period, loc, paper)}},
		RunningHead: "Statement · " + name,
		Paper:       paper,
		GeneratedAt: now,
		Zone:        loc,
	}
	d.Blocks = append(d.Blocks,
		pdfdoc.Fields{Rows: []pdfdoc.Field{
			{Label: "Practice", Value: ps.Name},
			{Label: "Address", Value: addressText(ps.Address)},
			{Label: "Phone", Value: orNone(ps.Phone)},
			{Label: "Tax ID (EIN)", Value: orNone(ps.TaxID)},
			{Label: "Patient address", Value: addressText(pt.Address)},
		}},
		pdfdoc.Heading{Text: "Account"},
	)
	t := pdfdoc.Table{Columns: []pdfdoc.Column{{Title: "Date", Weight: 1.3}, {Title: "Entry", Weight: 1.3}, {Title: "Description", Weight: 3.5},
		{Title: "Amount", Weight: 1.3, Right: true}, {Title: "Balance", Weight: 1.3, Right: true}}}
	run := st.Opening
	t.Rows = append(t.Rows, []string{serviceDay(period.From, loc, paper), "", "Balance before the period", "", billing.Format(run, cur)})
	for _, l := range st.Lines {
		run += l.Cents
		desc := l.Description
		if l.Code != "" {
			desc = l.Code + " " + desc
		}
		t.Rows = append(t.Rows, []string{serviceDay(l.Date, loc, paper), entryWords[l.Kind], desc, billing.Format(l.Cents, cur), billing.Format(run, cur)})
	}
	d.Blocks = append(d.Blocks, t)
	if st.Truncated {
		d.Blocks = append(d.Blocks, pdfdoc.Paragraph{Text: "This period has more entries than one statement lists; the first " + strconv.Itoa(len(st.Lines)) + " are shown, and the totals below count them all."})
	}
	// The totals are one block, never split across pages (issue 21, the
	// walk), with what they mean.
	d.Blocks = append(d.Blocks, pdfdoc.Together{Blocks: []pdfdoc.Block{pdfdoc.Heading{Text: "Totals"}, pdfdoc.Fields{Rows: []pdfdoc.Field{
		{Label: "Balance before the period", Value: billing.Format(st.Opening, cur)},
		{Label: "Charges", Value: billing.Format(st.Charges, cur)},
		{Label: "Payments", Value: billing.Format(st.Payments, cur)},
		{Label: "Refunds", Value: billing.Format(st.Refunds, cur)},
		{Label: "Adjustments (write-offs)", Value: billing.Format(st.Adjustments, cur)},
		{Label: "Balance at the end of the period", Value: billing.Format(st.Closing, cur)},
	}}, pdfdoc.Paragraph{Text: BalanceWords(st.Now)},
		pdfdoc.Paragraph{Small: true, Text: "A balance above zero is what you owe the practice; below zero, the practice owes you (a credit). Payments are taken at the practice, which keeps no card data."}}})
	return d
}

var entryWords = map[string]string{
	"charge": "Charge", "correction": "Correction", "payment": "Payment", "refund": "Refund", "adjustment": "Write-off",
}

// BalanceWords says a patient's position today in plain words.
func BalanceWords(b store.Balance) string {
	switch {
	case b.Balance > 0 && b.Credit > 0:
		return "Today you owe " + billing.Format(b.Balance, b.Currency) + ": " + billing.Format(b.Open, b.Currency) + " of charges is open, less your credit of " + billing.Format(b.Credit, b.Currency) + "."
	case b.Balance > 0:
		return "Today you owe " + billing.Format(b.Balance, b.Currency) + "."
	case b.Balance < 0:
		return "Today you have a credit of " + billing.Format(-b.Balance, b.Currency) + ": the practice owes you this, and can use it for your next sessions or refund it."
	default:
		return "Today you owe nothing."
	}
}
