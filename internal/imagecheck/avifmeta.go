package imagecheck

import (
	"encoding/binary"
	"math"
)

// avifMeta is what the meta box says about the primary image.
type avifMeta struct {
	w, h        uint32 // ispe, i.e. before irot
	orientation int    // EXIF equivalent of irot/imir
	needsMdat   bool   // some item's data lives in the file rather than in idat
}

// avifOrientations maps irot angle (counter-clockwise quarter turns) and
// imir (0 none, 1 about the vertical axis, 2 about the horizontal axis) to the
// EXIF orientation that displays the stored pixels the same way. MIAF applies
// irot before imir; files that list them the other way round are rare
// and are read with the same table.
var avifOrientations = [4][3]int{
	{1, 2, 4},
	{8, 7, 5},
	{3, 4, 2},
	{6, 5, 7},
}

// parseMeta parses the payload of the top-level meta box: hdlr, pitm, the
// primary item's properties (ispe, irot, imir via ipma/ipco), its type in
// iinf, and every item's location in iloc.
func parseMeta(p []byte, fileSize, maxPixels int64) (avifMeta, error) {
	var m avifMeta
	ver, _, body, ok := fullBox(p)
	if !ok || ver != 0 {
		return m, invalidf("avif: bad meta box header")
	}
	var hdlr, pitm, iinf, iloc, iprp, idat []byte
	err := eachBox(body, "meta", func(typ string, pl []byte) error {
		var dst *[]byte
		switch typ {
		case "hdlr":
			dst = &hdlr
		case "pitm":
			dst = &pitm
		case "iinf":
			dst = &iinf
		case "iloc":
			dst = &iloc
		case "iprp":
			dst = &iprp
		case "idat":
			dst = &idat
		default:
			return nil
		}
		if *dst != nil {
			return invalidf("avif: more than one %s box", typ)
		}
		*dst = pl
		return nil
	})
	if err != nil {
		return m, err
	}
	if _, _, rest, ok := fullBox(hdlr); !ok || len(rest) < 8 || string(rest[4:8]) != "pict" {
		return m, invalidf("avif: meta box is not an image (missing hdlr pict)")
	}
	pv, _, rest, ok := fullBox(pitm)
	c := cursor{b: rest}
	primary := c.u16or32(pv == 0)
	if !ok || c.bad {
		return m, invalidf("avif: no primary item (missing pitm box)")
	}
	if iprp == nil {
		return m, invalidf("avif: no item properties (missing iprp box)")
	}
	var angle, mirror int
	var sawSize bool
	if m.w, m.h, angle, mirror, sawSize, err = primaryProperties(iprp, primary); err != nil {
		return m, err
	}
	if !sawSize {
		return m, invalidf("avif: primary item has no ispe (image size) property")
	}
	if err := checkPixels("avif", uint64(m.w), uint64(m.h), maxPixels); err != nil {
		return m, err
	}
	m.orientation = avifOrientations[angle][mirror]
	if err := checkItemType(iinf, primary); err != nil {
		return m, err
	}
	if m.needsMdat, err = checkLocations(iloc, primary, idat, fileSize); err != nil {
		return m, err
	}
	return m, nil
}

// primaryProperties finds the primary item's property indices in ipma and
// reads ispe, irot and imir from ipco. It makes two passes rather than
// collecting every property, so nothing is allocated per box.
func primaryProperties(iprp []byte, primary uint32) (w, h uint32, angle, mirror int, sawSize bool, err error) {
	var ipco []byte
	var indices [255]uint16
	n, found := 0, false
	err = eachBox(iprp, "iprp", func(typ string, pl []byte) error {
		switch typ {
		case "ipco":
			if ipco != nil {
				return invalidf("avif: more than one ipco box")
			}
			ipco = pl
		case "ipma":
			ver, flags, rest, ok := fullBox(pl)
			if !ok {
				return invalidf("avif: bad ipma box")
			}
			c := cursor{b: rest}
			count := c.u32()
			for i := uint32(0); i < count && !c.bad; i++ {
				item := c.u16or32(ver < 1)
				k := int(c.u8())
				mine := item == primary && !found
				for j := 0; j < k; j++ {
					var idx uint16
					if flags&1 != 0 {
						idx = c.u16() & 0x7FFF
					} else {
						idx = uint16(c.u8() & 0x7F)
					}
					if mine {
						indices[n] = idx
						n++
					}
				}
				found = found || mine
			}
			if c.bad {
				return invalidf("avif: ipma box cut short")
			}
		}
		return nil
	})
	if err != nil {
		return
	}
	if ipco == nil {
		err = invalidf("avif: no ipco box")
		return
	}
	if !found {
		err = invalidf("avif: primary item has no properties (ipma)")
		return
	}
	index := 0
	err = eachBox(ipco, "ipco", func(typ string, pl []byte) error {
		index++
		used := false
		for _, i := range indices[:n] {
			used = used || int(i) == index
		}
		if !used {
			return nil
		}
		switch typ {
		case "ispe":
			if sawSize {
				return nil
			}
			_, _, rest, ok := fullBox(pl)
			if !ok || len(rest) < 8 {
				return invalidf("avif: ispe property too short")
			}
			w, h, sawSize = binary.BigEndian.Uint32(rest), binary.BigEndian.Uint32(rest[4:]), true
		case "irot":
			if len(pl) < 1 {
				return invalidf("avif: irot property too short")
			}
			angle = int(pl[0] & 3)
		case "imir":
			if len(pl) < 1 {
				return invalidf("avif: imir property too short")
			}
			mirror = 1 + int(pl[0]&1)
		}
		return nil
	})
	if err != nil {
		return
	}
	for _, i := range indices[:n] {
		if int(i) > index {
			err = invalidf("avif: ipma refers to missing property %d", i)
			return
		}
	}
	return
}

// checkItemType requires the primary item to be an unprotected AV1 image or
// a grid of them: HEIF files can carry the avif brand with other codecs.
func checkItemType(iinf []byte, primary uint32) error {
	ver, _, rest, ok := fullBox(iinf)
	if !ok {
		return invalidf("avif: missing iinf box")
	}
	c := cursor{b: rest}
	c.u16or32(ver == 0) // entry count; the boxes themselves are authoritative
	if c.bad {
		return invalidf("avif: iinf box cut short")
	}
	found := false
	err := eachBox(c.b, "iinf", func(typ string, pl []byte) error {
		if typ != "infe" || found {
			return nil
		}
		v, _, rest, ok := fullBox(pl)
		if !ok || v < 2 {
			return nil // versions 0 and 1 have no item type and are not AVIF
		}
		ic := cursor{b: rest}
		id := ic.u16or32(v == 2)
		protection := ic.u16()
		itemType := string(ic.take(4))
		if ic.bad || id != primary {
			return nil
		}
		found = true
		if protection != 0 {
			return invalidf("avif: primary item is protected (encrypted)")
		}
		if itemType != "av01" && itemType != "grid" {
			return invalidf("avif: primary item is %q, not an AV1 image", itemType)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !found {
		return invalidf("avif: primary item %d has no iinf entry", primary)
	}
	return nil
}

// checkLocations checks that every item's extents in iloc lie inside the file
// (construction method 0) or inside idat (method 1), and that the primary
// item has data. It reports whether any item needs mdat.
func checkLocations(iloc []byte, primary uint32, idat []byte, fileSize int64) (needsMdat bool, err error) {
	ver, _, rest, ok := fullBox(iloc)
	if !ok || ver > 2 {
		return false, invalidf("avif: missing or unknown iloc box")
	}
	c := cursor{b: rest}
	a, b := c.u8(), c.u8()
	offSize, lenSize, baseSize, idxSize := a>>4, a&15, b>>4, byte(0)
	if ver >= 1 {
		idxSize = b & 15
	}
	for _, s := range []byte{offSize, lenSize, baseSize, idxSize} {
		if s != 0 && s != 4 && s != 8 {
			return false, invalidf("avif: bad field size %d in iloc", s)
		}
	}
	count := c.u16or32(ver < 2)
	sawPrimary := false
	for i := uint32(0); i < count && !c.bad; i++ {
		id := c.u16or32(ver < 2)
		method := 0
		if ver >= 1 {
			method = int(c.u16() & 15)
		}
		dref := c.u16()
		base := c.uN(baseSize)
		extents := int(c.u16())
		if c.bad {
			break
		}
		if dref != 0 {
			return false, invalidf("avif: item %d refers to data outside the file", id)
		}
		if id == primary {
			if sawPrimary || extents == 0 {
				return false, invalidf("avif: primary item has no single data location")
			}
			sawPrimary = true
		}
		var limit uint64
		switch method {
		case 0:
			limit, needsMdat = uint64(fileSize), true
		case 1:
			if idat == nil {
				return false, invalidf("avif: item %d refers to a missing idat box", id)
			}
			limit = uint64(len(idat))
		case 2:
			limit = math.MaxUint64 // offsets into another item, checked by the decoder
		default:
			return false, invalidf("avif: item %d has unknown construction method %d", id, method)
		}
		if offSize == 0 && lenSize == 0 && idxSize == 0 {
			// Zero-width extents consume no bytes and are all alike: check
			// one, or 65535 of them per item would be free CPU for a forger.
			extents = min(extents, 1)
		}
		for e := 0; e < extents && !c.bad; e++ {
			c.uN(idxSize)
			off, n := c.uN(offSize), c.uN(lenSize)
			start := base + off
			// A zero length means "to the end"; overflow wraps start below base.
			if start < base || start > limit || n > limit-start {
				return false, invalidf("avif: item %d data lies outside the file (truncated file)", id)
			}
		}
	}
	if c.bad {
		return false, invalidf("avif: iloc box cut short")
	}
	if !sawPrimary {
		return false, invalidf("avif: primary item has no location (iloc)")
	}
	return needsMdat, nil
}
