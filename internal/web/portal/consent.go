package portal

import (
	"html/template"
	"net/http"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/markdown"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// consentsData is the portal's list of consents.
type consentsData struct {
	Consents []store.Consent
	Zone     string
	Notice   string
}

// consentData is one consent document in the portal: its text to read,
// and the form to sign it or to revoke the signature.
type consentData struct {
	view   *store.View // the page's view (GET), nil for a post's answer
	C      store.Consent
	Body   template.HTML // the newest version's Markdown, rendered
	Zone   string
	Errors map[string]string
	Typed  string // the name typed, kept when signing failed
	Agreed bool
	Notice string
}

// ToSign reports whether the page offers the newest version to sign: it
// is published and not the one whose signature holds.
func (d consentData) ToSign() bool { return d.C.Latest != nil && !d.C.SignedLatest() }

// Consents lists the patient's consent documents, each with where they
// stand.
func (s *Handlers) Consents(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, own, ok := s.OwnView(w, r, "consent.read")
	if !ok {
		return
	}
	defer view.Close()
	cs, err := s.Store.PatientConsents(r.Context(), s.Actor(r), own.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	_, zone := s.PatientZone(r, own)
	d := consentsData{Consents: cs, Zone: zone}
	switch r.URL.Query().Get("done") {
	case "signed":
		d.Notice = "Signed. Thank you: your care team can see it now."
	case "revoked":
		d.Notice = "Your consent is withdrawn, and your care team can see that now."
	}
	s.RenderView(w, r, view, http.StatusOK, "portal_consents", "Consents", d)
}

// ConsentRead shows one consent document to read and sign (or revoke).
func (s *Handlers) ConsentRead(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, _, ok := s.OwnView(w, r, "consent.read")
	if !ok {
		return
	}
	defer view.Close()
	s.consentPage(w, r, consentData{view: view}, http.StatusOK)
}

func (s *Handlers) consentPage(w http.ResponseWriter, r *http.Request, d consentData, status int) {
	kind := r.PathValue("kind")
	if clinic.ConsentKindTitle(kind) == "" {
		s.NotFound(w, r)
		return
	}
	own, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	cs, err := s.Store.PatientConsents(r.Context(), s.Actor(r), own.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, c := range cs {
		if c.Kind == kind {
			d.C = c
		}
	}
	if d.C.Latest != nil {
		d.Body = markdown.Render(d.C.Latest.Body)
	}
	_, d.Zone = s.PatientZone(r, own)
	s.RenderView(w, r, d.view, status, "portal_consent", d.C.Title, d)
}

// ConsentSign signs the version shown: the typed full name and the
// agreement box, with the text's hash as the page showed it. A form that
// cannot be signed is shown again with the reasons and the name typed
// (422); a newer version published meanwhile is shown to read instead.
func (s *Handlers) ConsentSign(w http.ResponseWriter, r *http.Request) {
	own, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	in := store.SignInput{DocumentID: f.Get("document"), TextHash: f.Get("hash"), TypedName: f.Get("typed_name"), Agreed: f.Get("agree") == "yes"}
	_, err := s.Store.SignConsent(r.Context(), s.Actor(r), own.ID, in)
	if errs, _, ok := shell.FormFailure(err); ok {
		s.consentPage(w, r, consentData{Errors: errs, Typed: in.TypedName, Agreed: in.Agreed}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/portal/consents?done=signed", http.StatusSeeOther)
}

// ConsentRevoke withdraws the patient's consent of the kind (the
// signature that holds), with their reason if they give one.
func (s *Handlers) ConsentRevoke(w http.ResponseWriter, r *http.Request) {
	own, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	err := s.Store.RevokeConsent(r.Context(), s.Actor(r), own.ID, r.PostForm.Get("signature"), r.PostForm.Get("reason"))
	if errs, _, ok := shell.FormFailure(err); ok {
		if errs["reason"] == "" {
			errs = map[string]string{"reason": firstOf(errs)}
		}
		s.consentPage(w, r, consentData{Errors: errs}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/portal/consents?done=revoked", http.StatusSeeOther)
}

// firstOf is one message of errs.
func firstOf(errs map[string]string) string {
	for _, m := range errs {
		return m
	}
	return ""
}
