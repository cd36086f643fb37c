package imagecheck

import "encoding/binary"

// exifOrientation returns the Orientation tag (0x0112) of IFD0 in TIFF-format
// EXIF data t, which starts at the byte-order mark. Only this one tag is
// wanted, so a full EXIF parser would be attack surface for nothing: every
// offset is bounds-checked against t and anything odd means 1 (no rotation).
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := uint64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > uint64(len(t)) {
		return 1
	}
	count := int(bo.Uint16(t[ifd:]))
	for i := 0; i < count; i++ {
		e := int(ifd) + 2 + 12*i
		if e+12 > len(t) {
			return 1
		}
		tag := bo.Uint16(t[e:])
		if tag != 0x0112 {
			continue
		}
		typ, n := bo.Uint16(t[e+2:]), bo.Uint32(t[e+4:])
		var v uint32
		switch {
		case typ == 3 && (n == 1 || n == 2): // SHORT, stored in place
			v = uint32(bo.Uint16(t[e+8:]))
		case typ == 4 && n == 1: // LONG, written by a few tools
			v = bo.Uint32(t[e+8:])
		default:
			return 1
		}
		if v >= 1 && v <= 8 {
			return int(v)
		}
		return 1
	}
	return 1
}
