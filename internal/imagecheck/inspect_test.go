package imagecheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"
)

const testMaxPixels = 50_000_000

func inspectBytes(b []byte) (Info, error) {
	return Inspect(bytes.NewReader(b), int64(len(b)), testMaxPixels)
}

func palettedPNG(t *testing.T) []byte {
	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 128}}
	img := image.NewPaletted(image.Rect(0, 0, 7, 3), pal)
	img.SetColorIndex(1, 1, 1)
	return encodePNG(t, img)
}

func TestInspect_AcceptsEachFormat(t *testing.T) {
	jpg := encodeJPEG(t, noisyGradient(40, 30, 10), 90)
	gray16 := image.NewGray16(image.Rect(0, 0, 5, 9))
	tests := []struct {
		name, format, ctype string
		data                []byte
		w, h                int
	}{
		{"jpeg", "jpg", "image/jpeg", jpg, 40, 30},
		{"jpeg with trailing data after EOI", "jpg", "image/jpeg", append(bytes.Clone(jpg), "camera junk \xFF\xD8"...), 40, 30},
		{"progressive jpeg", "jpg", "image/jpeg", readTestdata(t, "progressive.jpg"), 40, 30},
		{"jpeg with restart markers", "jpg", "image/jpeg", readTestdata(t, "restart.jpg"), 40, 30},
		{"png rgba", "png", "image/png", encodePNG(t, noisyGradient(33, 17, 5)), 33, 17},
		{"png paletted with tRNS", "png", "image/png", palettedPNG(t), 7, 3},
		{"png 16-bit grey", "png", "image/png", encodePNG(t, gray16), 5, 9},
		{"gif", "gif", "image/gif", encodeGIF(t, 21, 12), 21, 12},
		{"animated gif", "gif", "image/gif", animatedGIF(t), 8, 6},
		{"webp lossy", "webp", "image/webp", readTestdata(t, "lossy.webp"), 30, 10},
		{"webp lossless", "webp", "image/webp", readTestdata(t, "lossless.webp"), 30, 10},
		{"webp alpha (VP8X)", "webp", "image/webp", readTestdata(t, "alpha.webp"), 30, 10},
		{"avif", "avif", "image/avif", readTestdata(t, "opaque.avif"), 30, 10},
		{"avif with alpha item", "avif", "image/avif", readTestdata(t, "alpha.avif"), 30, 10},
		{"avif forged", "avif", "image/avif", forgeAVIF(avifSpec{w: 64, h: 48, data: []byte("av1 data")}), 64, 48},
		{"avif grid item", "avif", "image/avif", forgeAVIF(avifSpec{w: 64, h: 48, itemType: "grid", data: []byte("grid")}), 64, 48},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := inspectBytes(tc.data)
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			want := Info{Format: tc.format, ContentType: tc.ctype, Width: tc.w, Height: tc.h, Orientation: 1}
			if info != want {
				t.Fatalf("got %+v, want %+v", info, want)
			}
		})
	}
}

func TestInspect_EXIFOrientation6Swaps(t *testing.T) {
	jpg := encodeJPEG(t, noisyGradient(40, 30, 0), 80)
	for _, order := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
		for o := 1; o <= 8; o++ {
			info, err := inspectBytes(withEXIF(jpg, order, uint16(o)))
			if err != nil {
				t.Fatalf("%v orientation %d: %v", order, o, err)
			}
			w, h := 40, 30
			if o >= 5 {
				w, h = 30, 40
			}
			if info.Orientation != o || info.Width != w || info.Height != h {
				t.Errorf("%v orientation %d: got %+v, want %dx%d", order, o, info, w, h)
			}
		}
	}
	// Out-of-range values mean "no rotation".
	for _, o := range []uint16{0, 9, 0xFFFF} {
		info, err := inspectBytes(withEXIF(jpg, binary.BigEndian, o))
		if err != nil || info.Orientation != 1 || info.Width != 40 {
			t.Errorf("orientation %d: got %+v, %v", o, info, err)
		}
	}
}

func TestInspect_WebPEXIFOrientation(t *testing.T) {
	names, payloads := webpChunks(t, readTestdata(t, "lossy.webp"))
	if names[0] != "VP8 " {
		t.Fatalf("lossy.webp starts with %q", names[0])
	}
	for _, prefix := range []string{"", "Exif\x00\x00"} {
		exif := append([]byte(prefix), exifTIFF(binary.LittleEndian, 6)...)
		file := webpFile(vp8x(vp8xEXIF, 30, 10), riffChunk("VP8 ", payloads[0]), riffChunk("EXIF", exif))
		info, err := inspectBytes(file)
		if err != nil {
			t.Fatal(err)
		}
		if info.Orientation != 6 || info.Width != 10 || info.Height != 30 {
			t.Errorf("prefix %q: got %+v", prefix, info)
		}
	}
}

func TestInspect_AVIFIrotSwaps(t *testing.T) {
	info, err := inspectBytes(readTestdata(t, "rot90.avif"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Orientation != 6 || info.Width != 10 || info.Height != 30 {
		t.Fatalf("rot90.avif: got %+v, want 10x30 orientation 6", info)
	}
	for _, tc := range []struct {
		props [][]byte
		want  int
	}{
		{nil, 1},
		{[][]byte{irot(1)}, 8},
		{[][]byte{irot(2)}, 3},
		{[][]byte{irot(3)}, 6},
		{[][]byte{imir(0)}, 2},
		{[][]byte{imir(1)}, 4},
		{[][]byte{irot(1), imir(0)}, 7},
		{[][]byte{irot(1), imir(1)}, 5},
		{[][]byte{irot(3), imir(0)}, 5},
	} {
		info, err := inspectBytes(forgeAVIF(avifSpec{w: 64, h: 48, props: tc.props, data: []byte{1}}))
		if err != nil {
			t.Fatal(err)
		}
		if info.Orientation != tc.want {
			t.Errorf("props %q: orientation %d, want %d", tc.props, info.Orientation, tc.want)
		}
		if swapped := info.Width == 48; swapped != (tc.want >= 5) {
			t.Errorf("props %q: got %dx%d", tc.props, info.Width, info.Height)
		}
	}
}

func TestInspect_AVIFSequence(t *testing.T) {
	tkhd := isoFullBox("tkhd", 0, 0, make([]byte, 72), be32(320<<16), be32(240<<16))
	moov := isoBox("moov", isoFullBox("mvhd", 0, 0, make([]byte, 96)), isoBox("trak", tkhd))
	ftyp := isoBox("ftyp", []byte("avis"), be32(0), []byte("avismsf1"))
	file := append(append(ftyp, moov...), isoBox("mdat", []byte("frames"))...)
	info, err := inspectBytes(file)
	if err != nil || info.Width != 320 || info.Height != 240 {
		t.Fatalf("got %+v, %v", info, err)
	}
	noMdat := append(bytes.Clone(ftyp), moov...)
	if _, err := inspectBytes(noMdat); !errors.Is(err, ErrInvalid) {
		t.Errorf("sequence without mdat: %v", err)
	}
	huge := isoFullBox("tkhd", 0, 0, make([]byte, 72), be32(60000<<16), be32(60000<<16))
	file = append(append(bytes.Clone(ftyp), isoBox("moov", isoBox("trak", huge))...), "garbage"...)
	if _, err := inspectBytes(file); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("huge track: %v", err)
	}
}

// checkTruncations cuts a valid file at every length and expects each strict
// prefix to be refused: ErrInvalid once the magic bytes are in, ErrUnsupported
// before that.
func checkTruncations(t *testing.T, file []byte, magic int) {
	t.Helper()
	if _, err := inspectBytes(file); err != nil {
		t.Fatalf("whole file: %v", err)
	}
	for n := 0; n < len(file); n++ {
		_, err := inspectBytes(file[:n])
		want := ErrInvalid
		if n < magic {
			want = ErrUnsupported
		}
		if !errors.Is(err, want) {
			t.Fatalf("first %d of %d bytes: got %v, want %v", n, len(file), err, want)
		}
	}
}

func TestInspect_TruncatedJPEG(t *testing.T) {
	checkTruncations(t, encodeJPEG(t, noisyGradient(24, 16, 30), 75), 3)
	checkTruncations(t, readTestdata(t, "progressive.jpg"), 3)
	jpg := encodeJPEG(t, noisyGradient(24, 16, 30), 75)
	_, err := inspectBytes(jpg[:len(jpg)-2])
	if err == nil || !strings.Contains(err.Error(), "jpeg: missing EOI marker (truncated file)") {
		t.Errorf("message: %v", err)
	}
}

func TestInspect_TruncatedPNG(t *testing.T) {
	checkTruncations(t, encodePNG(t, noisyGradient(9, 7, 40)), 8)
	png := encodePNG(t, noisyGradient(9, 7, 40))
	_, err := inspectBytes(png[:len(png)-12])
	if err == nil || !strings.Contains(err.Error(), "png: missing IEND chunk (truncated file)") {
		t.Errorf("message: %v", err)
	}
}

func TestInspect_TruncatedGIF(t *testing.T) {
	checkTruncations(t, encodeGIF(t, 9, 7), 6)
	checkTruncations(t, animatedGIF(t), 6)
}

func TestInspect_TruncatedWebP(t *testing.T) {
	for _, name := range []string{"lossy.webp", "lossless.webp", "alpha.webp"} {
		checkTruncations(t, readTestdata(t, name), 12)
	}
}

func TestInspect_TruncatedAVIF(t *testing.T) {
	for _, name := range []string{"opaque.avif", "alpha.avif"} {
		checkTruncations(t, readTestdata(t, name), 12)
	}
}

func TestInspect_GarbageAfterJPEGHeader(t *testing.T) {
	jpg := encodeJPEG(t, noisyGradient(24, 16, 30), 75)
	sos := bytes.Index(jpg, []byte{0xFF, 0xDA})
	garbage := bytes.Repeat([]byte("not a jpeg at all "), 100)
	for name, file := range map[string][]byte{
		"after SOI":         append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00}, garbage...),
		"after APP0":        append(bytes.Clone(jpg[:20]), garbage...),
		"before SOS":        append(bytes.Clone(jpg[:sos]), garbage...),
		"as image data":     append(bytes.Clone(jpg[:sos+14]), garbage...),
		"bad marker in ECS": append(bytes.Clone(jpg[:sos+20]), 0xFF, 0x05, 0xFF, 0xD9),
	} {
		if _, err := inspectBytes(file); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

func TestInspect_CorruptCRC(t *testing.T) {
	png := encodePNG(t, noisyGradient(9, 7, 40))
	idat := bytes.Index(png, []byte("IDAT"))
	png[idat+10] ^= 0x55
	_, err := inspectBytes(png)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "CRC mismatch") {
		t.Fatalf("got %v", err)
	}
}

func TestInspect_UndecodableVariants(t *testing.T) {
	names, payloads := webpChunks(t, readTestdata(t, "lossy.webp"))
	_ = names
	for name, file := range map[string][]byte{
		"arithmetic-coded jpeg":    readTestdata(t, "arithmetic.jpg"),
		"animated webp (flag)":     webpFile(vp8x(vp8xAnimation, 30, 10), riffChunk("ANIM", make([]byte, 6))),
		"animated webp (ANMF)":     webpFile(vp8x(0, 30, 10), riffChunk("ANMF", make([]byte, 16))),
		"webp canvas mismatch":     webpFile(vp8x(0, 31, 10), riffChunk("VP8 ", payloads[0])),
		"webp alpha flag, no ALPH": webpFile(vp8x(vp8xAlpha, 30, 10), riffChunk("VP8 ", payloads[0])),
		"heif item in avif":        forgeAVIF(avifSpec{w: 64, h: 48, itemType: "hvc1", data: []byte{1}}),
		"avif item outside":        forgeAVIF(avifSpec{w: 64, h: 48, data: []byte{1}, badOffset: true}),
		"avif without mdat":        forgeAVIF(avifSpec{w: 64, h: 48}),
		"png critical chunk":       pngWith(t, "ABCD"),
		"png two IHDR":             pngWith(t, "IHDR"),
		"gif frame off screen":     gifFrameOffScreen(t),
	} {
		if _, err := inspectBytes(file); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

// pngWith inserts a chunk of the given type after IHDR.
func pngWith(t *testing.T, typ string) []byte {
	png := encodePNG(t, noisyGradient(4, 4, 0))
	out := append(bytes.Clone(png[:33]), pngChunk(typ, make([]byte, 13))...)
	return append(out, png[33:]...)
}

func gifFrameOffScreen(t *testing.T) []byte {
	g := bytes.Clone(encodeGIF(t, 9, 7))
	i := 13
	if g[10]&0x80 != 0 {
		i += int(colorTableSize(g[10]))
	}
	for g[i] == 0x21 { // skip extensions: introducer, label, sub-blocks
		i += 2
		for g[i] != 0 {
			i += 1 + int(g[i])
		}
		i++
	}
	if g[i] != 0x2C {
		t.Fatalf("no image descriptor at %d", i)
	}
	g[i+1] = 5 // left = 5: a 9-wide frame no longer fits the 9-wide screen
	return g
}

func TestInspect_ZeroDimensions(t *testing.T) {
	jpg := encodeJPEG(t, noisyGradient(8, 8, 0), 75)
	sof := bytes.Index(jpg, []byte{0xFF, 0xC0})
	jpg[sof+7], jpg[sof+8] = 0, 0 // width
	gifData := encodeGIF(t, 9, 7)
	gifData[6], gifData[7] = 0, 0
	for name, file := range map[string][]byte{
		"png":  append(append(bytes.Clone(pngSignature), ihdr(0, 10, 8, 2)...), pngChunk("IEND", nil)...),
		"gif":  gifData,
		"jpeg": jpg,
		"avif": forgeAVIF(avifSpec{w: 0, h: 10, data: []byte{1}}),
	} {
		if _, err := inspectBytes(file); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

// Forged headers claiming a huge image, followed by garbage, must be refused
// as too large, not as invalid: the header is all Inspect trusts.
func TestInspect_TooManyPixels(t *testing.T) {
	garbage := bytes.Repeat([]byte{0xAB, 0xFF, 0x00, 0x12}, 64)
	sof := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
		0xFF, 0xC0, 0x00, 0x11, 8, 0xFF, 0xFF, 0xFF, 0xFF, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1}
	gifHdr := []byte("GIF89a\xFF\xFF\xFF\xFF\xF7\x00\x00")
	riff := append([]byte("RIFF\x10\x00\x00\x00WEBP"), vp8x(0, 100000, 100000)...)
	for name, file := range map[string][]byte{
		"png":              append(append(bytes.Clone(pngSignature), ihdr(100000, 100000, 8, 6)...), garbage...),
		"png bad IHDR CRC": append(append(bytes.Clone(pngSignature), ihdr(100000, 100000, 8, 6)[:21]...), garbage...),
		"gif":              append(gifHdr, garbage...),
		"jpeg":             append(sof, garbage...),
		"webp":             append(riff, garbage...),
		"avif":             forgeAVIF(avifSpec{w: 100000, h: 100000, trailer: garbage}),
	} {
		_, err := inspectBytes(file)
		if !errors.Is(err, ErrTooManyPixels) {
			t.Errorf("%s: got %v, want ErrTooManyPixels", name, err)
		}
	}
	// Just under and over the limit.
	file := append(append(bytes.Clone(pngSignature), ihdr(1000, 1000, 8, 2)...), garbage...)
	if _, err := Inspect(bytes.NewReader(file), int64(len(file)), 999_999); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("over by one: %v", err)
	}
	if _, err := Inspect(bytes.NewReader(file), int64(len(file)), 1_000_000); errors.Is(err, ErrTooManyPixels) {
		t.Errorf("at the limit: %v", err)
	}
}

func TestInspect_RefusesSVG(t *testing.T) {
	for _, s := range []string{
		`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`,
		"\xEF\xBB\xBF  <?xml version=\"1.0\"?><svg/>",
		"<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\"><svg/>",
	} {
		_, err := inspectBytes([]byte(s))
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "SVG") {
			t.Errorf("%q: got %v", s, err)
		}
	}
}

func TestInspect_RefusesOtherFormats(t *testing.T) {
	heic := isoBox("ftyp", []byte("heic"), be32(0), []byte("mif1heic"))
	for name, file := range map[string][]byte{
		"empty":     {},
		"text":      []byte("hello, this is not an image\n"),
		"html":      []byte("<!DOCTYPE html><html></html>"),
		"bmp":       append([]byte("BM"), make([]byte, 60)...),
		"tiff":      []byte("II*\x00\x08\x00\x00\x00"),
		"pdf":       []byte("%PDF-1.7\n"),
		"heic":      append(heic, isoBox("mdat")...),
		"riff wave": []byte("RIFF\x24\x00\x00\x00WAVEfmt "),
		"one byte":  {0xFF},
	} {
		if _, err := inspectBytes(file); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: got %v, want ErrUnsupported", name, err)
		}
	}
}

// failingReader fails every read, as a broken disk or network store would.
type failingReader struct{}

var errDisk = errors.New("disk on fire")

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, errDisk }

// shortReader holds fewer bytes than the size it is inspected with.
func TestInspect_ReaderErrors(t *testing.T) {
	_, err := Inspect(failingReader{}, 1000, testMaxPixels)
	if !errors.Is(err, errDisk) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrUnsupported) {
		t.Errorf("failing reader: %v", err)
	}
	png := encodePNG(t, noisyGradient(9, 7, 40))
	if _, err := Inspect(bytes.NewReader(png), int64(len(png))+100, testMaxPixels); !errors.Is(err, ErrInvalid) {
		t.Errorf("size larger than data: %v", err)
	}
}

func TestExifOrientation_Hostile(t *testing.T) {
	good := exifTIFF(binary.BigEndian, 6)
	if got := exifOrientation(good); got != 6 {
		t.Fatalf("good: %d", got)
	}
	bad := [][]byte{
		nil, good[:7], good[:20], []byte("XX\x00*\x00\x00\x00\x08"),
		append([]byte("MM\x00*\xFF\xFF\xFF\xF0"), good[8:]...),                  // IFD offset past the end
		append([]byte("MM\x00*\x00\x00\x00\x08\xFF\xFF\x01\x00"), good[12:]...), // 65535 entries, none there
		append(bytes.Clone(good[:12]), 0, 7, 0, 0, 0, 1, 0, 6),                  // type UNDEFINED
		append(bytes.Clone(good[:12]), 0, 3, 0, 0, 0, 9, 0, 6),                  // count 9: not a single value
	}
	for _, b := range bad {
		if got := exifOrientation(b); got != 1 {
			t.Errorf("% x: got %d, want 1", b, got)
		}
	}
}
