package localfs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mediagraph/mediagraph/internal/directio"
)

// The store writes bodies held in memory with direct I/O where the
// filesystem allows it, whether it then flushes them or not: on the
// machines measured, the page cache cost more CPU even unflushed.
func TestNew_DirectIOWhereTheFilesystemHasIt(t *testing.T) {
	dir := t.TempDir()
	if !directio.Supported(dir) {
		t.Fatalf("%s has no direct I/O: point TMPDIR at a disk filesystem", dir)
	}
	for _, noFsync := range []bool{false, true} {
		s, err := New(Config{Dir: filepath.Join(dir, fmt.Sprint(noFsync)), PublicURL: "http://example.test", NoFsync: noFsync})
		if err != nil {
			t.Fatal(err)
		}
		if !s.direct {
			t.Errorf("NoFsync %v: direct %v", noFsync, s.direct)
		}
		if left, _ := os.ReadDir(s.spool); len(left) != 0 {
			t.Errorf("the probe left %v", left)
		}
	}
}
