package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/job"
	"github.com/kapstone/kapstone/internal/mailjob"
	"github.com/kapstone/kapstone/internal/notify"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, env *runEnv) error
}

// runEnv is what a subcommand may use from the outside world.
type runEnv struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{"serve", "Serve kapstone: the practice website, the staff app and the patient portal.", runServe},
		{"demo", "Serve a demo practice on a new SQLite database and print its logins.", runDemo},
		{"code", "Print the current sign-in code of a demo staff login (reads demo-logins.json).", runCode},
		{"migrate", "Apply database migrations and exit.", runMigrate},
		{"user", "Manage accounts: add, list, disable, reset-password.", runUser},
		{"token", "Make a personal API token for an account (printed once).", runToken},
		{"smart-client", "Register or withdraw a SMART on FHIR app or backend service.", runSMARTClient},
		{"audit", "Check the audit log (verify) or sign its head now (checkpoint).", runAudit},
		{"keys", "Data keys: show which key seals how much (status), or re-encrypt under a new key (rotate).", runKeys},
		{"backup", "Make an encrypted, consistent backup while kapstone runs (age; -keep N for retention).", runBackup},
		{"restore", "Restore an encrypted backup into a new data directory and verify it before use.", runRestore},
		{"loadtest", "Measure real demo servers under concurrent load beside a bare net/http baseline (make bench).", runLoadtest},
		{"version", "Print the version and exit.", runVersion},
	}
}

// run is the whole program: main only calls it, and tests call it too.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	env := &runEnv{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) < 2 {
		usage(stdout)
		return &usageError{"kapstone: name a command; run 'kapstone help' for the list"}
	}
	name := args[1]
	switch name {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args[2:], env)
		}
	}
	return &usageError{fmt.Sprintf("kapstone: unknown command %q; run 'kapstone help' for the list", name)}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "kapstone: a practice platform for ketamine-assisted psychotherapy.")
	fmt.Fprintln(w, "\nUsage: kapstone <command> [flags]    (kapstone <command> -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
}

// exitCode prints err as one line and returns the process exit status:
// 0 for success or help, 2 for a usage mistake, 1 for anything else.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	fmt.Fprintln(stderr, strings.TrimPrefix(err.Error(), "kapstone: ")+"")
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func fullVersion() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	return v
}

func runVersion(ctx context.Context, args []string, env *runEnv) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprintln(env.stdout, "Usage: kapstone version\n\nPrint the version and exit.")
		return nil
	}
	if len(args) > 0 {
		return &usageError{fmt.Sprintf("kapstone version: unexpected argument %q", args[0])}
	}
	fmt.Fprintf(env.stdout, "kapstone %s\n", fullVersion())
	return nil
}

// openStore prepares the data directory, opens the database, loads (or, on
// first start, makes) the key that signs the audit log and the data keys
// (loadDataKeys), and migrates the database.
func openStore(ctx context.Context, cfg *config, log *slog.Logger) (*store.Store, error) {
	return openStoreKey(ctx, cfg, log, audit.LoadOrCreateKey)
}

// openStoreKey is openStore with the way the audit key is loaded: checks
// use audit.LoadKey, which never makes a new key.
func openStoreKey(ctx context.Context, cfg *config, log *slog.Logger, loadKey func(string) (*audit.Key, error)) (*store.Store, error) {
	dir, err := prepareDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cfg.DataDir = dir
	// The database first: a kapstone that cannot reach it leaves no new key
	// behind (a stray key once ended up in git that way).
	st, err := store.Open(ctx, cfg.dsn())
	if err != nil {
		return nil, fmt.Errorf("%v; %s", err, store.OpenHint(cfg.dsn()))
	}
	key, err := loadKey(cfg.auditKeyPath())
	if err != nil {
		st.Close()
		if errors.Is(err, audit.ErrPublicKey) {
			return nil, err // says how to recover; a backup would hold the same key
		}
		return nil, fmt.Errorf("audit key: %v; check KAPSTONE_AUDIT_KEY / -audit-key, or restore the key file from your backup", err)
	}
	st.SetAuditKey(key)
	// The data keys after the database too, since what it holds decides
	// whether a new key file may be made.
	keys, err := loadDataKeys(ctx, st, cfg.dataKeyPath(), log)
	if err != nil {
		st.Close()
		return nil, err
	}
	st.SetKeyring(keys)
	applied, err := st.Migrate(ctx) // also seals secrets an older release left in plain text
	if err != nil {
		st.Close()
		return nil, err
	}
	for _, m := range applied {
		log.Info("migration applied", "migration", m)
	}
	return st, nil
}

func runMigrate(ctx context.Context, args []string, env *runEnv) error {
	cfg, err := parseConfig("migrate", args, env.getenv, env.stdout, "Apply every pending database migration and exit. The server also migrates on start.")
	if err != nil {
		return err
	}
	log := newLogger(env.stderr, cfg.LogLevel)
	st, err := openStore(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	names, _ := store.Migrations(st.Engine())
	fmt.Fprintf(env.stdout, "kapstone: %s database is at migration %s\n", st.Engine(), names[len(names)-1])
	return nil
}

func runServe(ctx context.Context, args []string, env *runEnv) error {
	cfg, err := parseConfig("serve", args, env.getenv, env.stdout, "Serve kapstone until interrupted (SIGINT or SIGTERM), finishing requests in flight.")
	if err != nil {
		return err
	}
	log := newLogger(env.stderr, cfg.LogLevel)
	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	st, err := openStore(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		link, err := newLink(ctx, st, &cfg, ln.Addr().String(), &store.AuthToken{Purpose: store.TokenSetup})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "kapstone: this practice has no accounts yet. Open this link within 24 hours to create the first admin (it works once):\n  %s\n", link)
	}
	return serveOn(ctx, ln, &cfg, st, log, env)
}

func runDemo(ctx context.Context, args []string, env *runEnv) error {
	var scale int
	cfg, rest, err := parseConfigExtra("demo", args, env.getenv, env.stdout, "Serve a demo practice, seeded with invented staff and patients, on a SQLite\n"+
		"database in a new temporary directory (or -data-dir), or on the database -db\nnames (an empty one), and print the logins.\n"+
		"The logins are also written to demo-logins.json in the data directory.\n"+
		"-scale N adds N more invented patients with years of history (for load tests);\ntheir shared portal password is written to "+demo.ScaleFile+".",
		func(fs *flag.FlagSet) {
			fs.IntVar(&scale, "scale", 0, "add this many invented patients with years of history (e.g. 10000)")
		})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("kapstone demo: unexpected argument %q; run 'kapstone demo -h' for the flags", rest[0])}
	}
	if scale < 0 || scale > 1_000_000 {
		return &usageError{fmt.Sprintf("kapstone demo: -scale %d must be from 0 to 1000000", scale)}
	}
	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if cfg.DataDir == "" {
		if cfg.DataDir, err = os.MkdirTemp("", "kapstone-demo-"); err != nil {
			return fmt.Errorf("cannot create a temporary data directory: %v", err)
		}
	}
	// The demo runs on SQLite in its data directory unless -db (or
	// KAPSTONE_DB) names a database: Seed refuses one that holds accounts
	// the demo did not make.
	log := newLogger(env.stderr, cfg.LogLevel)
	st, err := openStore(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	logins, err := demo.Seed(ctx, st, cfg.DataDir, auth.DefaultParams)
	if err != nil {
		return err
	}
	w := env.stdout
	if scale > 0 {
		if err := demoScale(ctx, st, cfg.DataDir, scale, w); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "kapstone demo: %s\n", demo.PracticeName)
	fmt.Fprintf(w, "data directory: %s\n", cfg.DataDir)
	fmt.Fprintf(w, "logins (also in %s):\n", demo.LoginsFile)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ROLE\tEMAIL\tPASSWORD\tTOTP SECRET")
	for _, l := range logins {
		secret := "-"
		if l.TOTPSecret != "" {
			secret = l.TOTPSecret
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", l.Role, l.Email, l.Password, secret)
	}
	tw.Flush()
	fmt.Fprintln(w, "Staff sign in with a code from an authenticator app: add the TOTP secret to one (\"enter a setup key\").")
	codeCmd := "go run ./cmd/kapstone code"
	if filepath.Dir(cfg.DataDir) != filepath.Clean(os.TempDir()) || !strings.HasPrefix(filepath.Base(cfg.DataDir), "kapstone-demo-") {
		codeCmd += " -data-dir " + cfg.DataDir // code finds only the newest temporary demo by itself
	}
	fmt.Fprintf(w, "No authenticator app? Codes: %s EMAIL (no EMAIL: every staff login), in another terminal.\n", codeCmd)
	fmt.Fprintln(w, "Patients sign in with email and password. Jordan Lee and Riley Chen share the prescriber; Avery Brooks has no portal account yet.")
	if info, ok, err := demo.ReadScaleInfo(cfg.DataDir); err == nil && ok {
		fmt.Fprintf(w, "The %d scaled patients (%s to %s) sign in with the password %s.\n", info.Patients, info.FirstEmail, info.LastEmail, info.Password)
	}
	return serveOn(ctx, ln, &cfg, st, log, env)
}

// listen opens the listening socket, with a one-line error that says how to
// fix the usual failures.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		switch {
		case errors.Is(err, syscall.EADDRINUSE):
			return nil, fmt.Errorf("cannot listen on %s: the address is already in use; stop the other program or choose another address with -addr or KAPSTONE_ADDR", addr)
		case errors.Is(err, syscall.EACCES):
			return nil, fmt.Errorf("cannot listen on %s: permission denied; use a port above 1023 with -addr or KAPSTONE_ADDR", addr)
		}
		return nil, fmt.Errorf("cannot listen on %s: %v; check -addr or KAPSTONE_ADDR", addr, unwrapOp(err))
	}
	return ln, nil
}

func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// serveOn serves until ctx is done, then stops taking connections and lets
// requests in flight finish (up to 25 seconds).
func serveOn(ctx context.Context, ln net.Listener, cfg *config, st *store.Store, log *slog.Logger, env *runEnv) error {
	if ownProcess {
		defer serveMemoryLimit(env.getenv)() // memlimit.go
	}
	// KAPSTONE_CPUPROFILE names a file for a CPU profile of the whole
	// serving run, written at shutdown with the heap's profile beside it
	// (FILE.heap; kapstone loadtest -cpuprofile).
	if p := env.getenv("KAPSTONE_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			ln.Close()
			return fmt.Errorf("KAPSTONE_CPUPROFILE: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			ln.Close()
			return fmt.Errorf("KAPSTONE_CPUPROFILE: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
			// And the heap as it stands at shutdown, beside it.
			if h, err := os.Create(p + ".heap"); err == nil {
				pprof.Lookup("heap").WriteTo(h, 0)
				h.Close()
			}
		}()
	}
	wcfg := web.DefaultConfig()
	wcfg.Country = cfg.Country
	wcfg.PublicURL = cfg.PublicURL
	wcfg.Version = fullVersion()
	wcfg.IdleStaff, wcfg.IdlePatient, wcfg.Absolute = cfg.IdleStaff, cfg.IdlePatient, cfg.SessionMax
	if cfg.TLSCert != "" && wcfg.PublicURL == "" {
		wcfg.PublicURL = "https://" + ln.Addr().String()
	}
	wcfg.ListenURL = "http://" + ln.Addr().String()
	if cfg.SMTPURL != "" {
		m, err := notify.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			ln.Close()
			return err
		}
		wcfg.Mailer = m
	}
	wcfg.TrustedProxies = cfg.trustedProxies
	wcfg.MetricsToken = cfg.MetricsToken
	srv, err := web.NewServer(wcfg, st, log)
	if err != nil {
		ln.Close()
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	serve := func() error { return hs.Serve(ln) }
	if cfg.TLSCert != "" {
		certs, err := newCertFiles(cfg.TLSCert, cfg.TLSKey, log)
		if err != nil {
			ln.Close()
			return err
		}
		hs.TLSConfig = tlsConfig(certs)
		serve = func() error { return hs.ServeTLS(ln, "", "") }
		scheme = "https"
	}
	stopMetrics, err := serveMetrics(cfg, srv, log, env.stdout)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopMetrics()
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	// Background jobs (emails) run beside the server; several instances
	// over one PostgreSQL share the queue, each job run by one of them.
	mails := &mailjob.Sender{Store: st, Mailer: srv.Config.Mailer, BaseURL: srv.LinkBase(nil), Crisis: srv.Crisis.Sentence, PracticeName: srv.PracticeName, KeepsEmail: srv.OutboxOnly}
	handlers := mails.Handlers()
	// The FHIR Bulk Data export's jobs (internal/fhir/bulk_job.go).
	handlers[store.BulkExportJobKind] = fhir.ExportJob(st)
	handlers[store.BulkSweepJobKind] = fhir.SweepJob(st)
	// A remote dosing session's missed chaperone check-ins (issue 20).
	handlers[store.JobChaperoneWatch] = st.ChaperoneWatchJob
	runner := &job.Runner{Store: st, Worker: job.DefaultWorker(), Handlers: handlers, Log: log}
	collectJobs(srv.Metrics, runner)
	jobsCtx, stopJobs := context.WithCancel(context.Background())
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		if err := runner.Run(jobsCtx); err != nil {
			log.Error("job runner stopped", "err", err.Error())
		}
	}()
	defer func() {
		stopJobs()
		<-jobsDone
	}()
	// Changes other instances on the same PostgreSQL save to what visitors
	// see empty this one's page cache at once (nothing to hear on SQLite).
	listenCtx, stopListen := context.WithCancel(context.Background())
	listenDone := make(chan struct{})
	go func() {
		defer close(listenDone)
		srv.ListenForChanges(listenCtx)
	}()
	defer func() {
		stopListen()
		<-listenDone
	}()
	maintDone := make(chan struct{})
	maintCtx, stopMaint := context.WithCancel(context.Background())
	go func() {
		defer close(maintDone)
		maintain(maintCtx, cfg, st, log)
	}()
	defer func() {
		stopMaint()
		<-maintDone
		// A last signed checkpoint, so the file outside the database covers every row written.
		if err := checkpoint(context.Background(), cfg, st); err != nil {
			log.Error("audit checkpoint at shutdown failed", "err", err.Error())
		}
	}()
	log.Info("listening", "addr", ln.Addr().String(), "engine", st.Engine(), "version", wcfg.Version)
	fmt.Fprintf(env.stdout, "kapstone: listening on %s://%s\n", scheme, ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
