package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

func dbNow(t *testing.T, p *pgxpool.Pool) time.Time {
	t.Helper()
	var now time.Time
	if err := p.QueryRow(context.Background(), `SELECT clock_timestamp()`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

// removeOnly fails the removal of key and succeeds for anything else due.
func removeOnly(key string, err error) func(context.Context, string) error {
	return func(_ context.Context, k string) error {
		if k == key {
			return err
		}
		return nil
	}
}

func TestProcessRemovals_BackoffDoublesAndIsCappedByRetry(t *testing.T) {
	r, p := repo(t)
	ctx := context.Background()
	key := "backoff-" + randHex(8)
	clearRemovals(t, p, []string{key})
	if err := r.ReleaseKeys(ctx, []string{key}); err != nil {
		t.Fatal(err)
	}
	const retry = 3 * time.Second
	steps := []struct {
		setAttempts int // -1: as left by the previous step
		want        time.Duration
	}{
		{-1, 250 * time.Millisecond},
		{-1, 500 * time.Millisecond},
		{-1, time.Second},
		{-1, 2 * time.Second},
		{-1, retry}, // 4 s capped
		{-1, retry},
		{40, retry}, // no overflow of the shift for many attempts
	}
	boom := errors.New("store down")
	for i, st := range steps {
		if st.setAttempts >= 0 {
			if _, err := p.Exec(ctx, `UPDATE blob_removals SET attempts = $2 WHERE storage_key = $1`, key, st.setAttempts); err != nil {
				t.Fatal(err)
			}
		}
		var attemptsBefore int
		if err := p.QueryRow(ctx, `SELECT attempts FROM blob_removals WHERE storage_key = $1`, key).Scan(&attemptsBefore); err != nil {
			t.Fatal(err)
		}
		before := dbNow(t, p)
		n, err := r.ProcessRemovals(ctx, 100, retry, removeOnly(key, boom))
		after := dbNow(t, p)
		if !errors.Is(err, boom) {
			t.Fatalf("step %d: error %v, want the removal's", i, err)
		}
		_ = n // other due keys, if any, were removed first
		var due time.Time
		var attempts int
		var lastErr *string
		if err := p.QueryRow(ctx, `SELECT due_at, attempts, last_error FROM blob_removals WHERE storage_key = $1`, key).
			Scan(&due, &attempts, &lastErr); err != nil {
			t.Fatalf("step %d: the failed removal is no longer queued: %v", i, err)
		}
		if attempts != attemptsBefore+1 || lastErr == nil || !strings.Contains(*lastErr, "store down") {
			t.Errorf("step %d: attempts %d (was %d), last_error %v", i, attempts, attemptsBefore, lastErr)
		}
		lo, hi := due.Sub(after), due.Sub(before)
		if st.want < lo-time.Millisecond || st.want > hi+time.Millisecond {
			t.Errorf("step %d (attempts %d): backoff between %v and %v, want %v", i, attemptsBefore, lo, hi, st.want)
		}
		// Not due yet: another pass leaves it alone.
		if n, err := r.ProcessRemovals(ctx, 100, retry, removeOnly(key, errors.New("called before due"))); err != nil {
			t.Fatalf("step %d: a removal not yet due was attempted: %v (%d done)", i, err, n)
		}
		if _, err := p.Exec(ctx, `UPDATE blob_removals SET due_at = now() WHERE storage_key = $1`, key); err != nil {
			t.Fatal(err)
		}
	}
	// With a small retry the cap applies from the first failure.
	if _, err := r.ProcessRemovals(ctx, 100, 100*time.Millisecond, removeOnly(key, boom)); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	var left float64
	if err := p.QueryRow(ctx, `SELECT extract(epoch FROM due_at - now())::float8 FROM blob_removals WHERE storage_key = $1`, key).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left > 0.1 {
		t.Errorf("due in %.3fs with retry 100ms", left)
	}
	// Success deletes the record.
	if _, err := p.Exec(ctx, `UPDATE blob_removals SET due_at = now() WHERE storage_key = $1`, key); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ProcessRemovals(ctx, 100, retry, removeOnly("", nil)); err != nil {
		t.Fatal(err)
	}
	if c := count(t, p, `SELECT count(*) FROM blob_removals WHERE storage_key = $1`, key); c != 0 {
		t.Errorf("%d records after a successful removal", c)
	}
}

// The backoff must run from the failure, not from the start of the attempt:
// a store whose Delete takes longer than the backoff to fail (a Cloudinary
// timeout is a minute, the cap 10 s) would otherwise be due again the moment
// it failed, and the worker would retry it back to back without pause.
func TestProcessRemovals_BackoffCountsFromTheFailure(t *testing.T) {
	r, p := repo(t)
	ctx := context.Background()
	key := "slowfail-" + randHex(8)
	clearRemovals(t, p, []string{key})
	if err := r.ReleaseKeys(ctx, []string{key}); err != nil {
		t.Fatal(err)
	}
	slow := func(_ context.Context, k string) error {
		if k != key {
			return nil
		}
		time.Sleep(600 * time.Millisecond)
		return errors.New("timed out")
	}
	// attempts 0: a backoff of 250 ms, shorter than the 600 ms the attempt took.
	if _, err := r.ProcessRemovals(ctx, 100, 10*time.Second, slow); err == nil {
		t.Fatal("the failing removal reported success")
	}
	failedAt := dbNow(t, p)
	var due time.Time
	if err := p.QueryRow(ctx, `SELECT due_at FROM blob_removals WHERE storage_key = $1`, key).Scan(&due); err != nil {
		t.Fatal(err)
	}
	if !due.After(failedAt) {
		t.Errorf("due_at is %v before the failure was even recorded: the removal is due again at once", failedAt.Sub(due).Round(time.Millisecond))
	}
	attempted := false
	if _, err := r.ProcessRemovals(ctx, 100, 10*time.Second, func(_ context.Context, k string) error {
		if k == key {
			attempted = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if attempted {
		t.Error("the removal was attempted again right after it failed")
	}
}

func TestProcessRemovals_LongErrorsAreTruncated(t *testing.T) {
	r, p := repo(t)
	ctx := context.Background()
	key := "longerr-" + randHex(8)
	clearRemovals(t, p, []string{key})
	if err := r.ReleaseKeys(ctx, []string{key}); err != nil {
		t.Fatal(err)
	}
	_, _ = r.ProcessRemovals(ctx, 100, time.Second, removeOnly(key, errors.New(strings.Repeat("e", 5000))))
	var msg string
	if err := p.QueryRow(ctx, `SELECT last_error FROM blob_removals WHERE storage_key = $1`, key).Scan(&msg); err != nil {
		t.Fatal(err)
	}
	if len(msg) == 0 || len(msg) > 500 {
		t.Errorf("last_error of %d bytes", len(msg))
	}
}

func TestGuards_NotDueUntilExpeditedOrReleased(t *testing.T) {
	r, p := repo(t)
	ctx := context.Background()
	guarded, released := "guard-"+randHex(8), "released-"+randHex(8)
	clearRemovals(t, p, []string{guarded, released})
	if err := r.GuardKeys(ctx, []string{guarded, released}, time.Hour, true); err != nil {
		t.Fatal(err)
	}
	var removed []string
	var mu sync.Mutex
	record := func(_ context.Context, k string) error {
		mu.Lock()
		defer mu.Unlock()
		removed = append(removed, k)
		return nil
	}
	mine := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, k := range removed {
			if k == guarded || k == released {
				out = append(out, k)
			}
		}
		return out
	}
	if _, err := r.ProcessRemovals(ctx, 100, time.Second, record); err != nil {
		t.Fatal(err)
	}
	if m := mine(); len(m) != 0 {
		t.Fatalf("guards removed before they were due: %v", m)
	}
	next, err := r.NextRemovalDue(ctx)
	if err != nil || next.IsZero() {
		t.Fatalf("NextRemovalDue: %v, %v", next, err)
	}
	if err := r.ReleaseKeys(ctx, []string{released}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ProcessRemovals(ctx, 100, time.Second, record); err != nil {
		t.Fatal(err)
	}
	if m := mine(); len(m) != 1 || m[0] != released {
		t.Fatalf("after ReleaseKeys removed %v, want [%s]", m, released)
	}
	if err := r.ExpediteGuards(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ProcessRemovals(ctx, 100, time.Second, record); err != nil {
		t.Fatal(err)
	}
	if m := mine(); len(m) != 2 || m[1] != guarded {
		t.Fatalf("after ExpediteGuards removed %v", m)
	}
	if c := count(t, p, `SELECT count(*) FROM blob_removals WHERE storage_key = ANY($1)`, []string{guarded, released}); c != 0 {
		t.Errorf("%d records left", c)
	}
}

func TestProcessRemovals_RespectsLimitAndConcurrentWorkersRemoveEachKeyOnce(t *testing.T) {
	r, p := repo(t)
	ctx := context.Background()
	prefix := "conc-" + randHex(6) + "-"
	keys := make([]string, 60)
	for i := range keys {
		keys[i] = prefix + randHex(4)
	}
	clearRemovals(t, p, keys)
	if err := r.ReleaseKeys(ctx, keys); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	remove := func(_ context.Context, k string) error {
		mu.Lock()
		seen[k]++
		mu.Unlock()
		time.Sleep(time.Millisecond)
		return nil
	}
	if n, err := r.ProcessRemovals(ctx, 5, time.Second, remove); err != nil || n != 5 {
		t.Fatalf("limit 5: removed %d, %v", n, err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := r.ProcessRemovals(ctx, 7, time.Second, remove)
				if err != nil {
					t.Error(err)
					return
				}
				if n < 7 {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, k := range keys {
		if seen[k] != 1 {
			t.Errorf("key %s removed %d times", k, seen[k])
		}
	}
	if c := count(t, p, `SELECT count(*) FROM blob_removals WHERE storage_key = ANY($1)`, keys); c != 0 {
		t.Errorf("%d records left", c)
	}
}
