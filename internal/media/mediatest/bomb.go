// Package mediatest makes images for tests of uploads: a decompression
// bomb (a small PNG whose header declares a huge 16-bit RGBA picture).
package mediatest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// BombPNG is a PNG of width×height pixels of 16-bit RGBA (8 bytes a
// pixel), all zero: a file of about 8 bytes per 1,000 pixels (6300×6300
// is 310 KB, like the attack's file) whose decoding allocates
// width×height×8 bytes. The deflate stream is written by hand (one zero
// literal, then copies of 258 bytes at distance 1, in 2 bits each), so
// making it takes milliseconds, not a compression of hundreds of
// megabytes.
func BombPNG(width, height int) []byte {
	row := 1 + width*8 // a filter byte, then the row
	total := row * height

	var z bytes.Buffer
	z.Write([]byte{0x78, 0x01}) // zlib: deflate, 32K window, no dictionary
	bw := bitWriter{out: &z}
	bw.bits(1, 1) // BFINAL
	bw.bits(2, 2) // BTYPE 10: dynamic Huffman codes
	// Three literal/length symbols (285, a copy of 258, in 1 bit; 0 and
	// the end of the block in 2) and one distance (1, in 1 bit), so each
	// copy of 258 zero bytes takes 2 bits.
	bw.bits(29, 5) // HLIT: 286 literal/length codes
	bw.bits(0, 5)  // HDIST: 1 distance code
	bw.bits(14, 4) // HCLEN: 18 code length codes
	// Code length code lengths, in RFC 1951's order 16 17 18 0 8 7 9 6 10
	// 5 11 4 12 3 13 2 14 1: symbol 18 (a run of zeros) in 1 bit, the
	// lengths 1 and 2 in 2 bits.
	for _, n := range []uint64{0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2} {
		bw.bits(n, 3)
	}
	zeros := func(n uint64) { bw.code(0, 1); bw.bits(n-11, 7) } // symbol 18: 11 to 138 zeros
	bw.code(3, 2)                                               // literal 0: length 2
	zeros(138)
	zeros(117)    // literals 1 to 255: unused
	bw.code(3, 2) // end of block: length 2
	zeros(28)     // lengths 257 to 284: unused
	bw.code(2, 2) // 285, a copy of 258: length 1
	bw.code(2, 2) // distance code 0: length 1
	// Canonical codes: 285 is 0, literal 0 is 10, end of block 11; the
	// distance is 0.
	bw.code(2, 2) // the first zero byte, a literal
	left := total - 1
	for ; left >= 258; left -= 258 {
		bw.code(0, 1) // copy 258
		bw.code(0, 1) // from 1 back
	}
	for range left {
		bw.code(2, 2)
	}
	bw.code(3, 2) // end of block
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

func (w *bitWriter) flush() {
	if w.nacc > 0 {
		w.out.WriteByte(byte(w.acc))
		w.acc, w.nacc = 0, 0
	}
}
