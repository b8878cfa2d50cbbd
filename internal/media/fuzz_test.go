package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// fuzzPixelLimit is the most pixels an input may declare for FuzzClean to
// hand it to Clean: a larger one costs the fuzzer seconds and hundreds of
// megabytes per run, and the memory a large declared image takes is the
// subject of a test of its own. Inputs above it are still checked to be
// refused or cleaned from the header alone, without decoding.
const fuzzPixelLimit = 1 << 20

// fuzzImages returns small images of each accepted format, with metadata
// and trailing data attached, for seeds.
func fuzzImages(f *testing.F) [][]byte {
	f.Helper()
	rgba := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(i * 37)
	}
	var pngBuf, jpegBuf, gifBuf, gray16Buf bytes.Buffer
	if err := png.Encode(&pngBuf, rgba); err != nil {
		f.Fatal(err)
	}
	if err := jpeg.Encode(&jpegBuf, rgba, &jpeg.Options{Quality: 50}); err != nil {
		f.Fatal(err)
	}
	pal := image.NewPaletted(image.Rect(0, 0, 2, 2), palette.Plan9[:4])
	frames := &gif.GIF{Image: []*image.Paletted{pal, pal}, Delay: []int{1, 1}}
	if err := gif.EncodeAll(&gifBuf, frames); err != nil {
		f.Fatal(err)
	}
	g16 := image.NewGray16(image.Rect(0, 0, 1, 1))
	g16.Set(0, 0, color.Gray16{Y: 0xabcd})
	if err := png.Encode(&gray16Buf, g16); err != nil {
		f.Fatal(err)
	}
	p, j, g := pngBuf.Bytes(), jpegBuf.Bytes(), gifBuf.Bytes()

	// A PNG with a tEXt chunk (metadata) after IHDR, and trailing bytes.
	text := pngChunk("tEXt", []byte("GPS\x0041.8781 N"))
	pngMeta := append(append(append([]byte{}, p[:33]...), text...), p[33:]...)
	pngMeta = append(pngMeta, "<?php ?>"...)
	// A JPEG with an Exif APP1 and a comment after SOI.
	exif := append([]byte{0xFF, 0xE1, 0, 16}, "Exif\x00\x00GPS 41.8N"...)
	com := append([]byte{0xFF, 0xFE, 0, 7}, "hello"...)
	jpegMeta := append(append(append(append([]byte{}, j[:2]...), exif...), com...), j[2:]...)
	// A GIF (local colour tables, no global one) with a comment extension
	// after its screen descriptor.
	gifMeta := append(append(append([]byte{}, g[:13]...), 0x21, 0xFE, 5, 'h', 'e', 'l', 'l', 'o', 0), g[13:]...)
	// A PNG header declaring 10,001 x 1 pixels, and one declaring a
	// 16-bit 2000 x 2000 image with nothing behind it.
	wide := append(append([]byte{}, p[:8]...), pngChunk("IHDR", ihdr(10001, 1, 8, 6))...)
	big := append(append([]byte{}, p[:8]...), pngChunk("IHDR", ihdr(2000, 2000, 16, 6))...)
	return [][]byte{p, j, g, gray16Buf.Bytes(), pngMeta, jpegMeta, gifMeta, wide, big, p[:40], j[:len(j)/2], g[:20],
		[]byte("GIF89a"), []byte("\x89PNG\r\n\x1a\n"), {0xFF, 0xD8, 0xFF}, []byte("<svg onload=alert(1)>"), {}}
}

func ihdr(w, h uint32, depth, colorType byte) []byte {
	b := make([]byte, 13)
	binary.BigEndian.PutUint32(b[0:], w)
	binary.BigEndian.PutUint32(b[4:], h)
	b[8], b[9] = depth, colorType
	return b
}

// pngChunk builds a PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32IEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

func crc32IEEE(b []byte) uint32 {
	c := ^uint32(0)
	for _, x := range b {
		c ^= uint32(x)
		for range 8 {
			c = c>>1 ^ 0xEDB88320&-(c&1)
		}
	}
	return ^c
}

// FuzzClean checks the image upload on any bytes: Clean refuses with one
// of its Problems and no picture, or returns a picture that decodes in the
// type it names, at the size it names, within MaxSide and MaxPixels, whose
// file holds only image data (no text, Exif or comment chunks or segments,
// nothing after its end), and which Clean takes again unchanged in type
// and size.
func FuzzClean(f *testing.F) {
	for _, b := range fuzzImages(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width*cfg.Height > fuzzPixelLimit {
			if cfg.Width <= MaxSide && cfg.Height <= MaxSide && cfg.Width*cfg.Height <= MaxPixels {
				return // within the limits: Clean would decode it, too slow to fuzz
			}
		}
		pic, err := Clean(data)
		if err != nil {
			if pic != nil || !IsProblem(err) || err.Error() == "" {
				t.Fatalf("Clean: %v (picture %v), not a Problem alone", err, pic != nil)
			}
			return
		}
		if pic.Width < 1 || pic.Height < 1 || pic.Width > MaxSide || pic.Height > MaxSide || pic.Width*pic.Height > MaxPixels {
			t.Fatalf("Clean kept a %d x %d image", pic.Width, pic.Height)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(pic.Bytes))
		if err != nil || "image/"+format != pic.ContentType || cfg.Width != pic.Width || cfg.Height != pic.Height {
			t.Fatalf("the cleaned file is %q %dx%d (%v), Clean says %s %dx%d", format, cfg.Width, cfg.Height, err, pic.ContentType, pic.Width, pic.Height)
		}
		if _, _, err := image.Decode(bytes.NewReader(pic.Bytes)); err != nil {
			t.Fatalf("the cleaned %s does not decode: %v", pic.ContentType, err)
		}
		if why := metadata(format, pic.Bytes); why != "" {
			t.Fatalf("the cleaned %s holds more than the picture: %s", pic.ContentType, why)
		}
		again, err := Clean(pic.Bytes)
		if err != nil || again.ContentType != pic.ContentType || again.Width != pic.Width || again.Height != pic.Height {
			t.Fatalf("Clean of its own output: %v", err)
		}
	})
}

// metadata walks an encoded image's structure and says what in it is not
// picture data ("" when nothing is): PNG chunks other than IHDR, PLTE,
// tRNS, IDAT and IEND; JPEG segments other than tables, frame and scan;
// GIF extensions other than graphic control, or more than one frame; and
// anything after the end.
func metadata(format string, b []byte) string {
	switch format {
	case "png":
		i := 8
		for i+12 <= len(b) {
			n := int(binary.BigEndian.Uint32(b[i:]))
			typ := string(b[i+4 : i+8])
			switch typ {
			case "IHDR", "PLTE", "tRNS", "IDAT":
			case "IEND":
				if i+12+n != len(b) {
					return "bytes after IEND"
				}
				return ""
			default:
				return "a " + typ + " chunk"
			}
			i += 12 + n
		}
		return "no IEND"
	case "jpeg":
		i := 2
		for i+4 <= len(b) {
			if b[i] != 0xFF {
				return "not a marker before the scan"
			}
			m := b[i+1]
			switch m {
			case 0xDB, 0xC0, 0xC4, 0xDD:
			case 0xDA:
				if b[len(b)-2] != 0xFF || b[len(b)-1] != 0xD9 {
					return "bytes after EOI"
				}
				return ""
			default:
				return "a segment with marker FF" + string("0123456789ABCDEF"[m>>4]) + string("0123456789ABCDEF"[m&15])
			}
			i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
		}
		return "no scan"
	case "gif":
		if len(b) < 13 {
			return "too short"
		}
		i := 13
		if b[10]&0x80 != 0 {
			i += 3 << (1 + b[10]&7)
		}
		frames := 0
		subBlocks := func() bool {
			for i < len(b) {
				n := int(b[i])
				i++
				if n == 0 {
					return true
				}
				i += n
			}
			return false
		}
		for i < len(b) {
			switch b[i] {
			case 0x21:
				if i+1 >= len(b) || b[i+1] != 0xF9 {
					return "an extension block other than graphic control"
				}
				i += 2
			case 0x2C:
				frames++
				if i+10 > len(b) {
					return "a cut image descriptor"
				}
				flags := b[i+9]
				i += 10
				if flags&0x80 != 0 {
					i += 3 << (1 + flags&7)
				}
				i++ // LZW minimum code size
			case 0x3B:
				if i != len(b)-1 {
					return "bytes after the trailer"
				}
				if frames != 1 {
					return "not exactly one frame"
				}
				return ""
			default:
				return "an unknown block"
			}
			if !subBlocks() {
				return "cut sub-blocks"
			}
		}
		return "no trailer"
	}
	return "an unknown format " + format
}

// TestFuzzCleanChecker shows FuzzClean's metadata check can fail: it finds
// the text chunk, the Exif and comment segments and the comment extension
// (and the second frame) in the seeds as built, and finds nothing once
// Clean has written them again.
func TestFuzzCleanChecker(t *testing.T) {
	f := &testing.F{}
	seeds := fuzzImages(f)
	for i, format := range []string{"png", "jpeg", "gif", "png", "png", "jpeg", "gif"} {
		pic, err := Clean(seeds[i])
		if err != nil {
			t.Fatalf("seed %d (%s): %v", i, format, err)
		}
		if why := metadata(format, pic.Bytes); why != "" {
			t.Errorf("seed %d (%s) cleaned: %s", i, format, why)
		}
		if i >= 4 && metadata(format, seeds[i]) == "" {
			t.Errorf("seed %d (%s) as built: the check finds no metadata", i, format)
		}
	}
	if metadata("gif", seeds[2]) == "" {
		t.Error("the two-frame GIF with a loop extension, as built: the check finds nothing")
	}
}

// TestCleanGIFFrameSmallerThanScreen is the case FuzzClean found: a GIF
// whose screen (what image.DecodeConfig reads) is larger than its first
// frame. Clean keeps only that frame, so the picture it wrote was 2 x 2
// while it said 100 x 50, the size pages would then give the image.
func TestCleanGIFFrameSmallerThanScreen(t *testing.T) {
	frame := image.NewPaletted(image.Rect(0, 0, 2, 2), palette.Plan9)
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{ColorModel: color.Palette(palette.Plan9), Width: 100, Height: 50}}); err != nil {
		t.Fatal(err)
	}
	pic, err := Clean(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(pic.Bytes))
	if err != nil || cfg.Width != pic.Width || cfg.Height != pic.Height {
		t.Errorf("Clean says %d x %d, the file it wrote is %d x %d (%v)", pic.Width, pic.Height, cfg.Width, cfg.Height, err)
	}
}
