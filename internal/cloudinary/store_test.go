package cloudinary

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mediagraph/mediagraph/internal/cloudinary/cloudinarytest"
	"github.com/mediagraph/mediagraph/internal/media"
)

func newStore(t *testing.T, timeout time.Duration, adjust ...func(*Config)) (*Store, *cloudinarytest.Server) {
	t.Helper()
	fake := cloudinarytest.New()
	t.Cleanup(fake.Close)
	cfg := Config{URL: fake.URL(""), Folder: "tests", Timeout: timeout, Client: fake.Client()}
	for _, f := range adjust {
		f(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, fake
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(0, 0, color.NRGBA{1, 2, 3, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func put(t *testing.T, s *Store, data []byte) (string, map[string]any) {
	t.Helper()
	key := s.NewKey("png")
	meta, err := s.Put(context.Background(), media.Blob{Key: key, Format: "png", Size: int64(len(data)), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	return key, meta
}

// Trap: the SDK copies its configuration into the Upload and Admin APIs when
// constructed; what New sets must be set before.
func TestNew_ConfiguresTheSDKBeforeConstructing(t *testing.T) {
	s, fake := newStore(t, 90*time.Second)
	for name, c := range map[string]struct {
		analytics bool
		timeout   int64
		prefix    string
	}{
		"urls":   {s.conf.URL.Analytics, s.conf.API.UploadTimeout, s.conf.API.UploadPrefix},
		"upload": {s.cld.Upload.Config.URL.Analytics, s.cld.Upload.Config.API.UploadTimeout, s.cld.Upload.Config.API.UploadPrefix},
		"admin":  {s.cld.Admin.Config.URL.Analytics, s.cld.Admin.Config.API.UploadTimeout, s.cld.Admin.Config.API.UploadPrefix},
	} {
		if c.analytics || c.timeout != 90 || c.prefix != fake.Server.URL {
			t.Errorf("%s: %+v", name, c)
		}
	}
	if s.cld.Upload.Config.API.Timeout != 90 {
		t.Errorf("form post timeout %d", s.cld.Upload.Config.API.Timeout)
	}
	// And it works: the upload reaches the fake, the URL has no analytics.
	key, meta := put(t, s, pngBytes(t, 4, 4))
	u := s.URL(&media.Image{StorageKey: key, Format: "png", Provider: meta}, nil)
	if strings.Contains(u, "_a=") || !strings.HasSuffix(u, key+".png") {
		t.Errorf("url %s", u)
	}
}

// Trap: the SDK's URL analytics write a package variable unguarded; with
// analytics off, concurrent URL building is race free (go test -race).
func TestURL_ConcurrentBuildingIsRaceFree(t *testing.T) {
	s, _ := newStore(t, time.Minute)
	img := &media.Image{StorageKey: "tests/0123456789abcdef0123456789abcdef", Format: "jpg",
		Provider: map[string]any{"public_id": "tests/0123456789abcdef0123456789abcdef", "version": float64(17), "format": "jpg", "type": "upload"}}
	tr := &media.Transform{Width: 10, Crop: media.CropFill, Gravity: media.GravityAuto, Format: media.FormatAuto}
	// No URL is built before the goroutines start: their first builds are
	// what would race.
	urls := make([]string, 8)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range urls {
		wg.Go(func() {
			<-start
			for range 50 {
				urls[i] = s.URL(img, tr)
			}
		})
	}
	close(start)
	wg.Wait()
	want := urls[0]
	for _, u := range urls {
		if u != want {
			t.Errorf("url %s, want %s", u, want)
		}
	}
	if !strings.Contains(want, "/c_fill,g_auto,w_10/f_auto,q_auto/v17/tests/0123456789abcdef0123456789abcdef") {
		t.Errorf("url %s", want)
	}
}

// Trap: an upload must stream from a reader, never be handed a string the
// SDK could take for a URL or a path: bytes that read like a URL arrive as
// they are (and are refused as no image, not fetched).
func TestPut_SendsTheReadersBytes(t *testing.T) {
	s, fake := newStore(t, 5*time.Second)
	data := pngBytes(t, 300, 200)
	key, meta := put(t, s, data)
	a, ok := fake.Asset(key)
	if !ok || !bytes.Equal(a.Bytes, data) || meta["width"] != 300 || meta["public_id"] != key {
		t.Fatalf("asset %v %d bytes, meta %v", ok, len(a.Bytes), meta)
	}
	url := []byte("https://example.com/cat.png")
	_, err := s.Put(context.Background(), media.Blob{Key: s.NewKey("png"), Size: int64(len(url)), Body: bytes.NewReader(url)})
	if err == nil || !strings.Contains(err.Error(), "Invalid image file") {
		t.Errorf("a URL's bytes: %v", err)
	}
	if ups := fake.Uploads(); ups[len(ups)-1].Fields.Get("file") != "" {
		t.Error("the file travelled as a field")
	}
}

func TestDelete_NotFoundIsDone(t *testing.T) {
	s, fake := newStore(t, 5*time.Second)
	key, _ := put(t, s, pngBytes(t, 4, 4))
	for range 2 { // the second finds nothing
		if err := s.Delete(context.Background(), key); err != nil {
			t.Fatal(err)
		}
	}
	if d := fake.Destroys(); len(d) != 2 {
		t.Errorf("destroys %v", d)
	}
}

// A key this store cannot have made (the local store's, after a switch) is
// not sent, and its removal is not reported done: the record stays for the
// store that holds the file.
func TestDelete_AnotherStoresKeyIsAnError(t *testing.T) {
	s, fake := newStore(t, 5*time.Second)
	for _, key := range []string{"ab/0123456789abcdef0123456789abcdef.png", "../../etc/passwd"} {
		if err := s.Delete(context.Background(), key); err == nil {
			t.Errorf("Delete(%q) = nil: its removal record would be dropped", key)
		}
	}
	if d := fake.Destroys(); len(d) != 0 {
		t.Errorf("destroys %v", d)
	}
}

// After a restart, "not found" for a key this process did not upload is not
// trusted until the settle time has passed since the start: a crashed
// process's upload may still land.
func TestDelete_NotFoundOfAnEarlierProcessIsCheckedAgainWhileStarting(t *testing.T) {
	const settle = 1500 * time.Millisecond
	started := time.Now()
	s, _ := newStore(t, 5*time.Second, func(c *Config) { c.SettleTime = settle })
	earlier := "tests/0123456789abcdef0123456789abcdef"
	if err := s.Delete(context.Background(), earlier); err == nil {
		t.Fatal("not found trusted at once after the start")
	}
	mine, _ := put(t, s, pngBytes(t, 4, 4))
	for range 2 { // this process's own upload: its outcome is known
		if err := s.Delete(context.Background(), mine); err != nil {
			t.Fatal(err)
		}
	}
	if time.Since(started) >= settle {
		t.Fatal("the machine is too slow for this test's settle time")
	}
	time.Sleep(time.Until(started.Add(settle + 100*time.Millisecond)))
	if err := s.Delete(context.Background(), earlier); err != nil {
		t.Errorf("after the settle time: %v", err)
	}
}

// An upload whose first attempt may have stored the asset (a 502 from a
// proxy while Cloudinary went on) and whose retry was refused for good (a
// 401) is still one that may land: "not found" for it is not trusted.
func TestPut_AnUncertainAttemptBeforeARefusalStillMayLand(t *testing.T) {
	s, fake := newStore(t, 5*time.Second, func(c *Config) { c.SettleTime = 5 * time.Second })
	late := cloudinarytest.BadGatewayHTML(cloudinarytest.OpUpload)
	late.LateStore, late.Delay, late.Times = true, 500*time.Millisecond, 1
	fake.Inject(late)
	refused := cloudinarytest.Unauthorized(cloudinarytest.OpUpload)
	refused.Times = 1
	fake.Inject(refused)
	data := pngBytes(t, 4, 4)
	key := s.NewKey("png")
	if _, err := s.Put(context.Background(), media.Blob{Key: key, Format: "png", Size: int64(len(data)), Body: bytes.NewReader(data)}); err == nil {
		t.Fatal("put succeeded")
	}
	if err := s.Delete(context.Background(), key); err == nil {
		t.Fatal("not found trusted although the first attempt may still land")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Contains(fake.Stored(), key) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if _, ok := fake.Asset(key); ok || !slices.Contains(fake.Stored(), key) {
		t.Errorf("the late asset: stored %v, still there %v", fake.Stored(), ok)
	}
}

// A client that goes away cancels its upload; that is no error to log.
func TestPut_CancelledIsNotLoggedAsAnError(t *testing.T) {
	var logs bytes.Buffer
	s, fake := newStore(t, 5*time.Second, func(c *Config) {
		c.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	fake.Inject(cloudinarytest.Fault{Op: cloudinarytest.OpUpload, Delay: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	data := pngBytes(t, 4, 4)
	_, err := s.Put(ctx, media.Blob{Key: s.NewKey("png"), Format: "png", Size: int64(len(data)), Body: bytes.NewReader(data)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("put: %v", err)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a cancelled upload was logged as an error:\n%s", logs.String())
	}
}

func TestOpen_FetchesTheOriginal(t *testing.T) {
	s, fake := newStore(t, 5*time.Second)
	data := pngBytes(t, 8, 8)
	key, meta := put(t, s, data)
	img := &media.Image{StorageKey: key, Format: "png", Bytes: int64(len(data)), Provider: meta}
	rc, err := s.Open(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	_ = rc.Close()
	if !bytes.Equal(got, data) {
		t.Error("bytes differ")
	}
	fake.Inject(cloudinarytest.Fault{Op: cloudinarytest.OpDeliver, Delay: time.Minute})
	short, _ := New(Config{URL: fake.URL(""), Folder: "tests", Timeout: 200 * time.Millisecond, Client: fake.Client()})
	start := time.Now()
	if _, err := short.Open(context.Background(), img); err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("slow delivery: %v after %s", err, time.Since(start))
	}
}

func TestConfig_ValidateNamesTheVariableNotTheSecret(t *testing.T) {
	for _, c := range []Config{
		{URL: "https://key:hush-hush@cloud", Folder: "f", Timeout: time.Second},
		{URL: "cloudinary://key@cloud", Folder: "f", Timeout: time.Second},
		{URL: "cloudinary://key:hush-hush@", Folder: "f", Timeout: time.Second},
		{URL: "cloudinary://key:hush-hush@cloud?upload_prefix=ftp://x", Folder: "f", Timeout: time.Second},
	} {
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "CLOUDINARY_URL") || strings.Contains(err.Error(), "hush") {
			t.Errorf("%s: %v", c.URL, err)
		}
	}
	for _, folder := range []string{"", "a.b", "a//b", "/a", "a b", "a&b"} {
		err := Config{URL: "cloudinary://k:s@c", Folder: folder, Timeout: time.Second}.Validate()
		if err == nil || !strings.Contains(err.Error(), "CLOUDINARY_FOLDER") {
			t.Errorf("folder %q: %v", folder, err)
		}
	}
	if err := (Config{URL: "cloudinary://k:s@c", Folder: "a/b-c_d", Timeout: time.Second}).Validate(); err != nil {
		t.Error(err)
	}
}

// The API never redirects; a redirect is not followed, so that a signed form
// is not sent again to another host.
func TestDelete_RedirectIsNotFollowed(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	t.Cleanup(other.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)
	s, err := New(Config{URL: "cloudinary://1234:abcd@demo?upload_prefix=" + redirector.URL, Folder: "tests", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(context.Background(), "tests/0123456789abcdef0123456789abcdef"); err == nil {
		t.Error("a redirect counted as a removal")
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the signed destroy followed the redirect %d times", n)
	}
}

// An answer naming anything but an image upload under the key is refused,
// and what was stored is destroyed as what it is (a removal, which destroys
// image uploads, would find nothing).
func TestPut_AnAssetOfAnotherTypeIsRefusedAndDestroyed(t *testing.T) {
	s, fake := newStore(t, 5*time.Second)
	for _, c := range []struct{ resourceType, typ, destroyed string }{
		{"raw", "upload", "raw:"},
		{"image", "private", ""},
	} {
		key := s.NewKey("png")
		fake.Inject(cloudinarytest.Fault{Op: cloudinarytest.OpUpload, Status: 200, Times: 1, Body: fmt.Sprintf(
			`{"public_id":%q,"secure_url":"https://x/%s","resource_type":%q,"type":%q,"version":1}`, key, key, c.resourceType, c.typ)})
		data := pngBytes(t, 4, 4)
		_, err := s.Put(context.Background(), media.Blob{Key: key, Format: "png", Size: int64(len(data)), Body: bytes.NewReader(data)})
		if err == nil || !strings.Contains(err.Error(), c.resourceType+"/"+c.typ) {
			t.Errorf("%s/%s: put %v", c.resourceType, c.typ, err)
		}
		if d := fake.Destroys(); !slices.Contains(d, c.destroyed+key) {
			t.Errorf("%s/%s: destroys %v", c.resourceType, c.typ, d)
		}
	}
}

// A URL the SDK cannot build (it recovers its own panics into an error) is
// logged with its public id, not only answered as "".
func TestURL_AFailedBuildIsLogged(t *testing.T) {
	var logs bytes.Buffer
	s, _ := newStore(t, time.Second, func(c *Config) { c.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	u := s.logFailedURL("tests/abc", func() (string, error) { return "", errors.New("failed to build URL: boom") })
	if u != "" || !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "public_id=tests/abc") {
		t.Errorf("url %q, logs %s", u, logs.String())
	}
}

// The SDK streams an upload through an io.Pipe from a goroutine of its own;
// a failed or abandoned upload must not leave it behind.
func TestPut_LeavesNoCopyingGoroutine(t *testing.T) {
	refuser := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized) // before reading the body
		_, _ = io.WriteString(w, `{"error":{"message":"Unknown API key"}}`)
	}))
	t.Cleanup(refuser.Close)
	stop := make(chan struct{})
	staller := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(staller.Close)
	t.Cleanup(func() { close(stop) })
	big := bytes.Repeat([]byte{0x89}, 8<<20)
	for name, prefix := range map[string]string{"refused unread": refuser.URL, "timed out": staller.URL} {
		s, err := New(Config{URL: "cloudinary://1234:abcd@demo?upload_prefix=" + prefix, Folder: "tests", Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(context.Background(), media.Blob{Key: s.NewKey("png"), Size: int64(len(big)), Body: bytes.NewReader(big)}); err == nil {
			t.Fatalf("%s: put succeeded", name)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			buf := make([]byte, 1<<20)
			if n := runtime.Stack(buf, true); !bytes.Contains(buf[:n], []byte("postIOReader")) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the SDK's copying goroutine is still running", name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
