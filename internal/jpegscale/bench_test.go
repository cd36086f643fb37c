package jpegscale

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"sync"
	"testing"
	"time"

	xdraw "golang.org/x/image/draw"
)

// photo12MP is a 4000x3000 photo-like JPEG (smooth gradients, a soft disc and
// noise; quality 85, 4:2:0 as image/jpeg writes), made once: generating and
// encoding it takes a few seconds.
var photo12MP = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photo(4000, 3000, 12, 12), &jpeg.Options{Quality: 85}); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// BenchmarkDecode12MP decodes the 12-megapixel photo with image/jpeg and with
// this package at each scale.
func BenchmarkDecode12MP(b *testing.B) {
	data := photo12MP()
	b.Run("image-jpeg", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, s := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("1:%d", s), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := decodeAt(bytes.NewReader(data), s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// reportCPU starts measuring the process's CPU time; the function it returns
// reports it per operation as cpu-ms/op. Call it after any set-up.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkRendition200 is the work of `vipsthumbnail x.jpg -s 200x200
// --smartcrop centre` on the 12-megapixel photo, for comparison with it (see
// BENCHMARKS.md): decode at the smallest scale still covering 200x200, cut the
// centre square, resize it to 200x200 (Catmull-Rom) and encode it as JPEG.
func BenchmarkRendition200(b *testing.B) {
	data := photo12MP()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		img, err := Decode(bytes.NewReader(data), 200, 200)
		if err != nil {
			b.Fatal(err)
		}
		r := img.Bounds()
		side := min(r.Dx(), r.Dy())
		sq := image.Rect(0, 0, side, side).Add(image.Pt((r.Dx()-side)/2, (r.Dy()-side)/2))
		dst := image.NewRGBA(image.Rect(0, 0, 200, 200))
		xdraw.CatmullRom.Scale(dst, dst.Rect, img, sq, xdraw.Src, nil)
		if err := jpeg.Encode(io.Discard, dst, &jpeg.Options{Quality: 75}); err != nil {
			b.Fatal(err)
		}
	}
}
