package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// uploadsOps is an operation taking n files as $f, and the map for parts
// "0".."n-1".
func uploadsOps(n int) (ops, mapJSON string) {
	nulls, entries := make([]string, n), make([]string, n)
	for i := range n {
		nulls[i] = "null"
		entries[i] = fmt.Sprintf(`"%d":["variables.f.%d"]`, i, i)
	}
	return `{"query":"mutation($f: [Upload!]!){ uploads(files: $f) }","variables":{"f":[` + strings.Join(nulls, ",") + `]}}`,
		"{" + strings.Join(entries, ",") + "}"
}

// rawUploadBody is a multipart body (boundary testBoundary, line end nl)
// carrying uploadsOps(len(names)) and one file part per name, the file
// name written into the header byte for byte as given.
func rawUploadBody(nl string, names []string, contents [][]byte) []byte {
	ops, m := uploadsOps(len(names))
	parts := []genPart{
		{headers: []string{`Content-Disposition: form-data; name="operations"`}, body: []byte(ops)},
		{headers: []string{`Content-Disposition: form-data; name="map"`}, body: []byte(m)},
	}
	for i, name := range names {
		parts = append(parts, genPart{
			headers: []string{fmt.Sprintf(`Content-Disposition: form-data; name="%d"; filename="%s"`, i, name), "Content-Type: image/\x00png"},
			body:    contents[i],
		})
	}
	return genMultipart(testBoundary, nl, "", parts, "")
}

const testMultipartCT = "multipart/form-data; boundary=" + testBoundary

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// hostileNames are file names with control bytes (sent raw) and what the
// transport passes on as Upload.Filename: the name without them, after
// Part.FileName's filepath.Base (which splits at '/' only; the domain
// splits at '\' too).
var hostileNames = []struct{ sent, want string }{
	{"C:\\fakepath\\evil\x1b[31m\x00\a\x7f.png", `C:\fakepath\evil[31m.png`},
	{"../../etc/pa\x1bss\x00wd\x7f", "passwd"},
	{"\x1b]0;pwned\x07\x1b[2J.jpg", "]0;pwned[2J.jpg"},
	{"ph\u00f6to\x01\x02\x03\x04\x05\x06\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1c\x1d\x1e\x1f.jpg", "ph\u00f6to.jpg"},
	{"\x00\x1b", ""},
}

// A file name holding ESC, NUL, BEL, DEL and other control bytes, or a
// path, is no reason to refuse the upload: the control bytes are gone
// from Upload.Filename (and from the rest of the part's header).
func TestMultipartHostileFilenames(t *testing.T) {
	for _, nl := range []string{"\r\n", "\n"} {
		t.Run(fmt.Sprintf("nl %q", nl), func(t *testing.T) {
			var mu sync.Mutex
			var got []graphql.Upload
			srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, func(ctx context.Context, up graphql.Upload) {
				mu.Lock()
				got = append(got, up)
				mu.Unlock()
			})
			names := make([]string, len(hostileNames))
			contents := make([][]byte, len(hostileNames))
			for i, n := range hostileNames {
				names[i] = n.sent
				contents[i] = []byte(fmt.Sprintf("file %d\x00\x1b\r\n", i))
			}
			r := do(t, srv, http.MethodPost, "/", testMultipartCT, bytes.NewReader(rawUploadBody(nl, names, contents)), nil)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			res := r.gql(t).strs(t, "uploads")
			if len(res) != len(hostileNames) {
				t.Fatalf("uploads = %q", res)
			}
			for i, n := range hostileNames {
				if res[i] != want(n.want, contents[i]) {
					t.Errorf("file %d: %q, want %q", i, res[i], want(n.want, contents[i]))
				}
			}
			if len(got) != len(hostileNames) {
				t.Fatalf("resolver saw %d uploads", len(got))
			}
			for _, up := range got {
				if hasControl(up.Filename) || up.ContentType != "image/png" {
					t.Errorf("upload %q, Content-Type %q", up.Filename, up.ContentType)
				}
			}
		})
	}
}

// trickyContent is file content that holds what the filter looks for: the
// boundary at the start, "\r\n--" and prefixes of the boundary, the whole
// boundary followed by other text, header text and control bytes; for a
// CRLF body also a delimiter line with LF line ends.
func trickyContent(crlf bool) []byte {
	var b bytes.Buffer
	b.WriteString("--" + testBoundary + "Z\x00")
	for k := range len(testBoundary) {
		b.WriteString("\r\n--" + testBoundary[:k] + "\x1b")
	}
	b.WriteString("\r\nContent-Disposition: form-data; name=\"0\"; filename=\"x\x00\x1b.png\"\r\nContent-Type: a\x7f\r\n\r\n")
	b.WriteString("\r\n--" + testBoundary + "X\r\n\x00\r\n\r\n")
	b.WriteString("\r\n--" + testBoundary + "-\r\n\x01\r\n\r\n")
	if crlf {
		b.WriteString("\n--" + testBoundary + "\nA: \x00\n\n")
	}
	b.WriteString("\r\r\n\n\r\x00\x01\x02\x7f\xff")
	return b.Bytes()
}

// bigTrickyContent is 300 000 bytes with trickyContent at varying offsets,
// so that it falls across Read edges at many alignments.
func bigTrickyContent() []byte {
	tc := trickyContent(true)
	var b bytes.Buffer
	for i := 0; b.Len() < 300_000; i++ {
		b.Write(bytesOf(100+i*37%4096, byte(i)))
		b.Write(tc)
	}
	return b.Bytes()[:300_000]
}

// File contents holding delimiter look-alikes, header text and control
// bytes arrive byte for byte, in memory and spilled, after a header the
// filter cleaned (so that later bytes of the same Read move).
func TestMultipartTrickyContent(t *testing.T) {
	contents := [][]byte{trickyContent(true), bigTrickyContent(), []byte("--" + testBoundary + "-x"), {}}
	for _, mem := range []int64{0, 1 << 20, -1} {
		t.Run(fmt.Sprintf("MemoryFileBytes %d", mem), func(t *testing.T) {
			var mu sync.Mutex
			sums := map[string][32]byte{}
			srv := newServer(t, MultipartForm{SpoolDir: t.TempDir(), MemoryFileBytes: mem}, func(ctx context.Context, up graphql.Upload) {
				mu.Lock()
				sums[up.Filename] = up.File.(*File).SHA256()
				mu.Unlock()
			})
			names := []string{"a\x00", "b\x1b", "c", "d\x7f"}
			r := do(t, srv, http.MethodPost, "/", testMultipartCT, bytes.NewReader(rawUploadBody("\r\n", names, contents)), nil)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			res := r.gql(t).strs(t, "uploads")
			for i, c := range contents {
				name := names[i][:1]
				if i >= len(res) || res[i] != want(name, c) {
					t.Fatalf("file %d: %q, want %q", i, res, want(name, c))
				}
				if sums[name] != sha256.Sum256(c) {
					t.Errorf("file %d: SHA-256 %x, want %x", i, sums[name], sha256.Sum256(c))
				}
			}
		})
	}
	// The same contents through multipart.Writer, with no header to clean.
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, nil)
	ops, m := uploadsOps(len(contents))
	parts := []mpart{field("operations", ops), field("map", m)}
	for i, c := range contents {
		parts = append(parts, filePart(fmt.Sprint(i), "f", c))
	}
	r := postMultipart(t, srv, nil, parts...)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	for i, got := range r.gql(t).strs(t, "uploads") {
		if got != want("f", contents[i]) {
			t.Errorf("file %d: %q", i, got)
		}
	}
}

// splitReader returns b[:at] on its first Read and the rest after.
type splitReader struct {
	b  []byte
	at int
}

func (s *splitReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := len(s.b)
	if s.at > 0 {
		n, s.at = min(n, s.at), 0
	}
	n = copy(p, s.b[:n])
	s.b = s.b[n:]
	return n, nil
}

// The delimiters and the header terminators may fall anywhere across the
// body's Read edges: the answer is the same as for the body in one piece.
func TestMultipartChunkEdges(t *testing.T) {
	names := []string{hostileNames[0].sent, "plain.png", hostileNames[2].sent}
	h := newHandler(MultipartForm{SpoolDir: t.TempDir(), MemoryFileBytes: 64}, POST{}, nil)
	serve := func(body io.Reader) (int, string) {
		req := httptest.NewRequest(http.MethodPost, "/", body)
		req.Header.Set("Content-Type", testMultipartCT)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	for _, nl := range []string{"\r\n", "\n"} {
		contents := [][]byte{trickyContent(nl == "\r\n"), []byte("x"), {}}
		body := rawUploadBody(nl, names, contents)
		status, ref := serve(bytes.NewReader(body))
		wantRes := fmt.Sprintf(`{"data":{"uploads":[%q,%q,%q]}}`, want(hostileNames[0].want, contents[0]), want("plain.png", contents[1]), want(hostileNames[2].want, contents[2]))
		if status != http.StatusOK || ref != wantRes {
			t.Fatalf("nl %q: status %d: %s\nwant %s", nl, status, ref, wantRes)
		}
		for seed := range uint64(200) {
			if status, got := serve(newChunkReader(body, seed, 7)); status != http.StatusOK || got != ref {
				t.Fatalf("nl %q, 1..7-byte reads, seed %d: status %d: %s", nl, seed, status, got)
			}
		}
		for at := 1; at < len(body); at++ {
			if status, got := serve(&splitReader{b: body, at: at}); status != http.StatusOK || got != ref {
				t.Fatalf("nl %q, split at %d: status %d: %s", nl, at, status, got)
			}
		}

		// Over HTTP: chunked transfer encoding fed 1..7 bytes at a
		// time, and a raw connection written 1..7 bytes at a time.
		srv := newServer(t, MultipartForm{SpoolDir: t.TempDir(), MemoryFileBytes: 64}, nil)
		for seed := range uint64(5) {
			r := do(t, srv, http.MethodPost, "/", testMultipartCT, newChunkReader(body, seed, 7), nil)
			if r.status != http.StatusOK || string(r.body) != ref {
				t.Fatalf("nl %q, chunked, seed %d: status %d: %s", nl, seed, r.status, r.body)
			}
			head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", testMultipartCT, len(body))
			resp, got := rawRequestTrickle(t, srv, head, newChunkReader(body, seed, 7))
			if resp.StatusCode != http.StatusOK || string(got) != ref {
				t.Fatalf("nl %q, raw trickle, seed %d: status %d: %s", nl, seed, resp.StatusCode, got)
			}
		}
	}
}

// rawRequestTrickle is rawRequest with the body written one Read of body
// at a time.
func rawRequestTrickle(t *testing.T, srv *httptest.Server, head string, body io.Reader) (*http.Response, []byte) {
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
	buf := make([]byte, 64)
	for {
		n, err := body.Read(buf)
		if _, werr := conn.Write(buf[:n]); werr != nil {
			t.Fatal(werr)
		}
		if err == io.EOF {
			break
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// A part's header block is cleaned for its first 16 KiB: a control byte
// beyond that fails the request as it always did.
func TestMultipartLongHeaderBlock(t *testing.T) {
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, nil)
	ops, m := uploadsOps(1)
	build := func(pad int) []byte {
		return genMultipart(testBoundary, "\r\n", "", []genPart{
			{headers: []string{`Content-Disposition: form-data; name="operations"`}, body: []byte(ops)},
			{headers: []string{`Content-Disposition: form-data; name="map"`}, body: []byte(m)},
			{headers: []string{"X-Pad: " + strings.Repeat("p", pad), "Content-Disposition: form-data; name=\"0\"; filename=\"a\x1b.png\""}, body: []byte("x")},
		}, "")
	}
	r := do(t, srv, http.MethodPost, "/", testMultipartCT, bytes.NewReader(build(maxFilteredHeaderBytes-100)), nil)
	if r.status != http.StatusOK || r.gql(t).strs(t, "uploads")[0] != want("a.png", []byte("x")) {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	r = do(t, srv, http.MethodPost, "/", testMultipartCT, bytes.NewReader(build(maxFilteredHeaderBytes)), nil)
	if g := r.gql(t); r.status != http.StatusBadRequest || g.code() != codeBadRequest || !strings.Contains(g.message(), "malformed multipart body") {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}
