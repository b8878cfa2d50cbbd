// Package media checks an uploaded picture and writes it again, so that
// what kapstone keeps and serves is only the picture: its type read from
// the bytes (never a file name or a client's word), its size bounded, and
// its metadata (a phone photo's GPS position, the camera) and anything
// appended to the file dropped. It uses the standard library's decoders
// and no database.
package media

import (
	"bytes"
	"errors"
	"image"
	"image/gif" // image.DecodeConfig knows GIF, JPEG and PNG, and nothing else
	"image/jpeg"
	"image/png"
)

// Limits on an image.
const (
	MaxBytes  = 5 << 20
	MaxSide   = 10_000 // pixels, either way
	MaxPixels = 40_000_000
)

// Problem is what is wrong with an uploaded file: a sentence to show the
// person who uploaded it.
type Problem string

func (p Problem) Error() string { return string(p) }

// The problems Clean finds.
const (
	ErrEmpty      Problem = "Choose an image to upload."
	ErrTooLarge   Problem = "That image is larger than 5 MB. Save a smaller copy (about 2000 pixels wide is plenty) and upload that."
	ErrNotImage   Problem = "That file is not a JPEG, PNG or GIF image."
	ErrTooBig     Problem = "Use an image of at most 40 megapixels (10,000 pixels each way at most)."
	ErrUnreadable Problem = "That image could not be read; save it again as a JPEG or PNG and upload that."
)

// Picture is an image as Clean wrote it again.
type Picture struct {
	ContentType   string // image/jpeg, image/png or image/gif
	Width, Height int
	Bytes         []byte
}

// types are the formats kapstone accepts, by image.DecodeConfig's name.
var types = map[string]string{"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif"}

// Clean checks data is a JPEG, PNG or GIF of at most MaxBytes and
// MaxSide pixels a side (MaxPixels in all), read from its header before
// anything is decoded, and returns it decoded and encoded again in its
// own format (a GIF's first frame only). The error is a Problem.
func Clean(data []byte) (*Picture, error) {
	switch {
	case len(data) == 0:
		return nil, ErrEmpty
	case len(data) > MaxBytes:
		return nil, ErrTooLarge
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	ct, ok := types[format]
	switch {
	case err != nil || !ok:
		return nil, ErrNotImage
	case cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxSide || cfg.Height > MaxSide || cfg.Width*cfg.Height > MaxPixels:
		return nil, ErrTooBig
	}
	clean, err := reencode(data, format)
	if err != nil {
		return nil, ErrUnreadable
	}
	// The size is the picture's as written: a GIF's first frame may be
	// smaller than the screen its header declares.
	if cfg, _, err = image.DecodeConfig(bytes.NewReader(clean)); err != nil {
		return nil, ErrUnreadable
	}
	return &Picture{ContentType: ct, Width: cfg.Width, Height: cfg.Height, Bytes: clean}, nil
}

// reencode decodes an image and writes it again in its format (a GIF's
// first frame only), dropping metadata and trailing data.
func reencode(data []byte, format string) ([]byte, error) {
	m, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	switch format {
	case "jpeg":
		err = jpeg.Encode(&out, m, &jpeg.Options{Quality: 90})
	case "png":
		err = png.Encode(&out, m)
	case "gif":
		err = gif.Encode(&out, m, nil)
	default:
		err = errors.New("unsupported image format " + format)
	}
	return out.Bytes(), err
}
