package directio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// Create creates path (which must not exist) for direct reads and writes.
func Create(path string, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|flag, perm)
}

// Writer appends to a file opened with Create, a batch of chunks per
// system call: on a virtual disk each direct write costs tens of
// microseconds of CPU, whatever its length, so batches of a MiB or more
// cost a tenth of 64 KiB ones.
type Writer struct {
	F    *os.File
	size int64
	odd  bool // a chunk that was not a whole number of blocks was written
}

// WriteChunks writes the chunks, in order, after what was written before.
// Each must start Block-aligned in memory; every one but the last of the
// last call must be a whole number of blocks; a last partial one needs the
// capacity to be padded (with zeros) to the next block, which Finish cuts
// off again.
func (w *Writer) WriteChunks(chunks [][]byte) error {
	if len(chunks) == 0 {
		return nil
	}
	if w.odd {
		return errors.New("directio: write after a partial block")
	}
	iov := make([][]byte, len(chunks))
	total, padded := 0, 0
	for i, c := range chunks {
		full := RoundUp(len(c))
		if full != len(c) && i != len(chunks)-1 {
			return errors.New("directio: a partial block before the last chunk")
		}
		if full > cap(c) {
			return fmt.Errorf("directio: a %d-byte chunk needs %d bytes of capacity", len(c), full)
		}
		iov[i] = c[:full]
		clear(iov[i][len(c):])
		total += len(c)
		padded += full
	}
	n, err := pwritev(w.F, iov, w.size)
	if err == nil && n != padded {
		err = io.ErrShortWrite
	}
	if err != nil {
		return err
	}
	w.size += int64(total)
	w.odd = padded != total
	return nil
}

// Size is how many bytes were written.
func (w *Writer) Size() int64 { return w.size }

// Finish cuts the padding of a partial last block off the file.
func (w *Writer) Finish() error {
	if !w.odd {
		return nil
	}
	return w.F.Truncate(w.size)
}

// bufSize is the size of the pooled aligned buffers that WriteFile copies
// through and that readers read whole blocks into.
const bufSize = 256 << 10

var bufs = sync.Pool{New: func() any {
	b := Aligned(bufSize)
	return &b
}}

// WriteFile creates path and writes exactly size bytes of r to it, then,
// when durable, makes them so (Datasync). On any failure, a body of another
// size included, the file is removed.
func WriteFile(path string, r io.Reader, size int64, perm os.FileMode, durable bool) (err error) {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil || !done { // a panic of the reader too
			_ = os.Remove(path)
		}
	}()
	if err := f.Chmod(perm); err != nil { // whatever the umask
		return err
	}
	bufp := bufs.Get().(*[]byte)
	defer bufs.Put(bufp)
	w := &Writer{F: f}
	for {
		n, rerr := io.ReadFull(r, *bufp)
		if w.size+int64(n) > size {
			return fmt.Errorf("body longer than its %d bytes", size)
		}
		if n > 0 {
			if err := w.WriteChunks([][]byte{(*bufp)[:n]}); err != nil {
				return err
			}
		}
		if rerr == io.EOF || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if w.size != size {
		return fmt.Errorf("body of %d bytes, not %d", w.size, size)
	}
	if err := w.Finish(); err != nil {
		return err
	}
	if durable {
		if err := Datasync(f); err != nil {
			return err
		}
	}
	done = true
	return nil
}

// ReaderAt reads a file opened for direct I/O at any offset and length,
// through an aligned buffer that keeps the last whole blocks read, so that
// the small sequential reads of a parser cost one disk read per 256 KiB.
// It is safe for concurrent use.
type ReaderAt struct {
	f    *os.File
	size int64

	mu   sync.Mutex
	buf  *[]byte // pooled; nil until the first read and after Release
	off  int64   // file offset of buf's first byte
	fill int     // valid bytes in buf
}

// NewReaderAt reads the first size bytes of f.
func NewReaderAt(f *os.File, size int64) *ReaderAt { return &ReaderAt{f: f, size: size} }

// ReadAt implements io.ReaderAt.
func (r *ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("directio: negative offset")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= r.size {
			return n, io.EOF
		}
		if r.buf == nil || at < r.off || at >= r.off+int64(r.fill) {
			if err := r.load(at); err != nil {
				return n, err
			}
		}
		n += copy(p[n:], (*r.buf)[at-r.off:r.fill])
	}
	return n, nil
}

// load reads the blocks from the one holding at into the buffer.
func (r *ReaderAt) load(at int64) error {
	if r.buf == nil {
		r.buf = bufs.Get().(*[]byte)
	}
	start := at / Block * Block
	want := int(min(int64(bufSize), RoundUp64(r.size)-start))
	n, err := r.f.ReadAt((*r.buf)[:want], start)
	if int64(n) > r.size-start {
		n = int(r.size - start)
	}
	if n <= int(at-start) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		r.fill = 0
		return err
	}
	r.off, r.fill = start, n
	return nil
}

// Release gives the buffer back; a later read takes another.
func (r *ReaderAt) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buf != nil {
		bufs.Put(r.buf)
		r.buf, r.fill = nil, 0
	}
}

// RoundUp64 is n rounded up to a whole number of blocks.
func RoundUp64(n int64) int64 { return (n + Block - 1) / Block * Block }
