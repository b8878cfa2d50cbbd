package mediatest

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

func TestBombDecodes(t *testing.T) {
	for _, sz := range [][2]int{{7, 5}, {33, 17}, {100, 3}} {
		b := BombPNG(sz[0], sz[1])
		m, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%v: %v", sz, err)
		}
		if m.Bounds() != image.Rect(0, 0, sz[0], sz[1]) {
			t.Fatal(m.Bounds())
		}
	}
	t.Log(len(BombPNG(6300, 6300)))
}
