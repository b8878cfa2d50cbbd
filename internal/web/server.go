// Package web serves kapstone's HTML: the public site, the sign-in flow, the
// staff app and the patient portal. Every route is listed in routes.go with
// who may call it.
package web

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/notify"
	"github.com/kapstone/kapstone/internal/store"
)

// Config holds what the web layer needs to know about its deployment.
type Config struct {
	Country   string // ISO code whose crisis resources every page shows
	PublicURL string // e.g. https://care.example.org; https turns on HSTS and Secure cookies
	ListenURL string // e.g. http://127.0.0.1:8080: where links point when PublicURL is not set

	// TrustedProxies are reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix

	// Mailer sends notifications; nil keeps them in the development outbox
	// (no SMTP set up), which administrators read at /admin/outbox.
	Mailer  notify.Mailer
	Version string

	IdleStaff   time.Duration // a staff session ends after this long unused
	IdlePatient time.Duration // a patient session ends after this long unused
	Absolute    time.Duration // any session ends this long after sign-in

	PasswordParams auth.Params // argon2id cost for new hashes
}

// DefaultConfig returns the settings kapstone uses when none are given.
func DefaultConfig() Config {
	return Config{
		Country:        "US",
		Version:        "dev",
		IdleStaff:      15 * time.Minute,
		IdlePatient:    30 * time.Minute,
		Absolute:       12 * time.Hour,
		PasswordParams: auth.DefaultParams,
	}
}

// Server is kapstone's HTTP handler. Create it with NewServer.
type Server struct {
	cfg        Config
	store      *store.Store
	log        *slog.Logger
	crisis     clinic.CrisisResources
	crisisView crisisView
	pages      map[string]*template.Template
	assets     *assetSet
	handler    http.Handler
	secure     bool // served over TLS: Secure cookies and HSTS
	outbox     bool // no mailer configured: emails go to the outbox page

	publicPages pageCache // the public site's rendered pages, for visitors

	nameMu    sync.Mutex
	nameValue string
	nameUntil time.Time

	// Now returns the current time; tests replace it.
	Now func() time.Time
}

// NewServer parses every template and asset and wires the routes. It fails
// when the country has no crisis resources or a template does not parse, so
// a broken build never starts.
func NewServer(cfg Config, st *store.Store, log *slog.Logger) (*Server, error) {
	crisis, ok := clinic.Crisis(cfg.Country)
	if !ok {
		return nil, fmt.Errorf("no crisis resources for country %q (known: %s)", cfg.Country, strings.Join(clinic.CrisisCountries(), ", "))
	}
	s := &Server{
		cfg:        cfg,
		store:      st,
		log:        log,
		crisis:     crisis,
		crisisView: newCrisisView(crisis),
		secure:     strings.HasPrefix(cfg.PublicURL, "https://"),
		Now:        time.Now,
	}
	var err error
	if s.cfg.Mailer == nil {
		s.cfg.Mailer = outboxMailer{store: st, log: log}
		s.outbox = true
	}
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = s.parsePages(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves one request through the middleware and the router.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "request_id", requestID(r.Context()), "err", err.Error())
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "database unavailable")
		return
	}
	fmt.Fprintln(w, "ready")
}
