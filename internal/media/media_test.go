package media

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

func picture() *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		for y := range 30 {
			m.Set(x, y, color.RGBA{uint8(x * 6), uint8(y * 8), 120, 255})
		}
	}
	return m
}

// TestCleanKeepsOnlyThePicture: an uploaded photo is decoded and written
// again, so its EXIF block (a phone's GPS position) and anything appended
// to the file are not kept; huge images are refused from their header.
func TestCleanKeepsOnlyThePicture(t *testing.T) {
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, picture(), nil); err != nil {
		t.Fatal(err)
	}
	// SOI, then an APP1 "Exif" segment naming a GPS position, then the
	// rest of the JPEG, then a trailer.
	exif := append([]byte("Exif\x00\x00"), []byte("GPSLatitude 41.8781 N GPSLongitude 87.6298 W")...)
	seg := append([]byte{0xFF, 0xE1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}, exif...)
	photo := append(append(append([]byte{}, plain.Bytes()[:2]...), seg...), plain.Bytes()[2:]...)
	photo = append(photo, []byte("<?php system($_GET['c']); ?>")...)
	got, err := Clean(photo)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"Exif", "GPSLatitude", "<?php"} {
		if bytes.Contains(got.Bytes, []byte(leak)) {
			t.Errorf("the cleaned image still holds %q", leak)
		}
	}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(got.Bytes)); err != nil || format != "jpeg" || cfg.Width != 40 || cfg.Height != 30 {
		t.Errorf("the cleaned image: %v %q %dx%d", err, format, cfg.Width, cfg.Height)
	}
	if got.ContentType != "image/jpeg" || got.Width != 40 || got.Height != 30 {
		t.Errorf("Clean = %s %dx%d, want image/jpeg 40x30", got.ContentType, got.Width, got.Height)
	}
	// A 9,000 × 9,000 image (81 megapixels) is refused from its header,
	// before anything is decoded.
	huge := append([]byte{}, plain.Bytes()...)
	for i := 0; i+8 < len(huge); i++ {
		if huge[i] == 0xFF && (huge[i+1] == 0xC0 || huge[i+1] == 0xC2) { // start of frame: height, width
			huge[i+5], huge[i+6], huge[i+7], huge[i+8] = 0x23, 0x28, 0x23, 0x28
			break
		}
	}
	if _, err := Clean(huge); !errors.Is(err, ErrTooBig) {
		t.Errorf("an 81-megapixel image = %v, want ErrTooBig", err)
	}
}

// TestCleanFormats: each accepted format comes back in its own format, a
// PNG written by Go unchanged; everything else is a Problem.
func TestCleanFormats(t *testing.T) {
	var p, g bytes.Buffer
	if err := png.Encode(&p, picture()); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&g, picture(), nil); err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		data []byte
		ct   string
	}{"png": {p.Bytes(), "image/png"}, "gif": {g.Bytes(), "image/gif"}} {
		got, err := Clean(tt.data)
		if err != nil || got.ContentType != tt.ct || got.Width != 40 || got.Height != 30 {
			t.Errorf("Clean(%s) = %+v, %v", name, got, err)
		}
	}
	if got, _ := Clean(p.Bytes()); got == nil || !bytes.Equal(got.Bytes, p.Bytes()) {
		t.Errorf("a PNG written by Go changed when cleaned")
	}
	for name, tt := range map[string]struct {
		data []byte
		want Problem
	}{
		"empty":       {nil, ErrEmpty},
		"over 5 MB":   {append(append([]byte{}, p.Bytes()...), make([]byte, MaxBytes)...), ErrTooLarge},
		"html":        {[]byte("<html><script>alert(1)</script></html>"), ErrNotImage},
		"svg":         {[]byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), ErrNotImage},
		"webp header": {[]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), ErrNotImage},
		"truncated":   {p.Bytes()[:20], ErrNotImage},
		"no pixels":   {p.Bytes()[:len(p.Bytes())-40], ErrUnreadable},
	} {
		if _, err := Clean(tt.data); err != tt.want {
			t.Errorf("Clean(%s) = %v, want %v", name, err, tt.want)
		}
	}
}
