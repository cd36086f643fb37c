// Package localfs is the media store on the local disk, the default when no
// Cloudinary account is configured. It keeps originals under MEDIA_DIR and
// serves them under /media/, with their renditions: rendered on the first
// request of a signed URL, then kept on disk beside them.
package localfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"

	"github.com/mediagraph/mediagraph/internal/directio"
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
	// SigningKey signs rendition URLs (MEDIA_SIGNING_KEY, or one derived
	// from AUTH_JWT_SECRET). Empty: a key generated once and kept in Dir.
	SigningKey []byte
	// MaxPixels is the largest original (width x height) a rendition may
	// decode (MAX_PIXELS); 0 means API.md's default, 50000000.
	MaxPixels int64
	// MaxRenders is how many renditions may render at once; 0 means one per
	// CPU.
	MaxRenders int
	// Log receives render failures; nil means slog.Default().
	Log *slog.Logger
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
	if n := len(c.SigningKey); n > 0 && n < 16 {
		errs = append(errs, errors.New("MEDIA_SIGNING_KEY must be at least 16 bytes"))
	}
	return errors.Join(errs...)
}

// defaultMaxPixels is MAX_PIXELS's default.
const defaultMaxPixels = 50_000_000

// Store keeps originals at Dir/originals/<key> and their renditions in
// Dir/renditions/<key>/. Keys are two hex digits, a slash, 32 hex digits and
// the format's extension: unguessable, and never derived from anything the
// client sent.
type Store struct {
	dir        string
	originals  string
	renditions string
	spool      string
	publicURL  string
	madeDirs   sync.Map
	flusher    *flusher // group commit of flushes; nil: each Put flushes its own (always with direct I/O)
	noFsync    bool
	direct     bool // bodies in memory are written with O_DIRECT; spooled ones were

	signingKey  []byte
	maxPixels   int64
	renderSlots *semaphore.Weighted
	flight      singleflight.Group
	keyLocks    [64]sync.RWMutex
	renders     atomic.Int64
	log         *slog.Logger
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
		dir:        abs,
		originals:  filepath.Join(abs, "originals"),
		renditions: filepath.Join(abs, "renditions"),
		spool:      filepath.Join(abs, ".spool"),
		publicURL:  strings.TrimRight(cfg.PublicURL, "/"),
		signingKey: cfg.SigningKey,
		maxPixels:  cfg.MaxPixels,
		log:        cfg.Log,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.maxPixels <= 0 {
		s.maxPixels = defaultMaxPixels
	}
	renders := cfg.MaxRenders
	if renders <= 0 {
		renders = runtime.GOMAXPROCS(0)
	}
	s.renderSlots = semaphore.NewWeighted(int64(renders))
	for _, d := range []string{s.originals, s.renditions, s.spool} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("MEDIA_DIR: %w", err)
		}
	}
	if err := emptyDir(s.spool); err != nil {
		return nil, fmt.Errorf("clean spool: %w", err)
	}
	if len(s.signingKey) == 0 {
		if s.signingKey, err = loadOrCreateKey(abs); err != nil {
			return nil, fmt.Errorf("MEDIA_SIGNING_KEY unset: %w", err)
		}
	}
	s.noFsync = cfg.NoFsync
	s.direct = directio.Supported(s.spool)
	if haveSyncfs && !s.direct {
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

// Put stores the blob. A spooled upload is renamed into place. Anything
// else (an upload held in memory) is written in place with direct I/O where
// the filesystem has it, or else to a temporary file that is then renamed.
// Either way the file and its directory entry are on stable storage before
// Put returns, so a committed row never outlives its bytes on power loss.
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
	} else if s.direct {
		return nil, s.putDirect(ctx, dest, blob)
	} else if err := s.writeFile(ctx, dest, blob.Body); err != nil {
		return nil, err
	}
	if err := s.flush(dest); err != nil {
		_ = os.Remove(dest)
		return nil, err
	}
	return nil, nil
}

// putDirect writes a body that is not a spooled file (one held in memory)
// straight to its place with direct I/O, then (unless MEDIA_FSYNC=false)
// makes it and its directory entry durable: no temporary file and no dirty
// pages to flush. Nothing serves a
// key before its row exists, so a half-written file is never seen, and one
// left by a crash is a guarded key without a row, which the sweep removes.
func (s *Store) putDirect(ctx context.Context, dest string, blob media.Blob) error {
	if err := directio.WriteFile(dest, contextReader{ctx, blob.Body}, blob.Size, 0o644, !s.noFsync); err != nil {
		return err
	}
	if s.noFsync {
		return nil
	}
	if err := syncDir(filepath.Dir(dest)); err != nil {
		_ = os.Remove(dest)
		return err
	}
	return nil
}

// flush makes the file at path and its directory entry durable. Where
// uploads spill with direct I/O their bytes are no dirty pages, so each
// file is flushed alone; otherwise concurrent uploads share a flush of the
// filesystem (whose dirty pages it writes, the database's too when it shares
// the disk).
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
	// The new directory's own entry must be durable too before a row names
	// a file in it (once per directory and process: it may be new).
	if !s.noFsync && s.flusher == nil {
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return err
		}
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

// Delete removes the original and its renditions; a key that names nothing
// counts as deleted. Renditions go first, so that a crash in between leaves
// the original, whose removal is retried, rather than renditions nothing
// names; and under the key's lock, so that a render finishing meanwhile
// cannot file a rendition after them.
func (s *Store) Delete(_ context.Context, key string) error {
	p, ok := s.path(key)
	if !ok {
		return nil // nothing NewKey made can live there
	}
	l := s.keyLock(key)
	l.Lock()
	defer l.Unlock()
	if err := os.RemoveAll(s.renditionDir(key)); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// URL is the delivery URL of the original, or with t the signed URL of its
// rendition, the same for the same transform.
func (s *Store) URL(img *media.Image, t *media.Transform) string {
	if t != nil {
		return s.renditionURL(img.StorageKey, *t)
	}
	return s.publicURL + "/media/" + img.StorageKey
}

// Keys calls fn with the key of every stored original, then with the key of
// every set of renditions whose original is gone (which Reconcile then
// removes, as no row names them).
func (s *Store) Keys(ctx context.Context, fn func(key string) error) error {
	if err := s.originalKeys(ctx, fn); err != nil {
		return err
	}
	return s.orphanedRenditions(ctx, fn)
}

func (s *Store) originalKeys(ctx context.Context, fn func(key string) error) error {
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
