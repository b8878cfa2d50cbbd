package shell

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// TouchChoice is one consent-to-touch option, explained for the patient
// (in their voice) and for the care team.
type TouchChoice struct {
	Value, Title, ForPatient, ForStaff string
}

// TouchChoices are the consent-to-touch answers the preparation form offers.
var TouchChoices = []TouchChoice{
	{clinic.TouchNone, clinic.TouchTitle(clinic.TouchNone),
		"No one touches you during the session.",
		"No touch at all."},
	{clinic.TouchSafety, clinic.TouchTitle(clinic.TouchSafety),
		"Only to keep you safe: for example, steadying you if you stand up, or helping you to the bathroom.",
		"Only to keep the patient physically safe (steadying, helping them move)."},
	{clinic.TouchTherapeutic, clinic.TouchTitle(clinic.TouchTherapeutic),
		"Supportive touch from your therapist that you agree now, such as holding your hand. Say exactly what kind of touch, and where.",
		"Therapeutic touch of the kind and place written below, and no other."},
}

// PrepView is one version of the record, as pages show it.
type PrepView struct{ store.Preparation }

// TouchTitle names the consent to touch.
func (v PrepView) TouchTitle() string { return clinic.TouchTitle(v.Touch) }

// EyeShadesTitle says whether eye shades are wanted.
func (v PrepView) EyeShadesTitle() string {
	switch v.EyeShades {
	case "yes":
		return "Yes"
	case "no":
		return "No"
	}
	return ""
}

// TouchChange is one step in the history of consent to touch.
type TouchChange struct {
	Touch, Detail string
	Kind          string // given, narrowed, widened or changed
	By            string
	Role          clinic.Role
	At            time.Time
}

// Title names the consent to touch after the change.
func (c TouchChange) Title() string { return clinic.TouchTitle(c.Touch) }

// TouchChanges lists the versions in history (newest first) where consent
// to touch changed, newest first, at most max of them.
func TouchChanges(history []store.Preparation, max int) []TouchChange {
	var out []TouchChange
	prevTouch, prevDetail := "", ""
	for i := len(history) - 1; i >= 0; i-- {
		h := history[i]
		if h.Touch == prevTouch && h.TouchDetail == prevDetail {
			continue
		}
		kind := "changed"
		switch {
		case prevTouch == "":
			kind = "given"
		case clinic.TouchWidens(prevTouch, h.Touch):
			kind = "widened"
		case clinic.TouchWidens(h.Touch, prevTouch):
			kind = "narrowed"
		}
		out = append(out, TouchChange{Touch: h.Touch, Detail: h.TouchDetail, Kind: kind, By: h.AuthorName, Role: h.AuthorRole, At: h.At})
		prevTouch, prevDetail = h.Touch, h.TouchDetail
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// PrepForm is the preparation form with what it shows: the saved record,
// or what was typed into a form that failed.
type PrepForm struct {
	Values store.Preparation
	Errors map[string]string
	Staff  bool   // the care team's wording, not the patient's
	Prefix string // of element ids, unique on the page
}

// prepField is one text field of the form.
type prepField struct {
	ID, Name, Label, Hint, Value, Error, Mode string
	Max                                       int
	Multiline                                 bool
}

// DescribedBy lists the ids of the field's hint and error, for aria-describedby.
func (f prepField) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// prepFieldText is each text field's label and hint, for the patient and
// for the care team.
var prepFieldText = map[string]struct{ label, hint, staffLabel, staffHint string }{
	"intentions": {"Your intentions, in your own words", "What you would like to explore, feel or understand. There are no right answers, and it can change.",
		"Intentions", "In the patient's words."},
	"music":    {"Music", "A playlist, a kind of music, or silence.", "Music or playlist", ""},
	"scent":    {"Scent", "A scent you find calming, or none at all.", "Scent", ""},
	"lighting": {"Lighting", "For example: dim, dark, or daylight.", "Lighting", ""},
	"present": {"Who you would like in the room", "Your therapist stays with you throughout. Anyone else is there only if you agree.",
		"Who is present", "Anyone besides the therapist only with the patient's agreement."},
	"touch_detail": {"What kind of touch, and where", "For example: holding my hand; a hand on my shoulder. Only what you write here is agreed.",
		"Kind of touch, and where", "Needed for agreed therapeutic touch; only what is written here is agreed."},
	"support_name":  {"Your support person", "Someone who collects you and can stay with you for the rest of the day.", "Support person", ""},
	"support_phone": {"Their phone number", "", "Support person's phone", ""},
	"ride_home": {"How you will get home", "Who will drive you? Please do not drive yourself until the next day.",
		"Ride home", "Who drives: the patient must not drive until the next day."},
}

// Field describes the text field name.
func (f PrepForm) Field(name string) prepField {
	t := prepFieldText[name]
	fd := prepField{ID: f.Prefix + strings.ReplaceAll(name, "_", "-"), Name: name, Label: t.label, Hint: t.hint, Error: f.Errors[name], Max: store.PreparationFieldMax}
	if f.Staff {
		fd.Label, fd.Hint = t.staffLabel, t.staffHint
	}
	v := f.Values
	fd.Value = map[string]string{"intentions": v.Intentions, "music": v.Music, "scent": v.Scent, "lighting": v.Lighting, "present": v.Present,
		"touch_detail": v.TouchDetail, "support_name": v.SupportName, "support_phone": v.SupportPhone, "ride_home": v.RideHome}[name]
	switch name {
	case "intentions":
		fd.Max, fd.Multiline = store.PreparationIntentionsMax, true
	case "touch_detail":
		fd.Max, fd.Multiline = store.PreparationTouchDetailMax, true
	case "support_phone":
		fd.Mode = "tel"
	}
	return fd
}

// PreparationFromForm reads the preparation form (portal or chart).
func PreparationFromForm(f url.Values) store.Preparation {
	v, _ := strconv.Atoi(f.Get("prep_version"))
	return store.Preparation{
		Version: v, Intentions: f.Get("intentions"), Music: f.Get("music"), Scent: f.Get("scent"), EyeShades: f.Get("eye_shades"),
		Lighting: f.Get("lighting"), Present: f.Get("present"), Touch: f.Get("touch"), TouchDetail: f.Get("touch_detail"),
		SupportName: f.Get("support_name"), SupportPhone: f.Get("support_phone"), RideHome: f.Get("ride_home"),
	}
}

// PrepFailure is a preparation form that could not be saved: what was
// typed and why, passed to the page that shows it again.
type PrepFailure struct {
	Typed    store.Preparation
	Errs     map[string]string
	Conflict bool
}

// FormFailure returns the field errors of err when the form should be
// shown again with them (invalid input, or a newer version saved
// meanwhile), and whether it was a conflict.
func FormFailure(err error) (map[string]string, bool, bool) {
	var e *clinic.Error
	if !errors.As(err, &e) || (e.Code != clinic.EInvalid && e.Code != clinic.EConflict) {
		return nil, false, false
	}
	fields := e.Fields
	if len(fields) == 0 {
		fields = map[string]string{"preparation": e.Message}
	}
	return fields, e.Code == clinic.EConflict, true
}
