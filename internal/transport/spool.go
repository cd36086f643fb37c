package transport

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mediagraph/mediagraph/internal/directio"
)

// copyBufSize is the size of the pooled buffers used to move file bytes;
// readBufSize the size of the buffer the multipart reader reads the body into.
const (
	copyBufSize = 64 << 10
	readBufSize = 64 << 10
)

// bufPool holds the buffers that file bytes are read into; those of files
// kept in memory return to it when their request ends.
// They are aligned for direct I/O.
var bufPool = sync.Pool{New: func() any {
	b := directio.Aligned(copyBufSize)
	return &b
}}

func getChunk() *[]byte  { return bufPool.Get().(*[]byte) }
func putChunk(b *[]byte) { bufPool.Put(b) }

// spoolPrefix starts the name of every temp file an upload spills to.
const spoolPrefix = "upload-"

// PrepareSpool creates dir and removes the temp files of uploads (and the
// probe of direct I/O) an interrupted run left there; other files are left
// alone, since the directory may be shared.
func PrepareSpool(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), spoolPrefix) || strings.HasPrefix(e.Name(), directio.ProbePrefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// errFileTooLarge reports a file part longer than the per-file limit.
var errFileTooLarge = errors.New("file too large")

// storageError is a local failure (temp file creation or write).
type storageError struct{ err error }

func (e *storageError) Error() string { return "storing upload: " + e.err.Error() }
func (e *storageError) Unwrap() error { return e.err }

// MemoryBudget bounds the bytes of uploaded files held in memory by all
// requests together; a file that would go over it spills to a temp file.
// One budget is shared by every request of a server.
type MemoryBudget struct {
	limit int64
	used  atomic.Int64
}

// NewMemoryBudget returns a budget of limit bytes.
func NewMemoryBudget(limit int64) *MemoryBudget { return &MemoryBudget{limit: limit} }

// take reserves n bytes, or reports false and reserves nothing. A nil budget
// grants everything.
func (b *MemoryBudget) take(n int64) bool {
	if b == nil {
		return true
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *MemoryBudget) give(n int64) {
	if b != nil {
		b.used.Add(-n)
	}
}

// earlySpillBytes is how much of a file stays in memory when the rest of
// the body says the file may be larger than memLimit: enough for the small
// files of a batch, little for a large file that will spill anyway.
const earlySpillBytes = 256 << 10

// spool receives the files of one request and releases them all at the end.
type spool struct {
	dir      string
	direct   bool  // temp files are written and read with direct I/O
	memLimit int64 // files up to this size stay in memory
	maxFile  int64 // per-file limit
	budget   *MemoryBudget

	mu       sync.Mutex
	contents []*content
}

func (s *spool) track(c *content) {
	s.mu.Lock()
	s.contents = append(s.contents, c)
	s.mu.Unlock()
}

// release closes every temp file, removes those not moved away and returns
// the memory of the others.
func (s *spool) release() {
	s.mu.Lock()
	cs := s.contents
	s.contents = nil
	s.mu.Unlock()
	for _, c := range cs {
		c.release()
	}
}

// memLimitFor is how much of the next file may stay in memory, given how
// many bytes of the body are left to read (-1: unknown, a chunked body). A
// body whose rest is larger than memLimit holds a file that may be too, or
// several files: each then keeps at most earlySpillBytes in memory, so that
// large uploads are not first buffered and then copied to disk.
func (s *spool) memLimitFor(remaining int64) int64 {
	if remaining >= 0 && remaining > s.memLimit+readBufSize {
		return min(s.memLimit, earlySpillBytes)
	}
	return s.memLimit
}

// writeBatch is how many bytes of a spilled file are gathered before they
// are written, in one call: direct writes cost per call more than per byte.
const writeBatch = 512 << 10

// receive streams r into a new content, hashing it as it goes. The content
// stays in memory (pooled chunks, within the shared budget) up to memLimit
// bytes; beyond that what was buffered and then the rest are written to a
// temp file in dir, a batch at a time. Reading stops after maxFile+1 bytes
// with errFileTooLarge.
func (s *spool) receive(r io.Reader, remaining int64) (*content, error) {
	c := &content{mem: &memContent{}, budget: s.budget}
	s.track(c)
	memLimit := s.memLimitFor(remaining)
	h := sha256.New()
	lr := &io.LimitedReader{R: r, N: s.maxFile + 1}
	var total int64
	for {
		chunk := getChunk()
		n, rerr := fill(lr, *chunk)
		if n == 0 {
			putChunk(chunk)
		} else {
			total += int64(n)
			if total > s.maxFile {
				putChunk(chunk)
				return nil, errFileTooLarge
			}
			h.Write((*chunk)[:n])
			if c.f == nil && total <= memLimit && s.budget.take(copyBufSize) {
				c.mem.add(chunk, n, true)
			} else {
				if c.f == nil {
					if err := s.spill(c); err != nil {
						putChunk(chunk)
						return nil, err
					}
				}
				c.mem.add(chunk, n, false)
				if c.mem.size >= writeBatch {
					if err := c.writePending(); err != nil {
						return nil, &storageError{err}
					}
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, rerr
		}
	}
	c.size = total
	h.Sum(c.sum[:0])
	if c.f != nil {
		if err := c.writePending(); err != nil { // what is left: possibly nothing
			return nil, &storageError{err}
		}
		c.mem = nil
		if c.dw != nil {
			if err := c.dw.Finish(); err != nil {
				return nil, &storageError{err}
			}
			c.dr = directio.NewReaderAt(c.f, total)
		}
	}
	return c, nil
}

// spill creates c's temp file; the chunks held so far are written with the
// next batch.
func (s *spool) spill(c *content) error {
	f, err := s.createTemp()
	if err != nil {
		return &storageError{err}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.f, c.tempPath = f, f.Name()
	if s.direct {
		c.dw = &directio.Writer{F: f}
	}
	return nil
}

// createTemp creates a temp file in the spool directory, for direct I/O
// where the spool has it.
func (s *spool) createTemp() (*os.File, error) {
	if !s.direct {
		return os.CreateTemp(s.dir, spoolPrefix+"*")
	}
	for {
		f, err := directio.Create(filepath.Join(s.dir, spoolPrefix+rand.Text()), 0o600)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
}

// directSpools remembers, by directory, whether temp files there can use
// direct I/O (asking the filesystem once).
var directSpools sync.Map

func directSpool(dir string) bool {
	if v, ok := directSpools.Load(dir); ok {
		return v.(bool)
	}
	ok := directio.Supported(dir)
	directSpools.Store(dir, ok)
	return ok
}

// fill reads into buf until it is full or r fails; io.EOF is returned as is.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// drain discards the rest of r (the size-limited request body), so the
// client reads the response instead of a connection reset.
func drain(r io.Reader) {
	bufp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bufp)
	buf := *bufp
	for {
		if _, err := r.Read(buf); err != nil {
			return
		}
	}
}
