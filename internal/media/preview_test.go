package media_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mediagraph/mediagraph/internal/media"
)

// blockingStore holds its first Put until release is closed: an upload in
// flight for as long as the test wants.
type blockingStore struct {
	*testStore
	started chan struct{}
	release chan struct{}
	first   atomic.Bool
}

func (s *blockingStore) Put(ctx context.Context, b media.Blob) (map[string]any, error) {
	if s.first.CompareAndSwap(false, true) {
		close(s.started)
		<-s.release
	}
	return s.testStore.Put(ctx, b)
}

// TestPreviews_WaitForAPauseInUploads: background previews cost more CPU
// than uploads, so none is made while an upload runs; once uploads pause,
// every queued one is.
func TestPreviews_WaitForAPauseInUploads(t *testing.T) {
	e := newEnv(t)
	var made atomic.Int32
	preview := func(r io.Reader, format string, orientation int) (string, error) {
		made.Add(1)
		return "data:image/png;base64,AA==", nil
	}
	store := &blockingStore{testStore: e.store, started: make(chan struct{}), release: make(chan struct{})}
	svc := media.NewService(e.repo, store, media.Limits{MaxFileBytes: 20 << 20, MaxFiles: 10, MaxPixels: 50e6}, preview,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()

	slow := make(chan error, 1)
	go func() {
		_, err := svc.UploadImages(ctx, e.owner, []media.Upload{upload("slow.png", pngBytes(t, 4, 4))}, nil, nil)
		slow <- err
	}()
	<-store.started
	if _, err := svc.UploadImages(ctx, e.owner, []media.Upload{upload("quick.png", pngBytes(t, 4, 4))}, nil, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond) // three quiet periods
	if n := made.Load(); n != 0 {
		t.Fatalf("%d previews made while an upload was running", n)
	}
	close(store.release)
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	eventually(t, "both previews made after uploads paused", func() bool { return made.Load() == 2 })
	if n := e.count(`SELECT count(*) FROM images WHERE owner_id = $1 AND placeholder IS NOT NULL`, e.owner); n != 2 {
		t.Errorf("%d placeholders stored, want 2", n)
	}
}
