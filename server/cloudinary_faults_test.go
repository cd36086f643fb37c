package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mediagraph/mediagraph/internal/cloudinary/cloudinarytest"
)

func withTimeout(d time.Duration) func(*config) {
	return func(c *config) { c.CloudinaryTimeout = d }
}

// uploadFails uploads a fresh image and expects STORAGE_UNAVAILABLE with no
// row left; it returns the public id the server tried.
func (e *cloudEnv) uploadFails(name string, seed uint64) string {
	e.t.Helper()
	before := len(e.fake.Uploads())
	resp := e.upload(e.user(name), uploadImageMutation, map[string]any{"file": nil},
		[]file{pngFile(name+".png", 16, 16, seed)}, [][]string{{"variables.file"}})
	if resp.code() != "STORAGE_UNAVAILABLE" {
		e.t.Fatalf("%s: code %q, want STORAGE_UNAVAILABLE: %s", name, resp.code(), resp.Raw)
	}
	if rows := e.rowKeys(); len(rows) != 0 {
		e.t.Fatalf("%s: rows %v", name, rows)
	}
	ups := e.fake.Uploads()
	if len(ups) == before {
		e.t.Fatalf("%s: no upload reached Cloudinary", name)
	}
	return ups[before].Fields.Get("public_id")
}

// Trap: the SDK ignores status codes. A 401 or 400 is err == nil with
// Error.Message set, an HTML 502 a JSON decoding error, a 503 with {} an
// empty result; each must fail the mutation, the retryable ones after
// retries, the others at once.
func TestCloudinary_FaultsGiveStorageUnavailable(t *testing.T) {
	e := newCloudEnv(t, withTimeout(2*time.Second))
	storedThen := func(f cloudinarytest.Fault) cloudinarytest.Fault { f.StoreFirst = true; return f }
	cases := []struct {
		name    string
		fault   cloudinarytest.Fault
		retried bool
	}{
		{"status500", cloudinarytest.InternalError(cloudinarytest.OpUpload), true},
		{"html502", cloudinarytest.BadGatewayHTML(cloudinarytest.OpUpload), true},
		{"empty503", cloudinarytest.Unavailable(cloudinarytest.OpUpload), true},
		{"ratelimit420", cloudinarytest.RateLimited(cloudinarytest.OpUpload), true},
		{"dropped", cloudinarytest.Fault{Op: cloudinarytest.OpUpload, Drop: true}, true},
		{"unauthorized401", cloudinarytest.Unauthorized(cloudinarytest.OpUpload), false},
		{"empty200", cloudinarytest.EmptyOK(cloudinarytest.OpUpload), false},
		// Cloudinary stored the asset, then the answer failed: every retry
		// overwrites it, and the final failure destroys it.
		{"stored-then-502", storedThen(cloudinarytest.BadGatewayHTML(cloudinarytest.OpUpload)), true},
		{"stored-then-drop", storedThen(cloudinarytest.Fault{Op: cloudinarytest.OpUpload, Drop: true}), true},
	}
	for i, c := range cases {
		e.fake.ClearFaults()
		e.fake.Inject(c.fault)
		before := e.fake.Count(cloudinarytest.OpUpload)
		key := e.uploadFails(c.name, uint64(200+i))
		attempts := e.fake.Count(cloudinarytest.OpUpload) - before
		if c.retried && attempts < 2 || !c.retried && attempts != 1 {
			t.Errorf("%s: %d attempts (retried: %v)", c.name, attempts, c.retried)
		}
		if c.fault.StoreFirst && !slices.Contains(e.fake.Stored(), key) {
			t.Errorf("%s: the fake did not store %s", c.name, key)
		}
		if ids := e.fake.PublicIDs(); len(ids) != 0 {
			t.Errorf("%s: assets %v", c.name, ids)
		}
	}
	if !strings.Contains(e.logs.String(), "[key]") {
		t.Error("the 401's echo of the API key was not redacted in the logs")
	}
}

// Whatever Cloudinary (or a proxy) echoes of the secret is taken out of the
// logs and never reaches the client.
func TestCloudinary_EchoedSecretIsRedacted(t *testing.T) {
	e := newCloudEnv(t)
	e.fake.Inject(cloudinarytest.Fault{Op: cloudinarytest.OpUpload, Status: 400,
		Body: `{"error":{"message":"Invalid Signature: string to sign - 'public_id=x` + cloudinarytest.Secret + `'"}}`})
	resp := e.upload(e.user("cld-echo"), uploadImageMutation, map[string]any{"file": nil},
		[]file{pngFile("echo.png", 16, 16, 215)}, [][]string{{"variables.file"}})
	if resp.code() != "STORAGE_UNAVAILABLE" || strings.Contains(string(resp.Raw), cloudinarytest.Secret) {
		t.Fatalf("answer: %s", resp.Raw)
	}
	if !strings.Contains(e.logs.String(), "x[secret]") {
		t.Errorf("the echoed secret was not redacted in the logs:\n%s", e.logs.String())
	}
}

// A wrong secret makes a signature Cloudinary refuses with 401 (the fake
// checks it as Cloudinary does): STORAGE_UNAVAILABLE, the secret in no log.
func TestCloudinary_WrongSecretIsRefused(t *testing.T) {
	e := newCloudEnv(t, func(c *config) {
		c.CloudinaryURL = strings.Replace(c.CloudinaryURL, cloudinarytest.Secret, "not-the-secret", 1)
	})
	e.uploadFails("wrong-secret", 210)
	ups := e.fake.Uploads()
	if ups[0].Answered != http.StatusUnauthorized || len(ups) != 1 {
		t.Errorf("uploads %+v: want one 401, not retried", ups)
	}
	if strings.Contains(e.logs.String(), "not-the-secret") {
		t.Error("the configured secret reached the logs")
	}
}

func TestCloudinary_TransientFaultsAreRetried(t *testing.T) {
	e := newCloudEnv(t)
	tok := e.user("cld-retry")
	faults := []cloudinarytest.Fault{
		cloudinarytest.InternalError(cloudinarytest.OpUpload),
		cloudinarytest.BadGatewayHTML(cloudinarytest.OpUpload),
		{Op: cloudinarytest.OpUpload, Status: 429, Body: `{"error":{"message":"Too many requests"}}`},
		{Op: cloudinarytest.OpUpload, Drop: true},
	}
	for i, f := range faults {
		f.Times = 1
		e.fake.Inject(f)
		before := e.fake.Count(cloudinarytest.OpUpload)
		e.uploadImage(tok, pngFile("r.png", 16, 16, uint64(220+i)), nil)
		if n := e.fake.Count(cloudinarytest.OpUpload) - before; n != 2 {
			t.Errorf("fault %d: %d attempts, want 2", f.Status, n)
		}
	}
	if n := len(e.fake.PublicIDs()); n != len(faults) {
		t.Errorf("assets: %d", n)
	}
}

// Trap: multipart uploads have no timeout of their own.
func TestCloudinary_TimeoutGivesStorageUnavailable(t *testing.T) {
	e := newCloudEnv(t, withTimeout(500*time.Millisecond))
	e.fake.Inject(cloudinarytest.Fault{Op: cloudinarytest.OpUpload, Delay: 20 * time.Second})
	start := time.Now()
	key := e.uploadFails("cld-slow", 230)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failed after %s, want about the 500ms timeout", d)
	}
	// The fake stored the asset before stalling: it is destroyed.
	if !slices.Contains(e.fake.Stored(), key) || !slices.Contains(e.fake.Destroys(), key) {
		t.Errorf("stored %v destroyed %v", e.fake.Stored(), e.fake.Destroys())
	}
}

// An asset that lands after its upload timed out is destroyed too: a
// removal's "not found" is not trusted until the upload has settled.
func TestCloudinary_LateAssetIsDestroyed(t *testing.T) {
	e := newCloudEnv(t, withTimeout(300*time.Millisecond))
	e.fake.Inject(cloudinarytest.Fault{Op: cloudinarytest.OpUpload, Delay: time.Second, LateStore: true, Times: 1})
	key := e.uploadFails("cld-late", 240)
	eventually(t, "the late asset to land", func() bool { return slices.Contains(e.fake.Stored(), key) })
	eventually(t, "the late asset to be destroyed", func() bool { _, ok := e.fake.Asset(key); return !ok })
}

func TestCloudinary_ClientCancelCancelsUpload(t *testing.T) {
	e := newCloudEnv(t)
	e.fake.Inject(cloudinarytest.Fault{Op: cloudinarytest.OpUpload, Delay: time.Minute})
	body, ctype := multipartBody(map[string]any{"query": uploadImageMutation, "variables": map[string]any{"file": nil}},
		[]file{pngFile("c.png", 16, 16, 250)}, [][]string{{"variables.file"}})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/graphql", body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+e.user("cld-cancel"))
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	eventually(t, "the upload to reach Cloudinary", func() bool { return len(e.fake.Stored()) == 1 })
	cancel()
	<-done
	eventually(t, "Cloudinary to see the upload cancelled", func() bool {
		ups := e.fake.Uploads()
		return len(ups) == 1 && ups[0].Cancelled
	})
	if rows := e.rowKeys(); len(rows) != 0 {
		t.Errorf("rows %v", rows)
	}
}

func TestCloudinary_UploadImagesIsAllOrNone(t *testing.T) {
	e := newCloudEnv(t)
	e.fake.Inject(cloudinarytest.Fault{Op: cloudinarytest.OpUpload, Status: 400, Body: `{"error":{"message":"Invalid image file"}}`, Skip: 2})
	files := []file{pngFile("1.png", 16, 16, 260), pngFile("2.png", 16, 16, 261), pngFile("3.png", 16, 16, 262)}
	resp := e.upload(e.user("cld-batch"), `mutation($f: [Upload!]!) { uploadImages(files: $f) { id } }`,
		map[string]any{"f": []any{nil, nil, nil}}, files, [][]string{{"variables.f.0"}, {"variables.f.1"}, {"variables.f.2"}})
	if resp.code() != "STORAGE_UNAVAILABLE" {
		t.Fatalf("code %q: %s", resp.code(), resp.Raw)
	}
	stored := e.fake.Stored()
	if len(stored) != 2 {
		t.Fatalf("stored %v, want the first two", stored)
	}
	for _, k := range stored {
		if _, ok := e.fake.Asset(k); ok {
			t.Errorf("asset %s of the failed batch outlived it", k)
		}
	}
}

func TestCloudinary_FailingDestroyIsRetriedUntilDone(t *testing.T) {
	e := newCloudEnv(t)
	tok := e.user("cld-destroy")
	img := e.uploadImage(tok, pngFile("d.png", 16, 16, 270), nil)
	key := e.rowKeys()[0]
	// Only this key's destroys fail: the worker also takes removals that
	// earlier tests left in the shared database.
	e.fake.Inject(cloudinarytest.Fault{Op: cloudinarytest.OpDestroy, PublicID: key, Status: 500, Body: `{"error":{"message":"General Error"}}`, Times: 7})
	e.deleteImage(tok, img.ID)
	if rows := e.rowKeys(); len(rows) != 0 {
		t.Fatalf("row outlived deleteImage: %v", rows)
	}
	if _, ok := e.fake.Asset(key); !ok {
		t.Fatal("the fault did not hold the destroy back")
	}
	eventually(t, "the destroy to succeed", func() bool { _, ok := e.fake.Asset(key); return !ok })
	eventually(t, "the removal queue to empty", func() bool {
		return e.count(`SELECT count(*) FROM blob_removals WHERE storage_key = $1`, key) == 0
	})
	tries := 0
	for _, d := range e.fake.Destroys() {
		if d == key {
			tries++
		}
	}
	if tries != 8 {
		t.Errorf("destroys of %s: %d, want 7 failures and a success", key, tries)
	}
}

// crashable is a transport that can be made to behave as a dead process: a
// request in flight never returns to its caller (until the test ends, not
// even at its deadline) and no new one leaves.
type crashable struct {
	base    http.RoundTripper
	crashed chan struct{}
	thawed  chan struct{}
}

var errCrashed = errors.New("test: the process crashed")

func (c *crashable) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case <-c.crashed:
		return nil, errCrashed
	default:
	}
	resp, err := c.base.RoundTrip(req)
	select {
	case <-c.crashed:
		if err == nil {
			_ = resp.Body.Close()
		}
		<-c.thawed
		return nil, errCrashed
	default:
		return resp, err
	}
}

// M1: a process dies while Cloudinary is still storing its upload; the next
// start makes the upload's guard due at once, and its destroy finds nothing
// yet. That "not found" must not end the removal: the asset lands later and
// must still be destroyed.
func TestCloudinary_RestartAfterACrashDestroysALateAsset(t *testing.T) {
	fake := cloudinarytest.New()
	t.Cleanup(fake.Close)
	crash := &crashable{base: fake.Client().Transport, crashed: make(chan struct{}), thawed: make(chan struct{})}
	e := newCloudEnv(t, withTimeout(2*time.Second), func(c *config) {
		c.cloudinaryClient = &http.Client{Transport: crash}
		c.CloudinaryURL = fake.URL("")
	})
	e.fake = fake
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	t.Cleanup(func() { close(crash.thawed) }) // before the wait

	fake.Inject(cloudinarytest.Fault{Op: cloudinarytest.OpUpload, Delay: 1500 * time.Millisecond, LateStore: true, Times: 1})
	body, ctype := multipartBody(map[string]any{"query": uploadImageMutation, "variables": map[string]any{"file": nil}},
		[]file{pngFile("crash.png", 16, 16, 280)}, [][]string{{"variables.file"}})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+e.user("cld-crash"))
	wg.Go(func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	eventually(t, "the upload to reach Cloudinary", func() bool { return len(fake.Uploads()) == 1 })
	key := fake.Uploads()[0].Fields.Get("public_id")
	close(crash.crashed)

	// The next start, on the same database: it recovers the guard at once.
	cfg := e.cfg
	cfg.cloudinaryClient = fake.Client()
	cfg.cloudinarySettle = 3 * time.Second
	log := slog.New(slog.NewJSONHandler(&lockedWriter{w: io.Discard}, nil))
	next, err := newApp(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(next.pool.Close)
	workers, stop := context.WithCancel(context.Background())
	var nextWg sync.WaitGroup
	nextWg.Go(func() { next.svc.RunRemovals(workers) })
	t.Cleanup(func() { stop(); nextWg.Wait() })
	if !slices.Contains(fake.Destroys(), key) {
		t.Fatalf("the restart did not remove the interrupted upload's key at once: destroys %v", fake.Destroys())
	}
	if _, ok := fake.Asset(key); ok {
		t.Fatal("the asset was there before the restart's removal: nothing late to test")
	}
	eventually(t, "the late asset to land", func() bool { return slices.Contains(fake.Stored(), key) })
	eventually(t, "the late asset to be destroyed", func() bool { _, ok := fake.Asset(key); return !ok })
}
