package localfs

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mediagraph/mediagraph/internal/media"
)

// keyFile is where a generated signing key is kept, under MEDIA_DIR, when the
// configuration gives none: rendition URLs then survive restarts.
const keyFile = "signing.key"

// loadOrCreateKey reads the signing key kept in dir, making one the first
// time. The new key is written to a temporary file and linked into place, so
// that two processes starting together agree on one key and a crash never
// leaves half a key.
func loadOrCreateKey(dir string) ([]byte, error) {
	p := filepath.Join(dir, keyFile)
	if k, err := readKey(p); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".signing-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(k[:]) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", p, err)
	}
	if err := os.Link(tmp.Name(), p); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("keep %s: %w", p, err)
	}
	_ = syncDir(dir)
	return readKey(p)
}

func readKey(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) < 16 {
		return nil, fmt.Errorf("%s does not hold a signing key: remove it to make a new one (rendition URLs change)", p)
	}
	return k, nil
}

// sign is the URL-safe HMAC-SHA256 of msg (a transform and key).
func (s *Store) sign(msg string) string {
	m := hmac.New(sha256.New, s.signingKey)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify reports whether sig is msg's signature, in constant time.
func (s *Store) verify(sig, msg string) bool {
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, s.signingKey)
	m.Write([]byte(msg))
	return hmac.Equal(got, m.Sum(nil))
}

// encodeTransform writes t as the path segment of a rendition URL, in one
// canonical spelling, so that the same transform always gives the same URL:
// crop, gravity and format always, then width, height, quality and the
// source crop when set, e.g. "c_fill,g_auto,f_auto,w_200,h_200".
func encodeTransform(t media.Transform) string {
	parts := []string{
		"c_" + strings.ToLower(string(t.Crop)),
		"g_" + strings.ToLower(string(t.Gravity)),
		"f_" + strings.ToLower(string(t.Format)),
	}
	if t.Width > 0 {
		parts = append(parts, "w_"+strconv.Itoa(t.Width))
	}
	if t.Height > 0 {
		parts = append(parts, "h_"+strconv.Itoa(t.Height))
	}
	if t.Quality > 0 {
		parts = append(parts, "q_"+strconv.Itoa(t.Quality))
	}
	if c := t.Source; c != nil {
		parts = append(parts, fmt.Sprintf("s_%d_%d_%d_%d", c.X, c.Y, c.Width, c.Height))
	}
	return strings.Join(parts, ",")
}

// parseTransform reads what encodeTransform wrote. Only its canonical
// spelling is accepted (the URL is signed anyway; this keeps one rendition
// per transform in the cache).
func parseTransform(s string) (media.Transform, bool) {
	var t media.Transform
	for _, p := range strings.Split(s, ",") {
		name, v, ok := strings.Cut(p, "_")
		if !ok {
			return t, false
		}
		up := media.Format(strings.ToUpper(v))
		switch name {
		case "c":
			t.Crop = media.CropMode(up)
		case "g":
			t.Gravity = media.Gravity(up)
		case "f":
			t.Format = up
		case "w", "h", "q":
			n, err := strconv.Atoi(v)
			if err != nil {
				return t, false
			}
			dst := map[string]*int{"w": &t.Width, "h": &t.Height, "q": &t.Quality}[name]
			*dst = n
		case "s":
			var c media.Crop
			if _, err := fmt.Sscanf(v, "%d_%d_%d_%d", &c.X, &c.Y, &c.Width, &c.Height); err != nil {
				return t, false
			}
			t.Source = &c
		default:
			return t, false
		}
	}
	switch t.Crop {
	case media.CropFill, media.CropFit, media.CropLimit, media.CropPad, media.CropScale:
	default:
		return t, false
	}
	switch t.Gravity {
	case media.GravityAuto, media.GravityCenter, media.GravityFace:
	default:
		return t, false
	}
	switch t.Format {
	case media.FormatAuto, media.FormatJPG, media.FormatPNG, media.FormatWebP, media.FormatAVIF:
	default:
		return t, false
	}
	return t, t.Validate() == nil && encodeTransform(t) == s
}
