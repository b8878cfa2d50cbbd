// Package npmtarball fetches a pinned package tarball from the npm registry
// for tests, the way the go command fetches a module: once, into a cache
// directory, checked against the registry's integrity (sha512) before every
// use, and read with archive/tar. npm itself is not needed. Only tests import
// it (cmd/kapstone's accessibility walk reads axe-core with it, internal/fhir's
// schema tests HL7's FHIR R4 JSON schema), so nothing it fetches reaches the
// binary.
package npmtarball

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Tarball is one pinned package version on the registry.
type Tarball struct {
	// Name is the file name without ".tgz", e.g. "axe-core-4.14.1"; the
	// tarball is cached as $XDG_CACHE_HOME (or ~/.cache)/kapstone/<Name>/<Name>.tgz.
	Name      string
	URL       string // the registry's tarball URL (npm view <pkg>@<version> dist.tarball)
	Integrity string // npm's "sha512-<base64>" (npm view <pkg>@<version> dist.integrity)
}

// CacheFile is where the tarball is kept.
func (t Tarball) CacheFile() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "kapstone", t.Name, t.Name+".tgz"), nil
}

// Load returns the tarball: the cached copy, or, when it is missing or does
// not match the integrity, a fresh download (up to three tries, so a passing
// network blip does not fail a run).
func (t Tarball) Load() ([]byte, error) {
	file, err := t.CacheFile()
	if err != nil {
		return nil, err
	}
	tgz, err := os.ReadFile(file)
	if err == nil && CheckIntegrity(tgz, t.Integrity) == nil {
		return tgz, nil
	}
	for try := 1; ; try++ {
		if tgz, err = t.fetch(file); err == nil {
			return tgz, nil
		}
		if try == 3 {
			return nil, err
		}
		time.Sleep(time.Duration(try) * 2 * time.Second)
	}
}

// File returns the file at path inside the tarball (npm tarballs put
// everything under "package/"), read up to limit bytes.
func (t Tarball) File(path string, limit int64) ([]byte, error) {
	tgz, err := t.Load()
	if err != nil {
		return nil, err
	}
	return Extract(tgz, path, limit)
}

// fetch downloads the pinned tarball, checks it and stores it in file
// (through a temporary file and a rename, so a half-written tarball is
// never taken for the real one).
func (t Tarball) fetch(file string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", t.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %s", t.URL, resp.Status)
	}
	tgz, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", t.URL, err)
	}
	if err := CheckIntegrity(tgz, t.Integrity); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", t.URL, err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".download-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(tgz); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return nil, err
	}
	return tgz, nil
}

// CheckIntegrity compares data with an npm integrity string
// ("sha512-<base64>").
func CheckIntegrity(data []byte, integrity string) error {
	want, ok := strings.CutPrefix(integrity, "sha512-")
	if !ok {
		return fmt.Errorf("integrity %q is not sha512", integrity)
	}
	sum := sha512.Sum512(data)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("integrity mismatch: got sha512-%s, want %s", got, integrity)
	}
	return nil
}

// Extract returns the file at path in the gzipped tarball, read up to
// limit bytes; a file longer than that is an error, not cut short.
func Extract(tgz []byte, path string, limit int64) ([]byte, error) {
	gz, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s is not in the tarball", path)
		}
		if err != nil {
			return nil, err
		}
		if h.Name == path {
			b, err := io.ReadAll(io.LimitReader(tr, limit+1))
			if err == nil && int64(len(b)) > limit {
				return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
			}
			return b, err
		}
	}
}

// Unavailable handles a tarball that could not be loaded: the test fails
// when the environment variable require is "1" (CI sets it), and is
// skipped, saying how to make that a failure, otherwise.
func Unavailable(t interface {
	Helper()
	Fatalf(string, ...any)
	Skipf(string, ...any)
}, what, require string, err error) {
	t.Helper()
	if os.Getenv(require) == "1" {
		t.Fatalf("%s=1 but %s is not available: %v", require, what, err)
		return
	}
	t.Skipf("%s is not available (%v); set %s=1 to make this a failure", what, err, require)
}
