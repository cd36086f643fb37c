package main

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestCSRF_MultipartNeedsAPreflightHeader(t *testing.T) {
	e := newEnv(t)
	body, ctype := multipartBody(map[string]any{"query": uploadImageMutation, "variables": map[string]any{"file": nil}},
		[]file{pngFile("a.png", 4, 4, 50)}, [][]string{{"variables.file"}})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", body)
	req.Header.Set("Content-Type", ctype)
	resp := e.send(req)
	if resp.Status != http.StatusBadRequest {
		t.Fatalf("status %d: %s", resp.Status, resp.Raw)
	}
	for _, h := range []string{"Authorization", "Apollo-Require-Preflight", "X-Apollo-Operation-Name"} {
		if !strings.Contains(resp.Errors[0].Message, h) {
			t.Errorf("message does not name %s: %q", h, resp.Errors[0].Message)
		}
	}
	if f := e.storedFiles(); len(f) != 0 {
		t.Errorf("files: %v", f)
	}
	// X-Apollo-Operation-Name alone passes the gate (then fails for want of a token).
	body, ctype = multipartBody(map[string]any{"query": uploadImageMutation, "variables": map[string]any{"file": nil}},
		[]file{pngFile("a.png", 4, 4, 50)}, [][]string{{"variables.file"}})
	req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-Apollo-Operation-Name", "Up")
	if r := e.send(req); r.code() != "UNAUTHENTICATED" {
		t.Errorf("with X-Apollo-Operation-Name: %d %s", r.Status, r.Raw)
	}
}

func TestCORS_AllowsConfiguredOriginsOnly(t *testing.T) {
	e := newEnv(t)
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		// Browsers send the names lowercase and sorted.
		req.Header.Set("Access-Control-Request-Headers", "apollo-require-preflight,authorization,content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	ok := preflight("http://localhost:5173")
	if ok.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Errorf("allowed origin: %v", ok.Header)
	}
	allowed := strings.ToLower(ok.Header.Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"authorization", "content-type", "apollo-require-preflight"} {
		if !strings.Contains(allowed, h) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, h)
		}
	}
	if bad := preflight("https://evil.example"); bad.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign origin allowed: %v", bad.Header)
	}
}

func TestResponses_MediaTypeNegotiation(t *testing.T) {
	e := newEnv(t)
	post := func(accept, body string) *gqlResponse {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		return e.send(req)
	}
	const apollo4 = "application/graphql-response+json, application/json;q=0.9"
	r := post(apollo4, `{"query":"{ me { id } }"}`)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/graphql-response+json") || r.Status != 200 {
		t.Errorf("Apollo Client 4: %d %q", r.Status, ct)
	}
	r = post(apollo4, `{"query":"{ nope }"}`)
	if r.Status != http.StatusBadRequest || len(r.Errors) == 0 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/graphql-response+json") {
		t.Errorf("Apollo Client 4 validation error: %d %q %s", r.Status, r.Header.Get("Content-Type"), r.Raw)
	}
	for _, accept := range []string{"", "*/*", "application/json"} {
		r = post(accept, `{"query":"{ nope }"}`)
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || len(r.Errors) == 0 {
			t.Errorf("Accept %q: %d %q", accept, r.Status, r.Header.Get("Content-Type"))
		}
	}
	// A resolver error is 200 with the error under application/json.
	r = post("", `{"query":"{ images { totalCount } }"}`)
	if r.Status != http.StatusOK || r.code() != "UNAUTHENTICATED" {
		t.Errorf("resolver error: %d %s", r.Status, r.Raw)
	}
	// Multipart, Apollo Client 4: a refused file is still a GraphQL answer it can read.
	body, ctype := multipartBody(map[string]any{"query": uploadImageMutation, "variables": map[string]any{"file": nil}},
		[]file{{name: "x.txt", data: []byte("text")}}, [][]string{{"variables.file"}})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", apollo4)
	req.Header.Set("Authorization", "Bearer "+e.user("neg"))
	r = e.send(req)
	if r.code() != "INVALID_IMAGE" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/graphql-response+json") {
		t.Errorf("multipart under Apollo Client 4: %d %q %s", r.Status, r.Header.Get("Content-Type"), r.Raw)
	}
}

func TestGET_QueriesOnly(t *testing.T) {
	e := newEnv(t)
	resp, body := get(t, e.srv.URL+"/graphql?query="+url.QueryEscape(`{ me { id } }`))
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"me":null`)) {
		t.Errorf("GET query: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, e.srv.URL+"/graphql?query="+url.QueryEscape(`mutation { removeAvatar { id } }`))
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET mutation: %d %s", resp.StatusCode, body)
	}
}

func TestOperations_HealthMetricsPlayground(t *testing.T) {
	e := newEnv(t)
	if resp, _ := get(t, e.srv.URL+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz %d", resp.StatusCode)
	}
	if resp, _ := get(t, e.srv.URL+"/readyz"); resp.StatusCode != 200 {
		t.Errorf("readyz %d", resp.StatusCode)
	}
	e.uploadImage(e.user("metrics"), pngFile("m.png", 4, 4, 51), nil)
	e.query("", `query Named { me { id } }`, nil)
	e.query("", `query Refused { images { totalCount } }`, nil)
	resp, body := get(t, e.srv.URL+"/metrics")
	for _, want := range []string{"mediagraph_upload_bytes_total", `mediagraph_graphql_operations_total{operation="Named",type="query"}`,
		"mediagraph_graphql_operation_duration_seconds", `mediagraph_refusals_total{code="UNAUTHENTICATED"}`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if resp.StatusCode != 200 {
		t.Errorf("metrics %d", resp.StatusCode)
	}
	resp, body = get(t, e.srv.URL+"/")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("altair")) {
		t.Errorf("playground: %d", resp.StatusCode)
	}
	// The store going away makes the server unready.
	breakStore(t, e)
	if resp, _ := get(t, e.srv.URL+"/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with a broken store: %d", resp.StatusCode)
	}
}

func TestMedia_OnlyKeysAreServed(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/media/../../etc/passwd", "/media/.spool/x", "/media/", "/media/ab/../../x.png", "/media/zz/0123.png"} {
		if resp, _ := get(t, e.srv.URL+p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}
