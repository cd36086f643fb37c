package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mediagraph/mediagraph/internal/media"
)

const imageColumns = `id::text, owner_id::text, kind, storage_key, provider, filename, content_type, format,
	width, height, orientation, bytes, sha256, alt, tags, placeholder, created_at`

func scanImage(row pgx.Row) (media.Image, error) {
	var img media.Image
	var kind string
	var provider []byte
	err := row.Scan(&img.ID, &img.OwnerID, &kind, &img.StorageKey, &provider, &img.Filename, &img.ContentType,
		&img.Format, &img.Width, &img.Height, &img.Orientation, &img.Bytes, &img.SHA256, &img.Alt, &img.Tags,
		&img.Placeholder, &img.CreatedAt)
	if err != nil {
		return media.Image{}, err
	}
	img.Kind = media.Kind(kind)
	if len(provider) > 2 {
		if err := json.Unmarshal(provider, &img.Provider); err != nil {
			return media.Image{}, fmt.Errorf("decode provider of image %s: %w", img.ID, err)
		}
	}
	img.Alt = decodeOptText(img.Alt)
	img.Tags = decodeTexts(img.Tags)
	img.CreatedAt = img.CreatedAt.UTC()
	return img, nil
}

func collectImages(rows pgx.Rows) ([]media.Image, error) {
	defer rows.Close()
	var out []media.Image
	for rows.Next() {
		img, err := scanImage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	return out, rows.Err()
}

// ImagesByID returns the images that exist among ids.
func (r *Repository) ImagesByID(ctx context.Context, ids []string) (map[string]media.Image, error) {
	out := make(map[string]media.Image, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := r.pool.Query(ctx, `SELECT `+imageColumns+` FROM images WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("load images: %w", err)
	}
	imgs, err := collectImages(rows)
	if err != nil {
		return nil, fmt.Errorf("load images: %w", err)
	}
	for _, img := range imgs {
		out[img.ID] = img
	}
	return out, nil
}

// GalleryImagesBySHA256 returns the owner's gallery images with those digests.
func (r *Repository) GalleryImagesBySHA256(ctx context.Context, ownerID string, digests []string) (map[string]media.Image, error) {
	rows, err := r.pool.Query(ctx, `SELECT `+imageColumns+` FROM images
		WHERE owner_id = $1 AND kind = 'gallery' AND sha256 = ANY($2)`, ownerID, digests)
	if err != nil {
		return nil, fmt.Errorf("find images by digest: %w", err)
	}
	imgs, err := collectImages(rows)
	if err != nil {
		return nil, fmt.Errorf("find images by digest: %w", err)
	}
	out := make(map[string]media.Image, len(imgs))
	for _, img := range imgs {
		out[img.SHA256] = img
	}
	return out, nil
}

// ListImages returns a page of the owner's gallery, newest first, reading one
// row more than asked to learn whether another page follows.
func (r *Repository) ListImages(ctx context.Context, q media.ImageQuery) (media.ImagePage, error) {
	args := pgx.NamedArgs{"owner": q.OwnerID, "limit": q.First + 1}
	where := `owner_id = @owner AND kind = 'gallery'`
	if q.Tag != nil {
		where += ` AND tags @> ARRAY[@tag::text]`
		args["tag"] = encodeText(*q.Tag)
	}
	if q.After != nil {
		where += ` AND (created_at, id) < (@after_at, @after_id::uuid)`
		args["after_at"], args["after_id"] = q.After.CreatedAt, q.After.ID
	}
	rows, err := r.pool.Query(ctx, `SELECT `+imageColumns+` FROM images WHERE `+where+`
		ORDER BY created_at DESC, id DESC LIMIT @limit`, args)
	if err != nil {
		return media.ImagePage{}, fmt.Errorf("list images: %w", err)
	}
	imgs, err := collectImages(rows)
	if err != nil {
		return media.ImagePage{}, fmt.Errorf("list images: %w", err)
	}
	page := media.ImagePage{Images: imgs}
	if len(imgs) > q.First {
		page.Images, page.HasNext = imgs[:q.First], true
	}
	return page, nil
}

// CountImages counts the owner's gallery images, with the tag when set.
func (r *Repository) CountImages(ctx context.Context, ownerID string, tag *string) (int, error) {
	var n int
	var err error
	if tag == nil {
		err = r.pool.QueryRow(ctx, `SELECT count(*) FROM images WHERE owner_id = $1 AND kind = 'gallery'`, ownerID).Scan(&n)
	} else {
		err = r.pool.QueryRow(ctx, `SELECT count(*) FROM images WHERE owner_id = $1 AND kind = 'gallery' AND tags @> ARRAY[$2::text]`,
			ownerID, encodeText(*tag)).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("count images: %w", err)
	}
	return n, nil
}

// insertColumns are the columns a new row is given, in insertArgs' order.
const insertColumns = `owner_id, kind, storage_key, provider, filename, content_type, format,
	width, height, orientation, bytes, sha256, alt, tags`

func insertArgs(img media.NewImage) ([]any, error) {
	provider := []byte("{}")
	if img.Provider != nil {
		var err error
		if provider, err = json.Marshal(img.Provider); err != nil {
			return nil, fmt.Errorf("encode provider metadata: %w", err)
		}
	}
	tags := img.Tags
	if tags == nil {
		tags = []string{}
	}
	return []any{img.OwnerID, string(img.Kind), img.StorageKey, provider, img.Filename, img.ContentType, img.Format,
		img.Width, img.Height, img.Orientation, img.Bytes, img.SHA256, encodeOptText(img.Alt), encodeTexts(tags)}, nil
}

// insertImage inserts one row inside tx.
func insertImage(ctx context.Context, tx pgx.Tx, img media.NewImage) (media.Image, error) {
	args, err := insertArgs(img)
	if err != nil {
		return media.Image{}, err
	}
	return scanImage(tx.QueryRow(ctx, `INSERT INTO images (`+insertColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING `+imageColumns, args...))
}

// insertGalleryRow inserts a gallery row unless the owner has the bytes
// already (a concurrent upload won the race): then it queues the new file for
// removal in the same statement and returns the existing row, which the
// statement's snapshot may not see yet (no row then).
const insertGalleryRow = `WITH ins AS (
		INSERT INTO images (` + insertColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (owner_id, sha256) WHERE kind = 'gallery' DO NOTHING
		RETURNING ` + imageColumns + `
	), lost AS (
		INSERT INTO blob_removals (storage_key, due_at)
		SELECT $3, now() WHERE NOT EXISTS (SELECT 1 FROM ins)
		ON CONFLICT (storage_key) DO UPDATE SET due_at = EXCLUDED.due_at
	)
	SELECT * FROM ins
	UNION ALL
	SELECT ` + imageColumns + ` FROM images
	WHERE owner_id = $1 AND kind = 'gallery' AND sha256 = $12 AND NOT EXISTS (SELECT 1 FROM ins)`

// InsertGallery inserts the rows and claims their guards in one batch, which
// PostgreSQL runs as one implicit transaction: one round trip, one commit.
// A row whose bytes the owner already has yields the existing image, and the
// new file is queued for removal.
func (r *Repository) InsertGallery(ctx context.Context, imgs []media.NewImage) ([]media.Image, error) {
	keys := make([]string, len(imgs))
	batch := &pgx.Batch{}
	for i, img := range imgs {
		keys[i] = img.StorageKey
	}
	batch.Queue(`SELECT claim_guards($1)`, keys)
	for _, img := range imgs {
		args, err := insertArgs(img)
		if err != nil {
			return nil, err
		}
		batch.Queue(insertGalleryRow, args...)
	}
	out := make([]media.Image, len(imgs))
	var raced []int
	err := func() error {
		br := r.pool.SendBatch(ctx, batch)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return err
		}
		for i := range imgs {
			img, err := scanImage(br.QueryRow())
			if errors.Is(err, pgx.ErrNoRows) {
				raced = append(raced, i)
				continue
			}
			if err != nil {
				return err
			}
			out[i] = img
		}
		return br.Close()
	}()
	if err != nil {
		return nil, fmt.Errorf("insert images: %w", err)
	}
	for _, i := range raced {
		img, err := scanImage(r.pool.QueryRow(ctx, `SELECT `+imageColumns+` FROM images
			WHERE owner_id = $1 AND kind = 'gallery' AND sha256 = $2`, imgs[i].OwnerID, imgs[i].SHA256))
		if err != nil {
			return nil, fmt.Errorf("find the image that won the race: %w", err)
		}
		out[i] = img
	}
	return out, nil
}

// ownedImageForUpdate locks the owner's image, telling NOT_FOUND from FORBIDDEN.
func ownedImageForUpdate(ctx context.Context, tx pgx.Tx, ownerID, id string) error {
	var owner string
	// Avatars are kept apart: the gallery's mutations do not see them.
	err := tx.QueryRow(ctx, `SELECT owner_id::text FROM images WHERE id = $1 AND kind = 'gallery' FOR UPDATE`, id).Scan(&owner)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return media.Errorf(media.CodeNotFound, "No image with that id.")
	case err != nil:
		return err
	case owner != ownerID:
		return media.Errorf(media.CodeForbidden, "That image belongs to someone else.")
	}
	return nil
}

// UpdateImage applies the patch to the owner's image.
func (r *Repository) UpdateImage(ctx context.Context, ownerID, id string, patch media.ImagePatch) (media.Image, error) {
	var out media.Image
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if err := ownedImageForUpdate(ctx, tx, ownerID, id); err != nil {
			return err
		}
		args := pgx.NamedArgs{"id": id, "set_alt": patch.Alt != nil, "set_tags": patch.Tags != nil, "alt": nil, "tags": []string{}}
		if patch.Alt != nil {
			args["alt"] = encodeOptText(patch.Alt.Value)
		}
		if patch.Tags != nil {
			args["tags"] = encodeTexts(*patch.Tags)
		}
		var err error
		out, err = scanImage(tx.QueryRow(ctx, `UPDATE images SET
			alt = CASE WHEN @set_alt THEN @alt::text ELSE alt END,
			tags = CASE WHEN @set_tags THEN @tags::text[] ELSE tags END
			WHERE id = @id RETURNING `+imageColumns, args))
		return err
	})
	if err != nil {
		return media.Image{}, fmt.Errorf("update image: %w", err)
	}
	return out, nil
}

// DeleteImage deletes the owner's image and queues its file for removal.
func (r *Repository) DeleteImage(ctx context.Context, ownerID, id string) error {
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if err := ownedImageForUpdate(ctx, tx, ownerID, id); err != nil {
			return err
		}
		return deleteImageRow(ctx, tx, id)
	})
	if err != nil {
		return fmt.Errorf("delete image: %w", err)
	}
	return nil
}

// SetPlaceholder stores an image's placeholder.
func (r *Repository) SetPlaceholder(ctx context.Context, id, placeholder string) error {
	if _, err := r.pool.Exec(ctx, `UPDATE images SET placeholder = $2 WHERE id = $1`, id, placeholder); err != nil {
		return fmt.Errorf("set placeholder: %w", err)
	}
	return nil
}
