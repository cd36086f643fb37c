// Package rendition renders the derived images that transformation URLs ask
// for on the local store: decode (honouring EXIF orientation), cut the avatar
// crop, fit the box by crop mode and gravity, resize, and encode as JPEG,
// PNG, WebP or AVIF with no metadata. It is pure Go: WebP and AVIF are
// encoded by libwebp and libavif compiled to WebAssembly (gen2brain).
//
// Resizing reads every source pixel once for a cheap area average down to
// 1.5 to 3 times the output's resolution, then lets Catmull-Rom, a quality
// kernel, do the last step, as libvips does with its shrink and reduce: a
// 12-megapixel photo becomes a thumbnail in a fraction of what a kernel over
// all of it would cost, without the aliasing of point sampling.
package rendition

import (
	"errors"
	"fmt"
	"image"
	"io"
	"math"

	"golang.org/x/image/draw"

	"github.com/mediagraph/mediagraph/internal/jpegscale"
	"github.com/mediagraph/mediagraph/internal/media"
	"github.com/mediagraph/mediagraph/internal/placeholder"
)

// Source describes the stored original, as imagecheck read it.
type Source struct {
	Format      string // "jpg", "png", "gif", "webp", "avif"
	Width       int    // displayed, after orientation
	Height      int    // displayed, after orientation
	Orientation int    // EXIF orientation 1..8
}

// ErrFormat is returned for an output format Render cannot write (AUTO must
// be resolved by the caller first).
var ErrFormat = errors.New("rendition: no such output format")

// Render writes the rendition of the original in r that t describes to w.
// t.Format must be a concrete format; t.Source, when set, is cut out first.
// The output carries no metadata: the encoders write pixels only, so EXIF
// (GPS included), XMP and ICC profiles of the original are gone.
func Render(w io.Writer, r io.Reader, src Source, t media.Transform) error {
	if _, ok := contentTypes[t.Format]; !ok {
		return fmt.Errorf("%w %q", ErrFormat, t.Format)
	}
	l, err := plan(src.Width, src.Height, t)
	if err != nil {
		return err
	}
	o := src.Orientation
	if o < 1 || o > 8 {
		o = 1
	}
	rawW, rawH := src.Width, src.Height // the stored pixels' size, before orientation
	if o >= 5 {
		rawW, rawH = rawH, rawW
	}
	s := l.scale()
	dec, err := decode(r, src.Format, side(float64(rawW)*min(s, 1)), side(float64(rawH)*min(s, 1)))
	if err != nil {
		return err
	}
	work := prepare(dec, src.Format, o, rawW, s)
	// fx, fy map the displayed full-size coordinates onto work's.
	wb := work.Bounds()
	fx := float64(wb.Dx()) / float64(src.Width)
	fy := float64(wb.Dy()) / float64(src.Height)
	region := image.Rect(
		int(math.Floor(float64(l.region.Min.X)*fx)), int(math.Floor(float64(l.region.Min.Y)*fy)),
		int(math.Ceil(float64(l.region.Max.X)*fx)), int(math.Ceil(float64(l.region.Max.Y)*fy)),
	).Add(wb.Min).Intersect(wb)
	winW, winH := min(l.winW*fx, float64(region.Dx())), min(l.winH*fy, float64(region.Dy()))
	x, y := float64(region.Min.X), float64(region.Min.Y)
	if l.fill {
		x, y = place(work, region, winW, winH, t.Gravity)
	}
	win := image.Rect(int(math.Round(x)), int(math.Round(y)), int(math.Round(x+winW)), int(math.Round(y+winH))).Intersect(region)
	if win.Empty() {
		win = region
	}
	out := image.NewRGBA(image.Rectangle{Max: l.canvas})
	if win.Size() == l.dst.Size() {
		draw.Copy(out, l.dst.Min, work, win, draw.Src, nil)
	} else {
		draw.CatmullRom.Scale(out, l.dst, work, win, draw.Src, nil)
	}
	return encode(w, out, t.Format, t.Quality)
}

// decode reads the original at no less than minW x minH stored pixels where
// the decoder can do better than full size.
func decode(r io.Reader, format string, minW, minH int) (image.Image, error) {
	if format == "jpg" {
		return decodeJPEG(r, minW, minH)
	}
	return placeholder.Decode(r, format)
}

// decodeJPEG decodes a JPEG at the smallest DCT scale (1/1 to 1/8) that
// still gives at least minW x minH stored pixels: shrink on load, as libjpeg
// and libvips do, so a 12-megapixel photo bound for a thumbnail never exists
// at full size. prepare and Render map coordinates by the decode's own size.
func decodeJPEG(r io.Reader, minW, minH int) (image.Image, error) {
	img, err := jpegscale.Decode(r, minW, minH)
	if err != nil {
		return nil, fmt.Errorf("rendition: decoding jpg: %w", err)
	}
	return img, nil
}

// reduceGap is how much reduction the box leaves to the quality kernel: at
// least this much (less only when the whole reduction is smaller), under
// twice as much. Catmull-Rom over a reduction of r reads 4r source pixels
// per output pixel along each axis, converting each from Y'CbCr when reading
// a JPEG decode, so a large r is slow; the box reads each pixel once.
const reduceGap = 1.5

// prepare turns the decode into the oriented working image: area-averaged by
// a whole factor down to reduceGap times the resolution the output needs (s
// output pixels per full-size pixel; rawW is the full-size stored width),
// then turned as EXIF orientation o says.
func prepare(dec image.Image, format string, o, rawW int, s float64) image.Image {
	b := dec.Bounds()
	// The decode may already be smaller than full size (DCT scaling).
	k := float64(b.Dx()) / float64(rawW)
	f := max(1, int(math.Floor(k/(reduceGap*s)))) // whole source pixels per box
	dw, dh := max(1, b.Dx()/f), max(1, b.Dy()/f)
	if f == 1 && o == 1 && format != "webp" {
		return dec // x/image/draw reads the decoders' types fast enough
	}
	return placeholder.Orient(placeholder.Shrink(dec, dw, dh, format == "webp"), o)
}
