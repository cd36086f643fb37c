package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gen2brain/webp"
)

// Accept headers as browsers send them for <img>.
const (
	acceptChrome  = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	acceptFirefox = "image/webp,*/*" // before AVIF
	acceptAny     = "*/*"            // curl; old browsers
)

const renditionQuery = `query($id: ID!, $t: TransformInput, $w: [Int!]!, $st: TransformInput) {
  image(id: $id) { url width height t: url(transform: $t) srcSet(widths: $w, transform: $st) }
}`

type renditionResult struct {
	Image struct {
		URL    string `json:"url"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
		T      string `json:"t"`
		SrcSet string `json:"srcSet"`
	} `json:"image"`
}

// renditions asks GraphQL for the image's URL under transform t and its srcset.
func (e *testEnv) renditions(tok, id string, t map[string]any, widths []int, st map[string]any) renditionResult {
	e.t.Helper()
	var out renditionResult
	e.query(tok, renditionQuery, map[string]any{"id": id, "t": t, "w": widths, "st": st}).decode(e.t, &out)
	return out
}

// fetchImage GETs a delivery URL as a browser would and decodes the picture.
func fetchImage(t *testing.T, url, accept string) (*http.Response, []byte, image.Image) {
	t.Helper()
	resp, body := get(t, url, "Accept", accept)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	var m image.Image
	var err error
	if resp.Header.Get("Content-Type") == "image/webp" {
		m, err = webp.Decode(bytes.NewReader(body))
	} else {
		m, _, err = image.Decode(bytes.NewReader(body))
	}
	if err != nil {
		t.Fatalf("GET %s: %s does not decode: %v", url, resp.Header.Get("Content-Type"), err)
	}
	return resp, body, m
}

func TestRenditions_FromGraphQLAsABrowser(t *testing.T) {
	e := newEnv(t)
	tok := e.user("browser")
	img := e.uploadImage(tok, jpegFile("photo.jpg", 600, 400, 70), nil)
	r := e.renditions(tok, img.ID, map[string]any{"width": 200, "height": 200}, []int{320, 640}, map[string]any{"format": "WEBP", "crop": "FIT"})
	if r.Image.URL != img.URL || !strings.Contains(r.Image.T, "/media/r/") {
		t.Fatalf("url = %q, url(transform) = %q", r.Image.URL, r.Image.T)
	}
	// The same transform always gives the same URL.
	if again := e.renditions(tok, img.ID, map[string]any{"width": 200, "height": 200, "crop": "FILL", "gravity": "AUTO", "format": "AUTO"}, []int{320, 640},
		map[string]any{"format": "WEBP", "crop": "FIT"}); again.Image.T != r.Image.T || again.Image.SrcSet != r.Image.SrcSet {
		t.Errorf("URLs changed between queries:\n%s\n%s", r.Image.T, again.Image.T)
	}

	before := e.localStore().Renders()
	for _, c := range []struct{ accept, ctype string }{{acceptChrome, "image/webp"}, {acceptFirefox, "image/webp"}, {acceptAny, "image/jpeg"}, {"image/*", "image/jpeg"}} {
		resp, _, m := fetchImage(t, r.Image.T, c.accept)
		if got := resp.Header.Get("Content-Type"); got != c.ctype {
			t.Errorf("Accept %q: %s, want %s", c.accept, got, c.ctype)
		}
		if resp.Header.Get("Vary") != "Accept" || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || resp.Header.Get("ETag") == "" {
			t.Errorf("Accept %q: headers %v", c.accept, resp.Header)
		}
		if b := m.Bounds(); b.Dx() != 200 || b.Dy() != 200 {
			t.Errorf("Accept %q: %v, want 200x200", c.accept, b)
		}
	}
	// Cached: asking again renders nothing.
	resp, _, _ := fetchImage(t, r.Image.T, acceptFirefox)
	if n := e.localStore().Renders() - before; n != 2 {
		t.Errorf("%d renders for webp, jpeg, jpeg, webp; want 2", n)
	}
	if nm, _ := get(t, r.Image.T, "Accept", acceptFirefox, "If-None-Match", resp.Header.Get("ETag")); nm.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", nm.StatusCode)
	}

	// srcSet: one WebP candidate per width, the height following the ratio.
	cands := regexp.MustCompile(`^(\S+) 320w, (\S+) 640w$`).FindStringSubmatch(r.Image.SrcSet)
	if cands == nil {
		t.Fatalf("srcSet = %q", r.Image.SrcSet)
	}
	for i, w := range []int{320, 640} {
		resp, _, m := fetchImage(t, cands[i+1], acceptAny)
		if resp.Header.Get("Content-Type") != "image/webp" || m.Bounds().Dx() != w || m.Bounds().Dy() != (w*400+300)/600 {
			t.Errorf("candidate %dw: %s %v", w, resp.Header.Get("Content-Type"), m.Bounds())
		}
	}
}

func TestRenditions_ConcurrentFirstRequestsRenderOnce(t *testing.T) {
	e := newEnv(t)
	tok := e.user("herd")
	img := e.uploadImage(tok, jpegFile("big.jpg", 1600, 1200, 71), nil)
	u := e.renditions(tok, img.ID, map[string]any{"width": 300, "format": "JPG"}, []int{1}, nil).Image.T
	before := e.localStore().Renders()
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if resp, _ := get(t, u); resp.StatusCode != http.StatusOK {
				t.Errorf("GET: %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if n := e.localStore().Renders() - before; n != 1 {
		t.Errorf("%d renders for 6 concurrent first requests, want 1", n)
	}
}

func TestRenditions_OverTheCapIsBadUserInput(t *testing.T) {
	e := newEnv(t)
	tok := e.user("cap")
	img := e.uploadImage(tok, pngFile("a.png", 20, 20, 72), nil)
	for name, q := range map[string]string{
		"width":        `query($id: ID!) { image(id: $id) { url(transform: {width: 4097}) } }`,
		"height":       `query($id: ID!) { image(id: $id) { url(transform: {height: 5000}) } }`,
		"srcSet width": `query($id: ID!) { image(id: $id) { srcSet(widths: [320, 4097]) } }`,
		"avatar size":  `query($id: ID!) { me { avatarUrl(size: 4097) } image(id: $id) { id } }`,
		"quality":      `query($id: ID!) { image(id: $id) { url(transform: {quality: 101}) } }`,
	} {
		if resp := e.query(tok, q, map[string]any{"id": img.ID}); resp.code() != "BAD_USER_INPUT" {
			t.Errorf("%s: code %q: %s", name, resp.code(), resp.Raw)
		}
	}
	if resp := e.query(tok, `query($id: ID!) { image(id: $id) { url(transform: {width: 4096, height: 4096}) } }`, map[string]any{"id": img.ID}); resp.code() != "" {
		t.Errorf("4096 refused: %s", resp.Raw)
	}
}

func TestRenditions_TamperedURLIsForbidden(t *testing.T) {
	e := newEnv(t)
	tok := e.user("tamper")
	img := e.uploadImage(tok, pngFile("a.png", 80, 60, 73), nil)
	u := e.renditions(tok, img.ID, map[string]any{"width": 40}, []int{1}, nil).Image.T
	if resp, _ := get(t, u); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed: %d", resp.StatusCode)
	}
	for _, bad := range []string{
		strings.Replace(u, "w_40", "w_4000", 1),
		strings.Replace(u, "/media/r/", "/media/r/x", 1),
		regexp.MustCompile(`/media/r/[^/]+/`).ReplaceAllString(u, "/media/r/"),
	} {
		if resp, _ := get(t, bad); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", bad, resp.StatusCode)
		}
	}
}

// exifJPEG is a JPEG of w x h stored pixels, left half red and right half
// blue, with EXIF saying orientation o and carrying a GPS position and a
// marker string that must never reach a rendition.
func exifJPEG(t *testing.T, w, h, o int) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{220, 20, 20, 255}
			if x >= w/2 {
				c = color.NRGBA{20, 20, 220, 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	var j bytes.Buffer
	if err := jpeg.Encode(&j, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	// TIFF: header, IFD0 (orientation, GPS pointer) at 8, GPS IFD at 38
	// (latitude ref "N"), then the marker.
	le := binary.LittleEndian
	tiff := []byte("II*\x00")
	tiff = le.AppendUint32(tiff, 8)
	tiff = le.AppendUint16(tiff, 2)
	tiff = append(le.AppendUint16(le.AppendUint16(tiff, 0x0112), 3), 1, 0, 0, 0, byte(o), 0, 0, 0)
	tiff = le.AppendUint32(le.AppendUint32(le.AppendUint16(le.AppendUint16(tiff, 0x8825), 4), 1), 38)
	tiff = le.AppendUint32(tiff, 0)
	tiff = le.AppendUint16(tiff, 1)
	tiff = append(le.AppendUint16(le.AppendUint16(tiff, 0x0001), 2), 2, 0, 0, 0, 'N', 0, 0, 0)
	tiff = le.AppendUint32(tiff, 0)
	tiff = append(tiff, "SECRET-GPS-PLACE"...)
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	seg := binary.BigEndian.AppendUint16([]byte{0xff, 0xe1}, uint16(len(app1)+2))
	out := append([]byte{0xff, 0xd8}, seg...)
	out = append(out, app1...)
	return append(out, j.Bytes()[2:]...)
}

func TestRenditions_HonourEXIFOrientationAndDropMetadata(t *testing.T) {
	e := newEnv(t)
	tok := e.user("exif")
	data := exifJPEG(t, 80, 40, 6) // rotate 90° clockwise: the left (red) half goes on top
	if !bytes.Contains(data, []byte("SECRET-GPS-PLACE")) {
		t.Fatal("test image lacks its marker")
	}
	img := e.uploadImage(tok, file{name: "rotated.jpg", data: data}, nil)
	if img.Width != 40 || img.Height != 80 {
		t.Fatalf("uploaded %dx%d, want 40x80 as displayed", img.Width, img.Height)
	}
	for _, f := range []string{"JPG", "PNG", "WEBP"} {
		u := e.renditions(tok, img.ID, map[string]any{"width": 20, "crop": "FIT", "format": f}, []int{1}, nil).Image.T
		_, body, m := fetchImage(t, u, acceptAny)
		if b := m.Bounds(); b.Dx() != 20 || b.Dy() != 40 {
			t.Errorf("%s: %v, want 20x40", f, b)
		}
		if r, _, b, _ := m.At(10, 8).RGBA(); r>>8 < 150 || b>>8 > 100 {
			t.Errorf("%s: top is r%d b%d, want red", f, r>>8, b>>8)
		}
		if r, _, b, _ := m.At(10, 32).RGBA(); b>>8 < 150 || r>>8 > 100 {
			t.Errorf("%s: bottom is r%d b%d, want blue", f, r>>8, b>>8)
		}
		for _, leak := range []string{"Exif", "SECRET-GPS-PLACE", "eXIf"} {
			if bytes.Contains(body, []byte(leak)) {
				t.Errorf("%s rendition carries %q", f, leak)
			}
		}
	}
}

func TestRenditions_AvatarURLRendersTheStoredCrop(t *testing.T) {
	e := newEnv(t)
	tok := e.user("face")
	// Red, with a green square at (60,10)-(100,50): the crop picks the square.
	m := image.NewNRGBA(image.Rect(0, 0, 120, 60))
	for y := range 60 {
		for x := range 120 {
			c := color.NRGBA{230, 10, 10, 255}
			if x >= 60 && x < 100 && y >= 10 && y < 50 {
				c = color.NRGBA{10, 200, 10, 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, m)
	var set struct {
		SetAvatar avatarUser `json:"setAvatar"`
	}
	e.setAvatar(tok, file{name: "me.png", data: b.Bytes()}, map[string]any{"x": 60, "y": 10, "width": 40, "height": 40}).decode(t, &set)
	var me struct {
		Me struct {
			Small *string `json:"small"`
			Large *string `json:"large"`
		} `json:"me"`
	}
	e.query(tok, `{ me { small: avatarUrl(size: 32) large: avatarUrl(size: 96) } }`, nil).decode(t, &me)
	for size, u := range map[int]*string{32: me.Me.Small, 96: me.Me.Large} {
		if u == nil {
			t.Fatalf("avatarUrl(size: %d) is null", size)
		}
		resp, _, got := fetchImage(t, *u, acceptAny)
		if got.Bounds().Dx() != size || got.Bounds().Dy() != size || resp.Header.Get("Content-Type") != "image/png" {
			t.Errorf("size %d: %s %v", size, resp.Header.Get("Content-Type"), got.Bounds())
		}
		for _, p := range []image.Point{{0, 0}, {size - 1, 0}, {0, size - 1}, {size - 1, size - 1}, {size / 2, size / 2}} {
			if r, g, _, _ := got.At(p.X, p.Y).RGBA(); g>>8 < 180 || r>>8 > 40 {
				t.Errorf("size %d: pixel %v is r%d g%d; the crop's green square should fill the avatar", size, p, r>>8, g>>8)
			}
		}
	}
	// The avatar is public: a stranger's browser gets the same picture.
	resp, _ := get(t, *me.Me.Small)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("anonymous GET: %d", resp.StatusCode)
	}
}

func TestRenditions_GoneAfterDeleteAndAvatarReplace(t *testing.T) {
	e := newEnv(t)
	tok := e.user("gone")
	img := e.uploadImage(tok, jpegFile("x.jpg", 200, 100, 74), nil)
	r := e.renditions(tok, img.ID, map[string]any{"width": 50}, []int{60, 90}, nil)
	fetchImage(t, r.Image.T, acceptAny)
	fetchImage(t, r.Image.T, acceptFirefox)
	if resp := e.query(tok, `mutation($id: ID!) { deleteImage(id: $id) }`, map[string]any{"id": img.ID}); resp.code() != "" {
		t.Fatalf("deleteImage: %s", resp.Raw)
	}
	for _, u := range []string{r.Image.T, img.URL} {
		for _, accept := range []string{acceptAny, acceptFirefox} {
			if resp, _ := get(t, u, "Accept", accept); resp.StatusCode != http.StatusNotFound {
				t.Errorf("after deleteImage, %s (Accept %s): %d, want 404", u, accept, resp.StatusCode)
			}
		}
	}
	if left := renditionFiles(t, e); len(left) != 0 {
		t.Errorf("renditions left: %v", left)
	}

	var first, second struct {
		SetAvatar avatarUser `json:"setAvatar"`
	}
	e.setAvatar(tok, pngFile("a.png", 60, 60, 75), nil).decode(t, &first)
	old := *first.SetAvatar.AvatarURL
	fetchImage(t, old, acceptAny)
	e.setAvatar(tok, pngFile("b.png", 60, 60, 76), nil).decode(t, &second)
	if *second.SetAvatar.AvatarURL == old {
		t.Fatal("the new avatar has the old URL")
	}
	if resp, _ := get(t, old); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the replaced avatar's rendition: %d, want 404", resp.StatusCode)
	}
	fetchImage(t, *second.SetAvatar.AvatarURL, acceptAny)
	e.query(tok, `mutation { removeAvatar { id } }`, nil)
	if resp, _ := get(t, *second.SetAvatar.AvatarURL); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the removed avatar's rendition: %d, want 404", resp.StatusCode)
	}
	if left := renditionFiles(t, e); len(left) != 0 {
		t.Errorf("renditions left: %v", left)
	}
}

// renditionFiles lists the cached renditions on disk.
func renditionFiles(t *testing.T, e *testEnv) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(filepath.Join(e.mediaDir, "renditions"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestPlaceholder_MadeAfterUploadWithoutBeingAsked(t *testing.T) {
	e := newEnv(t)
	tok := e.user("blur")
	img := e.uploadImage(tok, jpegFile("p.jpg", 1200, 800, 77), nil) // the mutation selects no placeholder
	var uri string
	eventually(t, "a placeholder made in the background", func() bool {
		_ = e.app.pool.QueryRow(t.Context(), `SELECT coalesce(placeholder, '') FROM images WHERE id = $1`, img.ID).Scan(&uri)
		return uri != ""
	})
	if len(uri) >= 1024 || !strings.HasPrefix(uri, "data:image/") {
		t.Errorf("placeholder of %d bytes: %.60s", len(uri), uri)
	}
	var out struct {
		Image struct {
			Placeholder *string `json:"placeholder"`
		} `json:"image"`
	}
	e.query(tok, `query($id: ID!) { image(id: $id) { placeholder } }`, map[string]any{"id": img.ID}).decode(t, &out)
	if out.Image.Placeholder == nil || *out.Image.Placeholder != uri {
		t.Errorf("placeholder field differs from the stored one")
	}
}

func TestConfig_MediaSigningKey(t *testing.T) {
	parse := func(env map[string]string) (config, error) {
		return parseConfig(flag.NewFlagSet("t", flag.ContinueOnError), nil, func(k string) string { return env[k] })
	}
	c, err := parse(map[string]string{"MEDIA_SIGNING_KEY": "sixteen bytes at least", "AUTH_JWT_SECRET": testSecret})
	if err != nil || string(c.signingKey()) != "sixteen bytes at least" {
		t.Errorf("configured key: %q, %v", c.signingKey(), err)
	}
	c, _ = parse(map[string]string{"AUTH_JWT_SECRET": testSecret})
	again, _ := parse(map[string]string{"AUTH_JWT_SECRET": testSecret})
	other, _ := parse(map[string]string{"AUTH_JWT_SECRET": testSecret + "!"})
	if k := c.signingKey(); len(k) != 32 || bytes.Contains(k, []byte(testSecret)) || !bytes.Equal(k, again.signingKey()) || bytes.Equal(k, other.signingKey()) {
		t.Errorf("derived key %x: not 32 bytes of its own, stable per secret", k)
	}
	if c, _ := parse(map[string]string{}); c.signingKey() != nil {
		t.Error("with neither set, the store should make and keep a key")
	}
	if _, err := parse(map[string]string{"MEDIA_SIGNING_KEY": "short"}); err == nil || !strings.Contains(err.Error(), "MEDIA_SIGNING_KEY") {
		t.Errorf("a 5-byte key: %v", err)
	}
}
