package imagecheck

import (
	"errors"
	"io"
)

// errTruncated reports that the file ended before a structure did.
var errTruncated = errors.New("unexpected end of file")

// bufSize bounds the only per-call buffer. It is at least 64 KiB so that any
// JPEG marker segment (at most 65533 bytes) fits in it whole.
const bufSize = 64 << 10

// reader is a forward-only window over an io.ReaderAt. It is simpler and
// faster than bufio over io.SectionReader for what the scanners need: peeking
// at a run of bytes in place, skipping without reading (seeking), and
// searching the buffered bytes with bytes.IndexByte.
type reader struct {
	ra   io.ReaderAt
	size int64
	buf  []byte
	base int64 // file offset of buf[0]
	r, w int   // buf[r:w] holds unread bytes
}

// newReader starts reading at off. Small files get a buffer of their own
// size, so fuzzing and tiny uploads do not allocate 64 KiB each.
func newReader(ra io.ReaderAt, size, off int64) *reader {
	n := int(min(bufSize, max(size-off, 16)))
	return &reader{ra: ra, size: size, buf: make([]byte, n), base: off}
}

// pos is the file offset of the next unread byte.
func (b *reader) pos() int64 { return b.base + int64(b.r) }

// remaining is how many bytes of the file lie past pos.
func (b *reader) remaining() int64 { return b.size - b.pos() }

// fill makes at least n (<= bufSize) bytes available in buf[r:w], reading as
// much as fits so that scans make few ReadAt calls.
func (b *reader) fill(n int) error {
	if b.w-b.r >= n {
		return nil
	}
	if n > len(b.buf) {
		if int64(n) > b.remaining() {
			return errTruncated // the buffer only shrinks below bufSize for small files
		}
		return errors.New("imagecheck: internal error: read larger than buffer")
	}
	if b.r > 0 {
		copy(b.buf, b.buf[b.r:b.w])
		b.base += int64(b.r)
		b.w -= b.r
		b.r = 0
	}
	for b.w < n {
		avail := b.size - (b.base + int64(b.w))
		if avail <= 0 {
			return errTruncated
		}
		want := len(b.buf) - b.w
		if int64(want) > avail {
			want = int(avail)
		}
		m, err := b.ra.ReadAt(b.buf[b.w:b.w+want], b.base+int64(b.w))
		b.w += m
		if m < want {
			if err == nil || err == io.EOF {
				// The reader holds fewer bytes than size claims.
				b.size = b.base + int64(b.w)
				if b.w >= n {
					return nil
				}
				return errTruncated
			}
			return err
		}
	}
	return nil
}

// next returns the next n (<= bufSize) bytes, valid until the next call.
func (b *reader) next(n int) ([]byte, error) {
	if err := b.fill(n); err != nil {
		return nil, err
	}
	p := b.buf[b.r : b.r+n]
	b.r += n
	return p, nil
}

// byte returns the next byte.
func (b *reader) byte() (byte, error) {
	if b.r >= b.w {
		if err := b.fill(1); err != nil {
			return 0, err
		}
	}
	c := b.buf[b.r]
	b.r++
	return c, nil
}

// skip moves forward n bytes without reading them when they are not
// buffered, so walking past large chunks costs nothing.
func (b *reader) skip(n int64) error {
	if n < 0 {
		return errors.New("imagecheck: internal error: negative skip")
	}
	if n <= int64(b.w-b.r) {
		b.r += int(n)
		return nil
	}
	if n > b.remaining() {
		b.base, b.r, b.w = b.size, 0, 0
		return errTruncated
	}
	b.base = b.pos() + n
	b.r, b.w = 0, 0
	return nil
}

// buffered returns the unread buffered bytes, reading more if there are none.
// The caller consumes k of them with advance(k).
func (b *reader) buffered() ([]byte, error) {
	if b.r >= b.w {
		if err := b.fill(1); err != nil {
			return nil, err
		}
	}
	return b.buf[b.r:b.w], nil
}

func (b *reader) advance(k int) { b.r += k }
