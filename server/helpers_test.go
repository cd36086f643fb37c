package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mediagraph/mediagraph/internal/auth"
	"github.com/mediagraph/mediagraph/internal/localfs"
	"github.com/mediagraph/mediagraph/internal/postgres/pgtest"
)

// dbURL is this package's own database, made by TestMain; cloudDBURL is
// another, for the servers that store in Cloudinary (a server refuses to
// start over the other store's rows).
var dbURL, cloudDBURL string

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m, &dbURL, &cloudDBURL)) }

const testSecret = "test-secret-test-secret-test-secret!"

// testEnv is a whole server over HTTP on the package's database, with its
// own media directory.
type testEnv struct {
	t        testing.TB
	srv      *httptest.Server
	app      *app
	cfg      config
	mediaDir string
	// queries counts the SQL statements the pool has run.
	queries atomic.Int64
	logs    *lockedWriter // read with String: the server writes as tests read
}

// newEnv starts a server; adjust may change its configuration first.
func newEnv(t testing.TB, adjust ...func(*config)) *testEnv {
	t.Helper()
	e := &testEnv{t: t, mediaDir: t.TempDir(), logs: &lockedWriter{w: &bytes.Buffer{}}}
	var h http.Handler = http.NotFoundHandler()
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	e.cfg = config{
		Port: 0, DatabaseURL: dbURL, CloudinaryFolder: "mediagraph", CloudinaryTimeout: time.Minute,
		MediaDir: e.mediaDir, MediaFsync: true, PublicURL: e.srv.URL, AuthJWTSecret: testSecret,
		MaxFileBytes: 20 << 20, MaxFiles: 10, MaxPixels: 50_000_000,
		CORSAllowedOrigins: []string{"http://localhost:5173"},
	}
	for _, f := range adjust {
		f(&e.cfg)
	}
	log := slog.New(slog.NewJSONHandler(e.logs, nil))
	a, err := newApp(context.Background(), e.cfg, log, func(c *pgxpool.Config) {
		c.ConnConfig.Tracer = countingTracer{&e.queries}
	})
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	t.Cleanup(a.pool.Close)
	// The removal worker runs beside the handler, as in serve.
	workers, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { a.svc.RunRemovals(workers) })
	t.Cleanup(func() { stop(); wg.Wait() })
	e.app = a
	h = a.handler
	return e
}

type countingTracer struct{ n *atomic.Int64 }

func (c countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A statement sent in a batch counts as one too.
func (countingTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (c countingTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	c.n.Add(1)
}
func (countingTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// lockedWriter serialises writes of concurrent loggers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// String is what was written, when the writer is a *bytes.Buffer.
func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprint(l.w)
}

// token returns a valid bearer token for the subject.
func (e *testEnv) token(sub, name string) string {
	e.t.Helper()
	a, err := auth.New(context.Background(), auth.Config{JWTSecret: testSecret})
	if err != nil {
		e.t.Fatal(err)
	}
	tok, err := a.Issue(sub, name, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// user returns a token for a fresh user of its own.
func (e *testEnv) user(name string) string {
	return e.token(fmt.Sprintf("%s-%d", name, rand.Int64()), name)
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Status int
	Header http.Header
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	Raw    []byte
}

// code is the first error's extensions.code ("" when there is no error).
func (r *gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// decode unmarshals data into v, failing the test on any GraphQL error.
func (r *gqlResponse) decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors (status %d): %s", r.Status, r.Raw)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

func (e *testEnv) send(req *http.Request) *gqlResponse {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := &gqlResponse{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if err := json.Unmarshal(raw, out); err != nil {
		e.t.Fatalf("response is not JSON (status %d): %q", resp.StatusCode, raw)
	}
	return out
}

// query posts a JSON GraphQL request.
func (e *testEnv) query(token, query string, vars map[string]any) *gqlResponse {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

// file is one file part of a multipart request.
type file struct {
	name string
	data []byte
}

// multipartBody builds a GraphQL multipart request the way
// apollo-upload-client does: operations, then map with keys "1", "2", ...,
// then one part per file. paths[i] lists the variable paths of files[i].
func multipartBody(operations any, files []file, paths [][]string) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	ops, _ := json.Marshal(operations)
	_ = w.WriteField("operations", string(ops))
	m := map[string][]string{}
	for i := range files {
		m[fmt.Sprint(i+1)] = paths[i]
	}
	mj, _ := json.Marshal(m)
	_ = w.WriteField("map", string(mj))
	for i, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%d"; filename="%s"`, i+1, strings.ReplaceAll(f.name, `"`, `\"`)))
		h.Set("Content-Type", "application/octet-stream")
		pw, _ := w.CreatePart(h)
		_, _ = pw.Write(f.data)
	}
	_ = w.Close()
	return &buf, w.FormDataContentType()
}

// upload sends a multipart request with the Apollo-Require-Preflight header.
func (e *testEnv) upload(token, query string, vars map[string]any, files []file, paths [][]string) *gqlResponse {
	e.t.Helper()
	body, ctype := multipartBody(map[string]any{"query": query, "variables": vars}, files, paths)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Apollo-Require-Preflight", "true")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

const uploadImageMutation = `mutation Up($file: Upload!, $alt: String, $tags: [String!]) {
  uploadImage(file: $file, alt: $alt, tags: $tags) {
    id filename contentType format width height bytes sha256 alt tags url createdAt owner { id name }
  }
}`

// uploadedImage is the shape uploadImageMutation selects.
type uploadedImage struct {
	ID          string   `json:"id"`
	Filename    string   `json:"filename"`
	ContentType string   `json:"contentType"`
	Format      string   `json:"format"`
	Width       int      `json:"width"`
	Height      int      `json:"height"`
	Bytes       int64    `json:"bytes"`
	SHA256      string   `json:"sha256"`
	Alt         *string  `json:"alt"`
	Tags        []string `json:"tags"`
	URL         string   `json:"url"`
	CreatedAt   string   `json:"createdAt"`
	Owner       struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"owner"`
}

// uploadImage uploads one file and returns the image, failing on errors.
func (e *testEnv) uploadImage(token string, f file, vars map[string]any) uploadedImage {
	e.t.Helper()
	if vars == nil {
		vars = map[string]any{}
	}
	vars["file"] = nil
	resp := e.upload(token, uploadImageMutation, vars, []file{f}, [][]string{{"variables.file"}})
	var out struct {
		UploadImage uploadedImage `json:"uploadImage"`
	}
	resp.decode(e.t, &out)
	return out.UploadImage
}

// count runs a counting SQL query on the package's database.
func (e *testEnv) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.app.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// files lists what the local store holds (originals), as keys.
func (e *testEnv) storedFiles() []string {
	e.t.Helper()
	var out []string
	root := filepath.Join(e.mediaDir, "originals")
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// spoolFiles lists the temporary files of uploads in flight.
func (e *testEnv) spoolFiles() []string {
	entries, _ := os.ReadDir(filepath.Join(e.mediaDir, ".spool"))
	var out []string
	for _, en := range entries {
		out = append(out, en.Name())
	}
	return out
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get fetches a URL.
func get(t testing.TB, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// noisyImage is a w x h picture no two seeds share.
func noisyImage(w, h int, seed uint64) *image.NRGBA {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x * 255 / max(w, 1)), uint8(y * 255 / max(h, 1)), uint8(r.IntN(256)), 255})
		}
	}
	return img
}

func pngFile(name string, w, h int, seed uint64) file {
	var b bytes.Buffer
	_ = png.Encode(&b, noisyImage(w, h, seed))
	return file{name: name, data: b.Bytes()}
}

func jpegFile(name string, w, h int, seed uint64) file {
	var b bytes.Buffer
	_ = jpeg.Encode(&b, noisyImage(w, h, seed), &jpeg.Options{Quality: 85})
	return file{name: name, data: b.Bytes()}
}

// localStore is the server's local store; the test fails when another store is in use.
func (e *testEnv) localStore() *localfs.Store {
	e.t.Helper()
	ls, ok := e.app.store.(*localfs.Store)
	if !ok {
		e.t.Fatalf("the store is %T, not the local store", e.app.store)
	}
	return ls
}
