package rendition

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"runtime"
	"testing"

	"github.com/mediagraph/mediagraph/internal/media"
)

// TestRender_LargeJPEGShrinksOnLoad renders a 200x200 FILL from a 4000x3000
// JPEG and checks that the original never existed at full size: its 4:2:0
// decode alone would take 18 MB, the 1/8-scale one under 0.3 MB.
func TestRender_LargeJPEGShrinksOnLoad(t *testing.T) {
	src := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = uint8(i % 251)
	}
	var in bytes.Buffer
	if err := jpeg.Encode(&in, src, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	tr := media.Transform{Width: 200, Height: 200, Crop: media.CropFill, Gravity: media.GravityCenter, Format: media.FormatJPG}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var out bytes.Buffer
	if err := Render(&out, bytes.NewReader(in.Bytes()), Source{Format: "jpg", Width: 4000, Height: 3000, Orientation: 1}, tr); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 6<<20 {
		t.Errorf("rendering allocated %d bytes; a decode at full size allocates 18 MB", got)
	}
	m, err := jpeg.Decode(&out)
	if err != nil {
		t.Fatal(err)
	}
	if b := m.Bounds(); b.Dx() != 200 || b.Dy() != 200 {
		t.Errorf("rendition is %v, want 200x200", b)
	}
	// The rendition still shows the source: mid-grey on average, not black.
	var sum int
	for y := 0; y < 200; y++ {
		for x := 0; x < 200; x++ {
			sum += int(color.GrayModel.Convert(m.At(x, y)).(color.Gray).Y)
		}
	}
	if mean := sum / (200 * 200); mean < 100 || mean > 150 {
		t.Errorf("mean grey %d, want about 125", mean)
	}
}
