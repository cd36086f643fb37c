package cloudinary

import (
	"sync"
	"time"
)

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
