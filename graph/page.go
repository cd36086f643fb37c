package graph

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/mediagraph/mediagraph/internal/media"
)

// defaultPageSize is the schema's default of `first`.
const defaultPageSize = 20

// listImages answers Query.images and User.images. A page lists one owner's
// images, so what its fields will ask for is known before its rows arrive:
// when the selection asks for them, the count and the owner (with the
// owner's avatar) are loaded while the page is, and the owner and avatar
// are put in the request's dataloaders. The owner and avatar fields of every
// image then find them there at once, instead of each waiting for a batch
// to gather (gqlgen's batch resolvers cannot help here: they group only the
// elements of a list of the parent type, and a page's images sit one level
// down, in its edges).
func (r *Resolver) listImages(ctx context.Context, viewerID, ownerID string, first *int, after, tag *string) (*ImageConnection, error) {
	n := defaultPageSize
	if first != nil {
		n = *first
	}
	q, err := r.Service.ImageQuery(viewerID, ownerID, n, after, tag)
	if err != nil {
		return nil, err
	}
	var count func() (int, error)
	if graphql.FieldRequested(ctx, "totalCount") {
		count = r.countLater(ctx, q)
	}
	var wg sync.WaitGroup
	if graphql.FieldRequested(ctx, "edges.node.owner") {
		withAvatar := graphql.AnyFieldRequested(ctx, "edges.node.owner.avatar", "edges.node.owner.avatarUrl")
		wg.Go(func() {
			// A panic leaves nothing primed; the fields then load under
			// gqlgen's recovery, which logs it.
			defer func() { _ = recover() }()
			prefetchUser(ctx, ownerID, withAvatar)
		})
	}
	page, err := r.Service.ListImages(ctx, q)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	c := newConnection(r.Service, page, q)
	c.count = count
	return c, nil
}

// countLater starts counting what q selects and returns a function that
// waits for the result.
func (r *Resolver) countLater(ctx context.Context, q media.ImageQuery) func() (int, error) {
	done := make(chan struct{})
	var n int
	var err error
	go func() {
		defer close(done)
		// Outside gqlgen's recovery: a panic becomes the field's error,
		// which the error presenter logs (with the stack) and hides.
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("count images: panic: %v\n%s", p, debug.Stack())
			}
		}()
		n, err = r.Service.CountImages(ctx, q)
	}()
	return func() (int, error) {
		<-done
		return n, err
	}
}

// prefetchUser puts the user, and the user's avatar when withAvatar, in the
// request's loaders without waiting for a batch to gather (both in one
// round trip). Should the statement fail, nothing is primed and the fields
// load (and report the error) as they would without it.
func prefetchUser(ctx context.Context, id string, withAvatar bool) {
	rq := requestFrom(ctx)
	if !withAvatar {
		users, err := rq.svc.UsersByID(ctx, []string{id})
		if u, ok := users[id]; err == nil && ok {
			rq.users.Prime(id, u)
		}
		return
	}
	u, avatar, ok, err := rq.svc.UserWithAvatar(ctx, id)
	if err != nil || !ok {
		return
	}
	rq.users.Prime(id, u)
	if avatar != nil {
		rq.images.Prime(avatar.ID, *avatar)
	}
}
