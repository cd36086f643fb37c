// Package imagecheck identifies uploaded images from their bytes and checks
// that they are whole, without decoding any pixels (PNG image data is
// inflated and its rows counted, but never kept).
//
// Uploads are untrusted and the upload path has to run close to disk-copy
// speed, so Inspect only ever reads headers plus a linear structural scan
// (marker segments, chunks, blocks or boxes) through a small fixed buffer.
// It never allocates according to a length read from the file without a cap,
// and it refuses an image whose header claims too many pixels before it looks
// at anything else, so a forged header cannot make later decoding stages
// allocate gigabytes.
package imagecheck

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// Info describes an accepted image.
type Info struct {
	Format        string // "jpg", "png", "gif", "webp", "avif"
	ContentType   string // "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"
	Width, Height int    // as displayed, i.e. AFTER EXIF orientation (orientations 5-8 swap them)
	Orientation   int    // EXIF orientation 1..8 (1 when absent or invalid)
}

var (
	// ErrUnsupported means the bytes are not one of the five accepted formats
	// (SVG, text, PDF, BMP, TIFF, HEIC ... anything else).
	ErrUnsupported = errors.New("unsupported image format")
	// ErrInvalid means the bytes claim an accepted format but are truncated,
	// corrupt, or use a feature the decoders cannot decode.
	ErrInvalid = errors.New("invalid image")
	// ErrTooManyPixels means the header claims width*height over the limit.
	ErrTooManyPixels = errors.New("too many pixels")
)

// Inspect reads the image in r (size bytes) and returns what it is. It sniffs
// the type from magic bytes only, reads the dimensions from the header (never
// decoding pixels), refuses width*height > maxPixels with an error wrapping
// ErrTooManyPixels before anything else is allocated or scanned, and then
// checks the file's structure is complete and consistent (errors wrap
// ErrInvalid). Errors that wrap none of the three come from r itself.
//
// For AVIF, Orientation is the EXIF orientation equivalent to the primary
// item's irot/imir properties, because AVIF decoders hand back the stored
// (unrotated) pixels and callers apply Orientation the same way for every
// format.
func Inspect(r io.ReaderAt, size int64, maxPixels int64) (Info, error) {
	if size <= 0 {
		return Info{}, fmt.Errorf("%w: empty file", ErrUnsupported)
	}
	format, err := sniff(r, size)
	if err != nil {
		return Info{}, err
	}
	// The scanners tolerate data after the end of the image, so they would
	// not notice a reader holding fewer bytes than size claims.
	var last [1]byte
	if err := readAt(r, last[:], size-1); err != nil {
		return Info{}, readFailure(err, "file is shorter than its declared size")
	}
	var info Info
	switch format {
	case "jpg":
		info, err = inspectJPEG(r, size, maxPixels)
	case "png":
		info, err = inspectPNG(r, size, maxPixels)
	case "gif":
		info, err = inspectGIF(r, size, maxPixels)
	case "webp":
		info, err = inspectWebP(r, size, maxPixels)
	case "avif":
		info, err = inspectAVIF(r, size, maxPixels)
	}
	if err != nil {
		return Info{}, err
	}
	info.Format = format
	info.ContentType = contentTypes[format]
	if info.Orientation < 1 || info.Orientation > 8 {
		info.Orientation = 1
	}
	if info.Orientation >= 5 {
		info.Width, info.Height = info.Height, info.Width
	}
	return info, nil
}

var contentTypes = map[string]string{
	"jpg":  "image/jpeg",
	"png":  "image/png",
	"gif":  "image/gif",
	"webp": "image/webp",
	"avif": "image/avif",
}

// invalidf returns an error wrapping ErrInvalid with a reason for API clients.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// readFailure turns an error from the reader into what Inspect returns: the
// file ending early is the client's problem (ErrInvalid, "truncated file"),
// anything else is the storage's and is passed through.
func readFailure(err error, what string) error {
	if errors.Is(err, errTruncated) {
		return invalidf("%s (truncated file)", what)
	}
	return fmt.Errorf("imagecheck: reading upload: %w", err)
}

// checkPixels is the single place dimensions are vetted. Every format calls it
// as soon as the header has given its dimensions, before walking the rest of
// the file, so a forged header is refused as too large whatever follows.
func checkPixels(format string, w, h uint64, maxPixels int64) error {
	if w == 0 || h == 0 {
		return invalidf("%s: image has zero width or height (%dx%d)", format, w, h)
	}
	// A dimension beyond 2^31-1 is not a real image, and it would overflow
	// int on 32-bit platforms; the product below cannot overflow uint64
	// because both factors are at most 2^32.
	if w > math.MaxInt32 || h > math.MaxInt32 {
		return invalidf("%s: dimensions %dx%d out of range", format, w, h)
	}
	limit := uint64(max(maxPixels, 0))
	if w*h > limit {
		return fmt.Errorf("%w: %s: %dx%d is %d pixels, over the limit of %d", ErrTooManyPixels, format, w, h, w*h, limit)
	}
	return nil
}
