package cloudinary

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Retry timing: the first retry waits about firstBackoff, each later one
// twice as long up to maxBackoff, and no retry starts that the deadline
// would cut short.
const (
	firstBackoff = 200 * time.Millisecond
	maxBackoff   = 3 * time.Second
	maxAttempts  = 5
)

// retry runs call until it succeeds, fails for good, or the context ends.
// Only idempotent calls come here (an upload to a fixed public id with
// overwrite, a destroy). call reports the HTTP status it saw (0: none), since
// the SDK ignores it: transport errors, 5xx, 420 and 429 are retried,
// anything else (a rejection such as 401, an empty answer) is final.
func (s *Store) retry(ctx context.Context, op, key string, call func(context.Context) (int, error)) error {
	deadline, _ := ctx.Deadline()
	for attempt := 1; ; attempt++ {
		status, err := call(ctx)
		if err == nil && !retryableStatus(status) {
			return nil
		}
		if err == nil {
			err = errors.New("no error in the answer")
		}
		err = s.describe(ctx, op, key, attempt, status, err)
		var p permanentError
		transient := !errors.As(err, &p) && ctx.Err() == nil && (status == 0 || retryableStatus(status))
		wait := backoff(attempt)
		if !transient || attempt == maxAttempts || time.Until(deadline) < wait {
			s.log.Error("cloudinary call failed", "op", "cloudinary."+op, "public_id", key, "attempts", attempt, "status", status, "err", err)
			return err
		}
		s.log.Warn("cloudinary call failed; retrying", "op", "cloudinary."+op, "public_id", key, "attempt", attempt, "status", status, "retry_in_ms", wait.Milliseconds(), "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return s.describe(ctx, op, key, attempt, status, ctx.Err())
		case <-t.C:
		}
	}
}

// describe wraps a failed call's error for logs and the removal queue, with
// the API key and secret taken out of anything Cloudinary echoed.
func (s *Store) describe(ctx context.Context, op, key string, attempt, status int, err error) error {
	var p permanentError
	if errors.As(err, &p) {
		return err
	}
	msg := s.secrets.Replace(err.Error())
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		msg = fmt.Sprintf("timed out after %s (%s)", s.timeout, msg)
	}
	if status != 0 {
		msg = fmt.Sprintf("HTTP %d: %s", status, msg)
	}
	return &callError{msg: fmt.Sprintf("cloudinary %s %s (attempt %d): %s", op, key, attempt, msg), cause: ctx.Err()}
}

// callError is a failed call, its text redacted. It unwraps to the
// context's error, if any, and never to the SDK's (whose text may hold
// what Cloudinary echoed).
type callError struct {
	msg   string
	cause error
}

func (e *callError) Error() string { return e.msg }
func (e *callError) Unwrap() error { return e.cause }

// permanentError marks a failure that retrying cannot mend.
type permanentError struct{ error }

func permanent(err error) error { return permanentError{err} }

func retryableStatus(status int) bool {
	return status >= 500 || status == 420 || status == 429
}

// backoff is the wait before retry number attempt: doubling from
// firstBackoff, capped, with jitter so that clients do not retry in step.
func backoff(attempt int) time.Duration {
	d := min(firstBackoff<<(attempt-1), maxBackoff)
	return d/2 + rand.N(d/2+1)
}

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

// settleTime is how long after a failed upload Cloudinary may still store
// its asset (a request whose answer was lost, a body it had whole when we
// gave up): until then a destroy's "not found" is not trusted.
const settleTime = 30 * time.Second

// unsettled remembers, in memory, the keys of uploads that failed with an
// unknown outcome (a timeout, a transport error, a 5xx): their removals are
// reported as not done until settleTime has passed, so the removal queue
// destroys again whatever landed late. A restart forgets them; the window is
// seconds wide, about what a restart takes.
type unsettled struct {
	mu   sync.Mutex
	keys map[string]time.Time
	wait time.Duration
}

func newUnsettled(wait time.Duration) *unsettled {
	if wait <= 0 {
		wait = settleTime
	}
	return &unsettled{keys: map[string]time.Time{}, wait: wait}
}

func (u *unsettled) mark(key string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := time.Now()
	u.keys[key] = now.Add(u.wait)
	for k, until := range u.keys { // forget what has settled
		if now.After(until) {
			delete(u.keys, k)
		}
	}
}

// pending reports whether the key's failed upload may still land.
func (u *unsettled) pending(key string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	until, ok := u.keys[key]
	if ok && time.Now().After(until) {
		delete(u.keys, key)
		return false
	}
	return ok
}
