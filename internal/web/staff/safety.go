package staff

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// safetyField is one threshold on the settings page.
type safetyField struct {
	Key, Label, Hint, Default string
	Bound                     string
}

type safetyPage struct {
	Form      url.Values
	Errors    map[string]string
	Notice    string
	CanEdit   bool
	Fields    []safetyField
	PulseNote string
	// SedationNote says the MOAA/S cut-offs are a clinical choice.
	SedationNote string
}

// safetyFields lists the thresholds with their labels, defaults and bounds
// (all from clinic).
func safetyFields() []safetyField {
	d, b := clinic.DefaultThresholds, clinic.ThresholdBounds
	rng := func(x clinic.Bound) string { return strconv.Itoa(x.Min) + "–" + strconv.Itoa(x.Max) }
	bp := func(sys, dia clinic.Bound) string { return rng(sys) + " / " + rng(dia) }
	return []safetyField{
		{"bp_caution", "Blood pressure: caution above", "Either number above it.", d.BPCaution.String(), bp(b.BPCautionSys, b.BPCautionDia)},
		{"bp_hold", "Blood pressure: hold above", "Never above 180/110.", d.BPHold.String(), bp(b.BPHoldSys, b.BPHoldDia)},
		{"pulse_high_caution", "Pulse: caution above", "Beats a minute.", strconv.Itoa(d.PulseHighCaution), rng(b.PulseHighCaution)},
		{"pulse_high_hold", "Pulse: hold above", "", strconv.Itoa(d.PulseHighHold), rng(b.PulseHighHold)},
		{"pulse_low_caution", "Pulse: caution below", "", strconv.Itoa(d.PulseLowCaution), rng(b.PulseLowCaution)},
		{"pulse_low_hold", "Pulse: hold below", "", strconv.Itoa(d.PulseLowHold), rng(b.PulseLowHold)},
		{"spo2_caution", "SpO₂: caution below (%)", "WHO: 94 % or below needs prompt assessment.", strconv.Itoa(d.SpO2Caution), rng(b.SpO2Caution)},
		{"spo2_hold", "SpO₂: hold below (%)", "WHO: below 90 % is hypoxaemia.", strconv.Itoa(d.SpO2Hold), rng(b.SpO2Hold)},
		{"observation_minutes", "Minimum observation after the dose (minutes)", "Spravato REMS: at least 2 hours. Never below 60.", strconv.Itoa(d.ObservationMinutes), rng(b.ObservationMinutes)},
		{"sedation_caution", "Sedation: caution at MOAA/S or below", "MOAA/S 0–5 (Chernik et al. 1990); the cut-off is a clinical choice.", strconv.Itoa(d.SedationCaution), rng(b.SedationCaution)},
		{"sedation_hold", "Sedation: hold at MOAA/S or below", "Holds discharge and alerts the prescriber. 2 (responds only to prodding) or lower always holds.", strconv.Itoa(d.SedationHold), rng(b.SedationHold)},
	}
}

func (s *Handlers) safetyData(r *http.Request, form url.Values, errs map[string]string) (safetyPage, error) {
	p := safetyPage{Form: form, Errors: errs, CanEdit: auth.Can(s.Actor(r).Role, auth.RelNone, auth.PermSetThresholds), Fields: safetyFields(), PulseNote: clinic.PulseDefaultsNote, SedationNote: clinic.SedationDefaultsNote}
	if form == nil {
		t, err := s.Store.Thresholds(r.Context(), s.Actor(r))
		if err != nil {
			return p, err
		}
		p.Form = url.Values{}
		for _, k := range store.ThresholdKeys() {
			p.Form.Set(k, store.ThresholdValue(t, k))
		}
	}
	return p, nil
}

// SafetySavedNotice is what the settings page says after a save: every
// reading, including those already taken in sessions still open, is
// judged by the thresholds in force (the gate, the hold banner, discharge
// and every reading shown), not by those it was taken under.
const SafetySavedNotice = "Saved. Every reading is judged against these thresholds from now on, including readings already taken in sessions still open: the pre-dose gate, the hold banner, discharge and the levels shown."

// Safety shows the thresholds: a form for a prescriber, read-only
// for an administrator.
func (s *Handlers) Safety(w http.ResponseWriter, r *http.Request) {
	p, err := s.safetyData(r, nil, nil)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if r.URL.Query().Get("done") == "saved" {
		p.Notice = SafetySavedNotice
	}
	s.Render(w, r, http.StatusOK, "safety", "Session safety settings", p)
}

// SafetySave saves a prescriber's thresholds, or shows the form
// again with what was typed and what is wrong at each field.
func (s *Handlers) SafetySave(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	t, fe := store.ParseThresholds(r.PostForm.Get)
	if len(fe) == 0 {
		err := s.Store.SaveThresholds(r.Context(), s.Actor(r), t)
		if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
			fe = e.Fields
		} else if err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if len(fe) > 0 {
		p, _ := s.safetyData(r, r.PostForm, fe)
		s.Render(w, r, http.StatusUnprocessableEntity, "safety", "Session safety settings", p)
		return
	}
	http.Redirect(w, r, "/settings/dosing?done=saved", http.StatusSeeOther)
}
