package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/notify"
	"github.com/kapstone/kapstone/internal/store"
)

// config is kapstone's configuration, from flags and KAPSTONE_* variables
// (a flag wins over its variable). It is parsed once and passed down.
type config struct {
	Addr      string
	DB        string
	DataDir   string
	Country   string
	PublicURL string
	TLSCert   string
	TLSKey    string
	AuditKey  string
	DataKey   string
	Proxies   string
	SMTPURL   string
	MailFrom  string

	MetricsAddr  string // a separate listener serving only /metrics
	MetricsToken string // bearer token that opens /metrics on the main listener

	trustedProxies []netip.Prefix
	IdleStaff      time.Duration
	IdlePatient    time.Duration
	SessionMax     time.Duration
	LogLevel       string
}

// usageError is a mistake in how kapstone was called; it exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// setting is one configuration value with its flag, variable and help.
type setting struct {
	flag, env, help string
	str             *string
	dur             *time.Duration
}

func (c *config) settings(cmd string) []setting {
	all := []setting{
		{flag: "addr", env: "KAPSTONE_ADDR", help: "address to listen on, host:port", str: &c.Addr},
		{flag: "data-dir", env: "KAPSTONE_DATA_DIR", help: "directory for the SQLite database and keys (created if missing)", str: &c.DataDir},
		{flag: "db", env: "KAPSTONE_DB", help: "database: a postgres:// URL, or a SQLite file path (default <data-dir>/kapstone.db)", str: &c.DB},
		{flag: "country", env: "KAPSTONE_COUNTRY", help: "country whose crisis lines every page shows: " + strings.Join(clinic.CrisisCountries(), ", "), str: &c.Country},
		{flag: "public-url", env: "KAPSTONE_PUBLIC_URL", help: "URL people use to reach kapstone, e.g. https://care.example.org (https turns on HSTS and Secure cookies)", str: &c.PublicURL},
		{flag: "tls-cert", env: "KAPSTONE_TLS_CERT", help: "TLS certificate file, to serve HTTPS directly", str: &c.TLSCert},
		{flag: "tls-key", env: "KAPSTONE_TLS_KEY", help: "TLS private key file", str: &c.TLSKey},
		{flag: "idle-staff", env: "KAPSTONE_IDLE_STAFF", help: "staff sessions end after this long unused", dur: &c.IdleStaff},
		{flag: "idle-patient", env: "KAPSTONE_IDLE_PATIENT", help: "patient sessions end after this long unused", dur: &c.IdlePatient},
		{flag: "session-max", env: "KAPSTONE_SESSION_MAX", help: "every session ends this long after sign-in", dur: &c.SessionMax},
		{flag: "trusted-proxies", env: "KAPSTONE_TRUSTED_PROXIES", help: "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed (for rate limits and the audit log)", str: &c.Proxies},
		{flag: "smtp-url", env: "KAPSTONE_SMTP_URL", help: "SMTP server for notifications, e.g. smtp://user:password@mail.example.org:587 (none: notifications are only logged)", str: &c.SMTPURL},
		{flag: "mail-from", env: "KAPSTONE_MAIL_FROM", help: "sender address of notifications", str: &c.MailFrom},
		{flag: "audit-key", env: "KAPSTONE_AUDIT_KEY", help: "file of the key that signs the audit log (default <data-dir>/audit-key.pem; keep a copy off this machine)", str: &c.AuditKey},
		{flag: "data-key", env: "KAPSTONE_DATA_KEY", help: "file of the data keys that encrypt psychotherapy notes and two-step sign-in secrets in the database (default <data-dir>/data-key; keep a copy off this machine, apart from the database backups)", str: &c.DataKey},
		{flag: "log-level", env: "KAPSTONE_LOG_LEVEL", help: "debug, info, warn or error", str: &c.LogLevel},
		{flag: "metrics-addr", env: "KAPSTONE_METRICS_ADDR", help: "address of a separate listener that serves Prometheus metrics at /metrics to anyone who reaches it, e.g. 127.0.0.1:9090 (none: no such listener)", str: &c.MetricsAddr},
		{flag: "metrics-token", env: "KAPSTONE_METRICS_TOKEN", help: "bearer token that opens /metrics on the main listener (none: /metrics there is a 404); prefer the variable, since flags show in the process list", str: &c.MetricsToken},
	}
	keep := map[string][]string{
		"serve":   {"addr", "data-dir", "db", "country", "public-url", "tls-cert", "tls-key", "idle-staff", "idle-patient", "session-max", "trusted-proxies", "smtp-url", "mail-from", "audit-key", "data-key", "log-level", "metrics-addr", "metrics-token"},
		"demo":    {"addr", "data-dir", "db", "country", "log-level"}, // its keys live in its data directory
		"migrate": {"data-dir", "db", "audit-key", "data-key", "log-level"},
		"user":    {"addr", "data-dir", "db", "public-url", "audit-key", "data-key", "log-level"},
		"token":   {"data-dir", "db", "audit-key", "data-key", "log-level"},
		"audit":   {"data-dir", "db", "audit-key", "data-key", "log-level"},
		"keys":    {"data-dir", "db", "audit-key", "data-key", "log-level"},
		"code":    {"data-dir"},
		"backup":  {"data-dir", "db", "log-level"},
		"restore": {"data-dir", "db", "audit-key", "data-key", "log-level"},
		// SMART apps (issue 19), set apart so the table above keeps its alignment.
		"smart-client": {"data-dir", "db", "audit-key", "data-key", "log-level"},
	}[cmd]
	var out []setting
	for _, s := range all {
		for _, k := range keep {
			if s.flag == k {
				out = append(out, s)
			}
		}
	}
	return out
}

func defaultConfig(cmd string) config {
	c := config{
		Addr:        "127.0.0.1:8080",
		DataDir:     "kapstone-data",
		Country:     "US",
		IdleStaff:   15 * time.Minute,
		IdlePatient: 30 * time.Minute,
		SessionMax:  12 * time.Hour,
		LogLevel:    "info",
		MailFrom:    "kapstone@localhost",
	}
	if cmd == "demo" || cmd == "code" {
		c.DataDir = "" // demo: a new temporary directory unless one is given; code: the newest demo's
	}
	return c
}

// parseConfig reads the settings of cmd from the environment and then from
// args, and validates them. Errors name the flag or variable at fault.
func parseConfig(cmd string, args []string, getenv func(string) string, stdout io.Writer, summary string) (config, error) {
	c, _, err := parseConfigExtra(cmd, args, getenv, stdout, summary, nil)
	return c, err
}

// parseConfigExtra is parseConfig for commands with flags of their own:
// extra registers them, and the arguments left after the flags are returned.
func parseConfigExtra(cmd string, args []string, getenv func(string) string, stdout io.Writer, summary string, extra func(*flag.FlagSet)) (config, []string, error) {
	c := defaultConfig(cmd)
	settings := c.settings(cmd)
	for _, s := range settings {
		v := getenv(s.env)
		if v == "" {
			continue
		}
		if s.dur != nil {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return c, nil, &usageError{fmt.Sprintf("%s=%q is not a duration; write it like 15m or 12h", s.env, v)}
			}
			*s.dur = d
		} else {
			*s.str = v
		}
	}
	fs := flag.NewFlagSet("kapstone "+cmd, flag.ContinueOnError)
	if extra != nil {
		extra(fs)
	}
	fs.SetOutput(io.Discard)
	for _, s := range settings {
		if s.dur != nil {
			fs.DurationVar(s.dur, s.flag, *s.dur, s.help+" (env "+s.env+")")
		} else {
			fs.StringVar(s.str, s.flag, *s.str, s.help+" (env "+s.env+")")
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: kapstone %s [flags]\n\n%s\n\nFlags (each may also be set by its environment variable):\n", cmd, summary)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return c, nil, errHelp
		}
		return c, nil, &usageError{fmt.Sprintf("kapstone %s: %v; run 'kapstone %s -h' for the flags", cmd, err, cmd)}
	}
	if extra == nil && fs.NArg() > 0 {
		return c, nil, &usageError{fmt.Sprintf("kapstone %s: unexpected argument %q; run 'kapstone %s -h' for the flags", cmd, fs.Arg(0), cmd)}
	}
	for _, s := range settings {
		if s.dur != nil && *s.dur <= 0 {
			return c, nil, &usageError{fmt.Sprintf("-%s %v must be longer than zero; write it like 15m or 12h", s.flag, *s.dur)}
		}
	}
	return c, fs.Args(), c.validate(cmd)
}

var errHelp = errors.New("help shown")

func (c *config) validate(cmd string) error {
	if c.Addr != "" {
		_, port, err := net.SplitHostPort(c.Addr)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 0 || n > 65535 {
			return &usageError{fmt.Sprintf("KAPSTONE_ADDR / -addr %q is not host:port with a port from 0 to 65535; write it like 127.0.0.1:8080 or :8080", c.Addr)}
		}
	}
	if c.MetricsAddr != "" {
		_, port, err := net.SplitHostPort(c.MetricsAddr)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 0 || n > 65535 {
			return &usageError{fmt.Sprintf("KAPSTONE_METRICS_ADDR / -metrics-addr %q is not host:port with a port from 0 to 65535; write it like 127.0.0.1:9090", c.MetricsAddr)}
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return &usageError{"KAPSTONE_METRICS_TOKEN / -metrics-token is shorter than 16 characters; use a long random one, e.g. from 'openssl rand -hex 32'"}
	}
	if _, ok := clinic.Crisis(c.Country); !ok {
		return &usageError{fmt.Sprintf("KAPSTONE_COUNTRY / -country %q has no crisis resources in kapstone; use one of %s", c.Country, strings.Join(clinic.CrisisCountries(), ", "))}
	}
	c.Country = strings.ToUpper(c.Country)
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &usageError{fmt.Sprintf("KAPSTONE_PUBLIC_URL / -public-url %q is not an http(s) URL; write it like https://care.example.org", c.PublicURL)}
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	for _, part := range strings.Split(c.Proxies, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return &usageError{fmt.Sprintf("KAPSTONE_TRUSTED_PROXIES / -trusted-proxies: %q is not an address or a CIDR range like 10.0.0.0/8", part)}
			}
			pfx = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		c.trustedProxies = append(c.trustedProxies, pfx.Masked())
	}
	if c.SMTPURL != "" {
		if _, err := notify.NewSMTP(c.SMTPURL, c.MailFrom); err != nil {
			return &usageError{fmt.Sprintf("KAPSTONE_SMTP_URL / -smtp-url or KAPSTONE_MAIL_FROM: %v", err)}
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return &usageError{"KAPSTONE_TLS_CERT and KAPSTONE_TLS_KEY (-tls-cert, -tls-key) must be given together"}
	}
	if scheme := store.UnknownScheme(c.DB); scheme != "" {
		return &usageError{fmt.Sprintf("KAPSTONE_DB / -db: %q is not a database kapstone knows; give a postgres:// URL or a SQLite file path", scheme)}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &usageError{fmt.Sprintf("KAPSTONE_LOG_LEVEL / -log-level %q is not one of debug, info, warn, error", c.LogLevel)}
	}
	if c.SessionMax < c.IdleStaff || c.SessionMax < c.IdlePatient {
		return &usageError{"KAPSTONE_SESSION_MAX / -session-max must be at least as long as the idle timeouts"}
	}
	return nil
}

// prepareDataDir creates the data directory if needed and checks that
// kapstone can write in it.
func prepareDataDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("data directory %s cannot be created (%v); choose another with -data-dir or KAPSTONE_DATA_DIR", abs, unwrapPath(err))
	}
	probe, err := os.CreateTemp(abs, ".write-check-*")
	if err != nil {
		return "", fmt.Errorf("data directory %s is not writable (%v); fix its permissions or choose another with -data-dir or KAPSTONE_DATA_DIR", abs, unwrapPath(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return abs, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// dsn is the database to open: KAPSTONE_DB if given, else the SQLite file
// in the data directory.
func (c *config) dsn() string {
	if c.DB != "" {
		return c.DB
	}
	return filepath.Join(c.DataDir, "kapstone.db")
}

// auditKeyPath is the file of the audit-signing key.
func (c *config) auditKeyPath() string {
	if c.AuditKey != "" {
		return c.AuditKey
	}
	return filepath.Join(c.DataDir, "audit-key.pem")
}

// dataKeyPath is the file of the data keys (package seal) that seal
// psychotherapy notes and TOTP secrets in the database.
func (c *config) dataKeyPath() string {
	if c.DataKey != "" {
		return c.DataKey
	}
	return filepath.Join(c.DataDir, "data-key")
}

// checkpointPath is the append-only file of signed audit checkpoints, kept
// outside the database so that a rewritten database cannot hide a cut.
func (c *config) checkpointPath() string {
	return filepath.Join(c.DataDir, "audit-checkpoints.log")
}
