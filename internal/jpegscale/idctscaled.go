package jpegscale

import "math"

// Reduced inverse DCTs: an 8x8 block of coefficients becomes n x n pixels
// (n = 4, 2 or 1) from its n x n lowest-frequency coefficients, as libjpeg's
// scaled decoding does. The higher coefficients are entropy-decoded (they
// must be, to find the next block) and then ignored.
//
// Each output pixel is weighted to be the average of the s x s pixels
// (s = 8/n) it stands for in the full-size block: for frequency u, the
// weight of output k is
//
//	W[k][u] = 1/s · Σ_{j<s} ½ C(u) cos((2(k·s+j)+1)·u·π/16),  C(0) = 1/√2, else 1,
//
// which is the full inverse DCT's basis function averaged over the s samples
// (with s = 1 it is the inverse DCT itself). The output is therefore exactly
// the box average of the full decode, but for the dropped high frequencies,
// which are small in photos, and the clipping the full decode does per pixel.
// libjpeg instead uses an n-point inverse DCT, i.e. the basis sampled at the
// centre of each group (slightly sharper); averaging keeps a scaled decode
// closest to "decode, then shrink by area", which is what callers compare
// against. With n = 1 both are DC/8.
//
// The weights are fixed point with wBits fractional bits; the arithmetic is in
// int, 64 bits on the platforms that matter, so valid input cannot overflow.
// (Corrupt input may carry absurd coefficients; the result is then clipped
// garbage, as with image/jpeg, never a panic.)

const wBits = 13

// boxWeights returns W for n outputs, scaled by 2**wBits and rounded.
func boxWeights(n int) (w [4][4]int) {
	s := 8 / n
	for k := range n {
		for u := range n {
			cu := 1.0
			if u == 0 {
				cu = 1 / math.Sqrt2
			}
			sum := 0.0
			for j := range s {
				x := k*s + j
				sum += 0.5 * cu * math.Cos(float64((2*x+1)*u)*math.Pi/16)
			}
			w[k][u] = int(math.Round(sum / float64(s) * (1 << wBits)))
		}
	}
	return w
}

var (
	w4 = boxWeights(4)
	w2 = boxWeights(2)
)

// zigOf is the inverse of unzig: zigOf[i] is the zig-zag position of the
// coefficient at natural position i (row i/8, column i%8).
var zigOf = func() (z [blockSize]int) {
	for zig, i := range unzig {
		z[i] = zig
	}
	return z
}()

// dequantize multiplies the n x n lowest-frequency coefficients of b (in
// natural order) by their entries of qt (in zig-zag order).
func dequantize(b *block, qt *block, n int) {
	for u := range n {
		for v := range n {
			i := 8*u + v
			b[i] *= qt[zigOf[i]]
		}
	}
}

// clip8 clips v to a byte (callers have already level-shifted it).
func clip8(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// idct1x1 turns a dequantized DC coefficient into the block's one pixel: the
// block's mean, DC/8, rounded, level-shifted and clipped.
func idct1x1(dc int32) uint8 {
	return clip8((int(dc)+4)>>3 + 128)
}

// idct2x2 writes the 2x2 pixels of b's dequantized coefficients to dst.
func idct2x2(b *block, dst []byte, stride int) {
	a, c := w2[0][0], w2[0][1] // W[1][0] = a, W[1][1] = -c
	f00, f01 := int(b[0]), int(b[1])
	f10, f11 := int(b[8]), int(b[9])
	// Rows: horizontal frequencies to columns.
	t00, t01 := a*f00+c*f01, a*f00-c*f01
	t10, t11 := a*f10+c*f11, a*f10-c*f11
	// Columns: vertical frequencies to rows, then round, level-shift and clip.
	const shift = 2 * wBits
	const bias = 128<<shift + 1<<(shift-1)
	dst[0] = clip8((a*t00 + c*t10 + bias) >> shift)
	dst[1] = clip8((a*t01 + c*t11 + bias) >> shift)
	dst[stride] = clip8((a*t00 - c*t10 + bias) >> shift)
	dst[stride+1] = clip8((a*t01 - c*t11 + bias) >> shift)
}

// idct4 is the 1D 4-point reduced transform of f0..f3 with the weights w4,
// using their symmetry W[3-k][u] = (-1)^u W[k][u] (the averaged basis
// functions are even or odd about the block's centre), so it costs six
// multiplications rather than sixteen.
func idct4(f0, f1, f2, f3 int) (o0, o1, o2, o3 int) {
	e := w4[0][0] * f0 // W[k][0] is the same for every k
	p := w4[0][2] * f2 // W[1][2] = -W[0][2]
	e0, e1 := e+p, e-p
	d0 := w4[0][1]*f1 + w4[0][3]*f3
	d1 := w4[1][1]*f1 + w4[1][3]*f3
	return e0 + d0, e1 + d1, e1 - d1, e0 - d0
}

// idct4x4 writes the 4x4 pixels of b's dequantized coefficients to dst.
func idct4x4(b *block, dst []byte, stride int) {
	// Rows: horizontal frequencies to columns, for the four lowest rows of
	// vertical frequencies. t[u][l] is row u's value at output column l.
	var t [4][4]int
	for u := range 4 {
		r := b[8*u : 8*u+4 : 8*u+4]
		if r[1] == 0 && r[2] == 0 && r[3] == 0 {
			// Common in photos: a row of DC only is flat.
			v := w4[0][0] * int(r[0])
			t[u] = [4]int{v, v, v, v}
			continue
		}
		t[u][0], t[u][1], t[u][2], t[u][3] = idct4(int(r[0]), int(r[1]), int(r[2]), int(r[3]))
	}
	// Columns: vertical frequencies to rows, then round, level-shift and clip.
	const shift = 2 * wBits
	const bias = 128<<shift + 1<<(shift-1)
	for l := range 4 {
		o0, o1, o2, o3 := idct4(t[0][l], t[1][l], t[2][l], t[3][l])
		dst[l] = clip8((o0 + bias) >> shift)
		dst[stride+l] = clip8((o1 + bias) >> shift)
		dst[2*stride+l] = clip8((o2 + bias) >> shift)
		dst[3*stride+l] = clip8((o3 + bias) >> shift)
	}
}
