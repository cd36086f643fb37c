package rendition

import (
	"fmt"
	"image"
	"math"

	"github.com/mediagraph/mediagraph/internal/media"
)

// layout is where a rendition's pixels come from and where they go, in the
// displayed (EXIF-oriented) coordinates of the full-size original.
type layout struct {
	// region is the part of the original the transform works on: the whole
	// image, or the avatar's Source crop.
	region image.Rectangle
	// winW and winH are the size of the window of region that is drawn: all
	// of it, except for FILL, which cuts the window to the box's ratio and
	// lets gravity place it.
	winW, winH float64
	// fill says the window is smaller than region and needs placing.
	fill bool
	// canvas is the output's size; dst is where the window is drawn in it
	// (smaller than canvas only for PAD).
	canvas image.Point
	dst    image.Rectangle
}

// plan works out the layout of t over a width x height displayed image.
//
// With both sides given: FILL covers the box and crops the overflow, FIT fits
// inside it keeping the ratio, LIMIT is FIT that never enlarges, PAD is FIT
// centred on a canvas of exactly the box, SCALE stretches to the box. With one
// side given, the other follows the ratio (LIMIT still never enlarges); with
// neither, the region keeps its size. No output side exceeds
// media.MaxTransformSide, whatever ratio a derived side would need.
func plan(width, height int, t media.Transform) (layout, error) {
	region := image.Rect(0, 0, width, height)
	if t.Source != nil {
		c := *t.Source
		region = image.Rect(c.X, c.Y, c.X+c.Width, c.Y+c.Height).Intersect(region)
	}
	if region.Empty() {
		return layout{}, fmt.Errorf("rendition: source crop %+v is outside the %dx%d image", *t.Source, width, height)
	}
	rw, rh := float64(region.Dx()), float64(region.Dy())
	l := layout{region: region, winW: rw, winH: rh}
	w, h := t.Width, t.Height
	limit := t.Crop == media.CropLimit

	// One side or none: the ratio decides, and every mode means the same.
	if w == 0 || h == 0 {
		s := 1.0
		switch {
		case w > 0:
			s = float64(w) / rw
		case h > 0:
			s = float64(h) / rh
		}
		if limit {
			s = min(s, 1)
		}
		s = min(s, media.MaxTransformSide/rw, media.MaxTransformSide/rh)
		ow, oh := side(rw*s), side(rh*s)
		l.canvas = image.Pt(ow, oh)
		l.dst = image.Rect(0, 0, ow, oh)
		return l, nil
	}

	box := image.Pt(w, h)
	switch t.Crop {
	case media.CropScale:
		l.canvas, l.dst = box, image.Rectangle{Max: box}
	case media.CropFit, media.CropLimit, media.CropPad:
		s := min(float64(w)/rw, float64(h)/rh)
		if limit {
			s = min(s, 1)
		}
		ow, oh := min(side(rw*s), w), min(side(rh*s), h)
		if t.Crop == media.CropPad {
			l.canvas = box
			off := image.Pt((w-ow)/2, (h-oh)/2)
			l.dst = image.Rectangle{Min: off, Max: off.Add(image.Pt(ow, oh))}
		} else {
			l.canvas, l.dst = image.Pt(ow, oh), image.Rect(0, 0, ow, oh)
		}
	default: // FILL
		s := max(float64(w)/rw, float64(h)/rh)
		l.winW, l.winH = min(rw, float64(w)/s), min(rh, float64(h)/s)
		l.fill = l.winW < rw || l.winH < rh
		l.canvas, l.dst = box, image.Rectangle{Max: box}
	}
	return l, nil
}

// side rounds a scaled length to whole pixels, never under one.
func side(v float64) int { return max(1, int(math.Round(v))) }

// scale is how many output pixels one full-size source pixel becomes, the
// larger of the two axes: what a decode must keep at least.
func (l layout) scale() float64 {
	return max(float64(l.dst.Dx())/l.winW, float64(l.dst.Dy())/l.winH)
}
