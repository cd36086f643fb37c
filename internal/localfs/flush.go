package localfs

import (
	"os"
	"sync"
)

// flusher makes stored files durable with group commit: every Put that
// arrives while a flush runs shares the next one, so eight concurrent
// uploads cost about two filesystem flushes instead of sixteen fsyncs (file
// and directory each). A flush covers everything written before it began.
type flusher struct {
	flush func() error

	mu      sync.Mutex
	cond    *sync.Cond
	started uint64 // flushes begun
	done    uint64 // flushes finished
	running bool
	err     map[uint64]error
}

func newFlusher(flush func() error) *flusher {
	f := &flusher{flush: flush, err: map[uint64]error{}}
	f.cond = sync.NewCond(&f.mu)
	return f
}

// wait returns once a flush that began after the call has finished: what the
// caller wrote before calling is then on stable storage.
func (f *flusher) wait() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	need := f.started + 1 // a flush already running may have missed our writes
	for f.done < need {
		if !f.running {
			f.running = true
			f.started++
			gen := f.started
			f.mu.Unlock()
			err := f.flush()
			f.mu.Lock()
			f.running = false
			f.done = gen
			f.err[gen] = err
			delete(f.err, gen-64) // keep a bounded history
			f.cond.Broadcast()
			continue
		}
		f.cond.Wait()
	}
	return f.err[need]
}

// syncFS flushes the filesystem that holds dir.
func syncFS(dir string) func() error {
	return func() error {
		d, err := os.Open(dir)
		if err != nil {
			return err
		}
		defer d.Close()
		return syncfs(d)
	}
}
