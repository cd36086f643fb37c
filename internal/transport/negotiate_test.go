package transport

import (
	"net/http"
	"testing"
)

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		accept []string
		want   string
	}{
		{nil, mediaJSON},
		{[]string{""}, mediaJSON},
		{[]string{"*/*"}, mediaJSON}, // Apollo Client 3, curl
		{[]string{"application/*"}, mediaJSON},
		{[]string{"application/json"}, mediaJSON},
		{[]string{"text/html"}, mediaJSON},  // names neither: still JSON
		{[]string{"garbage;;,"}, mediaJSON}, // unparsable
		{[]string{"application/graphql-response+json, application/json;q=0.9"}, mediaGraphQLResponse}, // Apollo Client 4
		{[]string{"application/graphql-response+json"}, mediaGraphQLResponse},
		{[]string{"application/json, application/graphql-response+json"}, mediaGraphQLResponse}, // tie, named explicitly
		{[]string{"application/json;q=1, application/graphql-response+json;q=0.5"}, mediaJSON},
		{[]string{"application/graphql-response+json;q=0.5, */*"}, mediaJSON}, // */* gives json q=1
		{[]string{"application/graphql-response+json;q=0.5, application/json;q=0.4"}, mediaGraphQLResponse},
		{[]string{"application/graphql-response+json;q=0"}, mediaJSON},
		{[]string{"APPLICATION/GRAPHQL-RESPONSE+JSON"}, mediaGraphQLResponse},
		{[]string{"application/graphql-response+json;q=bad"}, mediaJSON},                                // invalid q: element ignored
		{[]string{"application/json;q=0.9", "application/graphql-response+json"}, mediaGraphQLResponse}, // several headers
		{[]string{"*/*;q=0.8, application/graphql-response+json;charset=utf-8"}, mediaGraphQLResponse},
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		for _, a := range tc.accept {
			r.Header.Add("Accept", a)
		}
		if got := negotiate(r); got != tc.want {
			t.Errorf("Accept %q: %s, want %s", tc.accept, got, tc.want)
		}
	}
}

// Over HTTP: Apollo Client 4 gets application/graphql-response+json and a
// 400 for a validation error; no Accept gets application/json and 200.
func TestNegotiationStatuses(t *testing.T) {
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, nil)
	bad := `{"query":"{ nope }"}`
	for _, tc := range []struct {
		name   string
		header http.Header
		media  string
		status int
	}{
		{"no Accept", nil, mediaJSON, http.StatusOK},
		{"Apollo Client 3", acceptHeader("*/*"), mediaJSON, http.StatusOK},
		{"Apollo Client 4", acceptHeader(apollo4), mediaGraphQLResponse, http.StatusBadRequest},
	} {
		r := postJSON(t, srv, bad, tc.header)
		if r.status != tc.status || r.header.Get("Content-Type") != tc.media {
			t.Errorf("%s: status %d, Content-Type %q: %s", tc.name, r.status, r.header.Get("Content-Type"), r.body)
		}
		if g := r.gql(t); g.code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("%s: %s", tc.name, r.body)
		}
		// Executed operations are 200 under both.
		r = postJSON(t, srv, `{"query":"{ ok }"}`, tc.header)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != tc.media || string(r.gql(t).Data["ok"]) != "true" {
			t.Errorf("%s: status %d: %s", tc.name, r.status, r.body)
		}
	}
}
