package localfs_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mediagraph/mediagraph/internal/localfs"
	"github.com/mediagraph/mediagraph/internal/media"
)

// picture is a w x h gradient.
func picture(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 90, 255})
		}
	}
	return m
}

func encoded(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	if format == "jpg" {
		err = jpeg.Encode(&b, picture(w, h), nil)
	} else {
		err = png.Encode(&b, picture(w, h))
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stored puts a w x h image of the format and returns its key.
func stored(t *testing.T, s *localfs.Store, format string, w, h int) string {
	t.Helper()
	key := s.NewKey(format)
	put(t, s, key, encoded(t, format, w, h))
	return key
}

// path is the request path of a delivery URL.
func path(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Path
}

// settled checks that the store rendered n times and left nothing in its spool.
func settled(t *testing.T, s *localfs.Store, n int64) {
	t.Helper()
	if got := s.Renders(); got != n {
		t.Errorf("%d renders, want %d", got, n)
	}
	if left := spool(t, s); len(left) != 0 {
		t.Errorf("spool holds %v", left)
	}
}

var thumb = media.Transform{Width: 20, Height: 20, Crop: media.CropFill, Gravity: media.GravityAuto, Format: media.FormatPNG}

func renditionURL(t *testing.T, s *localfs.Store, key string, tr media.Transform) string {
	return path(t, s.URL(&media.Image{StorageKey: key}, &tr))
}

func TestRendition_TamperedOrUnsignedIsForbidden(t *testing.T) {
	s := newStore(t)
	h := s.Handler("/media/")
	key := stored(t, s, "png", 60, 40)
	other := stored(t, s, "png", 60, 40)
	good := renditionURL(t, s, key, thumb)
	if w := serve(h, http.MethodGet, good); w.Code != http.StatusOK {
		t.Fatalf("signed URL: %d %s", w.Code, w.Body)
	}
	parts := strings.SplitN(strings.TrimPrefix(good, "/media/r/"), "/", 2)
	sig, rest := parts[0], parts[1]
	flipped := []byte(sig)
	flipped[5] ^= 1
	for name, p := range map[string]string{
		"flipped signature":   "/media/r/" + string(flipped) + "/" + rest,
		"bigger width":        "/media/r/" + sig + "/" + strings.Replace(rest, "w_20", "w_4000", 1),
		"other key":           "/media/r/" + sig + "/" + strings.Replace(rest, key, other, 1),
		"no signature":        "/media/r/" + rest,
		"empty signature":     "/media/r//" + rest,
		"signature not b64":   "/media/r/!!!/" + rest,
		"truncated signature": "/media/r/" + sig[:20] + "/" + rest,
		"nothing":             "/media/r/",
	} {
		if w := serve(h, http.MethodGet, p); w.Code != http.StatusForbidden {
			t.Errorf("%s (%s): %d, want 403", name, p, w.Code)
		}
	}
	if n := s.Renders(); n != 1 {
		t.Errorf("%d renders, want only the signed one", n)
	}
}

func TestRendition_RenderedOnceThenServedFromDisk(t *testing.T) {
	s := newStore(t)
	h := s.Handler("/media/")
	key := stored(t, s, "jpg", 300, 200)
	u := renditionURL(t, s, key, thumb)
	first := serve(h, http.MethodGet, u)
	if first.Code != http.StatusOK {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	m, err := png.Decode(bytes.NewReader(first.Body.Bytes()))
	if err != nil || m.Bounds().Dx() != 20 || m.Bounds().Dy() != 20 {
		t.Fatalf("rendition: %v %v", err, m.Bounds())
	}
	hd := first.Header()
	for k, want := range map[string]string{
		"Content-Type": "image/png", "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff",
	} {
		if got := hd.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	etag := hd.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	second := serve(h, http.MethodGet, u)
	if second.Code != http.StatusOK || !bytes.Equal(second.Body.Bytes(), first.Body.Bytes()) || second.Header().Get("ETag") != etag {
		t.Errorf("second: %d, same bytes %v, ETag %q", second.Code, bytes.Equal(second.Body.Bytes(), first.Body.Bytes()), second.Header().Get("ETag"))
	}
	if nm := serve(h, http.MethodGet, u, "If-None-Match", etag); nm.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", nm.Code)
	}
	settled(t, s, 1) // for one rendition asked three times
}

func TestRendition_ConcurrentFirstRequestsRenderOnce(t *testing.T) {
	s := newStore(t)
	h := s.Handler("/media/")
	key := stored(t, s, "jpg", 800, 600)
	u := renditionURL(t, s, key, media.Transform{Width: 100, Crop: media.CropFit, Format: media.FormatJPG})
	var wg sync.WaitGroup
	bodies := make([][]byte, 8)
	for i := range bodies {
		wg.Go(func() {
			w := serve(h, http.MethodGet, u)
			if w.Code != http.StatusOK {
				t.Errorf("request %d: %d", i, w.Code)
			}
			bodies[i] = w.Body.Bytes()
		})
	}
	wg.Wait()
	if n := s.Renders(); n != 1 {
		t.Errorf("%d renders for 8 concurrent first requests, want 1", n)
	}
	for i := range bodies {
		if !bytes.Equal(bodies[i], bodies[0]) {
			t.Errorf("request %d got other bytes", i)
		}
	}
}

func TestRendition_FormatAutoFollowsAccept(t *testing.T) {
	s := newStore(t)
	h := s.Handler("/media/")
	auto := media.Transform{Width: 16, Height: 16, Crop: media.CropFill, Gravity: media.GravityCenter, Format: media.FormatAuto}
	jpg, pngKey := stored(t, s, "jpg", 40, 40), stored(t, s, "png", 40, 40)
	gif := s.NewKey("gif")
	var g bytes.Buffer
	if err := encodeGIF(&g); err != nil {
		t.Fatal(err)
	}
	put(t, s, gif, g.Bytes())
	cases := []struct {
		key, accept, want string
	}{
		{jpg, "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "image/webp"}, // Chrome: a tie
		{jpg, "image/avif,image/webp;q=0.9,*/*;q=0.8", "image/avif"},                            // preferred AVIF
		{jpg, "image/webp,*/*", "image/webp"},                                                   // Firefox before AVIF
		{jpg, "image/avif;q=0,image/webp", "image/webp"},                                        // refused AVIF
		{jpg, "image/avif;q=0.5,image/webp;q=0.9", "image/webp"},                                // preferred WebP
		{jpg, "*/*", "image/jpeg"},                                                              // curl, old Safari
		{jpg, "image/*", "image/jpeg"},                                                          // a wildcard is no promise
		{jpg, "", "image/jpeg"},                                                                 // no Accept
		{pngKey, "*/*", "image/png"},                                                            // the original's family
		{pngKey, "image/png,image/svg+xml,image/*;q=0.8", "image/png"},                          // Safari
		{gif, "text/html,*/*", "image/png"},                                                     // one frame of a GIF
		{pngKey, "image/webp;q=0.9, image/avif;q=0.9", "image/webp"},                            // a tie: the faster to make
		{pngKey, "image/webp;q=0.8, image/avif", "image/avif"},                                  // preferred AVIF
		{pngKey, "IMAGE/WEBP", "image/webp"},                                                    // media types ignore case
		{jpg, "image/avif,image/webp,image/apng,*/*;q=0.8", "image/webp"},                       // the same again: cached
	}
	for _, c := range cases {
		w := serve(h, http.MethodGet, renditionURL(t, s, c.key, auto), "Accept", c.accept)
		if w.Code != http.StatusOK {
			t.Errorf("Accept %q: %d %s", c.accept, w.Code, w.Body)
			continue
		}
		if got := w.Header().Get("Content-Type"); got != c.want {
			t.Errorf("Accept %q on %s: %s, want %s", c.accept, c.key, got, c.want)
		}
		if v := w.Header().Get("Vary"); v != "Accept" {
			t.Errorf("Accept %q: Vary %q", c.accept, v)
		}
	}
	// One render per image and format, whatever the Accept headers' spelling.
	if n := s.Renders(); n != 7 {
		t.Errorf("%d renders, want 7 (jpg: avif, webp, jpeg; png: png, avif, webp; gif: png)", n)
	}
	// A fixed format does not vary.
	fixed := serve(h, http.MethodGet, renditionURL(t, s, jpg, thumb), "Accept", "image/webp")
	if fixed.Header().Get("Content-Type") != "image/png" || fixed.Header().Get("Vary") != "" {
		t.Errorf("fixed format: %s, Vary %q", fixed.Header().Get("Content-Type"), fixed.Header().Get("Vary"))
	}
}

func TestDelete_RemovesRenditions(t *testing.T) {
	s := newStore(t)
	h := s.Handler("/media/")
	key := stored(t, s, "png", 60, 40)
	u := renditionURL(t, s, key, thumb)
	if w := serve(h, http.MethodGet, u); w.Code != http.StatusOK {
		t.Fatalf("render: %d", w.Code)
	}
	if err := s.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if w := serve(h, http.MethodGet, u); w.Code != http.StatusNotFound {
		t.Errorf("rendition after Delete: %d, want 404", w.Code)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "renditions", filepath.FromSlash(key))); !os.IsNotExist(err) {
		t.Errorf("renditions left after Delete: %v", err)
	}
	if n := s.Renders(); n != 1 {
		t.Errorf("%d renders: a deleted original was rendered again", n)
	}
}

func TestRendition_RenderRacingDeleteLeavesNothing(t *testing.T) {
	s := newStore(t)
	h := s.Handler("/media/")
	for i := range 20 {
		key := stored(t, s, "jpg", 400, 300)
		u := renditionURL(t, s, key, media.Transform{Width: 50 + i, Crop: media.CropFit, Format: media.FormatJPG})
		var wg sync.WaitGroup
		wg.Go(func() { serve(h, http.MethodGet, u) })
		if err := s.Delete(context.Background(), key); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if _, err := os.Stat(filepath.Join(s.Dir(), "renditions", filepath.FromSlash(key))); !os.IsNotExist(err) {
			t.Fatalf("round %d: a rendition outlived its original (%v)", i, err)
		}
		if w := serve(h, http.MethodGet, u); w.Code != http.StatusNotFound {
			t.Fatalf("round %d: %d after Delete", i, w.Code)
		}
	}
	if left := spool(t, s); len(left) != 0 {
		t.Errorf("spool holds %v", left)
	}
}

func TestKeys_ListsRenditionsWhoseOriginalIsGone(t *testing.T) {
	s := newStore(t)
	h := s.Handler("/media/")
	kept, lost := stored(t, s, "png", 30, 30), stored(t, s, "png", 30, 30)
	for _, k := range []string{kept, lost} {
		if w := serve(h, http.MethodGet, renditionURL(t, s, k, thumb)); w.Code != http.StatusOK {
			t.Fatalf("render: %d", w.Code)
		}
	}
	// A crash between the removal of the renditions and of the original
	// cannot leave this (renditions go first), but a hand-deleted original can.
	if err := os.Remove(original(s, lost)); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := s.Keys(context.Background(), func(k string) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || !(keys[0] == kept && keys[1] == lost) {
		t.Fatalf("Keys = %v, want [%s %s]", keys, kept, lost)
	}
	if err := s.Delete(context.Background(), lost); err != nil {
		t.Fatal(err)
	}
	keys = nil
	_ = s.Keys(context.Background(), func(k string) error { keys = append(keys, k); return nil })
	if len(keys) != 1 || keys[0] != kept {
		t.Errorf("Keys after Delete = %v", keys)
	}
}

func TestRendition_RefusesOriginalsOverMaxPixels(t *testing.T) {
	s, err := localfs.New(localfs.Config{Dir: t.TempDir(), PublicURL: "http://example.test", MaxPixels: 1000})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler("/media/")
	small, big := stored(t, s, "png", 30, 30), stored(t, s, "png", 40, 30)
	if w := serve(h, http.MethodGet, renditionURL(t, s, small, thumb)); w.Code != http.StatusOK {
		t.Errorf("900 pixels: %d", w.Code)
	}
	if w := serve(h, http.MethodGet, renditionURL(t, s, big, thumb)); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("1200 pixels: %d, want 422", w.Code)
	}
	settled(t, s, 1)
}

func TestRendition_CorruptOriginalLeavesNoFile(t *testing.T) {
	s := newStore(t)
	h := s.Handler("/media/")
	data := encoded(t, "png", 50, 50)
	// A well-framed PNG whose compressed pixels are garbage: the structural
	// check of uploads lets it through, the decoder does not.
	key := s.NewKey("png")
	put(t, s, key, corruptIDAT(t, data))
	if w := serve(h, http.MethodGet, renditionURL(t, s, key, thumb)); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("corrupt original: %d, want 422", w.Code)
	}
	if left := spool(t, s); len(left) != 0 {
		t.Errorf("spool holds %v", left)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "renditions", filepath.FromSlash(key))); !os.IsNotExist(err) {
		t.Errorf("a failed render left a file: %v", err)
	}
}

func TestNew_SigningKeyIsKeptAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	img := &media.Image{StorageKey: "ab/" + strings.Repeat("1", 32) + ".png"}
	open := func(dir string, key []byte) string {
		s, err := localfs.New(localfs.Config{Dir: dir, PublicURL: "http://example.test", SigningKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return s.URL(img, &thumb)
	}
	first := open(dir, nil)
	if again := open(dir, nil); again != first {
		t.Errorf("after a restart %q became %q", first, again)
	}
	if other := open(t.TempDir(), nil); other == first {
		t.Error("two stores generated the same key")
	}
	configured := open(dir, []byte("a configured signing key"))
	if configured == first || open(t.TempDir(), []byte("a configured signing key")) != configured {
		t.Error("a configured key is not what signs")
	}
	if _, err := localfs.New(localfs.Config{Dir: t.TempDir(), PublicURL: "http://example.test", SigningKey: []byte("short")}); err == nil {
		t.Error("a 5-byte signing key was accepted")
	}
}

func encodeGIF(w *bytes.Buffer) error {
	return gif.Encode(w, picture(30, 20), nil)
}

// corruptIDAT replaces the compressed pixels of a PNG with garbage, keeping
// every chunk's length and CRC right.
func corruptIDAT(t *testing.T, data []byte) []byte {
	t.Helper()
	out := append([]byte(nil), data...)
	for off := 8; off+12 <= len(out); {
		n := int(binary.BigEndian.Uint32(out[off:]))
		if string(out[off+4:off+8]) == "IDAT" {
			body := out[off+8 : off+8+n]
			for i := range body {
				body[i] = byte(i*7 + 3)
			}
			binary.BigEndian.PutUint32(out[off+8+n:], crc32.ChecksumIEEE(out[off+4:off+8+n]))
		}
		off += 12 + n
	}
	return out
}
