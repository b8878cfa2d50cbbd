// Package remsform serves the Spravato REMS patient monitoring form of a
// dosing session (issue 20, part 3): the form filled from the session's
// record, the prescriber's answers and signature, the record that the
// practice submitted it (outside kapstone: kapstone never sends it), its
// PDF, and the list of forms not yet submitted within the 7-day window.
// Rules in internal/rems; access the policy's, checked again by the store.
package remsform

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/pdfdoc"
	"github.com/kapstone/kapstone/internal/rems"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers answers the form's routes.
type Handlers struct {
	*shell.App
}

// New returns the form's handlers over the shared state.
func New(app *shell.App) *Handlers { return &Handlers{App: app} }

type formPage struct {
	Forms   []store.REMSForm // newest version first
	Session *store.DosingSession
	Base    string // the session page's path
	Edit    bool   // the reader is a prescriber
	Errors  map[string]string
	Notice  string
	Loc     *time.Location
	Now     time.Time
}

// Current is the newest version.
func (p formPage) Current() store.REMSForm { return p.Forms[0] }

// Minutes is the form's total monitoring minutes.
func (formPage) Minutes(f store.REMSForm) int { return rems.TotalMinutes(f.Fields.Start, f.Fields.End) }

// Window words the 7-day window.
func (p formPage) Window(f store.REMSForm) string { return rems.Window(f.DoseAt, p.Now) }

// Local writes t for a datetime-local field.
func (p formPage) Local(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.Loc).Format("2006-01-02T15:04")
}

// When writes t for reading.
func (p formPage) When(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(p.Loc).Format("2006-01-02 15:04")
}

// Missing is what the newest version still needs before it can be signed.
func (p formPage) Missing() map[string]string {
	return p.Forms[0].Missing()
}

// NoForm says why a session has none.
func (formPage) NoForm() string { return store.NoREMSForm }

func (s *Handlers) base(r *http.Request) string {
	return "/patients/" + r.PathValue("patient") + "/dosing/" + r.PathValue("session")
}

// Form is GET /patients/{patient}/dosing/{session}/rems.
// One read transaction and one audit row for the page (store.View).
func (s *Handlers) Form(w http.ResponseWriter, r *http.Request) {
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "rems.read")
	if !ok {
		return
	}
	defer view.Close()
	s.page(w, r, view, http.StatusOK, nil)
}

// page renders the form, in view when there is one.
func (s *Handlers) page(w http.ResponseWriter, r *http.Request, view *store.View, status int, errs map[string]string) {
	ctx, actor := r.Context(), s.Actor(r)
	forms, d, err := s.Store.REMSFormFor(ctx, actor, r.PathValue("patient"), r.PathValue("session"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	loc, _ := s.PracticeZone(r)
	p := formPage{Forms: forms, Session: d, Base: s.base(r), Edit: auth.CanSome(actor.Role, auth.PermPrescriberCall), Errors: errs, Loc: loc, Now: s.Now()}
	if errs == nil {
		p.Notice = map[string]string{"save": "Saved.", "refresh": "Filled again from the session's record.", "sign": "Signed.",
			"submitted": "Submission recorded.", "correct": "A new version was started; the signed one is kept."}[r.URL.Query().Get("done")]
	}
	s.RenderView(w, r, view, status, "rems", "REMS monitoring form", p)
}

func (s *Handlers) done(w http.ResponseWriter, r *http.Request, what string, err error) {
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		fields := e.Fields
		if len(fields) == 0 {
			fields = map[string]string{"form": e.Message}
		}
		s.page(w, r, nil, http.StatusUnprocessableEntity, fields)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, s.base(r)+"/rems?done="+what, http.StatusSeeOther)
}

// Save is POST …/rems: the prescriber's answers.
func (s *Handlers) Save(w http.ResponseWriter, r *http.Request) {
	loc, _ := s.PracticeZone(r)
	f := r.PostForm
	c := store.REMSConfirm{Sedation: f.Get(rems.FSedation), SedationGone: f.Get(rems.FSedationGone), Dissociation: f.Get(rems.FDiss),
		DissociationGone: f.Get(rems.FDissGone), RespDepression: f.Get(rems.FResp), RespGone: f.Get(rems.FRespGone), SpO2: f.Get(rems.FSpO2),
		SAE: f.Get(rems.FSAE), SAEText: f.Get(rems.FSAEText)}
	if v := f.Get(rems.FReady); v != "" {
		t, ok := shell.ParseLocal(v, loc)
		if !ok {
			s.done(w, r, "save", clinic.FieldErrors{rems.FReady: "Enter a date and time, like 2026-12-03 11:30."}.Err())
			return
		}
		c.ReadyAt = t
	}
	_, err := s.Store.SaveREMSForm(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"), c)
	s.done(w, r, "save", err)
}

// Refresh is POST …/rems/refresh.
func (s *Handlers) Refresh(w http.ResponseWriter, r *http.Request) {
	s.done(w, r, "refresh", s.Store.RefreshREMSForm(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session")))
}

// Sign is POST …/rems/sign.
func (s *Handlers) Sign(w http.ResponseWriter, r *http.Request) {
	s.done(w, r, "sign", s.Store.SignREMSForm(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session")))
}

// Correct is POST …/rems/correct.
func (s *Handlers) Correct(w http.ResponseWriter, r *http.Request) {
	s.done(w, r, "correct", s.Store.CorrectREMSForm(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session")))
}

// Submitted is POST …/rems/submitted: the practice submitted it (portal or
// fax), when.
func (s *Handlers) Submitted(w http.ResponseWriter, r *http.Request) {
	loc, _ := s.PracticeZone(r)
	var at time.Time
	if v := r.PostFormValue("submitted_at"); v != "" {
		t, ok := shell.ParseLocal(v, loc)
		if !ok {
			s.done(w, r, "submitted", clinic.FieldErrors{"submitted_at": "Enter a date and time, like 2026-12-03 11:30."}.Err())
			return
		}
		at = t
	}
	s.done(w, r, "submitted", s.Store.MarkREMSSubmitted(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"), r.PostFormValue("how"), at))
}

func yesNo(v string) string {
	switch v {
	case rems.Yes:
		return "Yes"
	case rems.No:
		return "No"
	}
	return "Not answered"
}

// PDFFields are the form's fields as the PDF and the page list them.
func PDFFields(f store.REMSForm, loc *time.Location) []pdfdoc.Field {
	x := f.Fields
	when := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	dose := "—"
	if x.DoseMg > 0 {
		dose = strconv.Itoa(x.DoseMg) + " mg"
		if x.DoseMg != 56 && x.DoseMg != 84 {
			dose += " (other)"
		}
	}
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	resolved := func(v, g string) string {
		if v == rems.Yes {
			return yesNo(v) + "; resolved: " + yesNo(g)
		}
		return yesNo(v)
	}
	mins := rems.TotalMinutes(x.Start, x.End)
	minutes := strconv.Itoa(mins) + " minutes"
	if !rems.LongEnough(mins) {
		minutes += " (under the REMS minimum of 120)"
	}
	sae := yesNo(x.SAE)
	if x.SAE == rems.Yes {
		sae += ": " + x.SAEText
	}
	spo2 := "—"
	if x.SpO2 != "" {
		spo2 = x.SpO2 + "% (lowest after the dose)"
	}
	return []pdfdoc.Field{
		{Label: "Date of session", Value: f.DoseAt.In(loc).Format("2006-01-02")},
		{Label: "Dose", Value: dose}, {Label: "Lot", Value: dash(x.Lot)},
		{Label: "Monitoring clinician", Value: dash(x.Clinician)},
		{Label: "Monitoring start (first device)", Value: when(x.Start)}, {Label: "Monitoring end", Value: when(x.End)},
		{Label: "Total monitoring time", Value: minutes},
		{Label: "Ready to leave", Value: when(x.ReadyAt)},
		{Label: "BP before the dose", Value: dash(x.BPBefore)}, {Label: "BP about 40 minutes after", Value: dash(x.BPForty)},
		{Label: "BP before discharge", Value: dash(x.BPDischarge)},
		{Label: "Sedation", Value: resolved(x.Sedation, x.SedationGone)},
		{Label: "Dissociation", Value: resolved(x.Dissociation, x.DissociationGone)},
		{Label: "Respiratory depression", Value: resolved(x.RespDepression, x.RespGone)},
		{Label: "Pulse oximetry (SpO₂)", Value: spo2},
		{Label: "Serious adverse event", Value: sae},
	}
}

// PDF is GET …/rems.pdf: the newest version as a PDF.
func (s *Handlers) PDF(w http.ResponseWriter, r *http.Request) {
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "rems.read")
	if !ok {
		return
	}
	defer view.Close()
	ctx, actor := r.Context(), s.Actor(r)
	forms, _, err := s.Store.REMSFormFor(ctx, actor, r.PathValue("patient"), r.PathValue("session"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if len(forms) == 0 { // no form: the page says why
		s.page(w, r, view, http.StatusOK, nil)
		return
	}
	loc, _ := s.PracticeZone(r)
	f := forms[0]
	status := "Draft, not signed"
	if f.Signed() {
		status = "Signed by " + f.SignedBy + " on " + f.SignedAt.In(loc).Format("2006-01-02 15:04")
	}
	sub := "Not yet recorded as submitted (" + rems.Window(f.DoseAt, s.Now()) + ")"
	if f.SubmittedAt != nil {
		sub = "Submitted by the practice (" + map[string]string{store.RemsPortal: "REMS portal", store.RemsFax: "fax"}[f.SubmittedHow] + ") on " + f.SubmittedAt.In(loc).Format("2006-01-02 15:04") + ", recorded by " + f.SubmittedBy
	}
	blocks := []pdfdoc.Block{
		pdfdoc.Paragraph{Text: "The fields of the Spravato REMS Patient Monitoring Form, filled from the dosing session's record in kapstone and confirmed by the prescriber. The practice submits the form on the REMS portal or by fax within 7 days of the session; kapstone does not send it.", Small: true},
		pdfdoc.Fields{Rows: PDFFields(f, loc)},
	}
	pdf, err := pdfdoc.Render(pdfdoc.Document{Title: "REMS patient monitoring form",
		Meta:   []pdfdoc.Field{{Label: "Patient", Value: f.PatientName}, {Label: "Version", Value: strconv.Itoa(f.Version)}, {Label: "Status", Value: status}, {Label: "Submission", Value: sub}},
		Blocks: blocks, GeneratedAt: s.Now(), Zone: loc})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := view.Finish(ctx); err != nil { // the read's audit row committed before anything is sent
		s.Error(w, r.WithContext(context.WithoutCancel(ctx)), err)
		return
	}
	shell.SendAttachment(w, "application/pdf", "rems-form-"+f.DoseAt.In(loc).Format("2006-01-02")+".pdf", pdf)
}

type listPage struct {
	Forms *store.Page[store.REMSForm]
	Loc   *time.Location
	Now   time.Time
}

// Window words a form's 7-day window.
func (p listPage) Window(f store.REMSForm) string { return rems.Window(f.DoseAt, p.Now) }

// Overdue reports whether the window has passed.
func (p listPage) Overdue(f store.REMSForm) bool { return rems.Overdue(f.DoseAt, p.Now) }

// List is GET /rems: the forms not yet submitted, overdue first.
func (s *Handlers) List(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err := s.Store.REMSUnsubmitted(r.Context(), s.Actor(r), store.PageKey{After: q.Get("after"), Before: q.Get("before"), Limit: 25})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	loc, _ := s.PracticeZone(r)
	s.Render(w, r, http.StatusOK, "rems_list", "REMS forms not yet submitted", listPage{Forms: page, Loc: loc, Now: s.Now()})
}
