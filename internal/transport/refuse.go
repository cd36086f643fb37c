package transport

import (
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// WriteError answers a request refused before any transport ran (the CSRF
// gate) as the transports answer their own errors: a GraphQL response with
// extensions.code, in the media type the request's Accept negotiates.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	rp := &responder{w: w, media: negotiate(r)}
	rp.write(status, &graphql.Response{Errors: gqlerror.List{{Message: message, Extensions: map[string]any{"code": code}}}})
}

// WriteRequestError answers a GraphQL request error found before execution
// (no valid credentials for an upload): 200 under application/json, 400
// under application/graphql-response+json, as the transports do.
func WriteRequestError(w http.ResponseWriter, r *http.Request, code, message string) {
	rp := &responder{w: w, media: negotiate(r)}
	rp.write(rp.preExecStatus(), &graphql.Response{Errors: gqlerror.List{{Message: message, Extensions: map[string]any{"code": code}}}})
}
