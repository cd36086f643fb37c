package directio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// directDir is a directory where direct I/O works. The test fails where it
// does not, rather than pass without testing anything: on Linux, point
// TMPDIR at a disk filesystem (an old tmpfs lacks O_DIRECT).
func directDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if !Supported(dir) {
		t.Fatalf("%s does not support O_DIRECT at %d-byte alignment", dir, Block)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("the probe left %v", left)
	}
	return dir
}

var sizes = []int{1, Block - 1, Block, Block + 1, bufSize - 1, bufSize, bufSize + 1, 1<<20 + 3}

func pattern(n int) []byte {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*7 + n)
	}
	return data
}

// Whole blocks, a partial tail, one byte, the buffer's edges: the file
// holds exactly the body, no padding left on, with the mode asked for.
func TestWriteFile_ExactBytesAtEverySize(t *testing.T) {
	dir := directDir(t)
	for _, n := range sizes {
		data := pattern(n)
		path := filepath.Join(dir, fmt.Sprint(n))
		if err := WriteFile(path, bytes.NewReader(data), int64(n), 0o644, n%2 == 0); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read back %d (%v)", n, len(got), err)
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
			t.Errorf("%d bytes: mode %v", n, st.Mode().Perm())
		}
	}
}

// A body that is not the size it was declared to be is an error, and no
// file is left.
func TestWriteFile_BodyOfAnotherSizeLeavesNothing(t *testing.T) {
	dir := directDir(t)
	data := bytes.Repeat([]byte{1}, bufSize+10)
	for _, declared := range []int64{int64(len(data)) - 1, int64(len(data)) + 1, 5} {
		path := filepath.Join(dir, fmt.Sprint(declared))
		if err := WriteFile(path, bytes.NewReader(data), declared, 0o644, true); err == nil {
			t.Errorf("declared %d of %d bytes: no error", declared, len(data))
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("declared %d: file left behind (%v)", declared, err)
		}
	}
}

// A Writer fed batches of whole chunks and a partial last one, then read
// back at every kind of offset through a ReaderAt: the bytes match, reads
// past the end say io.EOF, and a write after the partial block is refused.
func TestWriterAndReaderAt(t *testing.T) {
	dir := directDir(t)
	for _, n := range sizes {
		data := pattern(n)
		f, err := Create(filepath.Join(dir, fmt.Sprint(n)), 0o600)
		if err != nil {
			t.Fatal(err)
		}
		w := &Writer{F: f}
		var batch [][]byte
		for rest := data; len(rest) > 0; {
			chunk := Aligned(64 << 10)
			k := copy(chunk, rest)
			batch = append(batch, chunk[:k])
			rest = rest[k:]
			if len(batch) == 3 || len(rest) == 0 {
				if err := w.WriteChunks(batch); err != nil {
					t.Fatalf("%d bytes: %v", n, err)
				}
				batch = nil
			}
		}
		if n%Block != 0 {
			if err := w.WriteChunks([][]byte{Aligned(Block)}); err == nil {
				t.Errorf("%d bytes: a write after the partial block was taken", n)
			}
		}
		if err := w.Finish(); err != nil || w.Size() != int64(n) {
			t.Fatalf("%d bytes: Finish %v, size %d", n, err, w.Size())
		}
		r := NewReaderAt(f, int64(n))
		for _, off := range []int{0, 1, n / 3, n - 1, Block - 1, bufSize - 2, bufSize + 5} {
			if off < 0 || off >= n {
				continue
			}
			p := make([]byte, min(5000, n-off))
			if k, err := r.ReadAt(p, int64(off)); k != len(p) || (err != nil && err != io.EOF) || !bytes.Equal(p, data[off:off+len(p)]) {
				t.Fatalf("%d bytes: ReadAt(%d, %d) = %d, %v", n, len(p), off, k, err)
			}
		}
		if k, err := r.ReadAt(make([]byte, 10), int64(n)); k != 0 || err != io.EOF {
			t.Errorf("%d bytes: read at the end = %d, %v", n, k, err)
		}
		whole, err := io.ReadAll(io.NewSectionReader(r, 0, int64(n)))
		if err != nil || !bytes.Equal(whole, data) {
			t.Fatalf("%d bytes: sequential read %d (%v)", n, len(whole), err)
		}
		r.Release()
		_ = f.Close()
	}
}

// Writes that the Writer cannot make directly are refused before they
// reach the file: a partial block without room to pad it, or before the
// last chunk of a batch.
func TestWriter_RefusesWhatDirectIOCannotWrite(t *testing.T) {
	f, err := Create(filepath.Join(directDir(t), "f"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &Writer{F: f}
	b := Aligned(2 * Block)
	if err := w.WriteChunks([][]byte{b[:10:10]}); err == nil {
		t.Error("a partial block without capacity to pad it was written")
	}
	if err := w.WriteChunks([][]byte{b[:10], Aligned(Block)}); err == nil {
		t.Error("a partial block before the last chunk was written")
	}
	if st, _ := f.Stat(); st.Size() != 0 || w.Size() != 0 {
		t.Errorf("file of %d bytes, writer at %d, after refused writes", st.Size(), w.Size())
	}
}
