package placeholder

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"testing"
)

// letters2x3 is a 2x3 image whose six pixels are told apart by name:
//
//	A B
//	C D
//	E F
func letters2x3(newImage func(image.Rectangle) image.Image, at image.Point) (image.Image, map[color.RGBA64]byte) {
	img := newImage(image.Rectangle{Min: at, Max: at.Add(image.Pt(2, 3))})
	_, gray := img.(*image.Gray)
	names := map[color.RGBA64]byte{}
	for i, letter := range []byte("ABCDEF") {
		v := uint8(40 * (i + 1))
		var c color.Color = color.NRGBA{v, 255 - v, v / 2, 255}
		if gray {
			c = color.Gray{v}
		}
		img.(draw.Image).Set(at.X+i%2, at.Y+i/2, c)
		names[color.RGBA64Model.Convert(c).(color.RGBA64)] = letter
	}
	return img, names
}

// grid spells img row by row ("AB/CD/EF") using names.
func grid(t *testing.T, img image.Image, names map[color.RGBA64]byte) string {
	t.Helper()
	b := img.Bounds()
	var rows []string
	for y := b.Min.Y; y < b.Max.Y; y++ {
		var row []byte
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBA64Model.Convert(img.At(x, y)).(color.RGBA64)
			letter, ok := names[c]
			if !ok {
				t.Fatalf("pixel (%d, %d) = %v is none of the source's", x, y, c)
			}
			row = append(row, letter)
		}
		rows = append(rows, string(row))
	}
	return strings.Join(rows, "/")
}

func TestOrient(t *testing.T) {
	// What a viewer shows for each EXIF orientation of the stored image
	// AB/CD/EF (2 wide, 3 tall), per the EXIF 2.3 definitions.
	want := map[int]string{
		1:  "AB/CD/EF", // normal
		2:  "BA/DC/FE", // mirror horizontal
		3:  "FE/DC/BA", // rotate 180
		4:  "EF/CD/AB", // mirror vertical
		5:  "ACE/BDF",  // transpose: mirror horizontal, then rotate 270 CW
		6:  "ECA/FDB",  // rotate 90 CW
		7:  "FDB/ECA",  // transverse: mirror horizontal, then rotate 90 CW
		8:  "BDF/ACE",  // rotate 90 CCW (270 CW)
		0:  "AB/CD/EF", // invalid: unchanged
		9:  "AB/CD/EF", // invalid: unchanged
		-6: "AB/CD/EF", // invalid: unchanged
	}
	types := []struct {
		name     string
		newImage func(image.Rectangle) image.Image
		at       image.Point
	}{
		{"NRGBA", func(r image.Rectangle) image.Image { return image.NewNRGBA(r) }, image.Point{}},
		{"NRGBA at an offset", func(r image.Rectangle) image.Image { return image.NewNRGBA(r) }, image.Pt(5, -3)},
		{"RGBA", func(r image.Rectangle) image.Image { return image.NewRGBA(r) }, image.Pt(1, 1)},
		{"Gray", func(r image.Rectangle) image.Image { return image.NewGray(r) }, image.Pt(2, 0)},
		{"NRGBA64 (generic)", func(r image.Rectangle) image.Image { return image.NewNRGBA64(r) }, image.Pt(-1, 7)},
		{"sub-image", func(r image.Rectangle) image.Image {
			return image.NewNRGBA(image.Rect(0, 0, 20, 20)).SubImage(r)
		}, image.Pt(3, 4)},
	}
	for _, typ := range types {
		for o := -6; o <= 9; o++ {
			w, ok := want[o]
			if !ok {
				continue
			}
			t.Run(fmt.Sprintf("%s/%d", typ.name, o), func(t *testing.T) {
				src, names := letters2x3(typ.newImage, typ.at)
				before := grid(t, src, names)
				got := Orient(src, o)
				if g := grid(t, got, names); g != w {
					t.Errorf("Orient(%d) = %s, want %s", o, g, w)
				}
				if after := grid(t, src, names); after != before {
					t.Errorf("Orient(%d) changed its input to %s", o, after)
				}
				if o >= 2 && o <= 8 && got.Bounds().Min != (image.Point{}) {
					t.Errorf("Orient(%d) bounds %v, want them from (0, 0)", o, got.Bounds())
				}
			})
		}
	}
}

func TestOrient_Unchanged(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 3))
	for _, o := range []int{1, 0, 9} {
		if got := Orient(img, o); got != image.Image(img) {
			t.Errorf("Orient(img, %d) is a new image, want img itself", o)
		}
	}
}
