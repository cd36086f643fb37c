package transport

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Error codes the transports put in extensions.code of errors they produce
// themselves.
const (
	codeBadRequest       = "BAD_REQUEST"
	codePayloadTooLarge  = "PAYLOAD_TOO_LARGE"
	codeFileTooLarge     = "FILE_TOO_LARGE"
	codeTooManyFiles     = "TOO_MANY_FILES"
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	codeInternal         = "INTERNAL_SERVER_ERROR"
)

// reqError is an error found by a transport, with the HTTP status it answers
// and the extensions.code it carries. A status of 0 means "a request error
// before execution": 200 under application/json, 400 under
// application/graphql-response+json.
type reqError struct {
	status int
	code   string
	msg    string
	// ext holds extensions besides the code (the limit a request broke).
	ext map[string]any
}

func (e *reqError) Error() string { return e.msg }

func badRequest(format string, args ...any) *reqError {
	return &reqError{status: http.StatusBadRequest, code: codeBadRequest, msg: fmt.Sprintf(format, args...)}
}

func tooLarge(format string, args ...any) *reqError {
	return &reqError{status: http.StatusRequestEntityTooLarge, code: codePayloadTooLarge, msg: fmt.Sprintf(format, args...)}
}

func internalError(format string, args ...any) *reqError {
	return &reqError{status: http.StatusInternalServerError, code: codeInternal, msg: fmt.Sprintf(format, args...)}
}

// requestError is an error that counts as a GraphQL request error before
// execution (its status depends on the negotiated media type).
func requestError(code, format string, args ...any) *reqError {
	return &reqError{code: code, msg: fmt.Sprintf(format, args...)}
}

// responder writes responses for one HTTP request.
type responder struct {
	w     http.ResponseWriter
	exec  graphql.GraphExecutor
	media string
}

func newResponder(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) *responder {
	return &responder{w: w, exec: exec, media: negotiate(r)}
}

// preExecStatus is the status of a request error that happened before
// execution.
func (rp *responder) preExecStatus() int {
	if rp.media == mediaGraphQLResponse {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// write sends v (a *graphql.Response or a slice of them) with status.
func (rp *responder) write(status int, v any) {
	var b []byte
	var err error
	switch v := v.(type) {
	case *graphql.Response:
		b, err = appendResponse(nil, v)
	case []*graphql.Response:
		b = append(b, '[')
		for i, r := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendResponse(b, r); err != nil {
				break
			}
		}
		b = append(b, ']')
	default:
		b, err = json.Marshal(v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(&graphql.Response{Errors: gqlerror.List{{
			Message:    "could not encode the response",
			Extensions: map[string]any{"code": codeInternal},
		}}})
	}
	h := rp.w.Header()
	h.Set("Content-Type", rp.media)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	rp.w.WriteHeader(status)
	_, _ = rp.w.Write(b)
}

// appendResponse appends r as json.Marshal would write it, except that
// r.Data, which gqlgen's marshalers wrote as compact JSON, is copied as it
// is: json.Marshal would scan and compact every byte of it again, a
// noticeable share of the CPU a page of images costs.
func appendResponse(b []byte, r *graphql.Response) ([]byte, error) {
	b = append(b, '{')
	field := func(name string, v any) error {
		enc, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = append(b, enc...)
		return nil
	}
	if len(r.Errors) > 0 {
		enc, err := json.Marshal(r.Errors)
		if err != nil {
			return nil, err
		}
		b = append(b, `"errors":`...)
		b = append(b, enc...)
		b = append(b, ',')
	}
	b = append(b, `"data":`...)
	if len(r.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, r.Data...)
	}
	if r.Label != "" {
		if err := field("label", r.Label); err != nil {
			return nil, err
		}
	}
	if len(r.Path) > 0 {
		if err := field("path", r.Path); err != nil {
			return nil, err
		}
	}
	if r.HasNext != nil {
		if err := field("hasNext", *r.HasNext); err != nil {
			return nil, err
		}
	}
	if len(r.Extensions) > 0 {
		if err := field("extensions", r.Extensions); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// fail answers with a transport error, shaped by the server's error
// presenter.
func (rp *responder) fail(ctx context.Context, e *reqError) {
	status := e.status
	if status == 0 {
		status = rp.preExecStatus()
	}
	if e.status == http.StatusMethodNotAllowed {
		rp.w.Header().Set("Allow", http.MethodPost)
	}
	rp.write(status, rp.errorResponse(ctx, e))
}

// errorResponse builds the GraphQL response for a transport error.
func (rp *responder) errorResponse(ctx context.Context, e *reqError) *graphql.Response {
	ext := map[string]any{"code": e.code}
	for k, v := range e.ext {
		ext[k] = v
	}
	gerr := &gqlerror.Error{Message: e.msg, Extensions: ext}
	resp := rp.exec.DispatchError(ctx, gqlerror.List{gerr})
	if resp == nil {
		resp = &graphql.Response{Errors: gqlerror.List{gerr}}
	}
	return resp
}
