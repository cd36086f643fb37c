package placeholder

import (
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"math/rand/v2"
	"testing"
)

// atOnly hides an image's concrete type, so downscale takes its generic At path.
type atOnly struct{ image.Image }

// toYCbCr converts img, taking each chroma sample from the pixel at its
// top-left luma position; with alpha it returns an *image.NYCbCrA.
func toYCbCr(img *image.NRGBA, ratio image.YCbCrSubsampleRatio, alpha bool) image.Image {
	r := img.Bounds()
	ycc := image.NewNYCbCrA(r, ratio)
	for y := r.Max.Y - 1; y >= r.Min.Y; y-- { // top-left pixel of a chroma block written last
		for x := r.Max.X - 1; x >= r.Min.X; x-- {
			c := img.NRGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			ycc.Y[ycc.YOffset(x, y)] = yy
			ycc.Cb[ycc.COffset(x, y)] = cb
			ycc.Cr[ycc.COffset(x, y)] = cr
			ycc.A[ycc.AOffset(x, y)] = c.A
		}
	}
	if alpha {
		return ycc
	}
	return &ycc.YCbCr
}

func convert(img image.Image, dst draw.Image) image.Image {
	draw.Draw(dst, dst.Bounds(), img, img.Bounds().Min, draw.Src)
	return dst
}

// TestDownscale_FastPathsMatchAt checks that reading each decoder output type
// straight from its buffers gives the area average that going through At gives.
func TestDownscale_FastPathsMatchAt(t *testing.T) {
	for _, alpha := range []bool{false, true} {
		// An odd-sized part at an odd offset of a larger smooth image, so the
		// cells are uneven and the buffer offsets matter.
		big := noisyGradient(70, 50, 3, false)
		if alpha {
			for i := 3; i < len(big.Pix); i += 4 {
				big.Pix[i] = uint8(i * 7 / 4)
			}
		}
		src := big.SubImage(image.Rect(3, 5, 60, 42)).(*image.NRGBA)
		r := src.Bounds()
		sources := map[string]image.Image{
			"NRGBA":    src,
			"RGBA":     convert(src, image.NewRGBA(r)),
			"NRGBA64":  convert(src, image.NewNRGBA64(r)),
			"RGBA64":   convert(src, image.NewRGBA64(r)),
			"Gray":     convert(src, image.NewGray(r)),
			"Paletted": convert(src, image.NewPaletted(r, append(palette.Plan9[:255:255], color.Transparent))),
		}
		for _, ratio := range []image.YCbCrSubsampleRatio{
			image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
			image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
		} {
			sources["YCbCr"+ratio.String()] = toYCbCr(src, ratio, false)
			sources["NYCbCrA"+ratio.String()] = toYCbCr(src, ratio, true)
		}
		for name, img := range sources {
			t.Run(fmt.Sprintf("%s/alpha=%v", name, alpha), func(t *testing.T) {
				for _, side := range []int{16, 7, 1} {
					got, want := downscale(img, side, false), downscale(atOnly{img}, side, false)
					if got.Rect != want.Rect {
						t.Fatalf("side %d: size %v, At path gives %v", side, got.Rect, want.Rect)
					}
					for i := range got.Pix {
						if d := int(got.Pix[i]) - int(want.Pix[i]); d < -2 || d > 2 {
							x, y := i/4%got.Rect.Dx(), i/4/got.Rect.Dx()
							t.Fatalf("side %d: pixel (%d, %d) is %v, At path gives %v", side, x, y, got.NRGBAAt(x, y), want.NRGBAAt(x, y))
						}
					}
				}
			})
		}
	}
}

func TestDownscale_IsAnAreaAverage(t *testing.T) {
	// 4x2 source to 2x1: each output pixel averages a 2x2 block.
	src := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	copy(src.Pix, []uint8{
		0, 0, 0, 255, 100, 0, 0, 255, 10, 20, 30, 255, 10, 20, 30, 255,
		200, 0, 0, 255, 100, 0, 0, 255, 30, 40, 50, 255, 30, 40, 50, 255,
	})
	got := downscale(src, 2, false)
	want := []uint8{100, 0, 0, 255, 20, 30, 40, 255}
	if got.Rect != image.Rect(0, 0, 2, 1) || string(got.Pix) != string(want) {
		t.Fatalf("got %v %v, want 2x1 %v", got.Rect, got.Pix, want)
	}
}

func TestDownscale_TransparentPixelsDoNotTint(t *testing.T) {
	// Opaque red next to transparent blue averages to half-transparent red,
	// not to purple.
	src := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	src.SetNRGBA(0, 0, red)
	src.SetNRGBA(1, 0, color.NRGBA{0, 0, 255, 0})
	for name, img := range map[string]image.Image{
		"NRGBA":   src,
		"RGBA":    convert(src, image.NewRGBA(src.Rect)),
		"NYCbCrA": toYCbCr(src, image.YCbCrSubsampleRatio444, true),
		"At":      atOnly{src},
	} {
		t.Run(name, func(t *testing.T) {
			got := downscale(img, 1, false).NRGBAAt(0, 0)
			if !near(got, color.NRGBA{255, 0, 0, 128}, 2) {
				t.Fatalf("got %v, want half-transparent red", got)
			}
		})
	}
}

func TestYCbCrToRGB_StudioRange(t *testing.T) {
	tests := []struct {
		y, cb, cr float64
		want      color.NRGBA
	}{
		{16, 128, 128, color.NRGBA{0, 0, 0, 255}},
		{235, 128, 128, color.NRGBA{255, 255, 255, 255}},
		{82, 90, 240, red}, // what libwebp encodes pure red as
		{145, 54, 34, green},
		{41, 240, 110, blue},
	}
	for _, tt := range tests {
		r, g, b := ycbcrToRGB(tt.y, tt.cb, tt.cr, true)
		if got := (color.NRGBA{r, g, b, 255}); !near(got, tt.want, 2) {
			t.Errorf("ycbcrToRGB(%v, %v, %v) = %v, want %v", tt.y, tt.cb, tt.cr, got, tt.want)
		}
	}
}

func TestPreviewSize(t *testing.T) {
	tests := []struct{ w, h, side, dw, dh int }{
		{300, 100, 16, 16, 5},
		{100, 300, 16, 5, 16},
		{4000, 3000, 16, 16, 12},
		{3000, 4000, 8, 6, 8},
		{1000, 10, 16, 16, 1},
		{10, 4, 16, 10, 4},
		{1, 1, 16, 1, 1},
	}
	for _, tt := range tests {
		if dw, dh := previewSize(tt.w, tt.h, tt.side); dw != tt.dw || dh != tt.dh {
			t.Errorf("previewSize(%d, %d, %d) = %d, %d, want %d, %d", tt.w, tt.h, tt.side, dw, dh, tt.dw, tt.dh)
		}
	}
}

func TestSumBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 63, 1023, 1024, 1025, 5000} {
		for _, fill := range []string{"max", "random"} {
			p := make([]byte, n)
			var want uint64
			for i := range p {
				p[i] = 255
				if fill == "random" {
					p[i] = uint8(rng.IntN(256))
				}
				want += uint64(p[i])
			}
			if got := sumBytes(p); got != want {
				t.Errorf("sumBytes(%d %s bytes) = %d, want %d", n, fill, got, want)
			}
		}
	}
}
