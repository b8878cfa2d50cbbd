// Package billingreports is the face of the practice's billing reports
// (issue 21): for a date range, income by month (a bar chart and its
// table), by clinician and by service code; the practice's ledger totals
// with the ledger check said plainly; the patients who owe or hold a
// credit, a page at a time; and CSV files of each for the accountant,
// with a ledger export of every entry of the range, written a page at a
// time through internal/csvsafe. Access is the policy's
// (auth.PermBillingReports: administrators), checked again by the store,
// which audits every read.
package billingreports

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/chart"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers answers the billing report routes.
type Handlers struct {
	*shell.App
}

// New returns the face's handlers over the shared state.
func New(app *shell.App) *Handlers { return &Handlers{App: app} }

// outstandingPageSize is how many patients a page of the outstanding
// balances shows.
const outstandingPageSize = 50

// csvPageSize is how many rows a CSV file reads at a time (a variable for
// the tests, which read a row at a time).
var csvPageSize = store.LedgerPageLimit

// maxRangeYears bounds a report's range.
const maxRangeYears = 10

// Presets are the ranges offered by name.
var Presets = []struct{ Value, Label string }{
	{"this-month", "This month"}, {"last-month", "Last month"}, {"this-year", "This year"}, {"last-year", "Last year"},
}

// period is a report's range: [From, To) in the practice's zone, the
// form's values, and the errors at its fields.
type period struct {
	Preset           string
	FromText, ToText string // as typed, kept on an error
	From, To         time.Time
	Errors           map[string]string
}

// Label is the range for people, the way every page writes a day: "Jan
// 1, 2026 to Jan 31, 2026".
func (p period) Label() string {
	return shell.Day(p.From, p.From.Location()) + " to " + shell.Day(p.To.AddDate(0, 0, -1), p.From.Location())
}

// Query is the range as a query string, for links to the CSV files and
// the pages.
func (p period) Query() string {
	return url.Values{"from": {p.From.Format("2006-01-02")}, "to": {p.To.AddDate(0, 0, -1).Format("2006-01-02")}}.Encode()
}

// CSV is the link to report's CSV file for the range (a URL made of a
// fixed path and two dates this package wrote).
func (p period) CSV(report string) template.URL {
	return template.URL("/billing/reports/csv/" + url.PathEscape(report) + "?" + p.Query())
}

// readPeriod reads the range of q: a preset (this month when nothing is
// asked), or from and to dates (to included).
func readPeriod(q url.Values, now time.Time, loc *time.Location) period {
	now = now.In(loc)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	year := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, loc)
	p := period{Preset: q.Get("preset"), FromText: strings.TrimSpace(q.Get("from")), ToText: strings.TrimSpace(q.Get("to")), Errors: map[string]string{}}
	if p.Preset == "" && p.FromText == "" && p.ToText == "" {
		p.Preset = "this-month"
	}
	switch p.Preset {
	case "this-month":
		p.From, p.To = month, month.AddDate(0, 1, 0)
	case "last-month":
		p.From, p.To = month.AddDate(0, -1, 0), month
	case "this-year":
		p.From, p.To = year, year.AddDate(1, 0, 0)
	case "last-year":
		p.From, p.To = year.AddDate(-1, 0, 0), year
	case "":
		from, err1 := time.ParseInLocation("2006-01-02", p.FromText, loc)
		to, err2 := time.ParseInLocation("2006-01-02", p.ToText, loc)
		if err1 != nil {
			p.Errors["from"] = "Enter the first day as a date, like " + month.Format("2006-01-02") + "."
		}
		if err2 != nil {
			p.Errors["to"] = "Enter the last day as a date, like " + month.AddDate(0, 1, -1).Format("2006-01-02") + "."
		}
		if err1 == nil && err2 == nil {
			switch {
			case to.Before(from):
				p.Errors["to"] = "Enter a last day on or after the first day."
			case to.After(from.AddDate(maxRangeYears, 0, 0)):
				p.Errors["to"] = "Choose at most " + strconv.Itoa(maxRangeYears) + " years."
			case from.Year() < 1900 || to.Year() > 9000:
				p.Errors["from"] = "Enter a day between 1900 and 9000."
			}
		}
		p.From, p.To = from, to.AddDate(0, 0, 1)
	default:
		p.Errors["preset"] = "Choose one of the ranges, or enter the dates."
	}
	if len(p.Errors) == 0 && p.Preset != "" {
		p.FromText, p.ToText = p.From.Format("2006-01-02"), p.To.AddDate(0, 0, -1).Format("2006-01-02")
	}
	return p
}

// pageData is what the reports page shows.
type pageData struct {
	Period      period
	Presets     []struct{ Value, Label string }
	Posted      string
	Totals      store.LedgerTotals
	ByMonth     []store.IncomeRow
	Chart       template.HTML
	Received    int64
	ByClinician []store.IncomeRow
	ByService   []store.IncomeRow
	Outstanding *store.Page[store.PatientBalance]
	NewerURL    string
	OlderURL    string
}

// Money writes cents for people, in the practice's currency.
func (pageData) Money(c int64) string { return billing.Format(c, billing.DefaultCurrency) }

// Month writes a month key ("2026-03") as "March 2026".
func (pageData) Month(key string) string { return monthLabel(key) }

func monthLabel(key string) string {
	if t, err := time.Parse("2006-01", key); err == nil {
		return t.Format("January 2006")
	}
	return key
}

// packagesLabel is the clinician report's row of the packages' prices:
// a package is sold to a patient, not charged for one clinician's session
// (its sessions are charged 0 against it).
const packagesLabel = "Packages (sold, not tied to one session)"

// clinicianLabel is a row of the clinician report for people: the
// clinician's name, or the packages'.
func clinicianLabel(row store.IncomeRow) string {
	if row.Key == "" {
		return packagesLabel
	}
	return row.Label
}

// ClinicianLabel is a row of the clinician report for people.
func (pageData) ClinicianLabel(row store.IncomeRow) string { return clinicianLabel(row) }

// Balances reports whether the ledger's totals agree.
func (d pageData) Balances() bool { return d.Totals.Balances() }

// Page is GET /billing/reports: the reports of a range (this month when
// none is asked; ?preset= or ?from=&to=), and a page of the outstanding
// balances (?after= or ?before=).
func (s *Handlers) Page(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	loc, _ := s.PracticeZone(r)
	d := pageData{Period: readPeriod(q, s.Now(), loc), Presets: Presets}
	status := http.StatusOK
	if len(d.Period.Errors) > 0 {
		d.Posted, status = "range", http.StatusUnprocessableEntity
	}
	k := store.PageKey{After: q.Get("after"), Before: q.Get("before"), Limit: outstandingPageSize}
	if !s.read(w, r, &d, k) {
		return
	}
	base := "/billing/reports?"
	if len(d.Period.Errors) == 0 {
		base += d.Period.Query() + "&"
	}
	if d.Outstanding.Prev != "" {
		d.NewerURL = base + "before=" + url.QueryEscape(d.Outstanding.Prev) + "#outstanding"
	}
	if d.Outstanding.Next != "" {
		d.OlderURL = base + "after=" + url.QueryEscape(d.Outstanding.Next) + "#outstanding"
	}
	s.Render(w, r, status, "billing_reports", "Billing reports", d)
}

// read fills d with the page's reports, in one transaction audited once
// (store.BillingReport); false when it has answered with an error.
func (s *Handlers) read(w http.ResponseWriter, r *http.Request, d *pageData, k store.PageKey) bool {
	p := d.Period
	rep, err := s.Store.BillingReport(r.Context(), s.Actor(r), len(p.Errors) == 0, p.From, p.To, k)
	if err != nil {
		s.Error(w, r, err)
		return false
	}
	d.Totals, d.ByMonth, d.ByClinician, d.ByService, d.Outstanding = rep.Totals, rep.ByMonth, rep.ByClinician, rep.ByService, rep.Outstanding
	if rep.Ranged {
		d.Chart, d.Received = monthChart(p, d.ByMonth)
	}
	return true
}

// monthChart draws the money received each month of p (a bar for every
// month of the range, none received drawn as zero, for at most 36
// months), and the sum. The months are the practice's (p's zone, the one
// the ledger keeps each payment's month in), so a range of a year is
// twelve bars. A range within one year names the year in the chart's
// title and the months alone below the bars; a range over a new year
// writes the year at the first bar and at each January.
func monthChart(p period, rows []store.IncomeRow) (template.HTML, int64) {
	by := map[string]int64{}
	var sum int64
	for _, r := range rows {
		by[r.Key] += r.Cents
		sum += r.Cents
	}
	var bars []chart.Bar
	loc := p.From.Location()
	oneYear := p.From.Year() == p.To.AddDate(0, 0, -1).Year()
	title := "Income by month"
	if oneYear {
		title += ", " + strconv.Itoa(p.From.Year())
	}
	for m := time.Date(p.From.Year(), p.From.Month(), 1, 0, 0, 0, 0, loc); m.Before(p.To) && len(bars) < 36; m = m.AddDate(0, 1, 0) {
		key := m.Format("2006-01")
		label := m.Format("Jan")
		if !oneYear && (len(bars) == 0 || m.Month() == time.January) {
			label = m.Format("Jan 2006")
		}
		bars = append(bars, chart.Bar{Label: label, Value: float64(by[key]) / 100, Text: billing.Format(by[key], billing.DefaultCurrency)})
	}
	svg := chart.BarsSVG(chart.BarSpec{
		Title:  title,
		Desc:   fmt.Sprintf("Money received each month from %s, less refunds: %s in all. The table below lists the same numbers.", p.Label(), billing.Format(sum, billing.DefaultCurrency)),
		YLabel: "Received, less refunds (" + billing.DefaultCurrency + ")",
		Bars:   bars,
		YFormat: func(v float64) string {
			return strings.TrimSuffix(billing.Format(int64(math.Round(v*100)), billing.DefaultCurrency), ".00")
		},
	})
	return template.HTML(svg), sum // BarsSVG escapes all text and uses no styles or scripts
}
