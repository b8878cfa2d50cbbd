package admin

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/markdown"
	"github.com/kapstone/kapstone/internal/store"
)

// consentsData is the administrators' list of consent kinds.
type consentsData struct {
	Kinds []store.ConsentKindSummary
}

// consentKindData is one kind: its versions, page by page, and the form
// to write and publish a new version.
type consentKindData struct {
	Kind, Title string
	Latest      *store.ConsentDocument
	Versions    []store.ConsentDocument
	Page        int
	More        bool
	// The form: the newest text to start from, or what was typed.
	FormTitle, FormBody string
	Reconsent           bool
	After               int
	Preview             template.HTML // the typed text rendered, when previewed
	Errors              map[string]string
	Notice              string
}

// Consents lists the kinds of consent document with their newest version.
func (s *Handlers) Consents(w http.ResponseWriter, r *http.Request) {
	kinds, err := s.Store.ConsentKinds(r.Context(), s.Actor(r))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "admin_consents", "Consent documents", consentsData{Kinds: kinds})
}

// ConsentKind shows one kind's versions and the form for a new one,
// starting from the newest text.
func (s *Handlers) ConsentKind(w http.ResponseWriter, r *http.Request) {
	s.consentKindPage(w, r, nil, http.StatusOK)
}

func (s *Handlers) consentKindPage(w http.ResponseWriter, r *http.Request, typed *consentKindData, status int) {
	kind := r.PathValue("kind")
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	versions, more, err := s.Store.ConsentVersions(r.Context(), s.Actor(r), kind, page)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	kinds, err := s.Store.ConsentKinds(r.Context(), s.Actor(r))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := consentKindData{Kind: kind, Title: clinic.ConsentKindTitle(kind), Versions: versions, Page: page, More: more}
	for _, k := range kinds {
		if k.Kind == kind {
			d.Latest = k.Latest
		}
	}
	if d.Latest != nil {
		d.FormTitle, d.FormBody, d.After = d.Latest.Title, d.Latest.Body, d.Latest.Version
	}
	if typed != nil {
		d.FormTitle, d.FormBody, d.Reconsent, d.Preview, d.Errors = typed.FormTitle, typed.FormBody, typed.Reconsent, typed.Preview, typed.Errors
		if typed.After >= 0 { // after a conflict, publishing again goes after the newest version, knowingly
			d.After = typed.After
		}
	}
	if v := r.URL.Query().Get("published"); v != "" && typed == nil {
		d.Notice = "Version " + v + " is published: patients read and sign it in the portal from now on."
		if r.URL.Query().Get("reconsent") == "1" {
			d.Notice += " Signatures on earlier versions no longer count: each patient must sign it again"
			if kind == clinic.ConsentKAP {
				d.Notice += " before their next dosing session"
			}
			d.Notice += "."
		}
	}
	s.Render(w, r, status, "admin_consent", d.Title, d)
}

// ConsentPublish previews the typed text (action=preview) or publishes it
// as the kind's next version. A version that cannot be published is shown
// again as typed, with the reasons (422).
func (s *Handlers) ConsentPublish(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	after, _ := strconv.Atoi(f.Get("after"))
	typed := &consentKindData{FormTitle: f.Get("title"), FormBody: f.Get("body"), Reconsent: f.Get("requires_reconsent") == "yes", After: after}
	if f.Get("action") == "preview" {
		typed.Preview = markdown.Render(typed.FormBody)
		s.consentKindPage(w, r, typed, http.StatusOK)
		return
	}
	doc, err := s.Store.PublishConsent(r.Context(), s.Actor(r), store.PublishInput{Kind: r.PathValue("kind"), Title: typed.FormTitle, Body: typed.FormBody, RequiresReconsent: typed.Reconsent, After: after})
	var e *clinic.Error
	if errors.As(err, &e) && (e.Code == clinic.EInvalid || e.Code == clinic.EConflict) {
		typed.Errors = e.Fields
		if e.Code == clinic.EConflict {
			typed.After = -1 // show the newest version number to publish after
		}
		s.consentKindPage(w, r, typed, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	q := "?published=" + strconv.Itoa(doc.Version)
	if doc.RequiresReconsent {
		q += "&reconsent=1"
	}
	http.Redirect(w, r, "/admin/consents/"+doc.Kind+q, http.StatusSeeOther)
}

// consentVersionData is one published version, as patients read it.
type consentVersionData struct {
	Doc  *store.ConsentDocument
	Body template.HTML
}

// ConsentVersion shows one published version, rendered, with its hash.
func (s *Handlers) ConsentVersion(w http.ResponseWriter, r *http.Request) {
	doc, err := s.Store.ConsentDocument(r.Context(), s.Actor(r), r.PathValue("document"))
	if err == nil && doc.Kind != r.PathValue("kind") {
		err = clinic.Errorf(clinic.ENotFound, "We could not find that consent document.")
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "admin_consent_version", doc.Title+", version "+strconv.Itoa(doc.Version), consentVersionData{Doc: doc, Body: markdown.Render(doc.Body)})
}
