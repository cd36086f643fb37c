package transport

import (
	"net/http"
	"net/url"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// GET is the GET transport: query, operationName, variables (JSON) and
// extensions (JSON) come from the URL query. Only queries run over GET;
// a mutation or subscription is answered 405 with "Allow: POST".
type GET struct{}

var _ graphql.Transport = GET{}

// Supports reports whether r is a GET without an Upgrade header.
func (GET) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

// Do decodes the URL parameters and executes the query.
func (GET) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	rp := newResponder(w, r, exec)
	start := graphql.Now()

	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		rp.fail(ctx, badRequest("malformed URL query string"))
		return
	}
	params := &graphql.RawParams{
		Query:         q.Get("query"),
		OperationName: q.Get("operationName"),
		Headers:       r.Header,
	}
	if v := q.Get("variables"); v != "" {
		if err := decodeJSON([]byte(v), &params.Variables); err != nil {
			rp.fail(ctx, badRequest("invalid JSON in 'variables': %s", describeJSONError(err)))
			return
		}
	}
	if v := q.Get("extensions"); v != "" {
		if err := decodeJSON([]byte(v), &params.Extensions); err != nil {
			rp.fail(ctx, badRequest("invalid JSON in 'extensions': %s", describeJSONError(err)))
			return
		}
	}
	// A persisted query (APQ) sends only its hash in extensions.
	if params.Query == "" && params.Extensions["persistedQuery"] == nil {
		rp.fail(ctx, badRequest("missing query parameter 'query'"))
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rp.serve(ctx, []*graphql.RawParams{params}, false, queriesOnly)
}

// queriesOnly refuses everything but queries with 405.
func queriesOnly(op *ast.OperationDefinition) *reqError {
	switch op.Operation {
	case ast.Query:
		return nil
	case ast.Subscription:
		return &reqError{status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed, msg: "subscriptions need POST"}
	default:
		return &reqError{status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed, msg: "mutations need POST"}
	}
}
