package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/mediagraph/mediagraph/internal/imagecheck"
)

// Upload is one file as the client sent it.
type Upload struct {
	Filename string
	Size     int64
	// Content reads the file; it may also be an io.ReaderAt, a Digester and
	// a Mover, which spare copies and re-reads.
	Content io.ReadSeeker
}

// checked is an upload that passed validation.
type checked struct {
	Upload
	info   imagecheck.Info
	sha256 string
	at     io.ReaderAt
}

// check validates an upload from its bytes: size, type, dimensions and
// structure, before anything is stored.
func (s *Service) check(up Upload) (checked, error) {
	if up.Size > s.limits.MaxFileBytes {
		e := Errorf(CodeFileTooLarge, "%s is larger than the %d-byte limit.", describe(up.Filename), s.limits.MaxFileBytes)
		e.Extensions = map[string]any{"maxFileBytes": s.limits.MaxFileBytes}
		return checked{}, e
	}
	if up.Size <= 0 {
		return checked{}, Errorf(CodeInvalidImage, "%s is empty.", describe(up.Filename))
	}
	at, err := readerAt(up)
	if err != nil {
		return checked{}, fmt.Errorf("read upload: %w", err)
	}
	info, err := imagecheck.Inspect(at, up.Size, s.limits.MaxPixels)
	switch {
	case errors.Is(err, imagecheck.ErrTooManyPixels):
		return checked{}, &Error{Code: CodeTooManyPixels, Message: fmt.Sprintf("%s has more than the %d-pixel limit.", describe(up.Filename), s.limits.MaxPixels), Err: err,
			Extensions: map[string]any{"maxPixels": s.limits.MaxPixels}}
	case errors.Is(err, imagecheck.ErrUnsupported):
		return checked{}, &Error{Code: CodeInvalidImage, Message: fmt.Sprintf("%s is not an accepted image: send JPEG, PNG, GIF, WebP or AVIF.", describe(up.Filename)), Err: err}
	case err != nil:
		return checked{}, &Error{Code: CodeInvalidImage, Message: fmt.Sprintf("%s is not a readable image (%v).", describe(up.Filename), err), Err: err}
	}
	c := checked{Upload: up, info: info, at: at}
	if d, ok := up.Content.(Digester); ok {
		sum := d.SHA256()
		c.sha256 = hex.EncodeToString(sum[:])
	} else {
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(at, 0, up.Size)); err != nil {
			return checked{}, fmt.Errorf("hash upload: %w", err)
		}
		c.sha256 = hex.EncodeToString(h.Sum(nil))
	}
	return c, nil
}

// readerAt gives random access to the upload's bytes; content that offers none
// is read into memory, which the size limit already bounds.
func readerAt(up Upload) (io.ReaderAt, error) {
	if at, ok := up.Content.(io.ReaderAt); ok {
		return at, nil
	}
	if _, err := up.Content.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(up.Content, up.Size))
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

func describe(filename string) string {
	if name := CleanFilename(filename); name != "" {
		return fmt.Sprintf("The file %q", name)
	}
	return "The file"
}

// UploadImages stores the files in the owner's gallery, all of them or none.
// Bytes the owner already stored return that image and store nothing.
func (s *Service) UploadImages(ctx context.Context, ownerID string, ups []Upload, alt *string, tags []string) ([]Image, error) {
	defer s.uploads.begin()()
	if len(ups) == 0 {
		return nil, Errorf(CodeBadUserInput, "Send at least one file.")
	}
	if len(ups) > s.limits.MaxFiles {
		e := Errorf(CodeTooManyFiles, "At most %d files may be sent at once.", s.limits.MaxFiles)
		e.Extensions = map[string]any{"maxFiles": s.limits.MaxFiles}
		return nil, e
	}
	if tags == nil {
		tags = []string{}
	}
	if err := checkText(alt, tags); err != nil {
		return nil, err
	}
	files := make([]checked, len(ups))
	digests := make([]string, len(ups))
	for i, up := range ups {
		c, err := s.check(up)
		if err != nil {
			return nil, err
		}
		files[i], digests[i] = c, c.sha256
	}
	// One new row per digest; repeats within the batch share it. Keys are
	// guarded while the digests are looked up, both at once: the guards of
	// digests the owner already has are released unused.
	var news []NewImage
	var toStore []checked
	planned := map[string]bool{}
	for _, f := range files {
		if planned[f.sha256] {
			continue
		}
		planned[f.sha256] = true
		toStore = append(toStore, f)
		news = append(news, s.newImage(ownerID, KindGallery, f, alt, tags))
	}
	var existing map[string]Image
	var lookupErr error
	var wg sync.WaitGroup
	wg.Go(func() { existing, lookupErr = s.repo.GalleryImagesBySHA256(ctx, ownerID, digests) })
	guardErr := s.guard(ctx, keysOf(news))
	wg.Wait()
	if err := errors.Join(lookupErr, guardErr); err != nil {
		if guardErr == nil {
			s.releaseUnused(ctx, keysOf(news))
		}
		return nil, err
	}
	var unused []string
	kept := news[:0:0]
	keptFiles := toStore[:0:0]
	for i, n := range news {
		if _, ok := existing[n.SHA256]; ok {
			unused = append(unused, n.StorageKey)
			continue
		}
		kept = append(kept, n)
		keptFiles = append(keptFiles, toStore[i])
	}
	s.releaseUnused(ctx, unused)
	if len(kept) > 0 {
		if err := s.storeAll(ctx, keptFiles, kept); err != nil {
			return nil, err
		}
		ictx, cancel := s.settled(ctx)
		inserted, err := s.repo.InsertGallery(ictx, kept)
		cancel()
		if err != nil {
			s.discard(ctx, keysOf(kept))
			return nil, err
		}
		for i, img := range inserted {
			existing[img.SHA256] = img
			if img.StorageKey != kept[i].StorageKey {
				// A concurrent upload of the same bytes won; ours was released.
				s.collectNow(ctx)
			}
		}
		s.previewSoon(inserted)
	}
	out := make([]Image, len(files))
	for i, f := range files {
		out[i] = existing[f.sha256]
	}
	return out, nil
}

// SetAvatar makes the file the user's profile photo, cropped to crop, and
// removes the previous one.
func (s *Service) SetAvatar(ctx context.Context, userID string, up Upload, crop *Crop) (User, error) {
	defer s.uploads.begin()()
	f, err := s.check(up)
	if err != nil {
		return User{}, err
	}
	if crop != nil && !crop.Within(f.info.Width, f.info.Height) {
		return User{}, Errorf(CodeBadUserInput, "The crop %dx%d at (%d,%d) must have a width and height of at least 1 and lie wholly inside the %dx%d image.",
			crop.Width, crop.Height, crop.X, crop.Y, f.info.Width, f.info.Height)
	}
	img := s.newImage(userID, KindAvatar, f, nil, []string{})
	if err := s.guard(ctx, []string{img.StorageKey}); err != nil {
		return User{}, err
	}
	stored := []NewImage{img}
	if err := s.storeAll(ctx, []checked{f}, stored); err != nil {
		return User{}, err
	}
	img = stored[0] // with the store's metadata
	ictx, cancel := s.settled(ctx)
	u, err := s.repo.ReplaceAvatar(ictx, img, crop)
	cancel()
	if err != nil {
		s.discard(ctx, []string{img.StorageKey})
		return User{}, err
	}
	s.collectNow(ctx)
	if u.AvatarID != nil {
		s.previewSoon([]Image{{ID: *u.AvatarID, StorageKey: img.StorageKey, Format: img.Format,
			Width: img.Width, Height: img.Height, Orientation: img.Orientation}})
	}
	return u, nil
}

// settled is the context of a row insert after its files are stored: the
// client going away must not cancel it halfway (a commit the caller cannot
// see), so it ends only by its own deadline.
func (s *Service) settled(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}

func (s *Service) newImage(ownerID string, kind Kind, f checked, alt *string, tags []string) NewImage {
	return NewImage{
		OwnerID:     ownerID,
		Kind:        kind,
		StorageKey:  s.store.NewKey(f.info.Format),
		Filename:    CleanFilename(f.Filename),
		ContentType: f.info.ContentType,
		Format:      f.info.Format,
		Width:       f.info.Width,
		Height:      f.info.Height,
		Orientation: f.info.Orientation,
		Bytes:       f.Size,
		SHA256:      f.sha256,
		Alt:         alt,
		Tags:        tags,
	}
}

// guard records keys about to be stored. Where Reconcile can find orphans
// (a store that lists its keys), the guard is not waited onto disk: a process
// crash keeps it, and after a power loss, which could lose it together with
// its file's row-to-be, the sweep at start finds the file. That spares every
// upload one flush of the database's log.
func (s *Service) guard(ctx context.Context, keys []string) error {
	_, reconcilable := s.store.(Lister)
	return s.repo.GuardKeys(ctx, keys, uploadGrace, !reconcilable)
}

// storeAll stores every file under its guarded key. On any failure it
// removes what it stored and reports STORAGE_UNAVAILABLE (or the context's
// error).
func (s *Service) storeAll(ctx context.Context, files []checked, news []NewImage) error {
	keys := keysOf(news)
	for i, f := range files {
		blob := Blob{
			Key:         news[i].StorageKey,
			ContentType: news[i].ContentType,
			Format:      news[i].Format,
			Size:        f.Size,
			SHA256:      f.sha256,
			Body:        f.Content,
		}
		if _, err := f.Content.Seek(0, io.SeekStart); err != nil {
			s.discard(ctx, keys)
			return fmt.Errorf("rewind upload: %w", err)
		}
		meta, err := s.store.Put(ctx, blob)
		if err != nil {
			s.discard(ctx, keys)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return storageUnavailable(fmt.Errorf("store %s in %s: %w", blob.Key, s.store.Name(), err))
		}
		news[i].Provider = meta
	}
	return nil
}

// discard removes files that will get no row, now if the store answers, or
// later through the removal queue.
func (s *Service) discard(ctx context.Context, keys []string) {
	ctx = context.WithoutCancel(ctx)
	if err := s.repo.ReleaseKeys(ctx, keys); err != nil {
		s.log.Error("release keys", "op", "discard", "keys", keys, "err", err)
	}
	s.collectNow(ctx)
}

// releaseUnused hands guards of keys that were never stored to the removal
// worker (removing nothing is cheap), without making the request wait.
func (s *Service) releaseUnused(ctx context.Context, keys []string) {
	if len(keys) == 0 {
		return
	}
	if err := s.repo.ReleaseKeys(context.WithoutCancel(ctx), keys); err != nil {
		s.log.Error("release keys", "op", "upload", "err", err)
	}
	s.wakeRemovals()
}

func keysOf(news []NewImage) []string {
	keys := make([]string, len(news))
	for i, n := range news {
		keys[i] = n.StorageKey
	}
	return keys
}
