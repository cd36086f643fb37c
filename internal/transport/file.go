package transport

import (
	"errors"
	"io"
	"os"
	"sync"

	"github.com/mediagraph/mediagraph/internal/directio"
)

// content is the received bytes of one file part, shared by all the *File
// views handed to resolvers. It lives in memory or in a temp file.
type content struct {
	size   int64
	sum    [32]byte
	budget *MemoryBudget // what mem's chunks are counted against

	mu       sync.RWMutex
	mem      *memContent        // in-memory content, or nil
	f        *os.File           // spilled content, or nil
	dw       *directio.Writer   // writes f when it is a direct-I/O file
	dr       *directio.ReaderAt // reads f when it is a direct-I/O file
	tempPath string             // name to remove at cleanup; "" once moved or removed
	moved    bool
	closed   bool
}

// ReadAt reads the shared content; it is safe for concurrent use.
func (c *content) ReadAt(p []byte, off int64) (int, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	switch {
	case c.closed:
		return 0, errReleased
	case c.dr != nil:
		return c.dr.ReadAt(p, off)
	case c.f != nil:
		return c.f.ReadAt(p, off)
	}
	return c.mem.ReadAt(p, off)
}

// writePending appends the chunks held in memory to the spilled file and
// gives their memory back: pooled chunks, each whole but the file's last.
func (c *content) writePending() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dw != nil {
		if err := c.dw.WriteChunks(c.mem.chunks); err != nil {
			return err
		}
	} else {
		for _, b := range c.mem.chunks {
			if _, err := c.f.Write(b); err != nil {
				return err
			}
		}
	}
	c.freeMem()
	c.mem = &memContent{}
	return nil
}

// memContent is content held in memory as a list of pooled chunks, so
// receiving never copies a growing buffer and the next request reuses them.
type memContent struct {
	chunks   [][]byte  // the bytes, each a prefix of a pooled buffer
	bufs     []*[]byte // the pooled buffers, returned when the content is freed
	size     int64
	budgeted int64 // what is counted against the memory budget
}

// add appends the first n bytes of the pooled buffer b, counted against
// the memory budget or not.
func (m *memContent) add(b *[]byte, n int, budgeted bool) {
	m.chunks = append(m.chunks, (*b)[:n])
	m.bufs = append(m.bufs, b)
	m.size += int64(n)
	if budgeted {
		m.budgeted += copyBufSize
	}
}

// freeMem returns the memory chunks to the pool and the budget; c.mu is held.
func (c *content) freeMem() {
	if c.mem == nil {
		return
	}
	c.budget.give(c.mem.budgeted)
	for _, b := range c.mem.bufs {
		putChunk(b)
	}
	c.mem = nil
}

// ReadAt implements io.ReaderAt over the chunks.
func (m *memContent) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("transport: negative offset")
	}
	if off >= m.size {
		return 0, io.EOF
	}
	n := 0
	for _, ch := range m.chunks {
		if off >= int64(len(ch)) {
			off -= int64(len(ch))
			continue
		}
		n += copy(p[n:], ch[off:])
		off = 0
		if n == len(p) {
			return n, nil
		}
	}
	return n, io.EOF
}

// release closes the temp file and removes it unless it was moved away.
func (c *content) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.freeMem()
	if c.dr != nil {
		c.dr.Release()
	}
	if c.f != nil {
		_ = c.f.Close()
	}
	if c.tempPath != "" {
		_ = os.Remove(c.tempPath)
		c.tempPath = ""
	}
}

var (
	errInMemory     = errors.New("transport: upload content is in memory, not in a file; copy it with Read")
	errAlreadyMoved = errors.New("transport: upload content was already moved")
	errReleased     = errors.New("transport: upload content was released (the request is over)")
)

// File is one received file part. Upload.File values handed to resolvers
// are *File: each Upload gets its own view, with its own read offset, over
// content shared by every map path the file was assigned to.
//
// A File is valid only while the request's Do runs; afterwards its content
// is released and reads fail.
type File struct {
	c  *content
	sr *io.SectionReader
}

func newFile(c *content) *File {
	return &File{c: c, sr: io.NewSectionReader(c, 0, c.size)}
}

// Read reads from the view's current offset.
func (f *File) Read(p []byte) (int, error) { return f.sr.Read(p) }

// Seek sets the view's offset for the next Read.
func (f *File) Seek(off int64, whence int) (int64, error) { return f.sr.Seek(off, whence) }

// ReadAt reads len(p) bytes at off, independent of the view's offset.
func (f *File) ReadAt(p []byte, off int64) (int, error) { return f.sr.ReadAt(p, off) }

// Size returns the content length in bytes.
func (f *File) Size() int64 { return f.c.size }

// SHA256 returns the SHA-256 digest of the whole content, computed while it
// streamed in.
func (f *File) SHA256() [32]byte { return f.c.sum }

// MoveTo renames the spilled temp file to path (which must be on the same
// filesystem as the spool directory), so a store can keep it without
// copying the bytes again. It fails when the content is in memory, was
// already moved through another view, or was released; the caller then
// copies the content via Read. After a successful move the content stays
// readable through the open descriptor and the transport's cleanup no
// longer removes anything at the old name. The file keeps the temp file's
// permissions (0600); data is not synced to disk.
func (f *File) MoveTo(path string) error {
	c := f.c
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return errReleased
	case c.f == nil:
		return errInMemory
	case c.moved:
		return errAlreadyMoved
	}
	if err := os.Rename(c.tempPath, path); err != nil {
		return err
	}
	c.moved = true
	c.tempPath = ""
	return nil
}
