package transport

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// copyBufSize is the size of the pooled buffers used to move file bytes;
// readBufSize the size of the buffer the multipart reader reads the body into.
const (
	copyBufSize = 64 << 10
	readBufSize = 64 << 10
)

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, copyBufSize)
	return &b
}}

// spoolPrefix starts the name of every temp file an upload spills to.
const spoolPrefix = "upload-"

// PrepareSpool creates dir and removes the temp files of uploads an
// interrupted run left there; other files are left alone, since the
// directory may be shared.
func PrepareSpool(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), spoolPrefix) {
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

// spool receives the files of one request and releases them all at the end.
type spool struct {
	dir      string
	memLimit int64 // files up to this size stay in memory
	maxFile  int64 // per-file limit

	mu       sync.Mutex
	contents []*content
}

func (s *spool) track(c *content) {
	s.mu.Lock()
	s.contents = append(s.contents, c)
	s.mu.Unlock()
}

// release closes every temp file and removes those not moved away.
func (s *spool) release() {
	s.mu.Lock()
	cs := s.contents
	s.contents = nil
	s.mu.Unlock()
	for _, c := range cs {
		c.release()
	}
}

// receive streams r into a new content, hashing it as it goes. The content
// stays in memory up to memLimit bytes; beyond that what was buffered and
// then the rest are written to a temp file in dir. Reading stops after
// maxFile+1 bytes with errFileTooLarge.
func (s *spool) receive(r io.Reader) (*content, error) {
	bufp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bufp)
	buf := *bufp

	c := &content{}
	h := sha256.New()
	lr := &io.LimitedReader{R: r, N: s.maxFile + 1}
	var mem [][]byte
	var memSize, total int64
	for {
		n, rerr := fill(lr, buf)
		if n > 0 {
			total += int64(n)
			if total > s.maxFile {
				c.release()
				return nil, errFileTooLarge
			}
			chunk := buf[:n]
			h.Write(chunk)
			if c.f == nil && memSize+int64(n) <= s.memLimit {
				mem = append(mem, bytes.Clone(chunk))
				memSize += int64(n)
			} else {
				if c.f == nil {
					if err := s.spill(c, mem); err != nil {
						return nil, err
					}
					mem = nil
				}
				if _, err := c.f.Write(chunk); err != nil {
					c.release()
					return nil, &storageError{err}
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			c.release()
			return nil, rerr
		}
	}
	c.size = total
	h.Sum(c.sum[:0])
	if c.f == nil {
		c.mem = &memContent{chunks: mem, size: total}
	}
	return c, nil
}

// spill creates c's temp file, registers it for cleanup and writes the
// bytes buffered so far.
func (s *spool) spill(c *content, buffered [][]byte) error {
	f, err := os.CreateTemp(s.dir, spoolPrefix+"*")
	if err != nil {
		return &storageError{err}
	}
	c.f, c.tempPath = f, f.Name()
	s.track(c)
	for _, b := range buffered {
		if _, err := f.Write(b); err != nil {
			c.release()
			return &storageError{err}
		}
	}
	return nil
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
