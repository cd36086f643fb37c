package jpegscale

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the decoder at every scale, seeded, as
// image/jpeg's own fuzz test is, with the JPEG files in testdata/. Nothing
// may panic; an input is accepted or rejected as image/jpeg does, whatever
// the scale; an accepted one has the scaled size, and at 1/1 the very pixels
// image/jpeg decodes.
//
// The seeds are up to 20 KB, and minimising a new interesting input of that
// size takes the fuzzer's default minute with no progress shown, so run it as
//
//	go test -run '^$' -fuzz FuzzDecode -fuzzminimizetime 3s ./internal/jpegscale/
func FuzzDecode(f *testing.F) {
	for _, name := range testdataJPEGs(f) {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return
		}
		if cfg.Width*cfg.Height > 1<<16 {
			// A fuzzed header may claim gigapixels, which both decoders would
			// allocate; small images keep each run fast. The test files
			// (150x103) fit.
			return
		}
		want, wantErr := jpeg.Decode(bytes.NewReader(b))
		for _, s := range []int{1, 2, 4, 8} {
			got, err := decodeAt(bytes.NewReader(b), s)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("1/%d: error %v, image/jpeg gives %v", s, err, wantErr)
			}
			if err != nil {
				continue
			}
			wb := want.Bounds()
			if sz := image.Rect(0, 0, (wb.Dx()+s-1)/s, (wb.Dy()+s-1)/s); got.Bounds() != sz {
				t.Fatalf("1/%d: bounds %v, want %v", s, got.Bounds(), sz)
			}
			if s == 1 && !samePixels(got, want) {
				t.Fatalf("1/1: pixels differ from image/jpeg's")
			}
		}
	})
}

// samePixels reports whether a and b, of the same size, have the same colour
// everywhere.
func samePixels(a, b image.Image) bool {
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}
