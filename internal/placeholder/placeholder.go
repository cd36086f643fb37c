// Package placeholder makes the tiny blurred preview shown while an image loads.
//
// The preview is a data: URI of at most 16 px on the longer side, small enough
// (under 1 KiB in total) to inline in an API response; the client scales it up
// with smoothing, which is what makes it look blurred.
//
// A JPEG is decoded by internal/jpegscale at the smallest of the DCT scales
// 1/1, 1/2, 1/4 and 1/8 that keeps at least 64 pixels on each side, as
// libjpeg's "shrink on load" does: a 12-megapixel photo becomes 500x375
// pixels, which cuts the decode's time by 3 to 4 times (the entropy decoding
// remains) and its memory from 18 MB to 0.3 MB, or from 90 MB to 3.7 MB for a
// progressive JPEG (BENCHMARKS.md). The other decoders used here (PNG, GIF,
// WebP, and AVIF through libavif compiled to WebAssembly, slower still)
// cannot downscale while decoding, so those images are decoded whole before
// being averaged down. Previews are therefore still made lazily from the
// stored original the first time a client asks for one, and never on the
// upload path.
package placeholder

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/gen2brain/avif"
	"golang.org/x/image/webp"

	"github.com/mediagraph/mediagraph/internal/jpegscale"
)

// maxURI is the exclusive bound on the length of the returned data: URI.
const maxURI = 1024

// sides are the preview sizes (longer side, in pixels) tried in turn until the
// data: URI fits under maxURI. Photos fit at 16 px; only noisy, translucent
// sources need the smaller sizes.
var sides = [...]int{16, 12, 8, 4}

// errUnknownFormat is returned for a format name imagecheck does not produce.
var errUnknownFormat = errors.New("placeholder: unknown image format")

// Generate decodes the image (format as imagecheck names it), applies the EXIF
// orientation (1..8), and returns a data: URI under 1 KiB in total (the whole
// string, "data:" prefix included) of a tiny blurred version keeping the aspect ratio.
//
// format is one of "jpg", "png", "gif", "webp" and "avif"; for GIF the first
// frame is used, as it sits on the logical screen. The source is area-averaged
// (a box filter, alpha-weighted) down to at most 16 px on its longer side and
// at least 1 px on the shorter, then turned as orientation says (values
// outside 1..8 are taken as 1), so orientations 5..8 give a portrait preview of
// a landscape source. The result is PNG, or JPEG when that is smaller and the
// preview is opaque; a translucent source keeps its alpha. If the URI would be
// 1 KiB or more, smaller previews (12, 8, then 4 px) are tried.
//
// Images other than JPEG are decoded whole, whatever their size (see the
// package comment), so r must already be bounded: uploads are size- and
// pixel-checked by imagecheck before they are stored.
func Generate(r io.Reader, format string, orientation int) (string, error) {
	var (
		img  image.Image
		size image.Point // the image's full size, which the preview's is computed from
		err  error
	)
	br := bufio.NewReader(r)
	if format == "jpg" {
		img, size, err = decodeJPEG(br) // at a reduced scale
	} else {
		img, err = decode(br, format)
		if err == nil {
			size = img.Bounds().Size()
		}
	}
	if err != nil {
		return "", err
	}
	if img.Bounds().Empty() {
		return "", fmt.Errorf("placeholder: decoding %s: image is empty", format)
	}
	for _, side := range sides {
		dw, dh := previewSize(size.X, size.Y, side)
		small := orientNRGBA(Shrink(img, dw, dh, format == "webp"), orientation)
		uri, err := dataURI(small)
		if err != nil {
			return "", err
		}
		if len(uri) < maxURI {
			return uri, nil
		}
	}
	return "", fmt.Errorf("placeholder: preview does not fit in %d bytes", maxURI)
}

// decode decodes the image in br as format.
func decode(br *bufio.Reader, format string) (image.Image, error) {
	var (
		img image.Image
		err error
	)
	switch format {
	case "jpg":
		img, err = jpeg.Decode(br)
	case "png":
		img, err = png.Decode(br)
	case "gif":
		img, err = decodeGIF(br)
	case "webp":
		img, err = webp.Decode(br)
	case "avif":
		img, err = avif.Decode(br)
	default:
		return nil, fmt.Errorf("%w %q", errUnknownFormat, format)
	}
	if err != nil {
		return nil, fmt.Errorf("placeholder: decoding %s: %w", format, err)
	}
	return img, nil
}

// minScaledJPEG is the least width and height of a JPEG decoded at a reduced
// scale, in whole scaled pixels. A scaled pixel stands for a block of 2x2 to
// 8x8 source pixels, but at the right and bottom edges the block may be only
// partly inside the image, the rest being the encoder's padding (the edge
// pixels repeated); such a pixel would count as much as a whole block in the
// area average and tint the preview's edge cells. decodeJPEG therefore drops
// the partial column and row, under 8 source pixels, which at 64 scaled
// pixels or more is under 1/64 of the image. An image with a side under 65
// pixels is decoded at full size, which costs little.
const minScaledJPEG = 64

// decodeJPEG decodes the JPEG in br at the smallest DCT scale that leaves at
// least minScaledJPEG whole pixels on each side (1/8 for a 12-megapixel
// photo: 500x375), and returns the file's full size too. The header is read
// first for the size, and the bytes it took are replayed to the decoder, so
// br is read once.
func decodeJPEG(br *bufio.Reader) (image.Image, image.Point, error) {
	var head bytes.Buffer
	cfg, err := jpegscale.DecodeConfig(io.TeeReader(br, &head))
	if err != nil {
		return nil, image.Point{}, fmt.Errorf("placeholder: decoding jpg: %w", err)
	}
	size := image.Pt(cfg.Width, cfg.Height)
	// One more than minScaledJPEG, rounded up as the decoder rounds, leaves
	// at least minScaledJPEG whole pixels.
	s := jpegscale.Scale(cfg.Width, cfg.Height, minScaledJPEG+1, minScaledJPEG+1)
	img, err := jpegscale.Decode(io.MultiReader(&head, br), minScaledJPEG+1, minScaledJPEG+1)
	if err != nil {
		return nil, image.Point{}, fmt.Errorf("placeholder: decoding jpg: %w", err)
	}
	if s == 1 {
		return img, size, nil
	}
	whole := image.Rect(0, 0, cfg.Width/s, cfg.Height/s)
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if !ok || !whole.In(img.Bounds()) { // cannot happen: the decoder's types all have SubImage
		return nil, image.Point{}, fmt.Errorf("jpeg decoded as %T %v, want %v at 1/%d", img, img.Bounds(), whole, s)
	}
	return sub.SubImage(whole), size, nil
}

// decodeGIF decodes the first frame only. image/gif returns that frame with
// its own bounds, which may be a part of the logical screen, so it is placed
// on a transparent screen to keep the aspect ratio the viewer shows.
func decodeGIF(br *bufio.Reader) (image.Image, error) {
	hdr, _ := br.Peek(10) // signature, screen width, screen height; gif.Decode reports a short file
	frame, err := gif.Decode(br)
	if err != nil {
		return nil, err
	}
	if len(hdr) < 10 { // cannot happen after a successful decode
		return nil, errors.New("gif: truncated header")
	}
	screen := image.Rect(0, 0, int(binary.LittleEndian.Uint16(hdr[6:])), int(binary.LittleEndian.Uint16(hdr[8:])))
	if frame.Bounds() == screen {
		return frame, nil
	}
	return onScreen{frame, screen}, nil
}

// onScreen is a GIF frame placed on its (larger) logical screen, which is
// transparent where the frame does not cover it.
type onScreen struct {
	image.Image
	screen image.Rectangle
}

func (s onScreen) Bounds() image.Rectangle { return s.screen }

func (s onScreen) At(x, y int) color.Color {
	if !image.Pt(x, y).In(s.Image.Bounds()) {
		return color.Transparent
	}
	return s.Image.At(x, y)
}

// dataURI encodes img as PNG and, when it is opaque, as JPEG quality 60, and
// returns the smaller as a data: URI.
func dataURI(img *image.NRGBA) (string, error) {
	var pngBuf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&pngBuf, img); err != nil {
		return "", fmt.Errorf("placeholder: encoding png: %w", err)
	}
	best, mime := pngBuf.Bytes(), "image/png"
	if img.Opaque() {
		var jpgBuf bytes.Buffer
		if err := jpeg.Encode(&jpgBuf, img, &jpeg.Options{Quality: 60}); err != nil {
			return "", fmt.Errorf("placeholder: encoding jpeg: %w", err)
		}
		if jpgBuf.Len() < len(best) {
			best, mime = jpgBuf.Bytes(), "image/jpeg"
		}
	}
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(best), nil
}

// Decode decodes the image in r, in the format as imagecheck names it ("jpg",
// "png", "gif", "webp", "avif"), without applying any orientation: renditions
// share the previews' decoders, GIF handling included (the first frame on its
// logical screen). Lossy WebP comes back in studio-range Y'CbCr (see
// Shrink), which image/color would convert with the wrong formula. A JPEG is
// decoded whole here (Generate decodes it at a reduced scale).
func Decode(r io.Reader, format string) (image.Image, error) {
	return decode(bufio.NewReader(r), format)
}
