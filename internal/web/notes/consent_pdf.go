package notes

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/pdfdoc"
	"github.com/kapstone/kapstone/internal/store"
)

// ConsentPDF sends one signature of the patient in the path, with the
// exact text signed, as a PDF: for the clinicians on the care team
// (store.ExportConsent audits it as consent.export in the same
// transaction). The file's name carries the signing date only.
func (s *Handlers) ConsentPDF(w http.ResponseWriter, r *http.Request) {
	s.consentPDF(w, r, r.PathValue("patient"), "")
}

// PortalConsentPDF is the patient's own copy of what they signed, from
// the portal's consent page: the same PDF, of their own record only (a
// signature of another kind than the path's is not found).
func (s *Handlers) PortalConsentPDF(w http.ResponseWriter, r *http.Request) {
	own, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	s.consentPDF(w, r, own.ID, r.PathValue("kind"))
}

func (s *Handlers) consentPDF(w http.ResponseWriter, r *http.Request, patientID, kind string) {
	x, err := s.Store.ExportConsent(r.Context(), s.Actor(r), patientID, r.PathValue("signature"))
	if err == nil && kind != "" && x.Signature.Kind != kind {
		err = clinic.Errorf(clinic.ENotFound, "We could not find that signature.")
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	loc, _ := s.PracticeZone(r)
	if kind != "" {
		loc, _ = s.PatientZone(r, x.Patient)
	}
	now := s.Now()
	pdf, err := pdfdoc.Render(consentDoc(x, now, loc))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	sendPDF(w, "consent-"+x.Signature.SignedAt.In(loc).Format("2006-01-02")+".pdf", pdf)
}

// consentDoc lays out the signed consent x in loc: the document's title,
// kind and version, its exact text, and the signature block.
func consentDoc(x *store.ConsentExport, now time.Time, loc *time.Location) pdfdoc.Document {
	g, doc := x.Signature, x.Document
	name, dob := patientLines(x.Patient)
	d := pdfdoc.Document{
		Title:    doc.Title,
		Subtitle: "A signed consent: the exact text signed, and the signature",
		Meta: []pdfdoc.Field{
			{Label: "Practice", Value: x.Practice.Name},
			{Label: "Patient", Value: name},
			{Label: "Date of birth", Value: dob},
			{Label: "Consent", Value: clinic.ConsentKindTitle(doc.Kind)},
			{Label: "Version", Value: strconv.Itoa(doc.Version) + ", published " + doc.PublishedAt.In(loc).Format("January 2, 2006")},
		},
		RunningHead: doc.Title + " · version " + strconv.Itoa(doc.Version) + " · " + name,
		Paper:       pdfdoc.PaperFor(x.Practice.TimeZone),
		GeneratedAt: now,
		Zone:        loc,
	}
	if g.RevokedAt != nil {
		d.Blocks = append(d.Blocks, pdfdoc.Heading{Text: "REVOKED " + g.RevokedAt.In(loc).Format(pdfTime)},
			pdfdoc.Paragraph{Text: "This consent no longer holds. Who revoked it and why is at the end, under the signature."}, pdfdoc.Rule{})
	}
	d.Blocks = append(d.Blocks, pdfdoc.Markdown(doc.Body)...)
	lines := []pdfdoc.Field{{Label: "Agreed", Value: "Yes: the patient agreed to the text above, and typed their full name as their signature."}}
	if g.Method == "paper" {
		lines[0].Value = "Yes: signed on paper; the scan is kept with the record."
		by := g.RecordedBy
		if by == "" {
			by = "a member of staff"
		}
		// A paper carries a date, not a time: SignedAt is the start of that
		// day in the practice's zone, so print the date and when it was
		// recorded, never a made-up signing time.
		lines = append(lines, pdfdoc.Field{Label: "Dated", Value: g.SignedAt.In(loc).Format("Mon Jan 2, 2006") + " (as written on the paper)"},
			pdfdoc.Field{Label: "Method", Value: "Paper, recorded by " + by + " on " + g.RecordedAt.In(loc).Format(pdfTime)})
	} else {
		lines = append(lines, pdfdoc.Field{Label: "Method", Value: "Signed in the patient portal"})
		if g.ClientAddr != "" {
			lines = append(lines, pdfdoc.Field{Label: "From address", Value: g.ClientAddr})
		}
	}
	lines = append(lines, pdfdoc.Field{Label: "Text check", Value: verifiedWords(x.Matches(), "text of this version")})
	label := "Patient's signature"
	if g.Method == "paper" {
		label = "Patient's signature (on paper)"
	}
	at := g.SignedAt
	if g.Method == "paper" {
		at = time.Time{} // the Dated line says when
	}
	d.Blocks = append(d.Blocks, pdfdoc.Signature{Label: label, Name: g.TypedName, At: at, Hash: "sha256:" + g.TextHash, Lines: lines})
	if g.RevokedAt != nil {
		by := g.RevokedBy
		if by == "" {
			by = "Not recorded"
		}
		d.Blocks = append(d.Blocks, pdfdoc.Heading{Text: "Revoked", Level: 2}, pdfdoc.Fields{Rows: []pdfdoc.Field{
			{Label: "When", Value: g.RevokedAt.In(loc).Format(pdfTime)},
			{Label: "By", Value: by},
			{Label: "Reason", Value: g.RevokedReason},
		}})
	}
	d.Blocks = append(d.Blocks, pdfdoc.Rule{}, pdfdoc.Paragraph{Small: true, Text: "The hash is the SHA-256 of the exact text signed; \"verified\" means " +
		"the practice's stored text of this version still gives that hash. Signed versions never change; a new version is a new document. " +
		"Times are in " + loc.String() + "."})
	return d
}
