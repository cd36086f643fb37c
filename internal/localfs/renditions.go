package localfs

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mediagraph/mediagraph/internal/imagecheck"
	"github.com/mediagraph/mediagraph/internal/media"
	"github.com/mediagraph/mediagraph/internal/rendition"
)

// renderTimeout bounds one render, its wait for a turn included. The render
// is shared by every request that wants it, so no single client's departure
// cancels it.
const renderTimeout = 2 * time.Minute

// Render failures that are the request's answer rather than the server's fault.
var (
	errGone      = errors.New("original not found")
	errTooLarge  = errors.New("original has too many pixels to render")
	errBadSource = errors.New("original does not decode")
)

// renditionURL is the signed URL of t applied to the image under key:
// PUBLIC_URL/media/r/<signature>/<transform>/<key>. The signature covers
// everything after it.
func (s *Store) renditionURL(key string, t media.Transform) string {
	t.Crop = cmp.Or(t.Crop, media.CropFill)
	t.Gravity = cmp.Or(t.Gravity, media.GravityAuto)
	t.Format = cmp.Or(t.Format, media.FormatAuto)
	rest := encodeTransform(t) + "/" + key
	return s.publicURL + "/media/r/" + s.sign(rest) + "/" + rest
}

// renditionDir holds the cached renditions of the original under key.
func (s *Store) renditionDir(key string) string {
	return filepath.Join(s.renditions, filepath.FromSlash(key))
}

// keyLock is the lock that orders the renditions of key against its deletion:
// a render files its result only while the original still exists, under the
// shared lock, and Delete removes both under the exclusive one, so that no
// rendition outlives its original.
func (s *Store) keyLock(key string) interface {
	Lock()
	Unlock()
	RLock()
	RUnlock()
} {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return &s.keyLocks[h.Sum32()%uint32(len(s.keyLocks))]
}

// serveRendition answers GET /media/r/<sig>/<transform>/<key>. The signature
// is checked before anything else of the path is read: a stranger cannot make
// the server render, or even parse, anything it did not sign.
func (s *Store) serveRendition(w http.ResponseWriter, r *http.Request, path string) {
	sig, rest, _ := strings.Cut(path, "/")
	if !s.verify(sig, rest) {
		http.Error(w, "forbidden: rendition URLs must be signed by the server", http.StatusForbidden)
		return
	}
	enc, key, _ := strings.Cut(rest, "/")
	t, ok := parseTransform(enc)
	if !ok || !validKey(key) {
		http.NotFound(w, r)
		return
	}
	if t.Format == media.FormatAuto {
		w.Header().Set("Vary", "Accept")
		t.Format = negotiate(r.Header.Get("Accept"), key[strings.LastIndexByte(key, '.')+1:])
	}
	// One file per transform and format: AUTO's answers differ by Accept.
	sum := sha256.Sum256([]byte(enc))
	name := hex.EncodeToString(sum[:16]) + "." + rendition.Extension(t.Format)
	p := filepath.Join(s.renditionDir(key), name)
	if f, err := os.Open(p); err == nil {
		defer f.Close()
		s.serveFile(w, r, f, rendition.ContentType(t.Format), "r"+strings.ReplaceAll(name, ".", "-"))
		return
	}
	ch := s.flight.DoChan(p, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), renderTimeout)
		defer cancel()
		return nil, s.render(ctx, key, t, p)
	})
	var err error
	select {
	case res := <-ch:
		err = res.Err
	case <-r.Context().Done():
		return // the client left; the render goes on for whoever asks next
	}
	switch {
	case errors.Is(err, errGone):
		http.NotFound(w, r)
		return
	case errors.Is(err, errTooLarge):
		http.Error(w, "the original has more pixels than MAX_PIXELS allows to render", http.StatusUnprocessableEntity)
		return
	case errors.Is(err, errBadSource):
		s.log.Warn("rendition of an undecodable original", "op", "render", "key", key, "err", err)
		http.Error(w, "the original cannot be decoded", http.StatusUnprocessableEntity)
		return
	case err != nil:
		s.log.Error("render", "op", "render", "key", key, "transform", enc, "err", err)
		http.Error(w, "rendering failed", http.StatusInternalServerError)
		return
	}
	f, err := os.Open(p)
	if err != nil { // deleted since it was rendered
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	s.serveFile(w, r, f, rendition.ContentType(t.Format), "r"+strings.ReplaceAll(name, ".", "-"))
}

// render makes the rendition of the original under key and files it at dest.
// At most maxRenders run at once; an original over MAX_PIXELS is refused
// before any pixel is decoded.
func (s *Store) render(ctx context.Context, key string, t media.Transform, dest string) (err error) {
	orig, _ := s.path(key)
	if err := s.renderSlots.Acquire(ctx, 1); err != nil {
		return err
	}
	defer s.renderSlots.Release(1)
	f, err := os.Open(orig)
	if errors.Is(err, fs.ErrNotExist) {
		return errGone
	} else if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	info, err := imagecheck.Inspect(f, st.Size(), s.maxPixels)
	switch {
	case errors.Is(err, imagecheck.ErrTooManyPixels):
		return fmt.Errorf("%w: %w", errTooLarge, err)
	case err != nil:
		return fmt.Errorf("%w: %w", errBadSource, err)
	}
	tmp, err := os.CreateTemp(s.spool, "render-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	src := rendition.Source{Format: info.Format, Width: info.Width, Height: info.Height, Orientation: info.Orientation}
	err = rendition.Render(tmp, io.NewSectionReader(f, 0, st.Size()), src, t)
	if err != nil && !errors.Is(err, rendition.ErrFormat) {
		err = fmt.Errorf("%w: %w", errBadSource, err)
	}
	if err == nil && !s.noFsync {
		err = tmp.Sync() // a cached file must never be found torn after a power loss
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	s.renders.Add(1)
	l := s.keyLock(key)
	l.RLock()
	defer l.RUnlock()
	if _, err := os.Stat(orig); err != nil {
		return errGone // deleted while rendering: file nothing
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}

// orphanedRenditions calls fn with the key of every set of renditions whose
// original is gone.
func (s *Store) orphanedRenditions(ctx context.Context, fn func(key string) error) error {
	prefixes, err := os.ReadDir(s.renditions)
	if err != nil {
		return err
	}
	for _, pd := range prefixes {
		names, err := os.ReadDir(filepath.Join(s.renditions, pd.Name()))
		if err != nil {
			continue // not a directory of ours
		}
		for _, n := range names {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			key := pd.Name() + "/" + n.Name()
			orig, ok := s.path(key)
			if !ok {
				continue
			}
			if _, err := os.Stat(orig); errors.Is(err, fs.ErrNotExist) {
				if err := fn(key); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Renders is how many renditions this store has rendered since it started
// (each is rendered once, then served from its cache).
func (s *Store) Renders() int64 { return s.renders.Load() }

// negotiate picks the format of a format-AUTO rendition for an image request's
// Accept header: AVIF or WebP when Accept names them (the higher q wins; WebP
// on a tie, as browsers that take AVIF send: its encoder is faster and
// lighter here, both being WebAssembly), else the original's own family (ext is its
// extension), which every client that took the original takes: a wildcard
// never stands for AVIF or WebP, since browsers that cannot show them send
// "*/*" too.
func negotiate(accept, ext string) media.Format {
	var qAVIF, qWebP float64
	for _, part := range strings.Split(accept, ",") {
		typ, params, _ := strings.Cut(part, ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		switch strings.ToLower(strings.TrimSpace(typ)) {
		case "image/avif":
			qAVIF = max(qAVIF, q)
		case "image/webp":
			qWebP = max(qWebP, q)
		}
	}
	switch {
	case qWebP > 0 && qWebP >= qAVIF:
		return media.FormatWebP
	case qAVIF > 0:
		return media.FormatAVIF
	}
	switch ext {
	case "jpg":
		return media.FormatJPG
	case "webp":
		return media.FormatWebP
	case "avif":
		return media.FormatAVIF
	}
	return media.FormatPNG // png, and gif (a rendition is one frame)
}
