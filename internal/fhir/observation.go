package fhir

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/kapstone/kapstone/internal/store"
)

// An Observation's target is what it observes, as the search sees it:
// "<instrument>|<LOINC>" for a score (the panel, the total or an item of
// that instrument), or one of the vital signs below. The same LOINC code
// can be a target of two instruments (PHQ-2's items are PHQ-9's first two).
const (
	targetBP   = "vitals|bp"
	targetHR   = "vitals|hr"
	targetSpO2 = "vitals|spo2"
)

// obsTarget is one target: its codes (LOINC), its category and, for a
// score, its instrument and the item it answers ("" for a panel or total).
type obsTarget struct {
	key        string
	codes      []string
	category   string // survey | vital-signs
	instrument string
	item       string
}

// observationTargets lists every target the API can return, from
// internal/measure (the scores) and the vital-sign codes.
func observationTargets() []obsTarget {
	var out []obsTarget
	for _, id := range shippedIDs() {
		inst, _ := Shipped(id)
		if inst.LOINCPanel != "" {
			out = append(out, obsTarget{key: id + "|" + inst.LOINCPanel, codes: []string{inst.LOINCPanel}, category: "survey", instrument: id})
		}
		out = append(out, obsTarget{key: id + "|" + inst.LOINCTotal, codes: []string{inst.LOINCTotal}, category: "survey", instrument: id})
		for _, it := range inst.Items {
			if it.LOINC != "" {
				out = append(out, obsTarget{key: id + "|" + it.LOINC, codes: []string{it.LOINC}, category: "survey", instrument: id, item: it.ID})
			}
		}
	}
	return append(out,
		obsTarget{key: targetBP, codes: []string{LOINCBloodPressure}, category: "vital-signs"},
		obsTarget{key: targetHR, codes: []string{LOINCHeartRate}, category: "vital-signs"},
		obsTarget{key: targetSpO2, codes: []string{LOINCOxygenSat, LOINCPulseOximetry}, category: "vital-signs"},
	)
}

// selectTargets reads the code and category parameters: the targets that
// match every value (each value a comma list, any of which may match).
func selectTargets(v url.Values) (map[string]obsTarget, error) {
	all := observationTargets()
	out := map[string]obsTarget{}
	for _, t := range all {
		out[t.key] = t
	}
	keep := func(name string, match func(obsTarget, Token) bool) error {
		groups, err := parseTokens(name, v[name])
		if err != nil {
			return err
		}
		for _, g := range groups {
			for key, t := range out {
				if !slices.ContainsFunc(g, func(tok Token) bool { return match(t, tok) }) {
					delete(out, key)
				}
			}
		}
		return nil
	}
	if err := keep("code", func(t obsTarget, tok Token) bool {
		return (!tok.HasSystem || tok.System == SystemLOINC) && slices.Contains(t.codes, tok.Code)
	}); err != nil {
		return nil, err
	}
	if err := keep("category", func(t obsTarget, tok Token) bool {
		return (!tok.HasSystem || tok.System == SystemObservationCategory) && t.category == tok.Code
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// recordFilter is the store's filter for targets: the check-ins of the
// instruments some target names, each counted by its targets, and the
// vitals.
func recordFilter(patientID string, targets map[string]obsTarget) store.RecordFilter {
	f := store.RecordFilter{PatientID: patientID, Checkins: map[string]store.RecordWeight{}}
	for _, t := range targets {
		switch t.key {
		case targetBP, targetHR, targetSpO2:
			if f.Vitals == nil {
				f.Vitals = &store.VitalsWeight{}
			}
			f.Vitals.BP = f.Vitals.BP || t.key == targetBP
			f.Vitals.HeartRate = f.Vitals.HeartRate || t.key == targetHR
			f.Vitals.SpO2 = f.Vitals.SpO2 || t.key == targetSpO2
			continue
		}
		w := f.Checkins[t.instrument]
		if t.item == "" {
			w.Fixed++
		} else {
			w.Items = append(w.Items, t.item)
		}
		slices.Sort(w.Items)
		f.Checkins[t.instrument] = w
	}
	return f
}

// observations maps a record to its Observations, in the mapper's order
// (panel, total, items; blood pressure, heart rate, SpO2).
func (c *caller) observations(patientID string, row store.RecordRow) ([]Observation, error) {
	if row.Checkin != nil {
		return c.m.CheckinObservations(patientID, *row.Checkin)
	}
	return c.m.VitalsObservations(patientID, *row.Vitals)
}

// targetOf is the target an Observation of row observes.
func targetOf(row store.RecordRow, o Observation) string {
	if row.Vitals != nil {
		switch {
		case strings.HasSuffix(o.ID, "-bp"):
			return targetBP
		case strings.HasSuffix(o.ID, "-hr"):
			return targetHR
		}
		return targetSpO2
	}
	return row.Checkin.Instrument + "|" + strings.TrimPrefix(o.ID, row.Checkin.ID+"-")
}

func searchObservations(ctx context.Context, h *Handler, c *caller, q *query, v url.Values) (Resource, error) {
	pid, err := patientOf(ctx, h, c, v)
	if err != nil {
		return nil, err
	}
	targets, err := selectTargets(v)
	if err != nil {
		return nil, err
	}
	when, err := datesOf("date", v)
	if err != nil {
		return nil, err
	}
	f := recordFilter(pid, targets)
	f.When = when
	// Observation:derived-from: the QuestionnaireResponse of each check-in
	// shown, from the row already read (no other read, no other check).
	derived := map[string]Resource{}
	res, err := pageRecords(ctx, h, c, "Observation", q, f, func(row store.RecordRow) ([]Resource, error) {
		obs, err := c.observations(pid, row)
		if err != nil {
			return nil, err
		}
		var out []Resource
		for _, o := range obs {
			if _, ok := targets[targetOf(row, o)]; ok {
				out = append(out, o)
			}
		}
		if len(q.include) > 0 && row.Checkin != nil && len(out) > 0 {
			qr, err := c.m.QuestionnaireResponse(pid, *row.Checkin)
			if err != nil {
				return nil, err
			}
			derived["QuestionnaireResponse/"+qr.ID] = qr
		}
		return out, nil
	})
	if b, ok := res.(*Bundle); ok && len(derived) > 0 {
		for _, e := range slices.Clone(b.Entry) {
			if o, ok := e.Resource.(Observation); ok {
				for _, ref := range o.DerivedFrom {
					if r := derived[ref.Reference]; r != nil {
						c.include(b, r)
					}
				}
			}
		}
	}
	return res, err
}

// readObservation reads an Observation by its id: a check-in's id and a
// LOINC code ("<checkin>-44261-6"), or a set of vitals' id and what was
// taken ("<vitals>-bp", "-hr", "-spo2").
func readObservation(ctx context.Context, h *Handler, c *caller, id string) (Resource, error) {
	kind, rowID := store.RecordCheckin, ""
	for _, s := range []string{"-bp", "-hr", "-spo2"} {
		if base, ok := strings.CutSuffix(id, s); ok {
			kind, rowID = store.RecordVitals, base
		}
	}
	if kind == store.RecordCheckin {
		var ok bool
		if rowID, _, ok = strings.Cut(id, "-"); !ok {
			return nil, notFound
		}
	}
	pid, row, err := h.Store.FHIRRecord(ctx, c.actor, kind, rowID)
	if err != nil {
		return nil, err
	}
	if row.Checkin != nil {
		if _, ok := Shipped(row.Checkin.Instrument); !ok {
			return nil, notFound
		}
	}
	obs, err := c.observations(pid, *row)
	if err != nil {
		return nil, err
	}
	for _, o := range obs {
		if o.ID == id {
			return o, nil
		}
	}
	return nil, notFound
}
