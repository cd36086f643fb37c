package imagecheck

import (
	"encoding/binary"
	"io"
)

// VP8X feature flags (WebP container spec).
const (
	vp8xAnimation = 1 << 1
	vp8xEXIF      = 1 << 3
	vp8xAlpha     = 1 << 4
)

// maxEXIFChunk bounds how much of a WebP EXIF chunk is read for orientation.
const maxEXIFChunk = 64 << 10

// inspectWebP parses the first chunk itself rather than calling
// x/image/webp's DecodeConfig, which is header-only but reports a VP8X canvas
// over 2^31 pixels as a format error: here such a header must be refused as
// too large whatever follows. The chunk walk then enforces what x/image/webp
// needs to decode the file, since that is the decoder used later.
func inspectWebP(ra io.ReaderAt, size int64, maxPixels int64) (Info, error) {
	info := Info{Orientation: 1}
	var hdr [12 + 8 + 10]byte // RIFF header, first chunk header, VP8X/VP8/VP8L header
	n, err := ra.ReadAt(hdr[:min(int64(len(hdr)), size)], 0)
	if n < 20 {
		if err != nil && err != io.EOF {
			return info, readFailure(err, "")
		}
		return info, invalidf("webp: file too short (truncated file)")
	}
	first := string(hdr[12:16])
	firstLen := int64(binary.LittleEndian.Uint32(hdr[16:]))
	body := hdr[20:n]
	var w, h int
	var flags byte
	switch first {
	case "VP8X":
		if firstLen != 10 || len(body) < 10 {
			return info, invalidf("webp: bad VP8X chunk")
		}
		flags = body[0]
		w = int(uint32(body[4])|uint32(body[5])<<8|uint32(body[6])<<16) + 1
		h = int(uint32(body[7])|uint32(body[8])<<8|uint32(body[9])<<16) + 1
	case "VP8 ", "VP8L":
		var err error
		if w, h, err = webpFrameSize(first, body, firstLen); err != nil {
			return info, err
		}
	default:
		return info, invalidf("webp: first chunk is %q, not VP8, VP8L or VP8X", first)
	}
	if err := checkPixels("webp", uint64(w), uint64(h), maxPixels); err != nil {
		return info, err
	}
	if flags&vp8xAnimation != 0 {
		return info, invalidf("webp: animated WebP is not supported")
	}
	info.Width, info.Height = w, h

	riffLen := int64(binary.LittleEndian.Uint32(hdr[4:]))
	end := riffLen + 8
	// One pad byte after the RIFF data is tolerated: some writers pad the
	// file without counting it.
	if end != size && end+1 != size {
		if end > size {
			return info, invalidf("webp: RIFF size %d exceeds the file (truncated file)", riffLen)
		}
		return info, invalidf("webp: RIFF size %d does not match the file size %d", riffLen, size)
	}
	orientation, err := walkWebP(ra, end, first == "VP8X", flags, w, h)
	if err != nil {
		return info, err
	}
	info.Orientation = orientation
	return info, nil
}

// webpFrameSize reads the dimensions from the start of a VP8 (lossy key
// frame) or VP8L (lossless) bitstream, with the checks x/image/webp makes.
func webpFrameSize(fourcc string, body []byte, chunkLen int64) (int, int, error) {
	if fourcc == "VP8L" {
		if len(body) < 5 || chunkLen < 5 || body[0] != 0x2F {
			return 0, 0, invalidf("webp: bad VP8L header")
		}
		v := binary.LittleEndian.Uint32(body[1:])
		if v>>29 != 0 {
			return 0, 0, invalidf("webp: unknown VP8L version %d", v>>29)
		}
		return int(v&0x3FFF) + 1, int(v>>14&0x3FFF) + 1, nil
	}
	if len(body) < 10 || chunkLen < 10 {
		return 0, 0, invalidf("webp: VP8 chunk too short")
	}
	if body[0]&1 != 0 {
		return 0, 0, invalidf("webp: VP8 data does not start with a key frame")
	}
	if body[3] != 0x9D || body[4] != 0x01 || body[5] != 0x2A {
		return 0, 0, invalidf("webp: bad VP8 start code")
	}
	firstPartition := int64(body[0])>>5 | int64(body[1])<<3 | int64(body[2])<<11
	if 10+firstPartition > chunkLen {
		return 0, 0, invalidf("webp: VP8 partition larger than its chunk")
	}
	w := int(binary.LittleEndian.Uint16(body[6:]) & 0x3FFF)
	h := int(binary.LittleEndian.Uint16(body[8:]) & 0x3FFF)
	return w, h, nil
}

// walkWebP walks the chunks in [12, end) and returns the EXIF orientation.
// In an extended file the image chunk's own size must equal the canvas and
// ALPH must come before a lossy image exactly when the alpha flag is set,
// as x/image/webp requires.
func walkWebP(ra io.ReaderAt, end int64, extended bool, flags byte, cw, ch int) (int, error) {
	b := newReader(ra, end, 12)
	orientation := 1
	images, alph := 0, false
	for b.remaining() > 0 {
		hd, err := b.next(8)
		if err != nil {
			return 1, readFailure(err, "webp: chunk header cut short")
		}
		fourcc := string(hd[:4])
		length := int64(binary.LittleEndian.Uint32(hd[4:]))
		pad := length % 2
		if length > b.remaining() {
			return 1, invalidf("webp: chunk %q extends past the RIFF data (truncated file)", fourcc)
		}
		switch fourcc {
		case "VP8X":
			if b.pos() != 20 {
				return 1, invalidf("webp: VP8X chunk is not first")
			}
		case "VP8 ", "VP8L":
			if images++; images > 1 {
				return 1, invalidf("webp: more than one image chunk")
			}
			if extended {
				if err := b.fill(int(min(length, 10))); err != nil {
					return 1, readFailure(err, "webp: image chunk cut short")
				}
				w, h, err := webpFrameSize(fourcc, b.buf[b.r:b.w], length)
				if err != nil {
					return 1, err
				}
				if w != cw || h != ch {
					return 1, invalidf("webp: image is %dx%d but the canvas is %dx%d", w, h, cw, ch)
				}
				wantAlph := flags&vp8xAlpha != 0 && fourcc == "VP8 "
				if alph != wantAlph {
					return 1, invalidf("webp: ALPH chunk and alpha flag disagree")
				}
			}
		case "ALPH":
			if !extended || flags&vp8xAlpha == 0 || images > 0 || alph {
				return 1, invalidf("webp: unexpected ALPH chunk")
			}
			alph = true
		case "EXIF":
			if extended && flags&vp8xEXIF != 0 && orientation == 1 && length <= maxEXIFChunk {
				data, err := b.next(int(length))
				if err != nil {
					return 1, readFailure(err, "webp: EXIF chunk cut short")
				}
				if len(data) >= 6 && string(data[:6]) == "Exif\x00\x00" {
					data = data[6:] // some writers keep the JPEG APP1 prefix
				}
				orientation = exifOrientation(data)
				length = 0
			}
		case "ANIM", "ANMF":
			return 1, invalidf("webp: animated WebP is not supported")
		}
		if err := b.skip(length); err != nil {
			return 1, readFailure(err, "webp: chunk "+fourcc+" cut short")
		}
		if pad == 1 && b.remaining() > 0 {
			// Chunks are padded to even sizes; a missing pad after the last
			// chunk is tolerated.
			if err := b.skip(1); err != nil {
				return 1, readFailure(err, "webp: chunk padding missing")
			}
		}
	}
	if images == 0 {
		return 1, invalidf("webp: no VP8 or VP8L image chunk")
	}
	return orientation, nil
}
