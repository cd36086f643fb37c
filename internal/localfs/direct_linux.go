package localfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// directBlock is the alignment direct writes use, of memory, file offsets
// and lengths: a filesystem whose direct I/O needs more is written through
// the page cache instead.
const directBlock = 4096

// directBufSize is the size of the pooled aligned buffers direct writes go
// through.
const directBufSize = 256 << 10

var directBufs = sync.Pool{New: func() any {
	raw := make([]byte, directBufSize+directBlock)
	off := (directBlock - int(uintptr(unsafe.Pointer(&raw[0]))%directBlock)) % directBlock
	b := raw[off : off+directBufSize : off+directBufSize]
	return &b
}}

// directSupported reports whether files in dir can be written with
// O_DIRECT at directBlock alignment, asking the filesystem (statx
// STATX_DIOALIGN) about a probe file.
func directSupported(dir string) bool {
	f, err := os.CreateTemp(dir, "direct-probe-*")
	if err != nil {
		return false
	}
	defer os.Remove(f.Name())
	defer f.Close()
	var st unix.Statx_t
	if err := unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH, unix.STATX_DIOALIGN, &st); err != nil {
		return false
	}
	return st.Mask&unix.STATX_DIOALIGN != 0 &&
		st.Dio_offset_align != 0 && directBlock%st.Dio_offset_align == 0 &&
		st.Dio_mem_align != 0 && directBlock%st.Dio_mem_align == 0
}

// writeDirect creates path and writes size bytes of body to it with
// O_DIRECT, then fdatasync: the bytes go from an aligned buffer to the
// device without passing through the page cache, so making them durable
// costs a fraction of the CPU of flushing dirty pages. The tail is padded
// to a block and the file truncated to size. On failure the file is
// removed.
func writeDirect(path string, body io.Reader, size int64) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_DIRECT, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(path)
		}
	}()
	bufp := directBufs.Get().(*[]byte)
	defer directBufs.Put(bufp)
	buf := *bufp
	var written int64
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			if written+int64(n) > size {
				return fmt.Errorf("body longer than its %d bytes", size)
			}
			padded := (n + directBlock - 1) / directBlock * directBlock
			clear(buf[n:padded])
			if _, err := f.Write(buf[:padded]); err != nil {
				return err
			}
			written += int64(n)
		}
		if rerr == io.EOF || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if written != size {
		return fmt.Errorf("body of %d bytes, not %d", written, size)
	}
	if written%directBlock != 0 {
		if err := f.Truncate(size); err != nil {
			return err
		}
	}
	if err := f.Chmod(0o644); err != nil { // whatever the umask, as the other paths
		return err
	}
	return unix.Fdatasync(int(f.Fd()))
}
