package store

import (
	"context"
	"strconv"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// The prescriber's safety settings for dosing sessions (issue 12, defect
// 10): vitals thresholds and the minimum observation time, each a practice
// setting, within clinic.ThresholdBounds.

// thresholdSetting is one stored threshold: its key and where it lives in
// clinic.Thresholds.
type thresholdSetting struct {
	key string
	get func(*clinic.Thresholds) string
	set func(*clinic.Thresholds, string) bool
}

func intSetting(key string, field func(*clinic.Thresholds) *int) thresholdSetting {
	return thresholdSetting{key: key,
		get: func(t *clinic.Thresholds) string { return strconv.Itoa(*field(t)) },
		set: func(t *clinic.Thresholds, v string) bool {
			n, err := strconv.Atoi(v)
			if err == nil {
				*field(t) = n
			}
			return err == nil
		}}
}

func bpSetting(key string, field func(*clinic.Thresholds) *clinic.BP) thresholdSetting {
	return thresholdSetting{key: key,
		get: func(t *clinic.Thresholds) string { return field(t).String() },
		set: func(t *clinic.Thresholds, v string) bool {
			bp, ok := clinic.ParseBP(v)
			if ok {
				*field(t) = bp
			}
			return ok
		}}
}

// thresholdSettings are the stored thresholds; each key is also the field
// name clinic.Thresholds.Check reports.
var thresholdSettings = []thresholdSetting{
	bpSetting("bp_caution", func(t *clinic.Thresholds) *clinic.BP { return &t.BPCaution }),
	bpSetting("bp_hold", func(t *clinic.Thresholds) *clinic.BP { return &t.BPHold }),
	intSetting("spo2_caution", func(t *clinic.Thresholds) *int { return &t.SpO2Caution }),
	intSetting("spo2_hold", func(t *clinic.Thresholds) *int { return &t.SpO2Hold }),
	intSetting("pulse_high_caution", func(t *clinic.Thresholds) *int { return &t.PulseHighCaution }),
	intSetting("pulse_high_hold", func(t *clinic.Thresholds) *int { return &t.PulseHighHold }),
	intSetting("pulse_low_caution", func(t *clinic.Thresholds) *int { return &t.PulseLowCaution }),
	intSetting("pulse_low_hold", func(t *clinic.Thresholds) *int { return &t.PulseLowHold }),
	intSetting("observation_minutes", func(t *clinic.Thresholds) *int { return &t.ObservationMinutes }),
	intSetting("sedation_caution", func(t *clinic.Thresholds) *int { return &t.SedationCaution }),
	intSetting("sedation_hold", func(t *clinic.Thresholds) *int { return &t.SedationHold }),
}

// ThresholdKeys are the form and setting names of the thresholds, in the
// order the settings page shows them.
func ThresholdKeys() []string {
	out := make([]string, len(thresholdSettings))
	for i, ts := range thresholdSettings {
		out[i] = ts.key
	}
	return out
}

// ThresholdValue is threshold key of t as the settings page writes it.
func ThresholdValue(t clinic.Thresholds, key string) string {
	for _, ts := range thresholdSettings {
		if ts.key == key {
			return ts.get(&t)
		}
	}
	return ""
}

// ParseThresholds reads the settings form (one value per ThresholdKeys
// key) over the defaults, and says what is wrong, by field: a value that
// is not a number (or a blood pressure), or outside its bound.
func ParseThresholds(get func(key string) string) (clinic.Thresholds, clinic.FieldErrors) {
	t := clinic.DefaultThresholds
	fe := clinic.FieldErrors{}
	for _, ts := range thresholdSettings {
		if !ts.set(&t, get(ts.key)) {
			fe.Add(ts.key, "Enter a number (a blood pressure like 140/90).")
		}
	}
	for k, msg := range t.Check() {
		if _, bad := fe[k]; !bad {
			fe.Add(k, msg)
		}
	}
	return t, fe
}

// thresholdsIn reads the thresholds inside tx: each stored value over its
// default. A stored value that is unreadable or outside its bound (one an
// administrator set before the bounds, say a hold at 260/160) is not used:
// its default is.
func thresholdsIn(ctx context.Context, tx *Tx) (clinic.Thresholds, error) {
	t := clinic.DefaultThresholds
	for _, ts := range thresholdSettings {
		v, err := settingIn(ctx, tx, ts.key, "")
		if err != nil {
			return t, err
		}
		if v == "" {
			continue
		}
		try := t
		if ts.set(&try, v) {
			if _, bad := try.Check()[ts.key]; !bad {
				t = try
			}
		}
	}
	if len(t.Check()) > 0 { // a pair that no longer fits together
		return clinic.DefaultThresholds, nil
	}
	return t, nil
}

// Thresholds reads the prescriber's thresholds for dosing sessions. Staff
// only (administrators see them read-only).
func (s *Store) Thresholds(ctx context.Context, actor Actor) (clinic.Thresholds, error) {
	if !actor.may(auth.PermThresholds) {
		return clinic.Thresholds{}, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var t clinic.Thresholds
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		t, err = thresholdsIn(ctx, tx)
		return err
	})
	return t, err
}

// SaveThresholds stores t for a prescriber, when every value is within
// its bound (clinic.Thresholds.Check); anyone else is refused. Audited,
// one row per setting changed (a value left as it was is not written),
// with its old and new values ("160/100 →
// 150/95"; the old value is the one in force, its default when none was
// stored or the stored one was not used).
func (s *Store) SaveThresholds(ctx context.Context, actor Actor, t clinic.Thresholds) error {
	if !actor.may(auth.PermSetThresholds) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if err := t.Check().Err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		before, err := thresholdsIn(ctx, tx)
		if err != nil {
			return err
		}
		for _, ts := range thresholdSettings {
			stored, err := settingIn(ctx, tx, ts.key, "")
			if err != nil {
				return err
			}
			// A value is saved when it changes the one in force, or replaces
			// a different stored one (one outside the bounds, not in use).
			if v := ts.get(&t); v != ts.get(&before) || (stored != "" && stored != v) {
				if err := s.setSettingDetail(ctx, tx, actor, ts.key, v, ts.get(&before)+" → "+v); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
