package rendition

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"

	"github.com/gen2brain/avif"
	"github.com/gen2brain/webp"

	"github.com/mediagraph/mediagraph/internal/media"
)

// pngOf encodes m as PNG.
func pngOf(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// flat is a w x h image of one colour.
func flat(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		copy(m.Pix[i:], []uint8{c.R, c.G, c.B, c.A})
	}
	return m
}

// render renders t of the PNG and decodes the result.
func render(t testing.TB, data []byte, w, h int, tr media.Transform) image.Image {
	t.Helper()
	var out bytes.Buffer
	if err := Render(&out, bytes.NewReader(data), Source{Format: "png", Width: w, Height: h, Orientation: 1}, tr); err != nil {
		t.Fatalf("Render(%+v): %v", tr, err)
	}
	var m image.Image
	var err error
	switch tr.Format {
	case media.FormatWebP:
		m, err = webp.Decode(&out)
	case media.FormatAVIF:
		m, err = avif.Decode(&out)
	default:
		m, _, err = image.Decode(&out)
	}
	if err != nil {
		t.Fatalf("decode rendition %+v: %v", tr, err)
	}
	return m
}

func TestRender_CropModesGiveTheirSizes(t *testing.T) {
	src := pngOf(t, flat(400, 200, color.NRGBA{200, 30, 30, 255}))
	cases := []struct {
		name         string
		tr           media.Transform
		wantW, wantH int
	}{
		{"fill", media.Transform{Width: 100, Height: 100, Crop: media.CropFill}, 100, 100},
		{"fill auto", media.Transform{Width: 150, Height: 50, Crop: media.CropFill, Gravity: media.GravityAuto}, 150, 50},
		{"fill center", media.Transform{Width: 50, Height: 150, Crop: media.CropFill, Gravity: media.GravityCenter}, 50, 150},
		{"fill face", media.Transform{Width: 120, Height: 80, Crop: media.CropFill, Gravity: media.GravityFace}, 120, 80},
		{"pad ignores gravity", media.Transform{Width: 90, Height: 90, Crop: media.CropPad, Gravity: media.GravityAuto}, 90, 90},
		{"fill upscales", media.Transform{Width: 800, Height: 800, Crop: media.CropFill}, 800, 800},
		{"fit", media.Transform{Width: 100, Height: 100, Crop: media.CropFit}, 100, 50},
		{"fit upscales", media.Transform{Width: 800, Height: 800, Crop: media.CropFit}, 800, 400},
		{"limit", media.Transform{Width: 100, Height: 100, Crop: media.CropLimit}, 100, 50},
		{"limit never upscales", media.Transform{Width: 800, Height: 800, Crop: media.CropLimit}, 400, 200},
		{"pad", media.Transform{Width: 100, Height: 100, Crop: media.CropPad}, 100, 100},
		{"scale", media.Transform{Width: 100, Height: 100, Crop: media.CropScale}, 100, 100},
		{"width only", media.Transform{Width: 100, Crop: media.CropFill}, 100, 50},
		{"height only", media.Transform{Height: 50, Crop: media.CropScale}, 100, 50},
		{"limit width only", media.Transform{Width: 1000, Crop: media.CropLimit}, 400, 200},
		{"neither", media.Transform{Crop: media.CropFill}, 400, 200},
		{"source crop", media.Transform{Crop: media.CropFill, Source: &media.Crop{X: 10, Y: 20, Width: 30, Height: 40}}, 30, 40},
	}
	for _, c := range cases {
		// Every format for a few cases; the sizes are the same code for all.
		formats := []media.Format{media.FormatPNG}
		if c.name == "fill" || c.name == "pad" || c.name == "width only" {
			formats = append(formats, media.FormatJPG, media.FormatWebP, media.FormatAVIF)
		}
		for _, f := range formats {
			t.Run(c.name+"/"+string(f), func(t *testing.T) {
				tr := c.tr
				tr.Format = f
				got := render(t, src, 400, 200, tr).Bounds()
				if got.Dx() != c.wantW || got.Dy() != c.wantH {
					t.Fatalf("%+v: got %dx%d, want %dx%d", tr, got.Dx(), got.Dy(), c.wantW, c.wantH)
				}
			})
		}
	}
	// A side that follows the ratio stops at 4096, the other shrinking with it.
	tall := pngOf(t, flat(20, 400, color.NRGBA{0, 0, 0, 255}))
	if got := render(t, tall, 20, 400, media.Transform{Width: 400, Crop: media.CropFit, Format: media.FormatPNG}).Bounds(); got.Dx() != 205 || got.Dy() != 4096 {
		t.Errorf("400 wide from 20x400: %v, want 205x4096", got)
	}
}

func TestRender_PadCentresOnTransparentOrWhite(t *testing.T) {
	src := pngOf(t, flat(400, 200, color.NRGBA{0, 0, 255, 255}))
	m := render(t, src, 400, 200, media.Transform{Width: 100, Height: 100, Crop: media.CropPad, Format: media.FormatPNG})
	if _, _, _, a := m.At(50, 5).RGBA(); a != 0 {
		t.Errorf("PNG pad margin alpha %d, want transparent", a)
	}
	if r, g, b, a := m.At(50, 50).RGBA(); b>>8 < 240 || r>>8 > 15 || g>>8 > 15 || a != 0xffff {
		t.Errorf("PNG pad centre = %d,%d,%d,%d, want the image's blue", r>>8, g>>8, b>>8, a>>8)
	}
	j := render(t, src, 400, 200, media.Transform{Width: 100, Height: 100, Crop: media.CropPad, Format: media.FormatJPG})
	if r, g, b, _ := j.At(50, 5).RGBA(); r>>8 < 245 || g>>8 < 245 || b>>8 < 245 {
		t.Errorf("JPEG pad margin = %d,%d,%d, want white", r>>8, g>>8, b>>8)
	}
}

// detailRight is a flat grey 600x200 image with noise in its right 150
// pixels only.
func detailRight() *image.NRGBA {
	m := flat(600, 200, color.NRGBA{128, 128, 128, 255})
	r := rand.New(rand.NewPCG(1, 2))
	for y := range 200 {
		for x := 450; x < 600; x++ {
			v := uint8(r.IntN(256))
			m.SetNRGBA(x, y, color.NRGBA{v, 255 - v, v / 2, 255})
		}
	}
	return m
}

// spread is the standard deviation of the green channel: flat grey is 0, the
// noise far more.
func spread(m image.Image) float64 {
	b := m.Bounds()
	var sum, sq, n float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			_, g, _, _ := m.At(x, y).RGBA()
			v := float64(g >> 8)
			sum, sq, n = sum+v, sq+v*v, n+1
		}
	}
	mean := sum / n
	return sq/n - mean*mean
}

func TestRender_AutoGravityKeepsOffCentreDetail(t *testing.T) {
	src := pngOf(t, detailRight())
	for _, g := range []media.Gravity{media.GravityAuto, media.GravityFace} {
		auto := render(t, src, 600, 200, media.Transform{Width: 100, Height: 100, Crop: media.CropFill, Gravity: g, Format: media.FormatPNG})
		if v := spread(auto); v < 100 {
			t.Errorf("%s kept a flat part (variance %.0f): the detail on the right was cropped away", g, v)
		}
		// The right quarter of the window, at least, is detail.
		if v := spread(auto.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(75, 0, 100, 100))); v < 100 {
			t.Errorf("%s: the window's right edge is flat (variance %.0f)", g, v)
		}
	}
	centre := render(t, src, 600, 200, media.Transform{Width: 100, Height: 100, Crop: media.CropFill, Gravity: media.GravityCenter, Format: media.FormatPNG})
	if v := spread(centre); v > 1 {
		t.Errorf("CENTER kept detail (variance %.0f); the test image is wrong", v)
	}
}

func TestRender_AutoGravityOnFlatImageCentres(t *testing.T) {
	// Left third red, middle green, right blue: all equally flat inside, so
	// the edges between them decide nothing either way but the centre wins.
	m := flat(300, 100, color.NRGBA{0, 200, 0, 255})
	src := pngOf(t, m)
	got := render(t, src, 300, 100, media.Transform{Width: 100, Height: 100, Crop: media.CropFill, Gravity: media.GravityAuto, Format: media.FormatPNG})
	if _, g, _, _ := got.At(50, 50).RGBA(); g>>8 < 190 {
		t.Errorf("centre pixel green %d", g>>8)
	}
}

func TestRender_SourceCropComesFirst(t *testing.T) {
	// A red image with a blue square at (60,20)-(100,60): cropping to the
	// square and filling 32x32 gives blue only.
	m := flat(160, 80, color.NRGBA{255, 0, 0, 255})
	for y := 20; y < 60; y++ {
		for x := 60; x < 100; x++ {
			m.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
		}
	}
	got := render(t, pngOf(t, m), 160, 80, media.Transform{Width: 32, Height: 32, Crop: media.CropFill, Gravity: media.GravityAuto,
		Format: media.FormatPNG, Source: &media.Crop{X: 60, Y: 20, Width: 40, Height: 40}})
	for _, p := range []image.Point{{0, 0}, {31, 0}, {0, 31}, {31, 31}, {16, 16}} {
		if r, _, b, _ := got.At(p.X, p.Y).RGBA(); r>>8 > 10 || b>>8 < 245 {
			t.Errorf("pixel %v = r%d b%d, want blue", p, r>>8, b>>8)
		}
	}
}

func TestRender_RefusesAutoFormat(t *testing.T) {
	var out bytes.Buffer
	err := Render(&out, bytes.NewReader(pngOf(t, flat(4, 4, color.NRGBA{A: 255}))), Source{Format: "png", Width: 4, Height: 4, Orientation: 1},
		media.Transform{Width: 2, Format: media.FormatAuto})
	if err == nil {
		t.Fatal("AUTO rendered")
	}
}
