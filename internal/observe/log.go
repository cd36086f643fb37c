package observe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"time"
)

// RequestIDHeader carries the request id, echoed on every response.
const RequestIDHeader = "X-Request-Id"

var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

type infoKey struct{}

// requestInfo is what the log line of a request learns while it is served.
type requestInfo struct {
	id        string
	mu        sync.Mutex
	operation string
	userID    string
}

// SetOperation records the GraphQL operation a request runs, for its log line.
func SetOperation(ctx context.Context, name string) {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		info.mu.Lock()
		info.operation = name
		info.mu.Unlock()
	}
}

// SetUser records the signed-in user a request acts for, for its log line.
func SetUser(ctx context.Context, userID string) {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		info.mu.Lock()
		info.userID = userID
		info.mu.Unlock()
	}
}

// RequestID returns the request's id ("" outside a request).
func RequestID(ctx context.Context) string {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return info.id
	}
	return ""
}

// Logging gives every request an id (the client's X-Request-Id when sane)
// and writes one log line when it ends: method, path, status, bytes,
// duration, operation and user. It never logs headers, so no credential
// reaches the log.
func Logging(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !clientRequestID.MatchString(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		info := &requestInfo{id: id}
		w.Header().Set(RequestIDHeader, id)
		sw := wrap(w)
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
		info.mu.Lock()
		op, user := info.operation, info.userID
		info.mu.Unlock()
		attrs := []any{"request_id", id, "method", r.Method, "path", r.URL.Path, "status", sw.status(),
			"bytes", sw.written, "duration_ms", time.Since(start).Milliseconds()}
		if op != "" {
			attrs = append(attrs, "op", op)
		}
		if user != "" {
			attrs = append(attrs, "user_id", user)
		}
		level := slog.LevelInfo
		if sw.status() >= 500 {
			level = slog.LevelError
		}
		log.Log(r.Context(), level, "request", attrs...)
	})
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	code    int
	written int64
}

func wrap(w http.ResponseWriter) *statusWriter {
	if sw, ok := w.(*statusWriter); ok {
		return sw
	}
	return &statusWriter{ResponseWriter: w}
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.written += int64(n)
	return n, err
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flush).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
