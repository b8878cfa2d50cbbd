package billingreports

import (
	"net/http"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/csvsafe"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Reports are the CSV files, by the name in their path.
var Reports = []string{"month", "clinician", "service", "outstanding", "ledger"}

// kindTitles are the ledger export's kinds of entry for people.
var kindTitles = map[string]string{"charge": "Charge", "correction": "Charge correction", "payment": "Payment", "refund": "Refund", "write_off": "Write-off"}

// chargesCell writes the charges a ledger entry concerns, each as its
// code and date of service, with the amount applied to it for a payment
// ("90837 of 2026-11-26: 200.00; 90791 of 2026-11-10: 50.00").
func chargesCell(cs []store.LedgerCharge, loc *time.Location) string {
	var parts []string
	for _, c := range cs {
		part := c.Code + " of " + c.ServiceDate.In(loc).Format("2006-01-02")
		if c.Cents != 0 {
			part += ": " + billing.FormatPlain(c.Cents)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

func methodTitle(m string) string {
	for _, x := range billing.Methods {
		if x.Method == m {
			return x.Title
		}
	}
	return m
}

// CSV is GET /billing/reports/csv/{report}?from=&to= (or ?preset=): one
// report as a CSV file for the accountant, the range's (the outstanding
// balances are today's). The outstanding balances and the ledger are
// read and written a page at a time, never all at once. Every text cell
// goes through csvsafe (a patient named "=cmd" is written '=cmd); money
// is written from integer cents with two decimals.
func (s *Handlers) CSV(w http.ResponseWriter, r *http.Request) {
	ctx, actor := r.Context(), s.Actor(r)
	report := r.PathValue("report")
	known := false
	for _, k := range Reports {
		known = known || k == report
	}
	if !known {
		s.NotFound(w, r)
		return
	}
	loc, _ := s.PracticeZone(r)
	p := readPeriod(r.URL.Query(), s.Now(), loc)
	if len(p.Errors) > 0 && report != "outstanding" {
		d := pageData{Period: p, Presets: Presets, Posted: "range"}
		if !s.read(w, r, &d, store.PageKey{Limit: outstandingPageSize}) {
			return
		}
		s.Render(w, r, http.StatusUnprocessableEntity, "billing_reports", "Billing reports", d)
		return
	}
	name := "billing-" + report + "-" + p.From.Format("2006-01-02") + "-to-" + p.To.AddDate(0, 0, -1).Format("2006-01-02")
	if report == "outstanding" {
		name = "billing-outstanding-" + s.Now().In(loc).Format("2006-01-02")
	}
	// The first read decides between an error page and the file: once the
	// file has begun, a failure can only end it early (and is logged).
	var income []store.IncomeRow
	var err error
	switch report {
	case "month":
		income, err = s.Store.IncomeByMonth(ctx, actor, p.From, p.To)
	case "clinician":
		income, err = s.Store.IncomeByClinician(ctx, actor, p.From, p.To)
	case "service":
		income, err = s.Store.IncomeByService(ctx, actor, p.From, p.To)
	}
	var first *store.Page[store.PatientBalance]
	if err == nil && report == "outstanding" {
		first, err = s.Store.OutstandingBalances(ctx, actor, store.PageKey{Limit: csvPageSize})
	}
	var entries []store.LedgerEntry
	if err == nil && report == "ledger" {
		entries, err = s.Store.LedgerEntries(ctx, actor, p.From, p.To, time.Time{}, "", csvPageSize)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.Attachment(w, "text/csv; charset=utf-8", name+".csv")
	cw := csvsafe.NewWriter(w)
	write := func(cells ...csvsafe.Cell) bool {
		if err := cw.Row(cells...); err != nil {
			s.LogSaveFailed(r, "billing report csv", err)
			return false
		}
		return true
	}
	cur := billing.DefaultCurrency
	switch report {
	case "month":
		write(csvsafe.Text("Month"), csvsafe.Text("Received less refunds"), csvsafe.Text("Currency"), csvsafe.Text("Payments"))
		for _, row := range income {
			write(csvsafe.Text(row.Key), csvsafe.Cents(row.Cents), csvsafe.Text(cur), csvsafe.Int(row.Count))
		}
	case "clinician":
		write(csvsafe.Text("Clinician"), csvsafe.Text("Paid"), csvsafe.Text("Currency"), csvsafe.Text("Charges paid on"))
		for _, row := range income {
			write(csvsafe.Text(clinicianLabel(row)), csvsafe.Cents(row.Cents), csvsafe.Text(cur), csvsafe.Int(row.Count))
		}
	case "service":
		write(csvsafe.Text("Service code"), csvsafe.Text("Paid"), csvsafe.Text("Currency"), csvsafe.Text("Charges paid on"))
		for _, row := range income {
			write(csvsafe.Text(row.Key), csvsafe.Cents(row.Cents), csvsafe.Text(cur), csvsafe.Int(row.Count))
		}
	case "outstanding":
		write(csvsafe.Text("Patient"), csvsafe.Text("Open charges"), csvsafe.Text("Credit"), csvsafe.Text("Balance"), csvsafe.Text("Currency"))
		for page := first; ; {
			for _, b := range page.Rows {
				if !write(csvsafe.Text(b.DisplayName), csvsafe.Cents(b.Open), csvsafe.Cents(b.Credit), csvsafe.Cents(b.Balance), csvsafe.Text(cur)) {
					return
				}
			}
			if page.Next == "" {
				break
			}
			cw.Flush()
			if page, err = s.Store.OutstandingBalances(ctx, actor, store.PageKey{After: page.Next, Limit: csvPageSize}); err != nil {
				s.LogSaveFailed(r, "billing report csv", err)
				return
			}
		}
	case "ledger":
		write(csvsafe.Text("Date"), csvsafe.Text("Patient"), csvsafe.Text("Kind"), csvsafe.Text("Service code"), csvsafe.Text("Amount"), csvsafe.Text("Currency"), csvsafe.Text("Method"),
			csvsafe.Text("Clinician"), csvsafe.Text("Reference"), csvsafe.Text("Reason"), csvsafe.Text("Charge (code, date of service, amount applied)"))
		for {
			for _, e := range entries {
				if !write(csvsafe.Text(e.At.In(loc).Format("2006-01-02")), csvsafe.Text(e.PatientName), csvsafe.Text(kindTitles[e.Kind]), csvsafe.Text(e.Code),
					csvsafe.Cents(e.Cents), csvsafe.Text(e.Currency), csvsafe.Text(methodTitle(e.Method)),
					csvsafe.Text(e.Clinician), csvsafe.Text(e.Reference), csvsafe.Text(e.Reason), csvsafe.Text(chargesCell(e.Charges, loc))) {
					return
				}
			}
			if len(entries) < csvPageSize {
				break
			}
			cw.Flush()
			last := entries[len(entries)-1]
			if entries, err = s.Store.LedgerEntries(ctx, actor, p.From, p.To, last.At, last.ID, csvPageSize); err != nil {
				s.LogSaveFailed(r, "billing report csv", err)
				return
			}
		}
	}
	if err := cw.Flush(); err != nil {
		s.LogSaveFailed(r, "billing report csv", err)
	}
}
