package shell

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/billing"
)

// OutcomeCharge is what the notice after an appointment's outcome was
// recorded (?done=outcome&appointment=&outcome=) adds, after a space: the
// charge the appointment carries, read back from the ledger, or that
// nothing was charged and why (billing.OutcomeWords; issue 21 walk F6).
// "" for any other notice, and for a reader who may not read the
// patient's billing (canBill false: a prescriber), whose read would be
// refused. The staff face's chart calls it (that face is at its size).
func (a *App) OutcomeCharge(r *http.Request, patientID string, canBill bool) string {
	q := r.URL.Query()
	if !canBill || q.Get("done") != "outcome" || q.Get("appointment") == "" {
		return ""
	}
	c, err := a.Store.AppointmentCharge(r.Context(), a.Actor(r), patientID, q.Get("appointment"))
	if err != nil {
		// The notice says what was recorded without the charge.
		a.Log.WarnContext(r.Context(), "outcome notice: charge not read", "err", err)
		return ""
	}
	var bc *billing.Charge
	currency := billing.DefaultCurrency
	if c != nil {
		bc, currency = &billing.Charge{Kind: c.Kind, Cents: c.Cents, Description: c.Description}, c.Currency
	}
	if w := billing.OutcomeWords(q.Get("outcome"), bc, currency); w != "" {
		return " " + w
	}
	return ""
}
