package placeholder

import "image"

// Orient returns img turned as EXIF orientation o (1..8) says a viewer shows it.
//
// Orientation 1 (and any value outside 1..8) returns img itself. 2 mirrors it
// horizontally, 3 rotates it 180°, 4 mirrors it vertically, 5 transposes it
// (mirrors across the top-left to bottom-right diagonal), 6 rotates it 90°
// clockwise, 7 transverses it (mirrors across the other diagonal) and 8
// rotates it 90° counter-clockwise; 5..8 swap width and height. A turned
// image starts at (0, 0); it has img's type for *image.NRGBA, *image.RGBA and
// *image.Gray and is an *image.RGBA64 otherwise. Orient copies pixel by pixel,
// so it is meant for small images such as previews.
func Orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	switch m := img.(type) {
	case *image.NRGBA:
		return orientNRGBA(m, o)
	case *image.RGBA:
		dst := image.NewRGBA(orientedRect(m.Rect, o))
		orientPix(dst.Pix, dst.Stride, m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], m.Stride, m.Rect.Dx(), m.Rect.Dy(), 4, o)
		return dst
	case *image.Gray:
		dst := image.NewGray(orientedRect(m.Rect, o))
		orientPix(dst.Pix, dst.Stride, m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], m.Stride, m.Rect.Dx(), m.Rect.Dy(), 1, o)
		return dst
	}
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	dst := image.NewRGBA64(orientedRect(r, o))
	for y := range h {
		for x := range w {
			dx, dy := orientPoint(x, y, w, h, o)
			dst.Set(dx, dy, img.At(r.Min.X+x, r.Min.Y+y))
		}
	}
	return dst
}

// orientNRGBA is Orient for *image.NRGBA; for orientation 1 it returns m itself.
func orientNRGBA(m *image.NRGBA, o int) *image.NRGBA {
	if o < 2 || o > 8 {
		return m
	}
	dst := image.NewNRGBA(orientedRect(m.Rect, o))
	orientPix(dst.Pix, dst.Stride, m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], m.Stride, m.Rect.Dx(), m.Rect.Dy(), 4, o)
	return dst
}

// orientedRect is the bounds, from (0, 0), of r turned as orientation o.
func orientedRect(r image.Rectangle, o int) image.Rectangle {
	if o >= 5 {
		return image.Rect(0, 0, r.Dy(), r.Dx())
	}
	return image.Rect(0, 0, r.Dx(), r.Dy())
}

// orientPix copies the w x h pixels of bpp bytes in src (starting at the
// source's Min) to where orientation o puts them in dst.
func orientPix(dst []uint8, dstStride int, src []uint8, srcStride, w, h, bpp, o int) {
	for y := range h {
		for x := range w {
			dx, dy := orientPoint(x, y, w, h, o)
			copy(dst[dy*dstStride+dx*bpp:][:bpp], src[y*srcStride+x*bpp:][:bpp])
		}
	}
}

// orientPoint is where the pixel at (x, y) of a w x h image lands when the
// image is turned as orientation o.
func orientPoint(x, y, w, h, o int) (int, int) {
	switch o {
	case 2: // mirror horizontal
		return w - 1 - x, y
	case 3: // rotate 180
		return w - 1 - x, h - 1 - y
	case 4: // mirror vertical
		return x, h - 1 - y
	case 5: // transpose
		return y, x
	case 6: // rotate 90 clockwise: the bottom-left corner goes to the top left
		return h - 1 - y, x
	case 7: // transverse: the bottom-right corner goes to the top left
		return h - 1 - y, w - 1 - x
	case 8: // rotate 90 counter-clockwise: the top-right corner goes to the top left
		return y, w - 1 - x
	}
	return x, y
}
