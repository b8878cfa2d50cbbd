package media

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/media/mediatest"
)

// allocated is how many bytes f allocated (the whole process's
// TotalAlloc, so the test runs alone, not in parallel).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestCleanRefusesADecompressionBomb: the attack's file, a 308 KB PNG whose
// header declares 6300×6300 pixels of 16-bit RGBA (317 MB decoded), is
// refused from its header with a sentence naming its size, and checking
// it allocates little. So are images over the pixel count or a side.
func TestCleanRefusesADecompressionBomb(t *testing.T) {
	bomb := mediatest.BombPNG(6300, 6300)
	if len(bomb) > MaxBytes {
		t.Fatalf("the bomb is %d bytes, over the upload limit", len(bomb))
	}
	var err error
	used := allocated(func() { _, err = Clean(bomb) })
	t.Logf("checking a %d-byte PNG declaring 6300×6300×16-bit RGBA allocated %d bytes", len(bomb), used)
	if !errors.Is(err, ErrTooBig) {
		t.Fatalf("Clean(bomb) = %v, want ErrTooBig", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "6300×6300") || !strings.Contains(msg, "the largest we accept") {
		t.Errorf("the refusal %q does not name the image's size and the limit", msg)
	}
	if used > 20<<20 {
		t.Errorf("checking the bomb allocated %d MB, want well under 20 MB", used>>20)
	}
	for _, sz := range [][2]int{{MaxSide + 1, 1}, {1, MaxSide + 1}, {6000, 6000}} {
		if _, err := Clean(mediatest.BombPNG(sz[0], sz[1])); !errors.Is(err, ErrTooBig) {
			t.Errorf("Clean(%d×%d) = %v, want ErrTooBig", sz[0], sz[1], err)
		}
	}
	// 4200×4200 is under the pixel count, but at 16-bit RGBA it would take
	// 141 MB to decode.
	if _, err := Clean(mediatest.BombPNG(4200, 4200)); !errors.Is(err, ErrTooBig) || !strings.Contains(err.Error(), "4200×4200") {
		t.Errorf("Clean(4200×4200 16-bit) = %v, want ErrTooBig naming its size", err)
	}
	// A small 16-bit image is still accepted.
	if p, err := Clean(mediatest.BombPNG(64, 48)); err != nil || p.Width != 64 || p.Height != 48 {
		t.Errorf("Clean(a 64×48 16-bit PNG) = %+v, %v", p, err)
	}
}

// TestCleanBoundsConcurrentDecodes: however many uploads arrive at once,
// at most MaxDecodes images are decoded at a time; a request cancelled
// while it waits gives up its place at once with its context's error.
func TestCleanBoundsConcurrentDecodes(t *testing.T) {
	var p bytes.Buffer
	if err := png.Encode(&p, picture()); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var mu sync.Mutex
	active, most := 0, 0
	entered := make(chan struct{}, 16)
	hook := func() {
		mu.Lock()
		active++
		most = max(most, active)
		mu.Unlock()
		entered <- struct{}{}
		<-release
		mu.Lock()
		active--
		mu.Unlock()
	}
	decodeHook.Store(&hook)
	defer decodeHook.Store(nil)

	const uploads = 8
	var wg sync.WaitGroup
	errs := make(chan error, uploads)
	for range uploads {
		wg.Go(func() {
			_, err := CleanContext(context.Background(), p.Bytes())
			errs <- err
		})
	}
	for range MaxDecodes {
		<-entered
	}
	// The others wait: none enters while the first ones hold their places.
	select {
	case <-entered:
		t.Fatalf("a decode began while %d were running", MaxDecodes)
	case <-time.After(50 * time.Millisecond):
	}
	// A cancelled request waiting for a place returns at once.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := CleanContext(ctx, p.Bytes()); done <- err }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || IsProblem(err) {
			t.Errorf("a cancelled wait = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled request kept waiting for a decode slot")
	}
	go func() {
		for range uploads - MaxDecodes {
			<-entered
		}
	}()
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("an upload waiting its turn failed: %v", err)
		}
	}
	t.Logf("%d uploads at once: at most %d decoded at a time (bound %d)", uploads, most, MaxDecodes)
	if most > MaxDecodes || most < 1 {
		t.Errorf("%d decodes ran at once, want at most %d", most, MaxDecodes)
	}
}

// TestFootprint: the memory a decode takes, from the header: a colour
// JPEG as Go writes it (4:2:0, 1.5 samples a pixel), the same marked
// progressive (coefficients too), and a header it cannot read (the worst).
func TestFootprint(t *testing.T) {
	var j bytes.Buffer
	if err := jpeg.Encode(&j, picture(), nil); err != nil {
		t.Fatal(err)
	}
	prog := append([]byte{}, j.Bytes()...)
	for i := 0; i+1 < len(prog); i++ {
		if prog[i] == 0xFF && prog[i+1] == 0xC0 {
			prog[i+1] = 0xC2
			break
		}
	}
	for name, tt := range map[string]struct {
		data        []byte
		progressive bool
		samples     float64
	}{
		"baseline":    {j.Bytes(), false, 1.5},
		"progressive": {prog, true, 1.5},
		"no frame":    {j.Bytes()[:20], true, 4},
		"not a jpeg":  {[]byte("GIF89a"), true, 4},
	} {
		if p, s := jpegFrame(tt.data); p != tt.progressive || s != tt.samples {
			t.Errorf("jpegFrame(%s) = %v, %v; want %v, %v", name, p, s, tt.progressive, tt.samples)
		}
	}
	cfg := image.Config{ColorModel: color.YCbCrModel, Width: 40, Height: 30}
	if got := footprint(j.Bytes(), "jpeg", cfg); got != 40*30*3 {
		t.Errorf("footprint(baseline) = %d, want %d", got, 40*30*3)
	}
	if got := footprint(prog, "jpeg", cfg); got != 40*30*3+40*30*6 {
		t.Errorf("footprint(progressive) = %d, want %d", got, 40*30*9)
	}
	for _, tt := range []struct {
		m    color.Model
		want int64
	}{{color.GrayModel, 1}, {color.Gray16Model, 2}, {color.YCbCrModel, 3}, {color.NRGBAModel, 4}, {color.CMYKModel, 4}, {color.NRGBA64Model, 8}, {color.RGBA64Model, 8}, {color.Palette{color.Black}, 1}} {
		if got := bytesPerPixel(tt.m); got != tt.want {
			t.Errorf("bytesPerPixel(%#v) = %d, want %d", tt.m, got, tt.want)
		}
	}
}
