package graph

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/mediagraph/mediagraph/internal/auth"
	"github.com/mediagraph/mediagraph/internal/media"
	"github.com/mediagraph/mediagraph/internal/observe"
)

// loaderWait is how long a dataloader collects keys before it queries. The
// resolvers of one list run concurrently, so a millisecond gathers them all
// without adding visible latency.
const loaderWait = time.Millisecond

// request is what one HTTP request's resolvers share: the viewer, looked up
// once, and the dataloaders that batch users and images.
type request struct {
	svc *media.Service

	viewerOnce sync.Once
	viewer     *media.User
	viewerErr  error

	users  *dataloadgen.Loader[string, media.User]
	images *dataloadgen.Loader[string, media.Image]
}

type requestKey struct{}

// withRequest gives each HTTP request its own dataloaders and viewer cache.
func withRequest(svc *media.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{
			svc:    svc,
			users:  dataloadgen.NewMappedLoader(svc.UsersByID, dataloadgen.WithWait(loaderWait)),
			images: dataloadgen.NewMappedLoader(svc.ImagesByID, dataloadgen.WithWait(loaderWait)),
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, rq)))
	})
}

func requestFrom(ctx context.Context) *request {
	return ctx.Value(requestKey{}).(*request)
}

// viewer returns the signed-in user, nil for an anonymous request, and
// UNAUTHENTICATED for bad credentials. Its ID is exact; the rest may be a
// minute old, so resolvers that show the user load it (loadUser).
func viewer(ctx context.Context) (*media.User, error) {
	rq := requestFrom(ctx)
	rq.viewerOnce.Do(func() {
		id, err := auth.FromContext(ctx)
		if err != nil {
			rq.viewerErr = &media.Error{Code: media.CodeUnauthenticated, Message: "The bearer token is invalid or expired; sign in again.", Err: err}
			return
		}
		if id == nil {
			return
		}
		u, err := rq.svc.EnsureUser(ctx, id.Subject, id.Name)
		if err != nil {
			rq.viewerErr = err
			return
		}
		rq.viewer = &u
		observe.SetUser(ctx, u.ID)
	})
	return rq.viewer, rq.viewerErr
}

// signedIn is viewer for operations that need credentials.
func signedIn(ctx context.Context) (*media.User, error) {
	u, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, media.ErrUnauthenticated
	}
	return u, nil
}

// loadUser returns the user with the id, or nil when there is none.
func loadUser(ctx context.Context, id string) (*media.User, error) {
	u, err := requestFrom(ctx).users.Load(ctx, id)
	return found(u, err)
}

// loadImage returns the image with the id, or nil when there is none.
func loadImage(ctx context.Context, id string) (*media.Image, error) {
	img, err := requestFrom(ctx).images.Load(ctx, id)
	return found(img, err)
}

func found[T any](v T, err error) (*T, error) {
	if err == dataloadgen.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// forget drops what a mutation changed from the request's loaders, so that
// a later operation of the same batch reads it fresh.
func forget(ctx context.Context, userID, imageID string) {
	rq := requestFrom(ctx)
	rq.users.Clear(userID)
	if imageID != "" {
		rq.images.Clear(imageID)
	}
}

func derefID(id *string) string {
	if id == nil {
		return ""
	}
	return *id
}
