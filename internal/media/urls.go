package media

import (
	"math"
	"strconv"
	"strings"
)

// maxSrcSetWidths bounds the candidates of one srcset.
const maxSrcSetWidths = 32

// URL is the image's delivery URL: the original without t, a rendition with it.
func (s *Service) URL(img *Image, t *Transform) string {
	return s.store.URL(img, t)
}

// SrcSet returns an HTML srcset with one candidate per width, "URL Nw" joined
// by ", ". A height in t keeps its ratio to t's width at every width.
func (s *Service) SrcSet(img *Image, widths []int, t *Transform) (string, error) {
	if len(widths) == 0 || len(widths) > maxSrcSetWidths {
		return "", Errorf(CodeBadUserInput, "srcSet takes between 1 and %d widths.", maxSrcSetWidths)
	}
	base := Transform{Crop: CropFill, Gravity: GravityAuto, Format: FormatAuto}
	if t != nil {
		base = *t
	}
	var b strings.Builder
	for i, w := range widths {
		if w < 1 || w > MaxTransformSide {
			return "", Errorf(CodeBadUserInput, "srcSet widths must be between 1 and %d.", MaxTransformSide)
		}
		c := base
		c.Width = w
		if base.Height > 0 && base.Width > 0 {
			c.Height = max(1, int(math.Round(float64(base.Height)*float64(w)/float64(base.Width))))
		}
		if c.Height > MaxTransformSide {
			return "", Errorf(CodeBadUserInput, "srcSet width %d makes a height over %d.", w, MaxTransformSide)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.store.URL(img, &c))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(w))
		b.WriteByte('w')
	}
	return b.String(), nil
}

// AvatarURL is the avatar as a size x size square: the stored crop first,
// then a fill that keeps the face (FACE gravity; where the store has no
// face detector, as the local store, it keeps the most detailed part).
func (s *Service) AvatarURL(img *Image, crop *Crop, size int) (string, error) {
	if err := CheckAvatarSize(size); err != nil {
		return "", err
	}
	t := Transform{Width: size, Height: size, Crop: CropFill, Gravity: GravityFace, Format: FormatAuto, Source: crop}
	return s.store.URL(img, &t), nil
}

// CheckAvatarSize checks an avatarUrl size.
func CheckAvatarSize(size int) error {
	if size < 1 || size > MaxTransformSide {
		return Errorf(CodeBadUserInput, "size must be between 1 and %d.", MaxTransformSide)
	}
	return nil
}
