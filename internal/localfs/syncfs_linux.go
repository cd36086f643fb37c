package localfs

import (
	"os"

	"golang.org/x/sys/unix"
)

// haveSyncfs says stored files are flushed by group commit over syncfs(2).
const haveSyncfs = true

// syncfs flushes the whole filesystem holding f: data and metadata of every
// file written before the call, renames included.
func syncfs(f *os.File) error { return unix.Syncfs(int(f.Fd())) }
