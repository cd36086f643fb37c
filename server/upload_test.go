package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestUploadImage_StoresFileAndRow(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice-store", "Alice")
	f := pngFile(`C:\Users\me\..\holi`+"\u0085"+`day`+"\u009b"+`.png`, 64, 48, 1)
	img := e.uploadImage(tok, f, map[string]any{"alt": "A beach, at dusk", "tags": []string{"sea", "2024"}})

	sum := sha256.Sum256(f.data)
	if img.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 = %s, want %x", img.SHA256, sum)
	}
	if img.Filename != "holiday.png" || img.ContentType != "image/png" || img.Format != "png" ||
		img.Width != 64 || img.Height != 48 || img.Bytes != int64(len(f.data)) {
		t.Errorf("image = %+v", img)
	}
	if img.Alt == nil || *img.Alt != "A beach, at dusk" || strings.Join(img.Tags, "|") != "sea|2024" {
		t.Errorf("alt %v tags %v", img.Alt, img.Tags)
	}
	if img.Owner.Name != "Alice" {
		t.Errorf("owner = %+v", img.Owner)
	}
	if !strings.HasPrefix(img.URL, e.srv.URL+"/media/") || strings.Contains(img.URL, "holiday") {
		t.Errorf("url %q must be under /media/ and not use the client's name", img.URL)
	}
	resp, body := get(t, img.URL)
	if resp.StatusCode != http.StatusOK || string(body) != string(f.data) {
		t.Fatalf("GET original: %d, %d bytes", resp.StatusCode, len(body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || resp.Header.Get("ETag") == "" {
		t.Errorf("caching headers: %v", resp.Header)
	}
	resp, _ = get(t, img.URL, "If-None-Match", resp.Header.Get("ETag"))
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
	}
	if n := e.count(`SELECT count(*) FROM images WHERE id = $1`, img.ID); n != 1 {
		t.Errorf("rows = %d", n)
	}
	if files := e.storedFiles(); len(files) != 1 {
		t.Errorf("stored files = %v", files)
	}
	eventually(t, "spool empty", func() bool { return len(e.spoolFiles()) == 0 })
}

func TestUploadImage_LargeFileIsSpooledAndRenamed(t *testing.T) {
	e := newEnv(t)
	tok := e.user("big")
	f := pngFile("big.png", 1000, 800, 2) // well over the in-memory threshold
	if len(f.data) < 1<<20 {
		t.Fatalf("fixture only %d bytes", len(f.data))
	}
	img := e.uploadImage(tok, f, nil)
	_, body := get(t, img.URL)
	if string(body) != string(f.data) {
		t.Fatal("stored bytes differ")
	}
	if s := e.spoolFiles(); len(s) != 0 {
		t.Errorf("spool not empty: %v", s)
	}
}

func TestUploadImage_SameBytesReturnSameImage(t *testing.T) {
	e := newEnv(t)
	tok := e.user("dup")
	f := pngFile("a.png", 20, 20, 3)
	first := e.uploadImage(tok, f, map[string]any{"alt": "first"})
	second := e.uploadImage(tok, file{name: "b.png", data: f.data}, map[string]any{"alt": "second"})
	if first.ID != second.ID || second.Alt == nil || *second.Alt != "first" {
		t.Fatalf("second upload = %+v, want the first image %s unchanged", second, first.ID)
	}
	if files := e.storedFiles(); len(files) != 1 {
		t.Errorf("stored files = %v", files)
	}
	// Another user uploading the same bytes gets an image of their own.
	other := e.uploadImage(e.user("dup-other"), f, nil)
	if other.ID == first.ID {
		t.Error("dedupe crossed owners")
	}
}

func TestUploadImage_ConcurrentDuplicatesMakeOneImage(t *testing.T) {
	e := newEnv(t)
	tok := e.user("race")
	f := jpegFile("r.jpg", 300, 200, 4)
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { ids[i] = e.uploadImage(tok, f, nil).ID })
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("ids differ: %v", ids)
		}
	}
	if got := e.count(`SELECT count(*) FROM images WHERE id = $1`, ids[0]); got != 1 {
		t.Fatalf("rows = %d", got)
	}
	eventually(t, "one file and an empty removal queue", func() bool {
		return len(e.storedFiles()) == 1 && e.count(`SELECT count(*) FROM blob_removals`) == 0
	})
}

const uploadImagesMutation = `mutation Many($files: [Upload!]!, $tags: [String!]) {
  uploadImages(files: $files, tags: $tags) { id filename width tags }
}`

func batch(files ...file) (map[string]any, [][]string) {
	vars := map[string]any{"files": make([]any, len(files))}
	paths := make([][]string, len(files))
	for i := range files {
		paths[i] = []string{fmt.Sprintf("variables.files.%d", i)}
	}
	return vars, paths
}

func TestUploadImages_ReturnsImagesInOrder(t *testing.T) {
	e := newEnv(t)
	tok := e.user("batch")
	files := []file{pngFile("one.png", 10, 10, 5), jpegFile("two.jpg", 20, 10, 6), pngFile("three.png", 30, 10, 7)}
	vars, paths := batch(files...)
	vars["tags"] = []string{"trip"}
	var out struct {
		UploadImages []struct {
			ID       string   `json:"id"`
			Filename string   `json:"filename"`
			Width    int      `json:"width"`
			Tags     []string `json:"tags"`
		} `json:"uploadImages"`
	}
	e.upload(tok, uploadImagesMutation, vars, files, paths).decode(t, &out)
	if len(out.UploadImages) != 3 {
		t.Fatalf("got %d images", len(out.UploadImages))
	}
	for i, want := range []string{"one.png", "two.jpg", "three.png"} {
		got := out.UploadImages[i]
		if got.Filename != want || got.Width != (i+1)*10 || len(got.Tags) != 1 || got.Tags[0] != "trip" {
			t.Errorf("image %d = %+v", i, got)
		}
	}
}

func TestUploadImages_AllOrNone(t *testing.T) {
	e := newEnv(t)
	tok := e.user("allornone")
	files := []file{pngFile("ok.png", 10, 10, 8), {name: "notes.txt", data: []byte("just some text, not an image")}, pngFile("ok2.png", 12, 10, 9)}
	vars, paths := batch(files...)
	resp := e.upload(tok, uploadImagesMutation, vars, files, paths)
	if resp.code() != "INVALID_IMAGE" {
		t.Fatalf("code %q: %s", resp.code(), resp.Raw)
	}
	if n := e.count(`SELECT count(*) FROM images i JOIN users u ON u.id = i.owner_id WHERE u.name = 'allornone'`); n != 0 {
		t.Errorf("%d rows left", n)
	}
	if f := e.storedFiles(); len(f) != 0 {
		t.Errorf("files left: %v", f)
	}
}

func TestUploadImages_StorageFailureKeepsNothing(t *testing.T) {
	e := newEnv(t)
	tok := e.user("storagefail")
	files := []file{pngFile("a.png", 10, 10, 10), pngFile("b.png", 10, 12, 11)}
	vars, paths := batch(files...)
	breakStore(t, e)
	resp := e.upload(tok, uploadImagesMutation, vars, files, paths)
	if resp.code() != "STORAGE_UNAVAILABLE" {
		t.Fatalf("code %q: %s", resp.code(), resp.Raw)
	}
	if strings.Contains(string(resp.Raw), e.mediaDir) {
		t.Errorf("the error shows a path: %s", resp.Raw)
	}
	if n := e.count(`SELECT count(*) FROM images i JOIN users u ON u.id = i.owner_id WHERE u.name = 'storagefail'`); n != 0 {
		t.Errorf("%d rows left", n)
	}
}

func TestUploadImage_OneFileMappedToTwoPaths(t *testing.T) {
	e := newEnv(t)
	tok := e.user("twopaths")
	f := pngFile("x.png", 16, 16, 12)
	var out struct {
		UploadImages []struct{ ID string } `json:"uploadImages"`
	}
	e.upload(tok, uploadImagesMutation, map[string]any{"files": []any{nil, nil}}, []file{f},
		[][]string{{"variables.files.0", "variables.files.1"}}).decode(t, &out)
	if len(out.UploadImages) != 2 || out.UploadImages[0].ID != out.UploadImages[1].ID {
		t.Fatalf("got %+v, want the same image twice", out.UploadImages)
	}
	if f := e.storedFiles(); len(f) != 1 {
		t.Errorf("files: %v", f)
	}
}

// breakStore makes every later Put fail: the originals directory becomes a file.
func breakStore(t *testing.T, e *testEnv) {
	t.Helper()
	dir := filepath.Join(e.mediaDir, "originals")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestUploadImage_EveryImageHasAPlaceholder(t *testing.T) {
	e := newEnv(t)
	tok := e.user("placeholder")
	f := jpegFile("p.jpg", 300, 100, 13)
	var out struct {
		UploadImage struct {
			ID          string  `json:"id"`
			Placeholder *string `json:"placeholder"`
		} `json:"uploadImage"`
	}
	e.upload(tok, `mutation($f: Upload!) { uploadImage(file: $f) { id placeholder } }`, map[string]any{"f": nil},
		[]file{f}, [][]string{{"variables.f"}}).decode(t, &out)
	p := out.UploadImage.Placeholder
	if p == nil || !strings.HasPrefix(*p, "data:image/") || len(*p) >= 1024 {
		t.Fatalf("placeholder = %v", p)
	}
	// Made once, then kept with the row.
	if n := e.count(`SELECT count(*) FROM images WHERE id = $1 AND placeholder = $2`, out.UploadImage.ID, *p); n != 1 {
		t.Error("placeholder not stored")
	}
}
