package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// The preparation record (issue 7, item 1): intentions, set and setting,
// consent to touch, support person and ride home. The patient fills and
// reviews it in the portal; the care team sees and edits it on the chart.
// Every save is a new version, so the history of consent to touch is kept.

// preparationRoutes are the preparation record's routes.
func (s *Server) preparationRoutes() []route {
	return []route{
		{"GET /portal/preparation", signedIn, patients, s.handlePortalPreparationForm},
		{"POST /portal/preparation", signedIn, patients, s.handlePortalPreparation},
		{"POST /patients/{patient}/preparation", signedIn, clinicians, s.handleChartPreparation},
	}
}

// touchChoice is one consent-to-touch option, explained for the patient
// (in their voice) and for the care team.
type touchChoice struct {
	Value, Title, ForPatient, ForStaff string
}

var touchChoices = []touchChoice{
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

// prepView is one version of the record, as pages show it.
type prepView struct{ store.Preparation }

// TouchTitle names the consent to touch.
func (v prepView) TouchTitle() string { return clinic.TouchTitle(v.Touch) }

// EyeShadesTitle says whether eye shades are wanted.
func (v prepView) EyeShadesTitle() string {
	switch v.EyeShades {
	case "yes":
		return "Yes"
	case "no":
		return "No"
	}
	return ""
}

// touchChange is one step in the history of consent to touch.
type touchChange struct {
	Touch, Detail string
	Kind          string // given, narrowed, widened or changed
	By            string
	Role          clinic.Role
	At            time.Time
}

// Title names the consent to touch after the change.
func (c touchChange) Title() string { return clinic.TouchTitle(c.Touch) }

// touchChanges lists the versions in history (newest first) where consent
// to touch changed, newest first, at most max of them.
func touchChanges(history []store.Preparation, max int) []touchChange {
	var out []touchChange
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
		out = append(out, touchChange{Touch: h.Touch, Detail: h.TouchDetail, Kind: kind, By: h.AuthorName, Role: h.AuthorRole, At: h.At})
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

// prepForm is the preparation form with what it shows: the saved record,
// or what was typed into a form that failed.
type prepForm struct {
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
func (f prepForm) Field(name string) prepField {
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

// preparationFromForm reads the preparation form (portal or chart).
func preparationFromForm(f url.Values) store.Preparation {
	v, _ := strconv.Atoi(f.Get("prep_version"))
	return store.Preparation{
		Version: v, Intentions: f.Get("intentions"), Music: f.Get("music"), Scent: f.Get("scent"), EyeShades: f.Get("eye_shades"),
		Lighting: f.Get("lighting"), Present: f.Get("present"), Touch: f.Get("touch"), TouchDetail: f.Get("touch_detail"),
		SupportName: f.Get("support_name"), SupportPhone: f.Get("support_phone"), RideHome: f.Get("ride_home"),
	}
}

// prepFailure is a preparation form that could not be saved: what was
// typed and why, passed to the page that shows it again.
type prepFailure struct {
	typed    store.Preparation
	errs     map[string]string
	conflict bool
}

type prepFailureKey struct{}

// formFailure returns the field errors of err when the form should be
// shown again with them (invalid input, or a newer version saved
// meanwhile), and whether it was a conflict.
func formFailure(err error) (map[string]string, bool, bool) {
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

// prepSection is the chart's preparation section.
type prepSection struct {
	PatientID    string
	Current      *prepView // nil when nothing is recorded yet
	Form         prepForm
	Failed       bool // the form was just sent and could not be saved
	Saved        bool
	CanEdit      bool // on the care team (emergency access reads only)
	Touches      []touchChoice
	TouchHistory []touchChange
	Versions     int
}

// preparationSection is what the chart's preparation section shows for
// the patient: the current record, who saved it, the history of consent
// to touch, and the form to change it.
func (s *Server) preparationSection(r *http.Request, patientID string) (any, error) {
	ctx := r.Context()
	actor := s.actor(r)
	history, err := s.store.PreparationHistory(ctx, actor, patientID)
	if err != nil {
		return nil, err
	}
	team, err := s.store.CareTeam(ctx, actor, patientID)
	if err != nil {
		return nil, err
	}
	sec := &prepSection{PatientID: patientID, Touches: touchChoices, TouchHistory: touchChanges(history, 10), Versions: len(history),
		Form: prepForm{Staff: true, Prefix: "prep-"}}
	for _, m := range team {
		sec.CanEdit = sec.CanEdit || m.User.ID == actor.UserID
	}
	if len(history) > 0 {
		sec.Current = &prepView{history[0]}
		sec.Form.Values = history[0]
	}
	if f, ok := ctx.Value(prepFailureKey{}).(*prepFailure); ok {
		sec.Form.Values, sec.Form.Errors, sec.Failed = f.typed, f.errs, true
		if f.conflict {
			// Saving again keeps what this person typed, knowingly, over
			// the newer version shown above it.
			sec.Form.Values.Version = 0
			if sec.Current != nil {
				sec.Form.Values.Version = sec.Current.Version
			}
		}
	} else {
		sec.Saved = r.URL.Query().Get("done") == "preparation"
	}
	return sec, nil
}

// handleChartPreparation saves the care team's edit of the record. A form
// that cannot be saved is shown again on the chart, as typed, with the
// reasons at the fields (422).
func (s *Server) handleChartPreparation(w http.ResponseWriter, r *http.Request) {
	p := preparationFromForm(r.PostForm)
	err := s.store.SavePreparation(r.Context(), s.actor(r), r.PathValue("patient"), p)
	if errs, conflict, ok := formFailure(err); ok {
		r = r.WithContext(context.WithValue(r.Context(), prepFailureKey{}, &prepFailure{typed: p, errs: errs, conflict: conflict}))
		s.patientPage(w, r, patientData{}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/patients/"+r.PathValue("patient")+"?done=preparation#preparation", http.StatusSeeOther)
}

// portalPrepData is the portal's preparation page.
type portalPrepData struct {
	Current *prepView
	Form    prepForm
	Saved   bool
	Touches []touchChoice
	Zone    string
}

// handlePortalPreparationForm shows the patient their preparation record
// to fill in or review.
func (s *Server) handlePortalPreparationForm(w http.ResponseWriter, r *http.Request) {
	s.portalPreparationPage(w, r, nil, http.StatusOK)
}

// handlePortalPreparation saves the patient's record as a new version.
func (s *Server) handlePortalPreparation(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	own, err := s.store.FindOwnPatient(ctx, s.actor(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	p := preparationFromForm(r.PostForm)
	err = s.store.SavePreparation(ctx, s.actor(r), own.ID, p)
	if errs, conflict, ok := formFailure(err); ok {
		s.portalPreparationPage(w, r, &prepFailure{typed: p, errs: errs, conflict: conflict}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/portal/preparation?saved=1", http.StatusSeeOther)
}

func (s *Server) portalPreparationPage(w http.ResponseWriter, r *http.Request, failed *prepFailure, status int) {
	ctx := r.Context()
	own, err := s.store.FindOwnPatient(ctx, s.actor(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	cur, err := s.store.Preparation(ctx, s.actor(r), own.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	_, zone := s.patientZone(r, own)
	d := portalPrepData{Touches: touchChoices, Zone: zone}
	if cur != nil {
		d.Current = &prepView{*cur}
		d.Form.Values = *cur
	} else {
		// A first record starts from the support person in their details.
		d.Form.Values.SupportName, d.Form.Values.SupportPhone = own.SupportName, own.SupportPhone
	}
	switch {
	case failed != nil:
		d.Form.Values, d.Form.Errors = failed.typed, failed.errs
		if failed.conflict {
			d.Form.Values.Version = 0
			if cur != nil {
				d.Form.Values.Version = cur.Version
			}
		}
	default:
		d.Saved = r.URL.Query().Get("saved") == "1"
	}
	s.render(w, r, status, "portal_preparation", "Preparing for your sessions", d)
}
