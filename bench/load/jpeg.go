package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"mime/multipart"
	"net/textproto"
	"strings"
)

// jpegOfSize encodes noise at quality 92, resizing the square until the
// file is within 10% under size (and leaves room for the comment segment
// that uniqueJPEG inserts, so a size equal to a server's limit still fits).
func jpegOfSize(size int) ([]byte, error) {
	hi := size - 1024
	lo := size * 9 / 10
	if hi <= lo {
		return nil, fmt.Errorf("size %d is too small for a noise JPEG", size)
	}
	side := 256
	for range 30 {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, noise(side, side), &jpeg.Options{Quality: 92}); err != nil {
			return nil, err
		}
		n := buf.Len()
		if n >= lo && n <= hi {
			return buf.Bytes(), nil
		}
		// Noise costs about the same bytes per pixel at any size, so scale
		// the side by the square root of the miss, aiming at the middle of
		// the window.
		next := int(float64(side) * math.Sqrt(float64(lo+hi)/2/float64(n)))
		if next == side {
			if n < lo {
				next++
			} else {
				next--
			}
		}
		side = max(next, 8)
	}
	return nil, fmt.Errorf("no noise JPEG of about %d bytes found", size)
}

// noise is an opaque image of uniformly random pixels, the same on every run.
func noise(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(img.Pix); i += 4 {
		v := r.Uint32()
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = byte(v), byte(v>>8), byte(v>>16), 0xFF
	}
	return img
}

// comSegment is a JPEG comment segment (FF FE, length, text) that makes
// each request's bytes unique, so no server's dedupe spares it any work.
func comSegment(text string) []byte {
	seg := make([]byte, 4, 4+len(text))
	seg[0], seg[1] = 0xFF, 0xFE
	binary.BigEndian.PutUint16(seg[2:], uint16(len(text)+2))
	return append(seg, text...)
}

// multipartUpload is one GraphQL multipart request as apollo-upload-client
// sends it: operations, then map {"1":["variables.file"]}, then the file as
// part "1". The body streams base without copying it, with comment inserted
// right after SOI.
type multipartUpload struct {
	body        io.Reader
	contentType string
	length      int64
}

func newMultipartUpload(operations string, base []byte, comment string) multipartUpload {
	var head bytes.Buffer
	w := multipart.NewWriter(&head)
	_ = w.WriteField("operations", operations)
	_ = w.WriteField("map", `{"1":["variables.file"]}`)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="1"; filename="bench.jpg"`)
	h.Set("Content-Type", "image/jpeg")
	_, _ = w.CreatePart(h)
	head.Write(base[:2]) // SOI
	head.Write(comSegment(comment))
	tail := "\r\n--" + w.Boundary() + "--\r\n"
	return multipartUpload{
		body:        io.MultiReader(&head, bytes.NewReader(base[2:]), strings.NewReader(tail)),
		contentType: w.FormDataContentType(),
		length:      int64(head.Len()) + int64(len(base)-2) + int64(len(tail)),
	}
}
