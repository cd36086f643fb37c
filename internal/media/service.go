package media

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"
)

// Limits are the sizes an upload must stay within.
type Limits struct {
	MaxFileBytes int64
	MaxFiles     int
	MaxPixels    int64
}

// Limits on the text a client attaches to an image.
const (
	maxAltBytes = 4096
	maxTags     = 64
	maxTagBytes = 256
	maxPage     = 100
)

// settleTimeout bounds a row insert that the client can no longer cancel.
const settleTimeout = 30 * time.Second

// uploadGrace is how long a stored file may wait for its row before the
// removal worker takes it: far longer than any request may run.
const uploadGrace = time.Hour

// Service is the media API's behaviour: uploads, avatars, listings and the
// removal of what is no longer referenced. It is safe for concurrent use.
type Service struct {
	repo   Repository
	store  Store
	limits Limits
	log    *slog.Logger

	makePlaceholder PlaceholderFunc
	placeholders    singleflight.Group
	decoding        *semaphore.Weighted // pixels being decoded at once
	previewing      *semaphore.Weighted // background previews decoding at once
	pendingPreviews atomic.Int32        // background previews queued or running
	uploads         uploadActivity      // previews wait for a pause in uploads
	kick            chan struct{}
	// subjects remembers who a token's subject is, so that an authenticated
	// request costs no query to find its user.
	subjects *expirable.LRU[string, User]
}

// Bounds of the subject cache. A cached User is used for its ID and name
// only: fields that change (the avatar) are always read fresh.
const (
	subjectCacheSize = 10000
	subjectCacheTTL  = time.Minute
)

// NewService returns a Service over the repository and store; placeholders
// makes image previews.
func NewService(repo Repository, store Store, limits Limits, placeholders PlaceholderFunc, log *slog.Logger) *Service {
	return &Service{repo: repo, store: store, limits: limits, makePlaceholder: placeholders, log: log, kick: make(chan struct{}, 1),
		subjects: expirable.NewLRU[string, User](subjectCacheSize, nil, subjectCacheTTL),
		decoding: semaphore.NewWeighted(max(2*limits.MaxPixels, 1)), previewing: semaphore.NewWeighted(previewWorkers)}
}

// Limits returns the upload limits in force.
func (s *Service) Limits() Limits { return s.limits }

// Store returns the media store in use.
func (s *Service) Store() Store { return s.store }

// EnsureUser returns the user a token's subject names, creating it the first
// time the subject is seen. The answer may be up to a minute old: use it for
// the user's ID, and load the user for anything else.
func (s *Service) EnsureUser(ctx context.Context, subject, name string) (User, error) {
	if u, ok := s.subjects.Get(subject); ok && (name == "" || name == u.Name) {
		return u, nil
	}
	u, err := s.repo.EnsureUser(ctx, subject, name)
	if err != nil {
		return User{}, err
	}
	s.subjects.Add(subject, u)
	return u, nil
}

// UsersByID returns the users among ids that exist (public profiles).
func (s *Service) UsersByID(ctx context.Context, ids []string) (map[string]User, error) {
	return s.repo.UsersByID(ctx, validIDs(ids))
}

// UserWithAvatar returns the user and the user's avatar (nil when none),
// both public, in one round trip; ok is false when there is no such user.
func (s *Service) UserWithAvatar(ctx context.Context, id string) (User, *Image, bool, error) {
	if !IsID(id) {
		return User{}, nil, false, nil
	}
	return s.repo.UserWithAvatar(ctx, id)
}

// ImagesByID returns the images among ids that exist, whoever owns them; the
// caller decides what the viewer may see.
func (s *Service) ImagesByID(ctx context.Context, ids []string) (map[string]Image, error) {
	return s.repo.ImagesByID(ctx, validIDs(ids))
}

// Image returns the viewer's image with the id, or nil when there is none the
// viewer may see.
func (s *Service) Image(ctx context.Context, viewerID, id string) (*Image, error) {
	if !IsID(id) {
		return nil, nil
	}
	found, err := s.repo.ImagesByID(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	img, ok := found[id]
	if !ok || img.OwnerID != viewerID {
		return nil, nil
	}
	return &img, nil
}

// ImageQuery checks a listing's arguments: the viewer must be the owner,
// first within bounds and the cursor one of ours. Its result feeds both
// ListImages and CountImages, which may then run together.
func (s *Service) ImageQuery(viewerID, ownerID string, first int, after, tag *string) (ImageQuery, error) {
	if viewerID != ownerID {
		return ImageQuery{}, Errorf(CodeForbidden, "Only the owner may list a user's images.")
	}
	if first < 1 || first > maxPage {
		return ImageQuery{}, Errorf(CodeBadUserInput, "first must be between 1 and %d.", maxPage)
	}
	q := ImageQuery{OwnerID: ownerID, First: first, Tag: tag}
	if after != nil {
		c, err := ParseCursor(*after)
		if err != nil {
			return ImageQuery{}, err
		}
		q.After = &c
	}
	return q, nil
}

// ListImages returns the page of the owner's gallery that q (from
// ImageQuery) selects.
func (s *Service) ListImages(ctx context.Context, q ImageQuery) (ImagePage, error) {
	return s.repo.ListImages(ctx, q)
}

// CountImages counts what a listing's arguments select, all pages together.
func (s *Service) CountImages(ctx context.Context, q ImageQuery) (int, error) {
	return s.repo.CountImages(ctx, q.OwnerID, q.Tag)
}

// UpdateImage changes the owner's image's alt text and tags.
func (s *Service) UpdateImage(ctx context.Context, ownerID, id string, patch ImagePatch) (Image, error) {
	if !IsID(id) {
		return Image{}, errNotFound("image")
	}
	var alt *string
	if patch.Alt != nil {
		alt = patch.Alt.Value
	}
	var tags []string
	if patch.Tags != nil {
		tags = *patch.Tags
	}
	if err := checkText(alt, tags); err != nil {
		return Image{}, err
	}
	return s.repo.UpdateImage(ctx, ownerID, id, patch)
}

// DeleteImage deletes the owner's image and its file.
func (s *Service) DeleteImage(ctx context.Context, ownerID, id string) (string, error) {
	if !IsID(id) {
		return "", errNotFound("image")
	}
	if err := s.repo.DeleteImage(ctx, ownerID, id); err != nil {
		return "", err
	}
	s.collectNow(ctx)
	return id, nil
}

// RemoveAvatar clears the user's profile photo and removes its file.
func (s *Service) RemoveAvatar(ctx context.Context, userID string) (User, error) {
	u, err := s.repo.RemoveAvatar(ctx, userID)
	if err != nil {
		return User{}, err
	}
	s.collectNow(ctx)
	return u, nil
}

// Ready reports whether the database and the media store answer.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.repo.Ping(ctx); err != nil {
		return err
	}
	return s.store.Ping(ctx)
}

func checkText(alt *string, tags []string) error {
	if alt != nil && len(*alt) > maxAltBytes {
		return Errorf(CodeBadUserInput, "alt may hold at most %d bytes.", maxAltBytes)
	}
	if len(tags) > maxTags {
		return Errorf(CodeBadUserInput, "An image may carry at most %d tags.", maxTags)
	}
	for _, t := range tags {
		if len(t) > maxTagBytes {
			return Errorf(CodeBadUserInput, "A tag may hold at most %d bytes.", maxTagBytes)
		}
	}
	return nil
}

func validIDs(ids []string) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if IsID(id) {
			out = append(out, id)
		}
	}
	return out
}
