package imagecheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/webp"
)

// FuzzInspect checks that Inspect never panics, that every error wraps one
// of the three sentinels (bytes.Reader cannot fail), that accepted images obey
// the limit and the Info invariants, and, differentially, that the standard
// decoders' header readers agree with every accepted JPEG, PNG, GIF and WebP.
func FuzzInspect(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	const limit = 1 << 22
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Inspect(bytes.NewReader(data), int64(len(data)), limit)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrTooManyPixels) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if info.Width <= 0 || info.Height <= 0 || int64(info.Width)*int64(info.Height) > limit {
			t.Fatalf("bad dimensions %+v", info)
		}
		if info.Orientation < 1 || info.Orientation > 8 || info.ContentType == "" {
			t.Fatalf("bad info %+v", info)
		}
		w, h := info.Width, info.Height
		if info.Orientation >= 5 {
			w, h = h, w
		}
		var decodeConfig func(io.Reader) (image.Config, error)
		switch info.Format {
		case "jpg":
			decodeConfig = jpeg.DecodeConfig
		case "png":
			decodeConfig = png.DecodeConfig
		case "gif":
			decodeConfig = gif.DecodeConfig
		case "webp":
			decodeConfig = webp.DecodeConfig
		default:
			return
		}
		cfg, err := decodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("accepted as %+v but DecodeConfig fails: %v", info, err)
		}
		if cfg.Width != w || cfg.Height != h {
			t.Fatalf("accepted as %+v but DecodeConfig says %dx%d", info, cfg.Width, cfg.Height)
		}
	})
}

// fuzzSeeds is a small valid file of every format and variant, plus
// truncated and forged ones, so the fuzzer starts inside each parser.
func fuzzSeeds(t testing.TB) [][]byte {
	jpg := encodeJPEG(t, noisyGradient(16, 8, 20), 60)
	png8 := encodePNG(t, noisyGradient(6, 5, 20))
	seeds := [][]byte{
		jpg,
		withEXIF(jpg, binary.LittleEndian, 6),
		withEXIF(jpg, binary.BigEndian, 8),
		readTestdata(t, "progressive.jpg"),
		readTestdata(t, "restart.jpg"),
		png8,
		encodePNG(t, image.NewGray16(image.Rect(0, 0, 3, 2))),
		encodeGIF(t, 5, 4),
		animatedGIF(t),
		readTestdata(t, "lossy.webp"),
		readTestdata(t, "lossless.webp"),
		readTestdata(t, "alpha.webp"),
		readTestdata(t, "opaque.avif"),
		readTestdata(t, "alpha.avif"),
		readTestdata(t, "rot90.avif"),
		forgeAVIF(avifSpec{w: 4, h: 3, props: [][]byte{irot(1), imir(1)}, data: []byte{1, 2}}),
		forgeAVIF(avifSpec{w: 100000, h: 100000, data: []byte{1}}),
		append(append(bytes.Clone(pngSignature), ihdr(100000, 100000, 8, 6)...), 0xAB),
		// Interlaced, two bits a pixel, image data split over small IDATs.
		rawPNG(5, 3, 2, pngGray, 1, imageData(rand.New(rand.NewPCG(5, 6)), pngRows(5, 3, 2, true)), 3),
		[]byte("<svg/>"),
		{},
	}
	for _, s := range seeds[:15] {
		seeds = append(seeds, s[:len(s)/2], s[:len(s)-1])
	}
	return seeds
}
