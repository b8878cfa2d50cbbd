// Package mediatest makes images for tests of uploads: a decompression
// bomb (a small PNG whose header declares a huge 16-bit RGBA picture).
package mediatest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// BombPNG is a PNG of width×height pixels of 16-bit RGBA (8 bytes a
// pixel), all zero: a file of about 1.6 bytes per 1,000 pixels whose
// decoding allocates width×height×8 bytes. The deflate stream is written
// by hand (fixed Huffman codes: one zero literal, then copies of 258 bytes
// at distance 1), so making it takes milliseconds, not a compression of
// hundreds of megabytes.
func BombPNG(width, height int) []byte {
	row := 1 + width*8 // a filter byte, then the row
	total := row * height

	var z bytes.Buffer
	z.Write([]byte{0x78, 0x01}) // zlib: deflate, 32K window, no dictionary
	bw := bitWriter{out: &z}
	bw.bits(1, 1) // BFINAL
	bw.bits(1, 2) // BTYPE 01: fixed Huffman codes
	bw.code(0x30, 8)
	left := total - 1
	for left > 0 {
		n := min(left, 258)
		if n < 3 { // too short to copy: literal zeros
			for range n {
				bw.code(0x30, 8)
			}
			break
		}
		bw.length(n)
		bw.code(0, 5) // distance code 0: distance 1
		left -= n
	}
	bw.code(0, 7) // end of block
	bw.flush()
	// Adler-32 of total zero bytes: a stays 1, b adds 1 for each byte.
	binary.Write(&z, binary.BigEndian, uint32(total%65521)<<16|1)

	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 16, 6 // 16 bits a channel, RGBA
	chunk(&out, "IHDR", ihdr)
	chunk(&out, "IDAT", z.Bytes())
	chunk(&out, "IEND", nil)
	return out.Bytes()
}

func chunk(out *bytes.Buffer, kind string, data []byte) {
	binary.Write(out, binary.BigEndian, uint32(len(data)))
	crc := crc32.NewIEEE()
	crc.Write([]byte(kind))
	crc.Write(data)
	out.WriteString(kind)
	out.Write(data)
	binary.Write(out, binary.BigEndian, crc.Sum32())
}

// bitWriter writes deflate's bit stream: values least significant bit
// first, Huffman codes most significant bit first.
type bitWriter struct {
	out  *bytes.Buffer
	acc  uint64
	nacc uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out.WriteByte(byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

// code writes a Huffman code of n bits, most significant bit first.
func (w *bitWriter) code(c uint64, n uint) {
	var r uint64
	for i := range n {
		r |= (c >> i & 1) << (n - 1 - i)
	}
	w.bits(r, n)
}

// length writes a copy length of 3 to 258 with the fixed codes.
func (w *bitWriter) length(n int) {
	type lc struct{ sym, base, extra int }
	var c lc
	switch {
	case n == 258:
		c = lc{285, 258, 0}
	case n <= 10:
		c = lc{257 + n - 3, n, 0}
	default:
		bases := []lc{{265, 11, 1}, {269, 19, 2}, {273, 35, 3}, {277, 67, 4}, {281, 131, 5}}
		for i, b := range bases {
			span := 4 << b.extra
			if n < b.base+span || i == len(bases)-1 {
				k := (n - b.base) >> b.extra
				c = lc{b.sym + k, b.base + k<<b.extra, b.extra}
				break
			}
		}
	}
	if c.sym < 280 {
		w.code(uint64(c.sym-256), 7)
	} else {
		w.code(uint64(0xC0+c.sym-280), 8)
	}
	w.bits(uint64(n-c.base), uint(c.extra))
}

func (w *bitWriter) flush() {
	if w.nacc > 0 {
		w.out.WriteByte(byte(w.acc))
		w.acc, w.nacc = 0, 0
	}
}
