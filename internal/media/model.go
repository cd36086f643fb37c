// Package media is mediagraph's domain: users, their images and avatars, the
// rules uploads must pass, and the interfaces of the stores and the database
// that hold them. It imports nothing but the standard library and the image
// inspection packages; adapters (Postgres, media stores) and the GraphQL layer
// depend on it, never the other way.
package media

import "time"

// Kind tells gallery images from profile photos: listings, counts and dedupe
// see only the gallery.
type Kind string

// The kinds of image.
const (
	KindGallery Kind = "gallery"
	KindAvatar  Kind = "avatar"
)

// User is a person known by their token's subject.
type User struct {
	ID         string
	Subject    string
	Name       string
	AvatarID   *string
	AvatarCrop *Crop
	CreatedAt  time.Time
}

// Image is a stored image and what is known of it.
type Image struct {
	ID          string
	OwnerID     string
	Kind        Kind
	StorageKey  string
	Provider    map[string]any
	Filename    string
	ContentType string
	Format      string
	Width       int
	Height      int
	// Orientation is the EXIF orientation (1..8) of the stored bytes; Width
	// and Height already account for it.
	Orientation int
	Bytes       int64
	SHA256      string
	Alt         *string
	Tags        []string
	Placeholder *string
	CreatedAt   time.Time
}

// Crop is a rectangle in an image's own (displayed) pixels.
type Crop struct {
	X      int `json:"x"`
	Y      int `json:"y"`
	Width  int `json:"width"`
	Height int `json:"height"`
}

// Within reports whether the crop has a positive size and lies wholly inside
// a width x height image.
func (c Crop) Within(width, height int) bool {
	return c.Width >= 1 && c.Height >= 1 && c.X >= 0 && c.Y >= 0 &&
		c.X <= width-c.Width && c.Y <= height-c.Height
}

// CropMode says how a transformation fits an image into its box.
type CropMode string

// The crop modes of the contract.
const (
	CropFill  CropMode = "FILL"
	CropFit   CropMode = "FIT"
	CropLimit CropMode = "LIMIT"
	CropPad   CropMode = "PAD"
	CropScale CropMode = "SCALE"
)

// Gravity says which part of the image a FILL keeps.
type Gravity string

// The gravities of the contract.
const (
	GravityAuto   Gravity = "AUTO"
	GravityCenter Gravity = "CENTER"
	GravityFace   Gravity = "FACE"
)

// Format is a delivery format; FormatAuto lets the image request's Accept
// header decide.
type Format string

// The delivery formats of the contract.
const (
	FormatAuto Format = "AUTO"
	FormatJPG  Format = "JPG"
	FormatPNG  Format = "PNG"
	FormatWebP Format = "WEBP"
	FormatAVIF Format = "AVIF"
)

// MaxTransformSide is the largest width or height a transformation may ask for.
const MaxTransformSide = 4096

// Transform asks for a derived rendition of an image.
type Transform struct {
	Width   int // 0: follows the ratio
	Height  int // 0: follows the ratio
	Crop    CropMode
	Gravity Gravity
	Format  Format
	Quality int // 0: the server chooses
	// Source, when set, is cut out of the image before anything else (avatars).
	Source *Crop
}

// Validate checks the transformation's numbers.
func (t Transform) Validate() error {
	if t.Width < 0 || t.Height < 0 {
		return Errorf(CodeBadUserInput, "Transform width and height must be positive.")
	}
	if t.Width > MaxTransformSide || t.Height > MaxTransformSide {
		return Errorf(CodeBadUserInput, "Transform width and height must be at most %d.", MaxTransformSide)
	}
	if t.Quality < 0 || t.Quality > 100 {
		return Errorf(CodeBadUserInput, "Transform quality must be between 1 and 100.")
	}
	return nil
}

// ImageQuery selects a page of an owner's gallery, newest first.
type ImageQuery struct {
	OwnerID string
	First   int
	After   *Cursor
	Tag     *string
}

// ImagePage is one page of a listing.
type ImagePage struct {
	Images  []Image
	HasNext bool
}
