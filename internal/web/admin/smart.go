package admin

import (
	"net/http"
	"net/url"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/smart"
	"github.com/kapstone/kapstone/internal/store"
)

// SMART apps (issue 19): an administrator registers the apps that may ask
// people for access to the FHIR API (SMART App Launch 2), and the backend
// services that may fetch tokens with a signed JWT, and withdraws them.

type appsData struct {
	Apps      []*store.SMARTClient
	Form      url.Values
	Errors    map[string]string
	Notice    string
	NewID     string // the client_id just registered
	Supported []string
}

// Apps lists the registered apps with the form to register one.
func (s *Handlers) Apps(w http.ResponseWriter, r *http.Request) {
	s.appsPage(w, r, appsData{}, http.StatusOK)
}

func (s *Handlers) appsPage(w http.ResponseWriter, r *http.Request, d appsData, status int) {
	var err error
	if d.Apps, err = s.Store.ListSMARTClients(r.Context(), s.Actor(r)); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Form == nil {
		d.Form = url.Values{"kind": {store.SMARTPublic}, "scopes": {"launch/patient patient/*.rs"}}
	}
	d.Supported = smart.Supported()
	if r.URL.Query().Get("done") == "revoked" {
		d.Notice = "The app's registration is withdrawn and its tokens no longer work."
	}
	s.Render(w, r, status, "admin_apps", "Apps (SMART on FHIR)", d)
}

// AppCreate registers an app; its client_id is shown on the answer.
func (s *Handlers) AppCreate(w http.ResponseWriter, r *http.Request) {
	in := store.SMARTClientInput{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), RedirectURIs: r.PostFormValue("redirect_uris"),
		JWKS: r.PostFormValue("jwks"), Scopes: r.PostFormValue("scopes"), UserEmail: r.PostFormValue("user_email")}
	c, err := s.Store.RegisterSMARTClient(r.Context(), s.Actor(r), in)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.appsPage(w, r, appsData{Form: r.PostForm, Errors: e.Fields}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.appsPage(w, r, appsData{NewID: c.ID, Notice: "Registered " + c.Name + ". Its client_id is " + c.ID + "."}, http.StatusOK)
}

// AppRevoke withdraws an app's registration, ending its tokens.
func (s *Handlers) AppRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.RevokeSMARTClient(r.Context(), s.Actor(r), r.PathValue("app")); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/apps?done=revoked", http.StatusSeeOther)
}
