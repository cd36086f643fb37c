package transport

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// rawRequest writes head (and body) on a new connection to srv and reads
// the response.
func rawRequest(t *testing.T, srv *httptest.Server, head string, body []byte) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestMultipartContentLengthOverLimit(t *testing.T) {
	mp := MultipartForm{MaxFiles: 1, MaxFileBytes: 1024, MaxFieldBytes: 1024, SpoolDir: t.TempDir()}
	if got, want := mp.maxBody(), int64(1024+2*1024+1<<20); got != want {
		t.Fatalf("maxBody = %d, want %d", got, want)
	}
	srv := newServer(t, mp, nil)
	head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n", testBoundary, mp.maxBody()+1)
	resp, body := rawRequest(t, srv, head, nil) // nothing of the body is sent: the answer comes first
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, body: body}
	if g := r.gql(t); g.code() != codePayloadTooLarge {
		t.Fatalf("code %q: %s", g.code(), body)
	}
	if resp.Header.Get("Content-Type") != mediaJSON {
		t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
}

// unsized hides the length of a reader so the client sends it chunked.
type unsized struct{ io.Reader }

// A chunked body is cut at the limit: here by a long preamble (which the
// multipart reader skips) so no other limit applies first.
func TestMultipartChunkedOverLimit(t *testing.T) {
	dir := t.TempDir()
	mp := MultipartForm{MaxFiles: 1, MaxFileBytes: 1024, MaxFieldBytes: 1024, SpoolDir: dir}
	h := newHandler(mp, POST{}, nil)
	var sawTE []string
	var sawCL int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawTE, sawCL = r.TransferEncoding, r.ContentLength
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	preamble := strings.Repeat("preamble line\r\n", int(mp.maxBody()/15)+1000)
	body, ct := multipartBody(field("operations", singleOps), field("map", `{"0":["variables.file"]}`), filePart("0", "a", []byte("x")))
	req, _ := http.NewRequest(http.MethodPost, srv.URL, unsized{io.MultiReader(strings.NewReader(preamble), bytes.NewReader(body))})
	req.Header.Set("Content-Type", ct)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if len(sawTE) != 1 || sawTE[0] != "chunked" || sawCL != -1 {
		t.Fatalf("request was not chunked: %v, Content-Length %d", sawTE, sawCL)
	}
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: b}
	if r.status != http.StatusRequestEntityTooLarge || r.gql(t).code() != codePayloadTooLarge {
		t.Fatalf("status %d: %s", r.status, b)
	}
	waitEmpty(t, dir, 5*time.Second)
}

func TestMultipartFieldOverLimit(t *testing.T) {
	srv := newServer(t, MultipartForm{MaxFieldBytes: 100, SpoolDir: t.TempDir()}, nil)
	long := `{"query":"mutation($file: Upload!){ upload(file: $file) }","variables":{"file":null},"extensions":{"pad":"` + strings.Repeat("x", 100) + `"}}`
	for name, parts := range map[string][]mpart{
		"operations": {field("operations", long), field("map", `{"0":["variables.file"]}`)},
		"map":        {field("operations", singleOps), field("map", `{"0":["variables.file"],"pad":["`+strings.Repeat("x", 100)+`"]}`)},
	} {
		r := postMultipart(t, srv, nil, parts...)
		g := r.gql(t)
		if r.status != http.StatusRequestEntityTooLarge || g.code() != codePayloadTooLarge || !strings.Contains(g.message(), "'"+name+"'") {
			t.Errorf("%s: status %d: %s", name, r.status, r.body)
		}
	}
}

// A file over MaxFileBytes is answered with FILE_TOO_LARGE; the rest of the
// body is drained so the client receives the answer, also when draining
// stops at the body limit.
func TestMultipartFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	mp := MultipartForm{MaxFiles: 1, MaxFileBytes: 64 << 10, MaxFieldBytes: 4 << 10, MemoryFileBytes: 1024, SpoolDir: dir}
	srv := newServer(t, mp, nil)
	for _, tc := range []struct {
		name   string
		size   int
		accept string
		status int
	}{
		{"just over", 64<<10 + 1, "", http.StatusOK},
		{"drained", 1 << 20, "", http.StatusOK},
		{"graphql-response+json", 1 << 20, apollo4, http.StatusBadRequest},
		{"past body limit", 3 << 20, "", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h http.Header
			if tc.accept != "" {
				h = acceptHeader(tc.accept)
			}
			body, ct := multipartBody(field("operations", singleOps), field("map", `{"0":["variables.file"]}`), filePart("0", "big", bytesOf(tc.size, 9)))
			r := do(t, srv, http.MethodPost, "/", ct, unsized{bytes.NewReader(body)}, h)
			g := r.gql(t)
			if r.status != tc.status || g.code() != codeFileTooLarge {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if !strings.Contains(g.message(), `file for map key "0" is larger than 65536 bytes`) {
				t.Errorf("message %q", g.message())
			}
			waitEmpty(t, dir, 5*time.Second)
		})
	}
	// Exactly MaxFileBytes is fine.
	r := postMultipart(t, srv, nil, field("operations", singleOps), field("map", `{"0":["variables.file"]}`), filePart("0", "max", bytesOf(64<<10, 9)))
	if r.status != http.StatusOK || r.gql(t).str(t, "upload") != want("max", bytesOf(64<<10, 9)) {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

func TestMultipartTooManyFiles(t *testing.T) {
	srv := newServer(t, MultipartForm{MaxFiles: 2, SpoolDir: t.TempDir()}, nil)
	ops := field("operations", `{"query":"mutation($f: [Upload!]!){ uploads(files: $f) }","variables":{"f":[null,null,null]}}`)
	m := field("map", `{"1":["variables.f.0"],"2":["variables.f.1"],"3":["variables.f.2"]}`)
	files := []mpart{filePart("1", "a", []byte("a")), filePart("2", "b", []byte("b")), filePart("3", "c", bytesOf(100_000, 1))}
	for accept, status := range map[string]int{"": http.StatusOK, apollo4: http.StatusBadRequest} {
		var h http.Header
		if accept != "" {
			h = acceptHeader(accept)
		}
		r := postMultipart(t, srv, h, append([]mpart{ops, m}, files...)...)
		g := r.gql(t)
		if r.status != status || g.code() != codeTooManyFiles || !strings.Contains(g.message(), "at most 2") {
			t.Fatalf("accept %q: status %d: %s", accept, r.status, r.body)
		}
	}
	// Two files are fine.
	r := postMultipart(t, srv, nil, field("operations", listOps), field("map", `{"1":["variables.files.0"],"2":["variables.files.1"]}`), files[0], files[1])
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

// The client closes the connection in the middle of a spilled file: the
// temp file must go away.
func TestMultipartClientAbort(t *testing.T) {
	dir := t.TempDir()
	srv := newServer(t, MultipartForm{MemoryFileBytes: 1024, SpoolDir: dir}, nil)
	body, ct := multipartBody(field("operations", singleOps), field("map", `{"0":["variables.file"]}`), filePart("0", "a", bytesOf(1<<20, 3)))
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ct, len(body))
	if _, err := conn.Write(body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(dirEntries(t, dir)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no temp file appeared")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = conn.Close()
	waitEmpty(t, dir, 5*time.Second)
}

// A panicking resolver still leaves no temp file behind.
func TestMultipartResolverPanic(t *testing.T) {
	dir := t.TempDir()
	srv := newServer(t, MultipartForm{MemoryFileBytes: 1024, SpoolDir: dir}, func(ctx context.Context, up graphql.Upload) {
		if len(dirEntries(t, dir)) != 1 {
			t.Error("file not spilled")
		}
		panic("resolver exploded")
	})
	r := postMultipart(t, srv, nil, field("operations", singleOps), field("map", `{"0":["variables.file"]}`), filePart("0", "a", bytesOf(10_000, 1)))
	if r.status != http.StatusInternalServerError {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	waitEmpty(t, dir, time.Second)
}
