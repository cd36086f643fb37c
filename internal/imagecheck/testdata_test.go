package imagecheck

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gen2brain/avif"
	"github.com/gen2brain/webp"
)

// TestWriteTestdata regenerates the encoder-made files under testdata/. It is
// skipped unless WRITE_TESTDATA=1: the AVIF and WebP encoders run in WASM and
// take seconds (tens under -race), and cjpeg is not always installed.
func TestWriteTestdata(t *testing.T) {
	if os.Getenv("WRITE_TESTDATA") != "1" {
		t.Skip("set WRITE_TESTDATA=1 to regenerate testdata/")
	}
	opaque := noisyGradient(30, 10, 0)
	translucent := noisyGradient(30, 10, 0)
	for i := 3; i < len(translucent.Pix); i += 4 {
		translucent.Pix[i] = uint8(i)
	}
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	encAVIF := func(img image.Image) []byte {
		var buf bytes.Buffer
		if err := avif.Encode(&buf, img, avif.Options{Quality: 50, Speed: 10}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	encWebP := func(img image.Image, o webp.Options) []byte {
		var buf bytes.Buffer
		if err := webp.Encode(&buf, img, o); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	plain := encAVIF(opaque)
	write("opaque.avif", plain)
	write("alpha.avif", encAVIF(translucent))
	write("rot90.avif", spliceIrot(t, plain, 3))
	write("lossy.webp", encWebP(opaque, webp.Options{Quality: 75}))
	write("lossless.webp", encWebP(opaque, webp.Options{Lossless: true}))
	write("alpha.webp", encWebP(translucent, webp.Options{Quality: 75}))

	if _, err := exec.LookPath("cjpeg"); err != nil {
		t.Log("cjpeg not installed: JPEG variants not regenerated")
		return
	}
	ppm := fmt.Appendf(nil, "P6\n40 30\n255\n")
	src := noisyGradient(40, 30, 20)
	for i := 0; i < len(src.Pix); i += 4 {
		ppm = append(ppm, src.Pix[i:i+3]...)
	}
	for name, args := range map[string][]string{
		"progressive.jpg": {"-progressive"},
		"restart.jpg":     {"-restart", "1B"},
		"arithmetic.jpg":  {"-arithmetic"},
	} {
		cmd := exec.Command("cjpeg", append(args, "-quality", "80")...)
		cmd.Stdin = bytes.NewReader(ppm)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("cjpeg %v: %v", args, err)
		}
		write(name, out)
	}
}

// spliceIrot adds an irot property to item 1 of a libavif-made file laid out
// as ftyp, meta, mdat, shifting iloc offsets by the growth of meta. It only
// needs to understand gen2brain/avif's output.
func spliceIrot(t *testing.T, file []byte, angle byte) []byte {
	t.Helper()
	ftypLen := int(binary.BigEndian.Uint32(file))
	metaLen := int(binary.BigEndian.Uint32(file[ftypLen:]))
	meta := file[ftypLen+12 : ftypLen+metaLen] // children of meta
	const delta = 9 + 1                        // irot box + one ipma index byte
	var children [][]byte
	err := eachBox(meta, "meta", func(typ string, pl []byte) error {
		switch typ {
		case "iloc":
			pl = bytes.Clone(pl)
			if pl[4] != 0x44 || pl[5]>>4 != 0 {
				return fmt.Errorf("unexpected iloc layout % x", pl[:6])
			}
			n := int(binary.BigEndian.Uint16(pl[6:]))
			p := 8
			for i := 0; i < n; i++ {
				extents := int(binary.BigEndian.Uint16(pl[p+4:]))
				p += 6
				for e := 0; e < extents; e++ {
					off := binary.BigEndian.Uint32(pl[p:])
					binary.BigEndian.PutUint32(pl[p:], off+delta)
					p += 8
				}
			}
			children = append(children, isoFullBox("iloc", 0, 0, pl[4:]))
		case "iprp":
			var ipco, ipma []byte
			count := 0
			_ = eachBox(pl, "iprp", func(typ string, pl []byte) error {
				if typ == "ipco" {
					ipco = pl
					_ = eachBox(pl, "ipco", func(string, []byte) error { count++; return nil })
				} else if typ == "ipma" {
					ipma = pl
				}
				return nil
			})
			// ipma v0, 8-bit indices: entry_count, then (item u16, n u8, n indices).
			if ipma[3]&1 != 0 {
				return fmt.Errorf("unexpected ipma flags")
			}
			out := bytes.Clone(ipma[:8])
			q := 8
			for q < len(ipma) {
				item, n := binary.BigEndian.Uint16(ipma[q:]), int(ipma[q+2])
				entry := bytes.Clone(ipma[q : q+3+n])
				if item == 1 {
					entry[2]++
					entry = append(entry, byte(0x80|(count+1)))
				}
				out = append(out, entry...)
				q += 3 + n
			}
			children = append(children, isoBox("iprp",
				isoBox("ipco", ipco, irot(angle)),
				isoBox("ipma", out)))
		default:
			children = append(children, isoBox(typ, pl))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	newMeta := isoFullBox("meta", 0, 0, children...)
	if len(newMeta) != metaLen+delta {
		t.Fatalf("meta grew by %d, want %d", len(newMeta)-metaLen, delta)
	}
	out := append(bytes.Clone(file[:ftypLen]), newMeta...)
	return append(out, file[ftypLen+metaLen:]...)
}
