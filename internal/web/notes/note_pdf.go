package notes

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/pdfdoc"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// pdfTime is how a time reads in the PDFs, in the document's zone.
const pdfTime = "Mon Jan 2, 2006, 3:04 PM MST"

// NotePDF sends a signed clinical note with its addenda as a PDF, for a
// partner prescriber or an insurer: who and what it is about, each
// section under its heading, the signature (with the signer's
// credentials, when, the content hash and whether it verifies), each
// addendum with its own signature, and for a dosing note the session
// record as the note page shows it, labelled as read from that record.
// Whoever may read the note may download it (store.ExportNote audits it as
// note.export in the same transaction); a draft has no PDF (409, saying
// so). The file's name carries the appointment's date only, and the
// answer is never cached.
func (s *Handlers) NotePDF(w http.ResponseWriter, r *http.Request) {
	x, err := s.Store.ExportNote(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("appointment"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	loc, _ := s.PracticeZone(r)
	now := s.Now()
	pdf, err := pdfdoc.Render(noteDoc(x, now, loc))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	sendPDF(w, "note-"+x.Note.AppointmentAt.In(loc).Format("2006-01-02")+".pdf", pdf)
}

// sendPDF writes pdf as an attachment named name (never a patient's
// name), never cached or sniffed.
func sendPDF(w http.ResponseWriter, name string, pdf []byte) {
	shell.SendAttachment(w, "application/pdf", name, pdf)
}

// patientLines are the PDFs' lines about whom a document concerns: the
// name (legal, and the name they go by) and the date of birth.
func patientLines(p *store.Patient) (name, dob string) {
	name = p.DisplayName
	if p.LegalName != "" && p.LegalName != p.DisplayName {
		name = p.LegalName + " (goes by " + p.DisplayName + ")"
	}
	dob = "Not recorded"
	if d, err := time.Parse("2006-01-02", p.BirthDate); err == nil {
		dob = d.Format("January 2, 2006")
	}
	return name, dob
}

// verifiedWords says whether a hash verifies, for the signature blocks.
func verifiedWords(ok bool, what string) string {
	if ok {
		return "Verified: the " + what + " is exactly as signed."
	}
	return "DOES NOT MATCH: the stored " + what + " differs from what was signed."
}

// noteDoc lays out the signed note x in loc (the practice's zone).
func noteDoc(x *store.NoteExport, now time.Time, loc *time.Location) pdfdoc.Document {
	n := x.Note
	name, dob := patientLines(x.Patient)
	kind := clinic.AppointmentTitle(n.Kind)
	f, _ := clinic.NoteFormatOf(n.Format)
	status := "Signed"
	if n.Status == clinic.NoteAwaitingCosign {
		status = "Signed; awaiting co-signature"
	}
	d := pdfdoc.Document{
		Title:    kind + " note",
		Subtitle: "A signed clinical note with its addenda",
		Meta: []pdfdoc.Field{
			{Label: "Practice", Value: x.Practice.Name},
			{Label: "Patient", Value: name},
			{Label: "Date of birth", Value: dob},
			{Label: "Appointment", Value: kind + ", " + n.AppointmentAt.In(loc).Format(pdfTime)},
			{Label: "Format", Value: f.Title},
			{Label: "Status", Value: status},
		},
		RunningHead: kind + " note · " + name + " · born " + dob,
		Paper:       pdfdoc.PaperFor(x.Practice.TimeZone),
		GeneratedAt: now,
		Zone:        loc,
	}
	for _, sec := range f.Sections {
		d.Blocks = append(d.Blocks, pdfdoc.Heading{Text: sec.Title, Level: 2})
		if t := strings.TrimSpace(n.Sections[sec.Key]); t != "" {
			d.Blocks = append(d.Blocks, pdfdoc.Paragraph{Text: t})
		} else {
			d.Blocks = append(d.Blocks, pdfdoc.Paragraph{Text: "Nothing written.", Small: true})
		}
	}
	var at time.Time
	if n.SignedAt != nil {
		at = *n.SignedAt
	}
	d.Blocks = append(d.Blocks, pdfdoc.Signature{
		Label: "Signed", Name: n.SignedByName, Credentials: x.Credentials[x.SignerID], At: at, Hash: n.ContentHash,
		Lines: []pdfdoc.Field{{Label: "Verification", Value: verifiedWords(n.Verify(), "note")}},
	})
	if n.Kind == "dosing" {
		d.Blocks = append(d.Blocks, dosingBlocks(x.Dosing, loc)...)
	}
	if len(n.Addenda) == 0 {
		d.Blocks = append(d.Blocks, pdfdoc.Heading{Text: "Addenda"}, pdfdoc.Paragraph{Text: "None."})
	}
	for i, a := range n.Addenda {
		// Each addendum under its own heading (a heading never stands
		// alone at a page's foot; one "Addenda" heading over them could).
		d.Blocks = append(d.Blocks, pdfdoc.Heading{Text: fmt.Sprintf("Addendum %d of %d: %s", i+1, len(n.Addenda), a.KindTitle())},
			pdfdoc.Paragraph{Text: a.Body},
			pdfdoc.Signature{Label: "Addendum signed", Name: a.AuthorName, Credentials: x.Credentials[a.AuthorID], At: a.SignedAt, Hash: a.ContentHash,
				Lines: []pdfdoc.Field{{Label: "Verification", Value: verifiedWords(a.Verified, "addendum")}}})
	}
	d.Blocks = append(d.Blocks, pdfdoc.Rule{}, pdfdoc.Paragraph{Small: true, Text: "A signed note never changes: corrections, clarifications and " +
		"amendments are signed addenda, shown in order under it. Each content hash is the SHA-256 of what was signed; \"verified\" means the " +
		"stored text still gives that hash. Times are in " + loc.String() + "."})
	return d
}

// dosingBlocks are a dosing note's session summary as the note page shows
// it (gate, dose, duration, vitals, events), read from the session record.
func dosingBlocks(ds *store.DosingSession, loc *time.Location) []pdfdoc.Block {
	out := []pdfdoc.Block{pdfdoc.Heading{Text: "Session record"}}
	if ds == nil {
		return append(out, pdfdoc.Paragraph{Text: "No dosing session was recorded for this appointment."})
	}
	out = append(out, pdfdoc.Paragraph{Small: true, Text: "From the dosing session record, which is the source of truth: read from it when this PDF was made, not part of the signed note."})
	clock := func(t time.Time) string { return t.In(loc).Format("3:04 PM") }
	var f pdfdoc.Fields
	add := func(label, value string) { f.Rows = append(f.Rows, pdfdoc.Field{Label: label, Value: value}) }
	gate := "Not passed"
	if ds.GatePassedAt != nil {
		gate = "Passed " + ds.GatePassedAt.In(loc).Format(pdfTime)
		if ds.GatePassedBy != "" {
			gate += " (" + ds.GatePassedBy + ")"
		}
	}
	add("Gate", gate)
	dose := "No dose recorded"
	if ds.DoseAt != nil {
		dose = ds.DoseAmount + ", " + clinic.RouteTitle(ds.DoseRoute) + " at " + ds.DoseAt.In(loc).Format(pdfTime)
		if ds.DosedBy != "" {
			dose += " by " + ds.DosedBy
		}
	}
	add("Dose", dose)
	switch {
	case ds.DischargedAt != nil:
		add("Duration", fmt.Sprintf("%d min from dose to discharge", ds.Minutes()))
	case ds.StoppedAt != nil:
		add("Duration", "Stopped: "+ds.StopReason)
	default:
		add("Duration", "Still running")
	}
	var vitals []string
	for _, v := range ds.Vitals {
		vitals = append(vitals, clock(v.At)+" "+clinic.PhaseTitle(v.Phase)+": "+v.Summary())
	}
	if len(vitals) == 0 {
		vitals = []string{"None recorded"}
	}
	add("Vitals", strings.Join(vitals, "\n"))
	var events []string
	for _, e := range ds.Events {
		s := clock(e.At) + " " + e.Kind
		if e.Severity != "" {
			s += " (" + e.Severity + ")"
		}
		s += ": " + e.Body
		if e.Action != "" {
			s += " · " + e.Action
		}
		events = append(events, s)
	}
	if len(events) == 0 {
		events = []string{"None recorded"}
	}
	add("Events", strings.Join(events, "\n"))
	return append(out, f)
}
