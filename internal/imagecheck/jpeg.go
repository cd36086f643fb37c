package imagecheck

import (
	"bytes"
	"image/jpeg"
	"io"
	"strings"
)

// JPEG marker codes (ITU T.81 table B.1).
const (
	mSOF0 = 0xC0
	mSOF1 = 0xC1
	mSOF2 = 0xC2
	mDHT  = 0xC4
	mJPG  = 0xC8
	mDAC  = 0xCC
	mRST0 = 0xD0
	mRST7 = 0xD7
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mDQT  = 0xDB
	mDRI  = 0xDD
	mAPP0 = 0xE0
	mAPP1 = 0xE1
	mAPPF = 0xEF
	mCOM  = 0xFE
)

// inspectJPEG walks the marker segments by their lengths, reads SOF for the
// dimensions and APP1 for the EXIF orientation, and scans each entropy-coded
// segment for the marker that ends it, until EOI. Only markers that Go's
// image/jpeg can decode are accepted, so an accepted upload can always be
// decoded for previews and renditions later.
func inspectJPEG(ra io.ReaderAt, size int64, maxPixels int64) (Info, error) {
	b := newReader(ra, size, 2) // sniff has seen SOI
	info := Info{Orientation: 1}
	var sawSOF, sawSOS, sawExif bool
	var w, h int
	var m byte
	pending := false // m is a marker found by the entropy scan
	for {
		if !pending {
			c, err := b.byte()
			if err != nil {
				return info, readFailure(err, "jpeg: missing EOI marker")
			}
			if c != 0xFF {
				// Go's decoder skips such bytes, but between header segments
				// they only appear in damaged files, and accepting them would
				// make a valid header followed by garbage look plausible.
				return info, invalidf("jpeg: expected a marker at offset %d, found byte 0x%02X", b.pos()-1, c)
			}
			for c == 0xFF { // fill bytes
				if c, err = b.byte(); err != nil {
					return info, readFailure(err, "jpeg: missing EOI marker")
				}
			}
			m = c
		}
		pending = false

		switch {
		case m == mEOI:
			if !sawSOS {
				return info, invalidf("jpeg: EOI before any image data")
			}
			// Bytes after EOI are tolerated: many cameras append data there.
			if err := crossCheckJPEG(ra, size, w, h); err != nil {
				return info, err
			}
			return info, nil
		case m >= mRST0 && m <= mRST7:
			// A stray restart marker after the last scan; Go's decoder
			// ignores it too.
			continue
		case m == 0x00, m == 0x01, m == mSOI:
			return info, invalidf("jpeg: unexpected marker 0xFF%02X at offset %d", m, b.pos()-2)
		}

		lb, err := b.next(2)
		if err != nil {
			return info, readFailure(err, "jpeg: segment length missing")
		}
		n := int(lb[0])<<8 | int(lb[1])
		if n < 2 {
			return info, invalidf("jpeg: segment 0xFF%02X has bad length %d", m, n)
		}
		n -= 2

		switch {
		case isSOF(m):
			if sawSOF {
				return info, invalidf("jpeg: multiple SOF markers")
			}
			sawSOF = true
			seg, err := b.next(n)
			if err != nil {
				return info, readFailure(err, "jpeg: SOF segment cut short")
			}
			if n < 6 {
				return info, invalidf("jpeg: SOF segment too short")
			}
			h = int(seg[1])<<8 | int(seg[2])
			w = int(seg[3])<<8 | int(seg[4])
			if h == 0 {
				// The height would come in a DNL marker, which Go cannot decode.
				return info, invalidf("jpeg: zero height in SOF (DNL is not supported)")
			}
			if err := checkPixels("jpeg", uint64(w), uint64(h), maxPixels); err != nil {
				return info, err
			}
			if kind := unsupportedSOF(m); kind != "" {
				return info, invalidf("jpeg: %s JPEG is not supported", kind)
			}
			if seg[0] != 8 {
				return info, invalidf("jpeg: %d-bit samples are not supported", seg[0])
			}
			nf := int(seg[5])
			if nf != 1 && nf != 3 && nf != 4 {
				return info, invalidf("jpeg: %d colour components are not supported", nf)
			}
			if n != 6+3*nf {
				return info, invalidf("jpeg: SOF length does not match its component count")
			}
			info.Width, info.Height = w, h

		case m == mSOS:
			if !sawSOF {
				return info, invalidf("jpeg: SOS before SOF")
			}
			seg, err := b.next(n)
			if err != nil {
				return info, readFailure(err, "jpeg: SOS segment cut short")
			}
			if n < 1 || seg[0] < 1 || seg[0] > 4 || n != 4+2*int(seg[0]) {
				return info, invalidf("jpeg: bad SOS segment")
			}
			sawSOS = true
			if m, err = scanEntropy(b); err != nil {
				return info, err
			}
			pending = true

		case m == mAPP1 && !sawExif && !sawSOS && n >= 6:
			seg, err := b.next(n)
			if err != nil {
				return info, readFailure(err, "jpeg: APP1 segment cut short")
			}
			if string(seg[:6]) == "Exif\x00\x00" {
				sawExif = true
				info.Orientation = exifOrientation(seg[6:])
			}

		case m == mDHT, m == mDQT, m == mDRI, m == mCOM, m >= mAPP0 && m <= mAPPF:
			if err := b.skip(int64(n)); err != nil {
				return info, readFailure(err, "jpeg: marker segment cut short")
			}

		default:
			// DNL, DHP, EXP, JPGn, DAC and reserved markers: Go's decoder
			// refuses all of them, so an image using one cannot be rendered.
			return info, invalidf("jpeg: unsupported marker 0xFF%02X", m)
		}
	}
}

// isSOF reports whether m is any start-of-frame marker (C0-CF except DHT,
// JPG and DAC).
func isSOF(m byte) bool {
	return m >= mSOF0 && m <= 0xCF && m != mDHT && m != mJPG && m != mDAC
}

// unsupportedSOF names the coding process of a SOF marker Go cannot decode;
// it is "" for baseline, extended sequential and progressive Huffman.
func unsupportedSOF(m byte) string {
	switch m {
	case mSOF0, mSOF1, mSOF2:
		return ""
	case 0xC3:
		return "lossless"
	case 0xC5, 0xC6, 0xC7:
		return "hierarchical"
	}
	return "arithmetic-coded"
}

// scanEntropy skips an entropy-coded segment and returns the marker that
// ends it. Inside the segment 0xFF is only followed by 0x00 (a stuffed data
// byte), RST0-RST7 or more 0xFF fill bytes; any other byte after 0xFF starts
// the next marker segment (progressive files interleave SOS with DHT etc.).
// bytes.IndexByte keeps this at memory speed.
func scanEntropy(b *reader) (byte, error) {
	for {
		data, err := b.buffered()
		if err != nil {
			return 0, readFailure(err, "jpeg: missing EOI marker")
		}
		// Skip stuffed bytes and restart markers without leaving the
		// buffer: data made of nothing but 0xFF00 pairs stays fast.
		i := 0
		for {
			i = indexFF(data, i)
			if i+1 >= len(data) {
				break
			}
			if c := data[i+1]; c != 0x00 && (c < mRST0 || c > mRST7) {
				break
			}
			i += 2
		}
		b.advance(i)
		if i >= len(data) {
			continue
		}
		b.advance(1) // the 0xFF
		c, err := b.byte()
		for err == nil && c == 0xFF {
			c, err = b.byte()
		}
		if err != nil {
			return 0, readFailure(err, "jpeg: missing EOI marker")
		}
		switch {
		case c == 0x00, c >= mRST0 && c <= mRST7:
			continue
		case c < mSOF0:
			return 0, invalidf("jpeg: invalid marker 0xFF%02X in image data at offset %d", c, b.pos()-2)
		}
		return c, nil
	}
}

// indexFF returns the index of the first 0xFF in data at or after i, or
// len(data). It looks at a few bytes itself before calling bytes.IndexByte,
// whose setup cost would dominate when markers are dense (forged data).
func indexFF(data []byte, i int) int {
	for lim := min(i+8, len(data)); i < lim; i++ {
		if data[i] == 0xFF {
			return i
		}
	}
	if i >= len(data) {
		return len(data)
	}
	if k := bytes.IndexByte(data[i:], 0xFF); k >= 0 {
		return i + k
	}
	return len(data)
}

// crossCheckJPEG runs image/jpeg's DecodeConfig over the header. It is
// header-only (it stops at the first SOF in JFIF files and at the first SOS
// otherwise, skipping DHT/DQT bodies), and it applies the decoder's own SOF
// rules (component ids, sampling factors it supports), which are not worth
// duplicating. It runs after the walk because, without a JFIF APP0, it reads
// past SOF and would misreport a forged SOF followed by garbage.
func crossCheckJPEG(ra io.ReaderAt, size int64, w, h int) error {
	cfg, err := jpeg.DecodeConfig(io.NewSectionReader(ra, 0, size))
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "invalid JPEG format: ")
		return invalidf("jpeg: %s", msg)
	}
	if cfg.Width != w || cfg.Height != h {
		return invalidf("jpeg: inconsistent frame header")
	}
	return nil
}
