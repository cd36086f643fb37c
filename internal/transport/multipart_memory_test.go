package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/mediagraph/mediagraph/internal/directio"
)

// inMemoryRecorder is an upload hook that records, by filename, whether
// the content was held in memory (MoveTo refuses it) rather than spilled.
type inMemoryRecorder struct {
	mu  sync.Mutex
	mem map[string]bool
}

func (r *inMemoryRecorder) hook(t *testing.T) uploadHook {
	r.mem = map[string]bool{}
	return func(ctx context.Context, up graphql.Upload) {
		err := up.File.(*File).MoveTo(filepath.Join(t.TempDir(), "moved"))
		r.mu.Lock()
		r.mem[up.Filename] = errors.Is(err, errInMemory)
		r.mu.Unlock()
	}
}

const twoFilesOps = `{"query":"mutation($a: Upload!, $b: Upload!){ x: upload(file: $a) y: upload(file: $b) }","variables":{"a":null,"b":null}}`

// The shared budget bounds what all requests hold in memory: a file that
// would go over it spills, even when it is under MemoryFileBytes, and what
// a request held is given back when it ends.
func TestMultipartMemoryBudget(t *testing.T) {
	budget := NewMemoryBudget(3 * copyBufSize)
	var rec inMemoryRecorder
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir(), MemoryFileBytes: 1 << 20, MemoryBudget: budget}, rec.hook(t))
	first, second := bytesOf(150_000, 1), bytesOf(100_000, 2) // three chunks, then two more
	r := postMultipart(t, srv, nil,
		field("operations", twoFilesOps),
		field("map", `{"1":["variables.a"],"2":["variables.b"]}`),
		filePart("1", "first", first), filePart("2", "second", second))
	if r.status != http.StatusOK || r.gql(t).str(t, "x") != want("first", first) || r.gql(t).str(t, "y") != want("second", second) {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if !rec.mem["first"] || rec.mem["second"] {
		t.Errorf("in memory: %v, want only the first (the budget holds three chunks)", rec.mem)
	}
	if used := budget.used.Load(); used != 0 {
		t.Errorf("budget still holds %d bytes after the request", used)
	}
	// The budget is whole again: the next request's file fits in it.
	r = postMultipart(t, srv, nil, field("operations", singleOps), field("map", `{"1":["variables.file"]}`), filePart("1", "again", first))
	if r.status != http.StatusOK || !rec.mem["again"] {
		t.Errorf("after the budget was given back: status %d, in memory %v", r.status, rec.mem)
	}
}

// A body whose declared rest is larger than MemoryFileBytes may hold a
// large file: its files keep only earlySpillBytes in memory. A file that
// the rest of the body shows to fit stays in memory whole; so does one of
// a chunked body (no declared length) up to MemoryFileBytes.
func TestMultipartSpillsEarlyWhenTheBodyIsLarge(t *testing.T) {
	var rec inMemoryRecorder
	mp := MultipartForm{SpoolDir: t.TempDir(), MemoryFileBytes: 2 << 20}
	srv := newServer(t, mp, rec.hook(t))
	big := bytesOf(1_500_000, 3)
	body, ct := multipartBody(field("operations", twoFilesOps), field("map", `{"1":["variables.a"],"2":["variables.b"]}`),
		filePart("1", "a", big), filePart("2", "b", big))
	r := do(t, srv, http.MethodPost, "/", ct, bytes.NewReader(body), nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if rec.mem["a"] || !rec.mem["b"] {
		t.Errorf("in memory: %v, want b only (a came with 3 MB of body behind it)", rec.mem)
	}

	body, ct = multipartBody(field("operations", singleOps), field("map", `{"1":["variables.file"]}`), filePart("1", "chunked", big))
	r = do(t, srv, http.MethodPost, "/", ct, io.MultiReader(bytes.NewReader(body)), nil) // no length: sent chunked
	if r.status != http.StatusOK || !rec.mem["chunked"] {
		t.Errorf("chunked body: status %d, in memory %v", r.status, rec.mem)
	}
}

// Content held in memory is given back to the pool when the request ends:
// reading it afterwards fails rather than returning another request's bytes.
func TestMultipartMemoryContentUnreadableAfterTheRequest(t *testing.T) {
	var kept *File
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir(), MemoryFileBytes: 1 << 20}, func(ctx context.Context, up graphql.Upload) {
		kept = up.File.(*File)
	})
	r := postMultipart(t, srv, nil, field("operations", singleOps), field("map", `{"1":["variables.file"]}`), filePart("1", "a", bytesOf(70_000, 4)))
	if r.status != http.StatusOK || kept == nil {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if _, err := kept.ReadAt(make([]byte, 10), 0); !errors.Is(err, errReleased) {
		t.Errorf("ReadAt after the request: %v, want errReleased", err)
	}
}

// Where the spool's filesystem has direct I/O, spilled files use it (their
// bytes never become dirty pages to flush), and read back whole through it.
func TestMultipartSpillsWithDirectIO(t *testing.T) {
	dir := t.TempDir()
	if !directio.Supported(dir) {
		t.Fatalf("%s has no direct I/O: point TMPDIR at a disk filesystem", dir)
	}
	content := bytesOf(300_001, 9) // not a whole number of blocks
	var direct bool
	var back []byte
	srv := newServer(t, MultipartForm{SpoolDir: dir, MemoryFileBytes: 1024}, func(ctx context.Context, up graphql.Upload) {
		f := up.File.(*File)
		direct = f.c.dr != nil
		back, _ = io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
	})
	r := postMultipart(t, srv, nil, field("operations", singleOps), field("map", `{"1":["variables.file"]}`), filePart("1", "a", content))
	if r.status != http.StatusOK || r.gql(t).str(t, "upload") != want("a", content) {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if !direct || !bytes.Equal(back, content) {
		t.Errorf("direct %v, read back %d of %d bytes", direct, len(back), len(content))
	}
	if left := dirEntries(t, dir); len(left) != 0 {
		t.Errorf("spool holds %v", left)
	}
}
