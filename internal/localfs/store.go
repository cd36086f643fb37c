// Package localfs is the media store on the local disk, the default when no
// Cloudinary account is configured. It keeps originals under MEDIA_DIR and
// serves them under /media/.
package localfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mediagraph/mediagraph/internal/media"
)

// Config configures the local store.
type Config struct {
	// Dir is where files live (MEDIA_DIR).
	Dir string
	// PublicURL is the base of delivery URLs (PUBLIC_URL), without the /media/ part.
	PublicURL string
	// NoFsync skips flushing stored files to stable storage (MEDIA_FSYNC=false):
	// faster on slow disks, but a power loss may then lose files whose rows
	// were committed. For storage that is durable by other means.
	NoFsync bool
}

// Validate reports what is wrong with the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("MEDIA_DIR must not be empty"))
	}
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		errs = append(errs, fmt.Errorf("PUBLIC_URL must be an http(s) URL, not %q", c.PublicURL))
	}
	return errors.Join(errs...)
}

// Store keeps originals at Dir/originals/<key>. Keys are two hex digits, a
// slash, 32 hex digits and the format's extension: unguessable, and never
// derived from anything the client sent.
type Store struct {
	dir       string
	originals string
	spool     string
	publicURL string
	madeDirs  sync.Map
	flusher   *flusher // group commit of flushes; nil: each Put flushes its own
	noFsync   bool
}

var _ media.Store = (*Store)(nil)

// New opens (creating) the store's directories and empties the spool
// directory of anything an interrupted request left there.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("MEDIA_DIR: %w", err)
	}
	s := &Store{
		dir:       abs,
		originals: filepath.Join(abs, "originals"),
		spool:     filepath.Join(abs, ".spool"),
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),
	}
	for _, d := range []string{s.originals, s.spool} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("MEDIA_DIR: %w", err)
		}
	}
	if err := emptyDir(s.spool); err != nil {
		return nil, fmt.Errorf("clean spool: %w", err)
	}
	s.noFsync = cfg.NoFsync
	if haveSyncfs {
		s.flusher = newFlusher(syncFS(s.originals))
	}
	return s, nil
}

// SpoolDir is where uploads in flight keep their temporary files: inside
// the store's filesystem, so that storing one is a rename.
func (s *Store) SpoolDir() string { return s.spool }

// Dir is the store's root directory.
func (s *Store) Dir() string { return s.dir }

// Name identifies the store.
func (s *Store) Name() string { return "local" }

// NewKey returns a fresh key for a file of the format.
func (s *Store) NewKey(format string) string {
	var b [17]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	h := hex.EncodeToString(b[:])
	return h[:2] + "/" + h[2:] + "." + format
}

// path maps a key to its file, refusing anything NewKey cannot have made.
func (s *Store) path(key string) (string, bool) {
	if !validKey(key) {
		return "", false
	}
	return filepath.Join(s.originals, filepath.FromSlash(key)), true
}

func validKey(key string) bool {
	dir, rest, ok := strings.Cut(key, "/")
	if !ok || len(dir) != 2 || !isHex(dir) {
		return false
	}
	name, ext, ok := strings.Cut(rest, ".")
	if !ok || len(name) != 32 || !isHex(name) {
		return false
	}
	switch ext {
	case "jpg", "png", "gif", "webp", "avif":
		return true
	}
	return false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Put stores the blob. A spooled upload is renamed into place; anything else
// is written to a temporary file and renamed, so that a reader never sees
// half a file. Either way the file and its directory entry are on stable
// storage before Put returns, so a committed row never outlives its bytes on
// power loss.
func (s *Store) Put(ctx context.Context, blob media.Blob) (map[string]any, error) {
	dest, ok := s.path(blob.Key)
	if !ok {
		return nil, fmt.Errorf("invalid key %q", blob.Key)
	}
	if err := s.mkdir(filepath.Dir(dest)); err != nil {
		return nil, err
	}
	if m, ok := blob.Body.(media.Mover); ok && m.MoveTo(dest) == nil {
		if err := os.Chmod(dest, 0o644); err != nil {
			_ = os.Remove(dest)
			return nil, err
		}
	} else if err := s.writeFile(ctx, dest, blob.Body); err != nil {
		return nil, err
	}
	if err := s.flush(dest); err != nil {
		_ = os.Remove(dest)
		return nil, err
	}
	return nil, nil
}

// flush makes the file at path and its directory entry durable.
func (s *Store) flush(path string) error {
	if s.noFsync {
		return nil
	}
	if s.flusher != nil {
		return s.flusher.wait()
	}
	if err := syncFile(path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func (s *Store) writeFile(ctx context.Context, dest string, body io.Reader) (err error) {
	tmp, err := os.CreateTemp(s.spool, "put-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, contextReader{ctx, body}); err != nil {
		_ = tmp.Close()
		return err
	}
	err = tmp.Chmod(0o644)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}

func (s *Store) mkdir(dir string) error {
	if _, ok := s.madeDirs.Load(dir); ok {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	s.madeDirs.Store(dir, true)
	return nil
}

// Open reads a stored original.
func (s *Store) Open(_ context.Context, img *media.Image) (io.ReadCloser, error) {
	p, ok := s.path(img.StorageKey)
	if !ok {
		return nil, fmt.Errorf("invalid key %q", img.StorageKey)
	}
	return os.Open(p)
}

// Delete removes the original; a key that names nothing counts as deleted.
func (s *Store) Delete(_ context.Context, key string) error {
	p, ok := s.path(key)
	if !ok {
		return nil // nothing NewKey made can live there
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// URL is the delivery URL of the original. Renditions are not rendered yet:
// a transform gets the original's URL.
func (s *Store) URL(img *media.Image, _ *media.Transform) string {
	return s.publicURL + "/media/" + img.StorageKey
}

// Keys calls fn with the key of every stored original.
func (s *Store) Keys(ctx context.Context, fn func(key string) error) error {
	return filepath.WalkDir(s.originals, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(s.originals, p)
		if err != nil {
			return err
		}
		if key := filepath.ToSlash(rel); validKey(key) {
			return fn(key)
		}
		return nil
	})
}

// Ping reports whether the store's directories are there and writable.
func (s *Store) Ping(_ context.Context) error {
	if st, err := os.Stat(s.originals); err != nil || !st.IsDir() {
		return fmt.Errorf("media directory %s is missing or not a directory", s.originals)
	}
	f, err := os.CreateTemp(s.spool, "ping-*") // the spool is emptied at start
	if err != nil {
		return err
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
	return errors.Join(errs...)
}

// contextReader stops a copy when the request's context ends.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
