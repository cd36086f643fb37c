package rendition

import (
	"image"
	"math"

	"github.com/mediagraph/mediagraph/internal/media"
	"github.com/mediagraph/mediagraph/internal/placeholder"
)

// analysisSide is the longer side of the thumbnail AUTO gravity studies:
// enough to find where the detail is, small enough to cost well under a
// millisecond.
const analysisSide = 96

// place returns the top-left corner, in img's coordinates, of the winW x winH
// window that a FILL keeps of region. CENTER centres it; AUTO (and FACE, as
// no pure-Go face detector fits: see the README) puts it where the image has
// the most detail, measured as edge energy, so that a subject off the centre
// stays in the picture.
func place(img image.Image, region image.Rectangle, winW, winH float64, g media.Gravity) (float64, float64) {
	cx := float64(region.Min.X) + (float64(region.Dx())-winW)/2
	cy := float64(region.Min.Y) + (float64(region.Dy())-winH)/2
	if g == media.GravityCenter {
		return cx, cy
	}
	var sub image.Image = window{img, region}
	if si, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		sub = si.SubImage(region) // keeps the fast paths of Shrink
	}
	aw, ah := region.Dx(), region.Dy()
	if s := float64(analysisSide) / float64(max(aw, ah)); s < 1 {
		aw, ah = side(float64(aw)*s), side(float64(ah)*s)
	}
	small := placeholder.Shrink(sub, aw, ah, false)
	a := float64(aw) / float64(region.Dx()) // analysis pixels per img pixel
	ww := min(aw, max(1, int(math.Round(winW*a))))
	wh := min(ah, max(1, int(math.Round(winH*float64(ah)/float64(region.Dy())))))
	bx, by := busiest(small, ww, wh)
	x := float64(region.Min.X) + float64(bx)*float64(region.Dx())/float64(aw)
	y := float64(region.Min.Y) + float64(by)*float64(region.Dy())/float64(ah)
	x = min(max(x, float64(region.Min.X)), float64(region.Max.X)-winW)
	y = min(max(y, float64(region.Min.Y)), float64(region.Max.Y)-winH)
	return x, y
}

// busiest returns the top-left corner of the ww x wh window of m with the most
// edge energy (the sum of the luminance gradient's magnitude); among equals,
// the one nearest the centre, so that a flat image crops like CENTER.
func busiest(m *image.NRGBA, ww, wh int) (int, int) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	lum := make([]float64, w*h)
	for y := range h {
		for x := range w {
			p := m.Pix[y*m.Stride+x*4:][:4]
			// Rec. 601 luma, weighted by alpha: transparent areas are flat.
			lum[y*w+x] = (0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])) * float64(p[3]) / 255
		}
	}
	// sum is the integral image of the energy, one row and column of
	// padding at the top and left.
	sum := make([]float64, (w+1)*(h+1))
	for y := range h {
		row := 0.0
		for x := range w {
			gx := lum[y*w+min(x+1, w-1)] - lum[y*w+max(x-1, 0)]
			gy := lum[min(y+1, h-1)*w+x] - lum[max(y-1, 0)*w+x]
			row += math.Hypot(gx, gy)
			sum[(y+1)*(w+1)+x+1] = sum[y*(w+1)+x+1] + row
		}
	}
	best, bx, by := -1.0, 0, 0
	bestDist := math.Inf(1)
	mx, my := float64(w-ww)/2, float64(h-wh)/2
	for y := 0; y <= h-wh; y++ {
		for x := 0; x <= w-ww; x++ {
			e := sum[(y+wh)*(w+1)+x+ww] - sum[y*(w+1)+x+ww] - sum[(y+wh)*(w+1)+x] + sum[y*(w+1)+x]
			d := math.Hypot(float64(x)-mx, float64(y)-my)
			// A window must beat the best by more than rounding noise.
			if e > best*(1+1e-9)+1e-9 || (e >= best*(1-1e-9)-1e-9 && d < bestDist) {
				best, bx, by, bestDist = max(e, best), x, y, d
			}
		}
	}
	return bx, by
}

// window is the part r of an image that has no SubImage method of its own.
type window struct {
	image.Image
	r image.Rectangle
}

func (w window) Bounds() image.Rectangle { return w.r }
