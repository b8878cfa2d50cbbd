// Package pdftest reads a PDF the way a person would, for tests: its text
// with pdftotext and its pages as PNG images with pdftoppm (Debian's
// poppler-utils). Without those tools a test skips, unless
// KAPSTONE_REQUIRE_BROWSER=1 (as in CI) makes their absence a failure.
package pdftest

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Read writes pdf to a temporary file and returns its text (pdftotext
// -layout) and each page rendered at 60 dpi (pdftoppm -png), enough to
// tell a drawn page from a blank one. When
// KAPSTONE_PDF_SHOTS names a folder, the pages are also copied there as
// <name>-<n>.png, to be looked at.
func Read(t *testing.T, name string, pdf []byte) (string, []image.Image) {
	t.Helper()
	return ReadAt(t, name, pdf, 60)
}

// ReadAt is Read with the pages rendered at dpi dots per inch.
func ReadAt(t *testing.T, name string, pdf []byte, dpi int) (string, []image.Image) {
	t.Helper()
	for _, tool := range []string{"pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("KAPSTONE_REQUIRE_BROWSER") == "1" {
				t.Fatalf("%s is required (KAPSTONE_REQUIRE_BROWSER=1) but missing: apt-get install poppler-utils", tool)
			}
			t.Skipf("%s not installed (poppler-utils)", tool)
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	text := string(out)
	if msg, err := exec.Command("pdftoppm", "-png", "-r", itoa(dpi), in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, msg)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	sort.Strings(files)
	var pages []image.Image
	shots := os.Getenv("KAPSTONE_PDF_SHOTS")
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		pages = append(pages, img)
		if shots != "" {
			_ = os.MkdirAll(shots, 0o755)
			_ = os.WriteFile(filepath.Join(shots, name+"-"+itoa(i+1)+".png"), b, 0o644)
		}
	}
	if len(pages) == 0 {
		t.Fatal("pdftoppm made no page")
	}
	return text, pages
}

// Text returns the text of pdf (pdftotext), without drawing its pages:
// for a test that reads many PDFs and only looks for words in them.
func Text(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("KAPSTONE_REQUIRE_BROWSER") == "1" {
			t.Fatalf("pdftotext is required (KAPSTONE_REQUIRE_BROWSER=1) but missing: apt-get install poppler-utils")
		}
		t.Skip("pdftotext not installed (poppler-utils)")
	}
	in := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return string(out)
}

// Ink returns how many pixels of img are not (nearly) white.
func Ink(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				n++
			}
		}
	}
	return n
}

// Flat returns text with every run of white space as one space, so a
// phrase wrapped or laid out in columns can still be found.
func Flat(text string) string { return strings.Join(strings.Fields(text), " ") }

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}
