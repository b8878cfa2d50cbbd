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

// TestSaveImageKeepsTheCleanedPicture: SaveImage stores and serves what
// media.Clean wrote again, not the upload (whose checks are tested in
// internal/media): a photo with something appended is kept without it,
// with the cleaned copy's size.
func TestSaveImageKeepsTheCleanedPicture(t *testing.T) {
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
	photo := append(plain.Bytes(), []byte("<?php system($_GET['c']); ?>")...)
	img, err := s.SaveImage(ctx, staff, photo, "A test card")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Image(ctx, img.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(got.Bytes, []byte("<?php")) {
		t.Errorf("the kept image still holds what was appended to the upload")
	}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(got.Bytes)); err != nil || format != "jpeg" || cfg.Width != 40 || cfg.Height != 30 || got.Size != len(got.Bytes) || got.ContentType != "image/jpeg" {
		t.Errorf("the kept image: %v %q %dx%d, %s, size %d of %d", err, format, cfg.Width, cfg.Height, got.ContentType, got.Size, len(got.Bytes))
	}
}
