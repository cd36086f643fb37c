package media_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mediagraph/mediagraph/internal/localfs"
	"github.com/mediagraph/mediagraph/internal/media"
	"github.com/mediagraph/mediagraph/internal/postgres"
	"github.com/mediagraph/mediagraph/internal/postgres/pgtest"
)

// dbURL is this package's own database, made by TestMain.
var dbURL string

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m, &dbURL)) }

// testStore is a real local store that can be told to fail the Nth Put or
// every Delete, and records the keys it hands out.
type testStore struct {
	*localfs.Store
	failPut    atomic.Int64 // 1-based number of the Put to fail; 0: none
	failDelete atomic.Bool
	puts       atomic.Int64

	mu   sync.Mutex
	keys []string
}

func (s *testStore) NewKey(format string) string {
	k := s.Store.NewKey(format)
	s.mu.Lock()
	s.keys = append(s.keys, k)
	s.mu.Unlock()
	return k
}

func (s *testStore) Put(ctx context.Context, b media.Blob) (map[string]any, error) {
	if n := s.puts.Add(1); n == s.failPut.Load() {
		return nil, fmt.Errorf("injected failure of put %d", n)
	}
	return s.Store.Put(ctx, b)
}

func (s *testStore) Delete(ctx context.Context, key string) error {
	if s.failDelete.Load() {
		return errors.New("injected delete failure")
	}
	return s.Store.Delete(ctx, key)
}

func (s *testStore) madeKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.keys)
}

// files lists the originals on disk, as keys.
func (s *testStore) files(t *testing.T) []string {
	t.Helper()
	var out []string
	root := filepath.Join(s.Dir(), "originals")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func (s *testStore) spool(t *testing.T) []string {
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

type env struct {
	t     *testing.T
	pool  *pgxpool.Pool
	repo  *postgres.Repository
	store *testStore
	svc   *media.Service
	owner string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	pool, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ls, err := localfs.New(localfs.Config{Dir: t.TempDir(), PublicURL: "http://media.test"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, pool: pool, repo: postgres.NewRepository(pool), store: &testStore{Store: ls}}
	e.svc = media.NewService(e.repo, e.store, media.Limits{MaxFileBytes: 20 << 20, MaxFiles: 10, MaxPixels: 50e6}, nil,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	u, err := e.repo.EnsureUser(ctx, fmt.Sprintf("%s-%d", t.Name(), rand.Int64()), "Owner")
	if err != nil {
		t.Fatal(err)
	}
	e.owner = u.ID
	return e
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (e *env) images() int {
	e.t.Helper()
	return e.count(`SELECT count(*) FROM images WHERE owner_id = $1`, e.owner)
}

// removals counts the queued removals of the keys this test's store made.
func (e *env) removals() int {
	e.t.Helper()
	return e.count(`SELECT count(*) FROM blob_removals WHERE storage_key = ANY($1)`, e.store.madeKeys())
}

// runRemovals runs the removal worker until the test ends.
func (e *env) runRemovals() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.svc.RunRemovals(ctx)
	}()
	e.t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			e.t.Error("RunRemovals did not return after its context ended")
		}
	})
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var seeds atomic.Uint64

func init() { seeds.Store(rand.Uint64()) }

// pngBytes is a small PNG no other call returns.
func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	seed := seeds.Add(1)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func upload(name string, data []byte) media.Upload {
	return media.Upload{Filename: name, Size: int64(len(data)), Content: bytes.NewReader(data)}
}

func TestUploadImages_StoresFilesAndRows(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	data := pngBytes(t, 7, 5)
	alt := "a cat"
	imgs, err := e.svc.UploadImages(ctx, e.owner, []media.Upload{upload("C:\\pics\\ca\x00t.png", data)}, &alt, []string{"pets"})
	if err != nil {
		t.Fatal(err)
	}
	img := imgs[0]
	if img.OwnerID != e.owner || img.Kind != media.KindGallery || img.Width != 7 || img.Height != 5 ||
		img.Format != "png" || img.ContentType != "image/png" || img.Bytes != int64(len(data)) ||
		img.Filename != "cat.png" || img.Alt == nil || *img.Alt != alt || !slices.Equal(img.Tags, []string{"pets"}) {
		t.Errorf("image %+v", img)
	}
	if files := e.store.files(t); !slices.Equal(files, []string{img.StorageKey}) {
		t.Errorf("files %v, want [%s]", files, img.StorageKey)
	}
	got, err := os.ReadFile(filepath.Join(e.store.Dir(), "originals", filepath.FromSlash(img.StorageKey)))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("stored bytes differ (%v)", err)
	}
	if n := e.removals(); n != 0 {
		t.Errorf("%d removals queued after a successful upload (the guard was not claimed)", n)
	}
	if s := e.store.spool(t); len(s) != 0 {
		t.Errorf("spool holds %v", s)
	}
}

func TestUploadImages_SecondPutFailureLeavesNothing(t *testing.T) {
	e := newEnv(t)
	e.store.failPut.Store(2)
	ups := []media.Upload{
		upload("one.png", pngBytes(t, 4, 4)),
		upload("two.png", pngBytes(t, 4, 4)),
		upload("three.png", pngBytes(t, 4, 4)),
	}
	imgs, err := e.svc.UploadImages(context.Background(), e.owner, ups, nil, nil)
	if err == nil {
		t.Fatalf("upload succeeded: %+v", imgs)
	}
	var me *media.Error
	if !errors.As(err, &me) || me.Code != media.CodeStorageUnavailable {
		t.Fatalf("error %v (%T), want a STORAGE_UNAVAILABLE *media.Error", err, err)
	}
	if n := e.images(); n != 0 {
		t.Errorf("%d rows left", n)
	}
	if keys := e.store.madeKeys(); len(keys) != 3 {
		t.Errorf("%d keys made, want 3", len(keys))
	}
	if files := e.store.files(t); len(files) != 0 {
		t.Errorf("files left: %v (the first one stored must be removed)", files)
	}
	if n := e.removals(); n != 0 {
		t.Errorf("%d blob_removals rows left for this upload's keys", n)
	}
	if n := e.count(`SELECT count(*) FROM blob_removals`); n != 0 {
		t.Errorf("blob_removals holds %d rows", n)
	}
	if s := e.store.spool(t); len(s) != 0 {
		t.Errorf("spool holds %v", s)
	}
}

func TestUploadImages_FirstPutFailureIsStorageUnavailable(t *testing.T) {
	e := newEnv(t)
	e.store.failPut.Store(1)
	_, err := e.svc.UploadImages(context.Background(), e.owner, []media.Upload{upload("a.png", pngBytes(t, 3, 3))}, nil, nil)
	if media.ErrorCode(err) != media.CodeStorageUnavailable {
		t.Fatalf("error %v", err)
	}
	if n, f, r := e.images(), e.store.files(t), e.removals(); n != 0 || len(f) != 0 || r != 0 {
		t.Errorf("left %d rows, files %v, %d removals", n, f, r)
	}
	// The store works again: the same upload now succeeds.
	if _, err := e.svc.UploadImages(context.Background(), e.owner, []media.Upload{upload("a.png", pngBytes(t, 3, 3))}, nil, nil); err != nil {
		t.Errorf("retry: %v", err)
	}
}

func TestUploadImages_RefusesBadUploadsBeforeStoringAnything(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	good := pngBytes(t, 2, 2)
	eleven := make([]media.Upload, 11)
	for i := range eleven {
		eleven[i] = upload("x.png", good)
	}
	big := upload("big.png", good)
	big.Size = 20<<20 + 1
	tooManyPixels := func() []byte {
		// A PNG header claiming 10000 x 10000 pixels.
		var b bytes.Buffer
		_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
		p := b.Bytes()
		p[16], p[17], p[18], p[19] = 0, 0, 0x27, 0x10
		p[20], p[21], p[22], p[23] = 0, 0, 0x27, 0x10
		binary.BigEndian.PutUint32(p[29:33], crc32.ChecksumIEEE(p[12:29]))
		return p
	}()
	longAlt := string(make([]byte, 4097))
	cases := []struct {
		name string
		ups  []media.Upload
		alt  *string
		tags []string
		code media.Code
	}{
		{"no files", nil, nil, nil, media.CodeBadUserInput},
		{"eleven files", eleven, nil, nil, media.CodeTooManyFiles},
		{"over the byte limit", []media.Upload{big}, nil, nil, media.CodeFileTooLarge},
		{"empty", []media.Upload{upload("e.png", nil)}, nil, nil, media.CodeInvalidImage},
		{"not an image", []media.Upload{upload("t.png", []byte("hello, world, this is text"))}, nil, nil, media.CodeInvalidImage},
		{"truncated PNG", []media.Upload{upload("t.png", good[:len(good)/2])}, nil, nil, media.CodeInvalidImage},
		{"too many pixels", []media.Upload{upload("huge.png", tooManyPixels)}, nil, nil, media.CodeTooManyPixels},
		{"one bad file among good ones", []media.Upload{upload("g.png", good), upload("b.png", []byte("nope"))}, nil, nil, media.CodeInvalidImage},
		{"alt too long", []media.Upload{upload("g.png", good)}, &longAlt, nil, media.CodeBadUserInput},
		{"too many tags", []media.Upload{upload("g.png", good)}, nil, make([]string, 65), media.CodeBadUserInput},
		{"tag too long", []media.Upload{upload("g.png", good)}, nil, []string{string(make([]byte, 257))}, media.CodeBadUserInput},
	}
	for _, c := range cases {
		_, err := e.svc.UploadImages(ctx, e.owner, c.ups, c.alt, c.tags)
		if code := media.ErrorCode(err); code != c.code {
			t.Errorf("%s: code %s (%v), want %s", c.name, code, err, c.code)
		}
	}
	if n, p, k := e.images(), e.store.puts.Load(), len(e.store.madeKeys()); n != 0 || p != 0 || k != 0 {
		t.Errorf("after refusals: %d rows, %d puts, %d keys", n, p, k)
	}
}

func TestUploadImages_SameBytesMakeOneImage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, b := pngBytes(t, 3, 2), pngBytes(t, 2, 3)
	imgs, err := e.svc.UploadImages(ctx, e.owner, []media.Upload{upload("a.png", a), upload("a-again.png", a), upload("b.png", b)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 3 || imgs[0].ID != imgs[1].ID || imgs[0].ID == imgs[2].ID {
		t.Fatalf("ids %s %s %s", imgs[0].ID, imgs[1].ID, imgs[2].ID)
	}
	if n, p := e.images(), e.store.puts.Load(); n != 2 || p != 2 {
		t.Errorf("%d rows, %d puts; want 2 and 2", n, p)
	}
	// Uploading a again returns the same image and stores nothing.
	again, err := e.svc.UploadImages(ctx, e.owner, []media.Upload{upload("third.png", a)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again[0].ID != imgs[0].ID || e.store.puts.Load() != 2 || len(e.store.files(t)) != 2 {
		t.Errorf("re-upload: id %s (want %s), %d puts, files %v", again[0].ID, imgs[0].ID, e.store.puts.Load(), e.store.files(t))
	}
}

func TestDeleteImage_FailedRemovalIsQueuedAndRetried(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	imgs, err := e.svc.UploadImages(ctx, e.owner, []media.Upload{upload("d.png", pngBytes(t, 4, 4))}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	img := imgs[0]
	e.store.failDelete.Store(true)
	id, err := e.svc.DeleteImage(ctx, e.owner, img.ID)
	if err != nil || id != img.ID {
		t.Fatalf("DeleteImage: %q, %v", id, err)
	}
	if n := e.images(); n != 0 {
		t.Errorf("%d rows after delete", n)
	}
	var attempts int
	var lastError *string
	if err := e.pool.QueryRow(ctx, `SELECT attempts, last_error FROM blob_removals WHERE storage_key = $1`, img.StorageKey).
		Scan(&attempts, &lastError); err != nil {
		t.Fatalf("no queued removal for %s: %v", img.StorageKey, err)
	}
	if attempts < 1 || lastError == nil || *lastError == "" {
		t.Errorf("attempts %d, last_error %v", attempts, lastError)
	}
	if files := e.store.files(t); !slices.Equal(files, []string{img.StorageKey}) {
		t.Errorf("files %v: the file should stay until a removal succeeds", files)
	}

	e.store.failDelete.Store(false)
	e.runRemovals()
	start := time.Now()
	eventually(t, "the worker to remove the file", func() bool {
		return len(e.store.files(t)) == 0 && e.removals() == 0
	})
	t.Logf("removed %v after the store recovered", time.Since(start).Round(time.Millisecond))
}

func TestDeleteImage_RefusesOthersAndUnknownIDs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	imgs, err := e.svc.UploadImages(ctx, e.owner, []media.Upload{upload("d.png", pngBytes(t, 4, 4))}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.repo.EnsureUser(ctx, fmt.Sprintf("other-%d", rand.Int64()), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DeleteImage(ctx, other.ID, imgs[0].ID); media.ErrorCode(err) != media.CodeForbidden {
		t.Errorf("someone else's image: %v", err)
	}
	if _, err := e.svc.DeleteImage(ctx, e.owner, "00000000-0000-0000-0000-000000000000"); media.ErrorCode(err) != media.CodeNotFound {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := e.svc.DeleteImage(ctx, e.owner, "not-an-id"); media.ErrorCode(err) != media.CodeNotFound {
		t.Errorf("malformed id: %v", err)
	}
	if n, f := e.images(), e.store.files(t); n != 1 || len(f) != 1 {
		t.Errorf("after refused deletes: %d rows, files %v", n, f)
	}
}

func TestRecoverInterrupted_RemovesOrphansKeepsFilesWithRows(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	kept, err := e.svc.UploadImages(ctx, e.owner, []media.Upload{upload("kept.png", pngBytes(t, 4, 4))}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A "crashed" upload: its guard was written and its file stored, and the
	// process died before the row was inserted.
	data := pngBytes(t, 4, 4)
	orphan := e.store.NewKey("png")
	if err := e.repo.GuardKeys(ctx, []string{orphan}, time.Hour, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Store.Put(ctx, media.Blob{Key: orphan, ContentType: "image/png", Format: "png", Size: int64(len(data)), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT count(*) FROM blob_removals WHERE storage_key = $1 AND due_at > now() + interval '50 minutes'`, orphan); n != 1 {
		t.Fatalf("guard row of the orphan: %d rows due an hour ahead", n)
	}
	if err := e.svc.RecoverInterrupted(ctx); err != nil {
		t.Fatal(err)
	}
	if files := e.store.files(t); !slices.Equal(files, []string{kept[0].StorageKey}) {
		t.Errorf("files %v, want only %s", files, kept[0].StorageKey)
	}
	if n := e.removals(); n != 0 {
		t.Errorf("%d removals left", n)
	}
	if n := e.images(); n != 1 {
		t.Errorf("%d rows, want the kept one", n)
	}
}

func TestUploadImages_ConcurrentSameBytesYieldOneImageAndOneFile(t *testing.T) {
	e := newEnv(t)
	data := pngBytes(t, 6, 6)
	const n = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	ids := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			imgs, err := e.svc.UploadImages(context.Background(), e.owner, []media.Upload{upload(fmt.Sprintf("c%d.png", i), data)}, nil, nil)
			errs[i] = err
			if err == nil {
				ids[i] = imgs[0].ID
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("upload %d: %v", i, err)
		}
	}
	for i, id := range ids {
		if id != ids[0] {
			t.Errorf("upload %d got image %s, upload 0 got %s", i, id, ids[0])
		}
	}
	if c := e.images(); c != 1 {
		t.Fatalf("%d rows, want 1", c)
	}
	var key string
	if err := e.pool.QueryRow(context.Background(), `SELECT storage_key FROM images WHERE owner_id = $1`, e.owner).Scan(&key); err != nil {
		t.Fatal(err)
	}
	e.runRemovals()
	eventually(t, "exactly one file, the image's", func() bool {
		f := e.store.files(t)
		return len(f) == 1 && f[0] == key && e.removals() == 0
	})
	t.Logf("%d puts for %d concurrent uploads", e.store.puts.Load(), n)
}

func TestSetAvatar_ReplacingRemovesTheOldFile(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := pngBytes(t, 10, 8)
	u, err := e.svc.SetAvatar(ctx, e.owner, upload("me.png", first), &media.Crop{X: 0, Y: 0, Width: 8, Height: 8})
	if err != nil {
		t.Fatal(err)
	}
	if u.AvatarID == nil || u.AvatarCrop == nil || *u.AvatarCrop != (media.Crop{Width: 8, Height: 8}) {
		t.Fatalf("user %+v", u)
	}
	firstFiles := e.store.files(t)
	if len(firstFiles) != 1 {
		t.Fatalf("files %v", firstFiles)
	}
	// An avatar is not in the gallery, so the same bytes in the gallery are a new image.
	if imgs, err := e.svc.UploadImages(ctx, e.owner, []media.Upload{upload("g.png", first)}, nil, nil); err != nil || imgs[0].ID == *u.AvatarID {
		t.Fatalf("gallery upload of the avatar's bytes: %+v, %v", imgs, err)
	}
	u2, err := e.svc.SetAvatar(ctx, e.owner, upload("me2.png", pngBytes(t, 5, 5)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if u2.AvatarID == nil || *u2.AvatarID == *u.AvatarID || u2.AvatarCrop != nil {
		t.Errorf("second avatar %+v", u2)
	}
	if slices.Contains(e.store.files(t), firstFiles[0]) {
		t.Errorf("the first avatar's file %s is still stored", firstFiles[0])
	}
	if n := e.count(`SELECT count(*) FROM images WHERE owner_id = $1 AND kind = 'avatar'`, e.owner); n != 1 {
		t.Errorf("%d avatar rows", n)
	}
	// A crop outside the image is refused before anything is stored.
	puts := e.store.puts.Load()
	if _, err := e.svc.SetAvatar(ctx, e.owner, upload("me3.png", pngBytes(t, 5, 5)), &media.Crop{X: 1, Y: 0, Width: 5, Height: 5}); media.ErrorCode(err) != media.CodeBadUserInput {
		t.Errorf("crop outside: %v", err)
	}
	if e.store.puts.Load() != puts {
		t.Error("a refused avatar was stored")
	}
	u3, err := e.svc.RemoveAvatar(ctx, e.owner)
	if err != nil || u3.AvatarID != nil {
		t.Fatalf("RemoveAvatar: %+v, %v", u3, err)
	}
	if files := e.store.files(t); len(files) != 1 {
		t.Errorf("after RemoveAvatar files %v, want only the gallery image", files)
	}
	if n := e.removals(); n != 0 {
		t.Errorf("%d removals left", n)
	}
}

// A media store that cannot delete at start (a blip, or one file it can
// never remove) must not keep the server from starting: the removal stays
// queued for the worker, as collectNow leaves it. RecoverInterrupted is
// called at start and its error aborts startup; and since ExpediteGuards
// also makes backed-off failures due again, one poisoned key would fail
// every start.
func TestRecoverInterrupted_StoreFailureIsLeftToTheWorker(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	data := pngBytes(t, 4, 4)
	orphan := e.store.NewKey("png")
	if err := e.repo.GuardKeys(ctx, []string{orphan}, time.Hour, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Store.Put(ctx, media.Blob{Key: orphan, Size: int64(len(data)), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	e.store.failDelete.Store(true)
	if err := e.svc.RecoverInterrupted(ctx); err != nil {
		t.Errorf("RecoverInterrupted failed because the store could not delete: %v", err)
	}
	// Still queued: whichever due key the failing store was asked to delete
	// first, nothing was lost from the queue.
	if n := e.count(`SELECT count(*) FROM blob_removals WHERE storage_key = $1`, orphan); n != 1 {
		t.Errorf("the failed removal is not queued (%d rows)", n)
	}
	e.store.failDelete.Store(false)
	e.runRemovals()
	eventually(t, "the worker to remove the orphan", func() bool {
		return len(e.store.files(t)) == 0 && e.removals() == 0
	})
}

// A power loss can take an upload's unflushed guard while its file made it
// to disk; Reconcile finds such files and keeps everything something names.
func TestReconcile_RemovesOnlyFilesNothingNames(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	data := pngBytes(t, 4, 4)
	put := func(key string) {
		if _, err := e.store.Store.Put(ctx, media.Blob{Key: key, Size: int64(len(data)), Body: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := e.svc.UploadImages(ctx, e.owner, []media.Upload{{Filename: "k.png", Size: int64(len(data)), Content: bytes.NewReader(data)}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	guarded := e.store.NewKey("png")
	if err := e.repo.GuardKeys(ctx, []string{guarded}, time.Hour, true); err != nil {
		t.Fatal(err)
	}
	put(guarded) // an upload in flight
	unnamed := e.store.NewKey("png")
	put(unnamed)

	n, err := e.svc.Reconcile(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v; want 1 file removed", n, err)
	}
	files := e.store.files(t)
	if !slices.Contains(files, kept[0].StorageKey) || !slices.Contains(files, guarded) || slices.Contains(files, unnamed) {
		t.Fatalf("files after Reconcile: %v (kept %s, guarded %s, unnamed %s)", files, kept[0].StorageKey, guarded, unnamed)
	}
}

// Renditions are not originals: Reconcile keeps those of images that exist,
// and removes those whose original nothing names any more (with it, or after it).
func TestReconcile_RenditionsFollowTheirOriginals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	data := pngBytes(t, 8, 8)
	h := e.store.Handler("/media/")
	render := func(key string) string {
		u, _ := url.Parse(e.store.URL(&media.Image{StorageKey: key}, &media.Transform{Width: 4, Format: media.FormatPNG}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, u.Path, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("render %s: %d", key, w.Code)
		}
		return filepath.Join(e.store.Dir(), "renditions", filepath.FromSlash(key))
	}
	kept, err := e.svc.UploadImages(ctx, e.owner, []media.Upload{{Filename: "k.png", Size: int64(len(data)), Content: bytes.NewReader(data)}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	keptDir := render(kept[0].StorageKey)
	var orphanDirs []string
	for _, lose := range []bool{false, true} {
		key := e.store.NewKey("png")
		if _, err := e.store.Store.Put(ctx, media.Blob{Key: key, Size: int64(len(data)), Body: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
		orphanDirs = append(orphanDirs, render(key))
		if lose { // its original gone by other means: only its renditions are left
			if err := os.Remove(filepath.Join(e.store.Dir(), "originals", filepath.FromSlash(key))); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := e.svc.Reconcile(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Reconcile = %d, %v; want 2 keys removed", n, err)
	}
	if _, err := os.Stat(keptDir); err != nil {
		t.Errorf("the renditions of a kept image went: %v", err)
	}
	for _, d := range orphanDirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("orphaned renditions %s left: %v", d, err)
		}
	}
}
