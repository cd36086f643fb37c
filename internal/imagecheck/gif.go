package imagecheck

import (
	"encoding/binary"
	"io"
)

// inspectGIF reads the logical screen descriptor itself (image/gif's
// DecodeConfig is header-only too, but it also reads the global colour table,
// so a forged screen size followed by garbage would come out as "invalid"
// instead of "too many pixels") and then walks the block structure to the
// trailer without decompressing any LZW data. Frames must lie inside the
// logical screen, which is what bounds the memory a decoder needs per frame;
// the rules mirror those of Go's gif decoder.
func inspectGIF(ra io.ReaderAt, size int64, maxPixels int64) (Info, error) {
	info := Info{Orientation: 1}
	var lsd [13]byte
	if n, err := ra.ReadAt(lsd[:min(int64(len(lsd)), size)], 0); n < len(lsd) {
		if err != nil && err != io.EOF {
			return info, readFailure(err, "")
		}
		return info, invalidf("gif: file too short for a screen descriptor (truncated file)")
	}
	w := int(binary.LittleEndian.Uint16(lsd[6:]))
	h := int(binary.LittleEndian.Uint16(lsd[8:]))
	if err := checkPixels("gif", uint64(w), uint64(h), maxPixels); err != nil {
		return info, err
	}
	info.Width, info.Height = w, h

	b := newReader(ra, size, 13)
	hasGlobal := lsd[10]&0x80 != 0
	if hasGlobal {
		if err := b.skip(colorTableSize(lsd[10])); err != nil {
			return info, readFailure(err, "gif: global colour table cut short")
		}
	}
	frames := 0
	for {
		c, err := b.byte()
		if err != nil {
			return info, readFailure(err, "gif: missing trailer")
		}
		switch c {
		case 0x21: // extension
			label, err := b.byte()
			if err != nil {
				return info, readFailure(err, "gif: missing trailer")
			}
			switch label {
			case 0xF9: // graphic control: Go's decoder wants exactly one 4-byte block
				blk, err := b.next(6)
				if err != nil {
					return info, readFailure(err, "gif: graphic control extension cut short")
				}
				if blk[0] != 4 || blk[5] != 0 {
					return info, invalidf("gif: bad graphic control extension")
				}
				continue
			case 0x01, 0xFE, 0xFF: // plain text, comment, application
			default:
				return info, invalidf("gif: unknown extension 0x%02X", label)
			}
			if err := skipSubBlocks(b); err != nil {
				return info, err
			}
		case 0x2C: // image descriptor
			d, err := b.next(9)
			if err != nil {
				return info, readFailure(err, "gif: image descriptor cut short")
			}
			left, top := int(binary.LittleEndian.Uint16(d[0:])), int(binary.LittleEndian.Uint16(d[2:]))
			fw, fh := int(binary.LittleEndian.Uint16(d[4:])), int(binary.LittleEndian.Uint16(d[6:]))
			fields := d[8]
			if left+fw > w || top+fh > h {
				return info, invalidf("gif: frame %d (%dx%d at %d,%d) lies outside the %dx%d screen", frames+1, fw, fh, left, top, w, h)
			}
			if fields&0x80 != 0 {
				if err := b.skip(colorTableSize(fields)); err != nil {
					return info, readFailure(err, "gif: local colour table cut short")
				}
			} else if !hasGlobal {
				return info, invalidf("gif: frame %d has no colour table", frames+1)
			}
			lit, err := b.byte()
			if err != nil {
				return info, readFailure(err, "gif: image data cut short")
			}
			if lit < 2 || lit > 8 {
				return info, invalidf("gif: bad LZW code size %d", lit)
			}
			if err := b.fill(1); err != nil {
				return info, readFailure(err, "gif: image data cut short")
			}
			if b.buf[b.r] == 0 && fw*fh > 0 {
				return info, invalidf("gif: frame %d has no image data", frames+1)
			}
			if err := skipSubBlocks(b); err != nil {
				return info, err
			}
			frames++
		case 0x3B: // trailer; anything after it is ignored
			if frames == 0 {
				return info, invalidf("gif: no image in file")
			}
			return info, nil
		default:
			return info, invalidf("gif: unknown block type 0x%02X at offset %d", c, b.pos()-1)
		}
	}
}

// colorTableSize is the byte size of the colour table a packed field declares.
func colorTableSize(fields byte) int64 {
	return 3 << (1 + fields&0x07)
}

// skipSubBlocks skips a chain of data sub-blocks up to its zero terminator.
// Sub-blocks are at most 255 bytes, so the loop stays inside the buffer and
// only refills (or seeks) at its edge.
func skipSubBlocks(b *reader) error {
	for {
		if b.r >= b.w {
			if err := b.fill(1); err != nil {
				return readFailure(err, "gif: data sub-blocks cut short")
			}
		}
		n := int(b.buf[b.r])
		if n == 0 {
			b.r++
			return nil
		}
		if b.r+1+n <= b.w {
			b.r += 1 + n
			continue
		}
		if err := b.skip(int64(1 + n)); err != nil {
			return readFailure(err, "gif: data sub-blocks cut short")
		}
	}
}
