package cloudinary

import (
	"sync"
	"time"
)

// settleTime is how long after a failed upload Cloudinary may still store
// its asset (a request whose answer was lost, a body it had whole when we
// gave up): until then a destroy's "not found" is not trusted.
const settleTime = 30 * time.Second

// unsettled decides when a destroy's "not found" may be trusted. Two kinds of
// upload may still land after their removal ran:
//   - those of this process that failed with an unknown outcome (a timeout, a
//     transport error, a 5xx): their keys are remembered for the settle time;
//   - those of a process that died with the request sent: nothing remembers
//     them, and the next start makes their guards due at once. So for the
//     settle time after the store started, "not found" is trusted only for
//     keys this process uploaded itself (whose outcome it knows).
//
// A removal that is not trusted is reported as not done, and the removal
// queue destroys again whatever landed late.
type unsettled struct {
	mu      sync.Mutex
	keys    map[string]time.Time // failed uploads: until when they may land
	own     map[string]struct{}  // keys uploaded by this process, while starting
	started time.Time
	wait    time.Duration
}

func newUnsettled(wait time.Duration) *unsettled {
	if wait <= 0 {
		wait = settleTime
	}
	return &unsettled{keys: map[string]time.Time{}, own: map[string]struct{}{}, started: time.Now(), wait: wait}
}

// starting reports whether an upload of a previous process may still land;
// once it is over the set of own keys is no longer needed. Called locked.
func (u *unsettled) starting(now time.Time) bool {
	if now.Sub(u.started) < u.wait {
		return true
	}
	u.own = nil
	return false
}

// sending records that this process is about to upload the key.
func (u *unsettled) sending(key string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.starting(time.Now()) {
		u.own[key] = struct{}{}
	}
}

// mark records that the key's upload failed with an unknown outcome.
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

// pending reports whether an upload of the key may still land, so that
// "not found" for it proves nothing yet.
func (u *unsettled) pending(key string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := time.Now()
	if until, ok := u.keys[key]; ok {
		if now.Before(until) {
			return true
		}
		delete(u.keys, key)
	}
	if u.starting(now) {
		_, mine := u.own[key]
		return !mine
	}
	return false
}
