package imagecheck

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// sniff names the format from magic bytes only: the client's filename and
// Content-Type are never trusted. Anything that is not one of the five
// accepted formats is ErrUnsupported, with a guess at what it is so that the
// client's error message is useful.
func sniff(ra io.ReaderAt, size int64) (string, error) {
	var head [64]byte
	n, err := ra.ReadAt(head[:min(int64(len(head)), size)], 0)
	if n == 0 && err != nil && err != io.EOF {
		return "", fmt.Errorf("imagecheck: reading upload: %w", err)
	}
	h := head[:n]
	switch {
	case bytes.HasPrefix(h, []byte{0xFF, 0xD8, 0xFF}):
		return "jpg", nil
	case bytes.HasPrefix(h, pngSignature):
		return "png", nil
	case bytes.HasPrefix(h, []byte("GIF87a")), bytes.HasPrefix(h, []byte("GIF89a")):
		return "gif", nil
	case len(h) >= 12 && string(h[:4]) == "RIFF" && string(h[8:12]) == "WEBP":
		return "webp", nil
	case len(h) >= 12 && string(h[4:8]) == "ftyp":
		return sniffFtyp(ra, size, h)
	}
	return "", fmt.Errorf("%w: %s", ErrUnsupported, describeUnknown(h))
}

// sniffFtyp accepts an ISOBMFF file only when its ftyp box lists the avif or
// avis brand: HEIC and other HEIF files share the container but not the codec.
func sniffFtyp(ra io.ReaderAt, size int64, h []byte) (string, error) {
	boxSize := int64(binary.BigEndian.Uint32(h))
	major := string(h[8:12])
	claimsAVIF := major == "avif" || major == "avis"
	// A real ftyp lists a handful of brands; 1 KiB is far more than enough
	// and bounds what is read for a forged size.
	const maxFtyp = 1024
	if boxSize < 16 || boxSize > maxFtyp || boxSize > size || (boxSize-16)%4 != 0 {
		if claimsAVIF {
			return "", invalidf("avif: bad ftyp box size %d", boxSize)
		}
		return "", fmt.Errorf("%w: ISO media file with brand %q", ErrUnsupported, major)
	}
	var buf [maxFtyp]byte
	box := buf[:boxSize]
	if n, err := ra.ReadAt(box, 0); int64(n) < boxSize {
		if err != nil && err != io.EOF {
			return "", fmt.Errorf("imagecheck: reading upload: %w", err)
		}
		return "", invalidf("avif: truncated ftyp box")
	}
	for i := 16; i+4 <= len(box); i += 4 {
		if b := string(box[i : i+4]); b == "avif" || b == "avis" {
			claimsAVIF = true
		}
	}
	if claimsAVIF {
		return "avif", nil
	}
	switch major {
	case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1":
		return "", fmt.Errorf("%w: HEIF/HEIC image (brand %q); send JPEG, PNG, GIF, WebP or AVIF", ErrUnsupported, major)
	}
	return "", fmt.Errorf("%w: ISO media file with brand %q", ErrUnsupported, major)
}

var pngSignature = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}

// describeUnknown guesses what an unsupported file is, only for the message.
func describeUnknown(h []byte) string {
	t := bytes.TrimLeft(bytes.TrimPrefix(h, []byte("\xEF\xBB\xBF")), " \t\r\n")
	lower := bytes.ToLower(t)
	switch {
	case bytes.HasPrefix(lower, []byte("<svg")), bytes.HasPrefix(lower, []byte("<?xml")),
		bytes.HasPrefix(lower, []byte("<!doctype svg")):
		return "SVG/XML is not accepted"
	case bytes.HasPrefix(lower, []byte("<!doctype html")), bytes.HasPrefix(lower, []byte("<html")):
		return "HTML is not an image"
	case bytes.HasPrefix(h, []byte("%PDF-")):
		return "PDF is not accepted"
	case bytes.HasPrefix(h, []byte("BM")):
		return "BMP is not accepted"
	case bytes.HasPrefix(h, []byte("II*\x00")), bytes.HasPrefix(h, []byte("MM\x00*")):
		return "TIFF is not accepted"
	case bytes.HasPrefix(h, []byte("\x00\x00\x01\x00")):
		return "ICO is not accepted"
	case bytes.HasPrefix(h, []byte("8BPS")):
		return "PSD is not accepted"
	case bytes.HasPrefix(h, []byte{0xFF, 0x0A}), bytes.HasPrefix(h, []byte("\x00\x00\x00\x0cJXL ")):
		return "JPEG XL is not accepted"
	case isText(h):
		return "text is not an image"
	}
	return "not a JPEG, PNG, GIF, WebP or AVIF file"
}

func isText(h []byte) bool {
	for _, c := range h {
		if c < 0x09 || (c > 0x0D && c < 0x20) || c == 0x7F {
			return false
		}
	}
	return len(h) > 0
}
