package media_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/mediagraph/mediagraph/internal/media"
)

// flushRecorder is the real repository, noting how each guard was written.
type flushRecorder struct {
	media.Repository
	mu      sync.Mutex
	flushes []bool
}

func (r *flushRecorder) GuardKeys(ctx context.Context, keys []string, grace time.Duration, flush bool) error {
	r.mu.Lock()
	r.flushes = append(r.flushes, flush)
	r.mu.Unlock()
	return r.Repository.GuardKeys(ctx, keys, grace, flush)
}

// unlisted hides the store's Keys: a store that cannot list what it holds,
// as Cloudinary's.
type unlisted struct{ media.Store }

// A guard is flushed to disk exactly when the store cannot be swept for
// orphans at start: a power loss must not lose the only record of an upload
// to a store that cannot be listed.
func TestUpload_GuardIsFlushedOnlyForStoresThatCannotBeListed(t *testing.T) {
	for _, c := range []struct {
		name  string
		wrap  func(media.Store) media.Store
		flush bool
	}{
		{"lister", func(s media.Store) media.Store { return s }, false},
		{"not a lister", func(s media.Store) media.Store { return unlisted{s} }, true},
	} {
		e := newEnv(t)
		repo := &flushRecorder{Repository: e.repo}
		store := c.wrap(e.store)
		if _, ok := store.(media.Lister); ok == c.flush {
			t.Fatalf("%s: Lister %v", c.name, ok)
		}
		svc := media.NewService(repo, store, media.Limits{MaxFileBytes: 20 << 20, MaxFiles: 10, MaxPixels: 50e6}, nil,
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		if _, err := svc.UploadImages(context.Background(), e.owner, []media.Upload{upload("g.png", pngBytes(t, 3, 3))}, nil, nil); err != nil {
			t.Fatal(err)
		}
		if len(repo.flushes) != 1 || repo.flushes[0] != c.flush {
			t.Errorf("%s: guards written with flush %v, want [%v]", c.name, repo.flushes, c.flush)
		}
	}
}
