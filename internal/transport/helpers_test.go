package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// testServer mirrors gqlgen's handler.Server.ServeHTTP (recover into a
// 500, StartOperationTrace, first supporting transport wins) around
// gqlgen's executor. handler.New itself cannot be used: the handler
// package imports github.com/coder/websocket and
// github.com/go-viper/mapstructure/v2, which this module's go.sum lacks.
type testServer struct {
	exec       *executor.Executor
	transports []graphql.Transport
}

func (s *testServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if err := recover(); err != nil {
			err := s.exec.PresentRecoveredError(r.Context(), err)
			gqlErr, _ := err.(*gqlerror.Error)
			b, _ := json.Marshal(&graphql.Response{Errors: []*gqlerror.Error{gqlErr}})
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(b)
		}
	}()
	r = r.WithContext(graphql.StartOperationTrace(r.Context()))
	for _, t := range s.transports {
		if t.Supports(r) {
			t.Do(w, r, s.exec)
			return
		}
	}
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(`{"errors":[{"message":"transport not supported"}]}`))
}

// newHandler builds a server with the three transports. The error
// presenter marks every error it sees with extensions.presented = true.
func newHandler(mp MultipartForm, post POST, hook uploadHook) *testServer {
	return newHandlerWith(mp, post, hook, false)
}

func newHandlerWith(mp MultipartForm, post POST, hook uploadHook, light bool) *testServer {
	exec := executor.New(newTestSchema(hook, light))
	exec.SetRecoverFunc(func(ctx context.Context, err any) error { return fmt.Errorf("internal system error") })
	exec.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		gerr.Extensions["presented"] = true
		return gerr
	})
	return &testServer{exec: exec, transports: []graphql.Transport{GET{}, post, mp}}
}

// newServer starts a real HTTP server around newHandler.
func newServer(t testing.TB, mp MultipartForm, hook uploadHook) *httptest.Server {
	t.Helper()
	return newServerFor(t, newHandler(mp, POST{}, hook))
}

func newServerFor(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// mpart is one part of a multipart body.
type mpart struct {
	name        string
	filename    string // used when hasFilename
	hasFilename bool
	contentType string
	body        []byte
}

func field(name, body string) mpart { return mpart{name: name, body: []byte(body)} }

func filePart(name, filename string, body []byte) mpart {
	return mpart{name: name, filename: filename, hasFilename: true, contentType: "application/octet-stream", body: body}
}

const testBoundary = "----testboundary7MA4YWxkTrZu0gW"

// multipartBody encodes parts with testBoundary.
func multipartBody(parts ...mpart) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.SetBoundary(testBoundary)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.hasFilename {
			cd += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", cd)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(p.body)
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// gqlResponse is a decoded GraphQL response.
type gqlResponse struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func (r gqlResponse) message() string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Message
}

func (r gqlResponse) str(t testing.TB, field string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(r.Data[field], &s); err != nil {
		t.Fatalf("data.%s: %v (%s)", field, err, r.Data[field])
	}
	return s
}

func (r gqlResponse) strs(t testing.TB, field string) []string {
	t.Helper()
	var s []string
	if err := json.Unmarshal(r.Data[field], &s); err != nil {
		t.Fatalf("data.%s: %v (%s)", field, err, r.Data[field])
	}
	return s
}

// reply is an HTTP response with its body read.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) gql(t testing.TB) gqlResponse {
	t.Helper()
	var g gqlResponse
	if err := json.Unmarshal(r.body, &g); err != nil {
		t.Fatalf("response is not a GraphQL response: %v: %s", err, r.body)
	}
	return g
}

func (r reply) batch(t testing.TB) []gqlResponse {
	t.Helper()
	var g []gqlResponse
	if err := json.Unmarshal(r.body, &g); err != nil {
		t.Fatalf("response is not a batch: %v: %s", err, r.body)
	}
	return g
}

// do sends a request to srv and reads the whole response.
func do(t testing.TB, srv *httptest.Server, method, path, contentType string, body io.Reader, header http.Header) reply {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func postMultipart(t testing.TB, srv *httptest.Server, header http.Header, parts ...mpart) reply {
	t.Helper()
	body, ct := multipartBody(parts...)
	return do(t, srv, http.MethodPost, "/", ct, bytes.NewReader(body), header)
}

func postJSON(t testing.TB, srv *httptest.Server, body string, header http.Header) reply {
	t.Helper()
	return do(t, srv, http.MethodPost, "/", "application/json", strings.NewReader(body), header)
}

// dirEntries lists dir's names.
func dirEntries(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.Name()
	}
	return names
}

// waitEmpty polls dir until it is empty or the deadline passes.
func waitEmpty(t testing.TB, dir string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		names := dirEntries(t, dir)
		if len(names) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still holds %v", dir, names)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func bytesOf(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + (seed+byte(i%23))%26
	}
	return b
}

func acceptHeader(v string) http.Header { return http.Header{"Accept": {v}} }

const (
	singleOps = `{"query":"mutation($file: Upload!){ upload(file: $file) }","variables":{"file":null}}`
	listOps   = `{"query":"mutation Up($files: [Upload!]!){ uploads(files: $files) }","operationName":"Up","variables":{"files":[null,null]}}`
	apollo4   = "application/graphql-response+json,application/json;q=0.9"
)
