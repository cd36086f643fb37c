package media

import (
	"context"
	"time"
)

// NewImage is a row to insert for a file that is already stored.
type NewImage struct {
	OwnerID     string
	Kind        Kind
	StorageKey  string
	Provider    map[string]any
	Filename    string
	ContentType string
	Format      string
	Width       int
	Height      int
	Orientation int
	Bytes       int64
	SHA256      string
	Alt         *string
	Tags        []string
}

// ImagePatch changes an image's alt text and/or tags; nil fields are left as
// they are. Alt.Value nil clears the alt text.
type ImagePatch struct {
	Alt  *Optional[string]
	Tags *[]string
}

// Optional is a value that may be explicitly null.
type Optional[T any] struct {
	Value *T
}

// Repository is the database as the domain needs it. Its implementation maps
// its own errors: a missing row is (nil, nil) from lookups and an *Error with
// NOT_FOUND or FORBIDDEN from mutations.
type Repository interface {
	// EnsureUser returns the user with the subject, creating it on first
	// sight; name, when not empty, replaces the stored display name.
	EnsureUser(ctx context.Context, subject, name string) (User, error)
	// UsersByID returns the users that exist among ids.
	UsersByID(ctx context.Context, ids []string) (map[string]User, error)
	// ImagesByID returns the images that exist among ids.
	ImagesByID(ctx context.Context, ids []string) (map[string]Image, error)
	// UserWithAvatar returns the user and the user's avatar (nil when none)
	// in one round trip; ok is false when there is no such user.
	UserWithAvatar(ctx context.Context, id string) (u User, avatar *Image, ok bool, err error)
	// GalleryImagesBySHA256 returns the owner's gallery images with those digests.
	GalleryImagesBySHA256(ctx context.Context, ownerID string, digests []string) (map[string]Image, error)
	// ListImages returns a page of the owner's gallery.
	ListImages(ctx context.Context, q ImageQuery) (ImagePage, error)
	// CountImages counts the owner's gallery images (with the tag, when set).
	CountImages(ctx context.Context, ownerID string, tag *string) (int, error)

	// GuardKeys records keys about to be stored, due for removal after grace
	// unless a row claims them first: a request that dies leaves no file.
	// Without flush the guard is visible at once but not waited onto disk:
	// for stores whose orphans Reconcile finds anyway, should power fail.
	GuardKeys(ctx context.Context, keys []string, grace time.Duration, flush bool) error
	// UnknownKeys returns the keys among keys that neither a row nor a
	// pending removal or upload guard names: stored files nothing will claim.
	UnknownKeys(ctx context.Context, keys []string) ([]string, error)
	// InsertGallery inserts gallery rows for stored files in one transaction,
	// claiming their guards. Where the owner already has the same bytes (a
	// concurrent upload won), the existing image is returned instead and the
	// new file is left to be removed. Results are in the order of imgs.
	InsertGallery(ctx context.Context, imgs []NewImage) ([]Image, error)
	// ReplaceAvatar inserts the avatar row, makes it the user's avatar with
	// the crop, and deletes the previous avatar (its file queued for removal).
	ReplaceAvatar(ctx context.Context, img NewImage, crop *Crop) (User, error)
	// RemoveAvatar clears the user's avatar and deletes its row (file queued).
	RemoveAvatar(ctx context.Context, userID string) (User, error)
	// UpdateImage applies the patch to the owner's image.
	UpdateImage(ctx context.Context, ownerID, id string, patch ImagePatch) (Image, error)
	// DeleteImage deletes the owner's image; its file is queued for removal.
	DeleteImage(ctx context.Context, ownerID, id string) error
	// SetPlaceholder stores an image's placeholder.
	SetPlaceholder(ctx context.Context, id, placeholder string) error

	// ReleaseKeys makes guarded keys due for removal now (a failed upload).
	ReleaseKeys(ctx context.Context, keys []string) error
	// ExpediteGuards makes every pending guard due now: at start, the
	// requests that wrote them are gone.
	ExpediteGuards(ctx context.Context) error
	// ProcessRemovals tries up to limit due keys, one at a time under a row
	// lock: remove is called for each; success deletes the record, failure
	// schedules a retry (backing off, at most retry later) and the next key
	// gets its turn. It returns how many keys were removed and the first
	// failure.
	ProcessRemovals(ctx context.Context, limit int, retry time.Duration, remove func(ctx context.Context, key string) error) (int, error)
	// NextRemovalDue is when the next removal falls due (zero when none).
	NextRemovalDue(ctx context.Context) (time.Time, error)
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
}
