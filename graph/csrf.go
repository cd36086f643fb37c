package graph

import (
	"mime"
	"net/http"

	"github.com/mediagraph/mediagraph/internal/auth"
	"github.com/mediagraph/mediagraph/internal/media"
	"github.com/mediagraph/mediagraph/internal/transport"
)

// preflightHeaders are the headers a browser cannot send cross-site without
// a CORS preflight; a multipart request must carry one of them.
var preflightHeaders = []string{"Authorization", "Apollo-Require-Preflight", "X-Apollo-Operation-Name"}

// csrfGate refuses multipart requests that carry none of the preflight
// headers before their body is read: an HTML form on another site can post
// multipart/form-data without a preflight, but cannot add these headers
// (Apollo Server's CSRF prevention). Every multipart operation is an upload,
// and uploads need credentials: without valid ones the body is not read
// either, so strangers cannot make the server receive and spool files.
func csrfGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			if !hasPreflightHeader(r) {
				transport.WriteError(w, r, http.StatusBadRequest, "BAD_REQUEST",
					"This multipart request was refused as a possible cross-site request forgery: send one of the headers Authorization, Apollo-Require-Preflight or X-Apollo-Operation-Name (any non-empty value).")
				return
			}
			if id, err := auth.FromContext(r.Context()); err != nil || id == nil {
				msg := media.ErrUnauthenticated.Message
				if err != nil {
					msg = "The bearer token is invalid or expired; sign in again."
				}
				transport.WriteRequestError(w, r, string(media.CodeUnauthenticated), msg)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func hasPreflightHeader(r *http.Request) bool {
	for _, h := range preflightHeaders {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	return false
}
