package transport

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
)

// POST is the application/json POST transport. It accepts one GraphQL
// request object or a JSON array of them (a batch, answered with a JSON
// array of responses in the same order).
type POST struct {
	// MaxBodyBytes caps the request body; a larger body is answered 413.
	// 0 means 1 MiB.
	MaxBodyBytes int64
}

var _ graphql.Transport = POST{}

func (p POST) maxBody() int64 {
	if p.MaxBodyBytes <= 0 {
		return 1 << 20
	}
	return p.MaxBodyBytes
}

// Supports reports whether r is a POST with media type application/json and
// no Upgrade header.
func (p POST) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// Do reads, decodes and executes the request.
func (p POST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	rp := newResponder(w, r, exec)
	start := graphql.Now()

	limit := p.maxBody()
	if r.ContentLength > limit {
		rp.fail(ctx, tooLarge("request body is larger than %d bytes", limit))
		return
	}
	body, err := readAllLimited(http.MaxBytesReader(w, r.Body, limit), r.ContentLength)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			rp.fail(ctx, tooLarge("request body is larger than %d bytes", limit))
			return
		}
		rp.fail(ctx, badRequest("could not read the request body"))
		return
	}

	ops, batch, rerr := decodeOperations(body, "request body")
	if rerr != nil {
		rp.fail(ctx, rerr)
		return
	}
	end := graphql.Now()
	for _, op := range ops {
		op.Headers = r.Header
		op.ReadTime = graphql.TraceTiming{Start: start, End: end}
	}
	rp.serve(ctx, ops, batch, noSubscriptions)
}

// readAllLimited reads r to the end; size (when known, >= 0) presizes the
// buffer.
func readAllLimited(r io.Reader, size int64) ([]byte, error) {
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size) + 1)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}
