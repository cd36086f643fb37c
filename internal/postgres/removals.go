package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// GuardKeys records keys about to be stored, due for removal after grace
// unless a row claims them first. Without flush the transaction commits with
// synchronous_commit off: visible at once, on disk within a fraction of a
// second; one round trip either way.
func (r *Repository) GuardKeys(ctx context.Context, keys []string, grace time.Duration, flush bool) error {
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	if !flush {
		b.Queue(`SET LOCAL synchronous_commit TO off`)
	}
	b.Queue(queueRemovalSQL, keys, grace)
	b.Queue(`COMMIT`)
	if err := r.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("guard keys: %w", err)
	}
	return nil
}

// UnknownKeys returns the keys that no image row and no removal record name.
func (r *Repository) UnknownKeys(ctx context.Context, keys []string) ([]string, error) {
	rows, err := r.pool.Query(ctx, `SELECT k FROM unnest($1::text[]) AS k
		WHERE NOT EXISTS (SELECT 1 FROM images WHERE storage_key = k)
		  AND NOT EXISTS (SELECT 1 FROM blob_removals WHERE storage_key = k)`, keys)
	if err != nil {
		return nil, fmt.Errorf("unknown keys: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("unknown keys: %w", err)
	}
	return out, nil
}

// claimGuards deletes the guards of keys inside the transaction that inserts
// their rows (claim_guards in the migrations). A missing guard means the
// removal worker took the file (the request outlived its grace, or a restart
// expedited it): the transaction fails and the row is not written.
func claimGuards(ctx context.Context, tx pgx.Tx, keys []string) error {
	if _, err := tx.Exec(ctx, `SELECT claim_guards($1)`, keys); err != nil {
		return fmt.Errorf("claim guards: %w", err)
	}
	return nil
}

// ReleaseKeys makes the keys due for removal now.
func (r *Repository) ReleaseKeys(ctx context.Context, keys []string) error {
	if err := queueRemoval(ctx, r.pool, keys, 0); err != nil {
		return fmt.Errorf("release keys: %w", err)
	}
	return nil
}

// ExpediteGuards makes every upload guard due now (removals that failed keep
// their retry time).
func (r *Repository) ExpediteGuards(ctx context.Context) error {
	if _, err := r.pool.Exec(ctx, `UPDATE blob_removals SET due_at = now() WHERE due_at > now() AND attempts = 0`); err != nil {
		return fmt.Errorf("expedite guards: %w", err)
	}
	return nil
}

// ProcessRemovals removes up to limit due keys, each in its own transaction
// holding the record's row lock while remove runs, so that no upload can
// claim a guard whose file is being removed and no two workers remove the
// same key. A failure is recorded and retried after the backoff (doubling
// with each attempt, at most retry).
func (r *Repository) ProcessRemovals(ctx context.Context, limit int, retry time.Duration, remove func(ctx context.Context, key string) error) (int, error) {
	done := 0
	var failed error
	for tries := 0; tries < limit; tries++ {
		var key string
		var attempts int
		tx, err := r.pool.Begin(ctx)
		if err != nil {
			return done, fmt.Errorf("removals: %w", err)
		}
		err = tx.QueryRow(ctx, `SELECT storage_key, attempts FROM blob_removals WHERE due_at <= now()
			ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED`).Scan(&key, &attempts)
		if errors.Is(err, pgx.ErrNoRows) {
			_ = tx.Rollback(ctx)
			return done, failed
		}
		if err != nil {
			_ = tx.Rollback(ctx)
			return done, fmt.Errorf("removals: %w", err)
		}
		// A row may name the key after all: an insert whose client went away
		// can commit although its caller saw an error and released the key.
		// The row wins; the file stays.
		var named bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM images WHERE storage_key = $1)`, key).Scan(&named); err != nil {
			_ = tx.Rollback(ctx)
			return done, fmt.Errorf("removals: %w", err)
		}
		if named {
			if _, err := tx.Exec(ctx, `DELETE FROM blob_removals WHERE storage_key = $1`, key); err != nil {
				_ = tx.Rollback(ctx)
				return done, fmt.Errorf("removals: %w", err)
			}
			if err := tx.Commit(ctx); err != nil {
				return done, fmt.Errorf("removals: %w", err)
			}
			continue
		}
		if rerr := remove(ctx, key); rerr != nil {
			backoff := min(time.Duration(1<<min(attempts, 10))*250*time.Millisecond, retry)
			_, err = tx.Exec(ctx, `UPDATE blob_removals SET attempts = attempts + 1, last_error = $2,
				due_at = clock_timestamp() + $3::interval WHERE storage_key = $1`, key, truncateErr(rerr), backoff)
			if err == nil {
				err = tx.Commit(ctx)
			}
			if err != nil {
				_ = tx.Rollback(ctx)
				return done, fmt.Errorf("removals: %w", err)
			}
			// The key waits for its retry; the others still get their turn.
			if failed == nil {
				failed = fmt.Errorf("remove %s: %w", key, rerr)
			}
			continue
		}
		if _, err := tx.Exec(ctx, `DELETE FROM blob_removals WHERE storage_key = $1`, key); err != nil {
			_ = tx.Rollback(ctx)
			return done, fmt.Errorf("removals: %w", err)
		}
		if err := tx.Commit(ctx); err != nil {
			return done, fmt.Errorf("removals: %w", err)
		}
		done++
	}
	return done, failed
}

// NextRemovalDue is when the next removal falls due (zero when none is queued).
func (r *Repository) NextRemovalDue(ctx context.Context) (time.Time, error) {
	var next *time.Time
	if err := r.pool.QueryRow(ctx, `SELECT min(due_at) FROM blob_removals`).Scan(&next); err != nil {
		return time.Time{}, fmt.Errorf("next removal: %w", err)
	}
	if next == nil {
		return time.Time{}, nil
	}
	return *next, nil
}

func truncateErr(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}
