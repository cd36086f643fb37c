package transport

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestPOST(t *testing.T) {
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, nil)

	r := postJSON(t, srv, `{"query":"query Q { ok t: __typename }","operationName":"Q"}`, nil)
	if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if g := r.gql(t); string(g.Data["ok"]) != "true" || string(g.Data["t"]) != `"Query"` {
		t.Fatalf("%s", r.body)
	}

	// Content-Type with parameters is still application/json.
	r = do(t, srv, http.MethodPost, "/", "application/json; charset=utf-8", strings.NewReader(`{"query":"{ ok }"}`), nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

func TestPOSTBatch(t *testing.T) {
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, nil)
	r := postJSON(t, srv, `[{"query":"{ ok }"},{"query":"{ nope }"},{"query":"query A { ok } query B { ok }","operationName":"B"}]`, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	res := r.batch(t)
	if len(res) != 3 || string(res[0].Data["ok"]) != "true" || res[1].code() != "GRAPHQL_VALIDATION_FAILED" || string(res[2].Data["ok"]) != "true" {
		t.Fatalf("%s", r.body)
	}
	// All failing before execution under graphql-response+json: 400.
	r = postJSON(t, srv, `[{"query":"{ nope }"}]`, acceptHeader(apollo4))
	if r.status != http.StatusBadRequest || len(r.batch(t)) != 1 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

func TestPOSTErrors(t *testing.T) {
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, nil)
	const secret = "s3cr3t-token-in-body"
	for _, tc := range []struct {
		name, body, want string
		status           int
	}{
		{"not JSON", `{"query": "` + secret, "invalid JSON in request body", http.StatusBadRequest},
		{"garbage", secret, "invalid request body: expected a JSON object or array", http.StatusBadRequest},
		{"wrong type", `{"query": ["` + secret + `"]}`, "field 'query' has the wrong type", http.StatusBadRequest},
		{"trailing", `{"query":"{ ok }"} {"x":"` + secret + `"}`, "trailing data", http.StatusBadRequest},
		{"empty body", ``, "empty request body", http.StatusBadRequest},
		{"empty batch", `[]`, "empty batch", http.StatusBadRequest},
		{"batch of non-objects", `["` + secret + `"]`, "batch entry 0 is not a JSON object", http.StatusBadRequest},
		{"subscription", `{"query":"subscription { ticks }"}`, "subscriptions need a streaming transport", http.StatusBadRequest},
	} {
		r := postJSON(t, srv, tc.body, nil)
		g := r.gql(t)
		if r.status != tc.status || !strings.Contains(g.message(), tc.want) || g.code() != codeBadRequest {
			t.Errorf("%s: status %d: %s", tc.name, r.status, r.body)
		}
		if bytes.Contains(r.body, []byte(secret)) {
			t.Errorf("%s: the response echoes the body: %s", tc.name, r.body)
		}
		if g.Errors[0].Extensions["presented"] != true {
			t.Errorf("%s: not presented: %s", tc.name, r.body)
		}
	}
}

func TestPOSTBodyOverLimit(t *testing.T) {
	h := newHandler(MultipartForm{}, POST{MaxBodyBytes: 1000}, nil)
	srv := newServerFor(t, h)
	big := `{"query":"{ ok }","extensions":{"pad":"` + strings.Repeat("x", 2000) + `"}}`
	for name, body := range map[string]io.Reader{
		"Content-Length": strings.NewReader(big),
		"chunked":        unsized{strings.NewReader(big)},
	} {
		r := do(t, srv, http.MethodPost, "/", "application/json", body, acceptHeader(apollo4))
		if r.status != http.StatusRequestEntityTooLarge || r.gql(t).code() != codePayloadTooLarge || r.header.Get("Content-Type") != mediaGraphQLResponse {
			t.Errorf("%s: status %d: %s", name, r.status, r.body)
		}
	}
	// At the limit is fine.
	ok := `{"query":"{ ok }"}`
	ok += strings.Repeat(" ", 1000-len(ok))
	if r := postJSON(t, srv, ok, nil); r.status != http.StatusOK {
		t.Errorf("at limit: status %d: %s", r.status, r.body)
	}
}
