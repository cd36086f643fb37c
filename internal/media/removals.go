package media

import (
	"context"
	"errors"
	"time"
)

// Removal timing: a failed removal is retried at most maxRetryGap later, and
// the worker looks for due work at least that often.
const (
	maxRetryGap    = 10 * time.Second
	removalBatch   = 100
	collectTimeout = 10 * time.Second
)

// RecoverInterrupted makes the removal of every file whose upload never got
// its row due now: called at start, when no request of this process is in
// flight, so that a crash leaves nothing behind after the next start. A
// request of another process racing with it fails cleanly (its row insert
// finds its guard gone) rather than leaving a row without a file.
func (s *Service) RecoverInterrupted(ctx context.Context) error {
	if err := s.repo.ExpediteGuards(ctx); err != nil {
		return err
	}
	// A store that does not answer yet must not keep the server from
	// starting: what fails now is the worker's to retry.
	if _, err := s.collect(ctx); err != nil {
		s.log.Warn("removal deferred to the worker", "op", "removals", "err", err)
	}
	return nil
}

// RunRemovals removes queued files until ctx ends: at once when kicked, when
// the next retry falls due, and at least every ten seconds.
func (s *Service) RunRemovals(ctx context.Context) {
	for {
		round, cancel := context.WithTimeout(ctx, collectTimeout)
		_, err := s.collect(round)
		cancel()
		if err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("removals", "op", "removals", "err", err)
		}
		wait := maxRetryGap
		if next, err := s.repo.NextRemovalDue(ctx); err == nil && !next.IsZero() {
			if d := time.Until(next); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// collectNow removes what is due before the caller answers, so that a deleted
// image's URL fails at once; anything that fails is left to the worker.
func (s *Service) collectNow(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), collectTimeout)
	defer cancel()
	if _, err := s.collect(ctx); err != nil {
		s.log.Warn("removal deferred to the worker", "op", "removals", "err", err)
		s.wakeRemovals()
	}
}

func (s *Service) collect(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.repo.ProcessRemovals(ctx, removalBatch, maxRetryGap, func(ctx context.Context, key string) error {
			return s.store.Delete(ctx, key)
		})
		total += n
		if err != nil || n < removalBatch {
			return total, err
		}
		// A full batch removed: there may be more due.
	}
}

// reconcileBatch is how many listed keys are checked per query.
const reconcileBatch = 500

// Reconcile removes stored files that no row, removal or upload guard names:
// what a power loss can leave behind when it takes an upload's unflushed
// guard. Safe while uploads run: a file being stored is guarded (guards are
// visible the moment they commit), and its row replaces the guard
// atomically. It does nothing for stores that cannot list their keys.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	lister, ok := s.store.(Lister)
	if !ok {
		return 0, nil
	}
	removed := 0
	var batch []string
	check := func() error {
		unknown, err := s.repo.UnknownKeys(ctx, batch)
		batch = batch[:0]
		if err != nil {
			return err
		}
		for _, key := range unknown {
			if err := s.store.Delete(ctx, key); err != nil {
				return err
			}
			removed++
		}
		return nil
	}
	err := lister.Keys(ctx, func(key string) error {
		batch = append(batch, key)
		if len(batch) == reconcileBatch {
			return check()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = check()
	}
	return removed, err
}

// wakeRemovals tells the worker that removals are due, without waiting.
func (s *Service) wakeRemovals() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}
