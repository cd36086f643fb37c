package imagecheck

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"io"
	"sync"
)

// checkPNGData inflates the image data (the IDAT chunks starting at the
// chunk header at off) without keeping any pixels, and checks what Go's png
// decoder checks of it: a whole zlib stream (checksum included) that holds
// exactly the rows the header implies, each starting with a known filter
// type. The CRCs only prove the chunks arrived as written; a corrupt deflate
// stream behind valid CRCs decodes to nothing, so it is caught here.
//
// Memory stays fixed (the inflater's window and one copy buffer); the work
// is bounded by the pixel limit already checked, since inflation stops one
// byte past the expected size.
func checkPNGData(ra io.ReaderAt, size, off int64, w, h uint32, colorType, depth, interlace byte) error {
	rows := pngRows(int64(w), int64(h), int64(pngBitsPerPixel(colorType, depth)), interlace == 1)
	var want int64
	for _, r := range rows {
		want += r.count * r.stride
	}
	st := pngInflaters.Get().(*pngInflater)
	defer pngInflaters.Put(st)
	st.src.Reset(&idatReader{b: newReader(ra, size, off)})
	if st.zr == nil {
		zr, err := zlib.NewReader(&st.src)
		if err != nil {
			return zlibFailure(err)
		}
		st.zr = zr
	} else if err := st.zr.(zlib.Resetter).Reset(&st.src, nil); err != nil {
		return zlibFailure(err)
	}
	chk := &rowChecker{rows: rows}
	_, err := io.CopyBuffer(chk, io.LimitReader(st.zr, want+1), st.buf[:])
	switch {
	case err != nil:
		return zlibFailure(err)
	case chk.total > want:
		return invalidf("png: too much pixel data")
	case chk.total < want:
		return invalidf("png: not enough pixel data (truncated image data)")
	}
	// The stream must end here: reading on verifies its Adler-32 checksum.
	if n, err := st.zr.Read(st.buf[:1]); n != 0 || (err != nil && err != io.EOF) {
		if err != nil && err != io.EOF {
			return zlibFailure(err)
		}
		return invalidf("png: too much pixel data")
	}
	return nil
}

// pngInflater is the reusable state of one check: inflating allocates a
// 32 KiB window, which uploads should not pay for each time.
type pngInflater struct {
	src bufio.Reader
	zr  io.ReadCloser
	buf [16 << 10]byte
}

var pngInflaters = sync.Pool{New: func() any {
	st := &pngInflater{}
	st.src = *bufio.NewReaderSize(nil, 4096)
	return st
}}

func zlibFailure(err error) error {
	if errors.Is(err, ErrInvalid) {
		return err // from rowChecker
	}
	var rf readerFailure
	if errors.As(err, &rf) {
		return readFailure(rf.err, "png: IDAT chunk cut short")
	}
	return invalidf("png: image data does not inflate (%v)", err)
}

// readerFailure marks an error of the underlying reader (or truncation), so
// that it is not reported as bad compressed data.
type readerFailure struct{ err error }

func (e readerFailure) Error() string { return e.err.Error() }

// idatReader reads the payloads of consecutive IDAT chunks; the structure
// was already walked and its CRCs checked, so it only skips headers and CRCs.
type idatReader struct {
	b    *reader
	left int64 // payload bytes left in the current chunk
	done bool
}

func (r *idatReader) Read(p []byte) (int, error) {
	for r.left == 0 {
		if r.done {
			return 0, io.EOF
		}
		h, err := r.b.next(8)
		if err != nil {
			return 0, readerFailure{err}
		}
		if string(h[4:8]) != "IDAT" {
			r.done = true
			return 0, io.EOF
		}
		r.left = int64(binary.BigEndian.Uint32(h))
		if r.left == 0 {
			if err := r.b.skip(4); err != nil {
				return 0, readerFailure{err}
			}
		}
	}
	data, err := r.b.buffered()
	if err != nil {
		return 0, readerFailure{err}
	}
	n := copy(p, data[:min(int64(len(data)), r.left)])
	r.b.advance(n)
	if r.left -= int64(n); r.left == 0 {
		if err := r.b.skip(4); err != nil { // the CRC
			return n, readerFailure{err}
		}
	}
	return n, nil
}

// pngRowRun is count rows of stride bytes (a filter byte, then the pixels).
type pngRowRun struct{ count, stride int64 }

// pngRows lists the rows of the image data: one run, or one per Adam7 pass
// (passes with no pixels have no rows, not even filter bytes).
func pngRows(w, h, bpp int64, interlaced bool) []pngRowRun {
	stride := func(w int64) int64 { return 1 + (w*bpp+7)/8 }
	if !interlaced {
		return []pngRowRun{{h, stride(w)}}
	}
	passes := [7]struct{ x0, y0, dx, dy int64 }{
		{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2},
	}
	var runs []pngRowRun
	for _, p := range passes {
		pw, ph := (w-p.x0+p.dx-1)/p.dx, (h-p.y0+p.dy-1)/p.dy
		if pw > 0 && ph > 0 {
			runs = append(runs, pngRowRun{ph, stride(pw)})
		}
	}
	return runs
}

// pngBitsPerPixel is the bits one pixel takes in the image data.
func pngBitsPerPixel(colorType, depth byte) int {
	channels := map[byte]int{pngGray: 1, pngRGB: 3, pngPalette: 1, pngGrayAlpha: 2, pngRGBA: 4}[colorType]
	return channels * int(depth)
}

// rowChecker counts inflated bytes and checks the filter byte of each row.
type rowChecker struct {
	rows  []pngRowRun
	run   int   // index into rows
	done  int64 // rows finished in rows[run]
	pos   int64 // offset within the current row
	total int64
}

func (c *rowChecker) Write(p []byte) (int, error) {
	c.total += int64(len(p))
	for i := 0; i < len(p); {
		if c.run == len(c.rows) {
			return len(p), nil // too much data: counted, reported by the caller
		}
		stride := c.rows[c.run].stride
		if c.pos == 0 && p[i] > 4 {
			return i, invalidf("png: bad filter type %d", p[i])
		}
		step := min(stride-c.pos, int64(len(p)-i))
		i += int(step)
		if c.pos += step; c.pos == stride {
			c.pos = 0
			if c.done++; c.done == c.rows[c.run].count {
				c.run, c.done = c.run+1, 0
			}
		}
	}
	return len(p), nil
}
