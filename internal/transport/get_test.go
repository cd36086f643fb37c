package transport

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestGET(t *testing.T) {
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, nil)
	query := func(v url.Values, h http.Header) reply {
		return do(t, srv, http.MethodGet, "/?"+v.Encode(), "", nil, h)
	}

	r := query(url.Values{"query": {"query Q($x: Boolean!) { ok @include(if: $x) }"}, "operationName": {"Q"}, "variables": {`{"x":true}`}, "extensions": {`{}`}}, nil)
	if r.status != http.StatusOK || string(r.gql(t).Data["ok"]) != "true" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d: %s", r.status, r.body)
	}

	for _, accept := range []string{"", apollo4} {
		var h http.Header
		if accept != "" {
			h = acceptHeader(accept)
		}
		r = query(url.Values{"query": {`mutation($f: Upload!) { upload(file: $f) }`}, "variables": {`{"f":null}`}}, h)
		// Variables fail validation before the operation type is known...
		if r.status == http.StatusMethodNotAllowed {
			t.Fatalf("validation should come first: %s", r.body)
		}
		r = query(url.Values{"query": {`mutation { __typename }`}}, h)
		g := r.gql(t)
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" || g.message() != "mutations need POST" || g.code() != codeMethodNotAllowed {
			t.Fatalf("accept %q: status %d, Allow %q: %s", accept, r.status, r.header.Get("Allow"), r.body)
		}
		r = query(url.Values{"query": {`subscription { ticks }`}}, h)
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" {
			t.Fatalf("subscription: status %d: %s", r.status, r.body)
		}
	}

	for name, tc := range map[string]struct {
		raw  string
		want string
	}{
		"missing query":     {"", "missing query parameter 'query'"},
		"bad variables":     {"query=%7Bok%7D&variables=%7Bnope", "invalid JSON in 'variables'"},
		"bad extensions":    {"query=%7Bok%7D&extensions=%5B", "invalid JSON in 'extensions'"},
		"malformed escapes": {"query=%zz", "malformed URL query string"},
	} {
		r := do(t, srv, http.MethodGet, "/?"+tc.raw, "", nil, nil)
		if g := r.gql(t); r.status != http.StatusBadRequest || !strings.Contains(g.message(), tc.want) || g.code() != codeBadRequest {
			t.Errorf("%s: status %d: %s", name, r.status, r.body)
		}
	}

	// A query that fails validation: 200 under application/json, 400 under
	// graphql-response+json.
	v := url.Values{"query": {"{ nope }"}}
	if r := query(v, nil); r.status != http.StatusOK {
		t.Errorf("validation error: status %d", r.status)
	}
	if r := query(v, acceptHeader(apollo4)); r.status != http.StatusBadRequest || r.header.Get("Content-Type") != mediaGraphQLResponse {
		t.Errorf("validation error: status %d %q", r.status, r.header.Get("Content-Type"))
	}
}
