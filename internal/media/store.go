package media

import (
	"context"
	"io"
)

// Blob is one file handed to a Store.
type Blob struct {
	Key         string // chosen by the server (Store.NewKey), never from the client
	ContentType string
	Format      string
	Size        int64
	SHA256      string
	// Body is the file's content, positioned at its start. It may also be a
	// Mover, which lets a store on the same filesystem take the spooled file
	// with a rename.
	Body io.ReadSeeker
}

// Mover is implemented by upload content that lives in a temporary file: it
// renames the file to path so that the bytes are not copied again. It fails
// when the content is not in a file (or was moved already); the caller then
// copies from the reader.
type Mover interface {
	MoveTo(path string) error
}

// Digester is implemented by upload content whose SHA-256 was computed while
// it streamed in, so that nobody reads it again to hash it.
type Digester interface {
	SHA256() [32]byte
}

// Store keeps image files: the local store on disk, or Cloudinary. Every
// method is safe for concurrent use.
type Store interface {
	// Name identifies the store in logs and health checks ("local", "cloudinary").
	Name() string
	// NewKey returns a fresh unguessable key for a file of the given format.
	NewKey(format string) string
	// Put stores the blob under blob.Key and returns the provider's metadata
	// to keep with the row (empty for the local store).
	Put(ctx context.Context, blob Blob) (map[string]any, error)
	// Open reads a stored original back.
	Open(ctx context.Context, img *Image) (io.ReadCloser, error)
	// Delete removes the object under key and everything derived from it
	// (renditions). A key that names nothing counts as deleted.
	Delete(ctx context.Context, key string) error
	// URL is the delivery URL of the image, or of a rendition when t is set.
	URL(img *Image, t *Transform) string
	// Ping reports whether the store answers (readiness).
	Ping(ctx context.Context) error
}

// Lister is implemented by stores that can list every key they hold (the
// local store), so that Reconcile can find files that nothing names. A key
// is listed once for its original and also when only derived files
// (renditions) remain of it, so that Delete can take those too.
type Lister interface {
	Keys(ctx context.Context, fn func(key string) error) error
}
