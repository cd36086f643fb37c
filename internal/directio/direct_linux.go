package directio

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

func alignOffset(b []byte) int {
	return (Block - int(uintptr(unsafe.Pointer(&b[0]))%Block)) % Block
}

// Supported reports whether files in dir can be read and written with
// O_DIRECT at Block alignment, asking the filesystem (statx
// STATX_DIOALIGN) about a probe file that it then removes.
func Supported(dir string) bool {
	f, err := os.CreateTemp(dir, ProbePrefix+"*")
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
		st.Dio_offset_align != 0 && Block%st.Dio_offset_align == 0 &&
		st.Dio_mem_align != 0 && Block%st.Dio_mem_align == 0
}

// flag is the open(2) flag of direct I/O.
const flag = unix.O_DIRECT

// Datasync makes f's data, and the metadata needed to read it, durable.
func Datasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }

func pwritev(f *os.File, iov [][]byte, off int64) (int, error) {
	return unix.Pwritev(int(f.Fd()), iov, off)
}
