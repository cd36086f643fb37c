//go:build !linux

package localfs

import "os"

// haveSyncfs is false where syncfs(2) does not exist: each Put then flushes
// its own file and directory.
const haveSyncfs = false

func syncfs(*os.File) error { panic("unreachable: no syncfs") }
