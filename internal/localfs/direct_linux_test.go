package localfs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// directDir is a directory where direct I/O works; the test fails where it
// does not (Linux filesystems that lack it, such as an old tmpfs, would
// need TMPDIR pointed elsewhere).
func directDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if !directSupported(dir) {
		t.Fatalf("%s does not support O_DIRECT at %d-byte alignment: point TMPDIR at a disk filesystem", dir, directBlock)
	}
	return dir
}

// Whole blocks, a partial tail, one byte, buffers' edges: the file holds
// exactly the body, with no padding left on.
func TestWriteDirect_ExactBytesAtEverySize(t *testing.T) {
	dir := directDir(t)
	for _, n := range []int{1, directBlock - 1, directBlock, directBlock + 1, directBufSize - 1, directBufSize, directBufSize + 1, 1<<20 + 3} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(i*7 + n)
			}
			path := filepath.Join(dir, fmt.Sprint(n))
			if err := writeDirect(path, bytes.NewReader(data), int64(n)); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes (%v), want the %d written", len(got), err, n)
			}
		})
	}
}

// A body that is not the size it was declared to be is an error, and no
// file is left.
func TestWriteDirect_BodyOfAnotherSizeLeavesNothing(t *testing.T) {
	dir := directDir(t)
	data := bytes.Repeat([]byte{1}, directBufSize+10)
	for _, declared := range []int64{int64(len(data)) - 1, int64(len(data)) + 1, 5} {
		path := filepath.Join(dir, fmt.Sprint(declared))
		if err := writeDirect(path, bytes.NewReader(data), declared); err == nil {
			t.Errorf("declared %d of %d bytes: no error", declared, len(data))
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("declared %d: file left behind (%v)", declared, err)
		}
	}
}

// The store writes bodies held in memory with direct I/O when it flushes
// and the filesystem allows it; MEDIA_FSYNC=false keeps the page cache.
func TestNew_DirectIOWhenFlushing(t *testing.T) {
	dir := directDir(t)
	for _, noFsync := range []bool{false, true} {
		s, err := New(Config{Dir: filepath.Join(dir, fmt.Sprint(noFsync)), PublicURL: "http://example.test", NoFsync: noFsync})
		if err != nil {
			t.Fatal(err)
		}
		if s.direct == noFsync {
			t.Errorf("NoFsync %v: direct %v", noFsync, s.direct)
		}
		if left, _ := os.ReadDir(s.originals); len(left) != 0 {
			t.Errorf("probe left %v", left)
		}
	}
}
