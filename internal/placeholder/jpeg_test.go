package placeholder

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"runtime"
	"testing"
)

// TestGenerate_JPEGPreviewIsAsFromFullDecode checks that decoding JPEGs at a
// reduced DCT scale changes neither the preview's size nor, beyond a few
// levels, its colours: the preview of each source is compared with the one
// made the old way, from image/jpeg's full decode. The sizes are chosen so
// that the scaled image's size (rounded up) would round the aspect ratio
// differently from the file's.
func TestGenerate_JPEGPreviewIsAsFromFullDecode(t *testing.T) {
	for _, sz := range [][2]int{
		{1, 1}, {7, 3}, {16, 16}, {17, 9}, {129, 7}, {203, 157}, {37, 2001},
		{4001, 3}, {1000, 31}, {1000, 32}, {1000, 33}, {257, 193}, {640, 480},
	} {
		w, h := sz[0], sz[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			data := encodeAs(t, "jpg", fmt.Sprintf("gradient%dx%d", w, h), noisyGradient(w, h, 10, false))
			full, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			want := downscale(full, 16, false)
			got, _ := generate(t, data, "jpg", 1)
			if got.Bounds() != want.Bounds() {
				t.Fatalf("preview %v, from a full decode %v", got.Bounds(), want.Bounds())
			}
			// The preview is itself a JPEG (quality 60) or PNG: compare means.
			gm, wm := mean(got), mean(want)
			for c := range 3 {
				if d := gm[c] - wm[c]; d > 4 || d < -4 {
					t.Errorf("mean colour %.1f, from a full decode %.1f", gm, wm)
				}
			}
		})
	}
}

// TestGenerate_JPEGIsNotDecodedWhole shows the reduced-scale decode at work:
// a 2000x1500 JPEG decoded whole allocates 4.5 MB of planes (12 MP: 18 MB);
// decoded at 1/8 it needs 250x188 pixels, about 70 KB. The rest of Generate
// allocates about 0.9 MB (mostly the PNG encoder's compressor), so Generate
// took 5.3 MB before and 1.0 MB now; the bound sits between, with room.
func TestGenerate_JPEGIsNotDecodedWhole(t *testing.T) {
	data := encodeAs(t, "jpg", "gradient2000x1500", noisyGradient(2000, 1500, 10, false))
	generate(t, data, "jpg", 1) // warm up: encoders' tables and the like
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	generate(t, data, "jpg", 1)
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 2500<<10 {
		t.Errorf("Generate allocated %d KB for a 2000x1500 JPEG, more than 2500 KB: is it decoded whole?", n>>10)
	}
}
