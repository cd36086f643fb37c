package imagecheck

import (
	"encoding/binary"
	"io"
)

// box is an ISOBMFF box located in the file.
type box struct {
	typ              string
	start, body, end int64
}

// readBox reads the header of the box at off inside a container that ends at
// limit, and checks that the box's length fits in it.
func readBox(ra io.ReaderAt, off, limit int64) (box, error) {
	left := limit - off
	if left < 8 {
		return box{}, invalidf("avif: %d stray bytes at offset %d (truncated box header)", left, off)
	}
	var h [16]byte
	n := min(left, 16)
	if err := readAt(ra, h[:n], off); err != nil {
		return box{}, readFailure(err, "avif: box header cut short")
	}
	size, hdr := uint64(binary.BigEndian.Uint32(h[:])), int64(8)
	typ := string(h[4:8])
	switch size {
	case 0: // extends to the end of the container
		size = uint64(left)
	case 1: // 64-bit size follows the type
		if n < 16 {
			return box{}, invalidf("avif: %q box header cut short (truncated file)", typ)
		}
		size, hdr = binary.BigEndian.Uint64(h[8:]), 16
	}
	if size < uint64(hdr) {
		return box{}, invalidf("avif: %q box at offset %d has bad size %d", typ, off, size)
	}
	if size > uint64(left) {
		return box{}, invalidf("avif: %q box at offset %d is %d bytes but only %d remain (truncated file)", typ, off, size, left)
	}
	b := box{typ: typ, start: off, body: off + hdr, end: off + int64(size)}
	if typ == "uuid" {
		if b.body += 16; b.body > b.end {
			return box{}, invalidf("avif: uuid box too short")
		}
	}
	return b, nil
}

// readAt is ReadAt that reports a short read as truncation.
func readAt(ra io.ReaderAt, p []byte, off int64) error {
	n, err := ra.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		return errTruncated
	}
	return err
}

// eachBox calls fn with the type and payload of every box in b, which is the
// payload of a box named parent. Box lengths must tile b exactly.
func eachBox(b []byte, parent string, fn func(typ string, payload []byte) error) error {
	for len(b) > 0 {
		if len(b) < 8 {
			return invalidf("avif: stray bytes inside %s box", parent)
		}
		size, hdr := uint64(binary.BigEndian.Uint32(b)), uint64(8)
		typ := string(b[4:8])
		switch size {
		case 0:
			size = uint64(len(b))
		case 1:
			if len(b) < 16 {
				return invalidf("avif: %s box inside %s cut short", typ, parent)
			}
			size, hdr = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < hdr || size > uint64(len(b)) {
			return invalidf("avif: %q box inside %s has bad size %d", typ, parent, size)
		}
		if err := fn(typ, b[hdr:size]); err != nil {
			return err
		}
		b = b[size:]
	}
	return nil
}

// fullBox splits the version and flags off a FullBox payload.
func fullBox(p []byte) (version byte, flags uint32, rest []byte, ok bool) {
	if len(p) < 4 {
		return 0, 0, nil, false
	}
	return p[0], binary.BigEndian.Uint32(p) & 0xFFFFFF, p[4:], true
}

// cursor reads big-endian fields from a byte slice. Reading past the end
// yields zeros and sets bad, so a parser checks once after a run of reads
// instead of after each one.
type cursor struct {
	b   []byte
	bad bool
}

func (c *cursor) take(n int) []byte {
	if c.bad || n > len(c.b) {
		c.bad = true
		return nil
	}
	p := c.b[:n]
	c.b = c.b[n:]
	return p
}

func (c *cursor) u8() uint8 {
	if p := c.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (c *cursor) u16() uint16 {
	if p := c.take(2); p != nil {
		return binary.BigEndian.Uint16(p)
	}
	return 0
}

func (c *cursor) u32() uint32 {
	if p := c.take(4); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

// uN reads an n-byte field, n being 0, 4 or 8 as iloc allows.
func (c *cursor) uN(n byte) uint64 {
	switch n {
	case 4:
		return uint64(c.u32())
	case 8:
		if p := c.take(8); p != nil {
			return binary.BigEndian.Uint64(p)
		}
	}
	return 0
}

// u16or32 reads a u16 when short is true and a u32 otherwise, the way item
// ids grow with box versions.
func (c *cursor) u16or32(short bool) uint32 {
	if short {
		return uint32(c.u16())
	}
	return c.u32()
}
