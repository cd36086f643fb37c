package graph

import "github.com/mediagraph/mediagraph/internal/media"

// Image is media.Image as the schema shows it, with what builds its URLs.
// Its url and srcSet are methods that need no context, which gqlgen runs
// inline; as resolvers, each image would start a goroutine for them.
type Image struct {
	media.Image
	urls *media.Service
}

func newImage(svc *media.Service, img media.Image) Image {
	return Image{Image: img, urls: svc}
}

// imageOf is newImage for an image that may be absent.
func imageOf(svc *media.Service, img *media.Image) *Image {
	if img == nil {
		return nil
	}
	out := newImage(svc, *img)
	return &out
}

// URL is the url field: the original, or a rendition with transform.
func (img *Image) URL(transform *TransformInput) (string, error) {
	t, err := toTransform(transform)
	if err != nil {
		return "", err
	}
	return img.urls.URL(&img.Image, t), nil
}

// SrcSet is the srcSet field: one candidate per width.
func (img *Image) SrcSet(widths []int, transform *TransformInput) (string, error) {
	t, err := toTransform(transform)
	if err != nil {
		return "", err
	}
	return img.urls.SrcSet(&img.Image, widths, t)
}
