// Package media checks an uploaded picture and writes it again, so that
// what kapstone keeps and serves is only the picture: its type read from
// the bytes (never a file name or a client's word), its size bounded, and
// its metadata (a phone photo's GPS position, the camera) and anything
// appended to the file dropped. It uses the standard library's decoders
// and no database.
package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif" // image.DecodeConfig knows GIF, JPEG and PNG, and nothing else
	"image/jpeg"
	"image/png"
	"sync/atomic"
)

// Limits on an image. A decoded picture takes far more memory than its
// file (a 2 MB PNG can declare 6300×6300 pixels of 16-bit RGBA, 317 MB
// decoded), so an image is refused from its header when its pixels, or
// the memory its decoding would take (MaxDecoded, by the bytes each
// pixel takes in its colour model), are over the limit; and at most
// MaxDecodes images are decoded at once, so uploads at the same time
// cannot add up to more than MaxDecodes×MaxDecoded.
const (
	MaxBytes   = 5 << 20
	MaxSide    = 10_000     // pixels, either way
	MaxPixels  = 25_000_000 // a 24-megapixel phone photo (5712×4284) fits
	MaxDecoded = 128 << 20  // bytes the decoder may allocate for one image
	MaxDecodes = 2          // images decoded at the same time
)

// slots holds a token for each decode running (at most MaxDecodes).
var slots = make(chan struct{}, MaxDecodes)

// decodeHook, when set (by tests), runs while a decode holds its slot.
var decodeHook atomic.Pointer[func()]

// Problem is what is wrong with an uploaded file: a sentence to show the
// person who uploaded it.
type Problem string

func (p Problem) Error() string { return string(p) }

// tooBig is ErrTooBig with the sentence naming the image's size.
type tooBig struct{ msg string }

func (e tooBig) Error() string        { return e.msg }
func (e tooBig) Is(target error) bool { return target == ErrTooBig }

// IsProblem reports whether err is something wrong with the uploaded file
// (to show at the field), not a failure of the server or a cancelled
// request.
func IsProblem(err error) bool {
	var p Problem
	var tb tooBig
	return errors.As(err, &p) || errors.As(err, &tb)
}

// The problems Clean finds.
const (
	ErrEmpty      Problem = "Choose an image to upload."
	ErrTooLarge   Problem = "That image is larger than 5 MB. Save a smaller copy (about 2000 pixels wide is plenty) and upload that."
	ErrNotImage   Problem = "That file is not a JPEG, PNG or GIF image."
	ErrTooBig     Problem = "Use an image of at most 25 megapixels (10,000 pixels each way at most)."
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

// Clean is CleanContext without a request that could be cancelled.
func Clean(data []byte) (*Picture, error) {
	return CleanContext(context.Background(), data)
}

// CleanContext checks data is a JPEG, PNG or GIF of at most MaxBytes,
// MaxSide pixels a side, MaxPixels in all and MaxDecoded bytes decoded,
// read from its header before anything is decoded, and returns it decoded
// and encoded again in its own format (a GIF's first frame only). It
// waits for one of MaxDecodes places to decode, giving up with ctx's
// error when ctx ends first. Any other error is a Problem (IsProblem).
func CleanContext(ctx context.Context, data []byte) (*Picture, error) {
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
	case cfg.Width < 1 || cfg.Height < 1:
		return nil, ErrUnreadable
	case cfg.Width > MaxSide || cfg.Height > MaxSide || int64(cfg.Width)*int64(cfg.Height) > MaxPixels:
		return nil, tooBig{fmt.Sprintf("This image is %d×%d pixels; the largest we accept is %d megapixels, at most %s pixels each way. Save a smaller copy (about 2000 pixels wide is plenty) and upload that.",
			cfg.Width, cfg.Height, MaxPixels/1_000_000, "10,000")}
	case footprint(data, format, cfg) > MaxDecoded:
		return nil, tooBig{fmt.Sprintf("This image is %d×%d pixels at a colour depth that takes too much memory to read; the largest we accept at this depth is %.1f megapixels. Save a smaller copy as an ordinary 8-bit JPEG or PNG (about 2000 pixels wide is plenty) and upload that.",
			cfg.Width, cfg.Height, float64(cfg.Width)*float64(cfg.Height)*MaxDecoded/float64(footprint(data, format, cfg))/1e6)}
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-slots }()
	if hook := decodeHook.Load(); hook != nil {
		(*hook)()
	}
	clean, err := reencode(data, format)
	if err != nil {
		return nil, ErrUnreadable
	}
	// The size is the picture's as written: a GIF's first frame may be
	// smaller than the screen its header declares.
	// A GIF whose first frame is empty (no rows or columns) re-encodes to
	// an empty picture: refused like an unreadable one (found by FuzzClean).
	if cfg, _, err = image.DecodeConfig(bytes.NewReader(clean)); err != nil || cfg.Width < 1 || cfg.Height < 1 {
		return nil, ErrUnreadable
	}
	return &Picture{ContentType: ct, Width: cfg.Width, Height: cfg.Height, Bytes: clean}, nil
}

// footprint is about the most memory the standard library's decoder
// allocates for the image: its pixels at the bytes each takes in the
// colour model DecodeConfig reports, twice over for an interlaced PNG
// (each pass is decoded apart, then merged), plus a progressive JPEG's
// coefficients (an int32 for each sample of each component, kept until
// the last scan).
func footprint(data []byte, format string, cfg image.Config) int64 {
	pixels := int64(cfg.Width) * int64(cfg.Height)
	size := pixels * bytesPerPixel(cfg.ColorModel)
	switch format {
	case "png":
		if len(data) > 28 && data[28] == 1 { // IHDR's interlace method: Adam7
			size *= 2
		}
	case "jpeg":
		if progressive, samples := jpegFrame(data); progressive {
			size += int64(float64(pixels) * samples * 4)
		}
	}
	return size
}

// bytesPerPixel is how many bytes a pixel takes in the image the
// decoders return for colour model m (8, the most, when unknown).
func bytesPerPixel(m color.Model) int64 {
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	}
	return 8
}

// jpegFrame reads a JPEG's frame header: whether it is progressive and
// how many samples it holds per pixel (its components, each at its
// sampling). A header it cannot find counts as progressive with four
// full components, the most the decoder allocates.
func jpegFrame(data []byte) (progressive bool, samples float64) {
	const worst = 4
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return true, worst
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return true, worst
		}
		marker := data[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0x01 || marker >= 0xD0 && marker <= 0xD7 { // no length
			i += 2
			continue
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
			seg := data[i+4 : min(len(data), i+2+n)]
			if len(seg) < 6 {
				return true, worst
			}
			comps := int(seg[5])
			if comps < 1 || len(seg) < 6+3*comps {
				return true, worst
			}
			hmax, vmax := 1, 1
			for c := range comps {
				hv := seg[6+3*c+1]
				hmax, vmax = max(hmax, int(hv>>4)), max(vmax, int(hv&15))
			}
			for c := range comps {
				hv := seg[6+3*c+1]
				samples += float64(max(1, int(hv>>4))*max(1, int(hv&15))) / float64(hmax*vmax)
			}
			return marker == 0xC2, samples
		}
		i += 2 + n
	}
	return true, worst
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
