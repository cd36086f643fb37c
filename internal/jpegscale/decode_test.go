package jpegscale

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"reflect"
	"testing"
)

// A scaled decode is compared, channel by channel, with image/jpeg's full
// decode box-shrunk by the same factor. The reduced inverse DCTs average the
// basis functions over each output pixel's area (idctscaled.go, pinned to
// within rounding by TestReducedIDCT_IsBoxAverageOfFullIDCT), so what is left
// is: the high frequencies they drop (the box filter lets them through,
// aliased), the clipping the full decode does per pixel before averaging, and
// rounding. The bounds are on the mean absolute difference in 8-bit levels and,
// where nothing clips, on the worst pixel:
//
//   - generated photo-like images (smooth, noisy, no clipping), the product's
//     case: measured at most 1.7 mean (a 9x17 image, all edge blocks; 1.0 for
//     203x157) and 12.2 worst; bounds 2.0 and 16.
//   - Go's test files, 150x103 q50 video frames with text and saturated
//     colours that the full decode clips: measured at most 3.7 mean; bound 4.0.
//
// A plumbing fault is well past these: a 4x4 block written transposed gives 8.5
// mean on video-001 and 65 worst on the generated photo, plane or block
// positions mixed up more still.
type testCase struct {
	data              []byte
	maxMean, maxWorst float64 // maxWorst 0: no bound
}

// cases are the files compared at every scale: generated ones for image/jpeg's
// own output (4:2:0, gray) at sizes that are not multiples of the block, and
// Go's test files for the other subsamplings, progressive, restart markers,
// RGB and CMYK.
func cases(t testing.TB) map[string]testCase {
	t.Helper()
	pic := photo(203, 157, 1, 12)
	gen := func(data []byte) testCase { return testCase{data, 2.0, 16} }
	m := map[string]testCase{
		"generated 4:2:0 q85":  gen(encode(t, pic, 85)),
		"generated 4:2:0 q100": gen(encode(t, pic, 100)),
		"generated gray q85":   gen(encode(t, gray(pic), 85)),
		"generated 1x1":        gen(encode(t, photo(1, 1, 2, 0), 85)),
		"generated 9x17 gray":  gen(encode(t, gray(photo(9, 17, 3, 4)), 85)),
	}
	for _, name := range testdataJPEGs(t) {
		m[name] = testCase{readTestdata(t, name), 4.0, 0}
	}
	return m
}

// subsampling is how many luma samples, across and down, share one sample of
// the second component in the JPEG data.
func subsampling(t *testing.T, data []byte) (h, v int) {
	t.Helper()
	var d decoder
	if _, err := d.decode(bytes.NewReader(data), true); err != nil {
		t.Fatal(err)
	}
	return d.comp[0].h / d.comp[1].h, d.comp[0].v / d.comp[1].v
}

// decimate keeps the top-left sample of each h x v cell of p.
func decimate(p plane, h, v int) plane {
	p.stride *= v
	p.step *= h
	p.w = (p.w + h - 1) / h
	p.h = (p.h + v - 1) / v
	return p
}

func TestDecodeAt_MatchesBoxShrunkFullDecode(t *testing.T) {
	for name, tc := range cases(t) {
		data := tc.data
		full, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: image/jpeg: %v", name, err)
		}
		for _, s := range []int{1, 2, 4, 8} {
			t.Run(fmt.Sprintf("%s/1:%d", name, s), func(t *testing.T) {
				got, err := decodeAt(bytes.NewReader(data), s)
				if err != nil {
					t.Fatal(err)
				}
				if reflect.TypeOf(got) != reflect.TypeOf(full) {
					t.Fatalf("type %T, image/jpeg gives %T", got, full)
				}
				fb := full.Bounds()
				wantBounds := image.Rect(0, 0, (fb.Dx()+s-1)/s, (fb.Dy()+s-1)/s)
				if got.Bounds() != wantBounds {
					t.Fatalf("bounds %v, want %v", got.Bounds(), wantBounds)
				}
				gp, fp := planes(t, got), planes(t, full)
				if _, ok := full.(*image.RGBA); ok {
					// Subsampled G and B are nearest-neighbour upsampled into
					// the RGBA image, so compare them on their own grid.
					h, v := subsampling(t, data)
					for i := 1; i < 3; i++ {
						gp[i], fp[i] = decimate(gp[i], h, v), decimate(fp[i], h, v)
					}
				}
				for i := range fp {
					want := boxDown(fp[i], s)
					if gp[i].h != len(want) || gp[i].w != len(want[0]) {
						t.Fatalf("%s plane %dx%d, want %dx%d", gp[i].name, gp[i].w, gp[i].h, len(want[0]), len(want))
					}
					sum, worst := 0.0, 0.0
					for y := range want {
						for x := range want[y] {
							d := math.Abs(float64(gp[i].at(x, y)) - want[y][x])
							sum += d
							worst = max(worst, d)
						}
					}
					mean := sum / float64(gp[i].w*gp[i].h)
					if s == 1 && worst != 0 {
						t.Errorf("%s: full-size decode differs from image/jpeg by up to %.0f", gp[i].name, worst)
					}
					if mean > tc.maxMean {
						t.Errorf("%s: mean absolute error %.2f > %.2f (worst pixel %.1f)", gp[i].name, mean, tc.maxMean, worst)
					}
					if tc.maxWorst > 0 && worst > tc.maxWorst {
						t.Errorf("%s: worst pixel off by %.1f > %.0f (mean %.2f)", gp[i].name, worst, tc.maxWorst, mean)
					}
					if testing.Verbose() && s > 1 {
						fmt.Printf("STAT %-50s 1:%d %-4s mean %.3f worst %.1f\n", name, s, gp[i].name, mean, worst)
					}
				}
			})
		}
	}
}

// TestDecodeAt_DCOnlyIsBlockMean checks the 1/8 rule on its own: a flat
// block decodes to its level exactly, as image/jpeg decodes it.
func TestDecodeAt_DCOnlyIsBlockMean(t *testing.T) {
	for _, level := range []uint8{0, 1, 77, 128, 200, 254, 255} {
		g := image.NewGray(image.Rect(0, 0, 24, 16))
		for i := range g.Pix {
			g.Pix[i] = level
		}
		data := encode(t, g, 90)
		full, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeAt(bytes.NewReader(data), 8)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range got.(*image.Gray).Pix[:3] {
			if want := full.(*image.Gray).Pix[8*i]; v != want {
				t.Errorf("level %d: pixel %d is %d, image/jpeg gives %d", level, i, v, want)
			}
		}
	}
}

func TestScale(t *testing.T) {
	for _, c := range []struct {
		w, h, minW, minH, want int
	}{
		{4000, 3000, 0, 0, 1},       // no bound: full size
		{4000, 3000, -1, -5, 1},     // negative is no bound too
		{4000, 3000, 200, 200, 8},   // 500x375
		{4000, 3000, 501, 0, 4},     // 1000x750
		{4000, 3000, 0, 376, 4},     // 1000x750
		{4000, 3000, 1000, 750, 4},  // exactly 1/4
		{4000, 3000, 1001, 750, 2},  // 2000x1500
		{4000, 3000, 2001, 0, 1},    // more than half
		{4000, 3000, 8000, 6000, 1}, // larger than the image: full size, never upscaled
		{4001, 3001, 501, 376, 8},   // rounded up: 501x376
		{15, 9, 2, 2, 8},            // 2x2
		{15, 9, 2, 3, 4},            // 4x3
		{1, 1, 1, 1, 8},             // 1x1 at every scale
	} {
		if got := Scale(c.w, c.h, c.minW, c.minH); got != c.want {
			t.Errorf("Scale(%d, %d, %d, %d) = %d, want %d", c.w, c.h, c.minW, c.minH, got, c.want)
		}
	}
}

func TestDecode_ChoosesScaleFromMinimumSize(t *testing.T) {
	data := encode(t, photo(203, 157, 4, 8), 85)
	for _, c := range []struct {
		minW, minH int
		want       image.Rectangle
	}{
		{0, 0, image.Rect(0, 0, 203, 157)},
		{26, 20, image.Rect(0, 0, 26, 20)}, // 1/8
		{27, 0, image.Rect(0, 0, 51, 40)},  // 1/4
		{0, 40, image.Rect(0, 0, 51, 40)},  // 1/4
		{52, 40, image.Rect(0, 0, 102, 79)},
		{103, 1, image.Rect(0, 0, 203, 157)},
	} {
		img, err := Decode(bytes.NewReader(data), c.minW, c.minH)
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds() != c.want {
			t.Errorf("Decode(%d, %d) gives %v, want %v", c.minW, c.minH, img.Bounds(), c.want)
		}
	}
}

func TestDecodeConfig_MatchesImageJPEG(t *testing.T) {
	for name, tc := range cases(t) {
		data := tc.data
		got, err := DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: image/jpeg: %v", name, err)
		}
		if got != want {
			t.Errorf("%s: %+v, image/jpeg gives %+v", name, got, want)
		}
	}
}

// TestDecode_TruncatedInputFails cuts every test file at many lengths: each
// cut fails with an error at every scale (a JPEG ends with its EOI marker),
// and none panics.
func TestDecode_TruncatedInputFails(t *testing.T) {
	for _, name := range testdataJPEGs(t) {
		data := readTestdata(t, name)
		step := max(1, len(data)/23)
		for n := 0; n < len(data)-1; n += step {
			for _, s := range []int{1, 2, 4, 8} {
				if _, err := decodeAt(bytes.NewReader(data[:n]), s); err == nil {
					t.Errorf("%s cut to %d bytes, 1/%d: no error", name, n, s)
				}
			}
		}
	}
}

// TestDecode_CorruptInputFailsLikeImageJPEG flips bytes in every test file:
// whether the result is an error must not depend on the scale (only pixel
// reconstruction does), and must match image/jpeg. Nothing may panic.
func TestDecode_CorruptInputFailsLikeImageJPEG(t *testing.T) {
	for _, name := range testdataJPEGs(t) {
		data := readTestdata(t, name)
		step := max(1, len(data)/17)
		for i := 0; i < len(data); i += step {
			bad := bytes.Clone(data)
			bad[i] ^= 0x5a
			_, wantErr := jpeg.Decode(bytes.NewReader(bad))
			if cfg, err := jpeg.DecodeConfig(bytes.NewReader(bad)); err == nil && cfg.Width*cfg.Height > 1e6 {
				continue // a corrupt SOF may claim a huge image: not this test's subject
			}
			for _, s := range []int{1, 2, 4, 8} {
				_, err := decodeAt(bytes.NewReader(bad), s)
				if (err == nil) != (wantErr == nil) {
					t.Errorf("%s byte %d flipped, 1/%d: error %v, image/jpeg gives %v", name, i, s, err, wantErr)
				}
			}
		}
	}
}
