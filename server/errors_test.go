package main

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// pngHeaderClaiming is a PNG signature and IHDR that claim w x h, followed by
// garbage: the pixel limit must refuse it from the header alone.
func pngHeaderClaiming(w, h uint32) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'})
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	_ = binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	b.Write(bytes.Repeat([]byte{0xde, 0xad}, 100))
	return b.Bytes()
}

// corruptPNGData damages the compressed data in a PNG's first IDAT chunk and
// writes the chunk's CRC anew, so that only inflating the data can tell.
func corruptPNGData(t *testing.T, png []byte) []byte {
	t.Helper()
	out := bytes.Clone(png)
	at := bytes.Index(out, []byte("IDAT"))
	if at < 4 {
		t.Fatal("no IDAT")
	}
	n := int(binary.BigEndian.Uint32(out[at-4:]))
	data := out[at+4 : at+4+n]
	for i := 2; i < len(data) && i < 40; i++ { // past the zlib header
		data[i] ^= 0x5a
	}
	binary.BigEndian.PutUint32(out[at+4+n:], crc32.ChecksumIEEE(out[at:at+4+n]))
	return out
}

func TestUploadImage_RefusesWhatIsNotAnAcceptedImage(t *testing.T) {
	e := newEnv(t)
	tok := e.user("refuse")
	good := pngFile("g.png", 40, 40, 20).data
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`)
	cases := []struct {
		name string
		data []byte
		code string
	}{
		{"svg", svg, "INVALID_IMAGE"},
		{"text", []byte("hello"), "INVALID_IMAGE"},
		{"empty", []byte{}, "INVALID_IMAGE"},
		{"truncated png", good[:len(good)/2], "INVALID_IMAGE"},
		{"png with corrupt image data, valid CRCs", corruptPNGData(t, good), "INVALID_IMAGE"},
		{"pixel bomb header", pngHeaderClaiming(100000, 100000), "TOO_MANY_PIXELS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := e.upload(tok, uploadImageMutation, map[string]any{"file": nil}, []file{{name: "f.png", data: c.data}}, [][]string{{"variables.file"}})
			if resp.code() != c.code {
				t.Fatalf("code %q, want %s: %s", resp.code(), c.code, resp.Raw)
			}
			if resp.Errors[0].Message == "" {
				t.Error("no message")
			}
		})
	}
	if n := e.count(`SELECT count(*) FROM images i JOIN users u ON u.id = i.owner_id WHERE u.name = 'refuse'`); n != 0 {
		t.Errorf("%d rows left", n)
	}
	if f := e.storedFiles(); len(f) != 0 {
		t.Errorf("files left: %v", f)
	}
	eventually(t, "spool empty", func() bool { return len(e.spoolFiles()) == 0 })
}

func TestUploadImage_Limits(t *testing.T) {
	e := newEnv(t, func(c *config) { c.MaxFileBytes = 4096; c.MaxFiles = 2; c.MaxPixels = 10_000 })
	tok := e.user("limits")
	t.Run("file too large", func(t *testing.T) {
		f := pngFile("big.png", 200, 200, 21)
		resp := e.upload(tok, uploadImageMutation, map[string]any{"file": nil}, []file{f}, [][]string{{"variables.file"}})
		if resp.code() != "FILE_TOO_LARGE" {
			t.Fatalf("code %q: %s", resp.code(), resp.Raw)
		}
		if got := resp.Errors[0].Extensions["maxFileBytes"]; got != float64(4096) {
			t.Errorf("extensions.maxFileBytes = %v, want 4096: the app words its message from it", got)
		}
	})
	t.Run("too many files", func(t *testing.T) {
		files := []file{pngFile("1.png", 4, 4, 22), pngFile("2.png", 4, 4, 23), pngFile("3.png", 4, 4, 24)}
		vars, paths := batch(files...)
		resp := e.upload(tok, uploadImagesMutation, vars, files, paths)
		if resp.code() != "TOO_MANY_FILES" {
			t.Fatalf("code %q: %s", resp.code(), resp.Raw)
		}
		if got := resp.Errors[0].Extensions["maxFiles"]; got != float64(2) {
			t.Errorf("extensions.maxFiles = %v, want 2: the app words its message from it", got)
		}
	})
	t.Run("too many pixels", func(t *testing.T) {
		var b bytes.Buffer
		_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 200, 60))) // 12000 px in a few hundred bytes
		f := file{name: "wide.png", data: b.Bytes()}
		resp := e.upload(tok, uploadImageMutation, map[string]any{"file": nil}, []file{f}, [][]string{{"variables.file"}})
		if resp.code() != "TOO_MANY_PIXELS" {
			t.Fatalf("code %q: %s", resp.code(), resp.Raw)
		}
		if got := resp.Errors[0].Extensions["maxPixels"]; got != float64(10_000) {
			t.Errorf("extensions.maxPixels = %v, want 10_000: the app words its message from it", got)
		}
	})
	if f := e.storedFiles(); len(f) != 0 {
		t.Errorf("files left: %v", f)
	}
	_, metrics := get(t, e.srv.URL+"/metrics")
	for _, code := range []string{"FILE_TOO_LARGE", "TOO_MANY_FILES", "TOO_MANY_PIXELS"} {
		if !bytes.Contains(metrics, []byte(`mediagraph_refusals_total{code="`+code+`"} 1`)) {
			t.Errorf("refusal %s not counted", code)
		}
	}
}

func TestAuth_BadTokensAreUnauthenticated(t *testing.T) {
	e := newEnv(t)
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	future := time.Now().Add(time.Hour).Unix()
	cases := map[string]string{
		"expired":       sign(jwt.SigningMethodHS256, []byte(testSecret), jwt.MapClaims{"sub": "x", "exp": time.Now().Add(-time.Hour).Unix()}),
		"wrong secret":  sign(jwt.SigningMethodHS256, []byte("another-secret-another-secret-12"), jwt.MapClaims{"sub": "x", "exp": future}),
		"alg none":      sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "x", "exp": future}),
		"malformed":     "not.a.token",
		"no subject":    sign(jwt.SigningMethodHS256, []byte(testSecret), jwt.MapClaims{"exp": future}),
		"HS512 refused": sign(jwt.SigningMethodHS512, []byte(testSecret), jwt.MapClaims{"sub": "x", "exp": future}),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			resp := e.query(tok, `{ me { id } }`, nil)
			if resp.code() != "UNAUTHENTICATED" {
				t.Fatalf("code %q: %s", resp.code(), resp.Raw)
			}
		})
	}
	t.Run("anonymous me is null", func(t *testing.T) {
		var out struct{ Me *struct{ ID string } }
		e.query("", `{ me { id } }`, nil).decode(t, &out)
		if out.Me != nil {
			t.Fatal("anonymous me not null")
		}
	})
	t.Run("anonymous upload", func(t *testing.T) {
		resp := e.upload("", uploadImageMutation, map[string]any{"file": nil}, []file{pngFile("a.png", 4, 4, 26)}, [][]string{{"variables.file"}})
		if resp.code() != "UNAUTHENTICATED" {
			t.Fatalf("code %q: %s", resp.code(), resp.Raw)
		}
	})
	t.Run("anonymous images", func(t *testing.T) {
		if resp := e.query("", `{ images { totalCount } }`, nil); resp.code() != "UNAUTHENTICATED" {
			t.Fatalf("code %q: %s", resp.code(), resp.Raw)
		}
	})
	if strings.Contains(e.logs.String(), testSecret) {
		t.Error("the secret reached the log")
	}
}

func TestQueries_BadArguments(t *testing.T) {
	e := newEnv(t)
	tok := e.user("badargs")
	img := e.uploadImage(tok, pngFile("p.png", 10, 10, 27), nil)
	cases := map[string]struct {
		query string
		vars  map[string]any
	}{
		"first 0":       {`{ images(first: 0) { totalCount } }`, nil},
		"first 101":     {`{ images(first: 101) { totalCount } }`, nil},
		"bad cursor":    {`{ images(after: "bm9wZQ") { totalCount } }`, nil},
		"garbage":       {`{ images(after: "!!!") { totalCount } }`, nil},
		"width 5000":    {`query($id: ID!) { image(id: $id) { url(transform: {width: 5000}) } }`, map[string]any{"id": img.ID}},
		"quality 101":   {`query($id: ID!) { image(id: $id) { url(transform: {width: 50, quality: 101}) } }`, map[string]any{"id": img.ID}},
		"srcset 0":      {`query($id: ID!) { image(id: $id) { srcSet(widths: [0]) } }`, map[string]any{"id": img.ID}},
		"avatar size 0": {`{ me { avatarUrl(size: 0) } }`, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp := e.query(tok, c.query, c.vars)
			if resp.code() != "BAD_USER_INPUT" {
				t.Fatalf("code %q: %s", resp.code(), resp.Raw)
			}
		})
	}
}

func TestUploadImage_AStringIsNoUpload(t *testing.T) {
	e := newEnv(t)
	tok := e.user("string-upload")
	for _, q := range []struct {
		query string
		vars  map[string]any
	}{
		{uploadImageMutation, map[string]any{"file": "/etc/passwd"}},
		{`mutation { uploadImage(file: "https://example.com/cat.jpg") { id } }`, nil},
	} {
		resp := e.query(tok, q.query, q.vars)
		if resp.code() != "BAD_USER_INPUT" || !strings.Contains(resp.Errors[0].Message, "file part") {
			t.Errorf("code %q: %s", resp.code(), resp.Raw)
		}
	}
}
