// Package billing is the face of fees and payments (issue 21): the
// practice's fee schedule, sliding-scale tiers, packages and charge policy
// (administrators: auth.PermFees), and a patient's ledger, where payments,
// credit, refunds, write-offs, charge corrections, packages and the
// patient's tier are recorded (reading: auth.PermBillingRead; acting:
// auth.PermBilling). Amounts are typed as people type them ("150",
// "$1,250.50") and read by billing.ParseAmount, never through a float;
// the rules and the access are the store's and the policy's.
package billing

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers answers the fee and ledger routes.
type Handlers struct {
	*shell.App
}

// New returns the face's handlers over the shared state.
func New(app *shell.App) *Handlers { return &Handlers{App: app} }

// money is the template helpers shared by the face's pages.
type money struct{}

// Money shows cents in the practice's currency: "$1,250.50".
func (money) Money(cents int64) string { return billing.Format(cents, billing.DefaultCurrency) }

// Plain shows cents as a form's value: "1250.50".
func (money) Plain(cents int64) string { return billing.FormatPlain(cents) }

// Kinds are the appointment kinds a fee or package is for.
func (money) Kinds() []clinic.AppointmentType { return clinic.AppointmentTypes }

// KindTitle is an appointment kind's name for people.
func (money) KindTitle(kind string) string { return clinic.AppointmentTitle(kind) }

type feesPage struct {
	money
	Fees       []store.FeeEntry
	Tiers      []store.Tier
	Packages   []store.Package
	Policy     billing.Policy
	Clinicians []*clinic.User
	formState  // the form posted: "fee", "tier", "package" or "policy"
	Notice     string
	Confirm    *confirmRemove // a removal asked for without its confirmation
}

// confirmRemove is the step that asks before a fee, tier or package is
// removed, when a removal was posted without its confirmation (the page's
// own Remove buttons carry it, behind a "Remove" disclosure).
type confirmRemove struct {
	Action, Question, Back string
}

// removeWords are what the page asks before removing each kind of entry.
var removeWords = map[string]string{
	"fee":     "Remove this fee from the schedule? Sessions of its kind are then not charged from it until a fee is set again; past charges keep their amounts.",
	"tier":    "Remove this tier? Patients on it pay the full fee for sessions from now on.",
	"package": "Remove this package? It is no longer sold; packages already sold keep their sessions.",
}

var feeNotices = map[string]string{
	"fee":              "Fee saved. Sessions from now on are charged at it; past charges keep their amounts.",
	"fee-archived":     "Fee removed from the schedule. Sessions of that kind are no longer charged from it.",
	"tier":             "Tier added.",
	"tier-archived":    "Tier removed. Patients on it pay the full fee for sessions from now on.",
	"package":          "Package added.",
	"package-archived": "Package removed: it is no longer sold. Packages already sold keep their sessions.",
	"policy":           "Charge policy saved. It applies to cancellations and missed appointments from now on.",
}

// Fees is GET /admin/fees.
func (s *Handlers) Fees(w http.ResponseWriter, r *http.Request) {
	d := feesPage{Notice: feeNotices[r.URL.Query().Get("done")]}
	s.feesPage(w, r, http.StatusOK, d)
}

func (s *Handlers) feesPage(w http.ResponseWriter, r *http.Request, status int, d feesPage) {
	ctx, actor := r.Context(), s.Actor(r)
	var err error
	if d.Fees, err = s.Store.FeeSchedule(ctx, actor); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Tiers, err = s.Store.SlidingTiers(ctx, actor); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Packages, err = s.Store.Packages(ctx, actor); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Policy, err = s.Store.ChargePolicy(ctx, actor); err != nil {
		s.Error(w, r, err)
		return
	}
	for _, role := range []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber} {
		list, err := s.Store.ListStaff(ctx, role)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		d.Clinicians = append(d.Clinicians, list...)
	}
	s.Render(w, r, status, "fees_admin", "Fees", d)
}

// feeSections are the page's sections, by their form.
var feeSections = map[string]string{"fee": "fees", "tier": "tiers", "package": "packages", "policy": "policy"}

// feesDone answers a fee form: back to the page with the field errors and
// what was typed, or on to it with the notice.
func (s *Handlers) feesDone(w http.ResponseWriter, r *http.Request, form, done string, err error) {
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		fields := e.Fields
		if len(fields) == 0 {
			fields = map[string]string{"form": e.Message}
		}
		s.feesPage(w, r, http.StatusUnprocessableEntity, feesPage{formState: formState{Form: r.PostForm, Errors: fields, Posted: form}})
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/admin/fees?done="+done, feeSections[form])
}

// amountField reads field as an amount, its refusal into fe and -1 (which
// every store function refuses, so the form's other fields are checked
// too); optional amounts (zero allowed) read "" as 0.
func amountField(fe clinic.FieldErrors, form url.Values, field string, zeroOK bool) int64 {
	v := strings.TrimSpace(form.Get(field))
	if v == "" && zeroOK {
		return 0
	}
	c, err := billing.ParseAmount(v)
	if err != nil {
		fe.Add(field, err.Error())
		return -1
	}
	return c
}

// merged is the store's answer err with the form's own field errors fe
// (which win at their field): a refusal other than of the fields is
// answered as it is.
func merged(fe clinic.FieldErrors, err error) error {
	if len(fe) == 0 {
		return err
	}
	if e, ok := err.(*clinic.Error); err != nil && !(ok && e.Code == clinic.EInvalid) {
		return err
	} else if ok {
		for k, v := range e.Fields {
			if _, dup := fe[k]; !dup {
				fe[k] = v
			}
		}
	}
	return fe.Err()
}

// FeeSave is POST /admin/fees/schedule: adds a fee, replacing the present
// one of the same kind and clinician.
func (s *Handlers) FeeSave(w http.ResponseWriter, r *http.Request) {
	fe := clinic.FieldErrors{}
	f := store.FeeEntry{Kind: r.PostFormValue("kind"), ClinicianID: r.PostFormValue("clinician"), Code: r.PostFormValue("code"),
		AddOnCode: r.PostFormValue("add_on_code"), Description: r.PostFormValue("description")}
	f.Cents = amountField(fe, r.PostForm, "amount", false)
	s.feesDone(w, r, "fee", "fee", merged(fe, s.Store.SetFee(r.Context(), s.Actor(r), &f)))
}

// confirmed reports whether a removal was confirmed (confirm=yes); if
// not, it answers with the page asking for the confirmation, and removes
// nothing.
func (s *Handlers) confirmed(w http.ResponseWriter, r *http.Request, form string) bool {
	if r.PostFormValue("confirm") == "yes" {
		return true
	}
	s.feesPage(w, r, http.StatusOK, feesPage{Confirm: &confirmRemove{Action: r.URL.Path, Question: removeWords[form], Back: "/admin/fees#" + feeSections[form]}})
	return false
}

// removed is a removal's answer in the page's one word for it: an entry
// not found "may have been removed already".
func removed(err error) error {
	if clinic.ErrorCode(err) == clinic.ENotFound {
		return clinic.Errorf(clinic.ENotFound, "We could not find that entry; it may have been removed already.")
	}
	return err
}

// FeeArchive is POST /admin/fees/schedule/{fee}/archive: removes the fee
// from the schedule, once confirmed.
func (s *Handlers) FeeArchive(w http.ResponseWriter, r *http.Request) {
	if s.confirmed(w, r, "fee") {
		s.feesDone(w, r, "fee", "fee-archived", removed(s.Store.ArchiveFee(r.Context(), s.Actor(r), r.PathValue("fee"))))
	}
}

// TierAdd is POST /admin/fees/tiers.
func (s *Handlers) TierAdd(w http.ResponseWriter, r *http.Request) {
	t := store.Tier{Name: r.PostFormValue("name")}
	p, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(r.PostFormValue("percent")), "%")))
	if err != nil {
		s.feesDone(w, r, "tier", "", clinic.FieldErrors{"percent": "Enter the percentage of the fee the patient pays, from 1 to 99, like 75."}.Err())
		return
	}
	t.Percent = p
	s.feesDone(w, r, "tier", "tier", s.Store.AddTier(r.Context(), s.Actor(r), &t))
}

// TierArchive is POST /admin/fees/tiers/{tier}/archive: removes the
// tier, once confirmed.
func (s *Handlers) TierArchive(w http.ResponseWriter, r *http.Request) {
	if s.confirmed(w, r, "tier") {
		s.feesDone(w, r, "tier", "tier-archived", removed(s.Store.ArchiveTier(r.Context(), s.Actor(r), r.PathValue("tier"))))
	}
}

// PackageAdd is POST /admin/fees/packages.
func (s *Handlers) PackageAdd(w http.ResponseWriter, r *http.Request) {
	fe := clinic.FieldErrors{}
	p := store.Package{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Code: r.PostFormValue("code")}
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("sessions")))
	if err != nil {
		fe.Add("sessions", "Enter how many sessions, from 1 to 100.")
		n = -1
	}
	p.Sessions = n
	p.Cents = amountField(fe, r.PostForm, "price", false)
	s.feesDone(w, r, "package", "package", merged(fe, s.Store.AddPackage(r.Context(), s.Actor(r), &p)))
}

// PackageArchive is POST /admin/fees/packages/{package}/archive: stops
// selling the package, once confirmed.
func (s *Handlers) PackageArchive(w http.ResponseWriter, r *http.Request) {
	if s.confirmed(w, r, "package") {
		s.feesDone(w, r, "package", "package-archived", removed(s.Store.ArchivePackage(r.Context(), s.Actor(r), r.PathValue("package"))))
	}
}

// PolicySave is POST /admin/fees/policy.
func (s *Handlers) PolicySave(w http.ResponseWriter, r *http.Request) {
	fe := clinic.FieldErrors{}
	var pol billing.Policy
	h, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("late_cancel_hours")))
	if err != nil {
		fe.Add("late_cancel_hours", "Enter the hours before the start, from 1 to 168 (a week).")
		h = -1
	}
	pol.LateCancelHours = h
	pol.LateCancelCents = amountField(fe, r.PostForm, "late_cancel_fee", true)
	pol.NoShowCents = amountField(fe, r.PostForm, "no_show_fee", true)
	s.feesDone(w, r, "policy", "policy", merged(fe, s.Store.SetChargePolicy(r.Context(), s.Actor(r), pol)))
}

// fieldView is one labelled input of a form, for the billing-field
// partial: its id is unique on the page (two forms may share a name).
type fieldView struct {
	ID, Name, Label, Hint, Value, Error, Type, Mode string
}

// formState is what a page knows of the form posted: shared by the pages.
type formState struct {
	Form   url.Values
	Errors map[string]string
	Posted string
}

// Field is input name of form (element id), with what was typed when form
// was posted (else def) and its error. kind is "amount", "number",
// "date" or "" (text).
func (f formState) Field(form, name, id, label, hint, def, kind string) fieldView {
	v := fieldView{ID: id, Name: name, Label: label, Hint: hint, Value: def, Type: "text"}
	if f.Posted == form {
		if f.Form != nil {
			v.Value = f.Form.Get(name)
		}
		v.Error = f.Errors[name]
	}
	switch kind {
	case "amount":
		v.Mode = "decimal"
	case "number":
		v.Mode = "numeric"
	case "date":
		v.Type = "date"
	}
	return v
}

// Err is the error of field when form was posted.
func (f formState) Err(form, field string) string {
	if f.Posted != form {
		return ""
	}
	return f.Errors[field]
}

// Value is what the posted form held for field, else def.
func (f formState) Value(form, field, def string) string {
	if f.Posted == form && f.Form != nil {
		return f.Form.Get(field)
	}
	return def
}

// Checked reports whether the posted form chose value for field.
func (f formState) Checked(form, field, value string) bool {
	if f.Posted != form || f.Form == nil {
		return false
	}
	for _, v := range f.Form[field] {
		if v == value {
			return true
		}
	}
	return false
}
