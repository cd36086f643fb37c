package jpegscale

import (
	"math"
	"math/rand/v2"
	"testing"
)

// fullIDCT is the 8x8 inverse DCT of T.81 A.3.3 in floating point, without
// level shift or clipping: f(x, y) = 1/4 Σ Σ C(u) C(v) F(v, u) cos((2x+1)uπ/16) cos((2y+1)vπ/16),
// F indexed [row (vertical frequency)][column (horizontal frequency)].
func fullIDCT(f *[8][8]float64) (out [8][8]float64) {
	cf := func(u int) float64 {
		if u == 0 {
			return 1 / math.Sqrt2
		}
		return 1
	}
	for y := range 8 {
		for x := range 8 {
			sum := 0.0
			for v := range 8 {
				for u := range 8 {
					sum += cf(u) * cf(v) * f[v][u] *
						math.Cos(float64((2*x+1)*u)*math.Pi/16) *
						math.Cos(float64((2*y+1)*v)*math.Pi/16)
				}
			}
			out[y][x] = sum / 4
		}
	}
	return out
}

// TestReducedIDCT_IsBoxAverageOfFullIDCT checks idct4x4, idct2x2 and idct1x1
// against a floating-point full inverse DCT averaged over each output pixel's
// s x s area. The blocks hold only the coefficients the reduced transforms
// read, and values that stay inside 0..255, so the two must agree to within
// rounding (half a level, plus under 0.1 of fixed-point error).
func TestReducedIDCT_IsBoxAverageOfFullIDCT(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{1, 2, 4} {
		s := 8 / n
		for range 500 {
			var f [8][8]float64
			var b block
			for v := range n {
				for u := range n {
					c := rng.IntN(161) - 80 // small AC: the block stays in range
					if u == 0 && v == 0 {
						c = rng.IntN(1024) - 512
					}
					f[v][u] = float64(c)
					b[8*v+u] = int32(c)
				}
			}
			px := fullIDCT(&f)
			dst := make([]byte, 4*n)
			switch n {
			case 1:
				dst[0] = idct1x1(b[0])
			case 2:
				idct2x2(&b, dst, 4)
			case 4:
				idct4x4(&b, dst, 4)
			}
			for k := range n {
				for l := range n {
					sum := 0.0
					for y := k * s; y < k*s+s; y++ {
						for x := l * s; x < l*s+s; x++ {
							sum += px[y][x]
						}
					}
					want := sum/float64(s*s) + 128
					if want < 0.5 || want > 254.5 {
						continue // clipped: not this test's subject
					}
					if got := float64(dst[4*k+l]); math.Abs(got-want) > 0.6 {
						t.Fatalf("n=%d: pixel (%d,%d) = %v, box average of the full IDCT %.3f; coefficients %v", n, l, k, got, want, f)
					}
				}
			}
		}
	}
}
