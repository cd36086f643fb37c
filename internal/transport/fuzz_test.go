package transport

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

// FuzzMultipart feeds arbitrary multipart bodies through the full handler.
// mode bit 0: data is the raw body (boundary testBoundary); otherwise the
// body is built from ops, mapJSON and file parts "0" (data), "1" (half of
// data) and, with bit 1, "2" without a filename. Bit 2 asks for
// application/graphql-response+json. The handler must not panic, must
// answer 200, 400 or 413 with a GraphQL response, and must leave the spool
// directory empty.
func FuzzMultipart(f *testing.F) {
	valid, _ := multipartBody(field("operations", singleOps), field("map", `{"0":["variables.file"]}`), filePart("0", "a", []byte("hello")))
	seeds := []struct {
		mode      uint8
		ops, mapJ string
		data      []byte
	}{
		{0, singleOps, `{"0":["variables.file"]}`, []byte("hello world, spilled past sixteen bytes")},
		{0, listOps, `{"0":["variables.files.0"],"1":["variables.files.1"]}`, []byte("x")},
		{2, `{"query":"mutation($f: [Upload!]!){ uploads(files: $f) }","variables":{"f":[null,null,null]}}`, `{"0":["variables.f.0"],"1":["variables.f.1"],"2":["variables.f.2"]}`, []byte("abc")},
		{0, `[` + singleOps + `,` + listOps + `]`, `{"0":["0.variables.file"],"1":["1.variables.files.0","1.variables.files.1"]}`, []byte("batched")},
		{0, `{"query":"mutation($a: Upload!, $b: Upload!){ x: upload(file: $a) y: upload(file: $b) }","variables":{"a":null,"b":null}}`, `{"0":["variables.a","variables.b"]}`, []byte("two paths")},
		{4, singleOps, `{"0":["variables.file"]}`, bytes.Repeat([]byte("z"), 5000)},
		{0, listOps, `{"0":["variables.files.9"]}`, nil},
		{0, listOps, `{"0":["variables.files.-1"]}`, nil},
		{0, `{"query":"mutation($file: Upload!){ upload(file: $file) }"}`, `{"0":["variables.file"]}`, nil},
		{0, `{"query":"mutation($file: Upload!){ upload(file: $file) }","variables":null}`, `{"0":["variables.file.x.y"]}`, nil},
		{0, `{"query":"mutation($s: String){ upload(file: $s) }","variables":{"s":null}}`, `{"0":["variables.s"]}`, nil},
		{0, `[` + singleOps + `]`, `{"0":["1.variables.file"]}`, nil},
		{0, `[]`, `{}`, nil},
		{0, `{`, `{"0":`, nil},
		{0, singleOps, `{"0":[]}`, nil},
		{0, singleOps, `{"0":"variables.file"}`, nil},
		{0, singleOps, `{"1":["variables.file"]}`, []byte("x")},
		{0, `{"query":"{ ok }"}`, `{}`, nil},
		{1, "", "", valid},
		{1, "", "", valid[:len(valid)/2]},
		{1, "", "", []byte("--" + testBoundary + "--\r\n")},
		{1, "", "", []byte("\x00garbage")},
	}
	for _, s := range seeds {
		f.Add(s.mode, s.ops, s.mapJ, s.data)
	}
	dir := f.TempDir()
	h := newHandler(MultipartForm{MaxFiles: 3, MaxFileBytes: 4096, MaxFieldBytes: 4096, MemoryFileBytes: 16, SpoolDir: dir}, POST{}, nil)
	f.Fuzz(func(t *testing.T, mode uint8, ops, mapJSON string, data []byte) {
		body := data
		ct := "multipart/form-data; boundary=" + testBoundary
		if mode&1 == 0 {
			parts := []mpart{field("operations", ops), field("map", mapJSON), filePart("0", "f0", data), filePart("1", "f1", data[:len(data)/2])}
			if mode&2 != 0 {
				parts = append(parts, mpart{name: "2", body: data})
			}
			body, ct = multipartBody(parts...)
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		media := mediaJSON
		if mode&4 != 0 {
			req.Header.Set("Accept", apollo4)
			media = mediaGraphQLResponse
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if got := rec.Header().Get("Content-Type"); got != media {
			t.Fatalf("Content-Type %q", got)
		}
		var v any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("response is not JSON: %v: %s", err, rec.Body)
		}
		switch v.(type) {
		case map[string]any, []any:
		default:
			t.Fatalf("response is not a GraphQL response: %s", rec.Body)
		}
		if es, err := os.ReadDir(dir); err != nil || len(es) != 0 {
			t.Fatalf("spool dir not empty: %v %v", es, err)
		}
	})
}
