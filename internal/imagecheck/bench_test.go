package imagecheck

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkInspect measures Inspect on a 12 MP camera-like JPEG and a ~20 MiB
// PNG held in memory; MB/s is the figure to compare with disk-copy speed.
func BenchmarkInspect(b *testing.B) {
	b.Run("jpeg-12MP-q90", func(b *testing.B) {
		benchInspect(b, encodeJPEG(b, noisyGradient(4000, 3000, 24), 90))
	})
	b.Run("png-20MiB", func(b *testing.B) {
		// RGB noise barely compresses: 2700x2600x3 is about 20 MiB.
		img := image.NewRGBA(image.Rect(0, 0, 2700, 2600))
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range img.Pix {
			if i%4 == 3 {
				img.Pix[i] = 255
			} else {
				img.Pix[i] = uint8(rng.Uint32())
			}
		}
		var buf bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
			b.Fatal(err)
		}
		benchInspect(b, buf.Bytes())
	})
	b.Run("jpeg-12MP-q90-osfile", func(b *testing.B) {
		// The same through *os.File (page cache), as uploads are spooled.
		data := encodeJPEG(b, noisyGradient(4000, 3000, 24), 90)
		path := filepath.Join(b.TempDir(), "big.jpg")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		benchInspectReader(b, f, int64(len(data)))
	})
	// Worst cases a forger can build cheaply: the scanners' cost per byte
	// when every structure is as small as the format allows.
	const worst = 20 << 20
	b.Run("worst-jpeg-ff00", func(b *testing.B) {
		jpg := encodeJPEG(b, noisyGradient(8, 8, 0), 75)
		sos := bytes.Index(jpg, []byte{0xFF, 0xDA})
		data := append(bytes.Clone(jpg[:sos+14]), bytes.Repeat([]byte{0xFF, 0x00}, worst/2)...)
		benchInspect(b, append(data, 0xFF, 0xD9))
	})
	b.Run("worst-png-empty-chunks", func(b *testing.B) {
		png := encodePNG(b, noisyGradient(8, 8, 0))
		data := append(bytes.Clone(png[:33]), bytes.Repeat(pngChunk("teXt", nil), worst/12)...)
		benchInspect(b, append(data, png[33:]...))
	})
	b.Run("worst-gif-1-byte-blocks", func(b *testing.B) {
		g := encodeGIF(b, 8, 8)
		ext := append([]byte{0x21, 0xFE}, bytes.Repeat([]byte{1, 'x'}, worst/2)...)
		data := append(bytes.Clone(g[:len(g)-1]), append(ext, 0, 0x3B)...)
		benchInspect(b, data)
	})
}

func benchInspect(b *testing.B, data []byte) {
	benchInspectReader(b, bytes.NewReader(data), int64(len(data)))
}

func benchInspectReader(b *testing.B, r io.ReaderAt, size int64) {
	if _, err := Inspect(r, size, 100_000_000); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Inspect(r, size, 100_000_000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)/(1<<20), "MiB/file")
}
