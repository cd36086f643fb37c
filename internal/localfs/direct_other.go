//go:build !linux

package localfs

import "io"

// directSupported is false where O_DIRECT does not exist: stored files go
// through the page cache and are flushed after.
func directSupported(string) bool { return false }

func writeDirect(string, io.Reader, int64) error { panic("unreachable: no O_DIRECT") }
