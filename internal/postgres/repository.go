package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mediagraph/mediagraph/internal/media"
)

// Repository implements media.Repository on a pgx pool.
type Repository struct {
	pool *pgxpool.Pool
}

var _ media.Repository = (*Repository)(nil)

// NewRepository returns a Repository over the pool.
func NewRepository(pool *pgxpool.Pool) *Repository { return &Repository{pool: pool} }

// Ping reports whether the database answers.
func (r *Repository) Ping(ctx context.Context) error { return r.pool.Ping(ctx) }

// CountKeys counts the images and pending removals whose storage keys hold a
// dot (withDot) or do not: the local store's keys end in an extension,
// Cloudinary's public ids never hold one, so this tells how many belong to
// each store.
func (r *Repository) CountKeys(ctx context.Context, withDot bool) (images, removals int64, err error) {
	err = r.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM images WHERE (strpos(storage_key, '.') > 0) = $1),
		(SELECT count(*) FROM blob_removals WHERE (strpos(storage_key, '.') > 0) = $1)`, withDot).Scan(&images, &removals)
	return images, removals, err
}

const userColumns = `id::text, subject, name, avatar_id::text, avatar_crop, created_at`

func scanUser(row pgx.Row) (media.User, error) {
	var u media.User
	var crop []byte
	if err := row.Scan(&u.ID, &u.Subject, &u.Name, &u.AvatarID, &crop, &u.CreatedAt); err != nil {
		return media.User{}, err
	}
	if crop != nil {
		u.AvatarCrop = new(media.Crop)
		if err := json.Unmarshal(crop, u.AvatarCrop); err != nil {
			return media.User{}, fmt.Errorf("decode avatar_crop of user %s: %w", u.ID, err)
		}
	}
	u.Name = decodeText(u.Name)
	u.CreatedAt = u.CreatedAt.UTC()
	return u, nil
}

// EnsureUser returns the subject's user, creating it on first sight. Only
// the rare first sighting or a changed name writes; the common case is one read.
func (r *Repository) EnsureUser(ctx context.Context, subject, name string) (media.User, error) {
	u, err := scanUser(r.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE subject = $1`, subject))
	switch {
	case err == nil && (name == "" || name == u.Name):
		return u, nil
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return media.User{}, fmt.Errorf("find user: %w", err)
	}
	if name == "" {
		name = subject
	}
	// Race-safe: two first requests of one subject both land on one row.
	u, err = scanUser(r.pool.QueryRow(ctx, `
		INSERT INTO users (subject, name) VALUES ($1, $2)
		ON CONFLICT (subject) DO UPDATE SET name = EXCLUDED.name
		RETURNING `+userColumns, subject, encodeText(name)))
	if err != nil {
		return media.User{}, fmt.Errorf("upsert user: %w", err)
	}
	return u, nil
}

// UsersByID returns the users that exist among ids.
func (r *Repository) UsersByID(ctx context.Context, ids []string) (map[string]media.User, error) {
	out := make(map[string]media.User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := r.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("load users: %w", err)
		}
		out[u.ID] = u
	}
	return out, rows.Err()
}

// UserWithAvatar returns the user and the user's avatar, both statements in
// one batch: one round trip.
func (r *Repository) UserWithAvatar(ctx context.Context, id string) (media.User, *media.Image, bool, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT `+userColumns+` FROM users WHERE id = $1`, id)
	b.Queue(`SELECT `+imageColumns+` FROM images WHERE id = (SELECT avatar_id FROM users WHERE id = $1)`, id)
	br := r.pool.SendBatch(ctx, b)
	defer br.Close()
	u, err := scanUser(br.QueryRow())
	if errors.Is(err, pgx.ErrNoRows) {
		return media.User{}, nil, false, nil
	}
	if err != nil {
		return media.User{}, nil, false, fmt.Errorf("load user: %w", err)
	}
	avatar, err := scanImage(br.QueryRow())
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return u, nil, true, br.Close()
	case err != nil:
		return media.User{}, nil, false, fmt.Errorf("load avatar: %w", err)
	}
	return u, &avatar, true, br.Close()
}

// userForUpdate locks the user's row for the rest of tx.
func userForUpdate(ctx context.Context, tx pgx.Tx, userID string) (media.User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return media.User{}, media.Errorf(media.CodeNotFound, "No such user.")
	}
	return u, err
}

// ReplaceAvatar inserts the avatar row and makes it the user's avatar; the
// previous avatar's row goes and its file is queued for removal.
func (r *Repository) ReplaceAvatar(ctx context.Context, img media.NewImage, crop *media.Crop) (media.User, error) {
	var u media.User
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if err := claimGuards(ctx, tx, []string{img.StorageKey}); err != nil {
			return err
		}
		old, err := userForUpdate(ctx, tx, img.OwnerID)
		if err != nil {
			return err
		}
		inserted, err := insertImage(ctx, tx, img)
		if err != nil {
			return err
		}
		var cropJSON []byte
		if crop != nil {
			cropJSON, _ = json.Marshal(crop)
		}
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET avatar_id = $2, avatar_crop = $3 WHERE id = $1 RETURNING `+userColumns,
			img.OwnerID, inserted.ID, cropJSON))
		if err != nil {
			return err
		}
		if old.AvatarID != nil {
			return deleteImageRow(ctx, tx, *old.AvatarID)
		}
		return nil
	})
	if err != nil {
		return media.User{}, fmt.Errorf("replace avatar: %w", err)
	}
	return u, nil
}

// RemoveAvatar clears the user's avatar; its row goes and its file is queued.
func (r *Repository) RemoveAvatar(ctx context.Context, userID string) (media.User, error) {
	var u media.User
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		old, err := userForUpdate(ctx, tx, userID)
		if err != nil {
			return err
		}
		if old.AvatarID == nil {
			u = old
			return nil
		}
		if err := deleteImageRow(ctx, tx, *old.AvatarID); err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET avatar_id = NULL, avatar_crop = NULL WHERE id = $1 RETURNING `+userColumns, userID))
		return err
	})
	if err != nil {
		return media.User{}, fmt.Errorf("remove avatar: %w", err)
	}
	return u, nil
}

// deleteImageRow deletes an image row and queues its file for removal now.
func deleteImageRow(ctx context.Context, tx pgx.Tx, id string) error {
	var key string
	err := tx.QueryRow(ctx, `DELETE FROM images WHERE id = $1 RETURNING storage_key`, id).Scan(&key)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return queueRemoval(ctx, tx, []string{key}, 0)
}

const queueRemovalSQL = `
	INSERT INTO blob_removals (storage_key, due_at)
	SELECT k, now() + $2::interval FROM unnest($1::text[]) AS k
	ON CONFLICT (storage_key) DO UPDATE SET due_at = EXCLUDED.due_at`

func queueRemoval(ctx context.Context, q querier, keys []string, after time.Duration) error {
	_, err := q.Exec(ctx, queueRemovalSQL, keys, after)
	return err
}

type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}
