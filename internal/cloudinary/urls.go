package cloudinary

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/asset"

	"github.com/mediagraph/mediagraph/internal/media"
)

// URL is the image's delivery URL, built by the SDK from the metadata kept
// with the row (public id, version, format, delivery type): the original
// without t, a transformation of it with t. Safe for concurrent use.
func (s *Store) URL(img *media.Image, t *media.Transform) string {
	publicID := metaString(img.Provider, "public_id", img.StorageKey)
	return s.logFailedURL(publicID, func() (string, error) {
		a, err := asset.Image(publicID, &s.conf)
		if err != nil {
			return "", err
		}
		if typ := metaString(img.Provider, "type", ""); typ != "" {
			a.DeliveryType = api.DeliveryType(typ)
		}
		a.Version = metaInt(img.Provider, "version")
		if t == nil {
			// The original, in its own format (the extension names it).
			a.PublicID += "." + metaString(img.Provider, "format", img.Format)
		} else {
			a.Transformation = transformation(t)
		}
		return a.String()
	})
}

// logFailedURL returns the URL build's result, logging a failure: the SDK
// turns its panics into an error, and the contract's url is non-null, so the
// empty string the client gets must leave a trace.
func (s *Store) logFailedURL(publicID string, build func() (string, error)) string {
	u, err := build()
	if err != nil {
		s.log.Error("build delivery URL", "op", "cloudinary.url", "public_id", publicID, "err", s.secrets.Replace(err.Error()))
		return ""
	}
	return u
}

// Crop modes, gravities and formats of the contract as Cloudinary writes them.
var (
	cropModes = map[media.CropMode]string{
		media.CropFill: "fill", media.CropFit: "fit", media.CropLimit: "limit", media.CropPad: "pad", media.CropScale: "scale",
	}
	gravities = map[media.Gravity]string{
		media.GravityAuto: "auto", media.GravityCenter: "center", media.GravityFace: "face",
	}
	formats = map[media.Format]string{
		media.FormatAuto: "auto", media.FormatJPG: "jpg", media.FormatPNG: "png", media.FormatWebP: "webp", media.FormatAVIF: "avif",
	}
)

// transformation writes t as Cloudinary transformation components: the
// source crop first (avatars), then the resize, then format and quality.
// Gravity is written only for FILL, the one mode it affects (API.md).
func transformation(t *media.Transform) string {
	var parts []string
	if c := t.Source; c != nil {
		parts = append(parts, "c_crop,h_"+strconv.Itoa(c.Height)+",w_"+strconv.Itoa(c.Width)+
			",x_"+strconv.Itoa(c.X)+",y_"+strconv.Itoa(c.Y))
	}
	if t.Width > 0 || t.Height > 0 {
		mode := t.Crop
		if mode == "" {
			mode = media.CropFill
		}
		resize := []string{"c_" + cropModes[mode]}
		if mode == media.CropFill {
			g := t.Gravity
			if g == "" {
				g = media.GravityAuto
			}
			resize = append(resize, "g_"+gravities[g])
		}
		if t.Height > 0 {
			resize = append(resize, "h_"+strconv.Itoa(t.Height))
		}
		if t.Width > 0 {
			resize = append(resize, "w_"+strconv.Itoa(t.Width))
		}
		parts = append(parts, strings.Join(resize, ","))
	}
	f := formats[t.Format]
	if f == "" {
		f = "auto"
	}
	q := "auto"
	if t.Quality > 0 {
		q = strconv.Itoa(t.Quality)
	}
	parts = append(parts, "f_"+f+",q_"+q)
	return strings.Join(parts, "/")
}

// metaString reads a string from the provider metadata, or def.
func metaString(meta map[string]any, key, def string) string {
	if v, ok := meta[key].(string); ok && v != "" {
		return v
	}
	return def
}

// metaInt reads a number from the provider metadata: an int when fresh from
// Put, a float64 or json.Number once read back from jsonb.
func metaInt(meta map[string]any, key string) int {
	switch v := meta[key].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	case json.Number:
		n, _ := v.Int64()
		return int(n)
	}
	return 0
}
