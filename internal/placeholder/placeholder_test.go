package placeholder

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"math"
	"strings"
	"testing"
)

func TestGenerate_EveryFormatGivesSmallDataURI(t *testing.T) {
	src := quadrants(300, 100)
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			data := encodeAs(t, format, "quadrants300x100", src)
			preview, _ := generate(t, data, format, 1)
			if b := preview.Bounds(); b.Dx() != 16 || (b.Dy() != 5 && b.Dy() != 6) {
				t.Errorf("preview of 300x100 is %dx%d, want 16x5 or 16x6", b.Dx(), b.Dy())
			}
		})
	}
}

func TestGenerate_KeepsAspectRatio(t *testing.T) {
	tests := []struct {
		name   string
		w, h   int
		want   []image.Point // acceptable preview sizes
		orient int
	}{
		{"landscape 3:1", 300, 100, []image.Point{{16, 5}, {16, 6}}, 1},
		{"portrait 1:3", 100, 300, []image.Point{{5, 16}, {6, 16}}, 1},
		{"square", 250, 250, []image.Point{{16, 16}}, 1},
		{"4:3 photo", 400, 300, []image.Point{{16, 12}}, 1},
		{"very wide keeps 1 px", 1000, 10, []image.Point{{16, 1}}, 1},
		{"very tall keeps 1 px", 3, 900, []image.Point{{1, 16}}, 1},
		{"small is not enlarged", 10, 4, []image.Point{{10, 4}}, 1},
		{"single pixel", 1, 1, []image.Point{{1, 1}}, 1},
		{"orientation 6 turns landscape to portrait", 300, 100, []image.Point{{5, 16}, {6, 16}}, 6},
		{"orientation 8 turns portrait to landscape", 100, 300, []image.Point{{16, 5}, {16, 6}}, 8},
		{"orientation 3 keeps landscape", 300, 100, []image.Point{{16, 5}, {16, 6}}, 3},
	}
	for _, tt := range tests {
		for _, format := range []string{"png", "jpg"} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				src := noisyGradient(tt.w, tt.h, 10, false)
				data := encodeAs(t, format, fmt.Sprintf("gradient%dx%d", tt.w, tt.h), src)
				preview, _ := generate(t, data, format, tt.orient)
				got := preview.Bounds().Size()
				for _, w := range tt.want {
					if got == w {
						return
					}
				}
				t.Errorf("preview of %dx%d (orientation %d) is %v, want one of %v", tt.w, tt.h, tt.orient, got, tt.want)
			})
		}
	}
}

// corners reads the colours at the four corners of a preview as the nearest
// of the quadrant colours: top left, top right, bottom left, bottom right.
func corners(img image.Image) [4]string {
	b := img.Bounds()
	w, h := b.Dx()-1, b.Dy()-1
	return [4]string{nearest(at(img, 0, 0)), nearest(at(img, w, 0)), nearest(at(img, 0, h)), nearest(at(img, w, h))}
}

func TestGenerate_AppliesOrientation(t *testing.T) {
	// The source has red top left, green top right, blue bottom left and
	// yellow bottom right; want is where a viewer shows them (TL, TR, BL, BR).
	tests := []struct {
		orientation int
		portrait    bool
		want        [4]string
	}{
		{1, false, [4]string{"red", "green", "blue", "yellow"}},
		{2, false, [4]string{"green", "red", "yellow", "blue"}},  // mirror horizontal
		{3, false, [4]string{"yellow", "blue", "green", "red"}},  // rotate 180
		{4, false, [4]string{"blue", "yellow", "red", "green"}},  // mirror vertical
		{5, true, [4]string{"red", "blue", "green", "yellow"}},   // transpose
		{6, true, [4]string{"blue", "red", "yellow", "green"}},   // rotate 90 CW
		{7, true, [4]string{"yellow", "green", "blue", "red"}},   // transverse
		{8, true, [4]string{"green", "yellow", "red", "blue"}},   // rotate 90 CCW
		{0, false, [4]string{"red", "green", "blue", "yellow"}},  // invalid: as 1
		{42, false, [4]string{"red", "green", "blue", "yellow"}}, // invalid: as 1
	}
	src := quadrants(300, 100)
	for _, tt := range tests {
		for _, format := range []string{"png", "jpg"} {
			t.Run(fmt.Sprintf("%d/%s", tt.orientation, format), func(t *testing.T) {
				preview, _ := generate(t, encodeAs(t, format, "quadrants300x100", src), format, tt.orientation)
				b := preview.Bounds()
				if portrait := b.Dy() > b.Dx(); portrait != tt.portrait {
					t.Errorf("preview is %dx%d, want portrait=%v", b.Dx(), b.Dy(), tt.portrait)
				}
				if got := corners(preview); got != tt.want {
					t.Errorf("corners (TL, TR, BL, BR) = %v, want %v", got, tt.want)
				}
			})
		}
	}
}

func TestGenerate_Orientation6GivesPortraitForEveryFormat(t *testing.T) {
	src := quadrants(300, 100)
	want := [4]string{"blue", "red", "yellow", "green"}
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			preview, _ := generate(t, encodeAs(t, format, "quadrants300x100", src), format, 6)
			if b := preview.Bounds(); b.Dy() != 16 || (b.Dx() != 5 && b.Dx() != 6) {
				t.Errorf("preview of 300x100 at orientation 6 is %dx%d, want 5x16 or 6x16", b.Dx(), b.Dy())
			}
			if got := corners(preview); got != want {
				t.Errorf("corners (TL, TR, BL, BR) = %v, want %v", got, want)
			}
		})
	}
}

func TestGenerate_KeepsAverageColour(t *testing.T) {
	sources := []struct {
		name string
		img  *image.NRGBA
	}{
		{"solid red", solid(120, 80, red)},
		{"solid teal", solid(120, 80, color.NRGBA{30, 140, 160, 255})},
		{"quadrants", quadrants(300, 100)},
		{"gradient", noisyGradient(200, 150, 0, false)},
	}
	for _, s := range sources {
		for _, format := range formats {
			if format == "gif" && s.name == "gradient" {
				continue // more than 256 colours
			}
			t.Run(s.name+"/"+format, func(t *testing.T) {
				preview, _ := generate(t, encodeAs(t, format, s.name, s.img), format, 1)
				got, want := mean(preview), mean(s.img)
				for c := range 3 {
					if math.Abs(got[c]-want[c]) > 12 {
						t.Fatalf("average colour %.0f, source's %.0f", got, want)
					}
				}
			})
		}
	}
}

func TestGenerate_SolidRedGivesRedPreview(t *testing.T) {
	src := solid(300, 100, red)
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			preview, _ := generate(t, encodeAs(t, format, "solid red", src), format, 6)
			b := preview.Bounds()
			for y := range b.Dy() {
				for x := range b.Dx() {
					if c := at(preview, x, y); !near(c, red, 12) {
						t.Fatalf("pixel (%d, %d) is %v, want red", x, y, c)
					}
				}
			}
		})
	}
}

func TestGenerate_KeepsTransparency(t *testing.T) {
	src := halfClear(200, 100)
	for _, format := range []string{"png", "gif", "webp", "webp-lossless", "avif"} {
		t.Run(format, func(t *testing.T) {
			decodeAs := strings.TrimSuffix(format, "-lossless")
			preview, mime := generate(t, encodeAs(t, format, "half clear", src), decodeAs, 1)
			if mime != "png" {
				t.Fatalf("translucent preview is %s, want png", mime)
			}
			b := preview.Bounds()
			if b.Dx() != 16 || b.Dy() != 8 {
				t.Fatalf("preview is %dx%d, want 16x8", b.Dx(), b.Dy())
			}
			for y := range b.Dy() {
				if c := at(preview, 0, y); !near(c, green, 16) {
					t.Errorf("left pixel of row %d is %v, want opaque green", y, c)
				}
				if c := at(preview, b.Dx()-1, y); c.A > 16 {
					t.Errorf("right pixel of row %d is %v, want transparent", y, c)
				}
			}
		})
	}
}

func TestGenerate_OpaqueSourceGivesOpaquePreview(t *testing.T) {
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			preview, _ := generate(t, encodeAs(t, format, "quadrants300x100", quadrants(300, 100)), format, 1)
			if o, ok := preview.(interface{ Opaque() bool }); !ok || !o.Opaque() {
				t.Errorf("preview of an opaque source is not opaque (%T)", preview)
			}
		})
	}
}

func TestGenerate_GIFFirstFrameOnItsScreen(t *testing.T) {
	// A 300x100 screen whose first frame covers only its left half; the
	// second frame (which covers the rest) must not be shown.
	pal := color.Palette{red, blue}
	left := image.NewPaletted(image.Rect(0, 0, 150, 100), pal)
	right := image.NewPaletted(image.Rect(150, 0, 300, 100), pal)
	for i := range right.Pix {
		right.Pix[i] = 1
	}
	var buf bytes.Buffer
	g := &gif.GIF{
		Image:  []*image.Paletted{left, right},
		Delay:  []int{10, 10},
		Config: image.Config{ColorModel: pal, Width: 300, Height: 100},
	}
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	preview, _ := generate(t, buf.Bytes(), "gif", 1)
	b := preview.Bounds()
	if b.Dx() != 16 || (b.Dy() != 5 && b.Dy() != 6) {
		t.Fatalf("preview is %dx%d, want the screen's aspect ratio (16x5 or 16x6)", b.Dx(), b.Dy())
	}
	if c := at(preview, 0, 0); !near(c, red, 8) {
		t.Errorf("left of preview is %v, want the first frame's red", c)
	}
	if c := at(preview, b.Dx()-1, 0); c.A > 8 {
		t.Errorf("right of preview is %v, want transparent screen", c)
	}
}

func TestGenerate_StaysUnder1KiBForHardInputs(t *testing.T) {
	// Noise does not compress: a 16 px preview of it can be over 1 KiB, so
	// Generate has to fall back to a smaller one, still keeping the shape.
	tests := []struct {
		name string
		img  *image.NRGBA
		ok   func(image.Point) bool
	}{
		{"noise", noisyGradient(64, 64, 127, false), square},
		{"noise with noisy alpha", noisyGradient(64, 64, 127, true), square},
		{"tall noise with noisy alpha", noisyGradient(20, 300, 127, true), func(p image.Point) bool { return p.X == 1 && p.Y >= 4 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			preview, mime := generate(t, encodeAs(t, "png", tt.name, tt.img), "png", 1)
			if got := preview.Bounds().Size(); !tt.ok(got) {
				t.Errorf("preview is %v, aspect ratio lost", got)
			}
			if !tt.img.Opaque() && mime != "png" {
				t.Errorf("translucent source gave a %s preview, want png", mime)
			}
		})
	}
}

func square(p image.Point) bool { return p.X == p.Y && p.X >= 4 }

func TestGenerate_RejectsGarbage(t *testing.T) {
	valid := encodeAs(t, "png", "quadrants300x100", quadrants(300, 100))
	inputs := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"text", []byte("this is not an image, just some text that goes on for a while")},
		{"zeros", make([]byte, 4096)},
		{"truncated png", valid[:len(valid)/2]},
	}
	for _, in := range inputs {
		for _, format := range formats {
			t.Run(in.name+"/"+format, func(t *testing.T) {
				uri, err := Generate(bytes.NewReader(in.data), format, 1)
				if err == nil {
					t.Fatalf("Generate succeeded with %.30q, want an error", uri)
				}
				if uri != "" {
					t.Errorf("Generate returned %.30q with error %v", uri, err)
				}
			})
		}
	}
}

func TestGenerate_RejectsUnknownFormat(t *testing.T) {
	valid := encodeAs(t, "png", "quadrants300x100", quadrants(300, 100))
	for _, format := range []string{"", "bmp", "tiff", "svg", "PNG", "image/png"} {
		t.Run(format, func(t *testing.T) {
			_, err := Generate(bytes.NewReader(valid), format, 1)
			if !errors.Is(err, errUnknownFormat) {
				t.Fatalf("Generate(format %q) error = %v, want unknown format", format, err)
			}
		})
	}
}

// failingReader fails after handing out part of a valid file.
type failingReader struct{ data []byte }

var errDisk = errors.New("disk on fire")

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, errDisk
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestGenerate_PassesOnReadErrors(t *testing.T) {
	valid := encodeAs(t, "jpg", "quadrants300x100", quadrants(300, 100))
	_, err := Generate(&failingReader{valid[:len(valid)/2]}, "jpg", 1)
	if !errors.Is(err, errDisk) {
		t.Fatalf("error = %v, want it to wrap the reader's error", err)
	}
}
