package placeholder

import (
	"encoding/binary"
	"image"
)

// boxes splits the source into dw x dh cells of whole source pixels, the
// output pixel of each cell being the average of its source pixels (an area
// average, or box filter). Cell widths differ by at most one pixel.
type boxes struct {
	dw, dh int
	xs, ys []int // cell boundaries, relative to the source's Min: cell i spans [xs[i], xs[i+1])
	// sum holds, per cell, premultiplied R, G, B and alpha, all on the same
	// scale (alpha full is scale per source pixel), or for Y'CbCr sources
	// alpha-weighted Y, Cb, Cr and alpha (scale 255).
	sum   []uint64
	scale uint64
	ycbcr bool
	// studio says the Y'CbCr values use BT.601 studio range (Y' 16..235,
	// Cb and Cr 16..240), not JPEG's full range. See downscale.
	studio bool
}

// previewSize returns the size of the preview of a sw x sh image whose longer
// side is at most side: the aspect ratio is kept (rounded), no side is under 1
// px, and a source smaller than side is not enlarged.
func previewSize(sw, sh, side int) (dw, dh int) {
	if sw >= sh {
		dw = min(side, sw)
		dh = max(1, (sh*dw+sw/2)/sw)
		return dw, dh
	}
	dh = min(side, sh)
	dw = max(1, (sw*dh+sh/2)/sh)
	return dw, dh
}

func newBoxes(sw, sh, dw, dh int) *boxes {
	b := &boxes{dw: dw, dh: dh, xs: make([]int, dw+1), ys: make([]int, dh+1), sum: make([]uint64, dw*dh*4)}
	for i := range b.xs {
		b.xs[i] = i * sw / dw
	}
	for i := range b.ys {
		b.ys[i] = i * sh / dh
	}
	return b
}

// downscale returns the area average of img with at most side px on its
// longer side. It reads every source pixel once; the common decoder outputs
// are read straight from their pixel buffers, other types through At.
//
// studio says an *image.YCbCr or *image.NYCbCrA img holds BT.601 studio-range
// values, as lossy WebP does: golang.org/x/image/webp returns the VP8 planes
// as they are, but image/color converts with JPEG's full-range formula, which
// washes the colours out (https://github.com/golang/go/issues/40173). Since
// the averages are converted here rather than through At, the right formula
// costs nothing.
func downscale(img image.Image, side int, studio bool) *image.NRGBA {
	r := img.Bounds()
	dw, dh := previewSize(r.Dx(), r.Dy(), side)
	return Shrink(img, dw, dh, studio)
}

// Shrink returns the area average (box filter) of img at dw x dh, which must
// be positive and no larger than img: every source pixel is read once, and
// the output pixel of each cell is the alpha-weighted mean of its pixels.
// Renditions use it to cut a large decode down cheaply before a quality
// kernel does the last step, and to turn a decode into *image.NRGBA at its
// own size (dw, dh equal to img's). studio says the Y'CbCr values of img are
// BT.601 studio range, as lossy WebP's are (see downscale).
func Shrink(img image.Image, dw, dh int, studio bool) *image.NRGBA {
	r := img.Bounds()
	sw, sh := r.Dx(), r.Dy()
	b := newBoxes(sw, sh, dw, dh)
	b.studio = studio
	switch m := img.(type) {
	case *image.YCbCr:
		b.sumYCbCr(m, nil, 0)
	case *image.NYCbCrA:
		b.sumYCbCr(&m.YCbCr, m.A, m.AStride)
	case *image.NRGBA:
		b.sumRGBA(m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, false)
	case *image.RGBA:
		b.sumRGBA(m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, true)
	case *image.NRGBA64:
		b.sumRGBA64(m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, false)
	case *image.RGBA64:
		b.sumRGBA64(m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, true)
	case *image.Gray:
		b.sumGray(m)
	case *image.Paletted:
		b.sumPaletted(m)
	default:
		b.sumAt(img)
	}
	return b.result()
}

// sumYCbCr sums Y', Cb and Cr weighted by alpha (a nil: opaque). Averaging in
// Y'CbCr and converting the averages is the same as averaging the converted
// pixels, because the conversion is affine (up to clamping), and it saves a
// conversion per source pixel.
func (b *boxes) sumYCbCr(m *image.YCbCr, a []uint8, aStride int) {
	b.ycbcr, b.scale = true, 255
	r := m.Rect
	hs, vs := 1, 1 // chroma subsampling
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 2
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		vs = 2
	case image.YCbCrSubsampleRatio411:
		hs = 4
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	}
	// cx[x] is the offset in a chroma row of the sample for column x.
	cx := make([]int, r.Dx())
	for x := range cx {
		cx[x] = (r.Min.X+x)/hs - r.Min.X/hs
	}
	// runs[dx] are the chroma samples of output column dx: first and last
	// (inclusive) and how many luma columns of the cell each covers; those in
	// between cover hs. Summing chroma samples once per run, weighted, instead
	// of once per luma pixel halves the work for 4:2:0.
	type run struct{ c0, c1, w0, w1 int }
	runs := make([]run, b.dw)
	for dx := range runs {
		x0, x1 := b.xs[dx], b.xs[dx+1]
		ru := run{c0: cx[x0], c1: cx[x1-1]}
		for x := x0; x < x1; x++ {
			if cx[x] == ru.c0 {
				ru.w0++
			} else if cx[x] == ru.c1 {
				ru.w1++
			}
		}
		runs[dx] = ru
	}
	for dy := range b.dh {
		row := b.sum[dy*b.dw*4 : (dy+1)*b.dw*4]
		for y := b.ys[dy]; y < b.ys[dy+1]; y++ {
			yrow := m.Y[y*m.YStride:]
			ci := ((r.Min.Y+y)/vs - r.Min.Y/vs) * m.CStride
			cb, cr := m.Cb[ci:], m.Cr[ci:]
			if a == nil {
				for dx, ru := range runs {
					var sy, sb, sr uint64
					sy = sumBytes(yrow[b.xs[dx]:b.xs[dx+1]])
					if ru.c1 > ru.c0+1 {
						sb = sumBytes(cb[ru.c0+1:ru.c1]) * uint64(hs)
						sr = sumBytes(cr[ru.c0+1:ru.c1]) * uint64(hs)
					}
					sb += uint64(cb[ru.c0])*uint64(ru.w0) + uint64(cb[ru.c1])*uint64(ru.w1)
					sr += uint64(cr[ru.c0])*uint64(ru.w0) + uint64(cr[ru.c1])*uint64(ru.w1)
					s := row[dx*4 : dx*4+4]
					s[0] += sy * 255
					s[1] += sb * 255
					s[2] += sr * 255
					s[3] += uint64(b.xs[dx+1]-b.xs[dx]) * 255
				}
				continue
			}
			arow := a[y*aStride:]
			for dx := range b.dw {
				var sy, sb, sr, sa uint64
				for x := b.xs[dx]; x < b.xs[dx+1]; x++ {
					c, w := cx[x], uint64(arow[x])
					sy += uint64(yrow[x]) * w
					sb += uint64(cb[c]) * w
					sr += uint64(cr[c]) * w
					sa += w
				}
				s := row[dx*4 : dx*4+4]
				s[0] += sy
				s[1] += sb
				s[2] += sr
				s[3] += sa
			}
		}
	}
}

// sumRGBA sums 8-bit R, G, B, A pixels; pix starts at the source's Min and
// premul says whether colour is already premultiplied (RGBA, not NRGBA).
func (b *boxes) sumRGBA(pix []uint8, stride int, premul bool) {
	b.scale = 255 * 255
	for dy := range b.dh {
		row := b.sum[dy*b.dw*4 : (dy+1)*b.dw*4]
		for y := b.ys[dy]; y < b.ys[dy+1]; y++ {
			prow := pix[y*stride:]
			for dx := range b.dw {
				var sr, sg, sb, sa uint64
				p := prow[b.xs[dx]*4 : b.xs[dx+1]*4]
				if premul {
					for i := 0; i+3 < len(p); i += 4 {
						sr += uint64(p[i])
						sg += uint64(p[i+1])
						sb += uint64(p[i+2])
						sa += uint64(p[i+3])
					}
					sr, sg, sb = sr*255, sg*255, sb*255
				} else {
					for i := 0; i+3 < len(p); i += 4 {
						w := uint64(p[i+3])
						sr += uint64(p[i]) * w
						sg += uint64(p[i+1]) * w
						sb += uint64(p[i+2]) * w
						sa += w
					}
				}
				s := row[dx*4 : dx*4+4]
				s[0] += sr
				s[1] += sg
				s[2] += sb
				s[3] += sa * 255
			}
		}
	}
}

// sumRGBA64 is sumRGBA for 16-bit big-endian channels (NRGBA64, RGBA64).
func (b *boxes) sumRGBA64(pix []uint8, stride int, premul bool) {
	b.scale = 0xffff * 0xffff
	for dy := range b.dh {
		row := b.sum[dy*b.dw*4 : (dy+1)*b.dw*4]
		for y := b.ys[dy]; y < b.ys[dy+1]; y++ {
			prow := pix[y*stride:]
			for dx := range b.dw {
				var sr, sg, sb, sa uint64
				p := prow[b.xs[dx]*8 : b.xs[dx+1]*8]
				for i := 0; i+7 < len(p); i += 8 {
					r := uint64(p[i])<<8 | uint64(p[i+1])
					g := uint64(p[i+2])<<8 | uint64(p[i+3])
					bl := uint64(p[i+4])<<8 | uint64(p[i+5])
					a := uint64(p[i+6])<<8 | uint64(p[i+7])
					if premul {
						sr, sg, sb, sa = sr+r, sg+g, sb+bl, sa+a
					} else {
						sr, sg, sb, sa = sr+r*a, sg+g*a, sb+bl*a, sa+a
					}
				}
				if premul {
					sr, sg, sb = sr*0xffff, sg*0xffff, sb*0xffff
				}
				s := row[dx*4 : dx*4+4]
				s[0] += sr
				s[1] += sg
				s[2] += sb
				s[3] += sa * 0xffff
			}
		}
	}
}

func (b *boxes) sumGray(m *image.Gray) {
	b.scale = 255
	pix := m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):]
	for dy := range b.dh {
		row := b.sum[dy*b.dw*4 : (dy+1)*b.dw*4]
		for y := b.ys[dy]; y < b.ys[dy+1]; y++ {
			prow := pix[y*m.Stride:]
			for dx := range b.dw {
				sy := sumBytes(prow[b.xs[dx]:b.xs[dx+1]])
				s := row[dx*4 : dx*4+4]
				s[0] += sy
				s[1] += sy
				s[2] += sy
				s[3] += uint64(b.xs[dx+1]-b.xs[dx]) * 255
			}
		}
	}
}

// sumPaletted looks each index up in the palette converted once to
// premultiplied 16-bit values; indices past the palette count as transparent.
func (b *boxes) sumPaletted(m *image.Paletted) {
	b.scale = 0xffff
	var pal [256][4]uint64
	for i, c := range m.Palette[:min(len(m.Palette), 256)] {
		r, g, bl, a := c.RGBA()
		pal[i] = [4]uint64{uint64(r), uint64(g), uint64(bl), uint64(a)}
	}
	pix := m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):]
	for dy := range b.dh {
		row := b.sum[dy*b.dw*4 : (dy+1)*b.dw*4]
		for y := b.ys[dy]; y < b.ys[dy+1]; y++ {
			prow := pix[y*m.Stride:]
			for dx := range b.dw {
				var sr, sg, sb, sa uint64
				for _, v := range prow[b.xs[dx]:b.xs[dx+1]] {
					c := &pal[v]
					sr += c[0]
					sg += c[1]
					sb += c[2]
					sa += c[3]
				}
				s := row[dx*4 : dx*4+4]
				s[0] += sr
				s[1] += sg
				s[2] += sb
				s[3] += sa
			}
		}
	}
}

// sumAt is the slow path for any other image type (CMYK JPEGs, 16-bit grey
// PNGs, GIF frames smaller than their screen ...).
func (b *boxes) sumAt(img image.Image) {
	b.scale = 0xffff
	r := img.Bounds()
	for dy := range b.dh {
		row := b.sum[dy*b.dw*4 : (dy+1)*b.dw*4]
		for y := b.ys[dy]; y < b.ys[dy+1]; y++ {
			for dx := range b.dw {
				s := row[dx*4 : dx*4+4]
				for x := b.xs[dx]; x < b.xs[dx+1]; x++ {
					cr, cg, cb, ca := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
					s[0] += uint64(cr)
					s[1] += uint64(cg)
					s[2] += uint64(cb)
					s[3] += uint64(ca)
				}
			}
		}
	}
}

// result turns the sums into the averaged (non-premultiplied) preview. It
// works in float64: the sums fit in uint64 for any image, their products with
// 255 might not.
func (b *boxes) result() *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, b.dw, b.dh))
	for dy := range b.dh {
		for dx := range b.dw {
			s := b.sum[(dy*b.dw+dx)*4:][:4]
			if s[3] == 0 {
				continue // fully transparent: leave transparent black
			}
			n := float64((b.xs[dx+1] - b.xs[dx]) * (b.ys[dy+1] - b.ys[dy]))
			sa := float64(s[3])
			p := out.Pix[out.PixOffset(dx, dy):][:4]
			p[3] = clamp(255 * sa / (n * float64(b.scale)))
			if b.ycbcr {
				p[0], p[1], p[2] = ycbcrToRGB(float64(s[0])/sa, float64(s[1])/sa, float64(s[2])/sa, b.studio)
				continue
			}
			for c := range 3 {
				p[c] = clamp(255 * float64(s[c]) / sa)
			}
		}
	}
	return out
}

// ycbcrToRGB converts Y'CbCr to RGB with the BT.601 matrix, from full range
// as JPEG (and image/color) has it or from studio range as libwebp has it.
func ycbcrToRGB(y, cb, cr float64, studio bool) (uint8, uint8, uint8) {
	cb, cr = cb-128, cr-128
	if studio {
		y = 255.0 / 219 * (y - 16)
		cb, cr = 255.0/224*cb, 255.0/224*cr
	}
	return clamp(y + 1.402*cr), clamp(y - 0.344136*cb - 0.714136*cr), clamp(y + 1.772*cb)
}

// clamp rounds v to the nearest uint8.
func clamp(v float64) uint8 { return uint8(min(max(v+0.5, 0), 255)) }

// sumBytes adds up p eight bytes at a time (SWAR: four 16-bit lanes in a
// uint64, folded before they can overflow), several times faster than a byte
// loop, which is what makes the Y' and grey planes cheap to average.
func sumBytes(p []byte) uint64 {
	const lanes = 0x00ff00ff00ff00ff
	var total uint64
	for len(p) >= 8 {
		n := min(len(p)/8, 128) // each word adds at most 2*255 to a lane: 128*510 < 1<<16
		var acc uint64
		for i := range n {
			v := binary.LittleEndian.Uint64(p[8*i:])
			acc += v&lanes + (v>>8)&lanes
		}
		p = p[8*n:]
		acc = acc&0x0000ffff0000ffff + (acc>>16)&0x0000ffff0000ffff
		total += acc&0xffffffff + acc>>32
	}
	for _, v := range p {
		total += uint64(v)
	}
	return total
}
