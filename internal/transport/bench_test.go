package transport

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkMultipart1MiB runs the full handler in process on a request
// carrying one 1 MiB file: "spilled" with the default MemoryFileBytes
// (256 KiB, so the file goes to a temp file), "memory" with the file kept
// in memory. MB/s counts request body bytes. The resolver only reports the
// file's name and size, so the figure is the transport's own cost
// (multipart parsing, SHA-256, spooling, cleanup).
func BenchmarkMultipart1MiB(b *testing.B) {
	content := bytesOf(1<<20, 1)
	body, ct := multipartBody(field("operations", singleOps), field("map", `{"0":["variables.file"]}`), filePart("0", "photo.jpg", content))
	for _, bc := range []struct {
		name string
		mem  int64
	}{{"spilled", 0}, {"memory", 2 << 20}} {
		b.Run(bc.name, func(b *testing.B) {
			h := newHandlerWith(MultipartForm{SpoolDir: b.TempDir(), MemoryFileBytes: bc.mem}, POST{}, nil, true)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
				req.Header.Set("Content-Type", ct)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
