package imagecheck

import (
	"encoding/binary"
	"io"
)

// maxMetaBox caps the meta box read into memory. Real AVIF meta boxes are a
// few hundred bytes (tens of KiB for big grids), so 1 MiB only refuses
// forgeries and bounds the allocation.
const maxMetaBox = 1 << 20

// maxBoxes caps the boxes walked at the top level and inside moov. Each costs
// a ReadAt, so a file made of millions of empty 8-byte boxes would otherwise
// be slow to walk; real files have a handful at the top level and tens in moov.
const maxBoxes = 1000

// inspectAVIF walks the top-level boxes, checking that their lengths tile the
// file exactly. The meta box is parsed (and its primary item's size checked
// against maxPixels) as soon as it is met, before the rest of the walk, so a
// forged ispe is refused as too large whatever follows. gen2brain/avif is not
// used here: it starts a WASM runtime, far too slow for the upload path.
func inspectAVIF(ra io.ReaderAt, size int64, maxPixels int64) (Info, error) {
	info := Info{Orientation: 1}
	var (
		major                     string
		meta                      avifMeta
		sawMeta, sawMoov, sawMdat bool
		track                     trackSize
	)
	for off, count := int64(0), 0; off < size; count++ {
		if count == maxBoxes {
			return info, invalidf("avif: more than %d top-level boxes", maxBoxes)
		}
		bx, err := readBox(ra, off, size)
		if err != nil {
			return info, err
		}
		if off == 0 && bx.typ != "ftyp" {
			return info, invalidf("avif: file does not start with an ftyp box")
		}
		switch bx.typ {
		case "ftyp":
			if off != 0 || bx.end-bx.body < 8 {
				return info, invalidf("avif: misplaced or short ftyp box")
			}
			var brand [4]byte
			if err := readAt(ra, brand[:], bx.body); err != nil {
				return info, readFailure(err, "avif: ftyp box cut short")
			}
			major = string(brand[:])
		case "meta":
			if sawMeta {
				return info, invalidf("avif: more than one meta box")
			}
			sawMeta = true
			n := bx.end - bx.body
			if n > maxMetaBox {
				return info, invalidf("avif: meta box of %d bytes is implausibly large", n)
			}
			buf := make([]byte, n)
			if err := readAt(ra, buf, bx.body); err != nil {
				return info, readFailure(err, "avif: meta box cut short")
			}
			if meta, err = parseMeta(buf, size, maxPixels); err != nil {
				return info, err
			}
		case "moov":
			if sawMoov {
				return info, invalidf("avif: more than one moov box")
			}
			sawMoov = true
			if track, err = trackSizes(ra, bx, maxPixels); err != nil {
				return info, err
			}
		case "mdat":
			sawMdat = true
		}
		off = bx.end
	}

	// libavif, behind gen2brain/avif, decodes the track of a file whose
	// major brand is avis and the primary item otherwise; report what it
	// will decode.
	switch {
	case major == "avis" && track.ok:
		info.Width, info.Height = track.w, track.h
	case sawMeta:
		info.Width, info.Height = int(meta.w), int(meta.h)
		info.Orientation = meta.orientation
	case major == "avis":
		return info, invalidf("avif: image sequence has neither a video track nor a primary item")
	default:
		return info, invalidf("avif: no meta box (no primary image)")
	}
	if !sawMdat && (meta.needsMdat || major == "avis") {
		return info, invalidf("avif: missing mdat box (no image data)")
	}
	return info, nil
}

// trackSize is the first visual track's presentation size.
type trackSize struct {
	w, h int
	ok   bool
}

// trackSizes reads tkhd of every trak in moov, checks each visual track's
// size against maxPixels, and returns the first. Only box headers and tkhd
// bodies are read; sample tables are not walked.
func trackSizes(ra io.ReaderAt, moov box, maxPixels int64) (trackSize, error) {
	var first trackSize
	count := 0
	for off := moov.body; off < moov.end; {
		if count++; count > maxBoxes {
			return first, invalidf("avif: more than %d boxes in moov", maxBoxes)
		}
		trak, err := readBox(ra, off, moov.end)
		if err != nil {
			return first, err
		}
		off = trak.end
		if trak.typ != "trak" {
			continue
		}
		for o := trak.body; o < trak.end; {
			if count++; count > maxBoxes {
				return first, invalidf("avif: more than %d boxes in moov", maxBoxes)
			}
			c, err := readBox(ra, o, trak.end)
			if err != nil {
				return first, err
			}
			o = c.end
			if c.typ != "tkhd" {
				continue
			}
			// tkhd is 84 bytes in version 0 and 96 in version 1; width and
			// height (16.16 fixed point) are its last 8 bytes.
			n := c.end - c.body
			if n != 84 && n != 96 {
				return first, invalidf("avif: bad tkhd box size %d", n)
			}
			var wh [8]byte
			if err := readAt(ra, wh[:], c.end-8); err != nil {
				return first, readFailure(err, "avif: tkhd box cut short")
			}
			w := binary.BigEndian.Uint32(wh[:]) >> 16
			h := binary.BigEndian.Uint32(wh[4:]) >> 16
			if w == 0 && h == 0 {
				continue // not a visual track
			}
			if err := checkPixels("avif", uint64(w), uint64(h), maxPixels); err != nil {
				return first, err
			}
			if !first.ok {
				first = trackSize{w: int(w), h: int(h), ok: true}
			}
		}
	}
	return first, nil
}
