package placeholder

import (
	"bytes"
	"image/jpeg"
	"sync"
	"testing"
)

// photo12MP is a 4000x3000 JPEG (quality 90, 4:2:0) of a noisy gradient,
// made once: encoding it takes about a second.
var photo12MP = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, noisyGradient(4000, 3000, 24, false), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// BenchmarkGenerate12MPJPEG is the whole of Generate on a 12-megapixel photo;
// decoding dominates (see BenchmarkDownscale12MPYCbCr for the rest).
func BenchmarkGenerate12MPJPEG(b *testing.B) {
	data := photo12MP()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(bytes.NewReader(data), "jpg", 6); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDownscale12MPYCbCr is the area average alone, on the decoded photo.
func BenchmarkDownscale12MPYCbCr(b *testing.B) {
	img, err := jpeg.Decode(bytes.NewReader(photo12MP()))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		downscale(img, 16, false)
	}
}
