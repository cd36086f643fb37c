package localfs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mediagraph/mediagraph/internal/localfs"
	"github.com/mediagraph/mediagraph/internal/media"
)

func newStore(t *testing.T) *localfs.Store {
	t.Helper()
	s, err := localfs.New(localfs.Config{Dir: t.TempDir(), PublicURL: "http://example.test/"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func original(s *localfs.Store, key string) string {
	return filepath.Join(s.Dir(), "originals", filepath.FromSlash(key))
}

func spool(t *testing.T, s *localfs.Store) []string {
	t.Helper()
	entries, err := os.ReadDir(s.SpoolDir())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func put(t *testing.T, s *localfs.Store, key string, data []byte) {
	t.Helper()
	if _, err := s.Put(context.Background(), media.Blob{Key: key, Size: int64(len(data)), Body: bytes.NewReader(data)}); err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
}

var keyPattern = regexp.MustCompile(`^[0-9a-f]{2}/[0-9a-f]{32}\.(jpg|png|gif|webp|avif)$`)

func TestConfigValidate(t *testing.T) {
	if err := (localfs.Config{Dir: "/x", PublicURL: "https://a"}).Validate(); err != nil {
		t.Errorf("good config: %v", err)
	}
	for _, c := range []localfs.Config{{Dir: "", PublicURL: "https://a"}, {Dir: "/x", PublicURL: "ftp://a"}, {Dir: "/x"}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
		if _, err := localfs.New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

func TestNewKey_FormatAndUniqueness(t *testing.T) {
	s := newStore(t)
	seen := make(map[string]bool, 10000)
	firstDirs := map[string]bool{}
	for i := 0; i < 10000; i++ {
		format := []string{"jpg", "png", "gif", "webp", "avif"}[i%5]
		k := s.NewKey(format)
		if !keyPattern.MatchString(k) || !strings.HasSuffix(k, "."+format) {
			t.Fatalf("key %q does not have the form hh/<32 hex>.%s", k, format)
		}
		name := strings.TrimSuffix(k, "."+format)
		if seen[name] {
			t.Fatalf("key %q repeated after %d keys", k, i)
		}
		seen[name] = true
		firstDirs[k[:2]] = true
	}
	// 10000 random keys spread over (nearly) all 256 directories.
	if len(firstDirs) < 200 {
		t.Errorf("only %d distinct directories in 10000 keys", len(firstDirs))
	}
}

func TestPut_CopiesAReaderAndLeavesNoTempFile(t *testing.T) {
	s := newStore(t)
	key := s.NewKey("png")
	data := bytes.Repeat([]byte("pixels"), 100000)
	meta, err := s.Put(context.Background(), media.Blob{Key: key, Size: int64(len(data)), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	if len(meta) != 0 {
		t.Errorf("metadata %v, want none", meta)
	}
	got, err := os.ReadFile(original(s, key))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored %d bytes (%v), want %d", len(got), err, len(data))
	}
	st, err := os.Stat(original(s, key))
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o644 {
		t.Errorf("mode %v, want 0644", perm)
	}
	if left := spool(t, s); len(left) != 0 {
		t.Errorf("spool holds %v", left)
	}
	rc, err := s.Open(context.Background(), &media.Image{StorageKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if back, _ := io.ReadAll(rc); !bytes.Equal(back, data) {
		t.Error("Open reads other bytes")
	}
}

// mover is upload content in a spooled file: MoveTo renames it, and
// reading it is a failure of the test (the bytes must not be copied).
type mover struct {
	src   string
	moved []string
	fail  error
	*bytes.Reader
	reads int
}

func (m *mover) MoveTo(path string) error {
	m.moved = append(m.moved, path)
	if m.fail != nil {
		return m.fail
	}
	return os.Rename(m.src, path)
}

func (m *mover) Read(p []byte) (int, error) {
	m.reads++
	return m.Reader.Read(p)
}

func TestPut_MoverIsRenamedNotCopied(t *testing.T) {
	s := newStore(t)
	src := filepath.Join(s.SpoolDir(), "upload-123")
	spooled := []byte("bytes in the spool file")
	if err := os.WriteFile(src, spooled, 0o600); err != nil {
		t.Fatal(err)
	}
	key := s.NewKey("webp")
	m := &mover{src: src, Reader: bytes.NewReader([]byte("bytes of the reader, which differ"))}
	if _, err := s.Put(context.Background(), media.Blob{Key: key, Size: int64(len(spooled)), Body: m}); err != nil {
		t.Fatal(err)
	}
	if len(m.moved) != 1 || m.moved[0] != original(s, key) {
		t.Errorf("MoveTo calls %v, want [%s]", m.moved, original(s, key))
	}
	if m.reads != 0 {
		t.Errorf("the body was read %d times although it moved", m.reads)
	}
	got, err := os.ReadFile(original(s, key))
	if err != nil || !bytes.Equal(got, spooled) {
		t.Errorf("stored %q (%v), want the spooled bytes", got, err)
	}
	if st, err := os.Stat(original(s, key)); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode of the moved file: %v, %v; want 0644", st.Mode().Perm(), err)
	}
	if _, err := os.Stat(src); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the spooled file is still there: %v", err)
	}
	if left := spool(t, s); len(left) != 0 {
		t.Errorf("spool holds %v", left)
	}
}

func TestPut_MoverThatFailsIsCopied(t *testing.T) {
	s := newStore(t)
	key := s.NewKey("gif")
	data := []byte("the reader's bytes")
	m := &mover{fail: errors.New("not in a file"), Reader: bytes.NewReader(data)}
	if _, err := s.Put(context.Background(), media.Blob{Key: key, Size: int64(len(data)), Body: m}); err != nil {
		t.Fatal(err)
	}
	if len(m.moved) != 1 || m.reads == 0 {
		t.Errorf("moves %v, reads %d", m.moved, m.reads)
	}
	if got, err := os.ReadFile(original(s, key)); err != nil || !bytes.Equal(got, data) {
		t.Errorf("stored %q (%v)", got, err)
	}
}

func TestPut_RefusesInvalidKeys(t *testing.T) {
	s := newStore(t)
	good := s.NewKey("png")
	for _, key := range []string{
		"", "x", "../evil.png", "ab/../../evil.png",
		"AB/abcdef0123456789abcdef0123456789.png", "ab/ABCDEF0123456789abcdef0123456789.png",
		strings.TrimSuffix(good, ".png") + ".exe", strings.TrimSuffix(good, ".png") + ".png.png",
		strings.TrimSuffix(good, ".png"), good[:2] + "/" + good[4:], "/" + good, good + "/",
		".spool/" + good[3:], strings.Replace(good, "/", `\`, 1),
	} {
		if _, err := s.Put(context.Background(), media.Blob{Key: key, Body: bytes.NewReader([]byte("x"))}); err == nil {
			t.Errorf("Put accepted key %q", key)
		}
	}
	var files []string
	_ = filepath.WalkDir(s.Dir(), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != filepath.Join(s.Dir(), "signing.key") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 0 {
		t.Errorf("files written: %v", files)
	}
	if _, err := s.Open(context.Background(), &media.Image{StorageKey: "../x.png"}); err == nil {
		t.Error("Open accepted an invalid key")
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		return 0, errors.New("connection reset")
	}
	f.n++
	return copy(p, "partial"), nil
}

func (f *failingReader) Seek(int64, int) (int64, error) { return 0, nil }

func TestPut_FailedCopyLeavesNothing(t *testing.T) {
	s := newStore(t)
	key := s.NewKey("jpg")
	if _, err := s.Put(context.Background(), media.Blob{Key: key, Body: &failingReader{}}); err == nil {
		t.Fatal("a failing reader was stored")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, media.Blob{Key: key, Body: bytes.NewReader([]byte("data"))}); err == nil {
		t.Fatal("Put with an ended context succeeded")
	}
	if _, err := os.Stat(original(s, key)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file is at the key: %v", err)
	}
	if left := spool(t, s); len(left) != 0 {
		t.Errorf("spool holds %v", left)
	}
}

func TestDelete_TwiceAndInvalidKeysAreFine(t *testing.T) {
	s := newStore(t)
	key := s.NewKey("avif")
	put(t, s, key, []byte("x"))
	for i := 0; i < 2; i++ {
		if err := s.Delete(context.Background(), key); err != nil {
			t.Errorf("Delete #%d: %v", i+1, err)
		}
	}
	if _, err := os.Stat(original(s, key)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file still there: %v", err)
	}
	if err := s.Delete(context.Background(), s.NewKey("png")); err != nil {
		t.Errorf("Delete of a key never stored: %v", err)
	}
	// An invalid key names nothing: nothing is touched outside the store.
	outside := filepath.Join(s.Dir(), "keep.png")
	if err := os.WriteFile(outside, []byte("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"../keep.png", "", "zz/../../keep.png"} {
		if err := s.Delete(context.Background(), bad); err != nil {
			t.Errorf("Delete(%q): %v", bad, err)
		}
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("a file outside the originals went: %v", err)
	}
}

func TestNew_EmptiesTheSpool(t *testing.T) {
	dir := t.TempDir()
	s, err := localfs.New(localfs.Config{Dir: dir, PublicURL: "http://x"})
	if err != nil {
		t.Fatal(err)
	}
	key := s.NewKey("png")
	put(t, s, key, []byte("kept"))
	if err := os.WriteFile(filepath.Join(s.SpoolDir(), "upload-1"), []byte("left over"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(s.SpoolDir(), "sub", "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.SpoolDir(), "sub", "dir", "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2, err := localfs.New(localfs.Config{Dir: dir, PublicURL: "http://x"})
	if err != nil {
		t.Fatal(err)
	}
	if s2.SpoolDir() != s.SpoolDir() {
		t.Errorf("spool moved: %s, %s", s2.SpoolDir(), s.SpoolDir())
	}
	if left := spool(t, s2); len(left) != 0 {
		t.Errorf("spool after New holds %v", left)
	}
	if got, err := os.ReadFile(original(s2, key)); err != nil || string(got) != "kept" {
		t.Errorf("a stored original was lost: %q, %v", got, err)
	}
	if err := s2.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestURLAndPing(t *testing.T) {
	s := newStore(t)
	img := &media.Image{StorageKey: "ab/" + strings.Repeat("0", 32) + ".png"}
	if got := s.URL(img, nil); got != "http://example.test/media/"+img.StorageKey {
		t.Errorf("URL = %q", got)
	}
	// A transform gets a signed rendition URL, the same every time; unset
	// enums take the schema's defaults.
	got := s.URL(img, &media.Transform{Width: 10})
	if !regexp.MustCompile(`^http://example\.test/media/r/[A-Za-z0-9_-]{43}/c_fill,g_auto,f_auto,w_10/` + img.StorageKey + `$`).MatchString(got) {
		t.Errorf("URL with a transform = %q", got)
	}
	if again := s.URL(img, &media.Transform{Width: 10, Crop: media.CropFill, Gravity: media.GravityAuto, Format: media.FormatAuto}); again != got {
		t.Errorf("the same transform gave %q, then %q", got, again)
	}
	if s.Name() != "local" {
		t.Errorf("Name = %q", s.Name())
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := os.RemoveAll(filepath.Join(s.Dir(), "originals")); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err == nil {
		t.Error("Ping passed without the originals directory")
	}
}

func serve(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestHandler_ServesOriginals(t *testing.T) {
	s := newStore(t)
	h := s.Handler("/media/")
	types := map[string]string{"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp", "avif": "image/avif"}
	etags := map[string]bool{}
	for ext, ctype := range types {
		key := s.NewKey(ext)
		data := []byte("content of " + key)
		put(t, s, key, data)
		w := serve(h, http.MethodGet, "/media/"+key)
		if w.Code != http.StatusOK || w.Body.String() != string(data) {
			t.Errorf("%s: %d %q", key, w.Code, w.Body.String())
			continue
		}
		hd := w.Header()
		if hd.Get("Content-Type") != ctype {
			t.Errorf("%s: Content-Type %q, want %q", key, hd.Get("Content-Type"), ctype)
		}
		if hd.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", key, hd.Get("Cache-Control"))
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", key, hd.Get("X-Content-Type-Options"))
		}
		etag := hd.Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-f]{34}-`+ext+`"$`).MatchString(etag) || etags[etag] {
			t.Errorf("%s: ETag %q", key, etag)
		}
		etags[etag] = true
		if hd.Get("Content-Length") != strconv.Itoa(len(data)) {
			t.Errorf("%s: Content-Length %q", key, hd.Get("Content-Length"))
		}

		nm := serve(h, http.MethodGet, "/media/"+key, "If-None-Match", etag)
		if nm.Code != http.StatusNotModified || nm.Body.Len() != 0 {
			t.Errorf("%s: If-None-Match %s gave %d with %d bytes", key, etag, nm.Code, nm.Body.Len())
		}
		if other := serve(h, http.MethodGet, "/media/"+key, "If-None-Match", `"other"`); other.Code != http.StatusOK {
			t.Errorf("%s: another ETag gave %d", key, other.Code)
		}
		head := serve(h, http.MethodHead, "/media/"+key)
		if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Type") != ctype || head.Header().Get("ETag") != etag {
			t.Errorf("%s: HEAD %d, %d bytes, %v", key, head.Code, head.Body.Len(), head.Header())
		}
	}
}

func TestHandler_RefusesOtherMethods(t *testing.T) {
	s := newStore(t)
	key := s.NewKey("png")
	put(t, s, key, []byte("x"))
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		w := serve(s.Handler("/media/"), m, "/media/"+key)
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d", m, w.Code)
		}
		if allow := w.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "HEAD") {
			t.Errorf("%s: Allow %q", m, allow)
		}
	}
	if _, err := os.Stat(original(s, key)); err != nil {
		t.Errorf("DELETE removed the file: %v", err)
	}
}

func TestHandler_NotFoundForPathsNoKeyHas(t *testing.T) {
	s := newStore(t)
	h := s.Handler("/media/")
	key := s.NewKey("png")
	put(t, s, key, []byte("x"))
	name := strings.TrimSuffix(key, ".png")
	// Things a traversal could reach.
	if err := os.WriteFile(filepath.Join(s.Dir(), "x"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.SpoolDir(), "upload-1"), []byte("in flight"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A key with letters in both parts, stored, so that its upper-case
	// spellings are refused for their form and not merely missing.
	const lettered = "ab/abcdef0123456789abcdef0123456789.png"
	put(t, s, lettered, []byte("x"))
	// Files at paths no key can have, so that a 404 there is the handler
	// refusing the path and not the file missing.
	for _, decoy := range []string{
		"AB/abcdef0123456789abcdef0123456789.png", "ab/ABCDEF0123456789abcdef0123456789.png",
		name + ".jpeg", name + ".PNG", name + ".exe", name + ".png.png", name,
	} {
		p := original(s, decoy)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("secret"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dirKey := s.NewKey("jpg")
	if err := os.MkdirAll(original(s, dirKey), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"/media/../x",
		"/media/../../x",
		"/media/ab/../../etc/passwd",
		"/media/" + key[:3] + "../../x",
		"/media/.spool/upload-1",
		"/media/../.spool/upload-1",
		"/media/AB/" + lettered[3:],
		"/media/ab/ABCDEF" + lettered[9:],
		"/media/" + name + ".jpeg",
		"/media/" + name + ".PNG",
		"/media/" + name + ".exe",
		"/media/" + name + ".png.png",
		"/media/" + name,
		"/media/" + key + "/",
		"/media/" + key[:2],
		"/media/" + key[:2] + "/",
		"/media/",
		"/media",
		"/other/" + key,
		"/media//" + key,
		"/media/" + dirKey, // a directory where a file would be
		"/media/" + s.NewKey("png"),
	} {
		w := serve(h, http.MethodGet, p)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d %q, want 404", p, w.Code, w.Body.String())
		}
		if strings.Contains(w.Body.String(), "secret") || strings.Contains(w.Body.String(), "in flight") {
			t.Errorf("GET %s leaked a file", p)
		}
	}
	if w := serve(h, http.MethodGet, "/media/"+key); w.Code != http.StatusOK {
		t.Errorf("the good key: %d", w.Code)
	}
}
