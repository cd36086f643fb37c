package cloudinary

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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
			if errors.Is(ctx.Err(), context.Canceled) {
				// The caller gave up (a client that went away): no failure.
				s.log.Debug("cloudinary call cancelled", "op", "cloudinary."+op, "public_id", key, "attempts", attempt)
				return err
			}
			// Logged here, redacted and with its attempts and status: the
			// error presenter logs only what the client is told.
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
