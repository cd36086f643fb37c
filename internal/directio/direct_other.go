//go:build !linux

package directio

import (
	"os"
	"unsafe"
)

func alignOffset(b []byte) int {
	return (Block - int(uintptr(unsafe.Pointer(&b[0]))%Block)) % Block
}

// Supported is false where O_DIRECT does not exist.
func Supported(string) bool { return false }

// flag is never used where Supported is false.
const flag = 0

// Datasync makes f's data durable.
func Datasync(f *os.File) error { return f.Sync() }

func pwritev(f *os.File, iov [][]byte, off int64) (int, error) {
	n := 0
	for _, b := range iov {
		m, err := f.WriteAt(b, off+int64(n))
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
