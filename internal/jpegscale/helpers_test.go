package jpegscale

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// plane is one channel of a decoded image: w x h samples, sample (x, y) at
// pix[y*stride+x*step].
type plane struct {
	name         string
	pix          []byte
	stride, step int
	w, h         int
}

func (p plane) at(x, y int) int { return int(p.pix[y*p.stride+x*p.step]) }

// planes splits img, one of the decoder's output types starting at (0, 0),
// into its channels as stored.
func planes(t testing.TB, img image.Image) []plane {
	t.Helper()
	switch m := img.(type) {
	case *image.Gray:
		return []plane{{"gray", m.Pix, m.Stride, 1, m.Rect.Dx(), m.Rect.Dy()}}
	case *image.YCbCr:
		// The chroma planes' size follows from the subsampling, as
		// image.YCbCr.COffset computes it.
		cr := m.Rect
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio422:
			cr = image.Rect(0, 0, (cr.Max.X+1)/2, cr.Max.Y)
		case image.YCbCrSubsampleRatio420:
			cr = image.Rect(0, 0, (cr.Max.X+1)/2, (cr.Max.Y+1)/2)
		case image.YCbCrSubsampleRatio440:
			cr = image.Rect(0, 0, cr.Max.X, (cr.Max.Y+1)/2)
		case image.YCbCrSubsampleRatio411:
			cr = image.Rect(0, 0, (cr.Max.X+3)/4, cr.Max.Y)
		case image.YCbCrSubsampleRatio410:
			cr = image.Rect(0, 0, (cr.Max.X+3)/4, (cr.Max.Y+1)/2)
		}
		return []plane{
			{"Y", m.Y, m.YStride, 1, m.Rect.Dx(), m.Rect.Dy()},
			{"Cb", m.Cb, m.CStride, 1, cr.Dx(), cr.Dy()},
			{"Cr", m.Cr, m.CStride, 1, cr.Dx(), cr.Dy()},
		}
	case *image.CMYK:
		var ps []plane
		for i, n := range []string{"C", "M", "Y", "K"} {
			ps = append(ps, plane{n, m.Pix[i:], m.Stride, 4, m.Rect.Dx(), m.Rect.Dy()})
		}
		return ps
	case *image.RGBA:
		var ps []plane
		for i, n := range []string{"R", "G", "B"} {
			ps = append(ps, plane{n, m.Pix[i:], m.Stride, 4, m.Rect.Dx(), m.Rect.Dy()})
		}
		return ps
	}
	t.Fatalf("unexpected image type %T", img)
	return nil
}

// boxDown is p shrunk by s as a box filter does: each output sample is the
// mean of the s x s input samples it covers, fewer at the right and bottom
// edges when the size is not a multiple of s. The size is p's divided by s,
// rounded up.
func boxDown(p plane, s int) [][]float64 {
	w, h := (p.w+s-1)/s, (p.h+s-1)/s
	out := make([][]float64, h)
	for y := range h {
		out[y] = make([]float64, w)
		for x := range w {
			sum, n := 0, 0
			for yy := y * s; yy < min(y*s+s, p.h); yy++ {
				for xx := x * s; xx < min(x*s+s, p.w); xx++ {
					sum += p.at(xx, yy)
					n++
				}
			}
			out[y][x] = float64(sum) / float64(n)
		}
	}
	return out
}

// readTestdata returns the named file of testdata/.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testdataJPEGs lists the JPEG files in testdata/ (copied from Go's
// src/image/testdata).
func testdataJPEGs(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".jpeg") {
			names = append(names, e.Name())
		}
	}
	return names
}

// photo is a w x h picture with the statistics of a photo rather than of a
// test pattern: smooth gradients, a few soft shapes, and noise.
func photo(w, h int, seed uint64, noise int) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r := 40 + 180*fx
			g := 60 + 150*fy
			b := 200 - 120*fx*fy
			// A soft disc, for edges that are not axis-aligned.
			if dx, dy := fx-0.6, fy-0.4; dx*dx+dy*dy < 0.04 {
				r, g, b = 230, 200, 60
			}
			n := func() float64 { return float64(rng.IntN(2*noise+1) - noise) }
			img.SetRGBA(x, y, color.RGBA{clampByte(r + n()), clampByte(g + n()), clampByte(b + n()), 255})
		}
	}
	return img
}

func clampByte(v float64) uint8 { return uint8(min(max(v, 0), 255)) }

// gray is img's luma as an *image.Gray, so that image/jpeg writes a
// one-component file.
func gray(img image.Image) *image.Gray {
	r := img.Bounds()
	g := image.NewGray(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			g.Set(x, y, img.At(x, y))
		}
	}
	return g
}

// encode is img as a JPEG written by image/jpeg (4:2:0 for colour, one
// component for gray) at the given quality.
func encode(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
