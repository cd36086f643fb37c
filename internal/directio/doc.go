// Package directio writes and reads files with O_DIRECT, past the page
// cache. Uploads go through it because on the machines mediagraph was
// measured on (virtual ones, with 2 CPUs) flushing dirty pages to disk cost
// about 1.5 ms of CPU per MiB and reading a cold file back about 2 ms, while
// the same bytes written and read directly from aligned buffers cost a
// tenth of that. Where the filesystem has no direct I/O (Supported is
// false), callers use ordinary files.
package directio

// Block is the alignment of direct I/O here, of memory, file offsets and
// lengths: a filesystem that needs more is treated as not supporting it.
const Block = 4096

// Aligned returns a zeroed slice of n bytes whose first byte is
// Block-aligned in memory (the garbage collector does not move heap
// objects).
func Aligned(n int) []byte {
	raw := make([]byte, n+Block)
	off := alignOffset(raw)
	return raw[off : off+n : off+n]
}

// RoundUp is n rounded up to a whole number of blocks.
func RoundUp(n int) int { return (n + Block - 1) / Block * Block }

// ProbePrefix starts the name of the file Supported creates and removes in
// the directory it asks about: one a crash left behind can go.
const ProbePrefix = "direct-probe-"
