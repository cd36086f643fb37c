package placeholder

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/gen2brain/avif"
	gwebp "github.com/gen2brain/webp"
)

// formats are the format names imagecheck produces.
var formats = []string{"jpg", "png", "gif", "webp", "avif"}

var (
	red    = color.NRGBA{255, 0, 0, 255}
	green  = color.NRGBA{0, 255, 0, 255}
	blue   = color.NRGBA{0, 0, 255, 255}
	yellow = color.NRGBA{255, 255, 0, 255}
	clear  = color.NRGBA{}
)

// solid is a w x h image of one colour.
func solid(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// quadrants is a w x h image whose top-left quarter is red, top-right green,
// bottom-left blue and bottom-right yellow, so any turn or mirror of it can be
// told from its corners.
func quadrants(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := [2][2]color.NRGBA{{red, green}, {blue, yellow}}[2*y/h][2*x/w]
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// halfClear is a w x h image whose left half is opaque green and right half
// fully transparent.
func halfClear(w, h int) *image.NRGBA {
	img := solid(w, h, green)
	for y := range h {
		for x := w / 2; x < w; x++ {
			img.SetNRGBA(x, y, clear)
		}
	}
	return img
}

// noisyGradient is a w x h image that compresses like a photo: a gradient
// plus per-pixel noise of the given amplitude, opaque unless alphaNoise.
func noisyGradient(w, h, noise int, alphaNoise bool) *image.NRGBA {
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := rng.IntN(2*noise+1) - noise
			i := img.PixOffset(x, y)
			img.Pix[i+0] = clamp8(x*255/max(w-1, 1) + n)
			img.Pix[i+1] = clamp8(y*255/max(h-1, 1) - n)
			img.Pix[i+2] = clamp8(128 + n)
			img.Pix[i+3] = 255
			if alphaNoise {
				img.Pix[i+3] = uint8(rng.IntN(256))
			}
		}
	}
	return img
}

func clamp8(v int) uint8 { return uint8(min(max(v, 0), 255)) }

// toPaletted converts an image of at most 256 distinct colours exactly.
func toPaletted(t testing.TB, img *image.NRGBA) *image.Paletted {
	t.Helper()
	index := map[color.NRGBA]uint8{}
	var pal color.Palette
	b := img.Bounds()
	out := image.NewPaletted(b, nil)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.NRGBAAt(x, y)
			if c.A == 0 {
				c = clear
			}
			i, ok := index[c]
			if !ok {
				if len(pal) == 256 {
					t.Fatal("toPaletted: more than 256 colours")
				}
				i = uint8(len(pal))
				index[c] = i
				pal = append(pal, c)
			}
			out.SetColorIndex(x, y, i)
		}
	}
	out.Palette = pal
	return out
}

var (
	encMu    sync.Mutex
	encCache = map[string][]byte{}
)

// encodeAs encodes img (called name, for the cache: the WebP and AVIF
// encoders run in WASM and are slow, more so under -race) as format.
func encodeAs(t testing.TB, format, name string, img *image.NRGBA) []byte {
	t.Helper()
	encMu.Lock()
	defer encMu.Unlock()
	key := format + "/" + name
	if b, ok := encCache[key]; ok {
		return b
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "jpg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	case "png":
		err = png.Encode(&buf, img)
	case "gif":
		err = gif.Encode(&buf, toPaletted(t, img), nil)
	case "webp":
		err = gwebp.Encode(&buf, img, gwebp.Options{Quality: 90})
	case "webp-lossless":
		err = gwebp.Encode(&buf, img, gwebp.Options{Lossless: true})
	case "avif":
		err = avif.Encode(&buf, img, avif.Options{Quality: 80, Speed: 10})
	default:
		t.Fatalf("encodeAs: no encoder for %q", format)
	}
	if err != nil {
		t.Fatalf("encoding %s as %s: %v", name, format, err)
	}
	encCache[key] = buf.Bytes()
	return buf.Bytes()
}

// generate runs Generate on data and checks the result is a data: URI under
// 1 KiB holding a PNG or JPEG; it returns the decoded preview and its format.
func generate(t testing.TB, data []byte, format string, orientation int) (image.Image, string) {
	t.Helper()
	uri, err := Generate(bytes.NewReader(data), format, orientation)
	if err != nil {
		t.Fatalf("Generate(%s, orientation %d): %v", format, orientation, err)
	}
	return parseURI(t, uri)
}

func parseURI(t testing.TB, uri string) (image.Image, string) {
	t.Helper()
	if len(uri) >= 1024 {
		t.Fatalf("data URI is %d bytes, want < 1024", len(uri))
	}
	var mime, payload string
	for _, m := range []string{"png", "jpeg"} {
		if p, ok := strings.CutPrefix(uri, "data:image/"+m+";base64,"); ok {
			mime, payload = m, p
		}
	}
	if mime == "" {
		t.Fatalf("not a PNG or JPEG base64 data URI: %.40q", uri)
	}
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		t.Fatalf("payload is not base64: %v", err)
	}
	img, got, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("decoding the %s preview: %v", mime, err)
	}
	if got != mime {
		t.Fatalf("data URI says image/%s but holds %s", mime, got)
	}
	return img, mime
}

// at returns the non-premultiplied colour of img at (x, y) from its Min.
func at(img image.Image, x, y int) color.NRGBA {
	b := img.Bounds()
	return color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
}

// mean is the average non-premultiplied colour of an opaque image.
func mean(img image.Image) [3]float64 {
	var s [3]float64
	b := img.Bounds()
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := at(img, x, y)
			s[0] += float64(c.R)
			s[1] += float64(c.G)
			s[2] += float64(c.B)
		}
	}
	n := float64(b.Dx() * b.Dy())
	return [3]float64{s[0] / n, s[1] / n, s[2] / n}
}

// near reports whether the colours differ by at most tol in every channel.
func near(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { return int(x)-int(y) <= tol && int(y)-int(x) <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

// nearest names the one of red, green, blue and yellow closest to c.
func nearest(c color.NRGBA) string {
	best, name := 1<<30, ""
	for _, k := range []struct {
		c    color.NRGBA
		name string
	}{{red, "red"}, {green, "green"}, {blue, "blue"}, {yellow, "yellow"}} {
		d := sq(int(c.R)-int(k.c.R)) + sq(int(c.G)-int(k.c.G)) + sq(int(c.B)-int(k.c.B))
		if d < best {
			best, name = d, k.name
		}
	}
	return name
}

func sq(v int) int { return v * v }
