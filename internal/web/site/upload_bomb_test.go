package site_test

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/media/mediatest"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestUploadDecompressionBombRefused: the attack's upload, a 308 KB PNG
// declaring 6300×6300 pixels of 16-bit RGBA (317 MB decoded; it raised the
// server by 460 MB), is refused at the file field with its size and the
// limit, the alt text kept, nothing saved, and the whole request
// allocates little.
func TestUploadDecompressionBombRefused(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	bomb := mediatest.BombPNG(6300, 6300)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := f.Upload(thea, "", bomb, "Hills at dawn")
	runtime.ReadMemStats(&after)
	used := after.TotalAlloc - before.TotalAlloc
	t.Logf("uploading a %d-byte PNG declaring 6300×6300 16-bit RGBA: %d, %d bytes allocated", len(bomb), r.Status, used)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("upload of the bomb = %d, want 422", r.Status)
	}
	if !strings.Contains(r.Body, `id="upload-image-error"`) || !strings.Contains(r.Body, "This image is 6300×6300 pixels; the largest we accept is") {
		t.Errorf("the refusal is not at the file field with the image's size")
	}
	if !strings.Contains(r.Body, `value="Hills at dawn"`) {
		t.Errorf("the alt text was not kept")
	}
	if used > 20<<20 {
		t.Errorf("the refused upload allocated %d MB, want well under 20 MB", used>>20)
	}
	if images, _ := f.St.RecentImages(context.Background(), f.As("thea@example.org"), 10); len(images) != 0 {
		t.Errorf("%d images kept after a refused upload, want none", len(images))
	}
}
