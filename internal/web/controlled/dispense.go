package controlled

import (
	"net/http"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/cslog"
	"github.com/kapstone/kapstone/internal/store"
)

// Dispensing to a patient (take-home doses; issue 20, part 1): the log
// records each dispensing with the patient, the prescriber who ordered
// it, the lot and the amount (21 CFR 1304.22(c)). The form is reached
// from the patient's chart ("Dispense from the log", /controlled?patient=)
// or by finding the patient by name on the log's page; either way only
// patients the keeper may reach are offered, and the store checks again.

// dispenseFindLimit is how many patients a search by name lists.
const dispenseFindLimit = 20

// dispenseView is the dispensing form's part of the page.
type dispenseView struct {
	Patient     *store.Patient   // the patient chosen, or nil
	Query       string           // the name searched for
	Found       []*store.Patient // up to dispenseFindLimit matches
	More        bool             // more matched than are listed
	Prescribers []*clinic.User
	Date, Time  string // defaults: now, in the practice's zone
	Me          string // the keeper: the prescriber chosen first when they are one
}

// dispense fills p.Dispense for a keeper of the log: the patient from
// ?patient= (or the posted form's), else the patients matching ?find=.
// A patient the keeper may not reach is not shown, and says so at the
// patient field.
func (s *Handlers) dispense(r *http.Request, p *controlledPage) error {
	ctx, actor, q := r.Context(), s.Actor(r), r.URL.Query()
	d := &dispenseView{Me: actor.UserID}
	p.Dispense = d
	now := s.Now().In(p.Loc)
	d.Date, d.Time = now.Format("2006-01-02"), now.Format("15:04")
	id := q.Get("patient")
	if p.Posted == "dispense" {
		id = p.Form.Get("patient")
	}
	if id = strings.TrimSpace(id); id != "" {
		pt, _, err := s.Store.FindPatient(ctx, actor, id)
		switch {
		case clinic.ErrorCode(err) == clinic.ENotFound || clinic.ErrorCode(err) == clinic.EForbidden:
			if p.Errors == nil {
				p.Errors, p.Posted = map[string]string{}, "dispense"
			}
			if p.Errors["patient"] == "" {
				p.Errors["patient"] = "That patient is not one you can reach: find one of your patients by name."
			}
		case err != nil:
			return err
		default:
			d.Patient = pt
		}
	}
	if d.Query = strings.TrimSpace(q.Get("find")); d.Query != "" && d.Patient == nil {
		page, err := s.Store.PagePatients(ctx, actor, store.PatientFilter{Query: d.Query}, store.PageKey{Limit: dispenseFindLimit})
		if err != nil {
			return err
		}
		d.Found, d.More = page.Patients, page.Total > len(page.Patients)
	}
	if d.Patient != nil {
		var err error
		if d.Prescribers, err = s.Store.ListStaff(ctx, clinic.RolePrescriber); err != nil {
			return err
		}
	}
	return nil
}

// ControlledDispense is POST /controlled/dispense: a take-home dose
// dispensed to a patient from a lot, on a prescriber's order, at a date
// and time (now by default).
func (s *Handlers) ControlledDispense(w http.ResponseWriter, r *http.Request) {
	ctx, actor := r.Context(), s.Actor(r)
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	lots, err := s.Store.CSLots(ctx, actor, false)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	fe := clinic.FieldErrors{}
	var lot *store.CSLot
	for i := range lots {
		if lots[i].ID == f("lot") {
			lot = &lots[i]
		}
	}
	e := cslog.Entry{Kind: cslog.Dispense, PatientID: f("patient"), PrescriberID: f("prescriber")}
	if lot == nil {
		fe.Add("lot", "Choose the lot it was dispensed from.")
	} else if q, ok := cslog.Parse(f("quantity"), lot.Product.Rules(), false); !ok {
		fe.Add("quantity", quantityHelp(lot.Product))
	} else {
		e.Quantity = q
	}
	if e.PrescriberID == "" {
		fe.Add("prescriber", "Choose the prescriber who ordered it.")
	}
	loc, _ := s.PracticeZone(r)
	at, err := time.ParseInLocation("2006-01-02 15:04", f("date")+" "+f("time"), loc)
	if err != nil {
		fe.Add("at", "Enter the date and time it was dispensed, like 2026-06-30 and 14:30.")
	}
	if len(fe) > 0 {
		s.controlledDone(w, r, "dispense", fe.Err())
		return
	}
	_, err = s.Store.RecordCS(ctx, actor, lot.ID, e, at)
	s.controlledDone(w, r, "dispense", err)
}
