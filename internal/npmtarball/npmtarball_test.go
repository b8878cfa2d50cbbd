package npmtarball

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestIntegrity(t *testing.T) {
	data := []byte("kapstone")
	sum := sha512.Sum512(data)
	good := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	if err := CheckIntegrity(data, good); err != nil {
		t.Errorf("the right integrity fails: %v", err)
	}
	if err := CheckIntegrity([]byte("kapstonE"), good); err == nil {
		t.Error("changed data passes the integrity check")
	}
	if err := CheckIntegrity(data, "sha1-abc"); err == nil {
		t.Error("a sha1 integrity passes")
	}
}

func tarball(files map[string]string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))})
		_, _ = tw.Write([]byte(body))
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}

func TestExtract(t *testing.T) {
	tgz := tarball(map[string]string{"package/README.md": "hi", "package/axe.min.js": "axe()"})
	if b, err := Extract(tgz, "package/axe.min.js", 5); err != nil || string(b) != "axe()" {
		t.Errorf("Extract = %q, %v; want axe()", b, err)
	}
	if _, err := Extract(tgz, "package/axe.min.js", 4); err == nil {
		t.Error("a file over the limit is returned")
	}
	if _, err := Extract(tgz, "package/fhir.schema.json", 1<<20); err == nil {
		t.Error("a tarball without the file gives no error")
	}
	if _, err := Extract([]byte("not gzip"), "package/axe.min.js", 1<<20); err == nil {
		t.Error("a file that is not a tarball gives no error")
	}
}

type fakeT struct{ fatal, skip string }

func (f *fakeT) Helper()                        {}
func (f *fakeT) Fatalf(format string, a ...any) { f.fatal = fmt.Sprintf(format, a...) }
func (f *fakeT) Skipf(format string, a ...any)  { f.skip = fmt.Sprintf(format, a...) }

// TestUnavailable: without the network a test is skipped, unless the
// variable CI sets is 1, which fails it.
func TestUnavailable(t *testing.T) {
	const env = "KAPSTONE_TEST_NPMTARBALL_REQUIRE"
	offline := errors.New("no route to host")
	t.Setenv(env, "")
	var f fakeT
	Unavailable(&f, "axe-core 4.14.1", env, offline)
	if f.fatal != "" || !strings.Contains(f.skip, env+"=1") {
		t.Errorf("without %s: fatal %q, skip %q; want a skip naming it", env, f.fatal, f.skip)
	}
	t.Setenv(env, "1")
	f = fakeT{}
	Unavailable(&f, "axe-core 4.14.1", env, offline)
	if f.skip != "" || !strings.Contains(f.fatal, "no route to host") {
		t.Errorf("with %s=1: fatal %q, skip %q; want a failure", env, f.fatal, f.skip)
	}
}
