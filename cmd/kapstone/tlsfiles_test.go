package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a new self-signed certificate for 127.0.0.1 with serial
// to certFile and its key to keyFile, and returns the certificate.
func selfSigned(t *testing.T, serial int64, certFile, keyFile string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "kapstone test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// The key first, then the certificate, as a renewal tool might; a
	// modification time of its own so the change shows on any file system.
	stamp := time.Now().Add(time.Duration(serial) * time.Second)
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{{keyFile, "PRIVATE KEY", kder}, {certFile, "CERTIFICATE", der}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f.path, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	cert, _ := x509.ParseCertificate(der)
	return cert
}

// TestCertFilesReload: a renewed certificate is served at the next check
// without a restart; a pair that does not load keeps the one in use.
func TestCertFilesReload(t *testing.T) {
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	selfSigned(t, 1, cf, kf)
	c, err := newCertFiles(cf, kf, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c.now = func() time.Time { return now }
	serial := func() int64 {
		t.Helper()
		got, err := c.GetCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(got.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return leaf.SerialNumber.Int64()
	}
	if s := serial(); s != 1 {
		t.Fatalf("serial %d, want 1", s)
	}
	selfSigned(t, 2, cf, kf)
	if s := serial(); s != 1 {
		t.Errorf("serial %d within a second of the last check, want 1 still (cached)", s)
	}
	now = now.Add(certCheckEvery)
	if s := serial(); s != 2 {
		t.Errorf("serial %d after renewal, want 2", s)
	}
	// A broken certificate file keeps certificate 2 in service.
	os.WriteFile(cf, []byte("not a certificate"), 0o600)
	os.Chtimes(cf, now.Add(time.Hour), now.Add(time.Hour))
	now = now.Add(certCheckEvery)
	if s := serial(); s != 2 {
		t.Errorf("serial %d with a broken file, want 2 still", s)
	}
	selfSigned(t, 3, cf, kf)
	now = now.Add(certCheckEvery)
	if s := serial(); s != 3 {
		t.Errorf("serial %d after the files were fixed, want 3", s)
	}
	if _, err := newCertFiles(filepath.Join(dir, "missing.pem"), kf, nil); err == nil || !strings.Contains(err.Error(), "KAPSTONE_TLS_CERT") {
		t.Errorf("missing certificate: %v, want an error naming KAPSTONE_TLS_CERT", err)
	}
}

// TestServeTLSAndMetrics: kapstone serve -tls-cert -tls-key serves HTTPS
// (TLS 1.2 and later, HSTS, HTTP/2) and picks up a renewed certificate
// without a restart; -metrics-addr serves /metrics alone on its own
// listener, and the main listener's /metrics answers only the token.
func TestServeTLSAndMetrics(t *testing.T) {
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	first := selfSigned(t, 1, cf, kf)
	token := "metrics-token-0123456789abcdef"
	env := map[string]string{"KAPSTONE_METRICS_TOKEN": token}
	args := append([]string{"kapstone", "serve", "-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0", "-tls-cert", cf, "-tls-key", kf}, dbArgs(t)...)
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := new(syncBuffer), new(syncBuffer)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("kapstone did not stop")
		}
	})
	metricsRE := regexp.MustCompile(`metrics on (http://\S+/metrics)`)
	var base, metricsURL string
	for deadline := time.Now().Add(60 * time.Second); base == "" || metricsURL == ""; {
		if time.Now().After(deadline) {
			t.Fatalf("kapstone did not start\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
		}
		select {
		case err := <-done:
			t.Fatalf("kapstone exited: %v\nstderr: %s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := listeningRE.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
		if m := metricsRE.FindStringSubmatch(stdout.String()); m != nil {
			metricsURL = m[1]
		}
	}
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("listening on %s, want https", base)
	}
	roots := x509.NewCertPool()
	roots.AddCert(first)
	client := func(max uint16) *http.Client {
		return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: roots, MaxVersion: max},
			ForceAttemptHTTP2: true, DisableKeepAlives: true,
		}}
	}
	res, err := client(0).Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.TLS == nil || res.TLS.Version < tls.VersionTLS12 || res.TLS.PeerCertificates[0].SerialNumber.Int64() != 1 {
		t.Fatalf("TLS state %+v, want TLS 1.2+ with certificate 1", res.TLS)
	}
	if !strings.HasPrefix(res.Header.Get("Strict-Transport-Security"), "max-age=") || res.ProtoMajor != 2 {
		t.Errorf("HTTPS answer %s, HSTS %q, want HTTP/2 with HSTS", res.Proto, res.Header.Get("Strict-Transport-Security"))
	}
	if _, err := client(tls.VersionTLS11).Get(base + "/healthz"); err == nil {
		t.Error("a TLS 1.1 client was served")
	}

	// Metrics: on the main listener only with the token.
	for _, c := range []struct {
		auth string
		want int
	}{{"", 404}, {"Bearer nope-nope-nope-nope", 404}, {"Bearer " + token, 200}} {
		req, _ := http.NewRequest("GET", base+"/metrics", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		res, err := client(0).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.want || (c.want == 200) != strings.Contains(string(b), "kapstone_http_requests_total") {
			t.Errorf("main listener /metrics with %q = %d, want %d", c.auth, res.StatusCode, c.want)
		}
	}
	// The metrics listener: /metrics to anyone who reaches it, nothing else.
	status, body := get(t, http.DefaultClient, metricsURL)
	for _, want := range []string{`kapstone_http_requests_total{route="GET /healthz",code="200",class="2xx"}`, "kapstone_job_runs_total ", "kapstone_db_connections_open{pool=\"write\"}", "go_goroutines "} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics listener = %d, lacks %q", status, want)
		}
	}
	if status, _ := get(t, http.DefaultClient, strings.TrimSuffix(metricsURL, "/metrics")+"/healthz"); status != 404 {
		t.Errorf("metrics listener /healthz = %d, want 404", status)
	}

	// A renewed certificate is served without a restart.
	second := selfSigned(t, 2, cf, kf)
	roots.AddCert(second)
	got := int64(0)
	for deadline := time.Now().Add(10 * time.Second); got != 2 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err := client(0).Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		got = res.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	if got != 2 {
		t.Errorf("serial %d 10 s after renewal, want 2", got)
	}
	if !strings.Contains(stderr.String(), "TLS certificate reloaded") {
		t.Errorf("no log line says the certificate was reloaded")
	}
}
