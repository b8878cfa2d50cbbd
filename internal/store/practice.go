package store

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Practice settings keys.
const (
	settingName          = "practice_name"
	settingZone          = "time_zone"
	settingMinutes       = "appointment_minutes" // JSON: kind → minutes
	settingReminderHours = "reminder_hours"      // "48,24"
	settingPhone         = "practice_phone"
	settingEmail         = "practice_email"
)

// DefaultReminderHours are how many hours before an appointment its
// reminders go out unless the practice says otherwise (issue 6: 48 and 24).
var DefaultReminderHours = []int{48, 24}

// MaxReminderHours bounds a reminder's lead: two weeks.
const MaxReminderHours = 14 * 24

// PracticeSettings are the settings an administrator edits on the
// practice page. A dosing session's thresholds are the prescriber's
// (Thresholds, SaveThresholds), not here.
type PracticeSettings struct {
	Name          string
	TimeZone      string         // IANA name; staff see times in it
	Minutes       map[string]int // default length of each appointment kind
	ReminderHours []int          // hours before an appointment, largest first; none: no reminders
	Phone         string         // where patients call the practice; "" when not given
	Email         string         // where patients write to the practice; "" when not given
	// The superbill's practice block (issue 21; superbill_identity.go):
	// postal address, tax id (EIN, NN-NNNNNNN) and organization (type 2)
	// NPI; "" when not given.
	Address    clinic.Address
	TaxID, NPI string
}

// Practice reads the practice's settings, with defaults for what is unset.
func (s *Store) Practice(ctx context.Context) (PracticeSettings, error) {
	var ps PracticeSettings
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		ps, err = practiceIn(ctx, tx)
		return err
	})
	return ps, err
}

func practiceIn(ctx context.Context, tx *Tx) (PracticeSettings, error) {
	ps := PracticeSettings{Minutes: map[string]int{}}
	var err error
	if ps.Name, err = settingIn(ctx, tx, settingName, "Your practice"); err != nil {
		return ps, err
	}
	if ps.TimeZone, err = settingIn(ctx, tx, settingZone, ""); err != nil {
		return ps, err
	}
	if ps.Phone, err = settingIn(ctx, tx, settingPhone, ""); err != nil {
		return ps, err
	}
	if ps.Email, err = settingIn(ctx, tx, settingEmail, ""); err != nil {
		return ps, err
	}
	if ps.Minutes, err = appointmentMinutesIn(ctx, tx); err != nil {
		return ps, err
	}
	if ps.ReminderHours, err = reminderHoursIn(ctx, tx); err != nil {
		return ps, err
	}
	return ps, practiceBillingIn(ctx, tx, &ps)
}

// appointmentMinutesIn is the default length of every appointment kind:
// the practice's own where set, else clinic.AppointmentTypes'.
func appointmentMinutesIn(ctx context.Context, tx *Tx) (map[string]int, error) {
	out := map[string]int{}
	for _, t := range clinic.AppointmentTypes {
		out[t.Kind] = t.Minutes
	}
	raw, err := settingIn(ctx, tx, settingMinutes, "")
	if err != nil || raw == "" {
		return out, err
	}
	var set map[string]int
	if json.Unmarshal([]byte(raw), &set) != nil {
		return out, nil // unreadable: the defaults
	}
	for k, v := range set {
		if _, ok := out[k]; ok && v >= clinic.AppointmentMinMinutes && v <= clinic.AppointmentMaxMinutes {
			out[k] = v
		}
	}
	return out, nil
}

// reminderHoursIn is how many hours before an appointment its reminders go
// out, largest first.
func reminderHoursIn(ctx context.Context, tx *Tx) ([]int, error) {
	raw, err := settingIn(ctx, tx, settingReminderHours, "")
	if err != nil {
		return nil, err
	}
	if raw == "" {
		return slices.Clone(DefaultReminderHours), nil
	}
	hours, _ := ParseReminderHours(raw)
	return hours, nil
}

// ParseReminderHours reads "48, 24" (or "none", or nothing) as reminder
// leads in hours, largest first, and says what is wrong otherwise.
func ParseReminderHours(raw string) ([]int, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" || strings.EqualFold(raw, "none") {
		return []int{}, ""
	}
	var out []int
	for f := range strings.FieldsFuncSeq(raw, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		h, err := strconv.Atoi(f)
		if err != nil || h < 1 || h > MaxReminderHours {
			return nil, "Enter hours before the appointment from 1 to " + strconv.Itoa(MaxReminderHours) + ", separated by commas, like 48, 24."
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	if len(out) > 3 {
		return nil, "Send at most three reminders."
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out, ""
}

// FormatReminderHours writes reminder leads as the practice page shows them.
func FormatReminderHours(hours []int) string {
	if len(hours) == 0 {
		return "none"
	}
	parts := make([]string, len(hours))
	for i, h := range hours {
		parts[i] = strconv.Itoa(h)
	}
	return strings.Join(parts, ", ")
}

// CheckPractice says what is wrong with ps, field by field (trimming its
// name, zone, phone and email); empty when it can be saved.
func CheckPractice(ps *PracticeSettings) clinic.FieldErrors {
	ps.Name, ps.TimeZone = strings.TrimSpace(ps.Name), strings.TrimSpace(ps.TimeZone)
	ps.Phone, ps.Email = strings.TrimSpace(ps.Phone), strings.TrimSpace(ps.Email)
	fe := clinic.FieldErrors{}
	if ps.Phone != "" && !phoneLike(ps.Phone) {
		fe.Add("phone", "Enter a phone number, like +1 555 010 2345, or leave it empty.")
	}
	if ps.Email != "" && !mailtoSafe(ps.Email) {
		fe.Add("email", "Enter an email address like office@example.org, or leave it empty.")
	}
	if ps.Name == "" || utf8.RuneCountInString(ps.Name) > 80 || !clinic.SingleLine(ps.Name) {
		fe.Add("name", "Enter the practice's name on one line (at most 80 characters).")
	}
	if _, err := time.LoadLocation(ps.TimeZone); ps.TimeZone == "" || strings.EqualFold(ps.TimeZone, "local") || err != nil {
		fe.Add("time_zone", "Enter a time zone name like America/New_York.")
	}
	for _, t := range clinic.AppointmentTypes {
		if m, ok := ps.Minutes[t.Kind]; !ok || m < clinic.AppointmentMinMinutes || m > clinic.AppointmentMaxMinutes {
			fe.Add("minutes_"+t.Kind, "Enter minutes from 15 to 480.")
		}
	}
	if len(ps.ReminderHours) > 3 {
		fe.Add("reminder_hours", "Send at most three reminders.")
	}
	for _, h := range ps.ReminderHours {
		if h < 1 || h > MaxReminderHours {
			fe.Add("reminder_hours", "Enter hours from 1 to "+strconv.Itoa(MaxReminderHours)+".")
		}
	}
	checkPracticeBilling(ps, fe)
	return fe
}

// SavePractice checks and stores the practice's settings in one
// transaction, for an administrator. Audited, one row per setting.
func (s *Store) SavePractice(ctx context.Context, actor Actor, ps PracticeSettings) error {
	if !actor.may(auth.PermSettings) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if err := CheckPractice(&ps).Err(); err != nil {
		return err
	}
	minutes := map[string]int{}
	for _, t := range clinic.AppointmentTypes {
		minutes[t.Kind] = ps.Minutes[t.Kind]
	}
	mj, _ := json.Marshal(minutes)
	hours := slices.Clone(ps.ReminderHours)
	slices.Sort(hours)
	slices.Reverse(hours)
	values := [][2]string{{settingName, ps.Name}, {settingZone, ps.TimeZone}, {settingMinutes, string(mj)}, {settingReminderHours, FormatReminderHours(hours)},
		{settingPhone, ps.Phone}, {settingEmail, ps.Email}}
	values = append(values, practiceBillingValues(ps)...)
	return s.write(ctx, func(tx *Tx) error {
		for _, kv := range values {
			if err := s.setSettingIn(ctx, tx, actor, kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
}
