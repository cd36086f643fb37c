package imagecheck

import (
	"encoding/binary"
	"hash/crc32"
	"io"
)

// PNG colour types (PNG spec 11.2.2).
const (
	pngGray      = 0
	pngRGB       = 2
	pngPalette   = 3
	pngGrayAlpha = 4
	pngRGBA      = 6
)

// pngDepths lists the bit depths allowed for each colour type.
var pngDepths = map[byte][]byte{
	pngGray:      {1, 2, 4, 8, 16},
	pngRGB:       {8, 16},
	pngPalette:   {1, 2, 4, 8},
	pngGrayAlpha: {8, 16},
	pngRGBA:      {8, 16},
}

// inspectPNG reads IHDR at its fixed offset itself rather than through
// png.DecodeConfig: DecodeConfig keeps reading up to PLTE for paletted images,
// so a forged IHDR followed by garbage would come out as "invalid" instead of
// "too many pixels". It then walks every chunk, verifying each CRC (CRC-32
// runs at several GB/s, so IDAT is checked too) and the chunk-order rules
// that Go's png decoder enforces.
func inspectPNG(ra io.ReaderAt, size int64, maxPixels int64) (Info, error) {
	info := Info{Orientation: 1}
	var hdr [8 + 8 + 13]byte
	if n, err := ra.ReadAt(hdr[:min(int64(len(hdr)), size)], 0); n < len(hdr) {
		if err != nil && err != io.EOF {
			return info, readFailure(err, "")
		}
		return info, invalidf("png: file too short for an IHDR chunk (truncated file)")
	}
	if binary.BigEndian.Uint32(hdr[8:]) != 13 || string(hdr[12:16]) != "IHDR" {
		return info, invalidf("png: first chunk is not a 13-byte IHDR")
	}
	ihdr := hdr[16:]
	w, h := binary.BigEndian.Uint32(ihdr[0:]), binary.BigEndian.Uint32(ihdr[4:])
	if err := checkPixels("png", uint64(w), uint64(h), maxPixels); err != nil {
		return info, err
	}
	depth, colorType := ihdr[8], ihdr[9]
	if !containsByte(pngDepths[colorType], depth) {
		return info, invalidf("png: bad colour type %d with bit depth %d", colorType, depth)
	}
	if ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] > 1 {
		return info, invalidf("png: unknown compression, filter or interlace method")
	}
	info.Width, info.Height = int(w), int(h)
	idat, err := walkPNG(ra, size, colorType, depth)
	if err != nil {
		return info, err
	}
	return info, checkPNGData(ra, size, idat, w, h, colorType, depth, ihdr[12])
}

// walkPNG walks the chunks from IHDR to IEND and returns the offset of the
// first IDAT chunk.
func walkPNG(ra io.ReaderAt, size int64, colorType, depth byte) (idat int64, err error) {
	b := newReader(ra, size, 8)
	var sawPLTE, sawTRNS, inIDAT, idatDone bool
	paletteLen := 0
	// name converts only on error paths; the type lives outside the loop
	// because the closure makes it escape, and a string or array allocated
	// per chunk would cost one allocation per IDAT.
	var typ [4]byte
	name := func() string { return string(typ[:]) }
	for first := true; ; first = false {
		h, err := b.next(8)
		if err != nil {
			return 0, readFailure(err, "png: missing IEND chunk")
		}
		length := binary.BigEndian.Uint32(h)
		copy(typ[:], h[4:8])
		if length > 1<<31-1 {
			return 0, invalidf("png: chunk %q has bad length %d", name(), length)
		}
		for _, c := range typ {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
				return 0, invalidf("png: bad chunk type %q at offset %d", name(), b.pos()-8)
			}
		}
		if first != (string(typ[:]) == "IHDR") {
			return 0, invalidf("png: IHDR must be the first chunk and appear once")
		}
		if inIDAT && string(typ[:]) != "IDAT" {
			inIDAT, idatDone = false, true
		}

		switch string(typ[:]) {
		case "PLTE":
			np := int(length / 3)
			switch {
			case sawPLTE || inIDAT || idatDone:
				return 0, invalidf("png: PLTE chunk out of order")
			case colorType == pngGray || colorType == pngGrayAlpha:
				return 0, invalidf("png: PLTE chunk in a greyscale image")
			case length%3 != 0 || np == 0 || np > 256 || np > 1<<depth:
				return 0, invalidf("png: bad PLTE length %d", length)
			}
			sawPLTE, paletteLen = true, np
		case "tRNS":
			if err := checkTRNS(colorType, int(length), sawPLTE, sawTRNS, inIDAT || idatDone, paletteLen); err != nil {
				return 0, err
			}
			sawTRNS = true
		case "IDAT":
			if idatDone {
				return 0, invalidf("png: IDAT chunks are not consecutive")
			}
			if colorType == pngPalette && !sawPLTE {
				return 0, invalidf("png: paletted image has no PLTE before IDAT")
			}
			if !inIDAT {
				idat = b.pos() - 8
			}
			if !inIDAT && length >= 2 {
				// The start of the zlib stream is checked here, where it is
				// free; checkPNGData inflates the rest.
				if err := b.fill(2); err != nil {
					return 0, readFailure(err, "png: IDAT chunk cut short")
				}
				cmf, flg := b.buf[b.r], b.buf[b.r+1]
				if cmf&0x0F != 8 || cmf>>4 > 7 || (uint(cmf)<<8|uint(flg))%31 != 0 || flg&0x20 != 0 {
					return 0, invalidf("png: image data does not start with a zlib header")
				}
			}
			inIDAT = true
		case "IEND":
			if !inIDAT && !idatDone {
				return 0, invalidf("png: no IDAT chunk before IEND")
			}
			if length != 0 {
				return 0, invalidf("png: IEND chunk is not empty")
			}
		default:
			if typ[0] >= 'A' && typ[0] <= 'Z' && string(typ[:]) != "IHDR" {
				// Unknown critical chunks must make a decoder fail (PNG spec 5.4).
				return 0, invalidf("png: unknown critical chunk %q", name())
			}
		}

		crc := crc32.Update(0, crc32.IEEETable, typ[:])
		for left := int64(length); left > 0; {
			data, err := b.buffered()
			if err != nil {
				return 0, readFailure(err, "png: chunk "+name()+" cut short")
			}
			k := min(int64(len(data)), left)
			crc = crc32.Update(crc, crc32.IEEETable, data[:k])
			b.advance(int(k))
			left -= k
		}
		sum, err := b.next(4)
		if err != nil {
			return 0, readFailure(err, "png: chunk "+name()+" has no CRC")
		}
		if binary.BigEndian.Uint32(sum) != crc {
			return 0, invalidf("png: CRC mismatch in chunk %q at offset %d (corrupt file)", name(), b.pos()-int64(length)-12)
		}
		if string(typ[:]) == "IEND" {
			// Data after IEND is tolerated, as for JPEG.
			return idat, nil
		}
	}
}

// checkTRNS applies the tRNS rules of Go's png decoder.
func checkTRNS(colorType byte, length int, sawPLTE, sawTRNS, afterIDAT bool, paletteLen int) error {
	switch {
	case sawTRNS || afterIDAT:
		return invalidf("png: tRNS chunk out of order")
	case colorType == pngPalette && !sawPLTE:
		return invalidf("png: tRNS chunk before PLTE")
	case colorType == pngPalette && length > paletteLen:
		return invalidf("png: tRNS chunk longer than the palette")
	case colorType == pngGray && length != 2, colorType == pngRGB && length != 6:
		return invalidf("png: bad tRNS length %d", length)
	case colorType == pngGrayAlpha || colorType == pngRGBA:
		return invalidf("png: tRNS chunk in an image with an alpha channel")
	}
	return nil
}

func containsByte(s []byte, c byte) bool {
	for _, v := range s {
		if v == c {
			return true
		}
	}
	return false
}
