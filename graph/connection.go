package graph

import "github.com/mediagraph/mediagraph/internal/media"

// ImageConnection is a page of a user's gallery. It keeps its query so that
// totalCount is counted only when a client asks for it.
type ImageConnection struct {
	Edges    []ImageEdge
	PageInfo PageInfo
	query    media.ImageQuery
	// count, when set, waits for the count started beside the page.
	count func() (int, error)
}

// ImageEdge is one image of a page, with its cursor.
type ImageEdge struct {
	Cursor string
	Node   Image
}

// PageInfo follows the Relay cursor rules.
type PageInfo struct {
	HasNextPage bool
	EndCursor   *string
}

func newConnection(svc *media.Service, page media.ImagePage, q media.ImageQuery) *ImageConnection {
	c := &ImageConnection{Edges: make([]ImageEdge, len(page.Images)), query: q}
	for i, img := range page.Images {
		c.Edges[i] = ImageEdge{Cursor: media.Cursor{CreatedAt: img.CreatedAt, ID: img.ID}.String(), Node: newImage(svc, img)}
	}
	c.PageInfo.HasNextPage = page.HasNext
	if n := len(c.Edges); n > 0 {
		c.PageInfo.EndCursor = &c.Edges[n-1].Cursor
	}
	return c
}
