package media

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// placeholderTimeout bounds the making of one placeholder, queueing included.
const placeholderTimeout = time.Minute

// PlaceholderFunc makes the data: URI of a tiny blurred preview from an
// image's bytes, given its format and EXIF orientation.
type PlaceholderFunc func(r io.Reader, format string, orientation int) (string, error)

// Background previews: how many may wait at once, how many decode at once,
// and how long uploads must have paused before one starts.
//
// A preview costs several times the CPU of the upload it follows (the whole
// compressed stream is entropy-decoded, even at 1/8 scale), so previews made
// while uploads run would take most of the CPU from them. They wait for a
// pause instead; under sustained uploads the queue fills and the rest are
// made lazily by the first query that asks.
const (
	maxPendingPreviews = 256
	previewWorkers     = 1
	previewQuiet       = 200 * time.Millisecond
)

// previewSoon starts making the placeholders of freshly stored images in the
// background, so that every image has one soon after its upload without the
// upload waiting for a decode. Past maxPendingPreviews queued, it leaves the
// rest to Placeholder's lazy path: the first query makes them.
func (s *Service) previewSoon(imgs []Image) {
	for _, img := range imgs {
		if img.Placeholder != nil || s.makePlaceholder == nil {
			continue
		}
		if s.pendingPreviews.Add(1) > maxPendingPreviews {
			s.pendingPreviews.Add(-1)
			return
		}
		go func() {
			defer s.pendingPreviews.Add(-1)
			ctx := context.Background()
			if err := s.previewing.Acquire(ctx, 1); err != nil {
				return
			}
			defer s.previewing.Release(1)
			s.uploads.waitQuiet(previewQuiet)
			_, _ = s.Placeholder(ctx, &img) // failures are logged there, and retried lazily
		}()
	}
}

// Placeholder returns the image's tiny blurred preview, making and keeping it
// the first time it is asked for, unless previewSoon made it already after
// the upload. Decoding pixels is far slower than storing bytes, so uploads do
// not wait for it; concurrent first requests make it once.
//
// A preview that cannot be made is no reason to fail the query around it
// (Apollo Client's default error policy would drop the whole page): it is
// null, the cause is logged, and bytes that do not decode are remembered
// (an empty stored value) so that they are not decoded again.
func (s *Service) Placeholder(ctx context.Context, img *Image) (*string, error) {
	if img.Placeholder != nil || s.makePlaceholder == nil {
		if img.Placeholder != nil && *img.Placeholder == "" {
			return nil, nil
		}
		return img.Placeholder, nil
	}
	v, err, _ := s.placeholders.Do(img.ID, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), placeholderTimeout)
		defer cancel()
		// Decoding takes memory in proportion to pixels: the budget lets a
		// few big images or many small ones decode at once, never a page of
		// big ones together.
		weight := min(int64(img.Width)*int64(img.Height), s.limits.MaxPixels)
		if err := s.decoding.Acquire(ctx, weight); err != nil {
			return nil, err
		}
		defer s.decoding.Release(weight)
		rc, err := s.store.Open(ctx, img)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", img.StorageKey, err)
		}
		defer rc.Close()
		uri, err := s.makePlaceholder(rc, img.Format, img.Orientation)
		if err != nil {
			s.log.Warn("image does not decode; it gets no placeholder", "op", "placeholder", "image_id", img.ID, "err", err)
			uri = ""
		}
		if err := s.repo.SetPlaceholder(ctx, img.ID, uri); err != nil {
			return nil, err
		}
		return uri, nil
	})
	if err != nil {
		s.log.Warn("placeholder deferred", "op", "placeholder", "image_id", img.ID, "err", fmt.Errorf("placeholder for %s: %w", img.ID, err))
		return nil, nil
	}
	if uri := v.(string); uri != "" {
		return &uri, nil
	}
	return nil, nil
}

// uploadActivity tells when uploads run, so that background work can wait
// for a pause in them.
type uploadActivity struct {
	running atomic.Int32
	lastEnd atomic.Int64 // UnixNano of the last upload's end
}

// begin marks an upload as running; the returned func marks its end.
func (a *uploadActivity) begin() func() {
	a.running.Add(1)
	return func() {
		a.lastEnd.Store(time.Now().UnixNano())
		a.running.Add(-1)
	}
}

// waitQuiet returns once no upload has run for quiet.
func (a *uploadActivity) waitQuiet(quiet time.Duration) {
	for {
		wait := quiet
		if a.running.Load() == 0 {
			idle := time.Since(time.Unix(0, a.lastEnd.Load()))
			if idle >= quiet {
				return
			}
			wait = quiet - idle
		}
		time.Sleep(wait)
	}
}
