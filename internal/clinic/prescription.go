package clinic

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Routes of administration a prescription may name (PRODUCT.md, issue 7).
const (
	RouteSublingual    = "sublingual"
	RouteIntramuscular = "intramuscular"
	RouteIntravenous   = "intravenous"
	RouteIntranasal    = "intranasal"
	RouteOral          = "oral"
)

// Route is a route of administration with its name for people.
type Route struct {
	Value string // stored value
	Title string
}

// Routes lists the routes in the order the prescription form offers them.
var Routes = []Route{
	{RouteSublingual, "Sublingual lozenge / troche"},
	{RouteIntramuscular, "Intramuscular"},
	{RouteIntravenous, "Intravenous"},
	{RouteIntranasal, "Intranasal"},
	{RouteOral, "Oral"},
}

// RouteTitle is a route's name for people ("" for an unknown route).
func RouteTitle(route string) string {
	for _, r := range Routes {
		if r.Value == route {
			return r.Title
		}
	}
	return ""
}

// DefaultDrug is what the prescription form offers as the drug.
const DefaultDrug = "ketamine (racemic)"

// Limits of the prescription record's fields.
const (
	MaxDrugLen            = 100
	MaxStrengthLen        = 100
	MaxDoseLen            = 100
	MaxPrescriptionReason = 2000
	MinSessionsAuthorised = 1
	MaxSessionsAuthorised = 24
)

// DoseNote says whose decision a dose is. kapstone neither suggests nor
// checks doses: the doses reported for KAP are reports, not
// recommendations.
var DoseNote = struct{ Text, Source string }{
	Text: "The drug, route, dose and number of sessions are the prescriber's decision. kapstone does not suggest or check doses: " +
		"the doses reported for ketamine-assisted psychotherapy vary widely by route and are reports, not recommendations " +
		"(intramuscular KAP doses are unconfirmed in the sources).",
	// Where: the clinical reference notes (REFERENCE.md section 3).
	Source: "doses reported by KAP practices such as Journey Clinical, and in published case series: reports, not recommendations",
}

// PrescriptionInput is what a prescriber types to record a prescription.
type PrescriptionInput struct {
	Drug               string
	Route              string
	Strength           string // e.g. "100 mg RDT"
	Dose               string // per session, e.g. "200 mg" or "0.5 mg/kg"
	SessionsAuthorised int
}

// Validate trims the input and checks it, returning field errors keyed
// drug, route, strength, dose and sessions_authorised. Doses are not
// compared with any reported range.
func (in *PrescriptionInput) Validate() error {
	fe := FieldErrors{}
	in.Drug = strings.TrimSpace(in.Drug)
	in.Strength = strings.TrimSpace(in.Strength)
	in.Dose = strings.TrimSpace(in.Dose)
	checkLine(fe, "drug", in.Drug, MaxDrugLen, "Enter the drug, like "+DefaultDrug+".")
	if RouteTitle(in.Route) == "" {
		fe.Add("route", "Choose the route.")
	}
	checkLine(fe, "strength", in.Strength, MaxStrengthLen, "Enter the strength, like 100 mg RDT.")
	if msg := CheckDose(in.Dose); msg != "" {
		fe.Add("dose", msg)
	}
	if in.SessionsAuthorised < MinSessionsAuthorised || in.SessionsAuthorised > MaxSessionsAuthorised {
		fe.Add("sessions_authorised", "Enter how many sessions are authorised, from 1 to 24.")
	}
	return fe.Err()
}

// CheckDose returns what is wrong with a dose per session as typed, or ""
// when it will do: one amount and its unit, read by ParseDose (the parser
// the dose given is read with), so the dose given can be compared with it
// (DoseDifference). Doses recorded before this check stay readable as
// written; they are only refused when typed again.
func CheckDose(dose string) string {
	fe := FieldErrors{}
	checkLine(fe, "dose", strings.TrimSpace(dose), MaxDoseLen, "Enter the dose per session, like 200 mg or 0.5 mg/kg.")
	if fe["dose"] != "" {
		return fe["dose"]
	}
	if _, ok := ParseDose(dose, ""); !ok {
		return "Enter the dose per session as one amount and its unit (" + strings.Join(DoseUnits, ", ") + "), like 200 mg or 0.5 mg/kg. Write the route, timing or how it is taken in the route and strength."
	}
	return ""
}

// CheckReason returns what is wrong with a written reason (required, at
// most MaxPrescriptionReason characters), or "" when it will do; missing
// is the message for an empty one.
func CheckReason(reason, missing string) string {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return missing
	case utf8.RuneCountInString(reason) > MaxPrescriptionReason:
		return "Use at most 2000 characters."
	}
	return ""
}

// checkLine adds a field error when a one-line text is empty (missing),
// longer than max characters or holds control characters.
func checkLine(fe FieldErrors, field, v string, max int, missing string) {
	switch {
	case v == "":
		fe.Add(field, missing)
	case utf8.RuneCountInString(v) > max:
		fe.Add(field, "Use at most "+strconv.Itoa(max)+" characters.")
	case !SingleLine(v):
		fe.Add(field, "Keep this to one line of text.")
	}
}
