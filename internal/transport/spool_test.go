package transport

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/mediagraph/mediagraph/internal/directio"
)

// Every size around the edges that matter (blocks, chunks, write batches,
// the memory limit), with the body's rest declared or not, with and
// without a memory budget that runs out partway (at the last chunk
// included), through direct I/O and without: the content reads back
// exactly, its file holds exactly its bytes, and releasing it leaves no
// file and no budget taken.
func TestSpool_ExactBytesAtEverySize(t *testing.T) {
	const memLimit = 4 << 20
	sizes := []int{1, 4095, 4096, 4097, copyBufSize - 1, copyBufSize, copyBufSize + 1,
		writeBatch - 1, writeBatch, writeBatch + 1, writeBatch + 100, writeBatch + copyBufSize + 100,
		1 << 20, 1<<20 + 4096, memLimit - 1, memLimit, memLimit + 1, memLimit + 100, memLimit + copyBufSize - 1,
		memLimit + copyBufSize, memLimit + copyBufSize + 1, 5<<20 - 3}
	for _, direct := range []bool{true, false} {
		dir := t.TempDir()
		if direct && !directio.Supported(dir) {
			t.Fatalf("%s has no direct I/O: point TMPDIR at a disk filesystem", dir)
		}
		for _, remaining := range []int64{-1, 0, 100 << 20} {
			for _, budget := range []*MemoryBudget{nil, NewMemoryBudget(9 * copyBufSize)} {
				for _, n := range sizes {
					name := fmt.Sprintf("direct %v, rest %d, budget %v, %d bytes", direct, remaining, budget != nil, n)
					data := make([]byte, n)
					for i := range data {
						data[i] = byte(i*7 + i>>9)
					}
					s := &spool{dir: dir, direct: direct, memLimit: memLimit, maxFile: 20 << 20, budget: budget}
					c, err := s.receive(bytes.NewReader(data), remaining)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					got, err := io.ReadAll(io.NewSectionReader(c, 0, c.size))
					if err != nil || !bytes.Equal(got, data) || c.sum != sha256.Sum256(data) {
						t.Fatalf("%s: read back %d bytes (%v)", name, len(got), err)
					}
					if c.f != nil {
						if st, err := c.f.Stat(); err != nil || st.Size() != int64(n) {
							t.Fatalf("%s: file of %d bytes (%v)", name, st.Size(), err)
						}
					}
					s.release()
					if budget != nil && budget.used.Load() != 0 {
						t.Fatalf("%s: %d bytes of budget still taken", name, budget.used.Load())
					}
				}
			}
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("direct %v: left %v", direct, left)
		}
	}
}
