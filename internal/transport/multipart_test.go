package transport

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/mediagraph/mediagraph/internal/directio"
)

func TestMultipartSingleFile(t *testing.T) {
	var onFile atomic.Int64
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir(), OnFile: func(n int64) { onFile.Add(n) }}, nil)
	content := []byte("hello, upload world")
	r := postMultipart(t, srv, nil,
		field("operations", singleOps),
		field("map", `{"0":["variables.file"]}`),
		filePart("0", "a.txt", content))
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if got := r.gql(t).str(t, "upload"); got != want("a.txt", content) {
		t.Fatalf("upload = %q, want %q", got, want("a.txt", content))
	}
	if ct := r.header.Get("Content-Type"); ct != mediaJSON {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if onFile.Load() != int64(len(content)) {
		t.Errorf("OnFile saw %d bytes", onFile.Load())
	}
}

func TestMultipartContentTypeAndEmptyFile(t *testing.T) {
	var got graphql.Upload
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, func(ctx context.Context, up graphql.Upload) { got = up })
	r := postMultipart(t, srv, nil,
		field("operations", singleOps),
		field("map", `{"0":["variables.file"]}`),
		mpart{name: "0", filename: "empty.png", hasFilename: true, contentType: "image/png"})
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if s := r.gql(t).str(t, "upload"); s != want("empty.png", nil) {
		t.Fatalf("upload = %q", s)
	}
	if got.ContentType != "image/png" || got.Size != 0 || got.Filename != "empty.png" {
		t.Fatalf("upload = %+v", got)
	}
}

// apollo-upload-client sends keys "1", "2", ... and filename "blob" for Blob
// values (or none at all), with Accept */* (Apollo Client 3).
func TestMultipartApolloUploadClient(t *testing.T) {
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, nil)
	a, b := bytesOf(1000, 1), bytesOf(3, 2)
	r := postMultipart(t, srv, acceptHeader("*/*"),
		field("operations", listOps),
		field("map", `{"1":["variables.files.0"],"2":["variables.files.1"]}`),
		filePart("1", "blob", a),
		mpart{name: "2", contentType: "image/jpeg", body: b})
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	got := r.gql(t).strs(t, "uploads")
	if len(got) != 2 || got[0] != want("blob", a) || got[1] != want("", b) {
		t.Fatalf("uploads = %q", got)
	}
	if ct := r.header.Get("Content-Type"); ct != mediaJSON {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestMultipartBatch(t *testing.T) {
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, nil)
	a, b, c := []byte("first"), []byte("second"), bytesOf(300_000, 3)
	ops := `[` + singleOps + `,` + listOps + `,{"query":"{ ok }"}]`
	r := postMultipart(t, srv, nil,
		field("operations", ops),
		field("map", `{"1":["0.variables.file"],"2":["1.variables.files.0"],"3":["1.variables.files.1"]}`),
		filePart("1", "a", a), filePart("2", "b", b), filePart("3", "c", c))
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	res := r.batch(t)
	if len(res) != 3 {
		t.Fatalf("%d responses: %s", len(res), r.body)
	}
	if s := res[0].str(t, "upload"); s != want("a", a) {
		t.Errorf("op 0: %q", s)
	}
	if s := res[1].strs(t, "uploads"); len(s) != 2 || s[0] != want("b", b) || s[1] != want("c", c) {
		t.Errorf("op 1: %q", s)
	}
	if string(res[2].Data["ok"]) != "true" {
		t.Errorf("op 2: %s", r.body)
	}
}

// One file referenced by two paths: each Upload is its own view with its
// own offset over the same content, in memory and spilled.
func TestMultipartOneFileTwoPaths(t *testing.T) {
	for _, size := range []int{10, 200_000} {
		var mu sync.Mutex
		var files []*File
		srv := newServer(t, MultipartForm{SpoolDir: t.TempDir(), MemoryFileBytes: 1024}, func(ctx context.Context, up graphql.Upload) {
			mu.Lock()
			defer mu.Unlock()
			f := up.File.(*File)
			if len(files) == 0 {
				// Move the first view's offset; the second must not see it.
				_, _ = io.CopyN(io.Discard, f, 5)
			}
			files = append(files, f)
		})
		content := bytesOf(size, 4)
		r := postMultipart(t, srv, nil,
			field("operations", `{"query":"mutation($a: Upload!, $b: Upload!){ x: upload(file: $a) y: upload(file: $b) }","variables":{"a":null,"b":null}}`),
			field("map", `{"1":["variables.a","variables.b"]}`),
			filePart("1", "same.bin", content))
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		g := r.gql(t)
		if g.str(t, "x") != want("same.bin", content) || g.str(t, "y") != want("same.bin", content) {
			t.Fatalf("size %d: %s", size, r.body)
		}
		if len(files) != 2 || files[0] == files[1] || files[0].c != files[1].c {
			t.Fatalf("want two views over one content, got %v", files)
		}
	}
}

// Small files stay in memory; a large one is in SpoolDir while the
// resolver runs and gone afterwards.
func TestMultipartMemoryVersusSpill(t *testing.T) {
	dir := t.TempDir()
	seen := map[string][]string{}
	srv := newServer(t, MultipartForm{SpoolDir: dir, MemoryFileBytes: 4096}, func(ctx context.Context, up graphql.Upload) {
		seen[up.Filename] = dirEntries(t, dir)
		if err := up.File.(*File).MoveTo(filepath.Join(t.TempDir(), "x")); up.Filename == "small" && err == nil {
			t.Error("MoveTo of an in-memory file succeeded")
		}
	})
	small, exact, large := bytesOf(100, 5), bytesOf(4096, 6), bytesOf(100_000, 7)

	for _, tc := range []struct {
		name    string
		content []byte
		spilled bool
	}{{"small", small, false}, {"exact", exact, false}, {"large", large, true}} {
		r := postMultipart(t, srv, nil,
			field("operations", singleOps),
			field("map", `{"0":["variables.file"]}`),
			filePart("0", tc.name, tc.content))
		if r.status != http.StatusOK || r.gql(t).str(t, "upload") != want(tc.name, tc.content) {
			t.Fatalf("%s: status %d: %s", tc.name, r.status, r.body)
		}
		names := seen[tc.name]
		if tc.spilled != (len(names) == 1) || (tc.spilled && !strings.HasPrefix(names[0], "upload-")) {
			t.Errorf("%s: spool dir during resolver: %v", tc.name, names)
		}
		if left := dirEntries(t, dir); len(left) != 0 {
			t.Errorf("%s: spool dir after response: %v", tc.name, left)
		}
	}
}

func TestMultipartMoveTo(t *testing.T) {
	dir, store := t.TempDir(), t.TempDir()
	dst := filepath.Join(store, "kept.bin")
	content := bytesOf(50_000, 8)
	var calls int
	var moveErr, secondErr error
	var readBack []byte
	srv := newServer(t, MultipartForm{SpoolDir: dir, MemoryFileBytes: 1024}, func(ctx context.Context, up graphql.Upload) {
		f := up.File.(*File)
		calls++
		if calls == 2 {
			// Second view over the same content: already moved.
			secondErr = f.MoveTo(filepath.Join(store, "again.bin"))
			return
		}
		moveErr = f.MoveTo(dst)
		if got := dirEntries(t, dir); len(got) != 0 {
			t.Errorf("spool dir after MoveTo: %v", got)
		}
		readBack, _ = io.ReadAll(f)
		if f.SHA256() != sha256.Sum256(content) {
			t.Error("SHA256 mismatch")
		}
	})
	r := postMultipart(t, srv, nil,
		field("operations", `{"query":"mutation($a: Upload!, $b: Upload!){ x: upload(file: $a) y: upload(file: $b) }","variables":{"a":null,"b":null}}`),
		field("map", `{"1":["variables.a","variables.b"]}`),
		filePart("1", "a", content))
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	g := r.gql(t)
	if g.str(t, "x") != want("a", content) || g.str(t, "y") != want("a", content) {
		t.Fatalf("content not readable after MoveTo: %s", r.body)
	}
	if moveErr != nil {
		t.Fatalf("MoveTo: %v", moveErr)
	}
	if secondErr == nil {
		t.Fatal("second MoveTo of the same content succeeded")
	}
	if string(readBack) != string(content) {
		t.Fatal("content not readable after MoveTo")
	}
	kept, err := os.ReadFile(dst)
	if err != nil || string(kept) != string(content) {
		t.Fatalf("moved file: %v", err)
	}
	if left := dirEntries(t, dir); len(left) != 0 {
		t.Fatalf("spool dir: %v", left)
	}
	if _, err := os.Stat(filepath.Join(store, "again.bin")); err == nil {
		t.Fatal("second MoveTo created a file")
	}
}

// TestPrepareSpool_RemovesOnlyLeftUploads: the spool may be shared, so only
// the transport's own temp files from an interrupted run are removed.
func TestPrepareSpool_RemovesOnlyLeftUploads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	if err := PrepareSpool(dir); err != nil { // creates it
		t.Fatal(err)
	}
	for _, name := range []string{"upload-123", "upload-abc", directio.ProbePrefix + "42", "put-9", "keep.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := PrepareSpool(dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, ",") != "keep.txt,put-9" {
		t.Errorf("left %v, want keep.txt and put-9", left)
	}
}
