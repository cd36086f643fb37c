package cloudinary

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
)

// statusKey carries, in a request's context, where the transport records
// the HTTP status of the answer.
type statusKey struct{}

func withStatus(ctx context.Context, status *int) context.Context {
	return context.WithValue(ctx, statusKey{}, status)
}

// statusRecorder is the SDK's transport: it writes each answer's status
// where the request's context says, and changes nothing else.
type statusRecorder struct{ base http.RoundTripper }

func (t statusRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if p, ok := req.Context().Value(statusKey{}).(*int); ok && resp != nil {
		*p = resp.StatusCode
	}
	return resp, err
}

// fenced is the reader handed to the SDK: a plain io.Reader (so the SDK
// streams it as one multipart request, never as a path, a URL or chunks),
// reading at most size bytes, that can be closed against the SDK's copying
// goroutine: after close returns, the underlying reader is never touched
// again, even by a copy the SDK left running.
type fenced struct {
	mu     sync.Mutex
	r      io.Reader
	closed bool
}

func newFenced(r io.Reader, size int64) *fenced {
	return &fenced{r: io.LimitReader(r, size)}
}

func (f *fenced) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, errors.New("upload attempt is over")
	}
	return f.r.Read(p)
}

func (f *fenced) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}
