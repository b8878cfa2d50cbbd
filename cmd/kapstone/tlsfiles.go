package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certCheckEvery is how often, at most, a handshake looks at the
// certificate files to see whether they were replaced.
const certCheckEvery = time.Second

// certFiles serves the TLS certificate in a certificate file and a key
// file, and picks up a renewed one without a restart: a handshake looks at
// the files' size and modification time (at most once per certCheckEvery)
// and loads the pair again when either changed. A pair that does not load
// (say the certificate was replaced and the key not yet) is logged and the
// certificate in use is kept until the files change again.
type certFiles struct {
	certFile, keyFile string
	log               *slog.Logger
	every             time.Duration
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   [2]fileStamp // of the files the last load attempt read
	checked time.Time
}

type fileStamp struct {
	size int64
	mod  time.Time
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{size: fi.Size(), mod: fi.ModTime()}, nil
}

// newCertFiles loads the pair once; a pair that does not load is an error
// that names the setting to fix.
func newCertFiles(certFile, keyFile string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, log: log, every: certCheckEvery, now: time.Now}
	c.stamp = c.stamps()
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot load the TLS certificate and key (%v); check KAPSTONE_TLS_CERT and KAPSTONE_TLS_KEY", err)
	}
	c.cert, c.checked = &cert, c.now()
	return c, nil
}

func (c *certFiles) stamps() [2]fileStamp {
	a, _ := stampOf(c.certFile)
	b, _ := stampOf(c.keyFile)
	return [2]fileStamp{a, b}
}

// GetCertificate is tls.Config.GetCertificate: the current certificate,
// loaded again first when its files changed.
func (c *certFiles) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.checked) < c.every {
		return c.cert, nil
	}
	c.checked = now
	st := c.stamps()
	if st == c.stamp {
		return c.cert, nil
	}
	c.stamp = st
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		c.log.Warn("TLS certificate files changed but do not load; still serving the previous certificate", "err", err.Error())
		return c.cert, nil
	}
	c.cert = &cert
	attrs := []any{"cert", c.certFile}
	if cert.Leaf != nil {
		attrs = append(attrs, "not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	c.log.Info("TLS certificate reloaded", attrs...)
	return c.cert, nil
}

// tlsConfig is kapstone's TLS configuration: TLS 1.2 and later (Go's
// default cipher suites, all with forward secrecy and AEAD for 1.2), the
// certificate from files. http.Server.ServeTLS adds HTTP/2.
func tlsConfig(c *certFiles) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: c.GetCertificate,
	}
}
