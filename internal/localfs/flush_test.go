package localfs

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFlusher_EveryWaitIsCoveredByAFlushThatBeganAfterIt checks the group
// commit's promise: a waiter returns only after a flush that started after
// it called, and concurrent waiters share flushes.
func TestFlusher_EveryWaitIsCoveredByAFlushThatBeganAfterIt(t *testing.T) {
	var clock atomic.Int64 // logical time: bumped by every event
	type span struct{ start, end int64 }
	var mu sync.Mutex
	var flushes []span
	f := newFlusher(func() error {
		start := clock.Add(1)
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		flushes = append(flushes, span{start, clock.Add(1)})
		mu.Unlock()
		return nil
	})
	const waiters = 64
	var wg sync.WaitGroup
	for range waiters {
		wg.Go(func() {
			called := clock.Add(1)
			if err := f.wait(); err != nil {
				t.Error(err)
			}
			returned := clock.Add(1)
			mu.Lock()
			defer mu.Unlock()
			for _, s := range flushes {
				if s.start > called && s.end < returned {
					return
				}
			}
			t.Errorf("waiter (%d..%d) returned without a flush that began after it (%v)", called, returned, flushes)
		})
	}
	wg.Wait()
	if len(flushes) >= waiters {
		t.Errorf("%d flushes for %d concurrent waiters: nothing was shared", len(flushes), waiters)
	}
}

func TestFlusher_ReportsTheFlushError(t *testing.T) {
	boom := errors.New("disk gone")
	f := newFlusher(func() error { return boom })
	if err := f.wait(); !errors.Is(err, boom) {
		t.Fatalf("wait = %v, want %v", err, boom)
	}
}
