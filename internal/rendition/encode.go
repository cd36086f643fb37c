package rendition

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/gen2brain/avif"
	"github.com/gen2brain/webp"
	"golang.org/x/image/draw"

	"github.com/mediagraph/mediagraph/internal/media"
)

// Default qualities when the transform leaves it to the server: each format's
// usual web setting, which look alike (AVIF's scale is its own).
const (
	defaultJPEGQuality = 82
	defaultWebPQuality = 80
	defaultAVIFQuality = 60
)

// Encoder effort. libwebp and libavif run as WebAssembly here, several times
// slower than native: WebP method 2 takes half the time of the default 4 for
// files a few per cent larger, and AVIF speed 10 (the fastest) a quarter of
// speed 6's time. A rendition is encoded once and then served from disk.
const (
	webpMethod = 2
	avifSpeed  = 10
)

var contentTypes = map[media.Format]string{
	media.FormatJPG:  "image/jpeg",
	media.FormatPNG:  "image/png",
	media.FormatWebP: "image/webp",
	media.FormatAVIF: "image/avif",
}

// Warm compiles the WebP encoder (WebAssembly; nothing where the system's
// libwebp.so is used), so that the first WebP rendition after a start does
// not wait for it. It takes a while: call it in the background. The AVIF
// encoder is left to its first use: it takes about 4 s of CPU and 50 MB of
// memory to compile, which a server that never serves AVIF (browsers get
// WebP unless they prefer AVIF) should not pay. WebP's takes 0.8 s and
// 34 MB.
func Warm() {
	webp.Init()
}

var extensions = map[media.Format]string{
	media.FormatJPG:  "jpg",
	media.FormatPNG:  "png",
	media.FormatWebP: "webp",
	media.FormatAVIF: "avif",
}

// ContentType is the media type of a concrete output format ("" for AUTO).
func ContentType(f media.Format) string { return contentTypes[f] }

// Extension is the file extension of a concrete output format ("" for AUTO).
func Extension(f media.Format) string { return extensions[f] }

// encode writes m in format f. JPEG has no alpha, so a translucent rendition
// is laid on white first (a PAD's margins included).
func encode(w io.Writer, m *image.RGBA, f media.Format, quality int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var err error
	switch f {
	case media.FormatJPG:
		if !m.Opaque() {
			flat := image.NewRGBA(m.Rect)
			draw.Draw(flat, flat.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
			draw.Draw(flat, flat.Rect, m, m.Rect.Min, draw.Over)
			m = flat
		}
		err = jpeg.Encode(bw, m, &jpeg.Options{Quality: or(quality, defaultJPEGQuality)})
	case media.FormatPNG:
		err = png.Encode(bw, m)
	case media.FormatWebP:
		// gen2brain/webp takes NRGBA; the conversion is of the output only.
		n := image.NewNRGBA(m.Rect)
		draw.Draw(n, n.Rect, m, m.Rect.Min, draw.Src)
		err = webp.Encode(bw, n, webp.Options{Quality: or(quality, defaultWebPQuality), Method: webpMethod})
	case media.FormatAVIF:
		err = avif.Encode(bw, m, avif.Options{Quality: or(quality, defaultAVIFQuality), QualityAlpha: or(quality, defaultAVIFQuality),
			Speed: avifSpeed, ChromaSubsampling: image.YCbCrSubsampleRatio420})
	default:
		return fmt.Errorf("%w %q", ErrFormat, f)
	}
	if err != nil {
		return fmt.Errorf("rendition: encoding %s: %w", extensions[f], err)
	}
	return bw.Flush()
}

func or(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
