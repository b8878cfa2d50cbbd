package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
)

// PracticeText is the wording a practice supplies, under its own licence,
// for an instrument kapstone ships without it (the risk screen, PCL-5).
type PracticeText struct {
	Instructions string            `json:"instructions"`
	Items        map[string]string `json:"items"`
}

func instrumentKey(id string) string { return "instrument_text:" + id }

// Instrument returns instrument id ready to use: with the practice's
// wording when it needs some. ok is false for an unknown id; an instrument
// still waiting for its wording is returned as it ships (Ready false).
func (s *Store) Instrument(ctx context.Context, id string) (measure.Instrument, bool, error) {
	if inst, ok := measure.Get(id); !ok || !inst.ItemTextFromPractice {
		return inst, ok, nil // as it ships: nothing of the practice's to read
	}
	var inst measure.Instrument
	var ok bool
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		inst, ok, err = s.instrument(ctx, tx, id)
		return err
	})
	return inst, ok, err
}

func (s *Store) instrument(ctx context.Context, tx *Tx, id string) (measure.Instrument, bool, error) {
	inst, ok := measure.Get(id)
	if !ok || !inst.ItemTextFromPractice {
		return inst, ok, nil
	}
	var body string
	err := tx.QueryRow(ctx, `SELECT value FROM practice_settings WHERE key = $1`, instrumentKey(id)).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return inst, true, nil
	}
	if err != nil {
		return inst, true, err
	}
	var pt PracticeText
	if err := json.Unmarshal([]byte(body), &pt); err != nil {
		return inst, true, nil // unreadable wording: the instrument stays unready
	}
	if ready, err := measure.WithPracticeText(inst, pt.Instructions, pt.Items); err == nil {
		return ready, true, nil
	}
	return inst, true, nil
}

// PracticeTextOf returns the wording stored for instrument id (empty when none).
func (s *Store) PracticeTextOf(ctx context.Context, id string) (PracticeText, error) {
	pt := PracticeText{Items: map[string]string{}}
	v, err := s.Setting(ctx, instrumentKey(id), "")
	if err != nil || v == "" {
		return pt, err
	}
	err = json.Unmarshal([]byte(v), &pt)
	return pt, err
}

// SetPracticeText stores the practice's wording for instrument id: every
// item needs its text (at most 500 characters), instructions at most 1000.
// Only an admin may. Audited (as a setting change).
func (s *Store) SetPracticeText(ctx context.Context, actor Actor, id string, pt PracticeText) error {
	if !actor.may(auth.PermInstruments) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	inst, ok := measure.Get(id)
	if !ok || !inst.ItemTextFromPractice {
		return clinic.Errorf(clinic.ENotFound, "That questionnaire ships its own wording.")
	}
	fe := clinic.FieldErrors{}
	pt.Instructions = strings.TrimSpace(pt.Instructions)
	if utf8.RuneCountInString(pt.Instructions) > 1000 {
		fe.Add("instructions", "Use at most 1000 characters.")
	}
	clinic.CheckText(fe, "instructions", pt.Instructions)
	clean := map[string]string{}
	for _, it := range inst.Items {
		t := strings.TrimSpace(pt.Items[it.ID])
		switch {
		case t == "":
			fe.Add(it.ID, "Enter the wording of this question, as your licence allows.")
		case utf8.RuneCountInString(t) > 500:
			fe.Add(it.ID, "Use at most 500 characters.")
		}
		clean[it.ID] = t
	}
	if err := fe.Err(); err != nil {
		return err
	}
	pt.Items = clean
	if _, err := measure.WithPracticeText(inst, pt.Instructions, pt.Items); err != nil {
		return err
	}
	body, err := json.Marshal(pt)
	if err != nil {
		return err
	}
	return s.SetSetting(ctx, actor, instrumentKey(id), string(body))
}
