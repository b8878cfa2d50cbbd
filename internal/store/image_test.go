package store_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestSaveImageKeepsOnlyThePicture: an uploaded photo is decoded and
// written again, so its EXIF block (a phone's GPS position) and anything
// appended to the file are not kept or served; huge images are refused.
func TestSaveImageKeepsOnlyThePicture(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	u := &clinic.User{Email: "w@example.org", DisplayName: "Wren", Role: clinic.RoleTherapist}
	if err := s.CreateUser(ctx, store.System, u, "x"); err != nil {
		t.Fatal(err)
	}
	staff := store.Actor{UserID: u.ID, Role: u.Role}
	m := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		for y := range 30 {
			m.Set(x, y, color.RGBA{uint8(x * 6), uint8(y * 8), 120, 255})
		}
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, m, nil); err != nil {
		t.Fatal(err)
	}
	// SOI, then an APP1 "Exif" segment naming a GPS position, then the
	// rest of the JPEG, then a trailer.
	exif := append([]byte("Exif\x00\x00"), []byte("GPSLatitude 41.8781 N GPSLongitude 87.6298 W")...)
	seg := append([]byte{0xFF, 0xE1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}, exif...)
	photo := append(append(append([]byte{}, plain.Bytes()[:2]...), seg...), plain.Bytes()[2:]...)
	photo = append(photo, []byte("<?php system($_GET['c']); ?>")...)
	img, err := s.SaveImage(ctx, staff, photo, "A test card")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Image(ctx, img.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"Exif", "GPSLatitude", "<?php"} {
		if bytes.Contains(got.Bytes, []byte(leak)) {
			t.Errorf("the kept image still holds %q", leak)
		}
	}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(got.Bytes)); err != nil || format != "jpeg" || cfg.Width != 40 || cfg.Height != 30 || got.Size != len(got.Bytes) {
		t.Errorf("the kept image: %v %q %dx%d, size %d of %d", err, format, cfg.Width, cfg.Height, got.Size, len(got.Bytes))
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
	if _, err := s.SaveImage(ctx, staff, huge, "x"); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("an 81-megapixel image = %v, want refused", err)
	}
}

// TestSlugsKeepAccentedLetters: a title with accents keeps its letters in
// the post's address.
func TestSlugsKeepAccentedLetters(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	u := &clinic.User{Email: "w@example.org", DisplayName: "Wren", Role: clinic.RoleTherapist}
	if err := s.CreateUser(ctx, store.System, u, "x"); err != nil {
		t.Fatal(err)
	}
	p := &store.Post{Title: "Ängste verstehen: Café-Gespräche", Body: "Text.", Status: store.PostDraft}
	if err := s.SavePost(ctx, store.Actor{UserID: u.ID, Role: u.Role}, p); err != nil {
		t.Fatal(err)
	}
	if p.Slug != "angste-verstehen-cafe-gesprache" {
		t.Errorf("slug = %q, want angste-verstehen-cafe-gesprache", p.Slug)
	}
}
