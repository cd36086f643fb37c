package imagecheck

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// noisyGradient is a w x h image that compresses like a photo: a gradient
// plus per-pixel noise of the given amplitude.
func noisyGradient(w, h, noise int) *image.NRGBA {
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := 0
			if noise > 0 {
				n = rng.IntN(2*noise+1) - noise
			}
			i := img.PixOffset(x, y)
			img.Pix[i+0] = clamp8(x*255/max(w-1, 1) + n)
			img.Pix[i+1] = clamp8(y*255/max(h-1, 1) + n)
			img.Pix[i+2] = clamp8(128 + n)
			img.Pix[i+3] = 255
		}
	}
	return img
}

func clamp8(v int) uint8 { return uint8(min(max(v, 0), 255)) }

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeGIF(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gif.Encode(&buf, noisyGradient(w, h, 0), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// animatedGIF has two frames, the second smaller and offset.
func animatedGIF(t testing.TB) []byte {
	t.Helper()
	pal := color.Palette{color.Black, color.White}
	a := image.NewPaletted(image.Rect(0, 0, 8, 6), pal)
	b := image.NewPaletted(image.Rect(2, 1, 6, 5), pal)
	b.SetColorIndex(3, 2, 1)
	var buf bytes.Buffer
	err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{a, b}, Delay: []int{10, 10}, LoopCount: 0})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// exifTIFF is TIFF-format EXIF data holding only an Orientation tag.
func exifTIFF(order binary.ByteOrder, orientation uint16) []byte {
	t := make([]byte, 8+2+12+4)
	if order == binary.LittleEndian {
		copy(t, "II")
	} else {
		copy(t, "MM")
	}
	order.PutUint16(t[2:], 42)
	order.PutUint32(t[4:], 8)
	order.PutUint16(t[8:], 1)
	order.PutUint16(t[10:], 0x0112)
	order.PutUint16(t[12:], 3)
	order.PutUint32(t[14:], 1)
	order.PutUint16(t[18:], orientation)
	return t
}

// withEXIF inserts an APP1 Exif segment right after SOI.
func withEXIF(jpg []byte, order binary.ByteOrder, orientation uint16) []byte {
	payload := append([]byte("Exif\x00\x00"), exifTIFF(order, orientation)...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// pngChunk builds a PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	c := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(c, uint32(len(data)))
	copy(c[4:], typ)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

func ihdr(w, h uint32, depth, colorType byte) []byte {
	d := binary.BigEndian.AppendUint32(nil, w)
	d = binary.BigEndian.AppendUint32(d, h)
	return pngChunk("IHDR", append(d, depth, colorType, 0, 0, 0))
}

// riffChunk builds a WebP chunk, padded to an even length.
func riffChunk(fourcc string, data []byte) []byte {
	c := append([]byte(fourcc), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(c[4:], uint32(len(data)))
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// webpFile wraps chunks in a RIFF WEBP header with the right size.
func webpFile(chunks ...[]byte) []byte {
	body := []byte("WEBP")
	for _, c := range chunks {
		body = append(body, c...)
	}
	out := binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body)))
	return append(out, body...)
}

// webpChunks splits a WebP file into its chunks (fourcc -> payload), in order.
func webpChunks(t testing.TB, b []byte) (names []string, payloads [][]byte) {
	t.Helper()
	for off := 12; off+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+4:]))
		names = append(names, string(b[off:off+4]))
		payloads = append(payloads, b[off+8:off+8+n])
		off += 8 + n + n%2
	}
	return names, payloads
}

func vp8x(flags byte, w, h int) []byte {
	d := []byte{flags, 0, 0, 0}
	d = append(d, byte(w-1), byte((w-1)>>8), byte((w-1)>>16))
	return riffChunk("VP8X", append(d, byte(h-1), byte((h-1)>>8), byte((h-1)>>16)))
}

// ISOBMFF builders.

func isoBox(typ string, payload ...[]byte) []byte {
	n := 8
	for _, p := range payload {
		n += len(p)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(n))
	b = append(b, typ...)
	for _, p := range payload {
		b = append(b, p...)
	}
	return b
}

func isoFullBox(typ string, version byte, flags uint32, payload ...[]byte) []byte {
	vf := binary.BigEndian.AppendUint32(nil, uint32(version)<<24|flags)
	return isoBox(typ, append([][]byte{vf}, payload...)...)
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// avifSpec describes a forged single-item AVIF.
type avifSpec struct {
	w, h      uint32
	props     [][]byte // extra properties after ispe (irot, imir ...)
	itemType  string
	data      []byte // mdat payload; nil means no mdat box
	trailer   []byte // appended after everything, e.g. garbage
	badOffset bool   // point the item outside the file
}

// forgeAVIF builds ftyp + meta + mdat with one av01 item whose data is the
// whole mdat payload. The AV1 payload is not real, which Inspect cannot tell.
func forgeAVIF(s avifSpec) []byte {
	if s.itemType == "" {
		s.itemType = "av01"
	}
	ftyp := isoBox("ftyp", []byte("avif"), be32(0), []byte("mif1avifmiaf"))
	props := append([][]byte{isoFullBox("ispe", 0, 0, be32(s.w), be32(s.h))}, s.props...)
	assoc := []byte{0, 0, 0, 1, 0, 1, byte(len(props))} // one entry: item 1
	for i := range props {
		assoc = append(assoc, byte(0x80|(i+1)))
	}
	meta := func(offset uint32) []byte {
		return isoFullBox("meta", 0, 0,
			isoFullBox("hdlr", 0, 0, be32(0), []byte("pict"), make([]byte, 13)),
			isoFullBox("pitm", 0, 0, be16(1)),
			isoFullBox("iloc", 0, 0, []byte{0x44, 0x00}, be16(1),
				be16(1), be16(0), be16(1), be32(offset), be32(uint32(len(s.data)))),
			isoFullBox("iinf", 0, 0, be16(1),
				isoFullBox("infe", 2, 0, be16(1), be16(0), []byte(s.itemType), []byte{0})),
			isoBox("iprp", isoBox("ipco", props...), isoFullBox("ipma", 0, 0, assoc)),
		)
	}
	offset := uint32(len(ftyp) + len(meta(0)) + 8)
	if s.badOffset {
		offset = 1 << 30
	}
	out := append(ftyp, meta(offset)...)
	if s.data != nil {
		out = append(out, isoBox("mdat", s.data)...)
	}
	return append(out, s.trailer...)
}

func irot(angle byte) []byte { return isoBox("irot", []byte{angle}) }
func imir(axis byte) []byte  { return isoBox("imir", []byte{axis}) }

// readTestdata returns a file committed under testdata/.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("%v (regenerate with WRITE_TESTDATA=1 go test -run TestWriteTestdata)", err)
	}
	return b
}
