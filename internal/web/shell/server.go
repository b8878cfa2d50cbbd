package shell

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/notify"
	"github.com/kapstone/kapstone/internal/obs"
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

	// MetricsToken, when set, opens /metrics on the main listener to
	// requests with "Authorization: Bearer <token>"; unset, it is a 404.
	MetricsToken string
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

// App is the state every face shares: the store, the settings, the
// logger, the crisis resources, the parsed templates and assets, and the
// clock. Each face's Handlers embeds it.
type App struct {
	Config     Config
	Store      *store.Store
	Log        *slog.Logger
	Crisis     clinic.CrisisResources
	crisisView crisisView
	idlePages  chan *pageSet // page template sets not in use (takePages)
	pageSetsMu sync.Mutex
	pageSets   int // how many sets exist
	Assets     *assetSet
	secure     bool // served over TLS: Secure cookies and HSTS
	OutboxOnly bool // no mailer configured: emails go to the outbox page

	PublicPages pageCache // the public site's rendered pages, for visitors

	// Metrics counts requests by route and collects the rest at /metrics.
	Metrics *obs.Metrics

	nameMu    sync.Mutex
	nameValue string
	nameUntil time.Time

	// Now returns the current time; tests replace it.
	Now func() time.Time
}

// New builds the shared state every face's handlers use: it parses every
// template and asset once. It fails when the country has no crisis resources
// or a template does not parse, so a broken build never starts.
func New(cfg Config, st *store.Store, log *slog.Logger) (*App, error) {
	crisis, ok := clinic.Crisis(cfg.Country)
	if !ok {
		return nil, fmt.Errorf("no crisis resources for country %q (known: %s)", cfg.Country, strings.Join(clinic.CrisisCountries(), ", "))
	}
	// Every line logged with a request's context carries its request id.
	log = slog.New(obs.NewRequestIDHandler(log.Handler()))
	s := &App{
		Config:     cfg,
		Store:      st,
		Log:        log,
		Metrics:    obs.NewMetrics(cfg.Version),
		Crisis:     crisis,
		crisisView: newCrisisView(crisis),
		secure:     strings.HasPrefix(cfg.PublicURL, "https://"),
		Now:        time.Now,
	}
	var err error
	if s.Config.Mailer == nil {
		s.Config.Mailer = OutboxMailer{Store: st, Log: log}
		s.OutboxOnly = true
	}
	if s.Assets, err = loadAssets(); err != nil {
		return nil, err
	}
	first, err := s.parsePages() // template errors stop start-up
	if err != nil {
		return nil, err
	}
	s.idlePages, s.pageSets = make(chan *pageSet, maxPageSets()), 1
	s.idlePages <- first
	s.collectStore()
	return s, nil
}

// Healthz answers that the process is up.
func (s *App) Healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// Readyz answers whether the database can be reached.
func (s *App) Readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.Store.Ping(ctx); err != nil {
		s.Log.Warn("readiness check failed", "request_id", RequestID(r.Context()), "err", err.Error())
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "database unavailable")
		return
	}
	fmt.Fprintln(w, "ready")
}
