package imagecheck

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"
)

// rawPNG builds a PNG from image data it compresses itself, so that tests
// can write what Go's encoder never does: interlaced images, bad filter
// bytes, too much or too little data. The chunk CRCs are always right.
func rawPNG(w, h uint32, depth, colorType, interlace byte, data []byte, idatSplit int) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(data)
	_ = zw.Close()
	hdr := binary.BigEndian.AppendUint32(nil, w)
	hdr = binary.BigEndian.AppendUint32(hdr, h)
	out := append(bytes.Clone(pngSignature), pngChunk("IHDR", append(hdr, depth, colorType, 0, 0, interlace))...)
	if colorType == pngPalette {
		out = append(out, pngChunk("PLTE", make([]byte, 3<<depth))...)
	}
	zs := z.Bytes()
	for len(zs) > 0 {
		n := min(len(zs), max(idatSplit, 1))
		out = append(out, pngChunk("IDAT", zs[:n])...)
		zs = zs[n:]
	}
	return append(out, pngChunk("IEND", nil)...)
}

// imageData is valid image data for the rows: filter bytes 0..4, random pixels.
func imageData(rng *rand.Rand, rows []pngRowRun) []byte {
	var out []byte
	for _, r := range rows {
		for range r.count {
			row := make([]byte, r.stride)
			row[0] = byte(rng.IntN(5))
			for i := 1; i < len(row); i++ {
				row[i] = byte(rng.IntN(256))
			}
			out = append(out, row...)
		}
	}
	return out
}

// TestInspect_PNGDataAgreesWithDecoder checks that Inspect accepts exactly
// the image data Go's decoder decodes, across sizes, colour types, bit
// depths and interlacing, for data that is right, short, long or badly
// filtered.
func TestInspect_PNGDataAgreesWithDecoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := []struct{ colorType, depth byte }{
		{pngGray, 1}, {pngGray, 4}, {pngGray, 16}, {pngRGB, 8}, {pngPalette, 2}, {pngPalette, 8}, {pngGrayAlpha, 8}, {pngRGBA, 16},
	}
	sizes := [][2]uint32{{1, 1}, {3, 5}, {9, 9}, {33, 17}, {2, 70}}
	for _, k := range kinds {
		for _, sz := range sizes {
			for _, interlace := range []byte{0, 1} {
				rows := pngRows(int64(sz[0]), int64(sz[1]), int64(pngBitsPerPixel(k.colorType, k.depth)), interlace == 1)
				good := imageData(rng, rows)
				badFilter := bytes.Clone(good)
				badFilter[len(badFilter)-int(rows[len(rows)-1].stride)] = 5
				for variant, data := range map[string][]byte{
					"whole":      good,
					"short":      good[:len(good)-1],
					"long":       append(bytes.Clone(good), 0),
					"bad filter": badFilter,
				} {
					name := fmt.Sprintf("type%d depth%d %dx%d interlace%d %s", k.colorType, k.depth, sz[0], sz[1], interlace, variant)
					file := rawPNG(sz[0], sz[1], k.depth, k.colorType, interlace, data, 7)
					_, decErr := png.Decode(bytes.NewReader(file))
					_, err := inspectBytes(file)
					if (decErr == nil) != (err == nil) {
						t.Errorf("%s: Inspect says %v, png.Decode says %v", name, err, decErr)
					}
					if err != nil && !errors.Is(err, ErrInvalid) {
						t.Errorf("%s: got %v, want ErrInvalid", name, err)
					}
				}
			}
		}
	}
}

// TestInspect_PNGCorruptDeflate is a PNG whose CRCs are all valid but whose
// compressed data is damaged: the chunks are intact, the image is not.
func TestInspect_PNGCorruptDeflate(t *testing.T) {
	rows := pngRows(40, 30, 24, false)
	data := imageData(rand.New(rand.NewPCG(3, 4)), rows)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(data)
	_ = zw.Close()
	zs := z.Bytes()
	for i := len(zs) / 3; i < len(zs)/3+8; i++ {
		zs[i] ^= 0xA5
	}
	file := append(bytes.Clone(pngSignature), ihdr(40, 30, 8, pngRGB)...)
	file = append(file, pngChunk("IDAT", zs)...)
	file = append(file, pngChunk("IEND", nil)...)
	if _, err := png.Decode(bytes.NewReader(file)); err == nil {
		t.Fatal("test file decodes; it should not")
	}
	_, err := inspectBytes(file)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	if !strings.Contains(err.Error(), "png:") {
		t.Errorf("message %q does not say what is wrong", err)
	}
}

// TestInspect_PNGDeflateBombStopsAtExpectedSize: a stream that inflates far
// beyond what the header allows is refused without inflating all of it.
func TestInspect_PNGDeflateBombStopsAtExpectedSize(t *testing.T) {
	huge := make([]byte, 64<<20) // zeros: valid filter bytes, compresses ~1000:1
	file := rawPNG(16, 16, 8, pngGray, 0, huge, 1<<20)
	allocs := testing.AllocsPerRun(1, func() {
		if _, err := inspectBytes(file); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "too much pixel data") {
			t.Fatalf("got %v", err)
		}
	})
	if allocs > 50 {
		t.Errorf("%v allocations for one check; inflating must not buffer the output", allocs)
	}
}
